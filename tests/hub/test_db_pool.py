"""The pool pings a connection only when it sat idle: a server restart (or a firewall
that drops idle connections) costs a reconnect, not a failed request, while a connection
in steady use costs no extra round trip."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hub import db
from hub.db import make_engine


def _kill_connections(url: str) -> None:
    admin = make_engine(url, pool_pre_ping=False)
    try:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            conn.commit()
    finally:
        admin.dispose()


def test_an_idle_connection_killed_by_the_server_is_replaced(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.2)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _kill_connections(postgres_url)
        time.sleep(0.3)
        with engine.connect() as conn:  # pinged, found dead, replaced: no error here
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first_pid
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed a moment after use, it is handed out unpinged: that one use fails (the hub
    answers 503), and the pool then starts afresh."""
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 60.0)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        _kill_connections(postgres_url)
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 42")).scalar_one() == 42
    finally:
        engine.dispose()
