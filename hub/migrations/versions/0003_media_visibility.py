"""media visibility: who uploaded which media, which story versions reference it

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Existing data is backfilled so that nothing visible before the upgrade disappears:
every media row's uploader, and every original story version's links to
``/v1/media/<sha256>`` (the same pattern hub/media/references.py applies at push
time, copied here because a migration must not change when the code does).
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEDIA_LINK = re.compile(r"/v1/media/([0-9a-fA-F]{64})(?![0-9a-fA-F])")


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "media_uploads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sha256"], ["media_objects.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sha256", "agency_id"),
    )
    op.create_table(
        "media_references",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sha256", "story_id", "version"),
    )
    with op.batch_alter_table("media_references", schema=None) as batch_op:
        batch_op.create_index("ix_media_references_story_id", ["story_id"], unique=False)
    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "INSERT INTO media_uploads (sha256, agency_id, created_at) "
            "SELECT sha256, uploaded_by, created_at FROM media_objects WHERE uploaded_by IS NOT NULL"
        )
    )
    originals = conn.execute(sa.text("SELECT story_id, version, document FROM language_versions WHERE is_original"))
    references = set()
    for story_id, version, document in originals:
        text = document if isinstance(document, str) else json.dumps(document)
        for match in _MEDIA_LINK.finditer(text):
            references.add((match.group(1).lower(), story_id, version))
    if references:
        conn.execute(
            sa.text("INSERT INTO media_references (sha256, story_id, version) VALUES (:sha256, :story_id, :version)"),
            [{"sha256": sha, "story_id": story, "version": version} for sha, story, version in sorted(references)],
        )


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("media_references", schema=None) as batch_op:
        batch_op.drop_index("ix_media_references_story_id")

    op.drop_table("media_references")
    op.drop_table("media_uploads")
