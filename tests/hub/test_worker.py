"""Translation worker, in process: five languages in the feed, corrections, kills,
blocked jobs that unblock themselves, poison stories."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from hub.feed import repository as feed_repo
from hub.jobs.heartbeat import LeaseHeartbeat
from hub.jobs.worker import TranslationWorker, build_engine
from hub.models import FeedEntry, LanguageVersion, TranslationJob
from hub.runtime import HubRuntime
from hub.stories import repository as stories
from hub.stories.ninjs import SCHEMA_PATH
from hub.stories.service import write_document
from storage.layout import story_key
from tests.fixtures.hub import HubHarness, make_settings, story
from translation import TranslationEngine
from translation.packages import install_archive

TARGETS = ("tr", "ru", "uz", "en")
BODY = "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən jurnalistlər iştirak edir.\n\nTədbir iki gün davam edəcək."


def feed(hub: HubHarness, key: str, lang: str) -> list[dict]:
    return hub.client.get(f"/v1/feed?lang={lang}&limit=1000", headers=hub.auth(key)).json()["entries"]


def test_story_appears_in_every_language_correctly_labelled(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY, urgency=3), headers=hub.auth(key)).json()
    pending = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(reader)).json()
    assert {t["language"]: t["status"] for t in pending["translations"]} == dict.fromkeys(sorted(TARGETS), "pending")

    worker.run_until_idle()

    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    for lang in TARGETS:
        entries = feed(hub, reader, lang)
        assert [(e["storyId"], e["version"], e["pubStatus"]) for e in entries] == [(pushed["id"], 1, "usable")]
        item = entries[0]["item"]
        assert item["language"] == lang and item["uri"] == f"urn:ulak:story:{pushed['id']}:{lang}"
        assert (
            item["digitalSourceType"]["uri"] == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        )
        assert item["edNote"] == "Machine translation from Azerbaijani (az)"
        originator, translator = item["infoSources"]
        assert originator["role"] == "originator" and originator["literal"] == "azertac"
        assert translator["role"] == "translator" and "translate-" in translator["literal"]
        assert {
            "name": "original (az)",
            "uri": pushed["uri"],
            "rel": "translatedFrom",
            "language": "az",
            "version": "1",
        } in item["associations"]
        assert item["urgency"] == 3 and item["version"] == "1"
        assert item["bodies"][0]["value"].count("\n\n") == 1  # paragraphs kept
        assert list(validator.iter_errors(item)) == []
        assert hub.client.get(f"/v1/stories/{pushed['id']}?lang={lang}", headers=hub.auth(reader)).json() == item
    # The pivot: az→tr goes through English; the model chain says so.
    tr = feed(hub, reader, "tr")[0]["item"]["infoSources"][1]["literal"]
    assert tr.startswith("translate-az_en") and "translate-en_tr" in tr
    original = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(reader)).json()
    assert sorted(a["language"] for a in original["associations"] if a["rel"] == "translation") == sorted(TARGETS)
    status = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(reader)).json()
    assert all(t["status"] == "done" and t["model"] for t in status["translations"])
    with hub.runtime.store.get_object(f"stories/azertac/{pushed['id']}/1/uz.json") as stream:
        assert json.loads(stream.read())["language"] == "uz"


def test_correction_never_serves_an_old_translation_as_current(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    first = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
    worker.run_until_idle()
    hub.client.post("/v1/stories", json=story("az-1", body=BODY + " Düzəliş."), headers=hub.auth(key))
    # Until version 2 is translated there is no current Turkish version: 404, not v1.
    missing = hub.client.get(f"/v1/stories/{first['id']}?lang=tr", headers=hub.auth(key))
    assert missing.status_code == 404 and "version 2" in missing.json()["detail"]
    worker.run_until_idle()
    current = hub.client.get(f"/v1/stories/{first['id']}?lang=tr", headers=hub.auth(key)).json()
    assert current["version"] == "2"
    assert [e["version"] for e in feed(hub, key, "tr")] == [1, 2]


def test_superseded_pending_jobs_are_canceled(translating_hub: HubHarness, worker: TranslationWorker) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key))
    hub.client.post("/v1/stories", json=story("az-1", body=BODY + " Yeni."), headers=hub.auth(key))
    worker.run_until_idle()
    assert [e["version"] for e in feed(hub, key, "en")] == [2]
    with hub.runtime.read() as session:
        rows = session.execute(select(TranslationJob.version, TranslationJob.status, TranslationJob.reason)).all()
    assert {(v, s) for v, s, _ in rows} == {(1, "canceled"), (2, "done")}
    assert all(r == "superseded by version 2" for v, _, r in rows if v == 1)


def test_kill_reaches_every_language_and_cancels_pending_jobs(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    done = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
    worker.run_until_idle()
    waiting = hub.client.post("/v1/stories", json=story("az-2", body=BODY), headers=hub.auth(key)).json()
    hub.client.post(f"/v1/stories/{done['id']}/kill", headers=hub.auth(key))
    hub.client.post(f"/v1/stories/{waiting['id']}/kill", headers=hub.auth(key))
    worker.run_until_idle()
    for lang in ("az", *TARGETS):
        statuses = [(e["storyId"], e["pubStatus"]) for e in feed(hub, key, lang) if e["storyId"] == done["id"]]
        assert statuses == [(done["id"], "usable"), (done["id"], "canceled")]
    assert [e["pubStatus"] for e in feed(hub, key, "tr") if e["storyId"] == waiting["id"]] == []
    status = hub.client.get(f"/v1/stories/{waiting['id']}/translations", headers=hub.auth(key)).json()
    assert {t["status"] for t in status["translations"]} == {"canceled"}


def test_missing_model_blocks_then_unblocks_when_installed(
    database_url: str, tmp_path: Path, synthetic_archives: dict[str, Path]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for code in ("translate-az_en", "translate-en_az"):
        install_archive(synthetic_archives[code], models)
    settings = make_settings(
        tmp_path / "data", database_url, embedded_worker=False, models_dir=models, target_languages="az,tr,en"
    )
    with HubHarness.start(settings) as hub:
        engine = build_engine(settings)
        worker = TranslationWorker(hub.runtime, engine)
        key = hub.agency("azertac")
        pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
        worker.run_until_idle()
        status = {
            t["language"]: t
            for t in hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(key)).json()[
                "translations"
            ]
        }
        assert status["en"]["status"] == "done"
        assert status["tr"]["status"] == "blocked" and "translate-en_tr" in status["tr"]["reason"]

        install_archive(synthetic_archives["translate-en_tr"], models)  # what the operator does
        worker.run_until_idle()
        engine.close()
        status = {
            t["language"]: t["status"]
            for t in hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(key)).json()[
                "translations"
            ]
        }
        assert status == {"en": "done", "tr": "done"}
        assert len(feed(hub, key, "tr")) == 1


def test_a_model_that_cannot_load_fails_its_jobs_without_naming_a_path(
    database_url: str, tmp_path: Path, synthetic_archives: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for code in ("translate-az_en", "translate-en_tr"):
        install_archive(synthetic_archives[code], models)
    # Damaged on disk after installing (a full disk, a bad copy): loading it fails.
    [model_bin] = models.glob("translate-en_tr*/model/model.bin")
    model_bin.write_bytes(b"not a model")
    settings = make_settings(
        tmp_path / "data", database_url, embedded_worker=False, models_dir=models, target_languages="az,tr,en",
        worker_max_attempts=1,
    )  # fmt: skip
    with HubHarness.start(settings) as hub:
        reader = hub.agency("trt", scopes="pull", partner=True)
        key = hub.agency("azertac")
        pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
        with build_engine(settings) as engine:
            TranslationWorker(hub.runtime, engine).run_until_idle()
        answer = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(reader))
    status = {t["language"]: t for t in answer.json()["translations"]}
    assert status["en"]["status"] == "done" and status["tr"]["status"] == "failed"
    assert "translate-en_tr" in status["tr"]["reason"] and "reinstall" in status["tr"]["reason"]
    assert str(tmp_path) not in answer.text
    assert any(str(models) in record.getMessage() for record in caplog.records)  # the operator's log has it


def test_poison_story_fails_cleanly_and_others_go_through(
    translating_hub: HubHarness, worker: TranslationWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine crash on one story's text (a fault we cannot provoke in a healthy model,
    so it is injected) fails that story alone; a story over the size cap fails at once."""
    hub = translating_hub
    key = hub.agency("azertac")
    worker.max_attempts = 2
    worker.max_chars = 5000
    real = worker.engine.translate_documents

    def crash_on_poison(docs):  # type: ignore[no-untyped-def]
        if any("POISON" in f.text for d in docs for f in d.fields):
            raise RuntimeError("engine crashed")
        return real(docs)

    monkeypatch.setattr(worker.engine, "translate_documents", crash_on_poison)
    good = hub.client.post("/v1/stories", json=story("good", body=BODY), headers=hub.auth(key)).json()
    poison = hub.client.post("/v1/stories", json=story("bad", body="POISON cümlə."), headers=hub.auth(key)).json()
    huge = hub.client.post("/v1/stories", json=story("huge", body="Uzun cümlə. " * 1000), headers=hub.auth(key)).json()
    worker.poll_seconds = 0  # no backoff wait in the test
    worker.run_until_idle()

    def statuses(story_id: str) -> set[str]:
        body = hub.client.get(f"/v1/stories/{story_id}/translations", headers=hub.auth(key)).json()
        return {t["status"] for t in body["translations"]}

    assert statuses(good["id"]) == {"done"}
    assert statuses(poison["id"]) == {"failed"} and statuses(huge["id"]) == {"failed"}
    reasons = hub.client.get(f"/v1/stories/{poison['id']}/translations", headers=hub.auth(key)).json()["translations"]
    # Partners read reasons: an unexpected error is named by its type, its text stays in the log.
    assert all(t["reason"].startswith("attempt") or "RuntimeError" in t["reason"] for t in reasons)
    assert not any("engine crashed" in t["reason"] for t in reasons)
    with hub.runtime.read() as session:
        attempts = session.scalars(select(TranslationJob.attempts).where(TranslationJob.story_id == poison["id"])).all()
    assert set(attempts) == {2}


