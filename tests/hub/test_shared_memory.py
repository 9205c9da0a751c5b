"""The translation memory in the hub's database (hub/jobs/memory.py): what one worker
translated is a hit for another, hits are counted in the database, glossary changes
forget the same entries as in the embedded file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.db import make_engine
from hub.jobs.memory import DatabaseMemory, build_memory
from hub.jobs.worker import TranslationWorker, build_engine
from tests.fixtures.hub import HubHarness, story
from translation.memory import TranslationMemory

BODY = "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən jurnalistlər iştirak edir."


@pytest.fixture
def memory(database_url: str) -> DatabaseMemory:
    return DatabaseMemory(make_engine(database_url), owned=True)


def test_lookup_is_scoped_and_a_line_is_never_overwritten(memory: DatabaseMemory) -> None:
    memory.store("a", {"Salam.": "Hello.", "Sağ ol.": "Thanks."}, digest="d1")
    memory.store("a", {"Salam.": "Hi."}, digest="d1")  # another worker, the same model: same line

    assert memory.lookup("a", ["Salam.", "Sağ ol.", "Yox."]) == {"Salam.": "Hello.", "Sağ ol.": "Thanks."}
    assert memory.lookup("b", ["Salam."]) == {}
    assert len(memory) == 2
    assert memory.figures().hits == 2
    memory.close()


def test_large_batches_are_chunked(memory: DatabaseMemory) -> None:
    lines = {f"sentence {i}": f"cümlə {i}" for i in range(1200)}
    memory.store("s", lines, digest="d")
    assert memory.lookup("s", list(lines)) == lines
    memory.close()


def test_two_workers_share_lines_and_hits(database_url: str) -> None:
    one = DatabaseMemory(make_engine(database_url), owned=True)
    two = DatabaseMemory(make_engine(database_url), owned=True)
    one.store("az>en", {"Bakı gözəldir.": "Baku is beautiful."}, digest="d")
    assert two.lookup("az>en", ["Bakı gözəldir."]) == {"Bakı gözəldir.": "Baku is beautiful."}
    assert one.lookup("az>en", ["Bakı gözəldir.", "Yox."]) == {"Bakı gözəldir.": "Baku is beautiful."}
    assert one.figures().hits == two.figures().hits == 2
    one.close()
    two.close()


def test_forgetting_matches_the_memory_file(memory: DatabaseMemory, tmp_path: Path) -> None:
    """The same sentences and forms as the file's test: both stores forget the same lines."""
    lines = {
        "Prezident İlham Əliyev Bakıda çıxış edib.": "a",
        "PREZİDENT İLHAM ƏLİYEV ÇIXIŞ EDİB.": "b",
        "President ILHAM   Aliyev spoke.": "c",
        "Əliyevin sözləri.": "d",
        "Həsənəliyev gəldi.": "e",
        "İlham gəldi.": "f",
        "Президент Ильхам Алиев выступил.": "g",
        "Oʻzbekiston Respublikasi.": "h",
        "Bo‘ston.": "i",
        "100% of 5_000 [x]": "j",  # LIKE's own characters in a source
    }
    forms = ["İlham Əliyev", "Ilham Aliyev", "Ильхам Алиев", "O'zbekiston", "100%", "5_000"]
    file = TranslationMemory(tmp_path / "tm.sqlite3")
    for store in (memory, file):
        store.store("s", lines, digest="d")

    forgotten = memory.forget_containing(forms)

    assert forgotten == file.forget_containing(forms) == 6
    assert memory.lookup("s", list(lines)) == file.lookup("s", list(lines))
    assert set(memory.lookup("s", list(lines))) == {
        "Əliyevin sözləri.",
        "Həsənəliyev gəldi.",
        "İlham gəldi.",
        "Bo‘ston.",
    }
    assert memory.forget_containing([]) == 0 and memory.forget_containing(["  "]) == 0
    memory.close()
    file.close()


def test_the_glossary_position_only_moves_forward(memory: DatabaseMemory) -> None:
    assert memory.glossary_position() == 0
    memory.record_glossary_position(5)
    memory.record_glossary_position(3)  # a slower worker reporting an older change
    assert memory.glossary_position() == 5
    memory.close()


def test_a_worker_uses_the_database_on_postgresql_and_the_file_on_sqlite(translating_hub: HubHarness) -> None:
    memory = build_memory(translating_hub.runtime.settings)
    expected = DatabaseMemory if translating_hub.runtime.engine.dialect.name == "postgresql" else TranslationMemory
    assert isinstance(memory, expected)
    assert memory is not None
    memory.close()


def test_a_sentence_one_worker_translated_is_a_hit_for_another(translating_hub: HubHarness) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    admin = hub.agency("ops", scopes="admin")
    settings = hub.runtime.settings
    first_engine, second_engine = build_engine(settings), build_engine(settings)
    first = TranslationWorker(hub.runtime, first_engine, name="machine-1")
    second = TranslationWorker(hub.runtime, second_engine, name="machine-2")
    try:
        hub.client.post("/v1/stories", json=story("one", body=BODY), headers=hub.auth(key)).raise_for_status()
        first.run_until_idle()
        assert first_engine.stats.memory_hits == 0
        # The same sentences in another story, translated by the other worker.
        hub.client.post("/v1/stories", json=story("two", body=BODY), headers=hub.auth(key)).raise_for_status()
        second.run_until_idle()
        assert second_engine.stats.memory_hits > 0
        assert second_engine.stats.sentences_translated == 0
        queue = hub.client.get("/v1/admin/queue", headers=hub.auth(admin)).json()
    finally:
        first_engine.close()
        second_engine.close()
    on_postgresql = hub.runtime.engine.dialect.name == "postgresql"
    assert queue["memory"]["store"] == ("database" if on_postgresql else "file")
    assert queue["memory"]["hits"] == second_engine.stats.memory_hits
    assert queue["memory"]["entries"] > 0
    assert queue["counts"]["done"] == 8


def test_no_memory_when_it_is_turned_off(database_url: str, tmp_path: Path) -> None:
    from tests.fixtures.hub import make_settings

    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, translation_memory=False)
    assert build_memory(settings) is None
    with HubHarness.start(settings) as hub:
        admin = hub.agency("ops", scopes="admin")
        queue = hub.client.get("/v1/admin/queue", headers=hub.auth(admin)).json()
    assert queue["memory"] == {"store": "off", "entries": None, "hits": None}
