"""Glossary terms as the engine sees them: a term's forms per language.

A term found in a source sentence (whole words, case-insensitive, in one of the source
language's forms) reaches every translation in the target language's first form, whatever
the model does: the engine never sends the term to a model (see ``TranslationEngine``).
The hub keeps the terms (hub-wide and per agency) and hands each document its glossary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Term"]


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
