"""Bad input gets a precise status and a JSON error, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.db import make_engine, make_session_factory
from hub.models import FeedEntry, Story
from tests.fixtures.hub import HubHarness, story


def count(hub: HubHarness, model: type) -> int:
    with hub.runtime.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer ulak_deadbeef0000_secret"},
        {"Authorization": "Basic abc"},
    ],
)
def test_missing_or_unknown_key_is_401(hub: HubHarness, headers: dict) -> None:
    assert_error(hub.client.post("/v1/stories", json=story("x"), headers=headers), 401, "unauthorized")
    assert_error(hub.client.get("/v1/feed?lang=az", headers=headers), 401, "unauthorized")


def test_wrong_secret_for_a_real_key_id_is_401(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    forged = key[: key.rindex("_") + 1] + "x" * 43
    assert_error(hub.client.get("/v1/feed?lang=az", headers=hub.auth(forged)), 401, "unauthorized")


def test_revoked_key_is_401(hub: HubHarness) -> None:
    from hub.agencies.service import revoke_key

    key = hub.agency("azertac")
    assert hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).status_code == 200
    with hub.runtime.write() as session:
        revoke_key(session, key.split("_")[1])
    body = assert_error(hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)), 401, "unauthorized")
    assert "revoked" in body["detail"]


def test_pull_only_key_cannot_push_and_push_only_cannot_pull(hub: HubHarness) -> None:
    puller = hub.agency("reader", scopes="pull")
    pusher = hub.agency("writer", scopes="push")
    assert_error(hub.client.post("/v1/stories", json=story("x"), headers=hub.auth(puller)), 403, "forbidden")
    assert_error(hub.client.get("/v1/feed?lang=az", headers=hub.auth(pusher)), 403, "forbidden")
    assert count(hub, Story) == 0


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda s: s.pop("uri"), "uri"),
        (lambda s: s.pop("headlines"), "headlines"),
        (lambda s: s.pop("bodies"), "bodies"),
        (lambda s: s.update(headlines=[]), "headlines"),
        (lambda s: s.update(bodies=[{"contentType": "image/png", "value": "x"}]), "bodies.0.contentType"),
        (lambda s: s.update(urgency=12), "urgency"),
        (lambda s: s.update(embargoedUntil="tomorrow"), "embargoedUntil"),
        (lambda s: s.update(embargoedUntil="2030-01-01T00:00:00"), "embargoedUntil"),
        (lambda s: s.update(headlines=[{"role": "sub", "value": "x"}]), "headlines"),
        (lambda s: s.update(places="Baku"), "places"),
    ],
)
def test_invalid_story_is_422_naming_the_field(hub: HubHarness, mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    key = hub.agency("azertac")
    doc = story("az-bad")
    mutate(doc)
    body = assert_error(hub.client.post("/v1/stories", json=doc, headers=hub.auth(key)), 422, "invalid_request")
    assert field in body["detail"]
    assert count(hub, Story) == 0 and count(hub, FeedEntry) == 0


def test_unknown_language_is_422_listing_supported(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    body = assert_error(
        hub.client.post("/v1/stories", json=story("x", language="xx"), headers=hub.auth(key)), 422, "invalid_request"
    )
    assert "language" in body["detail"] and "az, tr, ru, uz, en" in body["detail"]


def test_malformed_json_is_422(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    response = hub.client.post(
        "/v1/stories", content=b"{not json", headers=hub.auth(key) | {"Content-Type": "application/json"}
    )
    assert_error(response, 422, "invalid_request")


def test_oversize_story_is_413(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    huge = story("big", body="x" * (hub.runtime.settings.max_story_bytes + 10))
    assert_error(hub.client.post("/v1/stories", json=huge, headers=hub.auth(key)), 413, "payload_too_large")

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted as it streams
        yield b'{"uri": "big", "language": "az", "bodies": [{"value": "'
        for _ in range(hub.runtime.settings.max_story_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}]}'

    response = hub.client.post(
        "/v1/stories", content=chunks(), headers=hub.auth(key) | {"Content-Type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")
    assert count(hub, Story) == 0


def test_unknown_route_is_json_404(hub: HubHarness) -> None:
    assert_error(hub.client.get("/v1/nothing"), 404, "not_found")


def test_database_down_is_503_with_retry_after(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    working = hub.runtime.sessions
    # A real connection failure: nothing listens on port 1.
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/ulak")
    hub.runtime.sessions = make_session_factory(dead)
    try:
        response = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key))
        assert_error(response, 503, "database_unavailable")
        assert response.headers["Retry-After"].isdigit()
        assert hub.client.get("/readyz").status_code == 503
    finally:
        hub.runtime.sessions = working
        dead.dispose()
    assert hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).status_code == 201


def test_storage_down_is_503_and_nothing_is_committed(hub: HubHarness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The local store's root made unusable: a real failure of the store, not a mock."""
    key = hub.agency("azertac")
    root = hub.runtime.settings.resolved_storage_dir
    root.mkdir(parents=True, exist_ok=True)
    moved = tmp_path / "moved-away"
    root.rename(moved)
    root.write_text("not a directory")
    try:
        response = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key))
        assert_error(response, 503, "storage_unavailable")
        assert count(hub, Story) == 0 and count(hub, FeedEntry) == 0
        ready = hub.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["storage"].startswith("down")
    finally:
        root.unlink()
        moved.rename(root)
    assert hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).status_code == 201
    assert hub.client.get("/readyz").json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_sqlite_file_that_cannot_be_opened_is_503(hub: HubHarness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real SQLite failure to open (its directory is gone): unavailable, by result code."""
    key = hub.agency("azertac")
    working = hub.runtime.sessions
    gone = tmp_path / "gone"
    dead = make_engine(f"sqlite:///{gone / 'ulak.db'}")  # makes the directory…
    gone.rmdir()  # …which disappears before the first connection
    hub.runtime.sessions = make_session_factory(dead)
    try:
        response = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key))
        assert_error(response, 503, "database_unavailable")
    finally:
        hub.runtime.sessions = working
        dead.dispose()


def test_failing_statement_is_500_even_when_its_message_says_connect(hub: HubHarness) -> None:
    """A statement the server rejects is a bug (500), not an outage (503), whatever words
    its message happens to contain."""
    from sqlalchemy import text

    @hub.app.get("/test-only/broken-query")
    def broken_query() -> None:
        with hub.runtime.read() as session:
            session.execute(text("SELECT * FROM connection_log_that_does_not_exist"))

    assert_error(hub.client.get("/test-only/broken-query"), 500, "internal_error")


def test_unexpected_exception_is_a_json_500(hub: HubHarness) -> None:
    @hub.app.get("/test-only/crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    response = hub.client.get("/test-only/crash")
    assert_error(response, 500, "internal_error")
    assert "a bug" not in response.text  # internals stay in the log
