"""The delivery loop, run by the worker processes in threads of its own (a slow receiver
never holds back translation): claim one due subscription with a lease, send the feed
entries after its position one at a time, in feed order, and give it back.

Per entry: the body is the entry exactly as ``GET /v1/feed`` shows it to the
subscription's agency (hub.feed.service.entry_json), signed; a 2xx moves the position
past it, anything else (status, timeout, connection error) leaves the position where it
is and schedules the same entry again after an exponential backoff with jitter, capped
at ``webhook_max_backoff_seconds``; once it has failed for ``webhook_give_up_seconds``
the subscription is paused with the reason. Every attempt is logged (the newest 1,000
per subscription are kept). Entries the subscription does not match are never fetched:
the filtered query reads up to the feed's last entry as of before the query
(``last_seq``), and when it finds no more, the position moves to that entry, past
everything left out; a subscription is due only while its position is behind the feed's
last entry, so one that has caught up costs no claim. A worker's writes are conditional on its lease and the position it
started from (see the repository), so a replay, resume or delete meanwhile wins.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub.delivery import repository as repo
from hub.delivery.sender import Outcome, WebhookSender, message_id
from hub.delivery.targets import Resolver, system_resolver
from hub.feed import repository as feed_repo
from hub.feed.service import entry_json, release_due_embargoes
from hub.metrics import HubMetrics
from hub.models import WebhookDelivery
from hub.runtime import HubRuntime

log = logging.getLogger("ulak.webhooks")

BATCH = 100  # entries read per query
MAX_PER_CLAIM = 500  # then the subscription is given back, so others get their turn
FIRST_BACKOFF_SECONDS = 1.0


@dataclass
class Claimed:
    """What the loop needs of a claimed subscription, detached from its session."""

    id: str
    agency_id: int
    url: str
    secret: str
    languages: list[str]
    agencies: list[str] | None
    position: int
    attempts: int
    failing_since: datetime | None


def backoff_seconds(attempts: int, cap: float, rng: random.Random) -> float:
    """Doubling from FIRST_BACKOFF_SECONDS, capped, with up to half of it random so that
    receivers that failed together are not retried together."""
    base = min(cap, FIRST_BACKOFF_SECONDS * 2 ** min(attempts - 1, 30))
    return base * (0.5 + 0.5 * rng.random())


def for_how_long(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.1f} s"


class DeliveryWorker:
    def __init__(
        self,
        runtime: HubRuntime,
        *,
        metrics: HubMetrics | None = None,
        name: str | None = None,
        resolve: Resolver = system_resolver,
    ) -> None:
        settings = runtime.settings
        self.runtime, self.metrics = runtime, metrics
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.poll_seconds = settings.worker_poll_seconds
        # Renewed after every entry; one attempt takes at most the timeout.
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + settings.worker_lease_seconds)
        self.max_backoff = settings.webhook_max_backoff_seconds
        self.give_up = timedelta(seconds=settings.webhook_give_up_seconds)
        self.sender = WebhookSender(
            timeout=settings.webhook_timeout_seconds, allow_private=settings.webhook_allow_private, resolve=resolve
        )
        self.rng = random.Random()

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; the entry in flight is finished first."""
        log.info("webhook delivery %s started", self.owner)
        try:
            while not stop.is_set():
                try:
                    busy = self.run_once(stop)
                except Exception:  # the database is down: keep the loop alive, try again
                    log.exception("webhook delivery %s: round failed; retrying", self.owner)
                    busy = False
                if not busy:
                    stop.wait(self.poll_seconds)
        finally:
            self.sender.close()
            log.info("webhook delivery %s stopped", self.owner)

    def run_once(self, stop: threading.Event | None = None) -> bool:
        """Claim one due subscription and send what it has; False when none was due."""
        release_due_embargoes(self.runtime)  # so embargoes lift even when nobody reads the feed
        now = self.runtime.clock()
        with self.runtime.read() as session:
            if not repo.has_due(session, now):
                return False
        with self.runtime.write() as session:
            row = repo.claim(session, self.owner, lease=self.lease, now=now)
            if row is None:
                return False
            claimed = Claimed(
                row.id, row.agency_id, row.url, row.secret, list(row.languages),
                None if row.agencies is None else list(row.agencies), row.position, row.attempts, row.failing_since,
            )  # fmt: skip
        try:
            self._deliver(claimed, stop or threading.Event())
        finally:
            with self.runtime.write() as session:
                repo.release(session, claimed.id, self.owner)
        return True

    def _deliver(self, sub: Claimed, stop: threading.Event) -> bool:
        """Send entries until caught up (True), a failure, a lost lease or the per-claim
        budget (False)."""
        sent = 0
        while sent < MAX_PER_CLAIM and not stop.is_set():
            with self.runtime.read() as session:
                high = feed_repo.last_seq(session)
                agency_ids = None
                if sub.agencies is not None:
                    agency_ids = list(repo.agency_ids(session, sub.agencies).values())
                rows = feed_repo.page(
                    session,
                    reader_agency_id=sub.agency_id,
                    languages=sub.languages,
                    after=sub.position,
                    limit=BATCH,
                    agency_ids=agency_ids,
                    until=high,
                )
            for row in rows:
                if stop.is_set():
                    return False
                body = entry_json(row).decode()
                if not self._attempt(sub, row.seq, body):
                    return False
                sent += 1
            if len(rows) < BATCH:
                # Caught up: whatever lies between here and ``high`` is not ours.
                return high <= sub.position or self._pass_over(sub, high)
        return False

    def _pass_over(self, sub: Claimed, to: int) -> bool:
        now = self.runtime.clock()
        with self.runtime.write() as session:
            if not repo.advance(session, sub.id, self.owner, was=sub.position, to=to, lease=self.lease, now=now):
                return False
        sub.position = to
        return True

    def _attempt(self, sub: Claimed, seq: int, body: str) -> bool:
        """One attempt at one entry; True when delivered and the position moved past it."""
        msg_id = message_id(sub.id, seq)
        outcome = self.sender.send(sub.url, secret=sub.secret, msg_id=msg_id, body=body, now=self.runtime.clock())
        now = self.runtime.clock()
        attempt = sub.attempts + 1
        if self.metrics is not None:
            self.metrics.webhook_attempts.labels("delivered" if outcome.delivered else "failed").inc()
        with self.runtime.write() as session:
            if outcome.delivered:
                held = repo.advance(session, sub.id, self.owner, was=sub.position, to=seq, lease=self.lease, now=now)
            else:
                held = self._record_failure(session, sub, outcome, now)
            if not held:
                # Replayed, resumed, paused or deleted while we were sending: theirs wins.
                session.rollback()
                log.info("subscription %s changed while sending %s; leaving it", sub.id, msg_id)
                return False
            repo.log_attempt(
                session,
                WebhookDelivery(
                    subscription_id=sub.id,
                    seq=seq,
                    message_id=msg_id,
                    attempt=attempt,
                    outcome="delivered" if outcome.delivered else "failed",
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                    created_at=now,
                ),
            )
            repo.prune_log(session, sub.id)
        if outcome.delivered:
            sub.position, sub.attempts, sub.failing_since = seq, 0, None
            return True
        log.info("subscription %s: %s failed (%s), attempt %d", sub.id, msg_id, outcome.summary, attempt)
        return False

    def _record_failure(self, session: Session, sub: Claimed, outcome: Outcome, now: datetime) -> bool:
        attempts = sub.attempts + 1
        failing_since = sub.failing_since or now
        failed_for = now - failing_since
        reason = None
        if failed_for >= self.give_up:
            reason = (
                f"{outcome.summary} for {for_how_long(failed_for.total_seconds())} "
                f"({attempts} attempts); resume or replay the subscription to try again"
            )
            log.warning("subscription %s paused: %s", sub.id, reason)
        retry_at = now + timedelta(seconds=backoff_seconds(attempts, self.max_backoff, self.rng))
        return repo.record_failure(
            session,
            sub.id,
            self.owner,
            position=sub.position,
            attempts=attempts,
            failing_since=failing_since,
            retry_at=retry_at,
            paused_reason=reason,
            now=now,
        )


def run_delivery_threads(
    runtime: HubRuntime, stop: threading.Event, *, count: int, metrics: HubMetrics | None = None
) -> list[threading.Thread]:
    """``count`` delivery loops in daemon threads, each with its own connection pool."""
    threads = []
    for index in range(count):
        worker = DeliveryWorker(runtime, metrics=metrics)
        thread = threading.Thread(target=worker.run, args=(stop,), name=f"ulak-webhooks-{index}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
