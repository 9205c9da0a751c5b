"""language versions: an original keeps the languages it has been translated into

``language_versions.translation_languages``: on an original's row, the languages of the
translations of its story version, comma-separated (NULL while there are none, and on
translations). A feed page links each original to its translations; it read them with a
subquery per entry, which was a quarter of the page query's time on SQLite and a fifth on
PostgreSQL. A translation adds its language when it is inserted (hub.stories.repository
.add_translation). Existing rows are filled from the language versions they have.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translation_languages", sa.String(), nullable=True))

    versions = sa.table(
        "language_versions",
        sa.column("story_id", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("language", sa.String()),
        sa.column("is_original", sa.Boolean()),
        sa.column("translation_languages", sa.String()),
    )
    translations = versions.alias("translations")
    of_version = (
        sa.select(sa.func.aggregate_strings(translations.c.language, ","))
        .where(
            translations.c.story_id == versions.c.story_id,
            translations.c.version == versions.c.version,
            translations.c.is_original.is_(False),
        )
        .scalar_subquery()
    )
    op.get_bind().execute(
        versions.update().where(versions.c.is_original.is_(True)).values(translation_languages=of_version)
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.drop_column("translation_languages")
