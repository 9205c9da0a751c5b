"""The translation memory in the hub's database, for a hub on PostgreSQL: every worker on
every machine reads and writes one table, so a sentence one worker translated is a hit
for all of them, and hits are counted in the database, not per process.

The embedded hub (SQLite) keeps the memory file of ``translation.memory``: the hub's
SQLite database has one writer at a time, and a cache should not queue behind pushes.

Keys are the engine's (sha256 of scope and sentence), so the same scope gives the same
key in the file and in the table. Writes never overwrite: two workers that translated
the same sentence with the same model wrote the same line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, cast

from sqlalchemy import Engine, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from hub.config import Settings
from hub.db import make_engine
from hub.models import MemoryCounter, MemoryEntry
from translation.glossary import fold, phrase_test
from translation.memory import MemoryFigures, SentenceMemory, TranslationMemory

CHUNK = 500  # keys per IN (…) and rows per insert
HITS = "hits"
GLOSSARY_POSITION = "glossary_position"


def memory_key(scope: str, sentence: str) -> bytes:
    """The key of ``translation.memory``'s file, so both stores agree on what a line is."""
    return hashlib.sha256(f"{scope}\x00{sentence}".encode()).digest()


def _chunks(items: Sequence[bytes], size: int = CHUNK) -> Iterable[Sequence[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_memory(settings: Settings) -> SentenceMemory | None:
    """The memory a worker's engine uses: the hub database's on PostgreSQL (through a
    small connection pool of its own, closed with the engine), the data dir's file on
    SQLite, none when ``ULAK_TRANSLATION_MEMORY=false``."""
    if not settings.translation_memory:
        return None
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        return DatabaseMemory(make_engine(url, pool_size=2, max_overflow=2), owned=True)
    return TranslationMemory(settings.translation_memory_path)


MemoryStore = Literal["database", "file", "off"]


def memory_figures(settings: Settings, database: Engine) -> tuple[MemoryStore, MemoryFigures | None]:
    """(where the memory is, its figures) for ``GET /v1/admin/queue``; the file's only when
    it exists (the API process does not create it)."""
    if not settings.translation_memory:
        return "off", None
    if database.dialect.name == "postgresql":
        return "database", DatabaseMemory(database).figures()
    if not settings.translation_memory_path.exists():
        return "file", MemoryFigures(entries=0, hits=0)
    memory = TranslationMemory(settings.translation_memory_path)
    try:
        return "file", memory.figures()
    finally:
        memory.close()


class DatabaseMemory:
    """``translation.memory.SentenceMemory`` on the hub's database (PostgreSQL)."""

    def __init__(self, engine: Engine, *, owned: bool = False) -> None:
        self.engine, self.owned = engine, owned
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def lookup(self, scope: str, sentences: Sequence[str]) -> dict[str, str]:
        keyed = {memory_key(scope, s): s for s in sentences}
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(keyed)):
                rows = conn.execute(select(MemoryEntry.key, MemoryEntry.translation).where(MemoryEntry.key.in_(chunk)))
                for key, translation in rows:
                    found[keyed[bytes(key)]] = translation
        if found:
            self._add(HITS, len(found))
        return found

    def store(self, scope: str, translations: Mapping[str, str], *, digest: str = "") -> None:
        rows = [
            {"key": memory_key(scope, source), "digest": digest, "source": source, "folded": fold(source)}
            | {"translation": target}
            for source, target in translations.items()
        ]
        table = cast(Table, MemoryEntry.__table__)
        with self.engine.begin() as conn:
            for start in range(0, len(rows), CHUNK):
                statement = self._insert(table).values(rows[start : start + CHUNK])
                conn.execute(statement.on_conflict_do_nothing(index_elements=[table.c.key]))

    def forget_containing(self, forms: Iterable[str]) -> int:
        """Candidates by a substring match on the folded source (one scan per form), then
        the exact whole-word rule of the glossary in Python, as in the memory file."""
        forms = [form for form in forms if form.strip()]
        holds = phrase_test(forms)
        if holds is None:
            return 0
        forgotten = 0
        with self.engine.begin() as conn:
            for folded in sorted({fold(form).strip() for form in forms} - {""}):
                pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                candidates = conn.execute(
                    select(MemoryEntry.key, MemoryEntry.source).where(MemoryEntry.folded.like(pattern, escape="\\"))
                )
                doomed = [bytes(key) for key, source in candidates if holds(source)]
                for chunk in _chunks(doomed):
                    forgotten += conn.execute(delete(MemoryEntry).where(MemoryEntry.key.in_(chunk))).rowcount
        return forgotten

    def glossary_position(self) -> int:
        return self._value(GLOSSARY_POSITION)

    def record_glossary_position(self, position: int) -> None:
        table = cast(Table, MemoryCounter.__table__)
        statement = self._insert(table).values(name=GLOSSARY_POSITION, value=position)
        # Only forward: another worker may have recorded a newer change meanwhile.
        newer = func.greatest if self.engine.dialect.name == "postgresql" else func.max
        with self.engine.begin() as conn:
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.name], set_={"value": newer(table.c.value, statement.excluded.value)}
                )
            )

    def figures(self) -> MemoryFigures:
        with self.engine.connect() as conn:
            entries = conn.scalar(select(func.count()).select_from(MemoryEntry)) or 0
        return MemoryFigures(entries=int(entries), hits=self._value(HITS))

    def _add(self, name: str, amount: int) -> None:
        table = cast(Table, MemoryCounter.__table__)
        statement = self._insert(table).values(name=name, value=amount)
        with self.engine.begin() as conn:
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.name], set_={"value": table.c.value + statement.excluded.value}
                )
            )

    def _value(self, name: str) -> int:
        with self.engine.connect() as conn:
            value = conn.scalar(select(MemoryCounter.value).where(MemoryCounter.name == name))
        return int(value or 0)

    def __len__(self) -> int:
        return self.figures().entries

    def close(self) -> None:
        if self.owned:
            self.engine.dispose()
