"""HTML bodies: sanitising, text-node-wise segmentation, and rendering that keeps all markup."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from tests.data.xss_payloads import PAYLOADS
from tests.fixtures.data import NINJS_EXAMPLES
from tests.fixtures.xss import executable_parts
from translation.markup import is_html, sanitize_html, segment_html


class _Events(HTMLParser):
    """Tags and attributes of a document, in order, with text left out."""

    def __init__(self, skip_attributes: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_attributes = skip_attributes
        self.events: list[tuple] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.events.append(("start", tag, tuple(a for a in attrs if a[0] not in self.skip_attributes)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _events(html: str, skip_attributes: frozenset[str] = frozenset()) -> _Events:
    parser = _Events(skip_attributes)
    parser.feed(html)
    parser.close()
    return parser


def _collapse(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _marked(sentences: list[str]) -> list[str]:
    return [f"[{index}:{sentence.upper()}]" for index, sentence in enumerate(sentences)]


def _html_bodies() -> list[str]:
    bodies = []
    for path in NINJS_EXAMPLES:
        story = json.loads(path.read_text())
        for body in story.get("bodies") or []:
            content_type = body.get("contenttype") or body.get("contentType") or ""
            if "html" in content_type:
                bodies.append(body["value"])
        for key in ("body_html", "bodyHtml", "body_xhtml"):
            if isinstance(story.get(key), str):
                bodies.append(story[key])
    return bodies


# -- sanitising --------------------------------------------------------------------------


def test_sanitize_removes_scripts_styles_and_their_content() -> None:
    html = "<p>Safe.</p><script>alert('x')</script><style>p{color:red}</style><p>Also safe.</p>"
    assert sanitize_html(html) == "<p>Safe.</p><p>Also safe.</p>"


def test_sanitize_removes_event_handlers_and_unsafe_urls() -> None:
    html = (
        '<p onclick="steal()">Hi <a href="javascript:alert(1)" onmouseover="x()">link</a> '
        '<img src="x.png" onerror="alert(1)" alt="A cat"></p>'
    )
    cleaned = sanitize_html(html)
    assert cleaned == '<p>Hi <a rel="noopener noreferrer">link</a> <img src="x.png" alt="A cat"></p>'
    attribute_names = {name for event in _events(cleaned).events if event[0] == "start" for name, _ in event[2]}
    assert attribute_names == {"rel", "src", "alt"}


def test_sanitize_removes_iframes_comments_and_unknown_tags_but_keeps_their_text() -> None:
    html = '<p>A<!-- secret --> <font color="red">red</font> word.</p><iframe src="https://evil.example">x</iframe>'
    assert sanitize_html(html) == "<p>A red word.</p>"


def test_sanitize_keeps_the_news_allow_list() -> None:
    html = (
        "<h1>Head</h1><h6>Small</h6><p>Text <b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> "
        '<sub>2</sub><sup>3</sup> <span>sp</span> <cite>c</cite> <abbr title="North Atlantic">NATO</abbr> '
        "<q>quote</q><br></p><ul><li>one</li></ul><ol><li>two</li></ol><blockquote>bq</blockquote>"
        '<figure><img src="https://cdn.example/a.jpg" alt="Alt" title="Tip"><figcaption>Cap</figcaption></figure>'
        '<table><caption>T</caption><thead><tr><th colspan="2">H</th></tr></thead>'
        '<tbody><tr><td rowspan="1">D</td></tr></tbody><tfoot><tr><td>F</td></tr></tfoot></table>'
        '<a href="https://example.com/x?a=1&amp;b=2" title="Go" rel="noopener noreferrer">l</a>'
    )
    assert sanitize_html(html) == html


def test_sanitize_drops_attributes_outside_the_allow_list() -> None:
    html = '<p class="x" style="color:red" id="y" data-x="1">T</p><a href="https://e.example" target="_blank">l</a>'
    assert sanitize_html(html) == '<p>T</p><a href="https://e.example" rel="noopener noreferrer">l</a>'


# -- segmentation and rendering ----------------------------------------------------------


def test_is_html_ignores_case_and_parameters() -> None:
    assert is_html("text/html") and is_html("application/xhtml+xml")
    assert is_html(" Text/HTML ; charset=utf-8") and is_html("APPLICATION/XHTML+XML")
    assert not any(is_html(t) for t in (None, "", "text/plain", "text/htmlx", "image/svg+xml"))


def test_sanitised_payloads_are_inert_and_sanitising_again_changes_nothing() -> None:
    for payload in PAYLOADS:
        clean = sanitize_html(payload)
        assert executable_parts(clean) == [], payload
        assert sanitize_html(clean) == clean, payload
        # What the engine renders back (identity translation) is as inert.
        layout = segment_html(payload, "en")
        assert executable_parts(layout.render(layout.sentences)) == [], payload


def test_sentences_inside_inline_tags_are_translated_node_by_node() -> None:
    layout = segment_html("<p>The <b>big</b> cat sat. It slept.</p>", "en")
    assert layout.sentences == ["The", "big", "cat sat.", "It slept."]
    assert layout.render(["Le", "grand", "chat s'assit.", "Il dormit."]) == (
        "<p>Le <b>grand</b> chat s'assit. Il dormit.</p>"
    )


def test_blocks_are_split_into_sentences_per_language() -> None:
    html = "<h2>Итоги</h2><p>В 2024 г. он переехал в г. Москва. Там он живёт.</p><li>И. И. Иванов. Всё.</li>"
    layout = segment_html(html, "ru")
    assert layout.sentences == [
        "Итоги",
        "В 2024 г. он переехал в г. Москва.",
        "Там он живёт.",
        "И. И. Иванов.",
        "Всё.",
    ]


def test_whitespace_only_and_letterless_nodes_are_not_translated() -> None:
    html = "<ul>\n  <li>One.</li>\n  <li>2024</li>\n  <li>Two.</li>\n</ul>\n<p> — </p>"
    layout = segment_html(html, "en")
    assert layout.sentences == ["One.", "Two."]
    assert (
        layout.render(["Bir.", "İki."]) == "<ul>\n  <li>Bir.</li>\n  <li>2024</li>\n  <li>İki.</li>\n</ul>\n<p> — </p>"
    )


def test_alt_and_title_are_translated_but_no_other_attribute() -> None:
    html = (
        '<p><a href="https://news.example/story-one.html" title="Read more. Now.">Link text</a></p>'
        '<img src="https://cdn.example/photo.jpg" alt="A cat on a mat.">'
        '<abbr title="European Union">EU</abbr>'
    )
    layout = segment_html(html, "en")
    assert layout.sentences == ["Read more.", "Now.", "Link text", "A cat on a mat.", "European Union", "EU"]
    rendered = layout.render(["Daha fazla.", "Şimdi.", "Bağlantı", "Paspasta bir kedi.", "Avrupa Birliği", "AB"])
    assert rendered == (
        '<p><a href="https://news.example/story-one.html" title="Daha fazla. Şimdi." rel="noopener noreferrer">'
        'Bağlantı</a></p><img src="https://cdn.example/photo.jpg" alt="Paspasta bir kedi.">'
        '<abbr title="Avrupa Birliği">AB</abbr>'
    )


def test_no_tag_or_attribute_text_is_sent_for_translation() -> None:
    html = (
        '<table><tr><th scope="col" colspan="2">Scorer</th></tr><tr><td>Smith</td><td rowspan="1">2 goals.</td></tr>'
        '</table><p><a href="https://secret.example/path-token">Story</a> <img src="blob-token.png"></p>'
    )
    layout = segment_html(html, "en")
    assert layout.sentences == ["Scorer", "Smith", "2 goals.", "Story"]
    joined = " ".join(layout.sentences)
    for forbidden in (
        "<",
        ">",
        "token",
        "secret",
        "scope",
        "col",
        "rel",
        "noopener",
        "href",
        "src",
        "td",
        "table",
    ):
        assert forbidden not in joined


def test_entities_round_trip_and_translations_are_escaped() -> None:
    html = '<p>Tom &amp; Jerry &lt;3 said "hi"&nbsp;there. Café © 2024.</p>'
    layout = segment_html(html, "en")
    assert layout.sentences == ['Tom & Jerry <3 said "hi"\u00a0there.', "Café © 2024."]
    assert layout.render(layout.sentences) == sanitize_html(html)
    hostile = layout.render(["<script>alert(1)</script> & co", 'a "b" <i>'])
    assert hostile == '<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co a "b" &lt;i&gt;</p>'
    alt = segment_html('<img src="a.png" alt="A &amp; B">', "en")
    assert alt.render(['"Q" & <A>']) == '<img src="a.png" alt="&quot;Q&quot; &amp; &lt;A&gt;">'


def test_render_rejects_a_wrong_number_of_sentences() -> None:
    layout = segment_html("<p>One. Two.</p>", "en")
    with pytest.raises(ValueError, match="expected 2"):
        layout.render(["Bir."])
    with pytest.raises(ValueError):
        layout.render([])


def test_empty_and_markup_only_html() -> None:
    assert segment_html("", "en").sentences == []
    layout = segment_html("<p><br><img src='a.png'></p>", "en")
    assert layout.sentences == []
    assert layout.render([]) == '<p><br><img src="a.png"></p>'


def test_identity_render_is_the_sanitised_html() -> None:
    html = "<div><p>First  sentence.\n Second one.</p>\n<p>Third <em>emphasis</em>.</p></div>"
    layout = segment_html(html, "en")
    assert (
        layout.render(layout.sentences)
        == "<div><p>First sentence. Second one.</p>\n<p>Third <em>emphasis</em>.</p></div>"
    )
    assert _collapse(layout.render(layout.sentences)) == _collapse(sanitize_html(html))


def test_segmentation_is_deterministic() -> None:
    html = "<p>Prof. Dr. Ahmet Yılmaz konuştu. <b>Doç.</b> Ayşe Kaya da katıldı.</p>"
    first, second = segment_html(html, "tr"), segment_html(html, "tr")
    assert first.sentences == second.sentences
    assert first.render(_marked(first.sentences)) == second.render(_marked(second.sentences))


@pytest.mark.parametrize("lang", ["en", "ru", "tr", "az", "uz"])
def test_ninjs_html_bodies_round_trip_and_keep_their_markup(lang: str) -> None:
    bodies = _html_bodies()
    assert len(bodies) >= 6, "the ninjs examples hold HTML bodies"
    for body in bodies:
        sanitized = sanitize_html(body)
        layout = segment_html(body, lang)
        assert bool(layout.sentences) == any(character.isalpha() for character in sanitized)
        assert _collapse(layout.render(layout.sentences)) == _collapse(sanitized)
        marked = layout.render(_marked(layout.sentences))
        # Every tag and every attribute other than the translated alt/title is unchanged…
        translated_attributes = frozenset({"alt", "title"})
        assert _events(marked, translated_attributes).events == _events(sanitized, translated_attributes).events
        # …and every translatable letter of the text went through the translation.
        untranslated = re.sub(r"\[\d+:[^\]]*\]", "", "".join(_events(marked).text))
        assert not any(character.isalpha() for character in untranslated)