def test_queue_and_metrics(translating_hub: HubHarness, worker: TranslationWorker) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    admin = hub.agency("ops", scopes="admin")
    hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key))
    assert hub.client.get("/v1/admin/queue", headers=hub.auth(key)).status_code == 403
    queue = hub.client.get("/v1/admin/queue", headers=hub.auth(admin)).json()
    assert queue["counts"]["pending"] == 4 and queue["oldestPendingAt"] is not None
    worker.metrics = hub.app.state.metrics
    worker.run_until_idle()
    text = hub.client.get("/metrics", headers=hub.auth(admin)).text
    assert 'ulak_translation_jobs{status="done"} 4.0' in text and "ulak_queue_depth 0.0" in text
    assert 'ulak_jobs_finished_total{status="done"} 4.0' in text
    assert "ulak_translation_sentences_total" in text and "ulak_model_load_seconds" in text
    with hub.runtime.read() as session:
        assert session.scalar(select(func.count()).select_from(LanguageVersion)) == 5
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 5


def test_translation_finished_after_an_unannounced_embargo_is_seen_once(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    """The embargo passes, a worker publishes a translation before any feed read has
    released the story: partners still see each language exactly once."""
    from datetime import UTC, datetime, timedelta

    hub = translating_hub
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull")
    now = datetime.now(UTC)
    hub.runtime.clock = lambda: now
    until = now + timedelta(minutes=5)
    pushed = hub.client.post(
        "/v1/stories", json=story("az-1", body=BODY, embargoedUntil=until.isoformat()), headers=hub.auth(key)
    ).json()
    hub.runtime.clock = lambda: until + timedelta(seconds=1)
    worker.run_until_idle()
    for lang in ("az", *TARGETS):
        seen = [(e["storyId"], e["version"]) for e in feed(hub, reader, lang)]
        assert seen == [(pushed["id"], 1)], lang
        assert [(e["storyId"], e["version"]) for e in feed(hub, key, lang)] == [(pushed["id"], 1)], lang


def test_replaced_model_is_used_at_once_and_its_predecessor_is_never_remembered(
    database_url: str, tmp_path: Path, replaced_archives: tuple[Path, ...]
) -> None:
    """An operator re-installs translate-az_en 1.0 with another model while the worker runs:
    the next story with the same text gets the new model's translation, not the old one's
    from the translation memory or the loaded model."""
    alone = []
    for index, archive in enumerate(replaced_archives):
        install_archive(archive, tmp_path / f"alone-{index}")
        with TranslationEngine(tmp_path / f"alone-{index}", threads=1) as engine:
            alone.append(engine.translate_text(BODY, "az", "en"))
    assert alone[0] != alone[1]
    models = tmp_path / "models"
    install_archive(replaced_archives[0], models)
    settings = make_settings(
        tmp_path / "data", database_url, embedded_worker=False, models_dir=models, target_languages="az,en"
    )
    with HubHarness.start(settings) as hub:
        engine = build_engine(settings)
        worker = TranslationWorker(hub.runtime, engine)
        key = hub.agency("azertac")
        hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key))
        worker.run_until_idle()
        install_archive(replaced_archives[1], models)
        hub.client.post("/v1/stories", json=story("az-2", body=BODY), headers=hub.auth(key))
        worker.run_until_idle()
        engine.close()

        bodies = [e["item"]["bodies"][0]["value"] for e in feed(hub, key, "en")]
    assert bodies == alone


