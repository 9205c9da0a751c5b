"""Packages through the object store, so that machines share nothing but PostgreSQL and S3.

- ``publish``: a package installed, imported or converted on any machine is zipped and
  stored, content-addressed (``models/sha256/<archive sha256>.argosmodel``), and recorded
  in ``model_packages`` with its own digest and metadata. A digest recorded already is
  not stored again.
- ``fetch_for_pairs``: a worker whose jobs are blocked for lack of a model plans, with the
  same rule as ``ulak models setup`` (``translation.provision.plan_additions``), which
  stored packages would make those pairs routable, downloads each, checks the archive's
  sha256 against the record before unpacking and the package digest after, and installs
  it atomically (``translation.packages.install_archive``: staged, then renamed in).
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.models import StoredPackage
from hub.packages import repository as repo
from hub.runtime import HubRuntime
from storage.layout import package_key
from translation.errors import InvalidPackage
from translation.packages import (
    METADATA,
    PackageInfo,
    info_from_metadata,
    install_archive,
    installed_packages,
    write_archive,
)
from translation.provision import Offer, plan_additions
from translation.routing import Router

log = logging.getLogger("ulak.packages")
# One fetch at a time per process: worker threads of one process share a models dir.
_fetching = threading.Lock()


class PackageIntegrityError(Exception):
    """A stored package's bytes or digest are not what the catalogue recorded."""


@dataclass(frozen=True)
class Published:
    package: StoredPackage
    stored_now: bool  # False: the same digest was in the store already


def publish(runtime: HubRuntime, info: PackageInfo) -> Published:
    """Store the installed package ``info`` (unless its digest is stored already)."""
    with runtime.read() as session:
        existing = repo.by_digest(session, info.digest)
    if existing is not None:
        return Published(existing, stored_now=False)
    metadata = json.loads((info.path / METADATA).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix=".publish-", dir=info.path.parent) as scratch:
        archive = write_archive(info.path, Path(scratch) / f"{info.path.name}.argosmodel")
        with archive.open("rb") as data:
            stored = runtime.store.put_content_addressed(
                data,
                archive.stat().st_size,
                key_for_digest=package_key,
                content_type="application/zip",
                metadata={"package": info.code, "version": info.version, "digest": info.digest},
            )
    row = StoredPackage(
        digest=info.digest,
        code=info.code,
        version=info.version,
        package_metadata=metadata,
        object_key=stored.key,
        size=stored.size,
        sha256=stored.metadata["sha256"],
        stored_by=socket.gethostname(),
    )
    with runtime.write() as session:
        kept = repo.add(session, row)
    log.info("stored package %s %s (%s) as %s", info.code, info.version, info.short_digest, stored.key)
    return Published(kept, stored_now=kept is row)


def publish_installed(runtime: HubRuntime, packages_dir: Path) -> list[Published]:
    """Store every installed package the store lacks (a worker does this at start, so
    packages installed before the store kept them reach the other machines too)."""
    with runtime.read() as session:
        known = repo.digests(session)
    return [publish(runtime, info) for info in installed_packages(packages_dir) if info.digest not in known]


