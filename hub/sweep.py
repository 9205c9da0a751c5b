"""Removing what crashed writers leave behind: staged uploads in the object store and
uploads spooled under the data dir. Run when `ulak serve` or `ulak worker` starts and by
`ulak storage sweep`; only files older than a cutoff go, so live uploads are safe."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hub.runtime import HubRuntime
from storage import StorageError

log = logging.getLogger("ulak.sweep")

# Longer than any upload takes (512 MiB at 1 Mbit/s is about 70 minutes).
STALE_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class SweepResult:
    staged_objects: int
    spooled_files: int


def spool_dir(runtime: HubRuntime) -> Path:
    return runtime.settings.upload_spool_dir


def sweep(runtime: HubRuntime, *, older_than: timedelta = STALE_AFTER) -> SweepResult:
    """Sweep both places; raises ``StorageError`` when the object store cannot be listed."""
    staged = runtime.store.sweep_staging(older_than=older_than)
    spooled = _sweep_directory(spool_dir(runtime), older_than)
    if staged or spooled:
        log.info("swept %d staged object(s) and %d spooled upload(s) left by crashed writers", staged, spooled)
    return SweepResult(staged, spooled)


def sweep_at_start(runtime: HubRuntime) -> None:
    """The start-up sweep: a store that is down now must not keep the hub from starting."""
    try:
        sweep(runtime)
    except StorageError as exc:
        log.warning("start-up sweep skipped, the object store is unavailable: %s", exc)


def _sweep_directory(directory: Path, older_than: timedelta) -> int:
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue  # finished by its writer meanwhile
    return removed
