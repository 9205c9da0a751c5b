"""served documents: each language version keeps its document as served, ready to splice

``language_versions.served`` (the document as JSON without ``pubStatus`` and
``associations``) and ``served_associations`` (its own associations, without the links
between language versions; NULL when it has none), so a feed page is assembled from
stored text instead of decoding and encoding a hundred documents (hub/stories/served.py).
Existing rows are filled here, in batches. The splitting is copied below, not imported:
a migration must not change when application code does.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_LINK_RELS = ("translation", "translatedFrom")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _served_texts(document: dict[str, Any]) -> tuple[str, str | None]:
    rest = {k: v for k, v in document.items() if k not in ("pubStatus", "associations")}
    associations = document.get("associations")
    own = None
    if isinstance(associations, list):
        own = _dumps([a for a in associations if not (isinstance(a, dict) and a.get("rel") in _LINK_RELS)])
    elif "associations" in document:
        rest = {"associations": associations, **rest}
    return _dumps(rest), own


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("served", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("served_associations", sa.Text(), nullable=True))

    bind = op.get_bind()
    rows = sa.table(
        "language_versions",
        sa.column("id", sa.BigInteger()),
        sa.column("document", sa.JSON()),
        sa.column("served", sa.Text()),
        sa.column("served_associations", sa.Text()),
    )
    last = 0
    while True:
        batch = bind.execute(
            sa.select(rows.c.id, rows.c.document).where(rows.c.id > last).order_by(rows.c.id).limit(_BATCH)
        ).all()
        if not batch:
            break
        values = []
        for row_id, document in batch:
            served, own = _served_texts(document)
            values.append({"row_id": row_id, "served": served, "own": own})
        bind.execute(
            rows.update()
            .where(rows.c.id == sa.bindparam("row_id"))
            .values(served=sa.bindparam("served"), served_associations=sa.bindparam("own")),
            values,
        )
        last = batch[-1][0]

    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.alter_column("served", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("language_versions", schema=None) as batch_op:
        batch_op.drop_column("served_associations")
        batch_op.drop_column("served")
