"""Rate-limit counters in the hub's database (table ``rate_limit_counters``), for API
replicas that share PostgreSQL and nothing else.

Each request is given a number in its key's window: the window's count once it is
counted. It is allowed when its number is within the limit. Numbers are taken from the
database in leases: a process adds ``n`` to the counter in one upsert and hands out the
``n`` numbers it reserved to its next requests of that key, without a round trip. The
numbers of all processes are distinct, so however requests spread over replicas, no
more are allowed than the limit.

A lease is as long as about a tenth of a second of the key's traffic in this process
(it doubles while leases run out faster than that, halves when they last longer), at
most ``MAX_LEASE`` and at most an eighth of what the window has left. A key used a few
times a second takes one number at a time, and so does every key near its limit: the
count stays exact where it matters. What a lease costs: numbers a process reserved and
did not hand out before the window ended (it stopped getting that key's requests, or it
crashed) count as used, so the key may be refused at most that many requests early in
that window.

Once this process knows a window is spent, it refuses the key's requests until the
window ends without asking the database: counts only grow within a window.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from limits.storage import Storage
from sqlalchemy import Engine, Table, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from hub.db import make_engine
from hub.models import RateLimitCounter

# Expired counters are deleted at most this often per process (a window's row is dead
# once it has expired; deleting it is housekeeping, not correctness).
SWEEP_EVERY_SECONDS = 60.0
MAX_LEASE = 64
LEASE_SPAN_SECONDS = 0.1  # a lease is about this much of a key's traffic in one process
HEADROOM_SHARE = 8  # a lease takes at most this fraction (1/8) of what the window has left


@dataclass
class _Lease:
    """Numbers ``next``..``last`` of a window ending at ``ends``, reserved by this process."""

    ends: float
    next: int
    last: int
    size: int
    taken_at: float


class DatabaseStorage(Storage):
    """Fixed-window counters in the database, handed out in leases (module docstring).
    ``take`` is the hub's way in; the ``limits`` storage methods count one by one (a
    window that has ended starts again from the amount, atomically, so concurrent
    replicas never lose a count or reset a live window twice)."""

    STORAGE_SCHEME = None  # built directly with the engine, never from a URI

    def __init__(self, engine: Engine, *, owned: bool = False) -> None:
        super().__init__()
        self.engine, self._owned = engine, owned
        self._swept_at = 0.0
        self._sweep_lock = threading.Lock()
        self._leases: dict[str, _Lease] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._key_locks_lock = threading.Lock()

    @classmethod
    def for_hub(cls, engine: Engine) -> DatabaseStorage:
        """On PostgreSQL, counters get a pool of their own: autocommit (one upsert is one
        round trip, no BEGIN/COMMIT), ``synchronous_commit`` off (a count lost to a crash
        costs nothing; waiting for the WAL flush cost every lease a disk write), no ping
        before each use (after a dropped connection one request goes uncounted; the pool
        then reconnects). Close it with ``close``."""
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

    def take(self, key: str, expiry: int, limit: int) -> tuple[int, float]:
        """This request's number in ``key``'s window, and when the window ends."""
        with self._lock_of(key):
            now = time.time()
            lease = self._leases.get(key)
            live = lease is not None and now < lease.ends
            if lease is not None and live:  # this process holds a lease in this window
                if lease.next <= lease.last:
                    lease.next += 1
                    return lease.next - 1, lease.ends
                if lease.last >= limit:  # spent: refused until the window ends
                    return lease.last + 1, lease.ends
            size = 1  # a new window starts one at a time
            if lease is not None and live:
                quick = now - lease.taken_at < LEASE_SPAN_SECONDS
                size = min(MAX_LEASE, lease.size * 2) if quick else max(1, lease.size // 2)
                size = max(1, min(size, (limit - lease.last) // HEADROOM_SHARE))
            count, ends = self._add(key, expiry, size, now)
            self._leases[key] = _Lease(ends, count - size + 2, count, size, now)
            return count - size + 1, ends

    def _lock_of(self, key: str) -> threading.Lock:
        lock = self._key_locks.get(key)
        if lock is None:
            with self._key_locks_lock:
                lock = self._key_locks.setdefault(key, threading.Lock())
        return lock

    def _add(self, key: str, expiry: int, amount: int, now: float) -> tuple[int, float]:
        values = {"key": key, "amount": amount, "now": now, "expires_at": now + expiry}
        with self.engine.begin() as conn:
            count, expires_at = conn.execute(_upsert(self.engine.dialect.name), values).one()
        self._sweep(now)
        return int(count), float(expires_at)

    # The ``limits`` storage interface, one count at a time (the hub itself uses ``take``).

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._add(key, expiry, amount, time.time())[0]

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(RateLimitCounter.key == key)
            ).first()
        return int(row[0]) if row is not None and row[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
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
        self._leases.clear()
        with self.engine.begin() as conn:
            return conn.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        self._leases.pop(key, None)
        with self.engine.begin() as conn:
            conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

    def _sweep(self, now: float) -> None:
        if now - self._swept_at < SWEEP_EVERY_SECONDS or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            for key in [k for k, lease in list(self._leases.items()) if lease.ends <= now]:
                self._leases.pop(key, None)  # the key's lock stays: it may be held right now
            with self.engine.begin() as conn:
                conn.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
        finally:
            self._sweep_lock.release()


@cache
def _upsert(dialect: str) -> Any:
    """Add ``amount`` to a counter, built once per dialect (building it cost as much as
    running it): a window that has ended starts again from the amount, atomically."""
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
