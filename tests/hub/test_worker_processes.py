"""Workers as real processes and concurrent workers: a kill -9 mid-batch loses
nothing, and several workers on one database do every job exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from hub.jobs.worker import TranslationWorker, build_engine
from hub.models import FeedEntry, LanguageVersion, TranslationJob
from tests.fixtures.hub import HubHarness, make_settings, story

SENTENCES = " ".join(f"Bu xəbərin {n}-ci cümləsi fərqli sözlərlə yazılıb." for n in range(1, 25))


def worker_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "worker"], env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def assert_exactly_once(hub: HubHarness, expected_jobs: int) -> None:
    with hub.runtime.read() as session:
        jobs = session.execute(select(TranslationJob.status)).scalars().all()
        results = session.execute(
            select(LanguageVersion.story_id, LanguageVersion.version, LanguageVersion.language).where(
                LanguageVersion.is_original.is_(False)
            )
        ).all()
        entries = session.execute(select(FeedEntry.story_id, FeedEntry.version, FeedEntry.language)).all()
    assert len(jobs) == expected_jobs and set(jobs) == {"done"}
    assert len(results) == expected_jobs == len(set(results))
    duplicates = [key for key, n in Counter(entries).items() if n > 1]
    assert duplicates == []
    assert set(results) <= set(entries)


def test_kill_9_mid_batch_loses_nothing_and_repeats_nothing(
    database_url: str, tmp_path: Path, installed_models_dir: Path
) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, models_dir=installed_models_dir)
    env = {
        "ULAK_DATA_DIR": str(settings.data_dir),
        "ULAK_DATABASE_URL": database_url,
        "ULAK_MODELS_DIR": str(installed_models_dir),
        "ULAK_WORKER_CLAIM_SIZE": "200",
        "ULAK_WORKER_LEASE_SECONDS": "3",
        "ULAK_WORKER_POLL_SECONDS": "0.05",
    }
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        stories = 50
        for n in range(stories):
            assert (
                hub.client.post(
                    "/v1/stories", json=story(f"az-{n}", body=f"{n}. {SENTENCES}"), headers=hub.auth(key)
                ).status_code
                == 201
            )

        first = worker_process(env)
        deadline = time.monotonic() + 60
        while True:  # wait until the first worker holds a batch, then kill it outright
            with hub.runtime.read() as session:
                running = session.scalars(select(TranslationJob.id).where(TranslationJob.status == "running")).all()
            if running:
                break
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.stderr else ""
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)

        second = worker_process(env)
        try:
            deadline = time.monotonic() + 120
            while True:
                with hub.runtime.read() as session:
                    open_jobs = session.scalars(select(TranslationJob.id).where(TranslationJob.status != "done")).all()
                if not open_jobs:
                    break
                assert second.poll() is None and time.monotonic() < deadline, "second worker did not finish the queue"
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)  # graceful: finishes its batch, then exits 0
            assert second.wait(30) == 0
            if second.stderr:
                second.stderr.close()
            if first.stderr:
                first.stderr.close()
        assert_exactly_once(hub, stories * 4)
        with hub.runtime.read() as session:
            attempts = session.scalars(select(TranslationJob.attempts)).all()
        assert max(attempts) == 2, "the killed worker's jobs should have been reclaimed once"


def test_several_workers_do_each_job_exactly_once(
    database_url: str, tmp_path: Path, installed_models_dir: Path
) -> None:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        embedded_worker=False,
        models_dir=installed_models_dir,
        worker_claim_size=5,
        worker_poll_seconds=0.01,
    )
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        stories = 75
        for n in range(stories):
            hub.client.post(
                "/v1/stories", json=story(f"az-{n}", body=f"Xəbər nömrəsi {n}. Qısa mətn."), headers=hub.auth(key)
            )
        engines = [build_engine(settings) for _ in range(3)]
        workers = [TranslationWorker(hub.runtime, engine, name=f"w{i}") for i, engine in enumerate(engines)]
        errors: list[BaseException] = []

        def drain(worker: TranslationWorker) -> None:
            try:
                worker.run_until_idle(timeout=120)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for engine in engines:
            engine.close()
        assert errors == []
        assert_exactly_once(hub, stories * 4)
        with hub.runtime.read() as session:
            attempts = session.scalars(select(TranslationJob.attempts)).all()
        assert set(attempts) == {1}  # nobody claimed a job another worker held
