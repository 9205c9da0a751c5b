"""Automatic checks of a machine translation before it is published.

``check_translation`` reads a document's source fields and their translations as plain
text (HTML fields lose their markup first) and runs five checks; each failed check adds
a reason with a stable ``code`` and a message naming what it found, and any reason makes
the translation ``review`` instead of ``ok``:

* ``repetition`` — a decoding loop: one word repeated ``LOOP_MIN_REPEATS[1]`` times in a
  row, a phrase of two to six words ``LOOP_MIN_REPEATS[2]`` times in a row, or, in a field
  of at least ``DEGENERATE_MIN_TOKENS`` words, more than ``DEGENERATE_SHARE`` of its word
  trigrams being repeats; also a piece of a word glued to itself
  ``GLUED_LOOP_MIN_REPEATS`` times ("eetingeetingeetingeeting"). A loop the source has
  itself is not the model's.
* ``length_ratio`` — the translation's length in characters over the source's, outside the
  pair's range (``length_ratio_range``); skipped below ``LENGTH_MIN_CHARS`` source chars.
* ``missing_numbers`` — a number of the source (``translation.numbers``) that the output
  does not contain, in its own writing or in the target language's. Numbers written as
  words are out of scope.
* ``missing_terms`` — a glossary term whose source form is in the source while its target
  form is not in the output.
* ``wrong_language`` — under ``SCRIPT_MIN_SHARE`` of the output's letters are in the
  target's script (``TARGET_SCRIPTS``), or the injected ``identify`` names another
  language than the target with a score of at least ``LANGUAGE_MIN_SCORE``.

The functions are pure: no I/O, no model; language identification is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol

from translation.glossary import Term, base_language, find_terms, starts_a_word_in
from translation.numbers import source_numbers, target_numbers

__all__ = [
    "DEFAULT_LENGTH_RATIO_RANGE",
    "LANGUAGE_MIN_SCORE",
    "Identified",
    "Identify",
    "QualityReason",
    "QualityReport",
    "check_translation",
    "length_ratio_range",
    "plain_text",
]


class Identified(Protocol):
    """What a language identifier returns (``translation.langid.Identification``)."""

    @property
    def language(self) -> str: ...

    @property
    def score(self) -> float: ...


# A language identifier: the text's language and a score in [0, 1], as an ``Identified``
# or a ``(language, score)`` pair, or None when it cannot tell.
Identify = Callable[[str], Identified | tuple[str, float] | None]

LOOP_MIN_REPEATS = {1: 4, 2: 3}  # n-gram size → repeats in a row; sizes above 2 use 2's
LOOP_MAX_NGRAM = 6
DEGENERATE_MIN_TOKENS = 30
DEGENERATE_SHARE = 0.4
LENGTH_MIN_CHARS = 80
LANGUAGE_MIN_CHARS = 20
LANGUAGE_MIN_SCORE = 0.5
# The script each target is written in here (Uzbek: Latin, as the hub's models write it);
# an output with less than this share of its letters in it is flagged without asking the
# identifier. Names and acronyms in the other script stay far below the other half.
TARGET_SCRIPTS = {"az": "Latin", "tr": "Latin", "uz": "Latin", "en": "Latin", "ru": "Cyrillic", "kk": "Cyrillic"}
TARGET_SCRIPTS["ky"] = "Cyrillic"
SCRIPT_MIN_SHARE = 0.5
# Identification needs a few sentences, not a whole story: the first ones are enough and
# keep the cost of a long story flat.
LANGUAGE_SAMPLE_CHARS = 2000

# Characters a language spends on what English says in one, in news prose: rough
# estimates, not fitted on a corpus (Turkic suffixes and Russian inflection add a little,
# Uzbek's o‘/g‘ digraphs a little more). A pair's expected ratio is the target's factor
# over the source's; the accepted range is that ratio divided and multiplied by
# ``_LENGTH_TOLERANCE``, wide because the factors are rough: a truncated output (a model
# that stopped early) lands below it, a loop above it, a free human-like translation
# inside (the hand-written pairs of the tests fall between 0.78 and 1.06).
_CHARS_PER_ENGLISH_CHAR = {"en": 1.0, "tr": 1.05, "az": 1.1, "ru": 1.1, "kk": 1.1, "ky": 1.1, "uz": 1.15}
_LENGTH_TOLERANCE = 1.6
LENGTH_RATIO_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    (source, target): (
        round(_CHARS_PER_ENGLISH_CHAR[target] / _CHARS_PER_ENGLISH_CHAR[source] / _LENGTH_TOLERANCE, 2),
        round(_CHARS_PER_ENGLISH_CHAR[target] / _CHARS_PER_ENGLISH_CHAR[source] * _LENGTH_TOLERANCE, 2),
    )
    for source in _CHARS_PER_ENGLISH_CHAR
    for target in _CHARS_PER_ENGLISH_CHAR
    if source != target
}
DEFAULT_LENGTH_RATIO_RANGE = (0.5, 2.0)  # a pair we have no figures for: only gross failures

_WORD = re.compile(r"\w+")
# Three to twenty letters, then the same letters GLUED_LOOP_MIN_REPEATS - 1 more times.
GLUED_LOOP_MIN_REPEATS = 4
_GLUED_LOOP = re.compile(rf"((?:(?![\d_])\w){{3,20}}?)\1{{{GLUED_LOOP_MIN_REPEATS - 1},}}")


@dataclass(frozen=True)
class QualityReason:
    code: str  # repetition | length_ratio | missing_numbers | missing_terms | wrong_language
    message: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class QualityReport:
    reasons: tuple[QualityReason, ...] = ()

    @property
    def status(self) -> str:
        """``review`` when any check failed, else ``ok``."""
        return "review" if self.reasons else "ok"

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def check_translation(
    sources: Sequence[str],
    targets: Sequence[str],
    source_lang: str,
    target_lang: str,
    *,
    html: Sequence[bool] = (),
    terms: Iterable[Term] = (),
    identify: Identify | None = None,
) -> QualityReport:
    """Check ``targets`` (one translated text per field) against ``sources``. ``html[i]``
    says field ``i`` is HTML (in both); missing flags mean plain text."""
    if len(sources) != len(targets):
        raise ValueError(f"{len(sources)} source fields but {len(targets)} translations")
    flags = [*html, *[False] * (len(sources) - len(html))]
    source_texts = [plain_text(text) if is_html else text for text, is_html in zip(sources, flags, strict=False)]
    target_texts = [plain_text(text) if is_html else text for text, is_html in zip(targets, flags, strict=False)]
    source, target = base_language(source_lang), base_language(target_lang)
    found = [
        _repetition(source_texts, target_texts),
        _length_ratio(source_texts, target_texts, source, target),
        _missing_numbers(source_texts, target_texts, source, target),
        _missing_terms(source_texts, target_texts, source, target, terms),
        _wrong_language(target_texts, target, identify),
    ]
    return QualityReport(tuple(reason for reason in found if reason is not None))


def length_ratio_range(source_lang: str, target_lang: str) -> tuple[float, float]:
    """The accepted target/source character ratio of a pair."""
    return LENGTH_RATIO_RANGES.get((base_language(source_lang), base_language(target_lang)), DEFAULT_LENGTH_RATIO_RANGE)


def plain_text(html: str) -> str:
    """The text of an HTML fragment: markup dropped, entities decoded, and a space at
    every tag so that "<p>a</p><p>b</p>" does not glue two words into one."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# -- the checks ------------------------------------------------------------------------


