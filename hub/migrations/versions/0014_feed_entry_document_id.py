"""feed entries: the id of the language version each announces

``feed_entries.language_version_id``: a feed page joins every entry to its document, and
the join on (story_id, version, language) — a varchar key compared under the database's
collation — was a third of the page query's time on PostgreSQL. The id makes it an
integer primary-key lookup (on SQLite, the rowid itself). Existing entries are filled
from the language version they name; every entry has one (an entry is appended in the
transaction that writes its language version, and both go only with their story).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_version_id", BigIntId, nullable=True))

    entries = sa.table(
        "feed_entries",
        sa.column("story_id", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("language_version_id", BigIntId),
    )
    versions = sa.table(
        "language_versions",
        sa.column("id", BigIntId),
        sa.column("story_id", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("language", sa.String()),
    )
    document = (
        sa.select(versions.c.id)
        .where(
            versions.c.story_id == entries.c.story_id,
            versions.c.version == entries.c.version,
            versions.c.language == entries.c.language,
        )
        .scalar_subquery()
    )
    op.get_bind().execute(entries.update().values(language_version_id=document))

    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.alter_column("language_version_id", existing_type=BigIntId, nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.drop_column("language_version_id")
