"""Who is calling: resolve a bearer key to an agency and its scopes."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.auth.keys import MEMBER_ONLY_SCOPES, PARTNERS_PULL, secret_matches, split_key
from hub.db import Read, driver_rows
from hub.errors import Forbidden, Unauthorized
from hub.models import Agency, ApiKey
from hub.pulls import run_on_session


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


class ReaderKey(NamedTuple):
    """A reader known by its API key, not yet authenticated, for a read sent together with
    the key's lookup (hub/pulls.py): the read finds the key's agency itself and reads
    nothing unless the key exists, is not revoked and has this secret hash (the feed
    page's: hub.feed.repository.page_read)."""

    key_id: str
    secret_hash: str


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
    return run_on_session(session, authentication(token))


def authentication(token: str | None) -> Generator[Read, Sequence[tuple[Any, ...]], Principal]:
    """``authenticate`` as a sequence of reads (hub/pulls.py), for the event loop too."""
    parts = key_parts(token)
    if parts is None:
        raise Unauthorized("unknown API key")
    return authenticated((yield key_read(parts[0])), parts[1])


def key_parts(token: str | None) -> tuple[str, str] | None:
    """(key id, secret) of a bearer token; None when it is not shaped like a key."""
    if not token:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    return split_key(token)


def key_read(key_id: str) -> Read:
    """The lookup of a key: its rows make the caller with ``authenticated``."""
    return Read(_KEY_LOOKUP, {"key_id": key_id})


def authenticated(rows: Sequence[tuple[Any, ...]], secret: str) -> Principal:
    """The caller behind the rows of ``key_read``, if ``secret`` is the key's."""
    if not rows or not secret_matches(secret, rows[0][1]):
        raise Unauthorized("unknown API key")
    return _principal(rows[0])


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
