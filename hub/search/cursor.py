"""Opaque search cursors: the position of the last result of a page (its versionCreated,
story id and language), wrapped so partners treat it as a token. A cursor that this hub
did not issue is refused as bad input before any query runs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime

from hub.errors import InvalidRequest
from hub.search.index import Position

_PREFIX = "s1:"
_STORY_ID = re.compile(r"[0-9a-f]{32}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.version_created.astimezone(UTC).isoformat(), position.story_id, position.language])
    return base64.urlsafe_b64encode(f"{_PREFIX}{raw}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.startswith(_PREFIX):
            created, story_id, language = json.loads(raw[len(_PREFIX) :])
            moment = datetime.fromisoformat(created)
            if moment.tzinfo is not None and _STORY_ID.fullmatch(story_id) and _LANGUAGE.fullmatch(language):
                return Position(moment.astimezone(UTC), story_id, language)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        pass
    raise InvalidRequest(f"after: {cursor!r} is not a cursor this hub issued; use the 'next' value of a search page")
