"""Whole-word, case-insensitive matching of phrases (glossary forms) in text.

Text and phrases are folded the same way (NFC, case-folded, the Turkic i's İ/I/ı/i one
letter, Russian ё as е) and cut into words (runs of letters and digits); a phrase is found
when its words appear consecutively among the text's. So "Əliyev" is found in "Prezident
Əliyev, …" and "ƏLİYEV" but not in "Əliyevin" or "Həsənəliyev". Used to forget memory
entries and to compare terms; it errs towards matching (a Turkish "ılık" and "ilik" are
one word to it), which for both uses costs at most a re-translation. Apostrophes are
word boundaries: "Oʻzbekiston" and "O'zbekiston" are the same two words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["PhraseSet", "fold", "words"]

# The engine's matcher folds the same way (translation.glossary, branch glossary-engine);
# every apostrophe Uzbek Latin is typed with (o‘, oʻ, o', o’) is one, and not a letter.
_LETTER_FOLDS = str.maketrans({"İ": "i", "I": "i", "ı": "i", "Ё": "е", "ё": "е"} | dict.fromkeys("‘’ʻʼ`´", "'"))
_DOT_ABOVE = "\u0307"  # what "İ".casefold() leaves behind, and NFD text carries
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_LETTER_FOLDS).casefold().replace(_DOT_ABOVE, "")


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


class PhraseSet:
    """Phrases to look for; ``found_in(text)`` costs a few set lookups per word of text."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._phrases = {folded for phrase in phrases if (folded := words(phrase))}
        self._lengths = sorted({len(phrase) for phrase in self._phrases})
        self._first_words = {phrase[0] for phrase in self._phrases}

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def __len__(self) -> int:
        return len(self._phrases)

    def found_in(self, text: str) -> bool:
        tokens = words(text)
        for start, token in enumerate(tokens):
            if token not in self._first_words:
                continue
            for length in self._lengths:
                if start + length > len(tokens):
                    break
                if tokens[start : start + length] in self._phrases:
                    return True
        return False
