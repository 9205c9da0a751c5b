"""Helpers shared by the backends: user-metadata rules and a hashing, counting reader.

Both backends apply the same metadata rules so that what round-trips through one
round-trips through the other (S3 sends metadata as HTTP headers, hence ASCII).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import BinaryIO

from storage.base import StorageError, StorageIntegrityError

CHUNK_SIZE = 1024 * 1024
SHA256_METADATA_KEY = "sha256"
MAX_METADATA_BYTES = 2048  # the S3 limit on user metadata

_METADATA_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
# Names minio would send as real headers rather than x-amz-meta-*.
_RESERVED_METADATA_KEYS = {
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-type",
}
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
# The query parameters S3 accepts on a signed GET to override the response's headers.
RESPONSE_HEADER_OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}


def normalize_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Lowercase keys ([a-z0-9-]) and printable-ASCII values, or ``ValueError``."""
    normalized: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        name = str(key).lower()
        if name.startswith("x-amz-meta-"):
            name = name[len("x-amz-meta-") :]
        if not _METADATA_KEY.fullmatch(name) or name in _RESERVED_METADATA_KEYS:
            raise ValueError(f"metadata key {key!r} must match [a-z0-9][a-z0-9-]* and not name an HTTP header")
        if not isinstance(value, str) or any(not 0x20 <= ord(char) < 0x7F for char in value):
            raise ValueError(f"metadata value for {key!r} must be printable ASCII text")
        normalized[name] = value
    if sum(len(k) + len(v) for k, v in normalized.items()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata larger than {MAX_METADATA_BYTES} bytes")
    return normalized


def check_response_headers(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """Lowercase override names that S3 knows, with printable-ASCII values, or ``ValueError``."""
    checked: dict[str, str] = {}
    for name, value in (overrides or {}).items():
        lowered = str(name).lower()
        if lowered not in RESPONSE_HEADER_OVERRIDES:
            raise ValueError(f"unknown response header override {name!r}; use {sorted(RESPONSE_HEADER_OVERRIDES)}")
        if not isinstance(value, str) or any(not 0x20 <= ord(char) < 0x7F for char in value):
            raise ValueError(f"response header override {name!r} must be printable ASCII text")
        checked[lowered] = value
    return checked


def check_sha256(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    digest = sha256.lower()
    if not _HEX_SHA256.fullmatch(digest):
        raise ValueError(f"not a hex sha256 digest: {sha256!r}")
    return digest


def verify_digest(expected: str | None, actual: str, key: str) -> None:
    if expected is not None and expected != actual:
        raise StorageIntegrityError(f"sha256 mismatch for {key}: expected {expected}, got {actual}; nothing stored")


class HashingReader:
    """Wraps an upload stream: reads at most ``length`` bytes, counts and hashes them.

    ``read(n)`` fills up to ``n`` bytes so that minio gets a whole part in one call
    instead of concatenating many small reads from a network stream.
    """

    def __init__(self, stream: BinaryIO, length: int = -1) -> None:
        if length is not None and length < -1:
            raise ValueError("length must be -1 (unknown) or >= 0")
        self._stream = stream
        self._remaining = length if length is not None and length >= 0 else None
        self._expected = self._remaining
        self._hash = hashlib.sha256()
        self.size = 0
        # An exception from the caller's stream (a client disconnecting, say) is the
        # caller's, not the store's: backends re-raise it unchanged instead of mapping it.
        self.source_error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK_SIZE
        if self._remaining is not None:
            size = min(size, self._remaining)
        data = self._read_up_to(size)
        self._hash.update(data)
        self.size += len(data)
        if self._remaining is not None:
            self._remaining -= len(data)
            if size > 0 and not data:
                self.source_error = StorageError(
                    f"upload stream ended after {self.size} of {self._expected} bytes; nothing stored"
                )
                raise self.source_error
        return data

    def _read_up_to(self, size: int) -> bytes:
        try:
            first = self._stream.read(size)
            if len(first) >= size or not first:
                return first  # a file hands over the whole part: no copy at all
            buffer = bytearray(first)
            while len(buffer) < size:
                chunk = self._stream.read(size - len(buffer))
                if not chunk:
                    break
                buffer += chunk
            return bytes(buffer)
        except BaseException as exc:
            self.source_error = exc
            raise

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
