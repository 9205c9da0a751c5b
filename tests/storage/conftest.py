"""Fixtures for the storage contract suite: one ``store`` per backend, each on fresh ground."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import LocalObjectStore, ObjectStore, S3ObjectStore
from tests.fixtures.s3_server import drop_bucket, s3_bucket_name, s3_running, s3_server  # noqa: F401  (fixtures)

PRESIGN_SECRET = b"storage-tests-presign-secret-0123456789"
HUB_URL = "http://hub.test"


@pytest.fixture
def local_store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store", base_url=HUB_URL, secret=PRESIGN_SECRET)


@pytest.fixture
def s3_store(s3_running, s3_bucket_name) -> Iterator[S3ObjectStore]:  # noqa: F811
    store = S3ObjectStore(
        s3_running.endpoint, s3_running.access_key, s3_running.secret_key, s3_bucket_name, timeout=2.0
    )
    yield store
    store.close()
    if getattr(s3_running, "running", True):
        drop_bucket(s3_running, s3_bucket_name)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    return request.getfixturevalue(f"{request.param}_store")
