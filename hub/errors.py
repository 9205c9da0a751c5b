"""The hub's error tree and the one handler that turns it into JSON.

    HubError                       500 internal_error
    ├── InvalidRequest             422 invalid_request (malformed body, unknown language…)
    ├── Unauthorized               401 unauthorized (missing, unknown or revoked key)
    ├── Forbidden                  403 forbidden (wrong scope, not the owner)
    ├── NotFound                   404 not_found
    ├── Conflict                   409 conflict
    ├── PayloadTooLarge            413 payload_too_large
    ├── UnsupportedMediaType       415 unsupported_media_type (e.g. a multipart upload)
    └── Unavailable                503 unavailable
        ├── StorageUnavailable     503 storage_unavailable
        └── DatabaseUnavailable    503 database_unavailable

Every error response is ``{"error": <code>, "detail": <message>}``; 503s carry
``Retry-After`` so clients back off instead of hammering a hub that is down.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

RETRY_AFTER_SECONDS = 1


class HubError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


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


class Conflict(HubError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(HubError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(HubError):
    status_code = 415
    code = "unsupported_media_type"


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
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status_code, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_: Request, exc: HubError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        detail = f"{_field_path(tuple(first['loc']))}: {first['msg']}"
        fields = [{"field": _field_path(tuple(e["loc"])), "message": e["msg"]} for e in errors]
        return error_response(422, "invalid_request", detail, fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 413: "payload_too_large"}
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(DBAPIError)
    async def _db_error(_: Request, exc: DBAPIError) -> JSONResponse:
        # A dropped connection or an unreachable server is the operator's problem to fix,
        # not the client's: report it as 503 so clients retry.
        if exc.connection_invalidated or isinstance(exc.orig, OSError) or "connect" in str(exc.orig).lower():
            return error_response(503, "database_unavailable", "the database is unreachable; try again later")
        return error_response(500, "internal_error", "database error")
