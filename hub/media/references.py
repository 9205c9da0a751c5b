"""Which media a story document links to: every ``/v1/media/<sha256>`` in it.

Agencies link photos through ninjs ``associations`` (and their ``renditions``'
``href``), sometimes also from body HTML; every string of the document is searched,
whatever host precedes the path, so a change of ``ULAK_PUBLIC_URL`` loses nothing.
Matching broadly cannot widen access to media an agency could not otherwise reach:
naming a sha256 means holding the bytes, and whoever holds them may upload them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MEDIA_LINK = re.compile(r"/v1/media/([0-9a-fA-F]{64})(?![0-9a-fA-F])")


def referenced_media(document: Any) -> set[str]:
    """The lowercase sha256 digests that ``document`` (parsed JSON) links to."""
    return {match.group(1).lower() for text in _strings(document) for match in MEDIA_LINK.finditer(text)}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