def fetch(runtime: HubRuntime, package: StoredPackage, packages_dir: Path) -> PackageInfo:
    """Download, verify and install one stored package."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=packages_dir) as scratch:
        archive = Path(scratch) / "package.argosmodel"
        digest = hashlib.sha256()
        with runtime.store.get_object(package.object_key) as stream, archive.open("wb") as out:
            for chunk in stream:
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != package.sha256:
            raise PackageIntegrityError(
                f"{package.code} {package.version}: the stored archive's sha256 is {digest.hexdigest()[:12]}…, "
                f"the catalogue says {package.sha256[:12]}…; not installed"
            )
        info = install_archive(archive, packages_dir)
    if info.digest != package.digest:
        raise PackageIntegrityError(
            f"{package.code} {package.version}: installed with digest {info.short_digest}, "
            f"the catalogue says {package.digest[:12]}"
        )
    log.info("fetched package %s %s (%s) from the object store", info.code, info.version, info.short_digest)
    return info


def fetch_for_pairs(runtime: HubRuntime, packages_dir: Path, pairs: Iterable[tuple[str, str]]) -> list[PackageInfo]:
    """Install the stored packages that make ``pairs`` routable (none when the store has
    nothing that helps). Packages already installed here are never replaced."""
    pairs = list(dict.fromkeys(pairs))
    languages = list(dict.fromkeys(lang for pair in pairs for lang in pair))
    with runtime.read() as session:
        rows = {row.digest: row for row in repo.stored(session)}
    if not rows or not languages:
        return []
    with _fetching:
        installed = installed_packages(packages_dir)
        plan = plan_additions(installed, offers(rows.values()), languages)
        fetched = []
        for offer in _needed_for(pairs, installed, list(plan.add)):
            try:
                fetched.append(fetch(runtime, rows[offer.location], packages_dir))
            except (PackageIntegrityError, InvalidPackage) as exc:
                log.error("stored package not installed: %s", exc)
        return fetched


def _needed_for(pairs: list[tuple[str, str]], installed: list[PackageInfo], chosen: list[Offer]) -> list[Offer]:
    """The plan covers every pair among the languages (az→en brings en→az along); keep
    only the offers without which one of ``pairs`` would stay unroutable."""

    def unroutable(packages: list[PackageInfo]) -> set[tuple[str, str]]:
        sources, targets = sorted({s for s, _ in pairs}), sorted({t for _, t in pairs})
        blocked = Router(packages).blocked(sources, targets)
        return {(entry.source_lang, entry.target_lang) for entry in blocked} & set(pairs)

    kept = list(chosen)
    for offer in reversed(chosen):
        others = [o.package for o in kept if o is not offer]
        if unroutable([*installed, *others]) == unroutable([*installed, *(o.package for o in kept)]):
            kept.remove(offer)
    return kept


def offers(rows: Iterable[StoredPackage]) -> list[Offer]:
    """Stored packages as ``translation.provision`` offers (``location`` = the digest)."""
    found = []
    for row in rows:
        try:
            info = info_from_metadata(row.package_metadata, row.code, digest=row.digest)
        except InvalidPackage as exc:
            log.warning("stored package %s %s has unreadable metadata: %s", row.code, row.version, exc)
            continue
        found.append(Offer(info, row.digest))
    return found


def catalogue(runtime: HubRuntime) -> Sequence[StoredPackage]:
    with runtime.read() as session:
        return repo.stored(session)


class StoreSync:
    """A worker's side of the store: publish what it has at start, fetch what blocked
    jobs need. ``fetch_for`` looks again only when the blocked pairs or the catalogue
    changed since its last try, so a pair no stored package serves costs one catalogue
    query per poll, not a plan and a download."""

    def __init__(self, runtime: HubRuntime, packages_dir: Path) -> None:
        self.runtime, self.packages_dir = runtime, packages_dir
        self._last_try: tuple[frozenset[str], frozenset[tuple[str, str]]] | None = None

    def publish_installed(self) -> None:
        try:
            published = publish_installed(self.runtime, self.packages_dir)
        except Exception:  # the store or the database is down: the worker runs all the same
            log.warning("could not store the installed packages; will try again at the next start", exc_info=True)
            return
        for item in published:
            log.info("stored installed package %s %s", item.package.code, item.package.version)

    def fetch_for(self, pairs: Sequence[tuple[str, str]]) -> list[PackageInfo]:
        with self.runtime.read() as session:
            known = frozenset(repo.digests(session))
        attempt = (known, frozenset(pairs))
        if not known or attempt == self._last_try:
            return []
        self._last_try = attempt
        try:
            return fetch_for_pairs(self.runtime, self.packages_dir, pairs)
        except Exception:  # the store is down: try again at a later poll
            self._last_try = None
            log.warning("could not fetch packages from the object store", exc_info=True)
            return []
