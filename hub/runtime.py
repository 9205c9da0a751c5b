"""What a running hub holds: settings, the database, the object store, the clock.

Built once per process by ``create_app`` (or the worker) from explicit settings, so
tests can run several hubs side by side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.db import make_engine, make_session_factory
from hub.models import Story
from hub.signing import signing_secret
from storage import ObjectStore


def build_store(settings: Settings) -> ObjectStore:
    if settings.storage_backend == "s3":
        from storage.s3 import S3ObjectStore

        return S3ObjectStore(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            create_bucket=settings.s3_create_bucket,
            timeout=settings.storage_timeout_seconds,
        )
    from storage.local import LocalObjectStore

    return LocalObjectStore(
        settings.resolved_storage_dir,
        base_url=settings.public_url.rstrip("/"),
        secret=signing_secret(settings),
    )


@dataclass
class HubRuntime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Called inside the push/kill transaction (the worker queues and cancels jobs here),
    # so a story is never accepted without its follow-up work being recorded with it.
    on_version_created: list[Callable[[Session, Story, int, datetime], None]] = field(default_factory=list)
    on_status_changed: list[Callable[[Session, Story, datetime], None]] = field(default_factory=list)
    # SQLite has one writer at a time. Writers of this process queue here, woken as soon
    # as the one before commits, instead of in SQLite's busy handler, which polls with
    # growing sleeps (up to 100 ms each): with 8 concurrent pushers that made p99 40×
    # p50. Writers in other processes still meet the busy handler. Reentrant, so a
    # mistaken nested write fails on SQLite's timeout instead of hanging here.
    _sqlite_writes: threading.RLock | None = field(default=None, repr=False)
    # Until when feed reads may skip asking for due embargoes (hub.feed.service.embargo_due).
    embargo_recheck_at: datetime | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.engine.dialect.name == "sqlite":
            self._sqlite_writes = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings, *, store: ObjectStore | None = None) -> HubRuntime:
        engine = make_engine(settings.resolved_database_url)
        return cls(settings, engine, make_session_factory(engine), store or build_store(settings))

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay usable, detached

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that will write: committed on success, rolled back on error.
        On SQLite it takes the write lock at BEGIN (see hub.db)."""
        with self._sqlite_writes or nullcontext():
            session = self.sessions()
            try:
                session.connection(execution_options={"ulak_write": True})
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def close(self) -> None:
        self.engine.dispose()
