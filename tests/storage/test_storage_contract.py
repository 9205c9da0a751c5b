"""The ObjectStore contract, run on both backends (local directory, real S3 server)."""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from storage import (
    InvalidKey,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    StorageError,
    StorageIntegrityError,
    media_key,
    put_media,
)
from tests.fixtures.s3_server import raw_client

MiB = 1024 * 1024


class TrickleStream:
    """A non-seekable upload of unknown length that hands out small, uneven chunks,
    like a request body arriving from the network."""

    def __init__(self, data: bytes, chunk: int = 64 * 1024 + 7) -> None:
        self._data = memoryview(data)
        self._chunk = chunk
        self._position = 0
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        size = self._chunk if size < 0 else min(size, self._chunk)
        piece = bytes(self._data[self._position : self._position + size])
        self._position += len(piece)
        self.largest_read = max(self.largest_read, len(piece))
        return piece


class FailingStream(TrickleStream):
    """Breaks after ``fail_after`` bytes, like a client that disconnects mid-upload."""

    def __init__(self, data: bytes, fail_after: int) -> None:
        super().__init__(data)
        self._fail_after = fail_after

    def read(self, size: int = -1) -> bytes:
        if self._position >= self._fail_after:
            raise ConnectionResetError("client went away")
        return super().read(size)


def read_all(store: ObjectStore, key: str, **kwargs: int | None) -> bytes:
    with store.get_object(key, **kwargs) as stream:
        return b"".join(stream)


def staging_leftovers(store: ObjectStore) -> list[str]:
    """Whatever a failed or finished upload left behind, looked at behind the store's back."""
    if isinstance(store, LocalObjectStore):
        return sorted(os.listdir(store.root / "staging"))
    client = store._client  # list including the reserved staging prefix the store hides
    return [
        item.object_name
        for item in client.list_objects(store.bucket, recursive=True)
        if item.object_name.startswith(".ulak-staging/")
    ]


def test_small_round_trip_keeps_bytes_type_and_metadata(store: ObjectStore) -> None:
    body = "Bakı — Ташкент — İstanbul".encode()
    info = store.put_object(
        "stories/aza/s1/1/az.json",
        io.BytesIO(body),
        len(body),
        content_type="application/json",
        metadata={"Agency": "AZA", "x-amz-meta-lang": "az"},
    )
    assert info.key == "stories/aza/s1/1/az.json"
    assert info.size == len(body)
    assert info.etag
    stat = store.stat_object("stories/aza/s1/1/az.json")
    assert (stat.size, stat.content_type) == (len(body), "application/json")
    assert stat.metadata == {"agency": "AZA", "lang": "az"}
    assert stat.last_modified is not None and stat.last_modified.tzinfo is not None
    with store.get_object("stories/aza/s1/1/az.json") as stream:
        assert stream.info.content_type == "application/json"
        assert stream.info.metadata == {"agency": "AZA", "lang": "az"}
        assert stream.read() == body


def test_overwrite_replaces_bytes_and_metadata(store: ObjectStore) -> None:
    store.put_object("k", io.BytesIO(b"one"), 3, content_type="text/plain", metadata={"v": "1"})
    store.put_object("k", io.BytesIO(b"second"), 6, content_type="text/csv", metadata={"v": "2"})
    stat = store.stat_object("k")
    assert (stat.size, stat.content_type, dict(stat.metadata)) == (6, "text/csv", {"v": "2"})
    assert read_all(store, "k") == b"second"


def test_large_object_goes_multipart_and_streams_back(store: ObjectStore) -> None:
    body = os.urandom(17 * MiB + 123)
    info = store.put_object("media/big.bin", io.BytesIO(body), len(body))
    assert info.size == len(body)
    if isinstance(store, S3ObjectStore):
        assert info.etag and info.etag.endswith("-3")  # 8 MiB parts: a 3-part upload
    digest = hashlib.sha256()
    largest_chunk = 0
    with store.get_object("media/big.bin") as stream:
        for chunk in stream:
            digest.update(chunk)
            largest_chunk = max(largest_chunk, len(chunk))
    assert digest.hexdigest() == hashlib.sha256(body).hexdigest()
    assert largest_chunk <= 1 * MiB  # streamed in chunks, not handed over whole


