"""sweep_staging: what a crashed writer left in the staging area goes, live uploads stay."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest
from minio import Minio

from storage import LocalObjectStore, ObjectStore, S3ObjectStore
from storage.s3 import STAGING_PREFIX


@pytest.fixture
def client(request: pytest.FixtureRequest, store: ObjectStore) -> Minio | None:
    if not isinstance(store, S3ObjectStore):
        return None
    server = request.getfixturevalue("s3_running")
    return Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False)


def _leave_staged(store: ObjectStore, client: Minio | None, name: str, *, age: timedelta) -> None:
    """Stage an upload the way a writer that crashed mid-put would leave it."""
    if isinstance(store, LocalObjectStore):
        path = store.root / "staging" / name
        path.write_bytes(b"half an upload")
        stamp = time.time() - age.total_seconds()
        os.utime(path, (stamp, stamp))
        return
    assert isinstance(store, S3ObjectStore) and client is not None
    client.put_object(store.bucket, f"{STAGING_PREFIX}{name}", io.BytesIO(b"half an upload"), 14)


def _staged_names(store: ObjectStore, client: Minio | None) -> set[str]:
    if isinstance(store, LocalObjectStore):
        return {p.name for p in (store.root / "staging").iterdir()}
    assert isinstance(store, S3ObjectStore) and client is not None
    return {
        o.object_name.removeprefix(STAGING_PREFIX)
        for o in client.list_objects(store.bucket, prefix=STAGING_PREFIX, recursive=True)
    }


def test_sweep_removes_only_old_staging_leftovers(store: ObjectStore, client: Minio | None) -> None:
    store.put_object("stories/a.json", io.BytesIO(b"{}"), 2)
    _leave_staged(store, client, "crashed", age=timedelta(hours=2))
    # S3 keeps its own timestamps, so "old" there is "older than a zero cutoff" below.
    assert store.sweep_staging(older_than=timedelta(hours=1)) == (1 if isinstance(store, LocalObjectStore) else 0)
    _leave_staged(store, client, "live", age=timedelta(0))
    assert store.sweep_staging(older_than=timedelta(hours=1)) == 0
    assert "live" in _staged_names(store, client)
    time.sleep(1.1)  # S3 timestamps have one-second resolution
    assert store.sweep_staging(older_than=timedelta(0)) >= 1
    assert _staged_names(store, client) == set()
    assert store.get_object("stories/a.json").read() == b"{}"  # real objects are never touched
