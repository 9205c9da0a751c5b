"""language versions: the served texts stay in the row, uncompressed while they fit

PostgreSQL only (SQLite keeps every value as it is). A language version's row holds the
stored document (``document``) and the text feed pages serve (``served``), each about
2 KB for a typical story, so the row is over PostgreSQL's 2 KB toast threshold. The
toaster then compressed both with pglz and moved the larger one out of the row: which
one depended on how well each compressed, often ``served``. A feed page read a hundred
served texts and decompressing them with pglz was two thirds of the page query's
execution (0.38 of 0.54 ms), fetching out-of-row ones more.

``served`` and ``served_associations`` get storage MAIN: the toaster compresses and
moves the other columns out first (``document``, which only single-story and Atom reads
use) and touches these only if the row is still too big. When a served text has to be
compressed after all (a long story), it is with LZ4 where the server has it (PostgreSQL
14 and later, when built with it, as Debian's and the official images are): decompressing
is several times faster than pglz.

Rows already stored keep their layout (they are served all the same); rewriting them is
optional: ``UPDATE language_versions SET served = served || ''`` then ``VACUUM``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("served", "served_associations")


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"ALTER TABLE language_versions ALTER COLUMN {column} SET STORAGE MAIN")
    if _has_lz4(bind):
        for column in COLUMNS:
            op.execute(f"ALTER TABLE language_versions ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    """Downgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"ALTER TABLE language_versions ALTER COLUMN {column} SET STORAGE EXTENDED")
    if _has_lz4(bind):
        for column in COLUMNS:
            op.execute(f"ALTER TABLE language_versions ALTER COLUMN {column} SET COMPRESSION DEFAULT")


def _has_lz4(bind: Connection) -> bool:
    """Whether the server can compress a column with LZ4: PostgreSQL 14 and later lists it
    among the values of ``default_toast_compression`` when it was built with it."""
    query = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    found = bind.execute(text(query)).scalar()
    return bool(found)
