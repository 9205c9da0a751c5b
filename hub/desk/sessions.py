"""Desk sign-in: an API key typed once becomes a session cookie.

The cookie holds a random token; the database holds its SHA-256 and the key's id, never
the key. Every request looks the session up and then the key (``principal_of_key``), so
a revoked key or a session past its lifetime signs the browser out. Each session has a
CSRF token derived from its token (one-way), put in every form and checked on every
POST; the sign-in form, before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from hub.auth.service import Principal, authenticate, principal_of_key
from hub.desk import repository as repo
from hub.errors import Forbidden, Unauthorized
from hub.runtime import HubRuntime

SESSION_COOKIE = "ulak_desk"
SIGN_IN_COOKIE = "ulak_desk_signin"
LIFETIME = timedelta(hours=12)
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class DeskCaller:
    principal: Principal
    token_hash: str
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_of(token: str) -> str:
    return hashlib.sha256(b"ulak-desk-csrf:" + token.encode()).hexdigest()


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)


def sign_in(runtime: HubRuntime, api_key: str) -> str:
    """A new session for ``api_key`` (Unauthorized if it is unknown or revoked); returns
    the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    with runtime.write() as session:
        principal = authenticate(session, api_key.strip())
        repo.remove_expired(session, now=now)
        repo.add_session(session, _hash(token), principal.key_id, now=now, expires_at=now + LIFETIME)
    return token


def caller_of(runtime: HubRuntime, token: str | None) -> DeskCaller:
    """The signed-in caller behind a cookie's token; Unauthorized when there is none."""
    if not token:
        raise Unauthorized("not signed in")
    with runtime.read() as session:
        found = repo.live_session(session, _hash(token), now=runtime.clock())
        if found is None:
            raise Unauthorized("your desk session has ended; sign in again")
        principal = principal_of_key(session, found.key_id)
    return DeskCaller(principal, found.token_hash, csrf_token_of(token))


def sign_out(runtime: HubRuntime, caller: DeskCaller) -> None:
    with runtime.write() as session:
        repo.remove_session(session, caller.token_hash)


def check_csrf(expected: str | None, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page and try again")
