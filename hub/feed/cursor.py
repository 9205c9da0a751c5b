"""Opaque feed cursors. A cursor is the feed sequence number of the last entry a
reader has seen; it is wrapped so partners treat it as a token, not arithmetic.
A cursor outside the range of the feed's 64-bit sequence column is refused here, as
bad input, before any database sees it."""

from __future__ import annotations

import base64
import binascii

from hub.errors import InvalidRequest

_PREFIX = "v1:"
_MAX_SEQ = 2**63 - 1  # BIGINT


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        digits = raw[len(_PREFIX) :]
        if raw.startswith(_PREFIX) and digits.isascii() and digits.isdigit() and int(digits) <= _MAX_SEQ:
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidRequest(f"after: {cursor!r} is not a cursor this hub issued; use the 'next' value of a feed page")
