"""The SDK sends the API key to the hub's origin only: never to another host a media
href points at, nor across a redirect (checked against real servers on loopback ports)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx

from ulak_client import AsyncUlakClient, UlakClient

if TYPE_CHECKING:
    from tests.clients.conftest import LiveHub

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"key-origin"
ELSEWHERE = b"bytes from another origin"


@dataclass
class Recorder:
    """A plain HTTP server that answers every GET with ``ELSEWHERE`` (or, on
    ``/redirect``, a 302 to ``redirect_to``) and records each request's headers."""

    url: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    redirect_to: str = ""

    def authorizations(self) -> list[str | None]:
        return [headers.get("authorization") for _, headers in self.requests]


@contextmanager
def recorder() -> Iterator[Recorder]:
    record = Recorder("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", record.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(ELSEWHERE)))
            self.end_headers()
            self.wfile.write(ELSEWHERE)

        def log_message(self, format: str, *args: object) -> None:  # quiet: no access log on stderr
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_media_from_another_origin_is_fetched_without_the_key(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()
    with recorder() as other, UlakClient(live_hub.url, key) as hub:
        media = hub.upload_media(PNG, content_type="image/png")
        # The hub answers 401 without the key: these prove it still gets it.
        assert hub.download_media(media.href) == PNG
        assert hub.download_media(media.sha256) == PNG
        # Same host (127.0.0.1), another port: another origin.
        assert hub.download_media(f"{other.url}/v1/media/{media.sha256}") == ELSEWHERE
        assert hub.download_media(other.url.replace("127.0.0.1", "localhost") + "/photo.png") == ELSEWHERE
    assert len(other.requests) == 2 and other.authorizations() == [None, None]


def test_async_twin_keeps_the_key_to_the_hubs_origin(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()

    async def scenario(elsewhere: str) -> tuple[bytes, bytes]:
        async with AsyncUlakClient(live_hub.url, key) as hub:
            media = await hub.upload_media(PNG, content_type="image/png")
            return await hub.download_media(media.href), await hub.download_media(elsewhere)

    with recorder() as other:
        assert asyncio.run(scenario(f"{other.url}/photo.png")) == (PNG, ELSEWHERE)
    assert other.authorizations() == [None]


def test_a_cross_origin_redirect_drops_the_key() -> None:
    """With a client that follows redirects, a 302 from the hub's origin to another one
    reaches the other origin without the key (httpx strips it; the SDK relies on that)."""
    with recorder() as hub_origin, recorder() as other:
        hub_origin.redirect_to = f"{other.url}/photo.png"
        with (
            httpx.Client(follow_redirects=True) as http,
            UlakClient(hub_origin.url, "ulak_k3y_s3cret", http_client=http) as hub,
        ):
            assert hub.download_media("/redirect/photo.png") == ELSEWHERE

        async def follow() -> bytes:
            async with (
                httpx.AsyncClient(follow_redirects=True) as http,
                AsyncUlakClient(hub_origin.url, "ulak_k3y_s3cret", http_client=http) as hub,
            ):
                return await hub.download_media("/redirect/photo.png")

        assert asyncio.run(follow()) == ELSEWHERE
    assert hub_origin.authorizations() == ["Bearer ulak_k3y_s3cret"] * 2
    assert other.authorizations() == [None, None]
