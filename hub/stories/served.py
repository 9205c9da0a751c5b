"""Stored documents served as stored text: a feed page or a story is spliced together
from JSON kept ready beside each document, never decoded and encoded again.

A language version keeps two texts beside its document (set whenever the document is,
see ``LanguageVersion``):

- ``served``: the document as JSON without ``pubStatus`` (a kill changes it without a
  new version) and without ``associations``;
- ``served_associations``: the document's own associations (pictures, …) as a JSON
  array, without links between language versions (a translation that arrives later adds
  one); NULL when the document has no ``associations``.

Serving puts the current ``pubStatus`` first, then the associations (its own, then the
links, as ``present`` orders them), then the rest. The result equals
``present(document, …)`` (tests/hub/test_served.py checks it on real stories).
"""

from __future__ import annotations

from typing import Any

import orjson

LINK_RELS = ("translation", "translatedFrom")


def story_uri(story_id: str, language: str) -> str:
    """Stable for a story and language across versions; the version is a separate field."""
    return f"urn:ulak:story:{story_id}:{language}"


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # What orjson refuses (an integer beyond 64 bits in an extension field) the
        # standard library writes; both are JSON.
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def served_texts(document: dict[str, Any]) -> tuple[str, str | None]:
    """``(served, served_associations)`` for ``document`` (see the module docstring)."""
    rest = {k: v for k, v in document.items() if k not in ("pubStatus", "associations")}
    associations = document.get("associations")
    own = None
    if isinstance(associations, list):
        own = _dumps([a for a in associations if not (isinstance(a, dict) and a.get("rel") in LINK_RELS)])
    elif "associations" in document:
        rest = {"associations": associations, **rest}  # not a list: kept as it is
    return _dumps(rest), own


def token(value: str) -> bytes:
    """``value`` as a JSON string (orjson writes one faster than checking whether it
    needs escaping would take)."""
    return orjson.dumps(value)


_WORDS: dict[str, bytes] = {}  # the few values feed entries repeat: languages, statuses


def word(value: str) -> bytes:
    """``token`` of a value from a small set (a language, a status), remembered: a page
    writes each of them a hundred times."""
    found = _WORDS.get(value)
    if found is None:
        found = token(value)
        if len(_WORDS) < 1000:  # a guard: the values come from small sets
            _WORDS[value] = found
    return found


def links_json(
    story_id: str, version: int, language: str, *, original_language: str, languages: list[str] | None
) -> bytes:
    """The associations that link a language version to the others of its story version,
    as JSON objects separated by commas: a translation's link to its original; an
    original's to each of ``languages`` other than its own (its translations)."""
    if language != original_language:
        return _link(story_id, original_language, version, rel=b"translatedFrom", name="original")
    return b",".join(
        _link(story_id, lang, version, rel=b"translation", name="translation")
        for lang in languages or ()
        if lang != language
    )


def _link(story_id: str, language: str, version: int, *, rel: bytes, name: str) -> bytes:
    return b'{"name":%s,"uri":%s,"rel":"%s","language":%s,"version":"%d"}' % (
        token(f"{name} ({language})"),
        token(story_uri(story_id, language)),
        rel,
        token(language),
        version,
    )


def served_item(served: bytes, served_associations: bytes | None, *, pub_status: str, linked: bytes) -> bytes:
    """The document as served, spliced from its stored texts (their UTF-8 bytes):
    ``pubStatus``, the associations (its own, then the ``links_json`` text ``linked``),
    the rest."""
    # %b takes any buffer, a memoryview too (typeshed says bytes)
    return b'{"pubStatus":%b%b%b%b' % (token(pub_status), *item_pieces(served, served_associations, linked))  # type: ignore[str-format]


def item_pieces(served: bytes, served_associations: bytes | None, linked: bytes) -> tuple[bytes, bytes, memoryview]:
    """What follows ``{"pubStatus":…`` in a served document: the associations member (or
    nothing), a comma (or nothing) and the rest of the document, which closes it. Pieces
    for one %-format, so that each stored text is copied once into what is served."""
    if served_associations is not None or linked:
        own = memoryview(served_associations)[1:-1] if served_associations else b""
        associations = b',"associations":[%b%b%b]' % (own, b"," if own and linked else b"", linked)  # type: ignore[str-format]
    else:
        associations = b""
    rest = memoryview(served)[1:]  # the members after "{", and "}"
    return associations, b"," if len(rest) > 1 else b"", rest
