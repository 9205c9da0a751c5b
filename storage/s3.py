"""The S3 backend (MinIO, SeaweedFS, AWS, ...) on the ``minio`` client.

Uploads stream in parts (multipart above ``part_size`` or when the length is unknown),
downloads stream from the HTTP response. The HTTP pool has short connect/read
timeouts and few retries, so a server that is down turns into ``StorageUnavailable``
within seconds instead of minio's default five-minute timeouts and five retries.

Verified writes (``sha256=`` and content-addressed puts) go to a staging key under
``.ulak-staging/`` first and are copied server-side to the final key only once the
digest is known to be right. Uploading straight to the final key and removing it on a
mismatch would briefly expose unverified bytes there and, for content-addressed media
(same key for the same digest), would delete the good copy a bad upload overwrote.
The cost is one server-side copy (~0.7 s for 200 MB on SeaweedFS, no client traffic).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import BinaryIO, cast

import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from urllib3.util import Retry, Timeout

from storage._support import (
    SHA256_METADATA_KEY,
    HashingReader,
    check_response_headers,
    check_sha256,
    normalize_metadata,
    verify_digest,
)
from storage.base import InvalidKey, ObjectInfo, ObjectNotFound, ObjectStream, StorageError, StorageUnavailable
from storage.layout import validate_key, validate_prefix

log = logging.getLogger("ulak.storage")

STAGING_PREFIX = ".ulak-staging/"
DEFAULT_PART_SIZE = 8 * 1024 * 1024
DOWNLOAD_CHUNK_SIZE = 256 * 1024

_AUTH_ERRORS = {
    "AccessDenied",
    "AccountProblem",
    "AllAccessDisabled",
    "AuthorizationHeaderMalformed",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidSecurity",
    "InvalidToken",
    "SignatureDoesNotMatch",
}
_TRANSIENT_ERRORS = {"InternalError", "RequestTimeout", "ServiceUnavailable", "SlowDown"}


class S3ObjectStore:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        create_bucket: bool = True,
        timeout: float = 5.0,
        part_size: int = DEFAULT_PART_SIZE,
        parallel_uploads: int = 1,
    ) -> None:
        """No network I/O here: with ``create_bucket`` the bucket is made on first use
        (or by ``ensure_bucket()``), so a hub can start while S3 is still down.

        An upload holds about ``part_size * (parallel_uploads + 1)`` bytes in memory
        (minio sends parts as bytes); one uploader keeps a 200 MB upload under ~20 MB."""
        self.endpoint = endpoint
        self.bucket = bucket
        self._access_key = access_key
        self._create_bucket = create_bucket
        self._bucket_ready = not create_bucket
        self._bucket_lock = threading.Lock()
        self._part_size = part_size
        self._parallel_uploads = parallel_uploads
        self._http = urllib3.PoolManager(
            timeout=Timeout(connect=timeout, read=timeout),
            maxsize=16,
            # Connection failures are retried briefly; a read timeout is not (it already
            # cost ``timeout``), and 5xx twice: the whole budget stays a few seconds.
            retries=Retry(
                total=3,
                connect=2,
                read=0,
                status=2,
                backoff_factor=0.2,
                status_forcelist=[500, 502, 503, 504],
                raise_on_status=False,
            ),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.endpoint!r}, bucket={self.bucket!r})"

    def close(self) -> None:
        self._http.clear()

    # -- bucket ----------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket when missing; another client creating it first is fine."""
        with self._errors():
            if self._client.bucket_exists(self.bucket):
                return
            try:
                self._client.make_bucket(self.bucket)
            except S3Error as exc:
                if exc.code != "BucketAlreadyOwnedByYou":
                    raise

    def _ready(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self.ensure_bucket()
                self._bucket_ready = True

    def ping(self) -> None:
        self._ready()
        with self._errors():
            exists = self._client.bucket_exists(self.bucket)
        if not exists:
            raise StorageUnavailable(f"bucket {self.bucket!r} does not exist on {self.endpoint}")

    def sweep_staging(self, *, older_than: timedelta) -> int:
        self._ready()
        cutoff = datetime.now(UTC) - older_than
        removed = 0
        with self._errors():
            for item in self._client.list_objects(self.bucket, prefix=STAGING_PREFIX, recursive=True):
                if item.object_name and item.last_modified is not None and item.last_modified < cutoff:
                    self._client.remove_object(self.bucket, item.object_name)
                    removed += 1
        return removed

    # -- writing ---------------------------------------------------------------------

    def put_object(
        self,
        key: str,
        data: BinaryIO,
        length: int = -1,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
        sha256: str | None = None,
    ) -> ObjectInfo:
        self._check_key(key)
        expected = check_sha256(sha256)
        user_metadata = normalize_metadata(metadata)
        self._ready()
        if expected is None:
            self._upload(key, data, length, content_type, user_metadata)
            return self.stat_object(key)
        user_metadata[SHA256_METADATA_KEY] = expected
        staging_key = self._staging_key()
        try:
            reader = self._upload(staging_key, data, length, content_type, user_metadata)
            verify_digest(expected, reader.hexdigest(), key)
            self._promote(staging_key, key, content_type, user_metadata)
        finally:
            self._discard(staging_key)
        return self.stat_object(key)

    def put_content_addressed(
        self,
        data: BinaryIO,
        length: int = -1,
        *,
        key_for_digest: Callable[[str], str],
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        user_metadata = normalize_metadata(metadata)
        self._ready()
        staging_key = self._staging_key()
        try:
            reader = self._upload(staging_key, data, length, content_type, user_metadata)
            digest = reader.hexdigest()
            key = key_for_digest(digest)
            self._check_key(key)
            try:
                return self.stat_object(key)  # the same bytes are already stored
            except ObjectNotFound:
                pass
            # The digest is known only now: the copy's metadata adds it.
            self._promote(staging_key, key, content_type, {**user_metadata, SHA256_METADATA_KEY: digest})
        finally:
            self._discard(staging_key)
        return self.stat_object(key)

    def _upload(
        self, key: str, data: BinaryIO, length: int, content_type: str, metadata: dict[str, str]
    ) -> HashingReader:
        reader = HashingReader(data, length)
        try:
            self._client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, reader),  # minio only calls read(n)
                length if length is not None and length >= 0 else -1,
                content_type=content_type,
                metadata=dict(metadata),
                part_size=self._part_size,
                num_parallel_uploads=self._parallel_uploads,
            )
        except Exception as exc:
            if exc is reader.source_error:
                raise  # the caller's stream failed, not the store (minio aborted the upload)
            with self._errors(key):
                raise
        return reader

    def _promote(self, staging_key: str, key: str, content_type: str, metadata: dict[str, str]) -> None:
        """Server-side copy of a verified staging object to its key. The metadata is
        restated (REPLACE) because above 5 GiB minio composes, which copies none."""
        with self._errors(key):
            self._client.copy_object(
                self.bucket,
                key,
                CopySource(self.bucket, staging_key),
                metadata={"Content-Type": content_type, **metadata},
                metadata_directive=REPLACE,
            )

    def _staging_key(self) -> str:
        return f"{STAGING_PREFIX}{uuid.uuid4().hex}"

    def _discard(self, staging_key: str) -> None:
        try:
            with self._errors(staging_key):
                self._client.remove_object(self.bucket, staging_key)
        except StorageError:
            # Best effort: what a failed remove (or a crash) leaves is removed by
            # sweep_staging, which `ulak serve`, `ulak worker` and `ulak storage sweep` run.
            log.warning("could not remove staging object %s; sweep_staging will", staging_key)

    # -- reading ---------------------------------------------------------------------

    def get_object(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectStream:
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("offset and length must not be negative")
        self._check_key(key)
        self._ready()
        if length == 0:  # minio reads length=0 as "to the end"
            return ObjectStream(iter(()), self.stat_object(key), lambda: None)
        try:
            with self._errors(key):
                response = self._client.get_object(self.bucket, key, offset=offset, length=length or 0)
        except StorageError as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code == "InvalidRange":
                return ObjectStream(iter(()), self.stat_object(key), lambda: None)
            raise
        info = _info_from_headers(key, response.headers)

        def close() -> None:
            response.close()
            response.release_conn()

        return ObjectStream(self._stream(key, response), info, close)

    def _stream(self, key: str, response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        with self._errors(key):
            yield from response.stream(DOWNLOAD_CHUNK_SIZE)

    def stat_object(self, key: str) -> ObjectInfo:
        self._check_key(key)
        self._ready()
        with self._errors(key):
            stat = self._client.stat_object(self.bucket, key)
        return ObjectInfo(
            key=key,
            size=stat.size or 0,
            etag=stat.etag,
            content_type=stat.content_type,
            last_modified=stat.last_modified,
            metadata=_user_metadata(stat.metadata or {}),
        )

    def remove_object(self, key: str) -> None:
        self._check_key(key)
        self._ready()
        with self._errors(key):
            self._client.remove_object(self.bucket, key)

    def list_objects(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` in key order; ``content_type`` and metadata are not set
        (S3 listings do not carry them). Without ``recursive``, sub-"directories" are skipped."""
        validate_prefix(prefix)
        self._ready()
        with self._errors():
            for item in self._client.list_objects(self.bucket, prefix=prefix or None, recursive=recursive):
                name = item.object_name or ""
                if item.is_dir or name.startswith(STAGING_PREFIX):
                    continue
                yield ObjectInfo(key=name, size=item.size or 0, etag=item.etag, last_modified=item.last_modified)

    def presigned_get_object(
        self,
        key: str,
        *,
        expires: timedelta = timedelta(hours=1),
        response_headers: Mapping[str, str] | None = None,
        request_date: datetime | None = None,
    ) -> str:
        """A URL on the S3 server itself; signing is local (no request once the region is known)."""
        self._check_key(key)
        overrides: dict[str, str | list[str] | tuple[str]] = dict(check_response_headers(response_headers) or {})
        with self._errors(key):
            return self._client.presigned_get_object(
                self.bucket, key, expires=expires, response_headers=overrides or None, request_date=request_date
            )

    # -- errors ----------------------------------------------------------------------

    def _check_key(self, key: str) -> None:
        validate_key(key)
        if key.startswith(STAGING_PREFIX):
            raise InvalidKey(key, f"{STAGING_PREFIX} is reserved for uploads in flight")

    @contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """Translate minio and urllib3 failures into the storage error tree."""
        try:
            yield
        except S3Error as exc:
            raise self._translate_s3_error(exc, key) from exc
        except ServerError as exc:
            raise _by_status(exc.status_code, f"S3 server {self.endpoint} failed: {exc}") from exc
        except InvalidResponseError as exc:
            status = getattr(exc, "_code", 0) or 0
            raise _by_status(status, f"S3 server {self.endpoint} sent an invalid response: {exc}") from exc
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            raise StorageUnavailable(f"S3 server {self.endpoint} unreachable: {exc}") from exc
        except MinioException as exc:
            raise StorageError(f"S3 request to {self.endpoint} failed: {exc}") from exc

    def _translate_s3_error(self, exc: S3Error, key: str | None) -> StorageError:
        code = exc.code or ""
        if code == "NoSuchKey" and key is not None:
            return ObjectNotFound(key)
        if code in _AUTH_ERRORS:
            return StorageError(
                f"S3 server {self.endpoint} refused the credentials for access key "
                f"{self._access_key!r} ({code}: {exc.message}); check the access key, "
                f"the secret key and the key's permissions on bucket {self.bucket!r}"
            )
        if code == "NoSuchBucket":
            return StorageError(f"bucket {self.bucket!r} does not exist on {self.endpoint}")
        status = exc.response.status if exc.response is not None else 0
        if code in _TRANSIENT_ERRORS or status >= 500:
            return StorageUnavailable(f"S3 server {self.endpoint} failed ({code}): {exc.message}")
        return StorageError(f"S3 error {code} on {key or self.bucket!r}: {exc.message}")


def _by_status(status: int, message: str) -> StorageError:
    return StorageUnavailable(message) if status >= 500 or status == 0 else StorageError(message)


def _user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    prefix = "x-amz-meta-"
    return {name[len(prefix) :].lower(): value for name, value in headers.items() if name.lower().startswith(prefix)}


def _info_from_headers(key: str, headers: Mapping[str, str]) -> ObjectInfo:
    # Content-Range ("bytes 0-9/1234") carries the whole size on a ranged read.
    content_range = headers.get("Content-Range", "")
    size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else int(headers.get("Content-Length", 0))
    modified = headers.get("Last-Modified")
    return ObjectInfo(
        key=key,
        size=size,
        etag=(headers.get("ETag") or "").strip('"') or None,
        content_type=headers.get("Content-Type"),
        last_modified=parsedate_to_datetime(modified) if modified else None,
        metadata=_user_metadata(headers),
    )
