"""The embedded default backend: objects as files under one directory.

On disk: ``<root>/objects/<key>`` holds the bytes, ``<root>/meta/<key>.json`` the
content type, etag (the sha256) and user metadata, and ``<root>/staging/`` the
uploads in flight. A write goes to a staging file (same filesystem, so the final
``os.replace`` is atomic), is fsynced, verified, then renamed into place: a reader
sees the old object or the new one, never half of one. Presigned URLs point at the
hub (``{base_url}/v1/objects/<key>?expires=[&response-…=]&signature=``), which checks
them with ``verify_presigned`` and sends the signed ``response-*`` overrides as headers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from storage._support import (
    CHUNK_SIZE,
    SHA256_METADATA_KEY,
    HashingReader,
    check_response_headers,
    check_sha256,
    normalize_metadata,
    verify_digest,
)
from storage.base import ObjectInfo, ObjectNotFound, ObjectStream, StorageError, StorageUnavailable
from storage.layout import validate_key, validate_prefix

MAX_PRESIGN_EXPIRY = timedelta(days=7)  # the S3 limit, kept so both backends agree


class LocalObjectStore:
    def __init__(self, root: Path, *, base_url: str, secret: bytes) -> None:
        if not secret:
            raise ValueError("a non-empty secret is required to sign presigned URLs")
        self.root = Path(root).resolve()
        self.base_url = base_url.rstrip("/")
        self._secret = bytes(secret)
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._staging = self.root / "staging"
        for directory in (self._objects, self._meta, self._staging):
            directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    # -- writing -------------------------------------------------------------------

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
        path = self._object_path(key)
        expected = check_sha256(sha256)
        user_metadata = normalize_metadata(metadata)
        staged, digest, size = self._stage(data, length)
        try:
            verify_digest(expected, digest, key)
            if expected is not None:
                user_metadata[SHA256_METADATA_KEY] = digest
            return self._publish(staged, key, path, size, digest, content_type, user_metadata)
        finally:
            staged.unlink(missing_ok=True)

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
        staged, digest, size = self._stage(data, length)
        try:
            key = key_for_digest(digest)
            path = self._object_path(key)
            if path.is_file():
                return self.stat_object(key)
            user_metadata[SHA256_METADATA_KEY] = digest
            return self._publish(staged, key, path, size, digest, content_type, user_metadata)
        finally:
            staged.unlink(missing_ok=True)

    def _stage(self, data: BinaryIO, length: int) -> tuple[Path, str, int]:
        """Copy the stream into a fsynced staging file; return it with its sha256 and size."""
        reader = HashingReader(data, length)
        try:
            fd, name = tempfile.mkstemp(dir=self._staging, prefix="put-")
        except OSError as exc:
            raise StorageUnavailable(f"cannot write to {self._staging}: {exc}") from exc
        staged = Path(name)
        try:
            with os.fdopen(fd, "wb") as file:
                while chunk := reader.read(CHUNK_SIZE):
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
        except BaseException as exc:
            staged.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc is not reader.source_error:
                raise StorageUnavailable(f"cannot write to {self._staging}: {exc}") from exc
            raise
        return staged, reader.hexdigest(), reader.size

    def _publish(
        self,
        staged: Path,
        key: str,
        path: Path,
        size: int,
        digest: str,
        content_type: str,
        metadata: dict[str, str],
    ) -> ObjectInfo:
        # Metadata first: a crash in between leaves a sidecar without an object (harmless,
        # the object is simply absent), never an object without its content type.
        sidecar = {"content_type": content_type, "etag": digest, "metadata": metadata}
        try:
            self._write_sidecar(key, sidecar)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, path)
            _fsync_directory(path.parent)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            raise StorageError(f"key {key!r} collides with an existing key used as a directory") from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot write {key!r} under {self.root}: {exc}") from exc
        return ObjectInfo(
            key=key,
            size=size,
            etag=digest,
            content_type=content_type,
            last_modified=_mtime(path.stat()),
            metadata=dict(metadata),
        )

    def _write_sidecar(self, key: str, sidecar: Mapping[str, object]) -> None:
        path = self._meta_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._staging, prefix="meta-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(sidecar, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(name, path)
        finally:
            Path(name).unlink(missing_ok=True)

    # -- reading -------------------------------------------------------------------

    def get_object(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectStream:
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("offset and length must not be negative")
        path = self._object_path(key)
        try:
            file = path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc
        try:
            info = self._info(key, os.fstat(file.fileno()))
            file.seek(offset)
        except BaseException:
            file.close()
            raise
        remaining = max(0, info.size - offset) if length is None else length
        return ObjectStream(_read_chunks(file, remaining), info, file.close)

    def stat_object(self, key: str) -> ObjectInfo:
        path = self._object_path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageUnavailable(f"cannot stat {key!r}: {exc}") from exc
        if not path.is_file():
            raise ObjectNotFound(key)
        return self._info(key, stat)

    def _info(self, key: str, stat: os.stat_result) -> ObjectInfo:
        try:
            sidecar = json.loads(self._meta_path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, ValueError):
            sidecar = {}  # a file dropped in by hand: still an object, without metadata
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            etag=sidecar.get("etag"),
            content_type=sidecar.get("content_type", "application/octet-stream"),
            last_modified=_mtime(stat),
            metadata=dict(sidecar.get("metadata", {})),
        )

    def remove_object(self, key: str) -> None:
        path = self._object_path(key)
        try:
            path.unlink(missing_ok=True)
            self._meta_path(key).unlink(missing_ok=True)
        except (NotADirectoryError, IsADirectoryError):
            return
        except OSError as exc:
            raise StorageUnavailable(f"cannot remove {key!r}: {exc}") from exc

    def list_objects(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key (UTF-8 byte) order like S3.

        Without ``recursive``, only objects directly under the prefix's last '/'.
        Listing reads no sidecars: ``content_type``, ``etag`` and metadata are not set.
        """
        validate_prefix(prefix)
        directory, _, _ = prefix.rpartition("/")
        start = self._objects / directory if directory else self._objects
        yield from self._walk(start, f"{directory}/" if directory else "", prefix, recursive)

    def _walk(self, directory: Path, key_prefix: str, prefix: str, recursive: bool) -> Iterator[ObjectInfo]:
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        # A directory sorts as "name/" so the walk yields keys in global byte order.
        decorated = sorted(
            ((entry.name + "/" if entry.is_dir(follow_symlinks=False) else entry.name).encode(), entry)
            for entry in entries
        )
        for sort_name, entry in decorated:
            key = key_prefix + entry.name
            if sort_name.endswith(b"/"):
                if recursive and (key + "/").startswith(prefix):
                    yield from self._walk(Path(entry.path), key + "/", prefix, recursive)
            elif key.startswith(prefix) and entry.is_file(follow_symlinks=False):
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed while we listed
                    continue
                yield ObjectInfo(key=key, size=stat.st_size, last_modified=_mtime(stat))

    # -- presigned URLs ----------------------------------------------------------------

    def presigned_get_object(
        self,
        key: str,
        *,
        expires: timedelta = timedelta(hours=1),
        response_headers: Mapping[str, str] | None = None,
        request_date: datetime | None = None,
    ) -> str:
        validate_key(key)
        if not timedelta(seconds=1) <= expires <= MAX_PRESIGN_EXPIRY:
            raise ValueError("expires must be between 1 second and 7 days")
        overrides = check_response_headers(response_headers)
        issued = request_date or datetime.now(UTC)
        expires_at = int((issued + expires).timestamp())
        signature = self._sign(key, expires_at, overrides)
        extra = "".join(f"&{name}={quote(value, safe='')}" for name, value in sorted(overrides.items()))
        return f"{self.base_url}/v1/objects/{quote(key, safe='/')}?expires={expires_at}{extra}&signature={signature}"

    def verify_presigned(
        self, key: str, expires: int, signature: str, response_headers: Mapping[str, str] | None = None
    ) -> bool:
        """True when ``signature`` was made by this store for ``key`` with these response
        header overrides (S3's ``response-*`` query parameters) and has not expired.
        The server that checks it must send the overrides as the response's headers."""
        try:
            validate_key(key)
            expires = int(expires)
            overrides = check_response_headers(response_headers)
        except (ValueError, TypeError):
            return False
        expected = self._sign(key, expires, overrides)
        valid = hmac.compare_digest(expected.encode(), str(signature).encode("utf-8", "replace"))
        return valid and expires >= time.time()

    def _sign(self, key: str, expires: int, overrides: Mapping[str, str]) -> str:
        # Without overrides the message is what it always was: links already out stay valid.
        message = f"GET\n{key}\n{expires}" + "".join(f"\n{n}={v}" for n, v in sorted(overrides.items()))
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    # -- health ------------------------------------------------------------------------

    def ping(self) -> None:
        for directory in (self._objects, self._meta, self._staging):
            if not directory.is_dir() or not os.access(directory, os.R_OK | os.W_OK | os.X_OK):
                raise StorageUnavailable(f"{directory} is missing or not writable")

    def sweep_staging(self, *, older_than: timedelta) -> int:
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        try:
            for entry in os.scandir(self._staging):
                # A staging file is removed by its writer; one older than the cutoff
                # belongs to a writer that crashed (the directory lives as long as the store).
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue  # its writer finished meanwhile
        except OSError as exc:
            raise StorageUnavailable(f"cannot sweep {self._staging}: {exc}") from exc
        return removed

    # -- paths -------------------------------------------------------------------------

    def _object_path(self, key: str) -> Path:
        return self._objects.joinpath(*validate_key(key).split("/"))

    def _meta_path(self, key: str) -> Path:
        parts = validate_key(key).split("/")
        return self._meta.joinpath(*parts[:-1], parts[-1] + ".json")


def _read_chunks(file: BinaryIO, remaining: int) -> Iterator[bytes]:
    while remaining > 0:
        try:
            chunk = file.read(min(CHUNK_SIZE, remaining))
        except ValueError:  # closed by the consumer mid-iteration
            return
        except OSError as exc:
            raise StorageUnavailable(f"read failed: {exc}") from exc
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def _mtime(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime, UTC)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable, not just the file contents.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
