"""Numbers written in digits, read the way a language writes them, so a translation's
numbers can be compared with its source's ("1 000,5" in Russian is "1,000.5" in English).

A number is a run of digits with group and decimal separators: spaces (also no-break and
narrow no-break) group thousands in every language; English takes the point as decimal
separator and the comma as group separator, the other languages the other way round.
A separator that fits only the other convention ("2.5" in Azerbaijani: a group has three
digits) is read by that one. Each number has *readings*: its canonical value
(``Decimal`` without exponent or trailing zeros) and its writing as it is, so a copy of
the source's writing always counts as present. A dotted date ("02.12.2026") asks for
its day and year (the month is often written as a word in a translation); other dotted
sequences (versions, addresses) ask for each part. Numbers written as words ("two
million", "iki milyon") are out of scope: the checks see digits only.

The target side is read leniently (both conventions): the check is there to catch
numbers a model dropped or garbled, not to police typography.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Number", "source_numbers", "target_numbers"]

# Languages that write 2.5 and 1,000; all others we translate write 2,5 and 1.000 / 1 000.
DECIMAL_POINT_LANGUAGES = frozenset({"en"})
_SPACES = " \u00a0\u202f"
_TOKEN = re.compile(
    rf"(?<![0-9])(?:[0-9]{{1,3}}(?:[{_SPACES}][0-9]{{3}})+(?![0-9])(?:[.,][0-9]+)?|[0-9]+(?:[.,][0-9]+)*)"
)
_DATE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{2}|[0-9]{4})")


@dataclass(frozen=True)
class Number:
    written: str  # as the text has it
    readings: frozenset[str]


def source_numbers(text: str, lang: str) -> list[Number]:
    """Every number ``text`` asks a translation to keep, in order, without repeats."""
    found: dict[str, Number] = {}
    for token in _TOKEN.findall(text):
        for number in _required(token, lang):
            found.setdefault(number.written, number)
    return list(found.values())


def target_numbers(text: str, lang: str) -> set[str]:
    """Every reading of every number in ``text``, in either convention."""
    readings: set[str] = set()
    for token in _TOKEN.findall(text):
        readings.add(token)
        for decimal_point in (True, False):
            value = _value(token, decimal_point=decimal_point)
            if value is not None:
                readings.add(value)
        for number in _required(token, lang):
            readings |= number.readings
    return readings


def _required(token: str, lang: str) -> list[Number]:
    value = _value(token, decimal_point=lang.split("-")[0].lower() in DECIMAL_POINT_LANGUAGES)
    if value is not None:
        return [Number(token, frozenset({value, token}))]
    parts = re.split(r"[.,]", token)
    if _DATE.fullmatch(token):
        parts = [parts[0], parts[2]]
    return [Number(part, frozenset({_canonical(part), part})) for part in parts]


def _value(token: str, *, decimal_point: bool) -> str | None:
    """The value of ``token`` in one convention (or in the other when only that one fits);
    None for a sequence that is no single number ("02.12.2026", "3.1.4")."""
    compact = re.sub(f"[{_SPACES}]", "", token)
    if compact != token:  # space-grouped: the separator after the groups, if any, is decimal
        return _canonical(compact.replace(",", "."))
    group = "," if decimal_point else "."
    separators = re.findall(r"[.,]", token)
    if not separators:
        return _canonical(token)
    groups = re.split(r"[.,]", token)
    grouped = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if len(set(separators)) == 1:
        separator = separators[0]
        if len(separators) > 1:
            return _canonical("".join(groups)) if grouped else None
        if separator == group and grouped:
            return _canonical("".join(groups))
        return _canonical(f"{groups[0]}.{groups[1]}")  # the language's decimal, or one that cannot be a group
    # Both kinds say which is which by their order, whatever the language: groups of one
    # kind, then a single decimal separator of the other ("1,234.5", "1.234,5").
    last = separators[-1]
    if separators.count(last) == 1 and 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:-1]):
        return _canonical("".join(groups[:-1]) + "." + groups[-1])
    return None


def _canonical(digits: str) -> str:
    try:
        return format(Decimal(digits).normalize(), "f")
    except InvalidOperation:  # cannot happen for the token pattern; keep the writing
        return digits