def _repetition(sources: Sequence[str], targets: Sequence[str]) -> QualityReason | None:
    for source, target in zip(sources, targets, strict=True):
        tokens = _WORD.findall(target.casefold())
        loop = _longest_loop(tokens)
        # A source that loops itself (a chant, a list) is translated as one: not the model's doing.
        if loop is not None and _longest_loop(_WORD.findall(source.casefold())) is None:
            phrase, repeats = loop
            return QualityReason("repetition", f"{' '.join(phrase)!r} repeated {repeats} times in a row")
        glued = _glued_loop(target)
        if glued is not None and _glued_loop(source) is None:
            return QualityReason("repetition", f"{glued[0]!r} repeated {glued[1]} times in a row inside a word")
        share = _repeated_trigram_share(tokens)
        if share > DEGENERATE_SHARE and _repeated_trigram_share(_WORD.findall(source.casefold())) <= DEGENERATE_SHARE:
            return QualityReason(
                "repetition",
                f"{share:.0%} of the word trigrams of a field are repeats (more than {DEGENERATE_SHARE:.0%})",
            )
    return None


def _longest_loop(tokens: Sequence[str]) -> tuple[tuple[str, ...], int] | None:
    """The first n-gram (n ≤ ``LOOP_MAX_NGRAM``, smallest first) repeated in a row at least
    as often as its size demands, with the length of its run. A run of repeats starting
    at ``i`` lines up with the blocks ``i, i+n, i+2n…``, so comparing neighbouring blocks
    of every offset finds each run in one pass per size."""
    for n in range(1, LOOP_MAX_NGRAM + 1):
        needed = LOOP_MIN_REPEATS.get(n, LOOP_MIN_REPEATS[2])
        for offset in range(n):
            blocks = [tuple(tokens[i : i + n]) for i in range(offset, len(tokens) - n + 1, n)]
            run = 1
            for index in range(1, len(blocks) + 1):
                if index < len(blocks) and blocks[index] == blocks[index - 1]:
                    run += 1
                    continue
                if run >= needed:
                    return blocks[index - 1], run
                run = 1
    return None


