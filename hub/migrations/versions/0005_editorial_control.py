"""editorial control: glossary, post-edits, quality flags, language identification

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Existing rows need no backfill: keys get no edit languages, translations count as
machine output of unknown quality (``quality`` NULL), feed entries as ``ok``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "glossary_terms",
        sa.Column("id", _ID, nullable=False),
        sa.Column("agency_id", _ID, nullable=True),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("glossary_terms", schema=None) as batch_op:
        batch_op.create_index("ix_glossary_terms_agency_id", ["agency_id"], unique=False)
    op.create_table(
        "glossary_changes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "translation_edits",
        sa.Column("id", _ID, nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_lang", sa.String(length=16), nullable=False),
        sa.Column("target_lang", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("agency_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("story_id", "target_lang", "source_hash", name="uq_translation_edits_story_target_source"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.String(length=200), nullable=True))
    with op.batch_alter_table("story_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_check", sa.JSON(), nullable=True))
    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_by_agency_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("quality", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("quality_reasons", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            "fk_language_versions_edited_by_agency_id_agencies", "agencies", ["edited_by_agency_id"], ["id"]
        )
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality", sa.String(length=8), server_default="ok", nullable=False))


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.drop_column("quality")
    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_language_versions_edited_by_agency_id_agencies", type_="foreignkey")
        batch_op.drop_column("quality_reasons")
        batch_op.drop_column("quality")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("edited_by_agency_id")
    with op.batch_alter_table("story_versions", schema=None) as batch_op:
        batch_op.drop_column("language_check")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("languages")
    op.drop_table("translation_edits")
    op.drop_table("glossary_changes")
    with op.batch_alter_table("glossary_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_glossary_terms_agency_id")
    op.drop_table("glossary_terms")
