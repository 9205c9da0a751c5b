"""FastAPI dependency aliases: the runtime and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.auth.service import Principal, authenticate
from hub.runtime import HubRuntime

_bearer = HTTPBearer(auto_error=False, description="An Ulak API key: `ulak keys create CODE --scopes push,pull`")


def get_runtime(request: Request) -> HubRuntime:
    return request.app.state.runtime


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]


def get_principal(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    with runtime.read() as session:
        return authenticate(session, credentials.credentials if credentials else None)


def require_scope(scope: str) -> Callable[[Principal], Principal]:
    def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(scope)
        return principal

    return dependency


PushCaller = Annotated[Principal, Depends(require_scope("push"))]
PullCaller = Annotated[Principal, Depends(require_scope("pull"))]