def test_worker_with_a_skewed_clock_cannot_reclaim_a_live_lease(
    postgres_url: str, tmp_path: Path, installed_models_dir: Path
) -> None:
    """Leases are measured by the database's clock: a worker on a host whose clock runs an
    hour ahead cannot take jobs whose lease another worker holds and keeps extending, and
    still takes them once that worker stops extending and the lease really expires."""
    settings = make_settings(
        tmp_path / "data", postgres_url, embedded_worker=False, models_dir=installed_models_dir, worker_lease_seconds=1
    )
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        assert hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).status_code == 201
        skewed_runtime = HubRuntime.from_settings(settings, store=hub.runtime.store)
        skewed_runtime.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
        engine = build_engine(settings)
        try:
            holder = TranslationWorker(hub.runtime, engine, name="holder")
            skewed = TranslationWorker(skewed_runtime, engine, name="skewed")
            held = [c.job.id for c in holder.claim()]
            assert len(held) == len(TARGETS)
            with LeaseHeartbeat(holder.runtime, holder.owner, holder.lease, held):
                deadline = time.monotonic() + 3 * holder.lease.total_seconds()
                while time.monotonic() < deadline:  # three lease periods, each renewed in time
                    assert skewed.claim() == []
                    time.sleep(0.1)
            time.sleep(holder.lease.total_seconds() + 0.5)
            assert sorted(c.job.id for c in skewed.claim()) == sorted(held)
        finally:
            engine.close()
            skewed_runtime.close()


