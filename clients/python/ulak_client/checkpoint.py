"""Feed checkpoints: where a partner stopped reading, saved so a restart resumes exactly.

The hub's cursor marks a page boundary, so a position is ``after`` (the cursor the
current page was fetched with) plus ``skip`` (how many of that page's entries were
handled) plus the key of the last handled entry, which lets the feed check on resume
that the hub still agrees with what was handled. ``Checkpoint`` keeps the position in
a JSON file replaced atomically (write a temporary file, fsync, rename), so a crash at
any instant leaves either the old position or the new one, never a torn file. Any
object with ``load()`` and ``save(position)`` can stand in for it (a database row, Redis…).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ._exceptions import CheckpointError

FORMAT_VERSION = 1


@dataclass(frozen=True)
class FeedPosition:
    """A point in one feed (``lang`` + ``agency`` + ``quality`` filters) between two entries."""

    lang: str
    agency: str | None = None
    after: str | None = None  # None = from the beginning of the feed
    skip: int = 0
    last: tuple[str, int, str] | None = None  # (story_id, version, language) last handled
    quality: str | None = None  # the feed's quality filter ("ok"), None for all entries

    def to_dict(self) -> dict[str, object]:
        last = None
        if self.last is not None:
            story_id, version, language = self.last
            last = {"storyId": story_id, "version": version, "language": language}
        return {
            "format": FORMAT_VERSION,
            "lang": self.lang,
            "agency": self.agency,
            "after": self.after,
            "skip": self.skip,
            "last": last,
            "quality": self.quality,
        }

    @classmethod
    def from_dict(cls, data: object) -> FeedPosition:
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise CheckpointError(f"not a ulak feed checkpoint (format {FORMAT_VERSION}): {data!r:.200}")
        try:
            last = data.get("last")
            return cls(
                lang=str(data["lang"]),
                agency=None if data.get("agency") is None else str(data["agency"]),
                after=None if data.get("after") is None else str(data["after"]),
                skip=int(data.get("skip", 0)),
                last=None if last is None else (str(last["storyId"]), int(last["version"]), str(last["language"])),
                # Absent in checkpoints written before the filter existed: those read everything.
                quality=None if data.get("quality") is None else str(data["quality"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"not a ulak feed checkpoint: {data!r:.200}") from exc


@runtime_checkable
class CheckpointStore(Protocol):
    """Where a feed keeps its position; ``load`` returns None when nothing was saved yet."""

    def load(self) -> FeedPosition | None: ...

    def save(self, position: FeedPosition) -> None: ...


class MemoryCheckpoint:
    """A checkpoint that lives as long as the process (tests, one-shot scripts)."""

    def __init__(self, position: FeedPosition | None = None) -> None:
        self.position = position
        self.saves = 0

    def load(self) -> FeedPosition | None:
        return self.position

    def save(self, position: FeedPosition) -> None:
        self.position = position
        self.saves += 1


class Checkpoint:
    """A checkpoint in a JSON file, replaced atomically on every save.

    ``fsync=False`` trades durability across a power cut (not across a process crash)
    for speed when entries are handled faster than the disk syncs.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    def load(self) -> FeedPosition | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CheckpointError(f"{self.path}: not valid JSON") from exc
        return FeedPosition.from_dict(data)

    def save(self, position: FeedPosition) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(position.to_dict(), ensure_ascii=False).encode("utf-8")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(payload)
                if self.fsync:
                    tmp.flush()
                    os.fsync(tmp.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        if self.fsync:
            _fsync_directory(directory)

    def clear(self) -> None:
        """Forget the position: the next feed starts from the beginning."""
        self.path.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk (POSIX); Windows
    # cannot open directories, and there the rename is already as durable as it gets.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
