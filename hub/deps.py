"""FastAPI dependency aliases: the runtime and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hub.auth.service import Principal, authenticate
from hub.errors import RateLimited, Unauthorized
from hub.ratelimit import STATE_KEY, RateLimiter
from hub.runtime import HubRuntime

_bearer = HTTPBearer(auto_error=False, description="An Ulak API key: `ulak keys create CODE --scopes push,pull`")
# Feed readers speak HTTP Basic, not Bearer: the Atom feed also takes the key as the password.
_basic = HTTPBasic(auto_error=False, realm="Ulak", description="Atom feed only: any user name, the API key as password")
FEED_READER_CHALLENGE = 'Basic realm="Ulak", Bearer'
T = TypeVar("T")


async def get_runtime(request: Request) -> HubRuntime:
    # async: nothing to wait for, so no trip through the thread pool
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


class _BearerToken(HTTPBearer):
    """``_bearer`` (the same OpenAPI security scheme) that gives the token itself, present
    (no database: a request without one gets its 401 before anything else is looked at).
    One dependency where there were two, and no credentials model per request: the hot
    pull routes take it."""

    async def __call__(self, request: Request) -> str:  # type: ignore[override]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        return token


_bearer_token = _BearerToken(auto_error=False, description=_bearer.model.description, scheme_name="HTTPBearer")
BearerToken = Annotated[str, Depends(_bearer_token)]


async def read_as_puller(
    request: Request, runtime: HubRuntime, token: str, work: Callable[[Session, Principal], T]
) -> T:
    """``work(session, caller)`` for a pull key, in one session and one trip through the
    thread pool: the key is looked up in the transaction that then serves the request
    (feed pages and stories, the hot reads). A trip hands the interpreter lock between
    the event loop and a worker thread; the usual dependency chain took three. The key is
    checked after FastAPI has validated the parameters, so a request with a key that
    does not authenticate and a malformed parameter gets the 422."""

    def authorize_and_work() -> T:
        with runtime.read() as session:
            if runtime.engine.dialect.name == "postgresql":
                # Under READ COMMITTED each statement of a read sees its own snapshot, in
                # a transaction or not; without one there is no BEGIN and no ROLLBACK.
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            caller = authenticate(session, token)
            caller.require("pull")
            count_request(request, caller, "pull")
            return work(session, caller)

    return await run_in_threadpool(authorize_and_work)


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