def test_translation_that_exists_already_ends_its_job_done_and_is_kept(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    """The worker's insert of a translation hits the unique constraint for real (one was
    published, with its feed entry and object, while this batch was being translated):
    the job ends done at once instead of staying running until its lease expires, and
    the existing translation, its object and its single feed entry are kept."""
    hub = translating_hub
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
    batch = worker.claim()
    assert len(batch) == len(TARGETS)

    with hub.runtime.write() as session:  # someone else publishes the Turkish version first
        original = stories.language_version(session, pushed["id"], 1, "az")
        assert original is not None
        first = original.document | {"language": "tr", "headline": "Önce yayımlanan"}
        object_key = story_key("azertac", pushed["id"], 1, "tr")
        write_document(hub.runtime, object_key, first)
        session.add(
            LanguageVersion(
                story_id=pushed["id"],
                version=1,
                language="tr",
                is_original=False,
                object_key=object_key,
                document=first,
                created_at=hub.runtime.clock(),
            )
        )
        story_row = stories.story_by_id(session, pushed["id"])
        assert story_row is not None
        feed_repo.append_entries(session, story_row, 1, ["tr"], "usable", now=hub.runtime.clock())

    worker.process(batch)

    with hub.runtime.read() as session:
        jobs = {j.target_lang: j for j in session.scalars(select(TranslationJob))}
        kept = stories.language_version(session, pushed["id"], 1, "tr")
    assert {lang: j.status for lang, j in jobs.items()} == dict.fromkeys(TARGETS, "done")
    assert jobs["tr"].reason == "the translation existed already; kept it" and jobs["tr"].lease_owner is None
    assert kept is not None and kept.document == first
    with hub.runtime.store.get_object(object_key) as stream:
        assert json.loads(stream.read()) == first
    assert [e["item"]["headline"] for e in feed(hub, reader, "tr")] == ["Önce yayımlanan"]
    assert len(feed(hub, reader, "ru")) == 1


def test_kill_while_a_translation_is_being_published_neither_deadlocks_nor_publishes(
    postgres_url: str, tmp_path: Path, installed_models_dir: Path
) -> None:
    """A kill holds the story row while the worker publishes: the worker waits for the
    story before it touches its job (the order kill takes them in), so neither side is
    chosen as a deadlock victim; the kill wins, the jobs end canceled, nothing is
    published."""
    settings = make_settings(tmp_path / "data", postgres_url, embedded_worker=False, models_dir=installed_models_dir)
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        reader = hub.agency("trt", scopes="pull", partner=True)
        pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
        engine = build_engine(settings)
        try:
            worker = TranslationWorker(hub.runtime, engine, name="publisher")
            batch = worker.claim()
            assert len(batch) == len(TARGETS)
            story_locked = threading.Event()

            def hold_the_story(session: object, story: object, now: object) -> None:
                story_locked.set()
                time.sleep(1.5)  # the worker translates and starts publishing meanwhile

            hub.runtime.on_status_changed.insert(0, hold_the_story)  # before the jobs are canceled
            errors: list[DBAPIError] = []

            def publish() -> None:
                story_locked.wait(10)
                try:
                    worker.process(batch)
                except DBAPIError as exc:  # chosen as a deadlock victim: reported below
                    errors.append(exc)

            publisher = threading.Thread(target=publish)
            publisher.start()
            killed = hub.client.post(f"/v1/stories/{pushed['id']}/kill", headers=hub.auth(key))
            publisher.join(30)
        finally:
            engine.close()
        assert killed.status_code == 200, killed.text
        assert errors == []
        with hub.runtime.read() as session:
            assert set(session.scalars(select(TranslationJob.status))) == {"canceled"}
            assert session.scalar(select(func.count()).select_from(LanguageVersion)) == 1
        assert [e["pubStatus"] for e in feed(hub, reader, "az")] == ["usable", "canceled"]
