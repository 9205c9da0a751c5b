"""FastAPI dependency aliases: the runtime and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

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


@dataclass(frozen=True)
class PullRead:
    """A read transaction with the caller authenticated in it."""

    session: Session
    caller: Principal

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``work(*args, **kwargs)`` in a worker thread, the session ended there too."""

        def run_and_close() -> T:
            try:
                return work(*args, **kwargs)
            finally:
                self.session.close()

        return await run_in_threadpool(run_and_close)


async def pull_read(
    request: Request, runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> AsyncIterator[PullRead]:
    """One session for a whole read request (feed pages, stories): the key is looked up
    in the transaction that then serves the request. Two trips through the thread pool
    (this lookup, then the route's ``PullRead.run``), each handing the GIL between the
    event loop and a worker thread, instead of one per dependency and one for the route."""
    session = runtime.sessions()

    def authorize() -> Principal:
        if runtime.engine.dialect.name == "postgresql":
            # Under READ COMMITTED each statement of a read sees its own snapshot, in a
            # transaction or not; without one there is no BEGIN and no ROLLBACK round trip.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        principal = authenticate(session, credentials.credentials if credentials else None)
        principal.require("pull")
        count_request(request, principal, "pull")
        return principal

    try:
        yield PullRead(session, await run_in_threadpool(authorize))
    finally:
        if session.in_transaction():  # ended early (an error): end it off the event loop
            await run_in_threadpool(session.close)
        else:
            session.close()


PullReadDep = Annotated[PullRead, Depends(pull_read, scope="function")]


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
