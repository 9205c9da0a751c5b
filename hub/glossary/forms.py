"""What a glossary term may hold: its forms per language, cleaned and checked in one place
for the API and the CSV import alike.

A term maps a language (az, tr, ru, uz, en, kk, ky) to its forms, the first being the one
translations into that language use. ``uz-Latn`` and ``uz-Cyrl`` fold into ``uz`` with the
Latin forms first, so a translation into Uzbek uses the Latin script the hub publishes.
Forms are plain text: markup and control characters are refused rather than stripped, so
what a newsroom typed is what it gets back, or a clear error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from hub.config import SUPPORTED_LANGUAGES

MAX_FORM_CHARS = 200
MAX_FORMS_PER_LANGUAGE = 8
# Script subtags of Uzbek, in the order their forms are listed: Latin is the hub's Uzbek.
_UZBEK_SCRIPTS = {"uz-latn": 0, "uz": 1, "uz-cyrl": 2}
_MARKUP = frozenset("<>")
# Cc: control characters (tabs and newlines included: a term is one line); Cf: invisible
# formatting (bidi overrides, zero-width joiners) that would make two equal-looking terms differ;
# Zl/Zp: line and paragraph separators; Co/Cn: private-use and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})

Forms = dict[str, list[str]]


class FormsError(ValueError):
    """A term's forms are not acceptable; the message says which and why."""


def language_of(column: str) -> tuple[str, int]:
    """``("uz", 0)`` for ``uz-Latn``: the base language and the order its forms come in."""
    key = column.strip().lower().replace("_", "-")
    if key in _UZBEK_SCRIPTS:
        return "uz", _UZBEK_SCRIPTS[key]
    if key not in SUPPORTED_LANGUAGES:
        raise FormsError(
            f"unknown language {column!r}; use one of {', '.join(SUPPORTED_LANGUAGES)} (or uz-Latn, uz-Cyrl)"
        )
    return key, 1


def clean_form(value: str, language: str) -> str:
    """One form, NFC-normalised with its whitespace runs made single spaces."""
    if not isinstance(value, str):
        raise FormsError(f"{language}: a form must be a string, not {type(value).__name__}")
    for character in value:
        if character in _MARKUP:
            raise FormsError(f"{language}: {value[:40]!r}: markup is not allowed in a term (found {character!r})")
        if not character.isspace() and unicodedata.category(character) in _REFUSED_CATEGORIES:
            raise FormsError(f"{language}: {value[:40]!r}: control or invisible character U+{ord(character):04X}")
        if character.isspace() and unicodedata.category(character) == "Cc":  # tab, newline: a term is one line
            raise FormsError(f"{language}: {value[:40]!r}: a term is one line (found U+{ord(character):04X})")
    form = " ".join(unicodedata.normalize("NFC", value).split())
    if len(form) > MAX_FORM_CHARS:
        raise FormsError(f"{language}: a form is at most {MAX_FORM_CHARS} characters ({len(form)} given)")
    if form and not any(character.isalnum() for character in form):
        raise FormsError(f"{language}: {form!r} has no letter or digit")
    return form


def normalize_forms(columns: Iterable[tuple[str, str | Sequence[str]]]) -> Forms:
    """``[("az", "İlham Əliyev"), ("uz-Cyrl", "Илҳом Алиев"), ("uz-Latn", ["Ilhom Aliyev"])]``
    → ``{"az": ["İlham Əliyev"], "uz": ["Ilhom Aliyev", "Илҳом Алиев"]}``. Empty forms are
    dropped, repeated ones kept once; a term left with no form at all is an error."""
    ranked: dict[str, list[tuple[int, int, str]]] = {}
    position = 0
    for column, values in columns:
        language, rank = language_of(column)
        for value in [values] if isinstance(values, str) else values:
            form = clean_form(value, column)
            if form:
                ranked.setdefault(language, []).append((rank, position, form))
                position += 1
    forms: Forms = {}
    for language in SUPPORTED_LANGUAGES:  # a stable order, whatever order the input had
        listed = [form for _, _, form in sorted(ranked.get(language, []))]
        unique = list(dict.fromkeys(listed))
        if len(unique) > MAX_FORMS_PER_LANGUAGE:
            raise FormsError(f"{language}: at most {MAX_FORMS_PER_LANGUAGE} forms per language ({len(unique)} given)")
        if unique:
            forms[language] = unique
    if not forms:
        raise FormsError("an empty term: give at least one form in one language")
    return forms


def normalize_mapping(forms: Mapping[str, str | Sequence[str]]) -> Forms:
    return normalize_forms(forms.items())
