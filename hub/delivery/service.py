"""Webhook subscriptions: who may make, see and change which, and what a new one
starts from. Deliveries themselves are the worker's (hub/delivery/loop.py).

Ownership: an agency manages its own subscriptions with a pull key; a key with the
admin scope may list, read, replay, resume and delete any agency's (it still creates
subscriptions for its own agency only: a subscription receives what its owner may see,
embargoes included, so it cannot be made on another's behalf).
"""

from __future__ import annotations

import base64
import secrets

from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.delivery import repository as repo
from hub.delivery.schemas import (
    DeliveryList,
    DeliveryRead,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)
from hub.delivery.targets import RefusedTarget, check_url
from hub.errors import Conflict, Forbidden, InvalidRequest, NotFound
from hub.feed import repository as feed_repo
from hub.feed.cursor import decode_cursor, encode_cursor
from hub.models import Subscription
from hub.runtime import HubRuntime

MAX_SUBSCRIPTIONS_PER_AGENCY = 50
SECRET_BYTES = 32
SECRET_PREFIX = "whsec_"  # what standardwebhooks.Webhook strips before base64-decoding


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def create_subscription(runtime: HubRuntime, caller: Principal, request: SubscriptionCreate) -> SubscriptionCreated:
    caller.require("pull")
    try:
        check_url(request.url, allow_private=runtime.settings.webhook_allow_private)
    except RefusedTarget as exc:
        raise InvalidRequest(f"url: {exc}", fields=[{"field": "url", "message": str(exc)}]) from None
    languages = list(dict.fromkeys(request.languages))
    codes = None if request.agencies is None else list(dict.fromkeys(code.lower() for code in request.agencies))
    after = None if request.after is None else _cursor("after", request.after)
    now = runtime.clock()
    with runtime.write() as session:
        if codes is not None:
            unknown = sorted(set(codes) - set(repo.agency_ids(session, codes)))
            if unknown:
                raise InvalidRequest(
                    f"agencies: no agency {', '.join(map(repr, unknown))}",
                    fields=[{"field": "agencies", "message": f"unknown agency code(s): {', '.join(unknown)}"}],
                )
        if repo.count_for(session, caller.agency_id) >= MAX_SUBSCRIPTIONS_PER_AGENCY:
            raise Conflict(f"agency {caller.agency_code!r} has {MAX_SUBSCRIPTIONS_PER_AGENCY} subscriptions already")
        existing = repo.with_url(session, caller.agency_id, request.url)
        if existing is not None:
            raise Conflict(f"this agency's subscription {existing.id} sends to this url already; change or delete it")
        last = feed_repo.last_seq(session)
        position = last if after is None else _within_feed("after", after, last)
        subscription = repo.add(
            session,
            Subscription(
                id=f"sub_{secrets.token_hex(12)}",
                agency_id=caller.agency_id,
                url=request.url,
                languages=languages,
                agencies=codes,
                secret=new_secret(),
                position=position,
                status="active",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            ),
        )
        return SubscriptionCreated(**_read(subscription, caller.agency_code).model_dump(), secret=subscription.secret)


def list_subscriptions(runtime: HubRuntime, caller: Principal) -> SubscriptionList:
    """The caller's agency's subscriptions; every agency's for an admin key."""
    caller.require("pull")
    with runtime.read() as session:
        found = repo.list_for(session, None if caller.is_admin else caller.agency_id)
        codes = repo.agency_codes(session, {s.agency_id for s in found})
    return SubscriptionList(subscriptions=[_read(s, codes[s.agency_id]) for s in found])


def get_subscription(runtime: HubRuntime, caller: Principal, subscription_id: str) -> SubscriptionRead:
    with runtime.read() as session:
        subscription = _owned(session, caller, subscription_id)
        return _read(subscription, _owner_code(session, subscription))


def delete_subscription(runtime: HubRuntime, caller: Principal, subscription_id: str) -> SubscriptionRead:
    """Deletes it with its log. A worker sending it right now notices on its next write
    (which finds no row) and stops: at most the entry in flight is still sent."""
    with runtime.write() as session:
        subscription = _owned(session, caller, subscription_id, for_update=True)
        gone = _read(subscription, _owner_code(session, subscription))
        repo.remove(session, subscription)
        return gone


