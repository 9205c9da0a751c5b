"""Every desk-session query. Functions flush, never commit: the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.models import DeskSession


def add_session(session: Session, token_hash: str, key_id: str, *, now: datetime, expires_at: datetime) -> None:
    session.add(DeskSession(token_hash=token_hash, key_id=key_id, created_at=now, expires_at=expires_at))
    session.flush()


def live_session(session: Session, token_hash: str, *, now: datetime) -> DeskSession | None:
    return session.scalar(select(DeskSession).where(DeskSession.token_hash == token_hash, DeskSession.expires_at > now))


def remove_session(session: Session, token_hash: str) -> None:
    session.execute(delete(DeskSession).where(DeskSession.token_hash == token_hash))


def remove_expired(session: Session, *, now: datetime) -> None:
    session.execute(delete(DeskSession).where(DeskSession.expires_at <= now))
