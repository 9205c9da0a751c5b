"""The object-store interface (minio-py vocabulary) and the storage error tree.

    StorageError
    ├── ObjectNotFound        the key does not exist
    ├── StorageUnavailable    connection refused, timeout, 5xx: try again later
    └── StorageIntegrityError the bytes written do not match the sha256 promised
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
        if self._buffer:
            yield self._buffer
            self._buffer = b""
        yield from self._chunks

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

    def get_object(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectStream: ...

    def stat_object(self, key: str) -> ObjectInfo: ...

    def remove_object(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    def list_objects(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]: ...

    def presigned_get_object(self, key: str, *, expires: timedelta = timedelta(hours=1)) -> str: ...

    def ping(self) -> None:
        """Raise ``StorageUnavailable`` unless the store answers (for /readyz)."""
        ...
