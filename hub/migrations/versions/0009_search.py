"""search: the searchable text of current story versions, and each engine's index over it

PostgreSQL: ``unaccent`` and a text search configuration ``ulak_search`` (``simple``
with ``unaccent``: PostgreSQL has no Azerbaijani, Uzbek or Kazakh stemmer), generated
tsvector columns over the folded words and a GIN index on each. SQLite: an FTS5 table
(``ascii`` tokenizer: the words arrive folded and space-separated, see
hub/search/text.py) over the same columns, kept in step by triggers.

Existing stories are indexed by ``ulak db upgrade`` after this revision (``ulak search
reindex``), not here: the folding is application code, and a migration must not
depend on code that may change after it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PG_TOKEN_TYPES = "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart"

_SQLITE_SYNC = (
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, terms, latin_terms) VALUES (new.id, new.terms, new.latin_terms); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms, latin_terms) "
    "VALUES ('delete', old.id, old.terms, old.latin_terms); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms, latin_terms) "
    "VALUES ('delete', old.id, old.terms, old.latin_terms); "
    "INSERT INTO search_fts(rowid, terms, latin_terms) VALUES (new.id, new.terms, new.latin_terms); END",
)


def upgrade() -> None:
    """Upgrade schema."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE TEXT SEARCH CONFIGURATION ulak_search (COPY = simple)")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION ulak_search ALTER MAPPING FOR {_PG_TOKEN_TYPES} WITH unaccent, simple"
        )
    op.create_table(
        "search_documents",
        sa.Column("id", _ID, nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("agency_id", _ID, nullable=False),
        sa.Column("version_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("latin_terms", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"]),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("story_id", "language", name="uq_search_documents_story_language"),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index("ix_search_documents_order", ["version_created", "story_id", "language"], unique=False)
    if dialect == "postgresql":
        op.execute(
            "ALTER TABLE search_documents "
            "ADD COLUMN terms_vector tsvector GENERATED ALWAYS AS (to_tsvector('ulak_search', terms)) STORED, "
            "ADD COLUMN latin_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('ulak_search', coalesce(latin_terms, ''))) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_terms_vector ON search_documents USING gin (terms_vector)")
        op.execute("CREATE INDEX ix_search_documents_latin_vector ON search_documents USING gin (latin_vector)")
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "terms, latin_terms, content='search_documents', content_rowid='id', tokenize='ascii')"
        )
        for statement in _SQLITE_SYNC:
            op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_order")
    op.drop_table("search_documents")
    if dialect == "postgresql":
        # unaccent stays: other objects in the database may use it.
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS ulak_search")
