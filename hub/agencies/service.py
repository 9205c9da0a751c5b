"""Agencies and their API keys: what the CLI (and later an admin API) manages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.keys import default_scopes, generate_key, parse_languages, parse_scopes
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import Conflict, InvalidRequest, NotFound
from hub.models import Agency, ApiKey, utcnow

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    agency_code: str
    scopes: tuple[str, ...]
    plaintext: str
    languages: tuple[str, ...] = ()


def create_agency(
    session: Session, code: str, *, name: str, country: str | None = None, is_partner: bool = False
) -> Agency:
    code = code.lower()
    if not CODE_PATTERN.match(code):
        raise InvalidRequest(f"agency code {code!r} must be 2-32 lowercase letters, digits or '-'")
    if country is not None and not re.fullmatch(r"[A-Za-z]{2}", country):
        raise InvalidRequest(f"country {country!r} must be an ISO 3166-1 alpha-2 code")
    if session.scalar(select(Agency).where(Agency.code == code)) is not None:
        raise Conflict(f"agency {code!r} exists already")
    agency = Agency(code=code, name=name, country=country.upper() if country else None, is_partner=is_partner)
    session.add(agency)
    session.flush()
    return agency


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.code)))


def get_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.lower()))
    if agency is None:
        raise NotFound(f"no agency {code!r}; create it with `ulak agencies create {code} --name NAME`")
    return agency


def create_key(
    session: Session, agency_code: str, scopes: str | None = None, *, languages: str | None = None
) -> CreatedKey:
    """A new key; without ``scopes``, what the agency's kind allows (members push and pull).
    ``languages`` (comma-separated) is required with the ``edit`` scope and refused without."""
    agency = get_agency(session, agency_code)
    try:
        parsed = parse_scopes(scopes or default_scopes(is_partner=agency.is_partner), is_partner=agency.is_partner)
        langs = parse_languages(languages, parsed, supported=SUPPORTED_LANGUAGES)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    new = generate_key()
    session.add(
        ApiKey(
            id=new.key_id,
            agency_id=agency.id,
            secret_hash=new.secret_hash,
            scopes=",".join(parsed),
            languages=",".join(langs) or None,
        )
    )
    session.flush()
    return CreatedKey(new.key_id, agency.code, parsed, new.plaintext, langs)


def revoke_key(session: Session, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def list_keys(session: Session, agency_code: str) -> list[ApiKey]:
    agency = get_agency(session, agency_code)
    return list(session.scalars(select(ApiKey).where(ApiKey.agency_id == agency.id).order_by(ApiKey.created_at)))
