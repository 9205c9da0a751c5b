"""The translation memory file: scoped keys, WAL mode, sharing between processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from translation.memory import TranslationMemory

WRITER = """
import sys
from pathlib import Path
from translation.memory import TranslationMemory
memory = TranslationMemory(Path(sys.argv[1]))
for n in range(50):
    memory.store("pkg@1:az>en:beam=4", {f"line {n} {i}": f"out {n} {i}" for i in range(20)})
memory.close()
"""


def test_lookup_is_scoped_and_store_overwrites(tmp_path: Path) -> None:
    memory = TranslationMemory(tmp_path / "tm.sqlite3")
    memory.store("a", {"Salam.": "Hello.", "Sağ ol.": "Thanks."})
    memory.store("a", {"Salam.": "Hi."})

    assert memory.lookup("a", ["Salam.", "Sağ ol.", "Yox."]) == {"Salam.": "Hi.", "Sağ ol.": "Thanks."}
    assert memory.lookup("b", ["Salam."]) == {}
    assert len(memory) == 2
    memory.close()


def test_large_lookups_are_chunked(tmp_path: Path) -> None:
    memory = TranslationMemory(tmp_path / "tm.sqlite3")
    lines = {f"sentence {i}": f"cümlə {i}" for i in range(2500)}
    memory.store("s", lines)
    assert memory.lookup("s", list(lines)) == lines
    memory.close()


def test_memory_is_wal_and_shared_by_concurrent_processes(tmp_path: Path) -> None:
    path = tmp_path / "tm.sqlite3"
    reader = TranslationMemory(path)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=Path(__file__).resolve().parents[2])
        for _ in range(2)
    ]
    # Read while the other processes write: WAL readers are never blocked by the writer.
    while any(w.poll() is None for w in writers):
        reader.lookup("pkg@1:az>en:beam=4", ["line 0 0"])
    assert [w.returncode for w in writers] == [0, 0]

    assert reader.lookup("pkg@1:az>en:beam=4", ["line 49 19", "line 0 0"]) == {
        "line 49 19": "out 49 19",
        "line 0 0": "out 0 0",
    }
    assert len(reader) == 1000
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    reader.close()
