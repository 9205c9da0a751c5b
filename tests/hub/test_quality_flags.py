"""Quality flags end to end: the worker checks what the synthetic models write (they
garble, and loop when made to decode long), /translations and the ninjs say so, and
``quality=ok`` keeps flagged translations out of the feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from hub.feed import repository as feed_repo
from hub.feed.service import FILTERED_BATCH
from hub.jobs.worker import TranslationWorker, build_engine
from hub.models import FeedEntry, LanguageVersion
from hub.stories import repository as stories
from hub.stories.ninjs import QUALITY_ROLES, SCHEMA_PATH
from tests.fixtures.hub import HubHarness, make_settings, story

TARGETS = ("en", "ru", "tr", "uz")
BODY = (
    "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən 350 jurnalist iştirak edir.\n\n"
    "Tədbir iki gün davam edəcək."
)
PUBLIC_URL = "https://hub.example.org"


@pytest.fixture
def looping_hub(database_url: str, tmp_path: Path, installed_models_dir: Path) -> Iterator[HubHarness]:
    # Forced to decode 40 tokens, the synthetic models loop on a word and mix languages.
    settings = make_settings(
        tmp_path / "data",
        database_url,
        embedded_worker=False,
        models_dir=installed_models_dir,
        public_url=PUBLIC_URL,
        translation_min_decoding_length=40,
    )
    with HubHarness.start(settings) as harness:
        yield harness


@pytest.fixture
def worker(looping_hub: HubHarness) -> Iterator[TranslationWorker]:
    engine = build_engine(looping_hub.runtime.settings)
    yield TranslationWorker(looping_hub.runtime, engine)  # the hub's own identifier
    engine.close()


def feed(hub: HubHarness, key: str, lang: str, query: str = "") -> dict:
    response = hub.client.get(f"/v1/feed?lang={lang}&limit=1000{query}", headers=hub.auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_looping_garbled_translations_are_flagged_everywhere(
    looping_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = looping_hub
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
    worker.metrics = hub.app.state.metrics
    worker.run_until_idle()

    metrics = hub.client.get("/metrics", headers=hub.auth(hub.agency("ops", scopes="admin"))).text
    assert 'ulak_translation_quality_total{quality="review"} 4.0' in metrics
    assert 'ulak_translation_quality_reasons_total{code="length_ratio"} 4.0' in metrics
    status = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(reader)).json()
    by_language = {t["language"]: t for t in status["translations"]}
    assert sorted(by_language) == sorted(TARGETS)
    for lang, translation in by_language.items():
        codes = [reason["code"] for reason in translation["qualityReasons"]]
        assert translation["status"] == "done" and translation["quality"] == "review", lang
        # Forty tokens a sentence: far longer than the source, and the numbers are gone.
        assert {"length_ratio", "missing_numbers"} <= set(codes), (lang, codes)
        numbers = next(r["message"] for r in translation["qualityReasons"] if r["code"] == "missing_numbers")
        assert "40" in numbers and "350" in numbers
    # The loops the synthetic models fall into, and English output in Cyrillic.
    assert "repetition" in [r["code"] for r in by_language["en"]["qualityReasons"]]
    assert any("repeated" in r["message"] for t in by_language.values() for r in t["qualityReasons"])
    # The hub's own checks (script share, then the offline identifier) see it too: the
    # English output is mostly Cyrillic, the Russian one mostly Latin.
    for lang, script in (("en", "Latin"), ("ru", "Cyrillic")):
        (wrong,) = [r for r in by_language[lang]["qualityReasons"] if r["code"] == "wrong_language"]
        assert wrong["message"].endswith(f"letters are {script}, the script of {lang}"), wrong

    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    href = f"{PUBLIC_URL}/v1/stories/{pushed['id']}/translations"
    for lang in TARGETS:
        served = hub.client.get(f"/v1/stories/{pushed['id']}?lang={lang}", headers=hub.auth(reader)).json()
        (indicator,) = served["trustIndicators"]
        assert (
            indicator["role"] == QUALITY_ROLES["review"] == "urn:ulak:trustindicator:machine-translation-quality:review"
        )
        assert indicator["href"] == href
        assert "length_ratio" in indicator["title"] and "missing_numbers" in indicator["title"]
        with hub.runtime.store.get_object(f"stories/azertac/{pushed['id']}/1/{lang}.json") as stream:
            stored = json.loads(stream.read())
        assert stored["trustIndicators"] == [indicator]
        assert list(validator.iter_errors(stored)) == [] and list(validator.iter_errors(served)) == []
    original = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(reader)).json()
    assert "trustIndicators" not in original

    with hub.runtime.read() as session:
        rows = session.execute(
            select(LanguageVersion.language, LanguageVersion.quality).where(LanguageVersion.story_id == pushed["id"])
        ).all()
        entries = session.execute(select(FeedEntry.language, FeedEntry.quality)).all()
    assert dict(rows) == {"az": None, **dict.fromkeys(TARGETS, "review")}
    assert dict(entries) == {"az": "ok", **dict.fromkeys(TARGETS, "review")}


def test_quality_ok_leaves_flagged_translations_out_and_moves_past_them(
    looping_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = looping_hub
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
    worker.run_until_idle()

    everything = feed(hub, reader, "en")["entries"]
    assert [(e["storyId"], e["quality"]) for e in everything] == [(pushed["id"], "review")]
    # The original stays: its language's feed with the filter still has it.
    originals = feed(hub, reader, "az", "&quality=ok")["entries"]
    assert [(e["storyId"], e["language"], e["quality"]) for e in originals] == [(pushed["id"], "az", "ok")]

    filtered = feed(hub, reader, "en", "&quality=ok")
    assert filtered["entries"] == []
    unfiltered_next = feed(hub, reader, "en")["next"]
    assert filtered["next"] == unfiltered_next  # past the flagged entry, never read again
    again = hub.client.get(f"/v1/feed?lang=en&quality=ok&after={filtered['next']}", headers=hub.auth(reader)).json()
    assert again == {"entries": [], "next": filtered["next"]}

    # An English original after it: the filtered reader gets exactly that from its cursor,
    # and a short page of the filtered feed from the start skips the flagged entry too.
    english = hub.client.post(
        "/v1/stories", json=story("en-1", language="en", body="Forum opens in Baku."), headers=hub.auth(key)
    ).json()
    after = hub.client.get(f"/v1/feed?lang=en&quality=ok&after={filtered['next']}", headers=hub.auth(reader)).json()
    assert [(e["storyId"], e["quality"]) for e in after["entries"]] == [(english["id"], "ok")]
    first = hub.client.get("/v1/feed?lang=en&quality=ok&limit=1", headers=hub.auth(reader)).json()
    assert [e["storyId"] for e in first["entries"]] == [english["id"]] and first["next"] == after["next"]


def test_a_translation_that_passes_is_ok_and_in_the_filtered_feed(
    database_url: str, tmp_path: Path, installed_models_dir: Path
) -> None:
    # At the default decoding length the synthetic models write a word or two: for a
    # short story without numbers that passes every check (too short to measure).
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, models_dir=installed_models_dir)
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        pushed = hub.client.post(
            "/v1/stories", json=story("az-1", headline="Forum açılıb", body="Forum davam edir."), headers=hub.auth(key)
        ).json()
        engine = build_engine(settings)
        TranslationWorker(hub.runtime, engine).run_until_idle()
        engine.close()
        status = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(key)).json()
        assert {(t["quality"], tuple(t["qualityReasons"])) for t in status["translations"]} == {("ok", ())}
        (entry,) = feed(hub, key, "tr", "&quality=ok")["entries"]
        assert entry["quality"] == "ok"
        (indicator,) = entry["item"]["trustIndicators"]
        assert indicator["role"] == QUALITY_ROLES["ok"] and indicator["title"].endswith(": ok")
        assert indicator["href"] == f"http://127.0.0.1:8000/v1/stories/{pushed['id']}/translations"


def test_a_flagged_translation_stays_flagged_when_its_embargo_is_released(
    looping_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = looping_hub
    now = datetime.now(UTC)
    clock = [now]
    hub.runtime.clock = lambda: clock[0]
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    until = now + timedelta(minutes=5)
    hub.client.post(
        "/v1/stories", json=story("az-1", body=BODY, embargoedUntil=until.isoformat()), headers=hub.auth(key)
    )
    worker.run_until_idle()
    assert feed(hub, reader, "en")["entries"] == []  # under embargo
    clock[0] = until + timedelta(seconds=1)
    assert [e["quality"] for e in feed(hub, reader, "en")["entries"]] == ["review"]
    assert feed(hub, reader, "en", "&quality=ok")["entries"] == []
    assert [e["quality"] for e in feed(hub, reader, "az", "&quality=ok")["entries"]] == ["ok"]


def test_a_small_filtered_page_passes_many_flagged_entries_in_one_read(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    flagged = FILTERED_BATCH + 50  # more than one batch of the filtered scan
    with hub.runtime.write() as session:
        original = stories.language_version(session, pushed["id"], 1, "az")
        assert original is not None
        document = {**original.document, "language": "en"}
        session.add(
            LanguageVersion(
                story_id=pushed["id"], version=1, language="en", is_original=False, object_key="x", document=document
            )
        )
        row = stories.story_by_id(session, pushed["id"])
        assert row is not None
        for _ in range(flagged):
            feed_repo.append_entries(session, row, 1, ["en"], "usable", now=hub.runtime.clock(), quality="review")
    english = hub.client.post("/v1/stories", json=story("en-1", language="en"), headers=hub.auth(key)).json()

    page = hub.client.get("/v1/feed?lang=en&quality=ok&limit=1", headers=hub.auth(key)).json()
    assert [(e["storyId"], e["quality"]) for e in page["entries"]] == [(english["id"], "ok")]
    everything = feed(hub, key, "en")
    assert len(everything["entries"]) == flagged + 1 and page["next"] == everything["next"]
    # Nothing after it; the cursor stays where it is.
    assert hub.client.get(f"/v1/feed?lang=en&quality=ok&after={page['next']}", headers=hub.auth(key)).json() == {
        "entries": [],
        "next": page["next"],
    }


@pytest.mark.parametrize("value", ["review", "OK", ""])
def test_another_quality_filter_is_refused(hub: HubHarness, value: str) -> None:
    key = hub.agency("azertac")
    response = hub.client.get(f"/v1/feed?lang=az&quality={value}", headers=hub.auth(key))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request" and body["detail"].startswith("quality")


def test_an_original_cannot_claim_the_hubs_quality_indicator(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    own = {"role": "https://azertag.az/ethics", "title": "Editorial policy", "href": "https://azertag.az/ethics"}
    claimed = {"role": QUALITY_ROLES["ok"], "title": "checked", "href": "https://azertag.az/"}
    pushed = hub.client.post(
        "/v1/stories", json=story("az-1", trustIndicators=[own, claimed]), headers=hub.auth(key)
    ).json()
    served = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    assert served["trustIndicators"] == [own]
