"""translation route: the hops a finished translation took

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Translations finished before the upgrade keep ``route`` NULL: the hops were not recorded
then (their ``model`` text still names the packages).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    with op.batch_alter_table("translation_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("translation_jobs", schema=None) as batch_op:
        batch_op.drop_column("route")
