"""Rate limits per API key and scope, enforced with the ``limits`` library.

``ULAK_RATE_LIMITS="pull=600/minute;push=120/minute"``: each scope's limits in the
``limits`` notation (several per scope with commas: ``pull=600/minute,20000/day``). Every
authenticated request counts against one scope — the one its route needs (see
``hub.deps``) — under its key: two keys of one agency have a budget each.

Counters are fixed windows. Where they live decides who shares them:
- ``memory://`` (the default on SQLite: the embedded hub is one process);
- ``database`` (the default on PostgreSQL): a row per key, scope and window in the hub's
  database, so every API replica counts into the same window with no other service
  (hub/ratelimit_database.py: counted in leases, not a round trip per request);
- ``redis://HOST:PORT``: Redis, for a deployment that has one.

A limiter whose storage fails lets requests through (and logs it): the hub's own
database or Redis being briefly unreachable should not turn every request into a 429.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, NamedTuple

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, StorageTypes, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.ratelimit_database import DatabaseStorage

if TYPE_CHECKING:
    from hub.config import Settings

log = logging.getLogger("ulak.ratelimit")

DATABASE_STORAGE = "database"
STATE_KEY = "ulak_rate_limit"  # where a request's Decision waits for the headers middleware
SWEEP_MEMORY_EVERY_SECONDS = 1.0  # in-process counters: a dict sweep is cheap


def parse_limits(value: str) -> dict[str, tuple[RateLimitItem, ...]]:
    """``"pull=600/minute;push=120/minute,5000/day"`` → limits per scope. Raises
    ValueError naming the part it cannot read."""
    from hub.auth.keys import SCOPES

    limits: dict[str, tuple[RateLimitItem, ...]] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        scope, sep, spec = (s.strip() for s in part.partition("="))
        if not sep or not spec:
            raise ValueError(f"{part!r} is not SCOPE=LIMIT, e.g. pull=600/minute")
        if scope not in SCOPES:
            raise ValueError(f"{part!r}: unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
        try:
            limits[scope] = tuple(parse_many(spec))
        except ValueError:
            raise ValueError(f"{part!r}: {spec!r} is not a limit such as 600/minute or 10/second") from None
    return limits


class Decision(NamedTuple):
    """The outcome of one request against its scope's limits: the tightest limit's
    numbers, for the ``RateLimit-*`` headers. A named tuple: every counted request makes
    one (a frozen dataclass cost several times as much to build)."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the tightest window ends
    item: RateLimitItem | None = None  # the limit

    @property
    def window(self) -> str:
        """The limit in words: "120 per 1 minute"."""
        return str(self.item) if self.item is not None else ""

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The ``RateLimit-*`` headers (and ``Retry-After`` on a refusal), as an ASGI
        message carries them."""
        headers = [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset_seconds),
        ]
        if not self.allowed:
            headers.append((b"retry-after", b"%d" % max(1, self.reset_seconds)))
        return headers


class RateLimitHeadersMiddleware:
    """Adds the ``RateLimit-*`` headers (and ``Retry-After`` on a 429) to the response of
    every request that was counted: the dependency that counts it leaves its decision
    in the request state, which this reads when the response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            decision = state.get(STATE_KEY)
            if message["type"] == "http.response.start" and decision is not None:
                # Appended as they are: no response of the hub sets these itself.
                message["headers"] = [*message.get("headers", ()), *decision.raw_headers()]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimiter:
    def __init__(self, limits: dict[str, tuple[RateLimitItem, ...]], storage: Storage) -> None:
        self.limits, self.storage = limits, storage
        self.strategy = FixedWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> RateLimiter | None:
        """None when no scope has a limit."""
        limits = parse_limits(settings.rate_limits)
        if not limits:
            return None
        uri = settings.rate_limit_storage
        if uri is None:
            uri = DATABASE_STORAGE if engine.dialect.name == "postgresql" else "memory://"
        if uri == DATABASE_STORAGE:
            storage: StorageTypes = DatabaseStorage.for_hub(engine)
        elif uri.split("://", 1)[0] == "memory":
            storage = SweepingMemoryStorage()
        else:
            storage = storage_from_string(uri)
        if not isinstance(storage, Storage):  # an async+… URI: the hub's dependencies run in threads
            raise ValueError(
                f"ULAK_RATE_LIMIT_STORAGE: {uri!r} is an asyncio storage; use memory://, redis://… or database"
            )
        return cls(limits, storage)

    def close(self) -> None:
        if isinstance(self.storage, DatabaseStorage):
            self.storage.close()

    def hit(self, key_id: str, scope: str) -> Decision | None:
        """Count one request of ``key_id`` against ``scope``'s limits. None when the scope
        has none (or the storage failed: the request goes through)."""
        items = self.limits.get(scope)
        if not items:
            return None
        try:
            decisions = [self._count(item, key_id, scope) for item in items]
        except Exception:  # whatever the storage raises: fail open
            log.warning("rate-limit storage failed; letting the request through", exc_info=True)
            return None
        tightest = decisions[0]
        for decision in decisions[1:]:
            if _tighter(decision, tightest):
                tightest = decision
        return tightest

    def _count(self, item: RateLimitItem, key_id: str, scope: str) -> Decision:
        if isinstance(self.storage, DatabaseStorage):  # numbered in leases, no round trip per hit
            number, ends = self.storage.take(item.key_for(key_id, scope), item.get_expiry(), item.amount)
            reset = max(0, math.ceil(ends - time.time()))
            return Decision(number <= item.amount, item.amount, max(0, item.amount - number), reset, item)
        allowed = self.strategy.hit(item, key_id, scope)
        reset_at, remaining = self.strategy.get_window_stats(item, key_id, scope)
        return Decision(allowed, item.amount, remaining, max(0, math.ceil(reset_at - time.time())), item)


def _tighter(a: Decision, b: Decision) -> bool:
    """A refusal wins; among equals, the one with less left (then the longer wait)."""
    if a.allowed != b.allowed:
        return not a.allowed
    if not a.allowed:
        return a.reset_seconds > b.reset_seconds
    return (a.remaining, -a.reset_seconds) < (b.remaining, -b.reset_seconds)


class SweepingMemoryStorage(MemoryStorage):
    """``memory://`` without a thread per request. limits' MemoryStorage frees expired
    counters from a 10 ms ``threading.Timer`` that each hit starts anew once the previous
    one has ended: at a hundred requests a second, a thread start (and a thread to wake)
    per request. Expired counters are already ignored on read (``get`` checks the expiry
    first), so freeing them is housekeeping: done here inline, at most once a second."""

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    # limits calls ``self.__schedule_expiry()`` from inside MemoryStorage, a name Python
    # mangles to this one; tests/hub/test_rate_limits.py checks that no Timer is started.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_MEMORY_EVERY_SECONDS
        self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
