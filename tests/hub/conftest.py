"""Hub fixtures: a harness on a fresh database (SQLite, and PostgreSQL when enabled),
with the local object store or a real S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.jobs.worker import TranslationWorker, build_engine
from tests.fixtures.hub import HubHarness, make_settings
from tests.fixtures.s3_server import drop_bucket


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[HubHarness]:
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as harness:
        yield harness


@pytest.fixture
def s3_hub(database_url: str, tmp_path: Path, s3_running, s3_bucket_name: str) -> Iterator[HubHarness]:  # type: ignore[no-untyped-def]
    settings = make_settings(
        tmp_path / "data",
        database_url,
        embedded_worker=False,
        storage_backend="s3",
        s3_endpoint=s3_running.endpoint,
        s3_access_key=s3_running.access_key,
        s3_secret_key=s3_running.secret_key,
        s3_bucket=s3_bucket_name,
        storage_timeout_seconds=2.0,
    )
    with HubHarness.start(settings) as harness:
        yield harness
    harness.runtime.store.close()
    s3_running.start()
    drop_bucket(s3_running, s3_bucket_name)


@pytest.fixture
def translating_hub(database_url: str, tmp_path: Path, installed_models_dir: Path) -> Iterator[HubHarness]:
    """A hub with the synthetic models installed and no embedded worker: a test runs the
    ``worker`` fixture's batches itself (a module may override this fixture's settings)."""
    settings = make_settings(
        tmp_path / "data",
        database_url,
        embedded_worker=False,
        models_dir=installed_models_dir,
        worker_poll_seconds=0.01,
    )
    with HubHarness.start(settings) as harness:
        yield harness


@pytest.fixture
def worker(translating_hub: HubHarness) -> Iterator[TranslationWorker]:
    engine = build_engine(translating_hub.runtime.settings)
    yield TranslationWorker(translating_hub.runtime, engine)
    engine.close()