def replay(runtime: HubRuntime, caller: Principal, subscription_id: str, request: ReplayRequest) -> SubscriptionRead:
    """Move the position to ``after`` (back to resend, forward to skip) and reactivate."""
    after = _cursor("after", request.after)
    with runtime.write() as session:
        subscription = _owned(session, caller, subscription_id, for_update=True)
        _restart(subscription, _within_feed("after", after, feed_repo.last_seq(session)), runtime)
        session.flush()
        return _read(subscription, _owner_code(session, subscription))


def resume(runtime: HubRuntime, caller: Principal, subscription_id: str) -> SubscriptionRead:
    """Reactivate a paused subscription where it stopped: the entry that failed is next."""
    with runtime.write() as session:
        subscription = _owned(session, caller, subscription_id, for_update=True)
        if subscription.status != "paused":
            raise Conflict(f"subscription {subscription_id} is not paused")
        _restart(subscription, subscription.position, runtime)
        session.flush()
        return _read(subscription, _owner_code(session, subscription))


def deliveries(
    runtime: HubRuntime, caller: Principal, subscription_id: str, *, before: int | None, limit: int
) -> DeliveryList:
    with runtime.read() as session:
        subscription = _owned(session, caller, subscription_id)
        rows = repo.attempts(session, subscription.id, before=before, limit=limit)
    items = [
        DeliveryRead(
            id=row.id,
            webhookId=row.message_id,
            cursor=encode_cursor(row.seq),
            attempt=row.attempt,
            outcome="delivered" if row.outcome == "delivered" else "failed",
            statusCode=row.status_code,
            error=row.error,
            durationMs=row.duration_ms,
            createdAt=row.created_at,
        )
        for row in rows
    ]
    return DeliveryList(deliveries=items, next=rows[-1].id if len(rows) == limit else None)


# -- helpers ------------------------------------------------------------------------------


def _cursor(field: str, value: str) -> int:
    try:
        return decode_cursor(value)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{field}: {exc.detail.removeprefix('after: ')}") from None


def _within_feed(field: str, seq: int, last: int) -> int:
    if seq > last:
        raise InvalidRequest(f"{field}: the cursor is past the end of the feed; use a cursor the feed gave")
    return seq


def _restart(subscription: Subscription, position: int, runtime: HubRuntime) -> None:
    now = runtime.clock()
    subscription.position = position
    subscription.status = "active"
    subscription.paused_reason = None
    subscription.paused_at = None
    subscription.attempts = 0
    subscription.failing_since = None
    subscription.next_attempt_at = now
    # A worker holding it loses its lease: its next conditional write fails and it stops.
    subscription.lease_owner = None
    subscription.lease_expires_at = None
    subscription.updated_at = now


def _owned(session: Session, caller: Principal, subscription_id: str, *, for_update: bool = False) -> Subscription:
    caller.require("pull")
    subscription = repo.get(session, subscription_id, for_update=for_update)
    if subscription is None:
        raise NotFound(f"no subscription {subscription_id!r}")
    if subscription.agency_id != caller.agency_id and not caller.is_admin:
        raise Forbidden(f"subscription {subscription_id} belongs to another agency")
    return subscription


def _owner_code(session: Session, subscription: Subscription) -> str:
    return repo.agency_codes(session, {subscription.agency_id})[subscription.agency_id]


def _read(subscription: Subscription, agency_code: str) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        agency=agency_code,
        url=subscription.url,
        languages=list(subscription.languages),
        agencies=None if subscription.agencies is None else list(subscription.agencies),
        status="paused" if subscription.status == "paused" else "active",
        position=encode_cursor(subscription.position),
        pausedReason=subscription.paused_reason,
        pausedAt=subscription.paused_at,
        failingSince=subscription.failing_since,
        failedAttempts=subscription.attempts,
        nextAttemptAt=subscription.next_attempt_at,
        createdAt=subscription.created_at,
        updatedAt=subscription.updated_at,
    )
