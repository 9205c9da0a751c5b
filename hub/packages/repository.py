"""Every query of the stored-package catalogue (``model_packages``). Flushes, never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import StoredPackage


def stored(session: Session) -> list[StoredPackage]:
    return list(session.scalars(select(StoredPackage).order_by(StoredPackage.code, StoredPackage.stored_at)))


def digests(session: Session) -> set[str]:
    return set(session.scalars(select(StoredPackage.digest)))


def by_digest(session: Session, digest: str) -> StoredPackage | None:
    return session.get(StoredPackage, digest)


def add(session: Session, package: StoredPackage) -> StoredPackage:
    """Record ``package`` unless its digest is recorded already (another machine stored the
    same package first): returns the row that stays."""
    existing = session.get(StoredPackage, package.digest)
    if existing is not None:
        return existing
    session.add(package)
    session.flush()
    return package