def _glued_loop(text: str) -> tuple[str, int] | None:
    """A piece of a word repeated with no space between ("meetingeetingeetingeeting"):
    subword models loop inside words too, where the word n-grams see one long token."""
    match = _GLUED_LOOP.search(text)
    if match is None:
        return None
    unit = match.group(1)
    return unit, len(match.group(0)) // len(unit)


def _repeated_trigram_share(tokens: Sequence[str]) -> float:
    if len(tokens) < DEGENERATE_MIN_TOKENS:
        return 0.0
    trigrams = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    return 1 - len(set(trigrams)) / len(trigrams)


def _length_ratio(sources: Sequence[str], targets: Sequence[str], source: str, target: str) -> QualityReason | None:
    source_chars = sum(len(_squeezed(text)) for text in sources)
    if source_chars < LENGTH_MIN_CHARS:
        return None
    ratio = sum(len(_squeezed(text)) for text in targets) / source_chars
    low, high = length_ratio_range(source, target)
    if low <= ratio <= high:
        return None
    side = "short" if ratio < low else "long"
    return QualityReason(
        "length_ratio",
        f"the output is too {side}: {ratio:.2f} times the source's length in characters "
        f"(expected {low:.2f}–{high:.2f} for {source}→{target})",
    )


def _missing_numbers(sources: Sequence[str], targets: Sequence[str], source: str, target: str) -> QualityReason | None:
    present = target_numbers(" \n".join(targets), target)
    missing = [
        number.written for number in source_numbers(" \n".join(sources), source) if not number.readings & present
    ]
    if not missing:
        return None
    listed = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    return QualityReason("missing_numbers", f"numbers of the source missing in the output: {listed}")


def _missing_terms(
    sources: Sequence[str], targets: Sequence[str], source: str, target: str, terms: Iterable[Term]
) -> QualityReason | None:
    # Found in the source exactly as the engine finds the terms it protects; in the output
    # only the start of the form must be a word boundary: Turkic suffixes may follow it
    # ("Bakı" in "Bakıda").
    wanted = [term for term in terms if term.target_form(target)]
    source_text, target_text = " \n".join(sources), " \n".join(targets)
    missing: dict[str, str] = {}
    for match in find_terms(source_text, wanted, source):
        form = match.term.target_form(target)
        assert form is not None
        if form not in missing and not starts_a_word_in(form, target_text):
            missing[form] = f"{form!r} (for {source_text[match.start : match.end]!r})"
    if not missing:
        return None
    return QualityReason("missing_terms", f"glossary terms missing in the output: {', '.join(missing.values())}")


def _wrong_language(targets: Sequence[str], target: str, identify: Identify | None) -> QualityReason | None:
    text = "\n".join(_squeezed(t) for t in targets)
    if len(text) < LANGUAGE_MIN_CHARS:
        return None
    script = TARGET_SCRIPTS.get(target)
    if script is not None:
        # Output mostly in the other alphabet is in no form of the target language; an
        # identifier may not even answer for it (it fits no language's alphabet).
        letters = [c for c in text[:LANGUAGE_SAMPLE_CHARS] if c.isalpha()]
        cyrillic = sum("\u0400" <= c <= "\u052f" for c in letters)
        share = (cyrillic if script == "Cyrillic" else len(letters) - cyrillic) / max(1, len(letters))
        if len(letters) >= LANGUAGE_MIN_CHARS and share < SCRIPT_MIN_SHARE:
            return QualityReason(
                "wrong_language", f"only {share:.0%} of the output's letters are {script}, the script of {target}"
            )
    if identify is None:
        return None
    found = _identification(identify(text[:LANGUAGE_SAMPLE_CHARS]))
    if found is None:
        return None
    language, score = found
    if base_language(language) == target or score < LANGUAGE_MIN_SCORE:
        return None
    return QualityReason(
        "wrong_language", f"the output reads as {base_language(language)} (score {score:.2f}), not {target}"
    )


# -- helpers ---------------------------------------------------------------------------


def _identification(result: Identified | tuple[str, float] | None) -> tuple[str, float] | None:
    if result is None or isinstance(result, tuple):
        return result
    return result.language, result.score


def _squeezed(text: str) -> str:
    return " ".join(text.split())


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")
