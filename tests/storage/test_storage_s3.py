"""S3-only behaviour against the real server: credentials, buckets, and the server going away."""

from __future__ import annotations

import io
import os
import time

import pytest

from storage import ObjectNotFound, S3ObjectStore, StorageError, StorageUnavailable
from tests.fixtures.s3_server import drop_bucket, raw_client

# Generous against a 2 s timeout with a connect retry; a hang would hit minio's 5 minutes.
UNAVAILABLE_WITHIN_SECONDS = 5.0


def make_store(server, bucket: str, **kwargs) -> S3ObjectStore:
    options = {"access_key": server.access_key, "secret_key": server.secret_key, "timeout": 2.0, **kwargs}
    return S3ObjectStore(server.endpoint, bucket=bucket, **options)


@pytest.mark.parametrize(
    ("access_key", "secret_key", "code"),
    [(None, "wrong-secret", "SignatureDoesNotMatch"), ("no-such-key", "wrong-secret", "InvalidAccessKeyId")],
)
def test_wrong_credentials_give_a_clear_error(s3_running, s3_store, access_key, secret_key, code) -> None:
    s3_store.put_object("k", io.BytesIO(b"x"), 1)  # the bucket exists: only the credentials differ
    bad = make_store(s3_running, s3_store.bucket, access_key=access_key or s3_running.access_key, secret_key=secret_key)
    for operation in (bad.ping, lambda: bad.put_object("k2", io.BytesIO(b"x"), 1), lambda: bad.get_object("k")):
        with pytest.raises(StorageError) as caught:
            operation()
        assert type(caught.value) is StorageError  # neither "not found" nor "try again later"
        message = str(caught.value)
        assert "refused the credentials" in message and "secret key" in message
        assert code in message or "AccessDenied" in message  # HEAD answers carry no error code
    assert [info.key for info in s3_store.list_objects()] == ["k"]


def test_bucket_is_created_on_first_use_and_creation_is_idempotent(s3_running, s3_bucket_name) -> None:
    client = raw_client(s3_running)
    first = make_store(s3_running, s3_bucket_name)
    assert not client.bucket_exists(s3_bucket_name)  # no I/O in the constructor
    try:
        first.ping()
        assert client.bucket_exists(s3_bucket_name)
        make_store(s3_running, s3_bucket_name).ensure_bucket()  # exists already: fine
        first.put_object("k", io.BytesIO(b"v"), 1)
        assert client.stat_object(s3_bucket_name, "k").size == 1
    finally:
        drop_bucket(s3_running, s3_bucket_name)


def test_missing_bucket_without_create_is_reported(s3_running, s3_bucket_name) -> None:
    store = make_store(s3_running, s3_bucket_name, create_bucket=False)
    with pytest.raises(StorageUnavailable, match="does not exist"):
        store.ping()
    with pytest.raises(StorageError, match="does not exist") as caught:
        store.put_object("k", io.BytesIO(b"v"), 1)
    assert not isinstance(caught.value, ObjectNotFound)
    assert not raw_client(s3_running).bucket_exists(s3_bucket_name)


def test_stopped_server_is_unavailable_quickly_then_recovers(s3_running, s3_store) -> None:
    if not getattr(s3_running, "can_restart", False):
        pytest.skip("the S3 server is external: the suite cannot stop it")
    body = os.urandom(3 * 1024 * 1024)
    s3_store.put_object("before", io.BytesIO(body), len(body))
    stream = s3_store.get_object("before")  # a download in flight when the server goes
    first_chunk = next(iter(stream))
    s3_running.stop()
    try:
        operations = {
            "ping": s3_store.ping,
            "put": lambda: s3_store.put_object("during", io.BytesIO(b"x" * 10), 10),
            "put-unknown-length": lambda: s3_store.put_object("during", io.BytesIO(b"x" * 10)),
            "get": lambda: s3_store.get_object("before"),
            "stat": lambda: s3_store.stat_object("before"),
            "list": lambda: list(s3_store.list_objects()),
            "remove": lambda: s3_store.remove_object("before"),
        }
        for name, operation in operations.items():
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                operation()
            assert time.monotonic() - started < UNAVAILABLE_WITHIN_SECONDS, name
        # The rest of the in-flight download either arrived before the stop or fails as
        # StorageUnavailable; it never hangs and never ends short without an error.
        started = time.monotonic()
        try:
            rest = b"".join(stream)
            assert first_chunk + rest == body
        except StorageUnavailable:
            pass
        finally:
            stream.close()
        assert time.monotonic() - started < UNAVAILABLE_WITHIN_SECONDS
    finally:
        s3_running.start()
    s3_store.ping()
    s3_store.put_object("after", io.BytesIO(b"back"), 4)
    with s3_store.get_object("after") as after, s3_store.get_object("before") as before:
        assert (after.read(), before.read()) == (b"back", body)
    assert sorted(info.key for info in s3_store.list_objects()) == ["after", "before"]
