"""What the search index and the search query see of a text: one fold, one tokeniser,
and the Latin forms of Uzbek and Kazakh, all in Python.

Both engines are handed text that is already folded and cut into words separated by
single spaces (SQLite FTS5 with its ``ascii`` tokenizer splits exactly there; the
PostgreSQL ``simple`` parser finds the same words in it, and ``unaccent`` finds nothing
left to change — tests/hub/test_search_engines.py checks both), so the two databases
cannot disagree on what a word is.

``fold``: apostrophes unified (’ ʻ ʼ ‘ ` ´ → '), case folded (Turkish and Azerbaijani
İ/I/ı all become i), diacritics removed from Latin letters (ş→s, ğ→g, ö→o, ə→e, ł→l…),
Cyrillic ё→е; other Cyrillic letters keep their marks (й, ў are letters of their own).
A word is a run of letters and digits (any script's digits become ASCII); everything
else, the apostrophe included, separates words, so "Bakü'de" is the words "baku de"
and a query for "Bakü" finds it.

Cross-script: Uzbek and Kazakh are written in Cyrillic and in Latin. Each Uzbek or
Kazakh text also gets a *Latin key*: Uzbek through alifbo's ``fold_search_key`` (which
maps Cyrillic and both Latin spellings — sh/ş, oʻ/ö — to one form), Kazakh through ICU's
``Kazakh-Latin/BGN`` transform with its digraphs made single letters (so BGN's "sh" and
the Kazakh alphabet's "ş" agree); then the same fold. A query is matched against the text
as written and, on Uzbek and Kazakh rows only, its own Latin key against theirs: so
"Тошкент" finds "Toshkent" and back, while a Russian "Путин" never matches English
"Putin" (Russian and English rows have no Latin key).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from html.parser import HTMLParser

import alifbo
import icu  # type: ignore[import-untyped]  # PyICU ships no type information

# Languages written in Cyrillic and Latin, whose rows get a Latin key.
TRANSLITERATED_LANGUAGES = ("uz", "kk")
# PostgreSQL refuses lexemes over 2 KiB and counts positions only up to 16383; both
# engines are given the same words, so the same limits hold on SQLite.
MAX_WORD_CHARS = 100
MAX_WORDS = 16_000

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bb\u02bc\u02b9\u0060\u00b4\u2032\u055a", "'"))
# Letters that no Unicode decomposition takes apart (so stripping marks cannot reach
# them), folded as PostgreSQL's unaccent would, and ı/ə for keyboards without them.
_LETTERS = str.maketrans(
    {"ı": "i", "ə": "e", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ŀ": "l", "æ": "ae", "œ": "oe", "ё": "е"}
)
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """``text`` case-folded, apostrophes unified, Latin diacritics removed."""
    text = text.translate(_APOSTROPHES).replace("İ", "I").casefold().translate(_LETTERS)
    kept: list[str] = []
    cyrillic_base = False
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            if cyrillic_base:
                kept.append(char)
            continue
        cyrillic_base = "CYRILLIC" in unicodedata.name(char, "")
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _is_word_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Ll", "Lu", "Lt", "Lo") or "0" <= char <= "9"


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (digits of any script made ASCII)."""
    found: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word: list[str] = []
        for found_char in match.group():
            char = str(unicodedata.digit(found_char)) if unicodedata.category(found_char) == "Nd" else found_char
            if _is_word_char(char):
                word.append(char)
            elif word:
                found.append("".join(word))
                word = []
        if word:
            found.append("".join(word))
    return [w for w in found if len(w) <= MAX_WORD_CHARS]


def indexed(text: str) -> str:
    """The words of ``text`` as the engines index them: space-separated, capped."""
    return " ".join(words(text)[:MAX_WORDS])


_icu = threading.local()  # ICU transliterators are not safe to share between threads


def _kazakh_latin(text: str) -> str:
    transliterator = getattr(_icu, "kazakh", None)
    if transliterator is None:
        transliterator = _icu.kazakh = icu.Transliterator.createInstance("Kazakh-Latin/BGN")
    return str(transliterator.transliterate(text))


# BGN spells with digraphs what Kazakh's own Latin alphabet (2021) spells with one
# letter (Ш sh/ş, Ч ch/ç, Ғ gh/ğ, Ж zh/j, Х kh/h, Ң ng/ñ): after folding (ş→s…), the
# digraphs are made single letters too, so "Шымкент", "Shymkent" and "Şymkent" meet.
_KAZAKH_DIGRAPHS = (("sh", "s"), ("ch", "c"), ("gh", "g"), ("zh", "j"), ("kh", "h"), ("ng", "n"))


def latin_key(text: str, language: str) -> str:
    """The Latin search key of an Uzbek or Kazakh text (the text itself for other
    languages). Lossy on purpose, as search keys are: what matters is that every
    spelling of a word gets the same key."""
    if language == "uz":
        return str(alifbo.fold_search_key(text))
    if language == "kk":
        key = fold(_kazakh_latin(text))
        for digraph, letter in _KAZAKH_DIGRAPHS:
            key = key.replace(digraph, letter)
        return key
    return text


class _TextParser(HTMLParser):
    # Blocks and line breaks separate words: "<p>a</p><p>b</p>" is "a b", not "ab".
    BLOCKS = frozenset({"p", "br", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
    BLOCKS |= {"section", "figure", "figcaption", "dt", "dd", "hr", "caption", "ul", "ol", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: str, *, html: bool) -> str:
    """The text of a field, markup removed, whitespace collapsed (lines kept apart by one space)."""
    if html:
        parser = _TextParser()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    return " ".join(value.split())
