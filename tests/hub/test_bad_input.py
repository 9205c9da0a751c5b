"""Bad input gets a 4xx JSON error, never a 500: values past what the database or the
calendar can hold, characters PostgreSQL cannot store, bodies that are not JSON, and
(against a real uvicorn, over raw sockets) requests that are not valid HTTP, bodies
that never arrive and clients that hang up mid-upload."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.databases import SqliteTemplate
from tests.fixtures.hub import HubHarness, LiveServer, make_settings, story
from tests.hub.test_errors import assert_error


def test_cursor_past_the_integer_range_is_422(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    # base64 of "v1:9999999999999999999999999999999"
    response = hub.client.get(
        "/v1/feed?lang=az&after=djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", headers=hub.auth(key)
    )
    assert "after" in assert_error(response, 422, "invalid_request")["detail"]


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_embargo_outside_the_utc_calendar_is_422(hub: HubHarness, instant: str) -> None:
    key = hub.agency("azertac")
    response = hub.client.post("/v1/stories", json=story("az-1", embargoedUntil=instant), headers=hub.auth(key))
    assert "embargoedUntil" in assert_error(response, 422, "invalid_request")["detail"]


def test_embargo_at_the_last_storable_instant_is_accepted(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    response = hub.client.post(
        "/v1/stories", json=story("az-1", embargoedUntil="9999-12-31T23:59:59Z"), headers=hub.auth(key)
    )
    assert response.status_code == 201, response.text


def test_nul_in_story_uri_is_422(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    response = hub.client.post("/v1/stories", json=story("az\x001"), headers=hub.auth(key))
    assert "uri" in assert_error(response, 422, "invalid_request")["detail"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/v1/stories/a%00b"),
        ("GET", "/v1/stories/a%00b/versions"),
        ("GET", "/v1/stories/a%00b/translations"),
        ("POST", "/v1/stories/a%00b/kill"),
        ("GET", "/v1/media/a%00b"),
        ("GET", "/v1/media/a%00b/link"),
        ("GET", "/v1/feed?lang=az&agency=a%00b"),
        ("GET", "/v1/stories/x?lang=a%00b"),
    ],
)
def test_nul_in_path_or_query_is_422(hub: HubHarness, method: str, path: str) -> None:
    key = hub.agency("azertac")
    assert_error(hub.client.request(method, path, headers=hub.auth(key)), 422, "invalid_request")


@pytest.mark.parametrize(
    "body,words",
    [
        (b'{"uri": "\xff\xfe"}', "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "deeply"),
    ],
    ids=["invalid-utf8", "too-deep"],
)
def test_unparsable_json_body_is_422(hub: HubHarness, body: bytes, words: str) -> None:
    key = hub.agency("azertac")
    headers = hub.auth(key) | {"Content-Type": "application/json"}
    response = hub.client.post("/v1/stories", content=body, headers=headers)
    assert words in assert_error(response, 422, "invalid_request")["detail"]


# --- a real uvicorn, raw sockets ------------------------------------------------------

BODY_TIMEOUT = 0.5


@pytest.fixture
def live(sqlite_template: SqliteTemplate, tmp_path: Path) -> Iterator[tuple[HubHarness, LiveServer]]:
    url = sqlite_template.copy_to(tmp_path / "ulak.db")
    settings = make_settings(tmp_path / "data", url, embedded_worker=False, body_timeout_seconds=BODY_TIMEOUT)
    with HubHarness.start(settings) as harness, LiveServer(harness.app) as server:
        yield harness, server


def exchange(server: LiveServer, raw: bytes, *, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` as is and read the answer until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_malformed_content_length_gets_json_400(live: tuple[HubHarness, LiveServer]) -> None:
    _, server = live
    status, headers, body = exchange(server, b"POST /v1/stories HTTP/1.1\r\nHost: x\r\ncontent-length: null\r\n\r\n{}")
    assert status == 400 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "bad_request"


def test_garbage_request_line_gets_json_400(live: tuple[HubHarness, LiveServer]) -> None:
    _, server = live
    status, _, body = exchange(server, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert status == 400 and json.loads(body)["error"] == "bad_request"


def test_declared_body_that_never_arrives_is_408(live: tuple[HubHarness, LiveServer]) -> None:
    hub, server = live
    key = hub.agency("azertac")
    started = time.monotonic()
    status, headers, body = exchange(
        server,
        b"POST /v1/stories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {key}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"uri": ',
    )
    assert status == 408 and json.loads(body)["error"] == "request_timeout"
    assert headers["connection"] == "close"
    assert time.monotonic() - started < BODY_TIMEOUT + 5


@pytest.mark.parametrize("path", ["/v1/media", "/v1/stories"])  # streamed by the route / parsed by FastAPI
def test_client_gone_mid_body_is_one_log_line(
    live: tuple[HubHarness, LiveServer], caplog: pytest.LogCaptureFixture, path: str
) -> None:
    hub, server = live
    key = hub.agency("azertac")
    uvicorn_log = logging.getLogger("uvicorn.error")  # does not propagate: listen to it directly
    uvicorn_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n".encode()
                    + b"Content-Type: application/json\r\n"
                    + b"Content-Length: 1000000\r\n\r\n"
                    + b"\x89PNG" * 1000
                )
                time.sleep(0.2)  # the route is reading the body now
            deadline = time.monotonic() + 5
            while not any("disconnected" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)  # a traceback, if any, is logged after the handler ran
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    gone = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert len(gone) == 1 and gone[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    spool = hub.runtime.settings.data_dir / "tmp"
    assert not spool.exists() or list(spool.iterdir()) == []  # an upload's spool file is gone


def test_ninjs_schema_errors_name_fields_like_every_422(hub: HubHarness) -> None:
    """``fields`` is a list of ``{"field", "message"}`` (as documented and as the SDK
    reads it), also when the official ninjs schema is what refuses the story."""
    key = hub.agency("azertac")
    response = hub.client.post("/v1/stories", json=story("az-1", by=None, located=None), headers=hub.auth(key))
    body = assert_error(response, 422, "invalid_request")
    assert body["detail"].startswith("not valid ninjs 3.1: by:")
    assert body["fields"][:2] == [
        {"field": "by", "message": "None is not of type 'string'"},
        {"field": "located", "message": "None is not of type 'string'"},
    ]