def test_unknown_length_stream_is_stored_whole(store: ObjectStore) -> None:
    body = os.urandom(9 * MiB + 5)  # more than one 8 MiB part, length never given
    upload = TrickleStream(body)
    info = store.put_object("media/unknown", upload)
    assert info.size == len(body)
    assert upload.largest_read <= 64 * 1024 + 7
    assert hashlib.sha256(read_all(store, "media/unknown")).digest() == hashlib.sha256(body).digest()


def test_empty_object(store: ObjectStore) -> None:
    store.put_object("empty", io.BytesIO(b""), 0)
    assert store.stat_object("empty").size == 0
    assert read_all(store, "empty") == b""


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, 10, slice(0, 10)),
        (100, None, slice(100, None)),
        (999, 1, slice(999, 1000)),
        (990, 50, slice(990, 1000)),
        (1000, None, slice(0, 0)),
        (5000, 10, slice(0, 0)),
        (10, 0, slice(0, 0)),
    ],
)
def test_range_reads(store: ObjectStore, offset: int, length: int | None, expected: slice) -> None:
    body = bytes(range(256)) * 3 + os.urandom(232)  # 1000 bytes
    store.put_object("range", io.BytesIO(body), len(body), content_type="application/x-test")
    with store.get_object("range", offset=offset, length=length) as stream:
        assert stream.read() == body[expected]
        assert stream.info.size == 1000  # the whole object, not the range
        assert stream.info.content_type == "application/x-test"


def test_missing_key_is_object_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        store.get_object("stories/none/here.json")
    assert caught.value.key == "stories/none/here.json"
    with pytest.raises(ObjectNotFound):
        store.stat_object("stories/none/here.json")
    store.remove_object("stories/none/here.json")  # not an error


def test_remove_object(store: ObjectStore) -> None:
    store.put_object("a/b", io.BytesIO(b"x"), 1)
    store.remove_object("a/b")
    with pytest.raises(ObjectNotFound):
        store.stat_object("a/b")
    assert list(store.list_objects("a/")) == []


def test_listing_past_one_thousand_keys_in_key_order(store: ObjectStore) -> None:
    keys = [f"stories/agency/{number:05d}.json" for number in range(1100)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: store.put_object(key, io.BytesIO(key.encode()), len(key)), keys))
    store.put_object("stories/other/1.json", io.BytesIO(b"{}"), 2)
    listed = list(store.list_objects("stories/agency/"))
    assert [info.key for info in listed] == keys
    assert all(info.size == len(info.key) for info in listed)
    assert len(list(store.list_objects("stories/"))) == 1101
    assert [info.key for info in store.list_objects("stories/agency/0109")] == [
        f"stories/agency/{number:05d}.json" for number in range(1090, 1100)
    ]


def test_listing_order_is_byte_order_and_non_recursive_skips_subtrees(store: ObjectStore) -> None:
    for key in ("p/a/b", "p/a-c", "p/a.x", "p/b", "p/Z", "q/x"):
        store.put_object(key, io.BytesIO(b"1"), 1)
    listed = [info.key for info in store.list_objects("p/")]
    if isinstance(store, S3ObjectStore):
        # S3 and MinIO list in byte order; SeaweedFS walks its directory tree ("p/a/" before
        # "p/a-c"). Order across such siblings is the server's business.
        assert sorted(listed) == ["p/Z", "p/a-c", "p/a.x", "p/a/b", "p/b"]
    else:
        # '-' < '.' < '/' in byte order: listing directory "a" as a whole would break it.
        assert listed == ["p/Z", "p/a-c", "p/a.x", "p/a/b", "p/b"]
    assert [info.key for info in store.list_objects("p/", recursive=False)] == ["p/Z", "p/a-c", "p/a.x", "p/b"]
    assert sorted(info.key for info in store.list_objects("p/a")) == ["p/a-c", "p/a.x", "p/a/b"]


