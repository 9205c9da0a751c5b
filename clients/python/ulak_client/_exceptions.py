"""The SDK's error tree; every error the client raises is a ``UlakClientError``.

    UlakClientError
    ├── TransportError            the hub could not be reached (connect/read failure, timeout)
    ├── CheckpointError           a checkpoint is unreadable or does not match the feed
    ├── WebhookVerificationError  a webhook's signature is missing, wrong or stale (verify_webhook)
    └── APIError                  the hub answered with an error (status_code, code, detail)
        ├── BadRequest            400 bad_request: malformed HTTP or JSON, NUL characters
        ├── AuthenticationError   401 unauthorized: missing, unknown or revoked key
        ├── PermissionDenied      403 forbidden: wrong scope, not the story's owner
        ├── NotFound              404 not_found
        ├── RequestTimeout        408 request_timeout: the body arrived too slowly
        ├── Conflict              409 conflict
        ├── PayloadTooLarge       413 payload_too_large
        ├── UnsupportedMediaType  415 unsupported_media_type: a media type the hub does not take
        ├── ValidationError       422 invalid_request (``fields`` names what was wrong)
        ├── RateLimited           429
        └── ServiceUnavailable    503 storage_unavailable / database_unavailable / unavailable

The hub's JSON error body ``{"error": <code>, "detail": <message>, ...}`` is mapped
back to these classes by its ``code`` first and its HTTP status second, so a proxy's
HTML error page still becomes a sensible ``APIError``.
"""

from __future__ import annotations

from typing import Any


class UlakClientError(Exception):
    """Root of every error raised by ``ulak_client``."""


class TransportError(UlakClientError):
    """The request did not get an HTTP answer (after any retries)."""


class CheckpointError(UlakClientError):
    """A feed checkpoint is corrupt, belongs to another feed, or disagrees with the hub."""


class WebhookVerificationError(UlakClientError):
    """A webhook delivery is not genuine: its signature is missing, malformed, made with
    another secret or too old (or too new) by its timestamp; or its signed body is not
    a feed entry. Answer it with an error status and do not use it."""


class APIError(UlakClientError):
    """The hub answered with an HTTP error."""

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        *,
        body: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status_code} {code}: {detail}")
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.body = body or {}
        self.retry_after = retry_after


class BadRequest(APIError):
    """400: the request could not be read (malformed HTTP or JSON, NUL characters)."""


class AuthenticationError(APIError):
    """401: the API key is missing, unknown or revoked."""


class PermissionDenied(APIError):
    """403: the key lacks the scope, or the story belongs to another agency."""


class NotFound(APIError):
    """404: no such story, language version or media object."""


class RequestTimeout(APIError):
    """408: the hub stopped waiting for the request body; sending it again is safe for
    idempotent calls, but the client does not retry it on its own (a slow link stays slow)."""


class Conflict(APIError):
    """409: the request conflicts with the story's current state."""


class PayloadTooLarge(APIError):
    """413: the story or media file is over the hub's limit."""


class UnsupportedMediaType(APIError):
    """415: the upload's content type is not one the hub accepts."""


class ValidationError(APIError):
    """422: the hub rejected the request; ``fields`` lists ``{"field", "message"}`` pairs."""

    @property
    def fields(self) -> list[dict[str, str]]:
        fields = self.body.get("fields")
        return list(fields) if isinstance(fields, list) else []


class RateLimited(APIError):
    """429: too many requests; ``retry_after`` says when to come back."""


class ServiceUnavailable(APIError):
    """503: the hub's database or object store is down; ``retry_after`` says when to retry."""


ERRORS_BY_CODE: dict[str, type[APIError]] = {
    "bad_request": BadRequest,
    "unauthorized": AuthenticationError,
    "forbidden": PermissionDenied,
    "not_found": NotFound,
    "conflict": Conflict,
    "request_timeout": RequestTimeout,
    "payload_too_large": PayloadTooLarge,
    "unsupported_media_type": UnsupportedMediaType,
    "invalid_request": ValidationError,
    "rate_limited": RateLimited,
    "unavailable": ServiceUnavailable,
    "storage_unavailable": ServiceUnavailable,
    "database_unavailable": ServiceUnavailable,
}

ERRORS_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    408: RequestTimeout,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimited,
    503: ServiceUnavailable,
}
