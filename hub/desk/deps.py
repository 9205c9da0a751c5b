"""Desk request plumbing: the signed-in caller from the session cookie, the CSRF check
of every POST, and the cookie itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from hub.deps import RuntimeDep
from hub.desk.sessions import CSRF_FIELD, LIFETIME, SESSION_COOKIE, DeskCaller, caller_of, check_csrf
from hub.errors import Unauthorized


class SignInNeeded(Exception):
    """No live session: the desk answers with its sign-in page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def desk_caller(request: Request, runtime: RuntimeDep) -> DeskCaller:
    try:
        return caller_of(runtime, request.cookies.get(SESSION_COOKIE))
    except Unauthorized as exc:
        raise SignInNeeded("" if SESSION_COOKIE not in request.cookies else exc.detail) from None


Caller = Annotated[DeskCaller, Depends(desk_caller)]


def posting_caller(caller: Caller, csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None) -> DeskCaller:
    """The signed-in caller of a form POST whose CSRF token matches its session's (403 otherwise)."""
    check_csrf(caller.csrf_token, csrf_token)
    return caller


Poster = Annotated[DeskCaller, Depends(posting_caller)]


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.runtime.settings.public_url.startswith("https:")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        path="/desk",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
