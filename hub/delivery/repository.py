"""Every subscription and delivery-log query. Functions flush, never commit.

Claiming works like the job queue's (hub/jobs/repository.py): a subscription that is
due and not leased (or whose lease expired, by the database's clock) is taken with a
lease, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that processes claim disjoint ones;
on SQLite the write transaction makes select-then-update atomic. Every later write of
the delivering worker is conditional on still holding the lease *and* on the position
it started from, so a replay, a resume or a delete (which clear the lease) makes the
worker drop what it was doing instead of overwriting the new state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from hub.db import affected_rows
from hub.jobs.repository import lease_clock
from hub.models import Agency, FeedEntry, Subscription, WebhookDelivery

KEEP_ATTEMPTS = 1000  # per subscription, newest first


def add(session: Session, subscription: Subscription) -> Subscription:
    session.add(subscription)
    session.flush()
    return subscription


def get(session: Session, subscription_id: str, *, for_update: bool = False) -> Subscription | None:
    query = select(Subscription).where(Subscription.id == subscription_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def list_for(session: Session, agency_id: int | None) -> list[Subscription]:
    """An agency's subscriptions (None: everyone's), oldest first."""
    query = select(Subscription).order_by(Subscription.created_at, Subscription.id)
    if agency_id is not None:
        query = query.where(Subscription.agency_id == agency_id)
    return list(session.scalars(query))


def count_for(session: Session, agency_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(Subscription).where(Subscription.agency_id == agency_id)) or 0
    )


def with_url(session: Session, agency_id: int, url: str) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.agency_id == agency_id, Subscription.url == url))


def agency_codes(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: code for i, code in session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(ids)))}


def agency_ids(session: Session, codes: Sequence[str]) -> dict[str, int]:
    return {code: i for code, i in session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes)))}


def remove(session: Session, subscription: Subscription) -> None:
    # The log goes with it (ON DELETE CASCADE on PostgreSQL; said explicitly for SQLite
    # connections without foreign-key enforcement).
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    session.delete(subscription)
    session.flush()


# -- delivering -----------------------------------------------------------------------


def _due(session: Session, now: datetime) -> Any:
    """Active, not waiting out a backoff, not leased, and behind the feed: a subscription
    that has caught up costs nothing until the next entry is committed."""
    last_seq = select(func.coalesce(func.max(FeedEntry.seq), 0)).scalar_subquery()
    return (
        (Subscription.status == "active")
        & (Subscription.next_attempt_at <= now)
        & (Subscription.position < last_seq)
        & or_(Subscription.lease_owner.is_(None), Subscription.lease_expires_at < lease_clock(session, now))
    )


def has_due(session: Session, now: datetime) -> bool:
    """Whether any subscription waits for a worker: a read, so an idle loop polling it
    takes no write lock."""
    return session.scalar(select(Subscription.id).where(_due(session, now)).limit(1)) is not None


def claim(session: Session, owner: str, *, lease: timedelta, now: datetime) -> Subscription | None:
    """The due subscription that has waited longest, leased to ``owner``."""
    query = select(Subscription).where(_due(session, now)).order_by(Subscription.next_attempt_at, Subscription.id)
    query = query.limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    subscription = session.scalar(query)
    if subscription is not None:
        subscription.lease_owner = owner
        subscription.lease_expires_at = lease_clock(session, now) + lease
        session.flush()
    return subscription


def _held(subscription_id: str, owner: str, position: int) -> Any:
    return (
        (Subscription.id == subscription_id)
        & (Subscription.lease_owner == owner)
        & (Subscription.position == position)
        & (Subscription.status == "active")
    )


def advance(
    session: Session,
    subscription_id: str,
    owner: str,
    *,
    was: int,
    to: int,
    lease: timedelta,
    now: datetime,
) -> bool:
    """Move the position from ``was`` to ``to`` (an entry delivered, or passed over as not
    the subscriber's) and renew the lease; clears the failure state. False when the
    subscription is no longer ours as we left it (replayed, paused, deleted, reclaimed)."""
    result = session.execute(
        update(Subscription)
        .where(_held(subscription_id, owner, was))
        .values(
            position=to,
            attempts=0,
            failing_since=None,
            next_attempt_at=now,
            lease_expires_at=lease_clock(session, now) + lease,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


def record_failure(
    session: Session,
    subscription_id: str,
    owner: str,
    *,
    position: int,
    attempts: int,
    failing_since: datetime,
    retry_at: datetime,
    paused_reason: str | None,
    now: datetime,
) -> bool:
    """A failed attempt at the entry after ``position``: wait until ``retry_at``, or pause
    (``paused_reason``). Gives the lease up either way. False when no longer ours."""
    values: dict[str, Any] = {
        "attempts": attempts,
        "failing_since": failing_since,
        "next_attempt_at": retry_at,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }
    if paused_reason is not None:
        values |= {"status": "paused", "paused_reason": paused_reason, "paused_at": now}
    result = session.execute(
        update(Subscription)
        .where(_held(subscription_id, owner, position))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


def release(session: Session, subscription_id: str, owner: str) -> None:
    """Give the lease back, if still ours."""
    session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id, Subscription.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def log_attempt(session: Session, attempt: WebhookDelivery) -> None:
    session.add(attempt)
    session.flush()


def prune_log(session: Session, subscription_id: str, keep: int = KEEP_ATTEMPTS) -> int:
    """Drop all but the newest ``keep`` attempts of a subscription."""
    oldest_kept = session.scalar(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .offset(keep - 1)
        .limit(1)
    )
    if oldest_kept is None:
        return 0
    result = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.id < oldest_kept
        )
    )
    return affected_rows(result)


def attempts(session: Session, subscription_id: str, *, before: int | None, limit: int) -> list[WebhookDelivery]:
    """The delivery log, newest first, keyset-paginated by attempt id."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list(session.scalars(query))
