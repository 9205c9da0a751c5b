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


def test_forget_containing_drops_sentences_holding_a_form_as_whole_words(tmp_path: Path) -> None:
    memory = TranslationMemory(tmp_path / "tm.sqlite3")
    lines = {
        "Prezident İlham Əliyev Bakıda çıxış edib.": "a",
        "PREZİDENT İLHAM ƏLİYEV ÇIXIŞ EDİB.": "b",  # upper case, Turkic dotted capital İ
        "President ILHAM   Aliyev spoke.": "c",  # an English keyboard's I, a whitespace run
        "Əliyevin sözləri.": "d",  # an inflected form is another word
        "Həsənəliyev gəldi.": "e",  # the form inside a longer word
        "İlham gəldi.": "f",  # part of the term only
        "Президент Ильхам Алиев выступил.": "g",
    }
    uzbek = {"Oʻzbekiston Respublikasi.": "h", "Bo‘ston.": "i"}
    memory.store("az>en", dict(list(lines.items())[:6]))
    memory.store("ru>en", dict(list(lines.items())[6:]))

    memory.store("uz>en", uzbek)
    forgotten = memory.forget_containing(["İlham Əliyev", "Ilham Aliyev", "Ильхам Алиев", "O'zbekiston"])

    assert forgotten == 5
    assert memory.lookup("uz>en", list(uzbek)) == {"Bo‘ston.": "i"}  # Uzbek apostrophes are one
    assert memory.lookup("az>en", list(lines)) == {
        "Əliyevin sözləri.": "d",
        "Həsənəliyev gəldi.": "e",
        "İlham gəldi.": "f",
    }
    assert memory.lookup("ru>en", list(lines)) == {}
    assert memory.forget_containing([]) == 0 and memory.forget_containing(["  ", "—"]) == 0
    assert len(memory) == 4
    memory.close()


def test_a_memory_file_from_before_sources_were_kept_is_upgraded_and_emptied(tmp_path: Path) -> None:
    path = tmp_path / "tm.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE sentence_memory (key BLOB PRIMARY KEY, translation TEXT NOT NULL) WITHOUT ROWID")
    old.execute("INSERT INTO sentence_memory VALUES (x'00', 'an old line')")
    old.commit()
    old.close()

    memory = TranslationMemory(path)
    # Rows without their source could never be forgotten when a term is added: dropped.
    assert len(memory) == 0
    memory.store("s", {"Bakı gözəldir.": "Baku is beautiful."})
    assert memory.forget_containing(["Bakı"]) == 1
    memory.close()
    # Opening it again changes nothing.
    again = TranslationMemory(path)
    again.store("s", {"Gəncə.": "Ganja."})
    assert len(again) == 1
    again.close()
