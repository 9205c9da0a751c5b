"""Rate limits per API key and scope, enforced with the ``limits`` library.

``ULAK_RATE_LIMITS="pull=600/minute;push=120/minute"``: each scope's limits in the
``limits`` notation (several per scope with commas: ``pull=600/minute,20000/day``). Every
authenticated request counts against one scope — the one its route needs (see
``hub.deps``) — under its key: two keys of one agency have a budget each.

Counters are fixed windows. Where they live decides who shares them:
- ``memory://`` (the default on SQLite: the embedded hub is one process);
- ``database`` (the default on PostgreSQL): a row per key, scope and window in the hub's
  database, so every API replica counts into the same window with no other service;
- ``redis://HOST:PORT``: Redis, for a deployment that has one.

A limiter whose storage fails lets requests through (and logs it): the hub's own
database or Redis being briefly unreachable should not turn every request into a 429.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, StorageTypes, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, Table, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.db import make_engine
from hub.models import RateLimitCounter

if TYPE_CHECKING:
    from hub.config import Settings

log = logging.getLogger("ulak.ratelimit")

DATABASE_STORAGE = "database"
STATE_KEY = "ulak_rate_limit"  # where a request's Decision waits for the headers middleware
# Expired counters are deleted at most this often per process (a window's row is dead
# once it has expired; deleting it is housekeeping, not correctness).
SWEEP_EVERY_SECONDS = 60.0
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


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against its scope's limits: the tightest limit's
    numbers, for the ``RateLimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the tightest window ends
    window: str = ""  # the limit in words: "120 per 1 minute"

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_seconds))
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
                headers = MutableHeaders(scope=message)
                for name, value in decision.headers().items():
                    headers[name] = value
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
            outcomes = [(item, self.strategy.hit(item, key_id, scope)) for item in items]
            now = time.time()
            tightest: Decision | None = None
            for item, allowed in outcomes:
                reset_at, remaining = self.strategy.get_window_stats(item, key_id, scope)
                reset = max(0, math.ceil(reset_at - now))
                decision = Decision(allowed, item.amount, remaining, reset, str(item))
                if tightest is None or _tighter(decision, tightest):
                    tightest = decision
            return tightest
        except Exception:  # whatever the storage raises: fail open
            log.warning("rate-limit storage failed; letting the request through", exc_info=True)
            return None


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


class DatabaseStorage(Storage):
    """Fixed-window counters in the hub's database (table ``rate_limit_counters``), for
    API replicas that share PostgreSQL and nothing else. One upsert per hit: a counter
    whose window has ended starts again from the amount, atomically, so concurrent
    replicas never lose a count or reset a live window twice."""

    STORAGE_SCHEME = None  # built directly with the engine, never from a URI

    def __init__(self, engine: Engine, *, owned: bool = False) -> None:
        super().__init__()
        self.engine, self._owned = engine, owned
        self._swept_at = 0.0
        self._sweep_lock = threading.Lock()
        self._last = threading.local()  # (key, count, expires_at) of this thread's last incr

    @classmethod
    def for_hub(cls, engine: Engine) -> DatabaseStorage:
        """On PostgreSQL, counters get a pool of their own: autocommit (one upsert is one
        round trip, no BEGIN/COMMIT), ``synchronous_commit`` off (a count lost to a crash
        costs nothing; waiting for the WAL flush cost every request a disk write), no
        ping before each use (after a dropped connection one request goes uncounted; the
        pool then reconnects). Close it with ``close``."""
        if engine.dialect.name != "postgresql":
            return cls(engine)
        counters = make_engine(
            engine.url.render_as_string(hide_password=False),
            connect_args={"options": "-c synchronous_commit=off"},
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=False,
        )
        return cls(counters, owned=True)

    def close(self) -> None:
        if self._owned:
            self.engine.dispose()

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        values = {"key": key, "amount": amount, "now": now, "expires_at": now + expiry}
        with self.engine.begin() as conn:
            count, expires_at = conn.execute(_upsert(self.engine.dialect.name), values).one()
        # The limiter asks for the window's count and end right after counting: answered
        # from this, one round trip per request instead of three.
        self._last.value = (key, int(count), float(expires_at))
        self._sweep(now)
        return int(count)

    def _just_counted(self, key: str) -> tuple[int, float] | None:
        last: tuple[str, int, float] | None = getattr(self._last, "value", None)
        if last is None or last[0] != key or last[2] <= time.time():
            return None
        return last[1], last[2]

    def get(self, key: str) -> int:
        if (known := self._just_counted(key)) is not None:
            return known[0]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(RateLimitCounter.key == key)
            ).first()
        return int(row[0]) if row is not None and row[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        if (known := self._just_counted(key)) is not None:
            return known[1]
        with self.engine.connect() as conn:
            expires_at = conn.scalar(select(RateLimitCounter.expires_at).where(RateLimitCounter.key == key))
        return float(expires_at) if expires_at is not None and expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < SWEEP_EVERY_SECONDS or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            with self.engine.begin() as conn:
                conn.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
        finally:
            self._sweep_lock.release()


@cache
def _upsert(dialect: str) -> Any:
    """Count one hit, built once per dialect (building it cost as much as running it): a
    window that has ended starts again from the amount, atomically."""
    table = cast(Table, RateLimitCounter.__table__)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    amount: Any = bindparam("amount")
    now: Any = bindparam("now")
    expired = table.c.expires_at <= now
    return (
        insert.values(key=bindparam("key"), count=amount, expires_at=bindparam("expires_at"))
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, amount), else_=table.c.count + amount),
                "expires_at": case((expired, insert.excluded.expires_at), else_=table.c.expires_at),
            },
        )
        .returning(table.c.count, table.c.expires_at)
    )
