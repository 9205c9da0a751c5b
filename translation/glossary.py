"""Glossary terms as the engine sees them: a term's forms per language.

A term found in a source sentence (whole words, case-insensitive, in one of the source
language's forms) reaches every translation in the target language's first form, whatever
the model does: the engine never sends the term to a model (see ``TranslationEngine``).
The hub keeps the terms (hub-wide and per agency) and hands each document its glossary.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Term", "TermMatch", "base_language", "find_terms", "fold", "term_finder"]


@dataclass(frozen=True)
class Term:
    """``forms`` maps a base language code ("az", "uz"…) to its forms; the first form is
    the one a translation into that language uses, every form is matched in a source
    (Uzbek lists its Latin form first and may add the Cyrillic one)."""

    forms: Mapping[str, Sequence[str]]

    def source_forms(self, lang: str) -> tuple[str, ...]:
        return tuple(form for form in self.forms.get(lang, ()) if form.strip())

    def target_form(self, lang: str) -> str | None:
        forms = self.source_forms(lang)
        return forms[0] if forms else None


# -- matching ---------------------------------------------------------------------------------

# Combining marks (Latin, Cyrillic and general ranges): text is folded to NFD, so "é" may be
# "e" + U+0301, and a mark touching a match is part of a longer word.
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_NO_WORD_BEFORE = rf"(?<![^\W_])(?<![{_MARKS}])"
_NO_WORD_AFTER = rf"(?![^\W_]|[{_MARKS}])"
# In Uzbek Latin, o‘ and g‘ are letters: "Bo" is not a word of "Bo‘ston".
_NO_UZBEK_LETTER_AFTER = r"(?!(?<=[og])')"
# The four Turkic i's are one letter to the matcher (see ``fold``); Russian ё is е; the
# apostrophes Uzbek Latin is typed with (o‘, oʻ, o', o’) are one apostrophe, which is not a
# letter, so a Turkish suffix after it ("Aliyev’in") does not lengthen the word.
_LETTER_FOLDS = str.maketrans({"İ": "i", "I": "i", "ı": "i", "Ё": "е", "ё": "е"} | dict.fromkeys("‘’ʻʼ`´", "'"))
_DOT_ABOVE = "\u0307"


@functools.lru_cache(maxsize=4096)  # a text uses few distinct characters
def _fold_char(character: str) -> str:
    decomposed = unicodedata.normalize("NFD", character.translate(_LETTER_FOLDS)).casefold()
    return decomposed.translate(_LETTER_FOLDS).replace(_DOT_ABOVE, "")


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each folded character, the index of the character of
    ``text`` it came from (plus ``len(text)`` at the end)."""
    folded: list[str] = []
    offsets: list[int] = []
    in_space = False
    for index, character in enumerate(text):
        if character.isspace():
            if not in_space:
                folded.append(" ")
                offsets.append(index)
            in_space = True
            continue
        in_space = False
        for piece in _fold_char(character):
            folded.append(piece)
            offsets.append(index)
    offsets.append(len(text))
    return "".join(folded), offsets


def fold(text: str) -> str:
    """Text as the matcher compares it: case-folded, decomposed (NFD), every whitespace run one
    space; İ, I, ı and i are all "i" (a Turkish "İLHAM", an English-keyboard "ILHAM" and
    "ilham" are all "İlham"), a dot above is dropped, Russian ё is е and every apostrophe
    ("O‘zbekiston", "Oʻzbekiston", "O'zbekiston") is "'"."""
    return _fold_with_offsets(text)[0]


def _trie_pattern(words: Sequence[str], *, uzbek: bool) -> str:
    """One regex alternation over ``words`` as a trie: at each position the longest word
    that ends on a word boundary wins, and a regex engine tries a few branches per character
    instead of every word (hundreds of terms stay cheap)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}  # a word ends here

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(character) + build(child) for character, child in sorted(node.items()) if character]
        if "" in node:
            # The shorter word last: the regex engine backtracks to it when no longer word
            # here is followed by a word boundary.
            branches.append("")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return _NO_WORD_BEFORE + build(trie) + _NO_WORD_AFTER + (_NO_UZBEK_LETTER_AFTER if uzbek else "")


@dataclass(frozen=True)
class _Matcher:
    pattern: re.Pattern[str]
    term_index: dict[str, int]  # folded form → index of the first term with it


@functools.lru_cache(maxsize=128)
def _compile(forms_per_term: tuple[tuple[str, ...], ...], lang: str) -> _Matcher | None:
    term_index: dict[str, int] = {}
    for index, forms in enumerate(forms_per_term):
        for form in forms:
            term_index.setdefault(fold(form).strip(), index)
    term_index.pop("", None)
    if not term_index:
        return None
    return _Matcher(re.compile(_trie_pattern(list(term_index), uzbek=lang == "uz")), term_index)


def base_language(lang: str) -> str:
    """The code a term's forms are keyed on: "uz-Latn" and "az_AZ" are "uz" and "az"."""
    return re.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()


@dataclass(frozen=True)
class TermMatch:
    """``text[start:end]`` is an occurrence of ``term``, written as the source wrote it."""

    start: int
    end: int
    term: Term


def find_terms(text: str, glossary: Sequence[Term], lang: str) -> list[TermMatch]:
    """Occurrences of the glossary's terms in ``text``, a text in ``lang``: left to right,
    non-overlapping, the longest term at each position, whole words only (no letter, digit
    or combining mark touches either end, so "Əliyev" is not found in "Əliyevin"), compared
    with ``fold``. A Turkish apostrophe suffix is not part of a word: "Aliyev'in" holds the
    term "Aliyev", and "'in" stays with the text after it."""
    return term_finder(glossary, lang)(text)


def term_finder(glossary: Sequence[Term], lang: str) -> Callable[[str], list[TermMatch]]:
    """``find_terms`` for many texts: each (glossary, language) is compiled once and cached,
    and only the language's forms count."""
    source_lang = base_language(lang)
    matcher = _compile(tuple(term.source_forms(source_lang) for term in glossary), source_lang) if glossary else None
    if matcher is None:
        return lambda text: []
    pattern, term_index = matcher.pattern, matcher.term_index
    terms = tuple(glossary)

    def find(text: str) -> list[TermMatch]:
        folded, offsets = _fold_with_offsets(text)
        # The end is where the next folded character starts: marks the fold dropped (the dot
        # of a decomposed "İ") belong to the word they sit on.
        return [
            TermMatch(offsets[found.start()], offsets[found.end()], terms[term_index[found.group()]])
            for found in pattern.finditer(folded)
        ]

    return find


def phrase_test(forms: Iterable[str]) -> Callable[[str], bool] | None:
    """Whether a text holds any of ``forms``, by the rule terms are found by (whole words,
    compared with ``fold``), in a text of any language; None when no form has any text.
    The memory uses it to forget sentences that hold a changed term."""
    matcher = _compile((tuple(form for form in forms if form.strip()),), "")
    if matcher is None:
        return None
    search = matcher.pattern.search
    return lambda text: search(fold(text)) is not None


def starts_a_word_in(form: str, text: str) -> bool:
    """Whether ``form`` (compared with ``fold``) begins a word of ``text``, whatever follows
    it: a Turkic case suffix may lengthen a name in a translation ("Bakı" in "Bakıda")."""
    folded = fold(form).strip()
    return bool(folded) and re.search(_NO_WORD_BEFORE + re.escape(folded), fold(text)) is not None
