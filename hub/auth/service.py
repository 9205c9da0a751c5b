"""Who is calling: resolve a bearer key to an agency and its scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.auth.keys import MEMBER_ONLY_SCOPES, PARTNERS_PULL, secret_matches, split_key
from hub.db import driver_rows
from hub.errors import Forbidden, Unauthorized
from hub.models import Agency, ApiKey


@dataclass(frozen=True)
class Principal:
    key_id: str
    agency_id: int
    agency_code: str
    agency_name: str
    scopes: frozenset[str]
    is_partner: bool = False
    languages: frozenset[str] = frozenset()  # what an ``edit`` key may post-edit

    def require(self, scope: str) -> None:
        # Checked on every request, not only when a key is made: a partner may hold a
        # push key created before this rule, and admin does not lift it.
        if self.is_partner and scope in MEMBER_ONLY_SCOPES:
            raise Forbidden(f"agency {self.agency_code!r} is a partner: {PARTNERS_PULL}")
        if scope not in self.scopes and "admin" not in self.scopes:
            have = ", ".join(sorted(self.scopes))
            raise Forbidden(f"this key has scope(s) {have}; the {scope!r} scope is needed")

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes


# Built once: every request authenticates, and building the statement cost as much as
# running it. Plain columns, no ORM objects: a lookup by primary key.
_KEY_LOOKUP = (
    select(
        ApiKey.id,
        ApiKey.secret_hash,
        ApiKey.scopes,
        ApiKey.languages,
        ApiKey.revoked_at.is_not(None),
        Agency.id,
        Agency.code,
        Agency.name,
        Agency.is_partner,
    )
    .join(Agency, Agency.id == ApiKey.agency_id)
    .where(ApiKey.id == bindparam("key_id"))
)


def authenticate(session: Session, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    parts = split_key(token)
    row = None
    if parts is not None:
        row = _look_up(session, parts[0])
    if row is None or parts is None or not secret_matches(parts[1], row[1]):
        raise Unauthorized("unknown API key")
    return _principal(row)


def principal_of_key(session: Session, key_id: str) -> Principal:
    """The caller behind a key already proven (the desk's session holds its id, not its
    secret): the same checks as ``authenticate`` after the secret, so a revoked key
    stops working here too."""
    row = _look_up(session, key_id)
    if row is None:
        raise Unauthorized("unknown API key")
    return _principal(row)


def _look_up(session: Session, key_id: str) -> tuple[Any, ...] | None:
    # On the driver's cursor (hub.db.driver_rows): SQLAlchemy's execution path cost more
    # than the lookup itself, and every request runs it.
    rows = driver_rows(session.connection(), _KEY_LOOKUP, {"key_id": key_id})
    return rows[0] if rows else None


def _principal(row: tuple[Any, ...]) -> Principal:  # a row of _KEY_LOOKUP
    # As the driver returns them: SQLite's booleans are 0 and 1.
    key_id, _, scopes, languages, revoked, agency_id, agency_code, agency_name, is_partner = row
    if revoked:
        raise Unauthorized(f"API key {key_id} was revoked")
    return Principal(
        key_id,
        agency_id,
        agency_code,
        agency_name,
        frozenset(scopes.split(",")),
        is_partner=bool(is_partner),
        languages=frozenset(languages.split(",")) if languages else frozenset(),
    )
