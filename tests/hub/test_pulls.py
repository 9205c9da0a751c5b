"""The feed's reads on the event loop (hub/pulls.py): on PostgreSQL ``GET /v1/feed`` runs
them on psycopg's asyncio connections, the key's lookup sent together with the page; on
SQLite in a session. Both give the same page; a read by key reads nothing for a key that
does not authenticate; an unreachable or restarted database is a 503, then served again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text, update

from hub.auth.keys import hash_secret, split_key
from hub.auth.service import ReaderKey, authenticate
from hub.db import driver_rows, make_engine
from hub.feed import repository as feed_repo
from hub.feed.service import feed_page_json
from hub.models import ApiKey
from hub.pulls import AsyncReads
from tests.fixtures.hub import HubHarness, make_settings, story


@pytest.fixture
def pg_hub(postgres_url: str, tmp_path: Path) -> Iterator[HubHarness]:
    with HubHarness.start(make_settings(tmp_path / "data", postgres_url, embedded_worker=False)) as harness:
        yield harness


def feed_of(hub: HubHarness, key: str, query: str = "lang=az") -> bytes:
    response = hub.client.get(f"/v1/feed?{query}", headers=hub.auth(key))
    assert response.status_code == 200, response.text
    return response.content


def test_the_event_loop_serves_the_page_a_session_serves(pg_hub: HubHarness) -> None:
    """Bytes for bytes, for pages with embargoed, translated-to and killed stories, with
    the agency and quality filters, read by the member whose embargo it is and by a partner."""
    assert pg_hub.app.state.async_reads is not None  # PostgreSQL: the event loop's reads
    member = pg_hub.agency("azertac")
    partner = pg_hub.agency("partner", partner=True, scopes="pull")
    for n in range(5):
        assert pg_hub.client.post("/v1/stories", json=story(f"az-{n}"), headers=pg_hub.auth(member)).status_code == 201
    embargoed = story("az-embargoed", embargoedUntil="2999-01-01T00:00:00+00:00")
    assert pg_hub.client.post("/v1/stories", json=embargoed, headers=pg_hub.auth(member)).status_code == 201
    killed = pg_hub.client.get("/v1/feed?lang=az&limit=1", headers=pg_hub.auth(member)).json()["entries"][0]
    kill = pg_hub.client.post(f"/v1/stories/{killed['storyId']}/kill", headers=pg_hub.auth(member))
    assert kill.status_code == 200

    for key in (member, partner):
        for query in ("lang=az", "lang=az&limit=2", "lang=az&agency=azertac", "lang=az&quality=ok", "lang=tr"):
            served = feed_of(pg_hub, key, query)
            params = dict(part.split("=") for part in query.split("&"))
            with pg_hub.runtime.read() as session:
                caller = authenticate(session, key)
                expected = feed_page_json(
                    pg_hub.runtime,
                    session,
                    caller,
                    language=params["lang"],
                    after=None,
                    limit=int(params.get("limit", 100)),
                    agency=params.get("agency"),
                    quality=params.get("quality"),
                )
            assert served == expected, query
    assert b"az-embargoed" in feed_of(pg_hub, member) and b"az-embargoed" not in feed_of(pg_hub, partner)


def test_a_page_read_by_key_reads_nothing_for_a_key_that_does_not_authenticate(pg_hub: HubHarness) -> None:
    key = pg_hub.agency("azertac")
    assert pg_hub.client.post("/v1/stories", json=story("az-1"), headers=pg_hub.auth(key)).status_code == 201
    key_id, secret = split_key(key) or ("", "")

    def page_as(reader: ReaderKey) -> list[int]:
        read = feed_repo.page_read(reader=reader, languages=["az"], after=0, limit=10)
        with pg_hub.runtime.read() as session:
            return [row[feed_repo.SEQ] for row in driver_rows(session.connection(), read.statement, read.values)]

    assert len(page_as(ReaderKey(key_id, hash_secret(secret)))) == 1
    assert page_as(ReaderKey(key_id, hash_secret(secret + "x"))) == []
    assert page_as(ReaderKey("nosuchkey", hash_secret(secret))) == []
    with pg_hub.runtime.write() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=pg_hub.runtime.clock()))
    assert page_as(ReaderKey(key_id, hash_secret(secret))) == []
    response = pg_hub.client.get("/v1/feed?lang=az", headers=pg_hub.auth(key))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_the_key_is_answered_before_a_bad_parameter(pg_hub: HubHarness) -> None:
    """As on a session: a key that does not authenticate is a 401 whatever else is wrong;
    a good key with a parameter the service refuses is a 422."""
    key = pg_hub.agency("azertac")
    wrong = pg_hub.client.get("/v1/feed?lang=xx", headers=pg_hub.auth(key + "x"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    unknown_agency = pg_hub.client.get("/v1/feed?lang=az&agency=nobody", headers=pg_hub.auth(key + "x"))
    assert unknown_agency.status_code == 401
    assert pg_hub.client.get("/v1/feed?lang=xx", headers=pg_hub.auth(key)).status_code == 422
    assert pg_hub.client.get("/v1/feed?lang=az&agency=nobody", headers=pg_hub.auth(key)).status_code == 404
    push_only = pg_hub.agency("trend", scopes="push")
    forbidden = pg_hub.client.get("/v1/feed?lang=az", headers=pg_hub.auth(push_only))
    assert forbidden.status_code == 403 and "'pull' scope" in forbidden.json()["detail"]


def test_an_unreachable_database_is_a_503_then_the_feed_is_served_again(pg_hub: HubHarness) -> None:
    key = pg_hub.agency("azertac")
    working = pg_hub.app.state.async_reads
    # A real connection failure: nothing listens on port 1.
    pg_hub.app.state.async_reads = AsyncReads("postgresql+psycopg://postgres@127.0.0.1:1/ulak", working._dialect)
    try:
        response = pg_hub.client.get("/v1/feed?lang=az", headers=pg_hub.auth(key))
        assert response.status_code == 503 and response.json()["error"] == "database_unavailable"
        assert response.headers["Retry-After"].isdigit()
    finally:
        pg_hub.app.state.async_reads = working
    feed_of(pg_hub, key)


def test_a_connection_the_server_dropped_is_a_503_and_replaced(pg_hub: HubHarness, postgres_url: str) -> None:
    """The server ends the event loop's idle connection (as a restart would): the request
    that meets it answers 503 (or is served on a fresh one), the pool drops it, the next
    request is served."""
    key = pg_hub.agency("azertac")
    feed_of(pg_hub, key)
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ''"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert ended >= 1
    first = pg_hub.client.get("/v1/feed?lang=az", headers=pg_hub.auth(key))
    assert first.status_code in (200, 503), first.text
    if first.status_code == 503:
        assert first.json()["error"] == "database_unavailable"
    feed_of(pg_hub, key)
