"""The worker and the glossary: each document gets its agency's terms (which win over
hub-wide ones), and glossary changes make the workers forget stale memory entries."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, select

from hub.glossary.service import applicable_terms
from hub.jobs.worker import TranslationWorker
from hub.models import MemoryEntry
from tests.fixtures.hub import HubHarness, story
from translation.glossary import Term

TARGETS = ("tr", "ru", "uz", "en")
# The hub-wide term and AZERTAC's share the Azerbaijani form; AZERTAC's spelling wins.
HUB_WIDE = {
    "az": "İlham Əliyev",
    "tr": "İlham Aliyev",
    "ru": "Ильхам Алиев",
    "uz": "Ilhom Aliyev",
    "en": "Ilham Aliyev",
}
AZERTAC_OWN = {
    "az": "İLHAM ƏLİYEV",
    "tr": "Ilham Aliyev",
    "ru": "Ильхам Гейдар оглы Алиев",
    "uz": "Ilhom Aliyev",
    "en": "Ilham Heydar oglu Aliyev",
}
KARABAKH = {"az": "Qarabağ", "tr": "Karabağ", "en": "Karabakh"}


def add_terms(hub: HubHarness, key: str, *forms: dict) -> list[int]:
    answer = hub.client.post("/v1/glossary", json=[{"forms": f} for f in forms], headers=hub.auth(key))
    assert answer.status_code == 201, answer.text
    return [term["id"] for term in answer.json()["added"]]


def remembered_sources(hub: HubHarness) -> set[str]:
    """The sources in the workers' memory: the hub's database on PostgreSQL, the file on SQLite."""
    if hub.runtime.engine.dialect.name == "postgresql":
        with hub.runtime.read() as session:
            return set(session.scalars(select(MemoryEntry.source)))
    with sqlite3.connect(hub.runtime.settings.translation_memory_path) as db:
        return {row[0] for row in db.execute("SELECT source FROM sentence_memory")}


def test_an_agency_term_wins_over_a_hub_wide_term_sharing_a_source_form() -> None:
    hub_wide = [Term({k: [v] for k, v in HUB_WIDE.items()}), Term({"az": ["Qarabağ"], "en": ["Karabakh"]})]
    own = [Term({k: [v] for k, v in AZERTAC_OWN.items()})]
    # Compared as the matcher compares them: case and the Turkic dotted İ do not matter.
    assert applicable_terms(hub_wide, own, "az") == (own[0], hub_wide[1])
    # In another source language they share no form: both stay, the agency's first.
    assert applicable_terms(hub_wide, own, "ru") == (own[0], *hub_wide)
    assert applicable_terms(hub_wide, [], "az") == tuple(hub_wide)


def test_the_worker_gives_each_document_its_agencys_glossary(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    admin = hub.agency("ulak", scopes="admin")
    azertac, uza = hub.agency("azertac"), hub.agency("uza")
    hub_wide_id, karabakh_id = add_terms(hub, admin, HUB_WIDE, KARABAKH)
    [own_id] = add_terms(hub, azertac, AZERTAC_OWN)
    add_terms(hub, uza, {"uz": "Toshkent", "ru": "Ташкент"})
    hub.client.post("/v1/stories", json=story("az-1", body="İlham Əliyev Qarabağda."), headers=hub.auth(azertac))
    hub.client.post("/v1/stories", json=story("az-2", body="İlham Əliyev Qarabağda."), headers=hub.auth(uza))

    glossary_queries = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "glossary_terms" in statement:
            glossary_queries.append(statement)

    event.listen(hub.runtime.engine, "before_cursor_execute", count)
    try:
        batch = worker.claim()
    finally:
        event.remove(hub.runtime.engine, "before_cursor_execute", count)
    documents = worker.documents(batch)
    assert len(glossary_queries) == 1  # once per batch of 8 jobs from 2 agencies, not per job

    assert len(documents) == 2 * len(TARGETS)
    glossaries = {
        (item.agency_code, doc.target_langs[0]): doc.glossary for item, doc in zip(batch, documents, strict=True)
    }
    for lang in TARGETS:
        # AZERTAC's own term, not the hub-wide one it overrides; the hub-wide Karabakh stays.
        assert [term.forms["az"] for term in glossaries[("azertac", lang)]] == [[AZERTAC_OWN["az"]], [KARABAKH["az"]]]
        assert glossaries[("azertac", lang)][0].target_form(lang) == AZERTAC_OWN[lang]
        # UZA has no term of its own for him: the hub-wide one; its Tashkent, not AZERTAC's terms.
        assert [term.target_form("az") for term in glossaries[("uza", lang)]] == [None, HUB_WIDE["az"], KARABAKH["az"]]
    assert hub_wide_id < karabakh_id < own_id


def test_adding_a_term_makes_workers_forget_the_sentences_holding_it(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    azertac = hub.agency("azertac")
    holding, unrelated = "Prezident İlham Əliyev Bakıda görüş keçirib.", "Nazirlik yeni layihə açıqlayıb."
    hub.client.post("/v1/stories", json=story("az-1", body=f"{holding} {unrelated}"), headers=hub.auth(azertac))
    worker.run_until_idle()
    assert {holding, unrelated} <= remembered_sources(hub)
    assert worker.apply_glossary_changes() == 0  # nothing changed: nothing forgotten

    add_terms(hub, azertac, {"az": "İLHAM ƏLİYEV", "en": "Ilham Aliyev"})
    other_worker = TranslationWorker(hub.runtime, worker.engine)  # a worker that was started before
    other_worker.glossary_change_seen = worker.glossary_change_seen
    assert other_worker.run_once() == 0  # polls the change log before claiming

    remaining = remembered_sources(hub)
    assert holding not in remaining and unrelated in remaining
    # Applied once: the next poll finds nothing new.
    assert other_worker.apply_glossary_changes() == 0


def test_deleting_a_term_is_heard_too(translating_hub: HubHarness, worker: TranslationWorker) -> None:
    hub = translating_hub
    admin = hub.agency("ulak", scopes="admin")
    [term_id] = add_terms(hub, admin, KARABAKH)
    assert worker.apply_glossary_changes() == 0  # the memory is empty yet
    worker.engine.memory.store("az>en", {"Qarabağ gözəldir.": "x", "Bakı gözəldir.": "y"})  # type: ignore[union-attr]
    assert hub.client.delete(f"/v1/glossary/{term_id}", headers=hub.auth(admin)).status_code == 200
    assert worker.apply_glossary_changes() == 1
    assert remembered_sources(hub) == {"Bakı gözəldir."}


def test_a_pushed_story_gets_the_agency_form_in_every_translation(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    # The engine keeps terms from the models (translation.protection, branch glossary-engine);
    # without it the synthetic models' gibberish replaces the names.
    pytest.importorskip("translation.protection", reason="needs the engine's term protection (glossary-engine)")
    hub = translating_hub
    admin = hub.agency("ulak", scopes="admin")
    azertac = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    add_terms(hub, admin, HUB_WIDE)
    add_terms(hub, azertac, AZERTAC_OWN)
    body = "Prezident İlham Əliyev Bakıda görüş keçirib. İlham Əliyev yeni layihə açıqlayıb."
    pushed = hub.client.post("/v1/stories", json=story("az-1", body=body), headers=hub.auth(azertac)).json()

    worker.run_until_idle()

    for lang in TARGETS:
        translated = hub.client.get(f"/v1/stories/{pushed['id']}?lang={lang}", headers=hub.auth(reader)).json()
        text = translated["bodies"][0]["value"]
        assert text.count(AZERTAC_OWN[lang]) == 2, (lang, text)
        if HUB_WIDE[lang] != AZERTAC_OWN[lang]:
            assert HUB_WIDE[lang] not in text, (lang, text)
