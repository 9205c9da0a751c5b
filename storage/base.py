"""The object-store interface (minio-py vocabulary) and the storage error tree.

StorageError
├── ObjectNotFound        the key does not exist
├── StorageUnavailable    connection refused, timeout, 5xx: try again later
├── StorageIntegrityError the bytes written do not match the sha256 promised
└── InvalidKey            the key is malformed or escapes the store (also a ValueError)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol, runtime_checkable


class StorageError(Exception):
    """Root of every error this package raises."""


class ObjectNotFound(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"object not found: {key}")
        self.key = key


class StorageUnavailable(StorageError):
    """The store cannot be reached or failed on its side; the operation may succeed later."""


class StorageIntegrityError(StorageError):
    """The uploaded bytes do not hash to the sha256 the caller promised; nothing was stored."""


class InvalidKey(StorageError, ValueError):
    """A key (or prefix) that is empty, absolute, contains '..', NUL, a backslash or a
    control character. A ValueError too: it is the caller's mistake, not the store's."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"invalid object key {key!r}: {reason}")
        self.key = key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str | None = None
    content_type: str | None = None
    last_modified: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


class ObjectStream:
    """A streamed object body: iterate it for chunks, or ``read()``; always close it."""

    def __init__(self, chunks: Iterator[bytes], info: ObjectInfo, close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close
        self._buffer = b""
        self.info = info

    def __iter__(self) -> Iterator[bytes]:
        # The stream is its own iterator (not a generator): a loop abandoned half-way must
        # not close the underlying chunks, so iterating again carries on where it stopped.
        return self

    def __next__(self) -> bytes:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            return data
        return next(self._chunks)

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self) -> None:
        self._close()

    def __enter__(self) -> ObjectStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@runtime_checkable
class ObjectStore(Protocol):
    """What every backend offers. Keys are '/'-separated relative paths."""

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
        """Store ``data`` (read in chunks; ``length=-1`` when unknown). With ``sha256``,
        the digest is verified while streaming and a mismatch stores nothing."""
        ...

    def put_content_addressed(
        self,
        data: BinaryIO,
        length: int = -1,
        *,
        key_for_digest: Callable[[str], str],
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Store ``data`` under ``key_for_digest(sha256 of the bytes)``, hashing while
        streaming to a staging area. When that key already exists nothing new is stored.
        The returned info carries the key, and ``metadata["sha256"]``."""
        ...

    def get_object(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectStream:
        """Stream ``length`` bytes (to the end when None) from ``offset``. ``stream.info``
        describes the whole object (``size`` is its full size); a range past the end
        yields no bytes."""
        ...

    def stat_object(self, key: str) -> ObjectInfo: ...

    def remove_object(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    def list_objects(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]: ...

    def presigned_get_object(
        self, key: str, *, expires: timedelta = timedelta(hours=1), response_headers: Mapping[str, str] | None = None
    ) -> str:
        """A URL anyone can GET until ``expires``. ``response_headers`` (S3's query
        overrides, e.g. ``{"response-content-disposition": "attachment"}``) are signed
        into the URL and sent with the bytes."""
        ...

    def ping(self) -> None:
        """Raise ``StorageUnavailable`` unless the store answers (for /readyz)."""
        ...

    def sweep_staging(self, *, older_than: timedelta) -> int:
        """Remove staged uploads older than ``older_than`` that a crashed writer left
        behind (a live upload's staging object is younger); returns how many."""
        ...
