"""The OpenAPI document as a contract: ``ErrorBody``, the one body every error response
has (see hub.errors), and ``error_responses``, which each route uses to declare the
error statuses it can answer with. FastAPI's own 422 schema (``{"detail": [...]}``)
never appears: every route that takes input declares 422 itself, with ``ErrorBody``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="dotted path of the offending field, e.g. `bodies.0.contentType`")
    message: str


class ErrorBody(BaseModel):
    """Every error the hub answers with, whatever the status."""

    error: str = Field(description="machine-readable code: `not_found`, `invalid_request`…")
    detail: str = Field(description="what went wrong, for a person")
    fields: list[FieldError] | None = Field(default=None, description="422 only: every invalid field")


_MEANINGS = {
    400: "not a valid HTTP request, or the client disconnected mid-body",
    401: "missing, unknown or revoked API key",
    403: "the key lacks the scope, or the resource belongs to another agency",
    404: "no such resource (or not visible to this key)",
    408: "the request body stopped arriving (ULAK_BODY_TIMEOUT_SECONDS)",
    409: "conflicts with the resource's state",
    413: "the request body exceeds the limit",
    415: "unsupported media type",
    422: "invalid input; `fields` names every invalid field",
    429: "the key has used its rate limit for this scope (ULAK_RATE_LIMITS); retry after `Retry-After` seconds",
    503: "the database or the object store is unreachable; retry after `Retry-After` seconds",
}


_RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "seconds until the window ends", "schema": {"type": "integer"}},
    "RateLimit-Limit": {"description": "requests allowed in the window", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "requests left in the window", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "seconds until the window ends", "schema": {"type": "integer"}},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can answer with these error statuses. A route that
    takes a key (401) is rate limited too, so 429 comes with it."""
    if 401 in statuses and 429 not in statuses:
        statuses = (*statuses, 429)
    responses: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody, "description": _MEANINGS[status]} for status in statuses
    }
    if 429 in responses:
        responses[429]["headers"] = _RATE_LIMIT_HEADERS
    return responses
