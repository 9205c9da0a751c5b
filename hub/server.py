"""How the hub is served: one uvicorn configuration for ``ulak serve`` and the tests,
with an HTTP protocol that answers malformed requests in the hub's JSON error format.

uvicorn answers a request it cannot parse (a broken request line, a header with no
colon, ``Content-Length: null``) itself, before the app sees it, with a plain-text
400. ``JsonErrorH11Protocol`` sends the same 400 as ``{"error": "bad_request", …}``.
The h11 implementation is chosen explicitly so the answer does not depend on whether
httptools happens to be installed.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from hub.errors import BadRequest

MALFORMED_DETAIL = "the request is not valid HTTP/1.1 (request line, a header or Content-Length)"


class JsonErrorH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"error": BadRequest.code, "detail": MALFORMED_DETAIL}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body)):
            self.transport.write(self.conn.send(event))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


def uvicorn_config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration the hub runs with; ``options`` are passed through."""
    return uvicorn.Config(app, host=host, port=port, http=JsonErrorH11Protocol, **options)
