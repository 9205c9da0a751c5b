"""Limits on what a request may be, enforced before a route reads it: body size
(while the body streams in, not after buffering it), the pace at which the body
arrives, and characters that no database column can store."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import error_response


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length up front or by
    counting as the body arrives. Paths in ``exempt`` enforce their own limits
    (media uploads, which stream to disk)."""

    def __init__(self, app: ASGIApp, *, limit: int, exempt: tuple[str, ...] = ()) -> None:
        self.app, self.limit, self.exempt = app, limit, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException passes through FastAPI's body parsing unchanged
                    # (anything else becomes a 400) and reaches our JSON error handler.
                    raise HTTPException(413, f"request body exceeds the limit of {self.limit} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "payload_too_large", f"request body exceeds the limit of {self.limit} bytes")
        await response(scope, receive, send)


class BodyTimeoutMiddleware:
    """Answer 408 when the next piece of a request body has not arrived within
    ``timeout`` seconds: a client that declares a Content-Length and sends less would
    otherwise hold a connection and a worker forever. Only the body is timed; the wait
    for a disconnect after it (streaming responses listen for one) is not."""

    def __init__(self, app: ASGIApp, *, timeout: float) -> None:
        self.app, self.timeout = app, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                # Raised as an HTTPException for the same reason as in BodyLimitMiddleware.
                raise HTTPException(408, f"the request body stopped arriving for {self.timeout:g} s") from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        await self.app(scope, timed_receive, send)


class NulCharacterMiddleware:
    """422 for a NUL character in the path or the query string. Ids, codes and cursors
    from there end up in SQL parameters, and PostgreSQL text cannot hold NUL: refused
    here once instead of failing as a database error in every route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope["query_string"])):
            response = error_response(422, "invalid_request", "the path or query contains a NUL character")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
