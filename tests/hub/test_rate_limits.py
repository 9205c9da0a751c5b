"""Rate limits per key and scope (hub/ratelimit.py): 429 ``rate_limited`` with
``Retry-After`` and the ``RateLimit-*`` headers, counters shared by every API process
through the database (or Redis), the SDK backing off against the real hub."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import event

from hub.config import Settings
from hub.ratelimit import DatabaseStorage, RateLimiter, SweepingMemoryStorage, parse_limits
from tests.fixtures.hub import HubHarness, make_settings, served_hub, story
from ulak_client import UlakClient

REDIS = ("127.0.0.1", 6379)


@pytest.fixture
def limited_hub(database_url: str, tmp_path: Path) -> Iterator[HubHarness]:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, rate_limits="pull=3/minute")
    with HubHarness.start(settings) as harness:
        yield harness


def headers_of(response: httpx.Response) -> tuple[str, str, str]:
    return (
        response.headers["RateLimit-Limit"],
        response.headers["RateLimit-Remaining"],
        response.headers["RateLimit-Reset"],
    )


def test_every_counted_response_says_what_is_left_and_the_last_one_is_a_429(limited_hub: HubHarness) -> None:
    key = limited_hub.agency("azertac")
    answers = [limited_hub.client.get("/v1/feed?lang=az", headers=limited_hub.auth(key)) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [headers_of(a)[:2] for a in answers] == [("3", "2"), ("3", "1"), ("3", "0"), ("3", "0")]
    assert all(0 < int(headers_of(a)[2]) <= 60 for a in answers)
    refused = answers[-1]
    assert refused.json()["error"] == "rate_limited"
    assert "pull limit of 3 per 1 minute" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Retry-After" not in answers[0].headers


def test_each_key_and_each_scope_has_its_own_budget(limited_hub: HubHarness) -> None:
    first = limited_hub.agency("azertac")
    second = limited_hub.agency("azertac")  # another key of the same agency
    for _ in range(3):
        assert limited_hub.client.get("/v1/feed?lang=az", headers=limited_hub.auth(first)).status_code == 200
    assert limited_hub.client.get("/v1/feed?lang=az", headers=limited_hub.auth(first)).status_code == 429

    assert limited_hub.client.get("/v1/feed?lang=az", headers=limited_hub.auth(second)).status_code == 200
    # Pushing is another scope, with no limit configured here: not counted, no headers.
    pushed = limited_hub.client.post("/v1/stories", json=story("urn:rl:1"), headers=limited_hub.auth(first))
    assert pushed.status_code == 201
    assert "RateLimit-Limit" not in pushed.headers


def test_a_refused_push_stores_nothing(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, rate_limits="push=1/minute")
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        assert hub.client.post("/v1/stories", json=story("urn:rl:a"), headers=hub.auth(key)).status_code == 201
        refused = hub.client.post("/v1/stories", json=story("urn:rl:b"), headers=hub.auth(key))
        feed = hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).json()
    assert refused.status_code == 429
    assert len(feed["entries"]) == 1


def test_unauthenticated_and_unlimited_requests_carry_no_headers(limited_hub: HubHarness) -> None:
    assert "RateLimit-Limit" not in limited_hub.client.get("/healthz").headers
    anonymous = limited_hub.client.get("/v1/feed?lang=az")
    assert anonymous.status_code == 401
    assert "RateLimit-Limit" not in anonymous.headers


def test_the_window_opens_again_when_it_ends(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, rate_limits="pull=2/second")
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        statuses = [hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).status_code for _ in range(3)]
        assert statuses[-1] == 429
        time.sleep(1.1)
        assert hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).status_code == 200


def test_two_api_processes_count_into_one_window_through_the_database(database_url: str, tmp_path: Path) -> None:
    """Two app instances on one database, as two API replicas: the database storage (the
    default on PostgreSQL; chosen explicitly here so SQLite runs it too) shares the count."""
    overrides = {"embedded_worker": False, "rate_limits": "pull=4/minute", "rate_limit_storage": "database"}
    with (
        HubHarness.start(make_settings(tmp_path / "a", database_url, **overrides)) as one,
        HubHarness.start(make_settings(tmp_path / "b", database_url, **overrides)) as two,
    ):
        key = one.agency("azertac")
        statuses = [
            replica.client.get("/v1/feed?lang=az", headers=replica.auth(key)).status_code
            for replica in (one, two, one, two, one, two)
        ]
        remaining = two.client.get("/v1/feed?lang=az", headers=two.auth(key)).headers["RateLimit-Remaining"]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert remaining == "0"


def test_database_counters_lose_no_hit_under_concurrency(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", database_url, rate_limits="pull=50/minute")
    with HubHarness.start(settings) as hub:
        limiter = RateLimiter(parse_limits("pull=50/minute"), DatabaseStorage(hub.runtime.engine))
        with ThreadPoolExecutor(8) as pool:
            decisions = list(pool.map(lambda _: limiter.hit("key1", "pull"), range(80)))
    allowed = [d for d in decisions if d is not None and d.allowed]
    assert len(allowed) == 50
    assert all(d is not None for d in decisions)


def counted_upserts(storage: DatabaseStorage) -> list[str]:
    """The counter upserts ``storage`` sends to its database from now on."""
    sent: list[str] = []
    event.listen(
        storage.engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: sent.append(statement) if "rate_limit_counters" in statement else None,
    )
    return sent


def test_a_busy_key_is_counted_in_leases_and_its_limit_holds_exactly(database_url: str, tmp_path: Path) -> None:
    """A key hit hundreds of times a second takes its numbers from the database in leases
    (one upsert for many requests), and exactly the limit is let through; once the window
    is spent, refusals cost no round trip."""
    settings = make_settings(tmp_path / "data", database_url)
    with HubHarness.start(settings) as hub:
        storage = DatabaseStorage(hub.runtime.engine)
        limiter = RateLimiter(parse_limits("pull=1000/minute"), storage)
        sent = counted_upserts(storage)
        decisions = [limiter.hit("key1", "pull") for _ in range(1200)]
        upserts_to_spend = len(sent)
        more = [limiter.hit("key1", "pull") for _ in range(50)]
    assert all(d is not None for d in decisions + more)
    assert sum(d.allowed for d in decisions if d is not None) == 1000
    assert not any(d.allowed for d in more if d is not None)
    assert upserts_to_spend < 200, upserts_to_spend  # leases of up to 64, one by one near the limit
    assert len(sent) == upserts_to_spend  # a spent window is refused without asking
    remaining = [d.remaining for d in decisions[:1000] if d is not None]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0


def test_replicas_taking_leases_let_through_exactly_the_limit(database_url: str, tmp_path: Path) -> None:
    """Two API processes (two storages on one database), each with busy threads: the
    numbers they lease are distinct, so the limit holds across them."""
    settings = make_settings(tmp_path / "data", database_url)
    with HubHarness.start(settings) as hub:
        replicas = [RateLimiter(parse_limits("pull=300/minute"), DatabaseStorage(hub.runtime.engine)) for _ in range(2)]
        with ThreadPoolExecutor(6) as pool:
            decisions = list(pool.map(lambda n: replicas[n % 2].hit("key1", "pull"), range(800)))
    assert all(d is not None for d in decisions)
    assert sum(d.allowed for d in decisions if d is not None) == 300


def test_the_default_storage_is_the_database_on_postgresql_and_memory_on_sqlite(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", database_url, rate_limits="pull=5/minute")
    with HubHarness.start(settings) as hub:
        limiter = hub.app.state.rate_limiter
        expected = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        assert isinstance(limiter.storage, DatabaseStorage) == (expected == "postgresql")
        assert isinstance(limiter.storage, SweepingMemoryStorage) == (expected == "sqlite")


def test_in_memory_counters_start_no_thread_per_hit_and_are_still_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    """limits' MemoryStorage starts a Timer thread on a hit once the previous one has
    ended; the hub's sweeps inline instead, and an expired window still counts from 0."""
    limiter = RateLimiter(parse_limits("pull=2/second"), SweepingMemoryStorage())
    started: list[threading.Timer] = []
    start = threading.Timer.start
    monkeypatch.setattr(threading.Timer, "start", lambda self: (started.append(self), start(self))[-1])
    decisions = []
    for _ in range(3):
        decisions.append(limiter.hit("key1", "pull"))
        time.sleep(0.02)  # longer than limits' 10 ms timer: it would have ended by now
    assert started == []
    assert [d.allowed for d in decisions if d is not None] == [True, True, False]

    storage = limiter.storage
    assert isinstance(storage, SweepingMemoryStorage)
    limiter.hit("key2", "pull")
    assert any("key2" in key for key in storage.storage)
    time.sleep(1.1)  # key2's window and the sweep interval have both ended
    assert (again := limiter.hit("key1", "pull")) is not None and again.allowed and again.remaining == 1
    assert not any("key2" in key for key in storage.storage)  # freed by the inline sweep


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379")
def test_redis_storage_is_shared_between_processes(tmp_path: Path, sqlite_template) -> None:  # type: ignore[no-untyped-def]
    url = sqlite_template.copy_to(tmp_path / "ulak.db")
    overrides = {
        "embedded_worker": False,
        "rate_limits": "pull=2/minute",
        "rate_limit_storage": f"redis://{REDIS[0]}:{REDIS[1]}/15",
    }
    with (
        HubHarness.start(make_settings(tmp_path / "a", url, **overrides)) as one,
        HubHarness.start(make_settings(tmp_path / "b", url, **overrides)) as two,
    ):
        key = one.agency("azertac")  # a fresh key id: no count left over in Redis
        statuses = [r.client.get("/v1/feed?lang=az", headers=r.auth(key)).status_code for r in (one, two, one)]
    assert statuses == [200, 200, 429]


