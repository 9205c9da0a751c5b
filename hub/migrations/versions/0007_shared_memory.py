"""shared translation memory: the memory of every worker in the hub's database (PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Created on every database, used on PostgreSQL (the embedded SQLite hub keeps its memory
file). Starts empty: the memory is a cache, each worker's old file is left alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "translation_memory",
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("translation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.create_index("ix_translation_memory_digest", ["digest"], unique=False)
    op.create_table(
        "translation_memory_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    """Downgrade schema."""

    op.drop_table("translation_memory_counters")
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.drop_index("ix_translation_memory_digest")
    op.drop_table("translation_memory")