def test_local_store_refuses_a_key_that_is_another_keys_directory(local_store: LocalObjectStore) -> None:
    """A known limit of a filesystem layout (S3 allows both); Ulak's layout never does this."""
    local_store.put_object("p/a/b", io.BytesIO(b"1"), 1)
    with pytest.raises(StorageError, match="collides"):
        local_store.put_object("p/a", io.BytesIO(b"2"), 1)
    assert [info.key for info in local_store.list_objects()] == ["p/a/b"]
    assert os.listdir(local_store.root / "staging") == []


def test_sha256_verified_write_records_digest(store: ObjectStore) -> None:
    body = os.urandom(100_000)
    digest = hashlib.sha256(body).hexdigest()
    info = store.put_object("verified", TrickleStream(body), sha256=digest.upper(), content_type="image/png")
    assert info.metadata["sha256"] == digest
    stat = store.stat_object("verified")
    assert (stat.content_type, stat.metadata["sha256"]) == ("image/png", digest)
    assert staging_leftovers(store) == []


def test_sha256_mismatch_stores_nothing_and_keeps_the_old_object(store: ObjectStore) -> None:
    store.put_object("media/x", io.BytesIO(b"good"), 4)
    bad = os.urandom(9 * MiB)  # multipart on S3
    with pytest.raises(StorageIntegrityError):
        store.put_object("media/x", io.BytesIO(bad), len(bad), sha256=hashlib.sha256(b"other").hexdigest())
    with pytest.raises(StorageIntegrityError):
        store.put_object("media/y", io.BytesIO(b"abc"), 3, sha256="0" * 64)
    assert read_all(store, "media/x") == b"good"
    with pytest.raises(ObjectNotFound):
        store.stat_object("media/y")
    assert [info.key for info in store.list_objects("")] == ["media/x"]
    assert staging_leftovers(store) == []


def test_failed_upload_stores_nothing(store: ObjectStore) -> None:
    store.put_object("doc", io.BytesIO(b"original"), 8)
    body = os.urandom(10 * MiB)
    with pytest.raises(ConnectionResetError):
        store.put_object("doc", FailingStream(body, fail_after=9 * MiB), len(body))
    with pytest.raises(StorageError, match="ended after 3 of 10 bytes"):
        store.put_object("short", io.BytesIO(b"abc"), 10)
    assert read_all(store, "doc") == b"original"
    assert [info.key for info in store.list_objects()] == ["doc"]
    assert staging_leftovers(store) == []


def test_media_are_content_addressed_and_stored_once(store: ObjectStore) -> None:
    body = os.urandom(300_000)
    digest = hashlib.sha256(body).hexdigest()
    first = put_media(store, TrickleStream(body), content_type="image/jpeg", metadata={"filename": "a.jpg"})
    assert first.key == media_key(digest) == f"media/sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    assert first.metadata["sha256"] == digest
    stored = store.stat_object(first.key)
    second = put_media(store, io.BytesIO(body), len(body), content_type="text/plain")
    assert second.key == first.key
    again = store.stat_object(first.key)
    # Nothing new: the first upload's content type, metadata and timestamp remain.
    assert (again.content_type, again.metadata, again.last_modified, again.etag) == (
        "image/jpeg",
        {"filename": "a.jpg", "sha256": digest},
        stored.last_modified,
        stored.etag,
    )
    assert [info.key for info in store.list_objects("media/")] == [first.key]
    assert read_all(store, first.key) == body
    assert staging_leftovers(store) == []


@pytest.mark.parametrize(
    "key", ["../escape", "a/../../escape", "/etc/passwd", "a\\..\\b", "a\x00b", "", "a//b", "./a", "a/", "a\nb"]
)
def test_keys_that_could_escape_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put_object(key, io.BytesIO(b"x"), 1)
    with pytest.raises(ValueError):  # InvalidKey is a ValueError as well
        store.get_object(key)
    with pytest.raises(InvalidKey):
        store.presigned_get_object(key)
    assert list(store.list_objects()) == []


def test_local_store_writes_nothing_outside_its_root(local_store: LocalObjectStore) -> None:
    outside = local_store.root.parent
    before = sorted(path.name for path in outside.iterdir())
    for key in ("../escape", "objects/../../escape", "/tmp/escape"):
        with pytest.raises(InvalidKey):
            local_store.put_object(key, io.BytesIO(b"x"), 1)
    assert sorted(path.name for path in outside.iterdir()) == before
    with pytest.raises(InvalidKey):
        list(local_store.list_objects("../"))


