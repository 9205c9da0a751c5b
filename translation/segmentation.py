"""Offline, deterministic sentence segmentation of plain text for az, tr, ru, uz and en.

Argos's own splitters download models at run time, so the engine splits here, with rules:
a sentence may end at ``.``, ``!``, ``?`` or an ellipsis (plus any closing quotes or
brackets glued to it) that is followed by whitespace and a word that does not start in
lower case. A full stop is then weighed against the language's abbreviations:

* *non-terminal* ones (titles, "e.g.", "ул.", "örn.") never end a sentence;
* *terminal* ones ("etc.", "т.д.", "vb.", "və s.", "mln.") end it before a capital letter;
* *ambiguous* ones ("Inc.", "U.S.", "Jan.") and dotted acronyms end it only before a
  common sentence opener of the language ("The", "Это", "Bu"), so "the U.S. Army" holds;
* year marks ("г.", "y.") are ambiguous after a number ("в 2024 г. Россия провела…" holds,
  "…в 2024 г. Потом" splits) and otherwise non-terminal ("г. Москва").

A single capital letter is an initial ("A. B. Smith", "И. И. Иванов"). A bare number of at
most three digits is an ordinal in Turkish, Azerbaijani and Uzbek ("15. madde",
"2. Dünya Savaşı"): those are verb-final languages, where a sentence seldom ends in a bare
number (German, Nordic and Central European languages get the same rule, "18. Minute"); in
English and Russian it ends the sentence ("in 2023. The"). A number that opens a sentence
is a list marker ("1. Introduction"). Any other language code gets shared titles and
marks ("Dr.", "etc.") and the generic rules. Decimals,
dates, URLs and e-mail addresses never split because their dots are not followed by
whitespace.

A line break always ends a sentence in plain text (`split_sentences`, `segment_text`), so
a `TextLayout` can give back the text's line structure around translated sentences.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = ["TextLayout", "segment_text", "split_sentences"]


class _Stop(Enum):
    NON_TERMINAL = "non-terminal"
    TERMINAL = "terminal"
    AMBIGUOUS = "ambiguous"
    YEAR = "year"
    BEFORE_NUMBER = "before a number"


# Written as people write them, an underscore joining the words of one abbreviation;
# matching folds case and spacing ("и т. д." is "и т.д.").
_ABBREVIATIONS: dict[str, dict[_Stop, str]] = {
    "en": {
        _Stop.NON_TERMINAL: "Mr. Mrs. Ms. Messrs. Dr. Prof. Rev. Hon. Gen. Lt. Col. Capt. Cmdr. "
        "Sgt. Maj. Adm. Gov. Sen. Rep. Pres. Supt. Mt. vs. v. e.g. i.e. cf. viz. approx. ca.",
        _Stop.BEFORE_NUMBER: "No. Nos. p. pp. Fig. Figs. Vol. Art. ch. sec.",
        _Stop.TERMINAL: "etc. al.",
        _Stop.AMBIGUOUS: "Inc. Ltd. Corp. Co. Bros. Jr. Sr. St. Ave. Blvd. Rd. a.m. p.m. "
        "Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.",
    },
    "ru": {
        _Stop.NON_TERMINAL: "т.е. т.к. т.н. т.о. в_т.ч. напр. ул. пр. просп. пер. пл. наб. им. "
        "см. ср. проф. акад. доц. д. кв. корп. стр. с. п. ч. ст. гр. ген. зам. пос. рис. табл. "
        "тел. ок.",
        _Stop.TERMINAL: "т.д. т.п. и_др. и_пр. др. млн. млрд. трлн. тыс. руб. коп. долл. обл. н.э. до_н.э.",
        _Stop.YEAR: "г. гг. в. вв.",
    },
    "tr": {
        _Stop.NON_TERMINAL: "Dr. Prof. Doç. Av. Sn. örn. bkz. Yrd. Öğr. Gör. Op. Uzm. Müh. "
        "Cad. Sok. Mah. Bul. Apt. Tel. T.C. çev. haz.",
        _Stop.BEFORE_NUMBER: "No. s. c.",
        # "vs." is "vesaire" (etc.) in Turkish, not "versus".
        _Stop.TERMINAL: "vb. vs. vd. mln. mlr. mlrd.",
        _Stop.AMBIGUOUS: "A.Ş. Ltd. Şti.",
        _Stop.YEAR: "yy.",
    },
    "az": {
        _Stop.NON_TERMINAL: "b. prof. dos. akad. dr. küç. pr. ş.",
        _Stop.BEFORE_NUMBER: "s. No.",
        _Stop.TERMINAL: "və_s. və_b. mln. mlrd. e.ə.",
    },
    "uz": {
        _Stop.NON_TERMINAL: "prof. dots. akad. dr. sh. t. проф. доц. акад. ш.",
        _Stop.TERMINAL: "mln. mlrd. trln. va_h.k. va_b. млн. млрд. ва_ҳ.к. ва_б.",
        _Stop.YEAR: "y. yy. й.",
    },
    # Any other language: the titles and marks shared by most European languages.
    "": {
        _Stop.NON_TERMINAL: "Dr. Prof. vs. e.g. i.e. ca. St. z.B. d.h. u.a.",
        _Stop.BEFORE_NUMBER: "No. Nr. p.",
        _Stop.TERMINAL: "etc. usw. bzw.",
    },
}

# Words that often open a sentence; an ambiguous abbreviation ends one only before these.
_SENTENCE_OPENERS = {
    "en": "the a an it he she they we i you this that these those there but and or so yet in on "
    "at for as after before when while if however meanwhile his her their its our my what why "
    "how who where some many most all one officials police",
    "ru": "это он она они мы я вы в во на по но а и как также при после однако кроме о об к с у "
    "за из для так там тогда теперь потом затем сейчас ранее между поэтому его ее её их этот эта эти",
    "tr": "bu şu o bir ancak ama fakat ayrıca öte daha bunun bunu söz açıklamada olay ve de onun bunlar şimdi",
    "az": "bu o bir lakin amma ancaq həmçinin bundan onun onlar və qeyd hazırda",
    "uz": "bu u ular biz men lekin ammo shuningdek bundan ushbu keyin hozir ва бу у улар",
    "": "the a it this he she they we",
}

_ORDINAL_LANGS = frozenset({"tr", "az", "uz"})
# Other languages that write ordinals with a dot ("in der 18. Minute"); they get the
# shared abbreviations plus the ordinal rule.
_OTHER_ORDINAL_LANGS = frozenset({"de", "da", "no", "nb", "nn", "sv", "fi", "is", "et", "lv"})
_OTHER_ORDINAL_LANGS |= frozenset({"cs", "sk", "pl", "hu", "hr", "sr", "sl", "bs"})

_CLOSERS = "\"'»”’“›‹)]}"
_OPENERS = "\"'«„“‘‚‹›([{¿¡—–-"
# Terminator run, then closing quotes/brackets glued to it, then whitespace or the end.
_BOUNDARY = re.compile(r"([.!?…]+)([" + re.escape(_CLOSERS) + r"]*)(?=\s|$)")
_NUMBER = re.compile(r"\d+")
_ROMAN = re.compile(r"[IVXLCDM]+")
_DOTTED_ACRONYM = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_SPACE_RUN = re.compile(r"\s{2,}|[\t\n\r\f\v]")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def _normalize_abbreviation(text: str) -> str:
    return re.sub(r"\.\s+", ".", " ".join(text.split())).lower()


@dataclass(frozen=True)
class _Rules:
    abbreviations: dict[str, _Stop]
    openers: frozenset[str]
    ordinals: bool


# Enough whitespace-separated tokens for the longest entry typed with spaces ("до н. э.").
_LONGEST_ABBREVIATION = 4
_WINDOW = 160


def _build_rules(lang: str, *, ordinals: bool) -> _Rules:
    abbreviations = {
        _normalize_abbreviation(entry.replace("_", " ")): stop
        for stop, entries in _ABBREVIATIONS[lang].items()
        for entry in entries.split()
    }
    return _Rules(abbreviations, frozenset(_SENTENCE_OPENERS[lang].split()), ordinals)


_RULES = {lang: _build_rules(lang, ordinals=lang in _ORDINAL_LANGS) for lang in _ABBREVIATIONS}
_DEFAULT_WITH_ORDINALS = _build_rules("", ordinals=True)


def _rules_for(lang: str) -> _Rules:
    primary = re.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()
    if primary in _RULES:
        return _RULES[primary]
    return _DEFAULT_WITH_ORDINALS if primary in _OTHER_ORDINAL_LANGS else _RULES[""]


def _normalize_space(sentence: str) -> str:
    """Collapse whitespace runs and line breaks to one space; a lone no-break or thin space
    (typography such as "5\u00a0млн") is kept."""
    return _SPACE_RUN.sub(" ", sentence.strip())


def _next_word(text: str, start: int) -> str:
    """The word after a candidate boundary, without the quotes or dashes that open it."""
    position = start
    while position < len(text) and (text[position].isspace() or text[position] in _OPENERS):
        position += 1
    end = position
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[position:end]


def _classify(tokens: list[str], rules: _Rules) -> _Stop | None:
    """The kind of abbreviation the tokens before a full stop end with, longest match first."""
    for count in range(min(len(tokens), _LONGEST_ABBREVIATION), 0, -1):
        candidate = _normalize_abbreviation(" ".join(tokens[-count:]).lstrip(_OPENERS)) + "."
        stop = rules.abbreviations.get(candidate)
        if stop is not None:
            if stop is _Stop.YEAR:
                before = tokens[-count - 1] if len(tokens) > count else ""
                year_number = _NUMBER.fullmatch(before) or _ROMAN.fullmatch(before)
                return _Stop.AMBIGUOUS if year_number else _Stop.NON_TERMINAL
            return stop
    # "2024-y.": the year mark glued to its number by a hyphen.
    head, hyphen, tail = tokens[-1].rpartition("-")
    if hyphen and _NUMBER.fullmatch(head) and rules.abbreviations.get(tail.lower() + ".") is _Stop.YEAR:
        return _Stop.AMBIGUOUS
    return None


def _full_stop_ends_sentence(tokens: list[str], first_of_sentence: bool, next_word: str, rules: _Rules) -> bool:
    """Whether the full stop after ``tokens`` (the sentence's last few words) ends it."""
    word = tokens[-1].lstrip(_OPENERS)
    if not word or word[-1] in _CLOSERS:
        return True  # «…нет». or (Reuters). — a word, not an abbreviation
    if len(word) == 1 and word.isupper():
        return False  # an initial
    if first_of_sentence and (_NUMBER.fullmatch(word) or _ROMAN.fullmatch(word)):
        return False  # a list marker
    stop = _classify(tokens, rules)
    if stop is None and rules.ordinals and _NUMBER.fullmatch(word) and len(word) <= 3:
        stop = _Stop.NON_TERMINAL
    if stop is None and _DOTTED_ACRONYM.fullmatch(word):
        stop = _Stop.AMBIGUOUS
    starts_with_letter = next_word[:1].isalpha()
    if stop is _Stop.BEFORE_NUMBER:
        return not next_word[:1].isdigit()
    if stop is _Stop.NON_TERMINAL:
        return False
    if stop is _Stop.TERMINAL:
        return starts_with_letter
    if stop is _Stop.AMBIGUOUS:
        return next_word.rstrip(",.;:!?").lower() in rules.openers
    return True


def _split_paragraph(text: str, rules: _Rules) -> list[str]:
    """Sentences of one run of text in which line breaks are plain whitespace."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        next_word = _next_word(text, end)
        if not next_word or next_word[0].islower():
            continue  # the end of the text, or "?» — спросил он"
        terminator, closers = match.group(1), match.group(2)
        if terminator == "." and not closers:
            # Only the last few words matter; a bounded window keeps long paragraphs linear.
            window_start = max(start, match.start() - _WINDOW)
            tokens = text[window_start : match.start()].split()
            if window_start > start:
                tokens = tokens[1:]  # may be cut mid-word
            first_of_sentence = window_start == start and len(tokens) == 1
            if tokens and not _full_stop_ends_sentence(tokens, first_of_sentence, next_word, rules):
                continue
        sentences.append(text[start:end])
        start = end
    sentences.append(text[start:])
    return [normalized for sentence in sentences if (normalized := _normalize_space(sentence))]


def split_sentences(text: str, lang: str) -> list[str]:
    """Whitespace-trimmed, non-empty sentences of ``text``; every line break ends one."""
    rules = _rules_for(lang)
    return [sentence for line in _LINE_BREAK.split(text)[::2] for sentence in _split_paragraph(line, rules)]


def is_translatable(sentence: str) -> bool:
    """Whether a sentence has any letter; "2024.", "***" and "—" are kept as they are."""
    return any(character.isalpha() for character in sentence)


# A piece of a rendered line: an index into the sentences to translate, or literal text.
_Piece = int | str


@dataclass(frozen=True)
class _Line:
    indent: str
    pieces: tuple[_Piece, ...]
    trailing: str
    line_break: str


def render_pieces(pieces: Sequence[_Piece], translated: Sequence[str]) -> str:
    """Sentences of one paragraph, joined by one space."""
    return " ".join(translated[piece] if isinstance(piece, int) else piece for piece in pieces)


def check_length(expected: int, translated: Sequence[str]) -> None:
    """A layout renders only a full set of translations; a short batch is a caller's bug."""
    if len(translated) != expected:
        raise ValueError(f"expected {expected} translated sentences, got {len(translated)}")


def layout_pieces(text: str, lang: str, sentences: list[str]) -> tuple[_Piece, ...]:
    """Split ``text`` (line breaks as whitespace) into pieces, appending what to translate
    to ``sentences``; shared with the HTML layout."""
    pieces: list[_Piece] = []
    for sentence in _split_paragraph(text, _rules_for(lang)):
        if is_translatable(sentence):
            pieces.append(len(sentences))
            sentences.append(sentence)
        else:
            pieces.append(sentence)
    return tuple(pieces)


@dataclass(frozen=True)
class TextLayout:
    """Plain text cut into sentences, and the line structure to put translations back into.

    Only sentences with a letter are sent for translation; the rest are kept verbatim.
    """

    sentences: list[str]
    _lines: tuple[_Line, ...]

    @property
    def paragraphs(self) -> list[tuple[_Piece, ...]]:
        """The pieces of each line that has text: the paragraphs a human edit can replace."""
        return [line.pieces for line in self._lines if line.pieces]

    def render(self, translated: Sequence[str], paragraphs: Mapping[int, str] | None = None) -> str:
        """The text with ``translated[i]`` in place of ``sentences[i]``; each line keeps its
        indentation, trailing whitespace and line break. ``paragraphs`` maps an index of
        ``self.paragraphs`` to a text that replaces that paragraph whole (a human edit)."""
        check_length(len(self.sentences), translated)
        replaced = paragraphs or {}
        rendered, index = [], 0
        for line in self._lines:
            body = render_pieces(line.pieces, translated)
            if line.pieces:
                body = replaced.get(index, body)
                index += 1
            rendered.append(line.indent + body + line.trailing + line.line_break)
        return "".join(rendered)


def segment_text(text: str, lang: str) -> TextLayout:
    """Cut plain text into sentences to translate, keeping its paragraphs and line breaks."""
    parts = _LINE_BREAK.split(text)
    sentences: list[str] = []
    lines = []
    for index in range(0, len(parts), 2):
        line = parts[index]
        line_break = parts[index + 1] if index + 1 < len(parts) else ""
        body = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        trailing = line[len(indent) + len(body) :] if body else ""
        lines.append(_Line(indent, layout_pieces(body, lang, sentences), trailing, line_break))
    return TextLayout(sentences, tuple(lines))
