"""HTML in stories: the one sanitising policy, and translating HTML text node by text node.

``sanitize_html`` is the only HTML policy in Ulak: the hub applies it to every HTML field
(``HTML_CONTENT_TYPES``: headlines, descriptions and bodies) of an original on the way in
and of a translation before it is stored, and ``segment_html`` applies it before cutting
text into sentences. It lives here because the engine needs it and may not import the hub.

`segment_html` sanitises first, then cuts every text node into sentences and keeps all
markup as it is. Translation is *text-node-wise*: a sentence that crosses an inline tag,
as in ``<p>The <b>big</b> cat sat.</p>``, is sent as one fragment per text node ("The",
"big", "cat sat."). That costs some fluency across the tag but keeps every tag and
attribute exactly where the author put it; moving tags inside a translated sentence would
need word alignment, which the engine does not have. Whitespace-only and letterless nodes
("2024", " — ") are kept verbatim. The human-readable attributes ``alt`` and ``title`` are
translated as well; no other attribute value (``href``, ``src``…) and no tag text is ever
sent for translation.

Rendering escapes text the way nh3's HTML serialiser does (``&amp; &lt; &gt; &nbsp;``, and
``&quot;`` in attributes), so the identity translation gives back the sanitised HTML.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

from translation.segmentation import check_length, is_translatable, layout_pieces, render_pieces

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "HTML_CONTENT_TYPES",
    "HtmlLayout",
    "is_html",
    "sanitize_html",
    "segment_html",
]

HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")

# A news body: text structure, emphasis, links, quotes, figures and tables. Layout wrappers
# (div, section) are kept so that stripping them cannot glue two blocks' words together.
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "div", "section", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li"}
    | {"dl", "dt", "dd", "b", "strong", "i", "em", "u", "s", "small", "a", "blockquote", "q"}
    | {"figure", "figcaption", "img", "span", "sub", "sup", "cite", "abbr"}
    | {"table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"}
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
# Dropped with everything inside them, not just unwrapped: their text is not story text.
_REMOVED_WITH_CONTENT = {"script", "style", "template", "noscript", "title", "iframe", "object"}
TRANSLATED_ATTRIBUTES = frozenset({"alt", "title"})


def is_html(content_type: str | None) -> bool:
    """Whether a field of this content type is HTML. Parameters and case are ignored
    (``Text/HTML; charset=utf-8`` is HTML): a reader would render it as HTML, so it
    must be sanitised as HTML."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in HTML_CONTENT_TYPES


def sanitize_html(html: str) -> str:
    """``html`` reduced to the news-body allow-list: no scripts, styles, event handlers,
    comments or unsafe URLs; links get ``rel="noopener noreferrer"``. The result is
    well-formed (every tag closed, attributes quoted), so it cannot combine with the
    markup a reader puts around it, and sanitising it again changes nothing."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=_REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;")


@dataclass(frozen=True)
class _TextNode:
    leading: str
    pieces: tuple[int | str, ...]
    trailing: str

    def render(self, text: Callable[[tuple[int | str, ...]], str]) -> str:
        return _escape_text(self.leading + text(self.pieces) + self.trailing)


@dataclass(frozen=True)
class _StartTag:
    """A start tag with a translated attribute; every attribute value is either kept text
    or the pieces of a translated one."""

    name: str
    attributes: tuple[tuple[str, str | tuple[int | str, ...] | None], ...]
    self_closing: bool

    def render(self, text: Callable[[tuple[int | str, ...]], str]) -> str:
        rendered = []
        for name, value in self.attributes:
            plain = text(value) if isinstance(value, tuple) else value or ""
            rendered.append(f' {name}="{_escape_attribute(plain)}"')
        return f"<{self.name}{''.join(rendered)}{' /' if self.self_closing else ''}>"


_Part = str | _TextNode | _StartTag


class _LayoutParser(HTMLParser):
    """Turns sanitised HTML into literal markup and translatable slots, in document order."""

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.parts: list[_Part] = []
        self.sentences: list[str] = []
        self._pending_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start_tag(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start_tag(tag, attrs, self_closing=True)

    def handle_endtag(self, tag: str) -> None:
        self.flush_text()
        self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self._pending_text.append(data)

    def handle_comment(self, data: str) -> None:
        self.flush_text()
        self.parts.append(f"<!--{data}-->")

    def _start_tag(self, tag: str, attrs: list[tuple[str, str | None]], *, self_closing: bool) -> None:
        self.flush_text()
        raw = self.get_starttag_text() or ""
        if not any(name in TRANSLATED_ATTRIBUTES and value and is_translatable(value) for name, value in attrs):
            self.parts.append(raw)
            return
        attributes = tuple(
            (name, layout_pieces(value, self.lang, self.sentences))
            if name in TRANSLATED_ATTRIBUTES and value and is_translatable(value)
            else (name, value)
            for name, value in attrs
        )
        self.parts.append(_StartTag(tag, attributes, self_closing))

    def flush_text(self) -> None:
        text = "".join(self._pending_text)
        self._pending_text.clear()
        if not text:
            return
        body = text.strip()
        if not body:
            self.parts.append(_escape_text(text))
            return
        leading = text[: len(text) - len(text.lstrip())]
        trailing = text[len(leading) + len(body) :]
        self.parts.append(_TextNode(leading, layout_pieces(body, self.lang, self.sentences), trailing))


@dataclass(frozen=True)
class HtmlLayout:
    """A sanitised HTML body cut into sentences, and the markup to put translations back into."""

    sentences: list[str]
    _parts: tuple[_Part, ...]

    @property
    def paragraphs(self) -> list[tuple[int | str, ...]]:
        """The pieces of every text node and translated attribute value, in document order:
        the paragraphs a human edit can replace (markup splits a block into several, as it
        splits what the engine translates)."""
        found: list[tuple[int | str, ...]] = []
        for part in self._parts:
            if isinstance(part, _TextNode):
                found.append(part.pieces)
            elif isinstance(part, _StartTag):
                found.extend(value for _, value in part.attributes if isinstance(value, tuple))
        return found

    def render(self, translated: Sequence[str], paragraphs: Mapping[int, str] | None = None) -> str:
        """The HTML with ``translated[i]`` in place of ``sentences[i]``, escaped; all markup kept.
        ``paragraphs`` maps an index of ``self.paragraphs`` to a text (not HTML) that
        replaces that paragraph whole (a human edit)."""
        check_length(len(self.sentences), translated)
        replaced = paragraphs or {}
        counter = itertools.count()  # numbers the paragraphs in the order ``paragraphs`` lists them

        def text(pieces: tuple[int | str, ...]) -> str:
            index = next(counter)
            return replaced[index] if index in replaced else render_pieces(pieces, translated)

        return "".join(part if isinstance(part, str) else part.render(text) for part in self._parts)


def segment_html(html: str, lang: str) -> HtmlLayout:
    """Sanitise ``html`` and cut its text nodes (and ``alt``/``title`` values) into sentences."""
    parser = _LayoutParser(lang)
    parser.feed(sanitize_html(html))
    parser.close()
    parser.flush_text()
    return HtmlLayout(parser.sentences, tuple(parser.parts))