def test_presigned_get(store: ObjectStore) -> None:
    store.put_object("media/photo one.jpg", io.BytesIO(b"jpeg bytes"), 10, content_type="image/jpeg")
    url = store.presigned_get_object("media/photo one.jpg", expires=timedelta(minutes=5))
    expired = store.presigned_get_object(
        "media/photo one.jpg", expires=timedelta(hours=1), request_date=datetime.now(UTC) - timedelta(hours=2)
    )
    tampered = url.replace("signature=", "signature=0").replace("Signature=", "Signature=0")
    if isinstance(store, S3ObjectStore):
        response = httpx.get(url)
        assert (response.status_code, response.content) == (200, b"jpeg bytes")
        assert response.headers["content-type"] == "image/jpeg"
        assert httpx.get(expired).status_code == 403
        assert httpx.get(tampered).status_code == 403
        other_key = url.replace("photo%20one.jpg", "other.jpg")
        assert httpx.get(other_key).status_code == 403
        return
    assert isinstance(store, LocalObjectStore)
    assert url.startswith(f"{store.base_url}/v1/objects/media/photo%20one.jpg?")

    def verify(presigned: str, key: str | None = None) -> bool:
        parts = urlsplit(presigned)
        query = parse_qs(parts.query)
        path_key = unquote(parts.path.removeprefix("/v1/objects/"))
        return store.verify_presigned(key or path_key, int(query["expires"][0]), query["signature"][0])

    assert verify(url)
    assert not verify(expired)
    assert not verify(tampered)
    assert not verify(url, key="media/other.jpg")
    assert not store.verify_presigned("media/photo one.jpg", 2**40, "not-hex")


def test_presigned_get_with_response_header_overrides(store: ObjectStore) -> None:
    store.put_object("media/page.html", io.BytesIO(b"<script>1</script>"), 18, content_type="text/html")
    overrides = {"response-content-disposition": "attachment", "response-content-type": "text/plain"}
    url = store.presigned_get_object("media/page.html", response_headers=overrides)
    with pytest.raises(ValueError):
        store.presigned_get_object("media/page.html", response_headers={"x-amz-acl": "public-read"})
    if isinstance(store, S3ObjectStore):
        response = httpx.get(url)
        assert response.content == b"<script>1</script>"
        assert response.headers["content-disposition"] == "attachment"
        assert response.headers["content-type"].startswith("text/plain")
        return
    assert isinstance(store, LocalObjectStore)
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    expires, signature = int(query.pop("expires")), query.pop("signature")
    assert query == overrides
    assert store.verify_presigned("media/page.html", expires, signature, overrides)
    assert not store.verify_presigned("media/page.html", expires, signature)
    changed = overrides | {"response-content-disposition": "inline"}
    assert not store.verify_presigned("media/page.html", expires, signature, changed)


def test_presigned_expiry_bounds(store: ObjectStore) -> None:
    with pytest.raises(ValueError):
        store.presigned_get_object("k", expires=timedelta(days=8))


def test_ping(store: ObjectStore) -> None:
    store.ping()


def test_metadata_that_cannot_round_trip_is_refused(store: ObjectStore) -> None:
    for metadata in ({"content-type": "x"}, {"bad key": "v"}, {"k": "non-ascii ə"}):
        with pytest.raises(ValueError):
            store.put_object("m", io.BytesIO(b"x"), 1, metadata=metadata)
    with pytest.raises(ObjectNotFound):
        store.stat_object("m")


def test_raw_s3_bucket_holds_only_the_objects(s3_store: S3ObjectStore, s3_running) -> None:
    """The S3 layout is the plain key: another S3 client sees the same objects."""
    s3_store.put_object("stories/a/1/1/en.json", io.BytesIO(b"{}"), 2, content_type="application/json")
    client = raw_client(s3_running)
    assert [item.object_name for item in client.list_objects(s3_store.bucket, recursive=True)] == [
        "stories/a/1/1/en.json"
    ]
