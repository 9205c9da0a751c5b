"""Media upload bodies: a path, bytes, a binary file or a byte stream, sent in chunks.

A path, bytes or a seekable file can be read again from the start, so an upload of
one can be retried; a one-shot stream cannot. Where the size is known it is sent as
``Content-Length`` (proxies and the hub's size limit like that better than chunked).
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

CHUNK_SIZE = 256 * 1024

MediaInput = str | os.PathLike[str] | bytes | IO[bytes] | Iterable[bytes] | AsyncIterable[bytes]


class MediaSource:
    def __init__(self, source: MediaInput, *, content_type: str | None = None, chunk_size: int = CHUNK_SIZE) -> None:
        self.content_type = content_type
        self.chunk_size = chunk_size
        self._source: Any = source
        self._start = 0
        self.length: int | None = None
        self.replayable = False
        if isinstance(source, (str, os.PathLike)):
            self._source = Path(source)
            self.length = self._source.stat().st_size  # raises FileNotFoundError early, before any I/O
            self.replayable = True
        elif isinstance(source, (bytes, bytearray, memoryview)):
            self._source = bytes(source)
            self.length = len(self._source)
            self.replayable = True
        elif isinstance(source, io.IOBase) or hasattr(source, "read"):
            stream: Any = source  # a binary file: seekable ones can be measured and replayed
            if _seekable(stream):
                self._start = stream.tell()
                self.length = stream.seek(0, io.SEEK_END) - self._start
                stream.seek(self._start)
                self.replayable = True
        elif not isinstance(source, (Iterable, AsyncIterable)):
            raise TypeError(
                f"cannot upload {type(source).__name__}: give a path, bytes, a binary file or a byte stream"
            )

    @property
    def name(self) -> str | None:
        if isinstance(self._source, Path):
            return self._source.name
        name = getattr(self._source, "name", None)
        return os.path.basename(name) if isinstance(name, str) else None

    def headers(self) -> dict[str, str]:
        # Without an explicit type, send none: the hub sniffs the bytes, and a guessed
        # default would only mislead it.
        headers = {"Content-Type": self.content_type} if self.content_type else {}
        if self.length is not None:
            headers["Content-Length"] = str(self.length)
        return headers

    def sync_chunks(self) -> Iterator[bytes]:
        source = self._source
        if isinstance(source, Path):
            with source.open("rb") as handle:
                yield from _read_chunks(handle, self.chunk_size)
        elif isinstance(source, bytes):
            for offset in range(0, len(source), self.chunk_size):
                yield source[offset : offset + self.chunk_size]
        elif hasattr(source, "read"):
            if self.replayable:
                source.seek(self._start)
            yield from _read_chunks(source, self.chunk_size)
        elif isinstance(source, Iterable):
            for chunk in source:
                yield bytes(chunk)
        else:
            raise TypeError("an async byte stream needs AsyncUlakClient")

    async def async_chunks(self) -> AsyncIterator[bytes]:
        if isinstance(self._source, AsyncIterable):
            async for chunk in self._source:
                yield bytes(chunk)
            return
        # Files are read in small blocking chunks: local disk reads of 256 KiB are short
        # enough not to matter to the event loop, and this keeps the SDK free of anyio.
        for chunk in self.sync_chunks():
            yield chunk


def _read_chunks(handle: IO[bytes], chunk_size: int) -> Iterator[bytes]:
    while chunk := handle.read(chunk_size):
        yield chunk


def _seekable(handle: Any) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, ValueError, OSError):
        return False
