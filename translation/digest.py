"""Package content digests: which model a package really translates with.

A package's digest is sha256 over its model files — every file under ``model/`` (model.bin,
vocabularies, config…), ``sentencepiece.model`` and ``target_sentencepiece.model`` when
there is one, each as its relative path, size and bytes, in path order — and then, as
canonical JSON, the metadata that changes outputs (languages, language tokens, prefixes, the
pair; the source suffix and special-token skipping only when set, so packages that predate
those fields keep their digests). The version, the display names and the digest record itself are left
out, so a default version can be derived from the digest, and the same model installed
under two versions has one digest. The model pool and the translation memory key on it: a
package replaced under the same code and version is a different model to both.

Hashing a 1 GB model takes seconds, so the file part is hashed once, when a package is
installed or imported, and recorded in ``ulak-digest.json`` beside the package's files
with each covered file's size and mtime. A scan only stats the files and trusts the
record when every stamp matches. Otherwise (a package installed before digests existed,
a file changed in place) it hashes again and rewrites the record; in a read-only models
dir it keeps the result in process memory instead, so each process hashes only once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

DIGEST_RECORD = "ulak-digest.json"
SHORT_LENGTH = 12
_COVERED_ROOTS = ("model", "sentencepiece.model", "target_sentencepiece.model")
_OUTPUT_SETTINGS = ("from_code", "to_code", "languages", "language_tokens", "source_prefix", "target_prefix")
# Added later: hashed only when set, so every older package keeps the digest it was installed with.
_LATER_OUTPUT_SETTINGS = ("source_suffix", "skip_special_tokens")
_CHUNK = 1 << 20

Stamps = dict[str, list[int]]
# (package dir, its stamps) → file hash, for packages whose record cannot be written.
_unrecorded: dict[tuple[str, str], str] = {}


def _output_settings(metadata: Mapping[str, object]) -> dict[str, object]:
    """The metadata fields that decide what a package outputs (languages, tokens, prefixes)."""
    settings = {key: metadata.get(key) or None for key in _OUTPUT_SETTINGS}
    return settings | {key: metadata[key] for key in _LATER_OUTPUT_SETTINGS if metadata.get(key)}


def _covered_files(package_dir: Path) -> list[str]:
    files = []
    for root in _COVERED_ROOTS:
        path = package_dir / root
        if path.is_file():
            files.append(root)
        elif path.is_dir():
            files += [f.relative_to(package_dir).as_posix() for f in path.rglob("*") if f.is_file()]
    return sorted(files)


def _stamps(package_dir: Path) -> Stamps:
    stamps = {}
    for name in _covered_files(package_dir):
        stat = (package_dir / name).stat()
        stamps[name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def _hash_files(package_dir: Path, names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        path = package_dir / name
        digest.update(name.encode() + b"\0" + path.stat().st_size.to_bytes(8, "big"))
        with path.open("rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _read_record(package_dir: Path) -> tuple[Stamps, str] | None:
    try:
        record = json.loads((package_dir / DIGEST_RECORD).read_text(encoding="utf-8"))
        return record["files"], record["files_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(package_dir: Path, stamps: Stamps, files_sha256: str) -> bool:
    record = json.dumps({"files_sha256": files_sha256, "files": stamps}, indent=2)
    # Written aside and renamed: two processes scanning one old package may both record it.
    partial = package_dir / f".{DIGEST_RECORD}.{uuid.uuid4().hex}"
    try:
        partial.write_text(record, encoding="utf-8")
        os.replace(partial, package_dir / DIGEST_RECORD)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        log.info("cannot record the digest of %s (%s); hashing it once per process", package_dir, exc)
        return False
    return True


def files_digest(package_dir: Path) -> str:
    """The hash of the package's model files: from its record when still valid, else computed."""
    stamps = _stamps(package_dir)
    recorded = _read_record(package_dir)
    if recorded is not None and recorded[0] == stamps:
        return recorded[1]
    memo_key = (str(package_dir), json.dumps(stamps, sort_keys=True))
    if memo_key in _unrecorded:
        return _unrecorded[memo_key]
    files_sha256 = _hash_files(package_dir, sorted(stamps))
    if _stamps(package_dir) != stamps:
        return files_sha256  # changing while we read: do not vouch for it
    if not _write_record(package_dir, stamps, files_sha256):
        _unrecorded[memo_key] = files_sha256
    return files_sha256


def package_digest(package_dir: Path, metadata: Mapping[str, object]) -> str:
    """The package's content digest (hex): its model files and its output-changing metadata."""
    settings = json.dumps(_output_settings(metadata), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{files_digest(package_dir)}\n{settings}".encode()).hexdigest()


def content_version(digest: str, base: str = "1.0") -> str:
    """A version that changes with the content: ``1.0+<short digest>``."""
    return f"{base}+{digest[:SHORT_LENGTH]}"
