"""The translation memory: a sentence-level cache of model outputs, shared by worker processes.

``SentenceMemory`` is what the engine needs of one; ``TranslationMemory`` here is the
embedded one, a SQLite file shared by the workers of one host. A hub on PostgreSQL keeps
the memory in its database instead (hub/jobs/memory.py), so every worker on every machine
shares it.

A hit needs the same package content (its digest, not only code and version), the same direction and decoding settings and the
same source sentence, so a cached line is exactly what the model would produce again. It is
one SQLite file in WAL mode: readers never block the one writer, and several worker
processes on a host share what each of them translated.

Rows are keyed by a hash, but also keep their source sentence, so that the entries of
sentences holding a glossary term can be forgotten when the glossary changes
(``forget_containing``). A file written before the source was kept gets the column on
open and loses its rows: without their source they could never be forgotten, so a term
added later would leave their old translations answering forever. It is a cache; the
cost is one re-translation of each sentence.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from translation.glossary import phrase_test

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_memory (
    key BLOB PRIMARY KEY,
    translation TEXT NOT NULL,
    source TEXT
) WITHOUT ROWID
"""
_META = """
CREATE TABLE IF NOT EXISTS memory_meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID
"""
# SQLite's default limit on bound parameters is 999 on old builds; stay below it.
_CHUNK = 500


def _key(scope: str, sentence: str) -> bytes:
    return hashlib.sha256(f"{scope}\x00{sentence}".encode()).digest()


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class MemoryFigures:
    entries: int  # sentences held
    hits: int  # sentences served from it, by every process using it, since it was created


class SentenceMemory(Protocol):
    """A cache of model outputs: ``lookup``/``store`` translations of sentences within a
    scope (one package's content, direction and decoding settings; ``digest`` names the
    package content alone, so a store can drop a removed package's lines)."""

    def lookup(self, scope: str, sentences: Sequence[str]) -> dict[str, str]: ...

    def store(self, scope: str, translations: Mapping[str, str], *, digest: str = "") -> None: ...

    def forget_containing(self, forms: Iterable[str]) -> int:
        """Delete the entries whose source holds one of ``forms`` (``translation.glossary.phrase_test``)."""
        ...

    def glossary_position(self) -> int:
        """The newest glossary change whose terms were forgotten (0: none)."""
        ...

    def record_glossary_position(self, position: int) -> None: ...

    def figures(self) -> MemoryFigures: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class TranslationMemory:
    """The memory in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable enough for a cache: a crash may lose the last lines, never corrupt.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.execute(_META)
        self._add_source_column()

    def _add_source_column(self) -> None:
        """Upgrade a file from before sources were kept (see the module docstring)."""
        if "source" in self._columns():
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if "source" not in self._columns():  # another process may have done it meanwhile
                self._db.execute("DELETE FROM sentence_memory")
                self._db.execute("ALTER TABLE sentence_memory ADD COLUMN source TEXT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _columns(self) -> set[str]:
        return {row[1] for row in self._db.execute("PRAGMA table_info(sentence_memory)")}

    def lookup(self, scope: str, sentences: Sequence[str]) -> dict[str, str]:
        keyed = {_key(scope, s): s for s in sentences}
        found: dict[str, str] = {}
        with self._lock:
            for chunk in _chunks(list(keyed)):  # type: ignore[arg-type]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, translation FROM sentence_memory WHERE key IN ({marks})", chunk)
                for key, translation in rows:
                    found[keyed[key]] = translation
            if found:
                self._add_to("hits", len(found))
        return found

    def _add_to(self, name: str, amount: int) -> None:
        self._db.execute(
            "INSERT INTO memory_meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, amount),
        )

    def _meta(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM memory_meta WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def glossary_position(self) -> int:
        with self._lock:
            return self._meta("glossary_position")

    def record_glossary_position(self, position: int) -> None:
        with self._lock:
            # Only forward: another process may have recorded a newer change meanwhile.
            self._db.execute(
                "INSERT INTO memory_meta (name, value) VALUES ('glossary_position', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (position,),
            )

    def figures(self) -> MemoryFigures:
        with self._lock:
            entries = self._db.execute("SELECT count(*) FROM sentence_memory").fetchone()[0]
            return MemoryFigures(entries=int(entries), hits=self._meta("hits"))

    def store(self, scope: str, translations: Mapping[str, str], *, digest: str = "") -> None:
        if not translations:
            return
        rows = [(_key(scope, source), target, source) for source, target in translations.items()]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO sentence_memory (key, translation, source) VALUES (?, ?, ?)", rows
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def forget_containing(self, forms: Iterable[str]) -> int:
        """Delete the entries whose source sentence holds one of ``forms`` as whole words,
        compared as the engine finds glossary terms (``translation.glossary.fold``); returns
        how many went."""
        holds = phrase_test(forms)
        if holds is None:
            return 0
        with self._lock:
            # One pass over the table in SQL, the matching in Python: SQLite calls the
            # function once per row, inside the write transaction that deletes.
            self._db.create_function("ulak_holds_phrase", 1, holds, deterministic=True)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "DELETE FROM sentence_memory WHERE source IS NOT NULL AND ulak_holds_phrase(source)"
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return cursor.rowcount

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM sentence_memory").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
