"""Human post-edits as translation units: cutting an edited field into units, and putting
units back in place of machine output.

A *unit* pairs a piece of the original with the text an editor gave it: a sentence, a
paragraph or a whole field. ``align_field`` cuts an original field and its edited
translation with the engine's own segmentation (``segment_text`` / ``segment_html``), so
a unit's source is exactly what the engine later meets: paragraph by paragraph, a
paragraph that kept its sentences (same count, same untranslated pieces such as
"2024.") gives one unit per sentence; one whose sentences were merged or split gives one
unit for the paragraph; when even the paragraphs do not match (a paragraph added or
removed, or, in HTML, any change to the markup) the whole field is one unit. A plain-text
paragraph is a line with text; an HTML paragraph is a text node or a translated attribute
value (``alt``, ``title``), as the engine translates HTML text node by text node.

``HumanPlan`` is the engine's side: for one document and target, it takes a human unit
for a whole field if there is one, else per paragraph, else per sentence, and leaves the
rest of the sentences to the models. Nothing here knows where the units are stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal, Protocol

from translation.markup import TRANSLATED_ATTRIBUTES, sanitize_html, segment_html
from translation.segmentation import render_pieces, segment_text

__all__ = ["HumanPlan", "Unit", "align_field", "paragraph_texts"]

UnitKind = Literal["field", "paragraph", "sentence"]
_Pieces = tuple[int | str, ...]


class Layout(Protocol):
    """What the engine's text and HTML layouts share."""

    @property
    def sentences(self) -> list[str]: ...

    @property
    def paragraphs(self) -> list[_Pieces]: ...

    def render(self, translated: Sequence[str], paragraphs: Mapping[int, str] | None = None) -> str: ...


@dataclass(frozen=True)
class Unit:
    """An original ``source`` (a sentence, a paragraph or a field) and its human ``target``."""

    kind: UnitKind
    source: str
    target: str


def segment(text: str, lang: str, *, html: bool) -> Layout:
    return segment_html(text, lang) if html else segment_text(text, lang)


def paragraph_texts(layout: Layout) -> list[str]:
    """Each paragraph's text as one line (sentences joined by a space): a paragraph unit's key."""
    return [render_pieces(pieces, layout.sentences) for pieces in layout.paragraphs]


def align_field(source: str, edited: str, *, source_lang: str, target_lang: str, html: bool = False) -> list[Unit]:
    """The units of one field: ``source`` in ``source_lang`` against the editor's
    ``edited`` translation. Empty when the original has nothing to translate."""
    if not source.strip():
        return []
    if html:
        source, edited = sanitize_html(source), sanitize_html(edited)
        if _markup(source) != _markup(edited):
            return [Unit("field", source, edited)]
    original = segment(source, source_lang, html=html)
    translation = segment(edited, target_lang, html=html)
    if len(original.paragraphs) != len(translation.paragraphs):
        return [Unit("field", source, edited)]
    units: list[Unit] = []
    texts, edited_texts = paragraph_texts(original), paragraph_texts(translation)
    for index, (ours, theirs) in enumerate(zip(original.paragraphs, translation.paragraphs, strict=True)):
        if _shape(ours) == _shape(theirs):
            units.extend(
                Unit("sentence", original.sentences[a], translation.sentences[b])
                for a, b in zip(_indices(ours), _indices(theirs), strict=True)
            )
        else:
            units.append(Unit("paragraph", texts[index], edited_texts[index]))
    return units


def _indices(pieces: _Pieces) -> list[int]:
    return [piece for piece in pieces if isinstance(piece, int)]


def _shape(pieces: _Pieces) -> tuple[str | None, ...]:
    """Sentences as blanks, kept pieces as they are: equal shapes align sentence by sentence."""
    return tuple(None if isinstance(piece, int) else piece for piece in pieces)


class _MarkupParser(HTMLParser):
    """The tags of sanitised HTML with their untranslated attributes, text left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str, tuple[tuple[str, str | None], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = tuple((name, value) for name, value in attrs if name not in TRANSLATED_ATTRIBUTES)
        self.tags.append(("start", tag, kept))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("end", tag, ()))


def _markup(html: str) -> list[tuple[str, str, tuple[tuple[str, str | None], ...]]]:
    parser = _MarkupParser()
    parser.feed(html)
    parser.close()
    return parser.tags


@dataclass
class HumanPlan:
    """Which parts of one document a target's human units cover, and which sentences are
    left to the models (``machine``: indices into the document's sentences, all fields
    in a row)."""

    machine: list[int] = field(default_factory=list)
    used: list[str] = field(default_factory=list)  # the sources of the human units taken
    _fields: list[str | None] = field(default_factory=list)
    _paragraphs: list[dict[int, str]] = field(default_factory=list)
    _sentences: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, texts: Sequence[str], layouts: Sequence[Layout], human: Mapping[str, str]) -> HumanPlan:
        """``texts``: each field's original text; ``layouts``: their segmentations."""
        plan = cls()
        offset = 0
        for text, layout in zip(texts, layouts, strict=True):
            count = len(layout.sentences)
            whole = human.get(text) if human and text.strip() else None
            plan._fields.append(whole)
            replaced: dict[int, str] = {}
            plan._paragraphs.append(replaced)
            if whole is not None:
                plan.used.append(text)
                offset += count
                continue
            covered: set[int] = set()
            if human:
                for index, paragraph in enumerate(paragraph_texts(layout)):
                    found = human.get(paragraph)
                    if found is not None:
                        replaced[index] = found
                        plan.used.append(paragraph)
                        covered.update(_indices(layout.paragraphs[index]))
            for position, sentence in enumerate(layout.sentences):
                if position in covered:
                    continue
                found = human.get(sentence) if human else None
                if found is None:
                    plan.machine.append(offset + position)
                else:
                    plan._sentences[offset + position] = found
                    plan.used.append(sentence)
            offset += count
        return plan

    def render(self, layouts: Sequence[Layout], machine_output: Sequence[str]) -> list[str]:
        """Each field's text: human units where the plan has them, ``machine_output`` (one
        per ``machine`` index, in order) elsewhere."""
        slots = dict(zip(self.machine, machine_output, strict=True)) | self._sentences
        texts, offset = [], 0
        for index, layout in enumerate(layouts):
            count = len(layout.sentences)
            whole = self._fields[index]
            if whole is not None:
                texts.append(whole)
            else:
                # Sentences inside a replaced paragraph are not rendered; "" fills their slots.
                translated = [slots.get(offset + position, "") for position in range(count)]
                texts.append(layout.render(translated, self._paragraphs[index]))
            offset += count
        return texts
