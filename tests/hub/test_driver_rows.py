"""hub.db.driver_rows: the hot reads (key lookup, feed page) run on the driver's cursor
and must give what SQLAlchemy's execution gives, fail as it fails, and stay visible to
statement events."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from benchmarks import feed as feed_benchmark
from hub.auth.service import _KEY_LOOKUP
from hub.db import driver_rows, make_engine
from hub.feed import repository as feed_repo
from hub.feed.repository import LAST_POSSIBLE_SEQ, _page_query
from hub.models import Agency
from hub.runtime import HubRuntime
from tests.fixtures.hub import HubHarness, make_settings, story


def _both_ways(hub: HubHarness, statement: Any, values: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[Any]]:
    with hub.runtime.read() as session:
        connection = session.connection()
        return driver_rows(connection, statement, values), [tuple(row) for row in connection.execute(statement, values)]


def test_the_key_lookup_and_the_page_give_what_sqlalchemy_gives(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    for n in range(3):
        hub.client.post("/v1/stories", json=story(f"az-{n}"), headers=hub.auth(key))
    with hub.runtime.read() as session:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == "azertac"))

    lookup, expected = _both_ways(hub, _KEY_LOOKUP, {"key_id": key.split("_")[1]})
    assert lookup == expected and len(lookup) == 1
    assert _both_ways(hub, _KEY_LOOKUP, {"key_id": "no-such-key"}) == ([], [])

    values = {"reader": agency_id, "language": "az", "after": 0, "until": LAST_POSSIBLE_SEQ, "limit": 2}
    page, expected = _both_ways(hub, _page_query(False, False), values)
    assert page == expected and len(page) == 2
    served = page[0][7]
    assert isinstance(served, bytes) and served.startswith(b"{")  # the stored text's bytes, not decoded

    # Expanding parameters (several languages, agencies) go through SQLAlchemy: same rows.
    several = {
        "reader": agency_id,
        "languages": ["az", "tr"],
        "after": 0,
        "until": 2,
        "limit": 10,
        "agency_ids": [agency_id],
    }
    page, expected = _both_ways(hub, _page_query(True, True), several)
    assert page == expected and [row[0] for row in page] == [1, 2]


def test_statement_events_see_the_driver_reads(hub: HubHarness) -> None:
    """Tracing, statement capture (benchmarks/feed.py --explain) and listeners that
    rewrite a statement still apply."""
    key = hub.agency("azertac")
    seen: list[str] = []

    def rewrite(_conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool) -> Any:
        if "api_keys" not in statement:  # SQLite's BEGIN
            return statement, parameters
        seen.append(statement)
        return "/* traced */ " + statement, parameters

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        after.append(statement)

    after: list[str] = []
    engine = hub.runtime.engine
    event.listen(engine, "before_cursor_execute", rewrite, retval=True)
    event.listen(engine, "after_cursor_execute", executed)
    try:
        with hub.runtime.read() as session:
            rows = driver_rows(session.connection(), _KEY_LOOKUP, {"key_id": key.split("_")[1]})
    finally:
        event.remove(engine, "before_cursor_execute", rewrite)
        event.remove(engine, "after_cursor_execute", executed)
    assert len(rows) == 1
    assert len(seen) == 1
    assert after[-1] == "/* traced */ " + seen[0]


def test_a_missing_value_is_a_clear_error(hub: HubHarness) -> None:
    with hub.runtime.read() as session, pytest.raises(KeyError, match="no value for 'key_id'"):
        driver_rows(session.connection(), _KEY_LOOKUP, {})


def test_a_connection_lost_mid_request_is_invalidated_and_replaced(postgres_url: str) -> None:
    """As SQLAlchemy's own execution does: the error is a DBAPIError saying the
    connection was invalidated (the API answers 503), and the pool reconnects."""
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            killer = make_engine(postgres_url, pool_pre_ping=False)
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killer.dispose()
            with pytest.raises(DBAPIError) as raised:
                driver_rows(conn, _KEY_LOOKUP, {"key_id": "any"})
            assert raised.value.connection_invalidated
        with engine.connect() as conn:
            assert driver_rows(conn, _KEY_LOOKUP, {"key_id": "any"}) == []
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()


def test_a_failing_statement_is_a_dbapi_error_not_an_invalidation(hub: HubHarness) -> None:
    bad = select(text("no_such_column")).select_from(text("api_keys"))
    with hub.runtime.read() as session, pytest.raises(DBAPIError) as raised:
        driver_rows(session.connection(), bad, {})
    assert not raised.value.connection_invalidated


def test_postgresql_plans_the_page_query_once(postgres_url: str, tmp_path: Path) -> None:
    """Pages at random positions of a feed of 10,000 stories (benchmarks/feed.py's) reuse
    one generic plan of the prepared page query (hub.feed.repository.LAST_POSSIBLE_SEQ
    says why) instead of planning each afresh, as PostgreSQL did for an open range once
    a feed had some thousands of entries."""
    agency_id, _ = feed_benchmark.create_agencies(postgres_url)
    feed_benchmark.load_postgres(postgres_url, 10_000, agency_id)
    runtime = HubRuntime.from_settings(make_settings(tmp_path / "data", postgres_url))
    rng = random.Random(1)
    try:
        with runtime.read() as session:
            for after in rng.sample(range(9_900), 20):
                rows = feed_repo.page(session, reader_agency_id=agency_id, languages=["az"], after=after, limit=100)
                assert [row.seq for row in rows] == list(range(after + 1, after + 101))
            plans = session.execute(
                text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%feed_entries%'"
                )
            ).one()
    finally:
        runtime.close()
    assert plans.generic_plans > 0, plans  # PostgreSQL tries five custom plans first
