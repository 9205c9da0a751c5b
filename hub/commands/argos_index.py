"""Packages from the Argos index, for `ulak models available|install|setup`: the index
(cached under the data dir, with a hint for offline hubs when it is unreachable) and
downloads with a progress bar, installed atomically."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from hub.config import Settings
from translation.errors import IndexUnavailable
from translation.index import IndexEntry, download, load_index
from translation.packages import PackageInfo, install_archive

_OFFLINE_HINT = (
    "offline, install package files with `ulak models setup --from DIR` or `ulak models install FILE`; "
    "or set ULAK_ARGOS_INDEX_URL to a reachable mirror of the index"
)


def index_cache(settings: Settings) -> Path:
    return settings.data_dir / "cache" / "argos-index.json"


def load_argos_index(settings: Settings, *, refresh: bool = False) -> list[IndexEntry]:
    try:
        return load_index(settings.argos_index_url, index_cache(settings), refresh=refresh)
    except IndexUnavailable as exc:
        raise IndexUnavailable(f"the package index is unreachable ({exc}); {_OFFLINE_HINT}") from None


def download_with_progress(url: str, dest: Path) -> Path:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    # A bar is for a human at a terminal; in logs and pipes it would only add noise.
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"downloading {url.rsplit('/', 1)[-1]}", total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        return download(url, dest, on_progress=update)


def install_from_url(url: str, packages_dir: Path) -> PackageInfo:
    packages_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=packages_dir, prefix=".download-") as scratch:
        archive = download_with_progress(url, Path(scratch) / "package.argosmodel")
        return install_archive(archive, packages_dir)
