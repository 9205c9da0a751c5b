"""The Argos package index: fetching and caching it, finding a package, downloading a file.

Only operators' commands (``ulak models available|install``) touch the network; the engine
never downloads anything. The index is cached as JSON so ``available`` works offline after
one successful fetch.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from translation.errors import IndexUnavailable, PackageNotFound
from translation.packages import version_key

CACHE_MAX_AGE_SECONDS = 24 * 3600
ProgressCallback = Callable[[int, int | None], None]  # (bytes so far, total or None)


@dataclass(frozen=True)
class IndexEntry:
    code: str
    version: str
    from_code: str
    to_code: str
    from_name: str
    to_name: str
    links: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return asdict(self) | {"links": list(self.links)}


def parse_index(data: object) -> list[IndexEntry]:
    """Entries sorted by code then version; malformed entries are a malformed index."""
    if not isinstance(data, list):
        raise IndexUnavailable("the package index is not a JSON list")
    entries = []
    try:
        for item in data:
            entries.append(
                IndexEntry(
                    code=item.get("code") or f"translate-{item['from_code']}_{item['to_code']}",
                    version=str(item["package_version"]),
                    from_code=item["from_code"],
                    to_code=item["to_code"],
                    from_name=item.get("from_name", ""),
                    to_name=item.get("to_name", ""),
                    links=tuple(item.get("links") or ()),
                )
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise IndexUnavailable(f"malformed package index entry ({exc!r})") from None
    return sorted(entries, key=lambda e: (e.code, version_key(e.version)))


def load_index(
    url: str, cache_path: Path, *, refresh: bool = False, max_age: float = CACHE_MAX_AGE_SECONDS, timeout: float = 30.0
) -> list[IndexEntry]:
    """The index from cache when fresh (and fetched from ``url``), else fetched and cached."""
    cached = None
    if cache_path.is_file():
        try:
            cached = json.loads(cache_path.read_text(encoding="utf-8"))
        except ValueError:
            cached = None
    usable = cached is not None and cached.get("url") == url
    if cached is not None and usable and not refresh and time.time() - cached["fetched_at"] < max_age:
        return parse_index(cached["packages"])
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        if response.is_error:
            raise IndexUnavailable(f"HTTP {response.status_code}")
        packages = response.json()
        entries = parse_index(packages)
    except (httpx.HTTPError, ValueError, IndexUnavailable) as exc:
        if cached is not None and usable:
            # A stale index beats none: listing still works offline or during an outage.
            return parse_index(cached["packages"])
        raise IndexUnavailable(f"cannot fetch the package index from {url}: {exc}") from None
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_path.with_name(cache_path.name + ".partial")
    partial.write_text(json.dumps({"url": url, "fetched_at": time.time(), "packages": packages}), encoding="utf-8")
    os.replace(partial, cache_path)
    return entries


def find_entry(entries: list[IndexEntry], code: str) -> IndexEntry:
    """The newest version of ``code``; accepts ``az_en`` / ``az-en`` shorthand as well."""
    wanted = {code, f"translate-{code.replace('-', '_')}"}
    matches = [e for e in entries if e.code in wanted]
    if not matches:
        raise PackageNotFound(f"no package {code!r} in the index")
    return max(matches, key=lambda e: version_key(e.version))


def download(url: str, dest: Path, *, on_progress: ProgressCallback | None = None, timeout: float = 60.0) -> Path:
    """Stream ``url`` to ``dest`` (renamed into place only when complete)."""
    partial = dest.with_name(dest.name + ".partial")
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            response.raise_for_status()
            total = int(response.headers["content-length"]) if "content-length" in response.headers else None
            received = 0
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(65536):
                    out.write(chunk)
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(received, total)
        os.replace(partial, dest)
    except httpx.HTTPStatusError as exc:
        partial.unlink(missing_ok=True)
        raise IndexUnavailable(f"cannot download {url}: HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise IndexUnavailable(f"cannot download {url}: {exc}") from None
    return dest
