"""The hub's error tree and the one handler that turns it into JSON.

    HubError                       500 internal_error
    ├── BadRequest                 400 bad_request (not valid HTTP, see hub.server; client gone mid-body)
    ├── InvalidRequest             422 invalid_request (malformed body, unknown language…)
    ├── Unauthorized               401 unauthorized (missing, unknown or revoked key)
    ├── Forbidden                  403 forbidden (wrong scope, not the owner)
    ├── NotFound                   404 not_found
    ├── RequestTimeout             408 request_timeout (the body stopped arriving)
    ├── Conflict                   409 conflict
    ├── PayloadTooLarge            413 payload_too_large
    ├── UnsupportedMediaType       415 unsupported_media_type (e.g. a multipart upload)
    ├── RateLimited                429 rate_limited (the key's limit for the scope; Retry-After)
    └── Unavailable                503 unavailable
        ├── StorageUnavailable     503 storage_unavailable
        └── DatabaseUnavailable    503 database_unavailable

Every error response is ``{"error": <code>, "detail": <message>}`` (422s add
``fields``); 503s carry ``Retry-After`` so clients back off instead of hammering a hub
that is down. Whether a database error means "unavailable" is decided by the driver's
exception type and SQLSTATE / SQLite result code, never by its message.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

RETRY_AFTER_SECONDS = 1

log = logging.getLogger("ulak.errors")

# PostgreSQL error classes that mean "the server cannot serve us now", not "your query
# is wrong": connection exceptions (08), insufficient resources (53, too many
# connections), operator intervention (57: shutdown, statement canceled).
_PG_UNAVAILABLE = (
    psycopg.errors.ConnectionException,
    psycopg.errors.InsufficientResources,
    psycopg.errors.OperatorIntervention,
)
# SQLite primary result codes of the same kind: the file cannot be opened or read, or
# another connection holds it longer than the busy timeout.
_SQLITE_UNAVAILABLE = frozenset(
    {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
)


class HubError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra  # more fields of the JSON body
        self.headers = headers or {}  # response headers, over the status's own


class BadRequest(HubError):
    status_code = 400
    code = "bad_request"


class InvalidRequest(HubError):
    status_code = 422
    code = "invalid_request"


class Unauthorized(HubError):
    status_code = 401
    code = "unauthorized"


class Forbidden(HubError):
    status_code = 403
    code = "forbidden"


class NotFound(HubError):
    status_code = 404
    code = "not_found"


class RequestTimeout(HubError):
    status_code = 408
    code = "request_timeout"


class Conflict(HubError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(HubError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(HubError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(HubError):
    """The key has used its scope's budget for this window. ``Retry-After`` and the
    ``RateLimit-*`` headers are added by hub.ratelimit.RateLimitHeadersMiddleware."""

    status_code = 429
    code = "rate_limited"


class Unavailable(HubError):
    status_code = 503
    code = "unavailable"


class StorageUnavailable(Unavailable):
    code = "storage_unavailable"


class DatabaseUnavailable(Unavailable):
    code = "database_unavailable"


def error_response(status_code: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status_code == 503 else None
    if status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    if status_code in (400, 408):
        # The request's framing or body is not trustworthy: do not read another one from it.
        headers = {"Connection": "close"}
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status_code, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_: Request, exc: HubError) -> JSONResponse:
        response = error_response(exc.status_code, exc.code, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        detail = f"{_field_path(tuple(first['loc']))}: {first['msg']}"
        fields = [{"field": _field_path(tuple(e["loc"])), "message": e["msg"]} for e in errors]
        return error_response(422, "invalid_request", detail, fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:
            return _unparsable_body(exc.__cause__)
        # Starlette's own (404/405 routing) and the ones the limit middlewares raise.
        codes = {
            cls.status_code: cls.code for cls in (BadRequest, Unauthorized, NotFound, RequestTimeout, PayloadTooLarge)
        }
        codes[405] = "method_not_allowed"
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # Nobody is left to read an answer; one line, not a traceback.
        log.info("client disconnected before sending the whole request: %s %s", request.method, request.url.path)
        return error_response(BadRequest.status_code, BadRequest.code, "the client disconnected")

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # A dropped connection or an unreachable server is the operator's problem to fix,
        # not the client's: report it as 503 so clients retry.
        if database_unavailable(exc):
            log.warning("database unavailable: %s: %s", type(exc.orig).__name__, exc.orig)
            return error_response(503, "database_unavailable", "the database is unreachable; try again later")
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "database error")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Runs in Starlette's outermost middleware, which logs the traceback itself.
        return error_response(500, "internal_error", "internal server error")


def database_unavailable(exc: DBAPIError) -> bool:
    """True when ``exc`` says the database cannot be reached or cannot serve now (retry
    later), False when the statement itself failed (a bug or bad data: 500)."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, psycopg.OperationalError):
        # Errors raised by libpq before any server answered (refused, unknown host,
        # timeout) carry no SQLSTATE.
        return orig.sqlstate is None or isinstance(orig, _PG_UNAVAILABLE)
    if isinstance(orig, sqlite3.OperationalError):
        return orig.sqlite_errorcode & 0xFF in _SQLITE_UNAVAILABLE
    return False


def _unparsable_body(cause: BaseException) -> JSONResponse:
    """FastAPI answers 400 "error parsing the body" for anything json.loads raises
    besides a syntax error; the README promises 422 for a body that is not JSON."""
    if isinstance(cause, ClientDisconnect):
        log.info("client disconnected before sending the whole request body")
        return error_response(BadRequest.status_code, BadRequest.code, "the client disconnected")
    if isinstance(cause, UnicodeDecodeError):
        return error_response(422, "invalid_request", f"body: not valid UTF-8 ({cause.reason} at byte {cause.start})")
    if isinstance(cause, RecursionError):
        return error_response(422, "invalid_request", "body: JSON nested too deeply")
    return error_response(422, "invalid_request", f"body: could not be parsed ({type(cause).__name__})")
