"""The search query language, parsed once, in Python, into the expressions of both engines.

    tashkent "media forum" toshk*

Words are separated by spaces and must all match (AND); ``"quoted words"`` must appear
together, in that order (a phrase); a ``*`` at the end of a word (or right after a
closing quote) matches any word starting with it (at least two letters before it); a
``*`` anywhere else separates words. Nothing else is syntax: other
punctuation only separates words, so ``Bakü'de`` is the phrase ``baku de``. An unclosed
quote runs to the end of the query.

Every term is folded by hub/search/text.py into its words, once per *form*: the text as
written (matched against every row's words), and its Uzbek and Kazakh Latin keys
(matched against those rows' Latin keys only). From the same words come the FTS5 MATCH
expression and the PostgreSQL tsquery; the words hold only letters and digits and are
quoted on both sides, so no user text reaches either syntax as an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.errors import InvalidRequest
from hub.search.text import TRANSLITERATED_LANGUAGES, latin_key, words

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MIN_PREFIX_CHARS = 2

# A quoted phrase (closed or not) or a run of other characters, each with an optional *.
_TERM = re.compile(
    r'"(?P<phrase>[^"]*)(?:"|$)(?P<phrase_star>\*(?=\s|$))?|(?P<word>[^\s"*]+)(?P<word_star>\*(?=\s|$))?|\*'
)


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool  # the last word is a prefix


@dataclass(frozen=True)
class Form:
    """The query as one column sees it: ``language`` None for the words as written, or
    the language whose Latin keys it is matched against."""

    language: str | None
    terms: tuple[Term, ...]

    def fts5(self) -> str:
        """The FTS5 MATCH expression, restricted to this form's column."""
        column = "terms" if self.language is None else "latin_terms"
        parts = [f'"{" ".join(term.words)}"' + (" *" if term.prefix else "") for term in self.terms]
        return f"{column} : ({' AND '.join(parts)})"

    def tsquery(self) -> str:
        """The ``to_tsquery`` input: quoted words, ``<->`` within a phrase, ``&`` between terms."""
        parts = []
        for term in self.terms:
            quoted = [f"'{word}'" for word in term.words]
            if term.prefix:
                quoted[-1] += ":*"
            parts.append("(" + " <-> ".join(quoted) + ")")
        return " & ".join(parts)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    forms: tuple[Form, ...]  # the words as written first, then the Latin keys

    def words_for(self, language: str) -> list[tuple[str, bool]]:
        """(word, is a prefix) of every form that applies to a row in ``language``, for snippets."""
        found: list[tuple[str, bool]] = []
        for form in self.forms:
            if form.language in (None, language):
                for term in form.terms:
                    found.extend((word, term.prefix and i == len(term.words) - 1) for i, word in enumerate(term.words))
        return found


def parse_query(q: str) -> SearchQuery:
    text = q.strip()
    if not text:
        raise InvalidRequest("q: give at least one word to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"q: at most {MAX_QUERY_CHARS} characters ({len(text)} given)")
    raw_terms: list[tuple[str, bool]] = []
    for match in _TERM.finditer(text):
        if match.group("phrase") is not None:
            phrase = match.group("phrase").rstrip()
            # "boru hat*" and "boru hat"* both mean: the last word is a prefix.
            raw_terms.append((phrase.rstrip("*"), phrase.endswith("*") or bool(match.group("phrase_star"))))
        elif match.group("word") is not None:
            raw_terms.append((match.group("word"), bool(match.group("word_star"))))
    written = _form(None, raw_terms)
    if not written.terms:
        raise InvalidRequest(f"q: {q!r} has no letters or digits to search for")
    if len(written.terms) > MAX_TERMS:
        raise InvalidRequest(f"q: at most {MAX_TERMS} words or phrases ({len(written.terms)} given)")
    short = [t.words[-1] for t in written.terms if t.prefix and len(t.words[-1]) < MIN_PREFIX_CHARS]
    if short:
        raise InvalidRequest(f"q: a prefix needs at least {MIN_PREFIX_CHARS} letters before '*' ({short[0]!r})")
    forms = [written]
    for language in TRANSLITERATED_LANGUAGES:
        latin = _form(language, raw_terms)
        # A form that lost a term (nothing left of it in Latin) would match more than asked.
        if len(latin.terms) == len(written.terms):
            forms.append(latin)
    return SearchQuery(text, tuple(forms))


def _form(language: str | None, raw_terms: list[tuple[str, bool]]) -> Form:
    terms = []
    for raw, prefix in raw_terms:
        found = tuple(words(raw if language is None else latin_key(raw, language)))
        if found:
            terms.append(Term(found, prefix))
    return Form(language, tuple(terms))
