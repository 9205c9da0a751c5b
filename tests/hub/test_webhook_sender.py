"""One webhook send against receivers that misbehave for real (uvicorn on loopback): an
endless answer is cut off, a slow one times out, a redirect is not followed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import orjson
import pytest
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from hub.delivery.sender import Outcome, WebhookSender, message_id
from tests.fixtures.hub import LiveServer

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
hits: list[tuple[str, dict[str, str], bytes]] = []


async def record(request: Request) -> None:
    hits.append((request.url.path, dict(request.headers), await request.body()))


async def ok(request: Request) -> Response:
    await record(request)
    return Response(status_code=200)


async def endless(request: Request) -> StreamingResponse:
    await record(request)

    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 65536
            await asyncio.sleep(0)

    return StreamingResponse(chunks(), status_code=200)


async def slow(request: Request) -> Response:
    await record(request)
    await asyncio.sleep(2)
    return Response(status_code=200)


async def redirect(request: Request) -> Response:
    await record(request)
    return RedirectResponse("/ok", status_code=307)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    routes = [Route(f"/{f.__name__}", f, methods=["POST"]) for f in (ok, endless, slow, redirect)]
    with LiveServer(Starlette(routes=routes)) as live:
        yield live


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    hits.clear()
    sender = WebhookSender(timeout=0.5, allow_private=True)
    yield sender
    sender.close()


def send(sender: WebhookSender, url: str, body: str = '{"storyId":"s"}') -> Outcome:
    return sender.send(url, secret=SECRET, msg_id=message_id("sub_1", 7), body=body, now=datetime.now(UTC))


def test_a_delivery_carries_the_standard_webhooks_headers(server: LiveServer, sender: WebhookSender) -> None:
    body = orjson.dumps({"storyId": "s", "item": {"headlines": [{"value": "Xəbər"}]}}).decode()  # as entry_json
    outcome = send(sender, f"{server.url}/ok", body)
    assert outcome.delivered and outcome.status_code == 200 and outcome.error is None
    [(_, headers, received)] = hits
    assert received == body.encode() and "Xəbər" in received.decode()  # UTF-8, not \\u escapes
    assert Webhook(SECRET).verify(received, headers) == {"storyId": "s", "item": {"headlines": [{"value": "Xəbər"}]}}
    assert headers["webhook-id"] == "msg_sub_1_7" and headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Ulak-Webhooks/")


def test_an_endless_answer_is_cut_off(server: LiveServer, sender: WebhookSender) -> None:
    started = time.monotonic()
    outcome = send(sender, f"{server.url}/endless")
    assert outcome.delivered and outcome.status_code == 200
    assert time.monotonic() - started < 0.5


def test_a_slow_receiver_times_out(server: LiveServer, sender: WebhookSender) -> None:
    outcome = send(sender, f"{server.url}/slow")
    assert not outcome.delivered and outcome.status_code is None
    assert outcome.error == "timed out after 0.5 s"


def test_a_redirect_is_not_followed(server: LiveServer, sender: WebhookSender) -> None:
    outcome = send(sender, f"{server.url}/redirect")
    assert not outcome.delivered and outcome.status_code == 307
    assert outcome.summary == "HTTP 307"
    assert [path for path, _, _ in hits] == ["/redirect"]
