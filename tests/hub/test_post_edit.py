"""Post-editing translations (PUT /v1/stories/{id}/translations/{lang}): who may, what
must match, how the edit is labelled and announced, and that a correction of the
original keeps every edited sentence or paragraph whose source did not change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from hub.jobs.worker import TranslationWorker
from hub.models import TranslationEdit
from hub.stories.ninjs import SCHEMA_PATH
from tests.fixtures.hub import HubHarness, make_settings, story
from translation import EngineStats

P1 = "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən jurnalistlər iştirak edir."
P2 = "Tədbir iki gün davam edəcək."
BODY = f"{P1}\n\n{P2}"
HEADLINE = "Bakıda media forumu"
TR_HEADLINE = "Bakü'de medya forumu"
TR_P1 = "Bakü'de uluslararası medya forumu açıldı. Foruma 40 ülkeden gazeteciler katılıyor."
TR_P2 = "Etkinlik iki gün sürecek."
HUMAN_EDITS = "http://cv.iptc.org/newscodes/digitalsourcetype/humanEdits"
COMPOSITE_SYNTHETIC = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"


@pytest.fixture
def translating_hub(database_url: str, tmp_path: Path, installed_models_dir: Path) -> Iterator[HubHarness]:
    # Turkish only and no translation memory, so the engine's counters are this
    # translation's alone and every sentence they count went through a model.
    settings = make_settings(
        tmp_path / "data",
        database_url,
        embedded_worker=False,
        models_dir=installed_models_dir,
        target_languages=("az", "tr"),
        translation_memory=False,
    )
    with HubHarness.start(settings) as harness:
        yield harness


def push(hub: HubHarness, key: str, body: str = BODY, **extra: Any) -> dict[str, Any]:
    response = hub.client.post(
        "/v1/stories", json=story("az-1", headline=HEADLINE, body=body, **extra), headers=hub.auth(key)
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def put(hub: HubHarness, key: str, story_id: str, lang: str = "tr", **body: Any) -> Any:
    return hub.client.put(f"/v1/stories/{story_id}/translations/{lang}", json=body, headers=hub.auth(key))


def edit_body(version: int = 1, body: str = f"{TR_P1}\n\n{TR_P2}") -> dict[str, Any]:
    return {"version": version, "headlines": [{"value": TR_HEADLINE}], "bodies": [{"value": body}]}


def get(hub: HubHarness, key: str, story_id: str, lang: str = "tr") -> dict[str, Any]:
    response = hub.client.get(f"/v1/stories/{story_id}?lang={lang}", headers=hub.auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def feed(hub: HubHarness, key: str, lang: str = "tr") -> list[dict[str, Any]]:
    return hub.client.get(f"/v1/feed?lang={lang}&limit=100", headers=hub.auth(key)).json()["entries"]


def translations(hub: HubHarness, key: str, story_id: str) -> dict[str, dict[str, Any]]:
    listing = hub.client.get(f"/v1/stories/{story_id}/translations", headers=hub.auth(key)).json()
    return {t["language"]: t for t in listing["translations"]}


def test_who_may_post_edit(translating_hub: HubHarness, worker: TranslationWorker) -> None:
    hub = translating_hub
    owner = hub.agency("azertac")
    story_id = push(hub, owner)["id"]
    worker.run_until_idle()
    turkish_editor = hub.agency("trt", scopes="pull,edit", partner=True, languages="tr")
    russian_editor = hub.agency("tass", scopes="pull,edit", partner=True, languages="ru")
    other_member = hub.agency("apa")
    partner_reader = hub.agency("anka", scopes="pull", partner=True)
    owner_reader = hub.agency("azertac", scopes="pull")

    assert put(hub, owner, story_id, **edit_body()).status_code == 200
    assert put(hub, turkish_editor, story_id, **edit_body()).status_code == 200
    refused = {
        "edit key for another language": (russian_editor, "may post-edit ru only, not 'tr'"),
        "another member agency": (other_member, "belongs to another agency"),
        "a partner's pull key": (partner_reader, "this key has scope(s) pull"),
        "the owner's pull key": (owner_reader, "needs a key with the push scope"),
    }
    for case, (key, message) in refused.items():
        response = put(hub, key, story_id, **edit_body())
        assert response.status_code == 403, case
        assert response.json()["error"] == "forbidden" and message in response.json()["detail"], case
    # Two edits went through, each its own feed entry after the machine translation's.
    assert [e["version"] for e in feed(hub, partner_reader)] == [1, 1, 1]
    assert translations(hub, partner_reader, story_id)["tr"]["editedBy"] == "trt"


def test_an_edit_becomes_the_current_translation_labelled_and_announced(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    owner = hub.agency("azertac", name="AZERTAC")
    editor = hub.agency("trt", scopes="pull,edit", partner=True, name="TRT Haber", languages="tr")
    story_id = push(hub, owner)["id"]
    worker.run_until_idle()
    machine = get(hub, editor, story_id)
    status = translations(hub, editor, story_id)["tr"]
    assert (status["origin"], status["editedBy"], status["editedAt"]) == ("machine", None, None)

    response = put(hub, editor, story_id, **edit_body())

    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited == get(hub, editor, story_id)
    assert edited["headlines"][0]["value"] == TR_HEADLINE
    assert edited["bodies"][0] == {**machine["bodies"][0], "value": f"{TR_P1}\n\n{TR_P2}"}
    assert edited["digitalSourceType"] == {"name": "Human-edited media", "uri": HUMAN_EDITS}
    originator, translator, editing = edited["infoSources"]
    assert originator["literal"] == "azertac" and translator == machine["infoSources"][1]
    assert editing == {"name": "TRT Haber", "role": "editor", "literal": "trt"}
    assert edited["edNote"] == "Machine translation from Azerbaijani (az), post-edited by TRT Haber (trt)"
    assert edited["version"] == "1" and edited["uri"] == machine["uri"]
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    assert list(validator.iter_errors(edited)) == []
    entries = feed(hub, editor)
    assert [e["version"] for e in entries] == [1, 1] and entries[-1]["item"] == edited
    status = translations(hub, editor, story_id)["tr"]
    assert status["origin"] == "edited" and status["editedBy"] == "trt" and status["editedAt"]
    # The checks judged the machine output; a person's text is ok and carries no verdict.
    assert machine["trustIndicators"] and "trustIndicators" not in edited
    assert (status["quality"], status["qualityReasons"]) == ("ok", [])
    # The machine translation's object is still there; the edit has a key of its own.
    keys = [o.key for o in hub.runtime.store.list_objects(f"stories/azertac/{story_id}/1/", recursive=True)]
    assert f"stories/azertac/{story_id}/1/tr.json" in keys
    assert any(k.startswith(f"stories/azertac/{story_id}/1/tr.edit-") for k in keys)
    # The memory: the headline and three body sentences, each aligned to its source.
    with hub.runtime.read() as session:
        units = {e.source_text: (e.unit, e.target_text) for e in session.scalars(select(TranslationEdit))}
    assert units == {
        HEADLINE: ("sentence", TR_HEADLINE),
        "Bakıda beynəlxalq media forumu açılıb.": ("sentence", "Bakü'de uluslararası medya forumu açıldı."),
        "Forumda 40 ölkədən jurnalistlər iştirak edir.": ("sentence", "Foruma 40 ülkeden gazeteciler katılıyor."),
        P2: ("sentence", TR_P2),
    }


def test_html_items_are_sanitised_keep_their_content_type_and_survive_a_correction(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    owner = hub.agency("azertac")
    html = [{"role": "main", "contentType": "text/html", "value": f"<p>{P1}</p><p>{P2}</p>"}]
    response = hub.client.post(
        "/v1/stories", json=story("az-html", headline=HEADLINE) | {"bodies": html}, headers=hub.auth(owner)
    )
    story_id = response.json()["id"]
    worker.run_until_idle()
    edited = put(
        hub,
        owner,
        story_id,
        version=1,
        bodies=[{"value": f"<p onclick='x()'>{TR_P1}</p><p>{TR_P2}<script>x()</script></p>"}],
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["bodies"] == [
        {"role": "main", "contentType": "text/html", "value": f"<p>{TR_P1}</p><p>{TR_P2}</p>"}
    ]
    emptied = put(hub, owner, story_id, version=1, bodies=[{"value": "<script>x()</script>"}])
    assert emptied.status_code == 422 and emptied.json()["fields"][0]["field"] == "bodies.0.value"

    # Same markup: aligned text node by text node, so the first paragraph survives.
    html[0]["value"] = f"<p>{P1}</p><p>Tədbir üç gün davam edəcək.</p>"
    hub.client.post("/v1/stories", json=story("az-html", headline=HEADLINE) | {"bodies": html}, headers=hub.auth(owner))
    worker.run_until_idle()
    corrected = get(hub, owner, story_id)["bodies"][0]["value"]
    assert corrected.startswith(f"<p>{TR_P1}</p><p>") and f"<p>{TR_P2}</p>" not in corrected


def test_refusals_change_nothing(translating_hub: HubHarness, worker: TranslationWorker) -> None:
    hub = translating_hub
    owner = hub.agency("azertac")
    story_id = push(hub, owner)["id"]
    worker.run_until_idle()
    machine = get(hub, owner, story_id)

    stale = put(hub, owner, story_id, **edit_body(version=2))
    assert stale.status_code == 409 and "not the current version" in stale.json()["detail"]
    bodies = put(hub, owner, story_id, version=1, bodies=[{"value": "Bir."}, {"value": "İki."}])
    assert bodies.status_code == 422 and bodies.json()["fields"] == [
        {"field": "bodies", "message": "2 item(s) given; the translation has 1"}
    ]
    nothing = put(hub, owner, story_id, version=1)
    assert nothing.status_code == 422 and "at least one of headlines" in nothing.text
    original = put(hub, owner, story_id, "az", **edit_body())
    assert original.status_code == 409 and "language of the original" in original.json()["detail"]
    assert put(hub, owner, story_id, "xx", **edit_body()).status_code == 422
    assert put(hub, owner, story_id, "ru", **edit_body()).status_code == 404  # not a target here
    assert put(hub, owner, "nope", **edit_body()).status_code == 404
    assert get(hub, owner, story_id) == machine and len(feed(hub, owner)) == 1
    with hub.runtime.read() as session:
        assert session.scalars(select(TranslationEdit)).all() == []

    push(hub, owner, body=BODY + " Düzəliş.")  # version 2, not translated yet
    pending = put(hub, owner, story_id, **edit_body(version=2))
    assert pending.status_code == 409 and "not translated yet" in pending.json()["detail"]
    assert "is pending" in pending.json()["detail"]
    assert hub.client.post(f"/v1/stories/{story_id}/kill", headers=hub.auth(owner)).status_code == 200
    killed = put(hub, owner, story_id, **edit_body(version=2))
    assert killed.status_code == 409 and "killed" in killed.json()["detail"]


def test_a_correction_keeps_the_edited_sentences_of_unchanged_paragraphs(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    owner = hub.agency("azertac")
    editor = hub.agency("trt", scopes="pull,edit", partner=True, name="TRT Haber", languages="tr")
    story_id = push(hub, owner)["id"]
    worker.run_until_idle()
    assert put(hub, editor, story_id, **edit_body()).status_code == 200
    corrected = "Tədbir üç gün davam edəcək."

    worker.engine.stats = EngineStats()
    push(hub, owner, body=f"{P1}\n\n{corrected}")
    worker.run_until_idle()

    # Three human units (headline, two sentences); only the changed sentence went to a
    # model, once per hop of the pivot (az→en, en→tr).
    stats = worker.engine.stats
    assert (stats.human_hits, stats.sentences_requested, stats.sentences_translated) == (3, 2, 2)
    second = get(hub, owner, story_id)
    assert second["version"] == "2" and second["headlines"][0]["value"] == TR_HEADLINE
    kept, fresh = second["bodies"][0]["value"].split("\n\n")
    assert kept == TR_P1  # both edited sentences, verbatim
    assert fresh == worker.engine.translate_text(corrected, "az", "tr") != TR_P2  # machine output
    assert second["digitalSourceType"]["uri"] == COMPOSITE_SYNTHETIC
    assert second["edNote"] == (
        "Machine translation from Azerbaijani (az); kept 3 post-edited passage(s) whose original did not "
        "change (3 from the post-edit by TRT Haber (trt)); 1 sentence(s) machine-translated anew"
    )
    assert second["infoSources"][-1] == {"name": "TRT Haber", "role": "editor", "literal": "trt"}
    status = translations(hub, owner, story_id)["tr"]
    assert status["origin"] == "mixed" and status["editedBy"] == "trt"


def test_an_edit_that_merges_sentences_is_kept_as_a_paragraph(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    owner = hub.agency("azertac")
    story_id = push(hub, owner)["id"]
    worker.run_until_idle()
    merged = "Bakü'de açılan uluslararası medya forumuna 40 ülkeden gazeteciler katılıyor."
    assert put(hub, owner, story_id, **edit_body(body=f"{merged}\n\n{TR_P2}")).status_code == 200
    with hub.runtime.read() as session:
        units = {e.source_text: (e.unit, e.target_text) for e in session.scalars(select(TranslationEdit))}
    assert units[P1] == ("paragraph", merged)

    worker.engine.stats = EngineStats()
    push(hub, owner, body=f"{P1}\n\nTədbir üç gün davam edəcək.")
    worker.run_until_idle()

    kept, fresh = get(hub, owner, story_id)["bodies"][0]["value"].split("\n\n")
    assert kept == merged and fresh != TR_P2
    stats = worker.engine.stats
    assert (stats.human_hits, stats.sentences_translated) == (2, 2)  # the headline and the paragraph kept


def test_a_correction_that_leaves_the_text_alone_is_all_human(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    owner = hub.agency("azertac", name="AZERTAC")
    story_id = push(hub, owner)["id"]
    worker.run_until_idle()
    assert put(hub, owner, story_id, **edit_body()).status_code == 200

    worker.engine.stats = EngineStats()
    push(hub, owner, urgency=2)  # a new version, same text
    worker.run_until_idle()

    second = get(hub, owner, story_id)
    assert second["version"] == "2" and second["bodies"][0]["value"] == f"{TR_P1}\n\n{TR_P2}"
    assert second["digitalSourceType"]["uri"] == HUMAN_EDITS and worker.engine.stats.sentences_requested == 0
    assert translations(hub, owner, story_id)["tr"]["origin"] == "edited"


def test_an_edit_under_embargo_is_seen_by_the_owner_only_until_it_passes(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    owner = hub.agency("azertac")
    reader = hub.agency("anka", scopes="pull", partner=True)
    now = datetime.now(UTC)
    hub.runtime.clock = lambda: now
    until = now + timedelta(minutes=5)
    story_id = push(hub, owner, embargoedUntil=until.isoformat())["id"]
    worker.run_until_idle()

    assert put(hub, owner, story_id, **edit_body()).status_code == 200

    assert [e["version"] for e in feed(hub, owner)] == [1, 1] and feed(hub, reader) == []
    hub.runtime.clock = lambda: until + timedelta(seconds=1)
    released = feed(hub, reader)
    # The release announces the current Turkish translation once: the edited one.
    assert len(released) == 1 and released[0]["item"]["headlines"][0]["value"] == TR_HEADLINE
