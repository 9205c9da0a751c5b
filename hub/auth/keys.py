"""API keys: ``ulak_<key id>_<secret>``. Only a hash of the secret is stored; the key is
shown once, at creation. The secret is 256 random bits, so a plain SHA-256 is enough
(no password-style stretching needed) and lookups stay O(1) by key id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCOPES = ("push", "pull", "edit", "admin")
# Partner newsrooms pull; pushing (stories, media, kill, withhold) is for member agencies.
# ``edit`` (post-editing translations in the key's languages) is open to partners too: a
# partner newsroom may fix the language it publishes in.
MEMBER_ONLY_SCOPES = frozenset({"push"})
PARTNERS_PULL = "partner agencies pull; pushing is for member agencies"
PREFIX = "ulak"


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret_hash: str
    plaintext: str


def generate_key() -> NewKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, hash_secret(secret), f"{PREFIX}_{key_id}_{secret}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(plaintext: str) -> tuple[str, str] | None:
    """``(key_id, secret)``, or None when the string is not shaped like one of our keys."""
    prefix, _, rest = plaintext.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret:
        return None
    return key_id, secret


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def default_scopes(*, is_partner: bool) -> str:
    return "pull" if is_partner else "push,pull"


def parse_scopes(value: str, *, is_partner: bool = False) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(s.strip() for s in value.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scope(s) {unknown or [value]}; choose from {', '.join(SCOPES)}")
    refused = [s for s in scopes if s in MEMBER_ONLY_SCOPES]
    if is_partner and refused:
        raise ValueError(f"scope(s) {', '.join(refused)} refused for a partner agency: {PARTNERS_PULL}")
    return scopes


def parse_languages(value: str | None, scopes: tuple[str, ...], *, supported: tuple[str, ...]) -> tuple[str, ...]:
    """The languages of an ``edit`` key: required with it, refused without it."""
    languages = tuple(dict.fromkeys(lang.strip() for lang in (value or "").split(",") if lang.strip()))
    if "edit" not in scopes:
        if languages:
            raise ValueError("languages are for keys with the edit scope; add 'edit' to the scopes or drop them")
        return ()
    if not languages:
        raise ValueError("an edit key needs the languages it may post-edit, e.g. --languages tr")
    unknown = [lang for lang in languages if lang not in supported]
    if unknown:
        raise ValueError(f"unsupported language(s) {', '.join(unknown)}; choose from {', '.join(supported)}")
    return languages
