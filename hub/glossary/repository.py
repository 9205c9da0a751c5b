"""Every glossary query: terms by owner, the change log workers follow. Functions here
flush, never commit: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from hub.models import Agency, GlossaryChange, GlossaryTerm

# Any constant unique among the hub's advisory locks (hub.feed.repository uses another).
GLOSSARY_LOCK_KEY = 0x756C616B676C6F73  # "ulakglos"


def take_glossary_lock(session: Session) -> None:
    """Serialises glossary writers on PostgreSQL, so two requests adding the same term at
    once cannot both miss the other's row (SQLite's write lock does this already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GLOSSARY_LOCK_KEY})


def terms_with_owners(
    session: Session, *, agency_ids: Collection[int] | None = None, hub_wide: bool = True
) -> list[tuple[GlossaryTerm, str | None]]:
    """Terms and their owner's code, oldest first: the hub-wide ones (if ``hub_wide``) and
    those of ``agency_ids`` (every agency's when None)."""
    query = select(GlossaryTerm, Agency.code).outerjoin(Agency, Agency.id == GlossaryTerm.agency_id)
    owners = []
    if hub_wide:
        owners.append(GlossaryTerm.agency_id.is_(None))
    if agency_ids is None:
        owners.append(GlossaryTerm.agency_id.is_not(None))
    elif agency_ids:
        owners.append(GlossaryTerm.agency_id.in_(sorted(agency_ids)))
    if not owners:
        return []
    query = query.where(or_(*owners)).order_by(GlossaryTerm.id)
    return [(row.GlossaryTerm, row.code) for row in session.execute(query)]


def terms_of_owner(session: Session, agency_id: int | None) -> Sequence[GlossaryTerm]:
    owner = GlossaryTerm.agency_id.is_(None) if agency_id is None else GlossaryTerm.agency_id == agency_id
    return session.scalars(select(GlossaryTerm).where(owner).order_by(GlossaryTerm.id)).all()


def term(session: Session, term_id: int) -> GlossaryTerm | None:
    return session.get(GlossaryTerm, term_id)


def agency_code(session: Session, agency_id: int) -> str:
    return session.scalars(select(Agency.code).where(Agency.id == agency_id)).one()


def add_terms(session: Session, rows: Sequence[GlossaryTerm]) -> None:
    session.add_all(rows)
    session.flush()


def delete_term(session: Session, row: GlossaryTerm) -> None:
    session.delete(row)
    session.flush()


def record_change(session: Session, forms: dict[str, Any], now: datetime) -> None:
    session.add(GlossaryChange(forms=forms, created_at=now))
    session.flush()


def changes_after(session: Session, change_id: int) -> list[tuple[int, dict[str, Any]]]:
    """The changes newer than ``change_id``, oldest first (usually none: one indexed query)."""
    query = select(GlossaryChange.id, GlossaryChange.forms).where(GlossaryChange.id > change_id)
    return [(row.id, row.forms) for row in session.execute(query.order_by(GlossaryChange.id))]
