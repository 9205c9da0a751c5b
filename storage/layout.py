"""Where things live in the object store, and what a valid key is.

Media are content-addressed (``media/sha256/ab/cd/<sha256>``) so the same bytes are
stored once; story documents are kept per version and language
(``stories/<agency>/<story>/<version>/<lang>.json``). Every backend checks keys with
``validate_key`` so a key that would escape a directory store is refused everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import BinaryIO

from storage.base import InvalidKey, ObjectInfo, ObjectStore

MAX_KEY_BYTES = 1024  # the S3 limit, applied to every backend so keys stay portable
MAX_SEGMENT_BYTES = 255  # a file name on common filesystems

_SHA256 = re.compile(r"[0-9a-f]{64}")
# Agency codes, story ids and versions end up as single path segments.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative '/'-separated key, else raise ``InvalidKey``."""
    if not isinstance(key, str) or not key:
        raise InvalidKey(str(key), "empty")
    _check_characters(key)
    if key.startswith("/"):
        raise InvalidKey(key, "absolute")
    if len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidKey(key, f"longer than {MAX_KEY_BYTES} bytes")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(key, "empty, '.' or '..' path segment")
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise InvalidKey(key, f"a segment is longer than {MAX_SEGMENT_BYTES} bytes")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: '' or the start of a valid key (may end with '/')."""
    if prefix == "":
        return prefix
    _check_characters(prefix)
    if prefix.startswith("/"):
        raise InvalidKey(prefix, "absolute")
    if any(segment in (".", "..") for segment in prefix.split("/")) or "//" in prefix:
        raise InvalidKey(prefix, "empty, '.' or '..' path segment")
    return prefix


def _check_characters(key: str) -> None:
    if "\\" in key:
        raise InvalidKey(key, "backslash")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise InvalidKey(key, "NUL or control character")


def media_key(sha256: str) -> str:
    """``media/sha256/ab/cd/<sha256>`` for a lowercase hex sha256 digest."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex sha256 digest: {sha256!r}")
    return f"media/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def package_key(sha256: str) -> str:
    """``models/sha256/<sha256>.argosmodel``: a translation package archive, by its bytes' digest."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex sha256 digest: {sha256!r}")
    return f"models/sha256/{sha256}.argosmodel"


def story_key(agency: str, story_id: str, version: int | str, lang: str, *, revision: str | None = None) -> str:
    """``stories/<agency>/<story>/<version>/<lang>.json``; every part must be one safe segment.

    ``revision`` names a later revision of the same language version (a human post-edit):
    ``<lang>.<revision>.json``, beside the first, so a new revision never overwrites the
    object an older row still serves."""
    parts = {"agency": agency, "story_id": story_id, "version": str(version)}
    if revision is not None:
        parts["revision"] = revision
    for name, value in parts.items():
        if not isinstance(value, str) or not _SEGMENT.fullmatch(value):
            raise ValueError(f"{name} {value!r} is not a safe key segment ([A-Za-z0-9._-], max 128)")
    if isinstance(version, int) and version < 0:
        raise ValueError(f"version must not be negative: {version}")
    if not isinstance(lang, str) or not _LANG.fullmatch(lang):
        raise ValueError(f"lang {lang!r} is not a BCP 47 language tag")
    suffix = f".{revision}" if revision is not None else ""
    return f"stories/{agency}/{story_id}/{version}/{lang}{suffix}.json"


def put_media(
    store: ObjectStore,
    data: BinaryIO,
    length: int = -1,
    *,
    content_type: str = "application/octet-stream",
    metadata: Mapping[str, str] | None = None,
) -> ObjectInfo:
    """Store a media blob under its ``media_key``; the same bytes twice store nothing new.

    The digest is in ``info.metadata["sha256"]`` and the key in ``info.key``.
    """
    return store.put_content_addressed(
        data, length, key_for_digest=media_key, content_type=content_type, metadata=metadata
    )
