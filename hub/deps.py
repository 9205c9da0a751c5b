"""FastAPI dependency aliases: the runtime and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from hub.auth.service import Principal, authenticate
from hub.errors import RateLimited, Unauthorized
from hub.ratelimit import STATE_KEY, RateLimiter
from hub.runtime import HubRuntime

_bearer = HTTPBearer(auto_error=False, description="An Ulak API key: `ulak keys create CODE --scopes push,pull`")
# Feed readers speak HTTP Basic, not Bearer: the Atom feed also takes the key as the password.
_basic = HTTPBasic(auto_error=False, realm="Ulak", description="Atom feed only: any user name, the API key as password")
FEED_READER_CHALLENGE = 'Basic realm="Ulak", Bearer'


def get_runtime(request: Request) -> HubRuntime:
    return request.app.state.runtime


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]


def get_principal(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    with runtime.read() as session:
        return authenticate(session, credentials.credentials if credentials else None)


def count_request(request: Request, principal: Principal, scope: str) -> None:
    """Count the request against the key's limit for ``scope`` (hub/ratelimit.py); 429
    when it is spent. The decision stays in the request state for the response headers."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    decision = limiter.hit(principal.key_id, scope) if limiter is not None else None
    if decision is None:
        return
    setattr(request.state, STATE_KEY, decision)  # read back from the scope by the headers middleware
    if not decision.allowed:
        raise RateLimited(
            f"this key has used its {scope} limit of {decision.window}; retry in {max(1, decision.reset_seconds)} s"
        )


def require_scope(scope: str) -> Callable[..., Principal]:
    """The caller, who must hold ``scope`` (or admin); the request counts against that
    scope's rate limit."""

    def dependency(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(scope)
        count_request(request, principal, scope)
        return principal

    return dependency


def counted_as(scope: str) -> Callable[..., Principal]:
    """The caller, whatever its scopes (the service decides what it may do); the request
    counts against ``scope``'s rate limit. For routes several scopes may use."""

    def dependency(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        count_request(request, principal, scope)
        return principal

    return dependency


PushCaller = Annotated[Principal, Depends(require_scope("push"))]
PullCaller = Annotated[Principal, Depends(require_scope("pull"))]


def get_feed_reader(
    request: Request,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    """A pull key sent as a Bearer token or as the password of HTTP Basic. A 401 asks for
    Basic as well, so a feed reader prompts for it."""
    token = bearer.credentials if bearer else basic.password if basic else None
    try:
        with runtime.read() as session:
            principal = authenticate(session, token)
    except Unauthorized as exc:
        detail = exc.detail if token else "missing API key: send it as a Bearer token or as the HTTP Basic password"
        raise Unauthorized(detail, headers={"WWW-Authenticate": FEED_READER_CHALLENGE}) from None
    principal.require("pull")
    count_request(request, principal, "pull")
    return principal


FeedReader = Annotated[Principal, Depends(get_feed_reader)]