def test_an_unreachable_storage_lets_requests_through(
    tmp_path: Path, sqlite_template, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = sqlite_template.copy_to(tmp_path / "ulak.db")
    overrides = {
        "embedded_worker": False,
        "rate_limits": "pull=1/minute",
        "rate_limit_storage": f"redis://127.0.0.1:{port}",
    }
    with HubHarness.start(make_settings(tmp_path / "data", url, **overrides)) as hub:
        key = hub.agency("azertac")
        answers = [hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert "RateLimit-Limit" not in answers[0].headers
    assert "rate-limit storage failed" in caplog.text


def test_settings_refuse_what_they_cannot_read() -> None:
    for value, message in [
        ("pul=3/minute", "unknown scope 'pul'"),
        ("pull=often", "'often' is not a limit"),
        ("pull", "is not SCOPE=LIMIT"),
    ]:
        with pytest.raises(ValidationError, match=message):
            Settings(_env_file=None, rate_limits=value)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="use database, memory://"):
        Settings(_env_file=None, rate_limit_storage="memcached://127.0.0.1")  # type: ignore[call-arg]
    assert set(parse_limits("pull=600/minute,10000/day;push=2/second")) == {"pull", "push"}
    assert len(parse_limits("pull=600/minute,10000/day")["pull"]) == 2


def test_the_tightest_of_several_limits_is_reported(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", database_url, embedded_worker=False, rate_limits="pull=100/minute,2/hour"
    )
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        answers = [hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)) for _ in range(3)]
    assert [headers_of(a)[:2] for a in answers] == [("2", "1"), ("2", "0"), ("2", "0")]
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) > 60  # the hour window, not the minute one


def test_the_sdk_waits_out_429s_against_the_real_hub(database_url: str, tmp_path: Path) -> None:
    with served_hub(tmp_path / "data", database_url, embedded_worker=False, rate_limits="push=2/second") as (url, rt):
        from hub.agencies import service as agencies

        with rt.write() as session:
            agencies.create_agency(session, "azertac", name="AZERTAC", is_partner=False)
            key = agencies.create_key(session, "azertac", "push,pull").plaintext
        seen: list[int] = []
        lock = threading.Lock()

        def record(response: httpx.Response) -> None:
            with lock:
                seen.append(response.status_code)

        with (
            httpx.Client(event_hooks={"response": [record]}, timeout=10) as http,
            UlakClient(url, key, http_client=http) as client,
        ):
            pushed = [
                client.push_story(guid=f"urn:rl:sdk:{n}", language="az", headline=f"Xəbər {n}", body_text="Mətn.")
                for n in range(5)
            ]
    assert [p.created for p in pushed] == [True] * 5
    assert 429 in seen
    assert seen.count(201) == 5
