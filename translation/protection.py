"""Glossary term protection: terms never reach a model, their target forms reach every output.

A source sentence that holds glossary terms (see ``translation.glossary.find_terms``) is cut
around them. The text between two terms is a *fragment*: it goes through the route (direct,
pivot or multilingual, whatever the target needs) as a unit of its own; a fragment without a
letter (", ", " — ") is kept as it is. At render time each term becomes the term's form in
the target language, or the source text as matched when the term has none there (a name that
stays as written). The whitespace between a term and its neighbours is the source's.

This works below the layouts: a ``TextLayout`` or ``HtmlLayout`` gives its sentences, this
module turns them into units for the models and, per target, turns the translated units back
into sentences for the layout to render. HTML is cut text node by text node and ``alt`` /
``title`` values are translated too, so a term inside an inline tag or an attribute is found
in that node's or value's sentences like anywhere else.

The price is fluency: for "Prezident İlham Əliyev Bakıda görüş keçirib." the model sees
"Prezident" and "Bakıda görüş keçirib." apart, so word order and agreement across a term can
come out stiff. Inflected forms
("Əliyevin", "Aliyevga") are not the term and are translated freely with their sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from translation.glossary import Term, base_language, term_finder
from translation.segmentation import check_length, is_translatable

__all__ = ["ProtectedSentences", "protect_terms"]


@dataclass(frozen=True)
class _TermPiece:
    """A term as the source wrote it; rendered per target."""

    source_text: str
    term: Term

    def render(self, target_lang: str) -> str:
        return self.term.target_form(base_language(target_lang)) or self.source_text


@dataclass(frozen=True)
class _Fragment:
    """The text between terms, sent to the models without its outer whitespace."""

    unit: int


# A piece of a protected sentence: a fragment to translate, a term, or text kept verbatim
# (whitespace around terms, letterless fragments).
_Piece = _Fragment | _TermPiece | str


@dataclass(frozen=True)
class ProtectedSentences:
    """``units``: what the models translate, one entry per sentence without a term and one per
    fragment of a sentence with terms; ``render`` gives the sentences back for one target."""

    units: list[str]
    _sentences: tuple[int | tuple[_Piece, ...], ...]  # a sentence is a unit, or pieces

    def render(self, translated: Sequence[str], target_lang: str) -> list[str]:
        """The sentences in ``target_lang``, given the translation of each unit."""
        check_length(len(self.units), translated)
        sentences = []
        for sentence in self._sentences:
            if isinstance(sentence, int):
                sentences.append(translated[sentence])
                continue
            sentences.append(_join(sentence, [_render_piece(piece, translated, target_lang) for piece in sentence]))
        return sentences


def _render_piece(piece: _Piece, translated: Sequence[str], target_lang: str) -> str:
    if isinstance(piece, _Fragment):
        # The whitespace around a fragment is the source's, kept as pieces of its own.
        return translated[piece.unit].strip()
    if isinstance(piece, _TermPiece):
        return piece.render(target_lang)
    return piece


def _join(pieces: Sequence[_Piece], rendered: list[str]) -> str:
    """The rendered pieces; a fragment the model left empty takes one of the whitespace
    pieces around it along, so that no double or dangling space is left in its place."""
    for index, piece in enumerate(pieces):
        if isinstance(piece, _Fragment) and not rendered[index]:
            for neighbour in (index + 1, index - 1):
                if (
                    0 <= neighbour < len(pieces)
                    and isinstance(pieces[neighbour], str)
                    and not rendered[neighbour].strip()
                ):
                    rendered[neighbour] = ""
                    break
    return "".join(rendered)


def _fragment_pieces(text: str, units: list[str]) -> list[_Piece]:
    """The text between two terms (or a term and a sentence end): its outer whitespace kept
    verbatim, the rest a unit to translate if it has a letter, else verbatim."""
    body = text.strip()
    if not body:
        return [text] if text else []
    leading = text[: len(text) - len(text.lstrip())]
    trailing = text[len(leading) + len(body) :]
    if is_translatable(body):
        units.append(body)
        middle: _Piece = _Fragment(len(units) - 1)
    else:
        middle = body
    return [piece for piece in (leading, middle, trailing) if piece != ""]


def protect_terms(sentences: Sequence[str], glossary: Sequence[Term], source_lang: str) -> ProtectedSentences:
    """Cut each sentence around the glossary terms it holds (in ``source_lang``'s forms)."""
    units: list[str] = []
    protected: list[int | tuple[_Piece, ...]] = []
    find_terms = term_finder(glossary, source_lang)
    for sentence in sentences:
        matches = find_terms(sentence)
        if not matches:
            units.append(sentence)
            protected.append(len(units) - 1)
            continue
        pieces: list[_Piece] = []
        cursor = 0
        for match in matches:
            pieces += _fragment_pieces(sentence[cursor : match.start], units)
            pieces.append(_TermPiece(sentence[match.start : match.end], match.term))
            cursor = match.end
        pieces += _fragment_pieces(sentence[cursor:], units)
        protected.append(tuple(pieces))
    return ProtectedSentences(units, tuple(protected))
