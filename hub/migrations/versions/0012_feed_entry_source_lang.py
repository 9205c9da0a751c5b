"""feed entries: the source language of the entry's version

``feed_entries.source_lang``: the original's language of the story version an entry
announces. Feed pages linked entries with the story's *current* source language, which a
later version may have changed (a version 1 pushed in az, version 2 in tr: the az entry of
version 1 was served as a translation of a tr original that version never had). Kept on
the entry, a page also no longer joins the stories table. Existing rows are filled from
``story_versions``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_lang", sa.String(length=16), nullable=True))

    entries = sa.table(
        "feed_entries",
        sa.column("story_id", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("source_lang", sa.String()),
    )
    versions = sa.table(
        "story_versions",
        sa.column("story_id", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("source_lang", sa.String()),
    )
    stories = sa.table("stories", sa.column("id", sa.String()), sa.column("source_lang", sa.String()))
    of_version = (
        sa.select(versions.c.source_lang)
        .where(versions.c.story_id == entries.c.story_id, versions.c.version == entries.c.version)
        .scalar_subquery()
    )
    # Every entry has its version row; the story's language only stands in should one not.
    of_story = sa.select(stories.c.source_lang).where(stories.c.id == entries.c.story_id).scalar_subquery()
    op.get_bind().execute(entries.update().values(source_lang=sa.func.coalesce(of_version, of_story)))

    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.alter_column("source_lang", existing_type=sa.String(length=16), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.drop_column("source_lang")
