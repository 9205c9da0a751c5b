"""The snippet of a search result: plain text around the first matching word of the
story's body, computed in Python from the stored text, so it is the same on every
database. No markup: ``…`` marks where the body was cut."""

from __future__ import annotations

from hub.search.text import TRANSLITERATED_LANGUAGES, latin_key, words

WORDS_BEFORE = 12
WORDS_AFTER = 24
MAX_CHARS = 300
ELLIPSIS = "…"


def snippet(body: str, language: str, query_words: list[tuple[str, bool]]) -> str:
    """The words around the first word of ``body`` matching ``query_words`` ((word,
    is a prefix) pairs), or the body's start when only the headline matched."""
    chunks = body.split()
    first = _first_match(chunks, language, query_words)
    start = max(0, first - WORDS_BEFORE) if first is not None else 0
    end = min(len(chunks), start + WORDS_BEFORE + WORDS_AFTER)
    text = " ".join(chunks[start:end])
    cut_end = end < len(chunks)
    if len(text) > MAX_CHARS:
        text, cut_end = text[:MAX_CHARS].rsplit(" ", 1)[0], True
    return (ELLIPSIS + " " if start > 0 else "") + text + (" " + ELLIPSIS if cut_end else "")


def _first_match(chunks: list[str], language: str, query_words: list[tuple[str, bool]]) -> int | None:
    exact = {word for word, prefix in query_words if not prefix}
    prefixes = tuple(word for word, prefix in query_words if prefix)
    for position, chunk in enumerate(chunks):
        found = words(chunk)
        if language in TRANSLITERATED_LANGUAGES:
            found += words(latin_key(chunk, language))
        if any(word in exact or word.startswith(prefixes) for word in found):
            return position
    return None
