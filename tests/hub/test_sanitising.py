"""Every HTML headline, description and body is sanitised with the one policy
(translation.markup.sanitize_html), in originals and translations, wherever it is served."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

from hub.jobs.documents import translated_document
from hub.jobs.worker import TranslationWorker, build_engine
from hub.stories.ninjs import TEXT_FIELDS
from tests.data.xss_payloads import PAYLOADS
from tests.fixtures.hub import HubHarness, story
from tests.fixtures.xss import executable_parts, url_scheme
from translation import ModelRef, is_html, sanitize_html

LANGUAGES = ("az", "tr", "ru", "uz", "en")
# Every spelling a reader would render as HTML; bodies accept the two canonical ones.
HTML_TYPES = ("text/html", "application/xhtml+xml", "Text/HTML; charset=utf-8")


def payload_story(guid: str) -> dict[str, Any]:
    """One story carrying every payload in every HTML field: after a plain main headline,
    in an association (a ninjs object of its own) and in an association of that."""
    html_types, body_types = cycle(HTML_TYPES), cycle(HTML_TYPES[:2])

    def fields(*names: str) -> dict[str, Any]:
        kinds = {
            "headlines": ("alt", html_types),
            "descriptions": ("summary", html_types),
            "bodies": ("main", body_types),
        }
        return {
            name: [{"role": kinds[name][0], "contentType": next(kinds[name][1]), "value": p} for p in PAYLOADS]
            for name in names
        }

    main = {"role": "main", "contentType": "text/plain", "value": "Başlıq"}
    nested = {"name": "nested", "uri": f"{guid}:nested", **fields("bodies")}
    related = {"name": "related", "uri": f"{guid}:related", **fields(*TEXT_FIELDS), "associations": [nested]}
    top = fields(*TEXT_FIELDS)
    return story(guid, **{**top, "headlines": [main, *top["headlines"]]}, associations=[related])


def payload_fields(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(field, payload, served item) for every payload-carrying item of a served document."""
    related = next(a for a in document["associations"] if a["name"] == "related")
    [nested] = related["associations"]
    places = [
        ("headlines", document["headlines"][1:]),
        ("descriptions", document["descriptions"]),
        ("bodies", document["bodies"]),
        *((f"associations.{name}", related[name]) for name in TEXT_FIELDS),
        ("associations.associations.bodies", nested["bodies"]),
    ]
    for field, items in places:
        assert len(items) == len(PAYLOADS), field
        for payload, item in zip(PAYLOADS, items, strict=True):
            assert is_html(item["contentType"])
            yield field, payload, item


def test_the_oracle_sees_what_a_browser_would_run() -> None:
    # Most payloads run as pushed (the rest need another context to fire), so the
    # oracle is not vacuous; and it normalises URLs like a browser does.
    assert sum(1 for p in PAYLOADS if executable_parts(p)) >= 100
    assert len(PAYLOADS) >= 100 and len(set(PAYLOADS)) == len(PAYLOADS)
    assert url_scheme(" \x01Java\tScr\nipt:alert(1)") == "javascript"
    assert url_scheme("/v1/media/ab") is None and url_scheme("HTTPS://x") == "https"
    assert executable_parts('<a href="https://ok.example/" title="t">x</a><img src="/a.png" alt="a">') == []


def test_no_payload_survives_in_any_field_of_the_story_the_feed_or_any_translation(
    translating_hub: HubHarness,
) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=payload_story("az-xss"), headers=hub.auth(key))
    assert pushed.status_code == 201, pushed.text
    story_id = pushed.json()["id"]
    engine = build_engine(hub.runtime.settings)
    try:
        TranslationWorker(hub.runtime, engine).run_until_idle(timeout=300)
    finally:
        engine.close()

    served: dict[str, dict[str, Any]] = {}
    for lang in LANGUAGES:
        response = hub.client.get(f"/v1/stories/{story_id}?lang={lang}", headers=hub.auth(reader))
        assert response.status_code == 200, f"{lang}: {response.text}"
        served[f"GET /v1/stories/{{id}}?lang={lang}"] = response.json()
        entries = hub.client.get(f"/v1/feed?lang={lang}", headers=hub.auth(reader)).json()["entries"]
        assert [e["storyId"] for e in entries] == [story_id]
        served[f"GET /v1/feed?lang={lang}"] = entries[0]["item"]

    checked, survivors = 0, []
    for place, document in served.items():
        for field, payload, item in payload_fields(document):
            checked += 1
            if found := executable_parts(item["value"]):
                survivors.append((place, field, payload, item["value"], found))
    assert survivors == []
    # 121 payloads x 7 fields (3 of the story, 3 of an association, 1 nested deeper)
    # x 5 languages x 2 places (story, feed)
    assert checked == len(PAYLOADS) * 7 * len(LANGUAGES) * 2
    original = served["GET /v1/stories/{id}?lang=az"]
    assert [i["value"] for _, _, i in payload_fields(original)] == [sanitize_html(p) for p in PAYLOADS] * 7


def test_plain_text_is_kept_as_text_and_harmless_html_as_written(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    pushed = story(
        "az-plain",
        headlines=[{"role": "main", "value": "<script> teqi haqqında"}],
        descriptions=[{"contentType": "text/html", "value": '<b>Qalın</b> <a href="https://ok.example/">link</a>'}],
        bodies=[{"contentType": "text/plain", "value": "x < y && <img src=x onerror=alert(1)>"}],
    )
    story_id = hub.client.post("/v1/stories", json=pushed, headers=hub.auth(key)).json()["id"]
    served = hub.client.get(f"/v1/stories/{story_id}", headers=hub.auth(key)).json()
    # Plain text is not HTML: a reader escapes it, so it is kept exactly.
    assert served["headlines"][0]["value"] == "<script> teqi haqqında"
    assert served["bodies"][0]["value"] == "x < y && <img src=x onerror=alert(1)>"
    assert served["descriptions"][0]["value"] == (
        '<b>Qalın</b> <a href="https://ok.example/" rel="noopener noreferrer">link</a>'
    )


def test_a_translation_is_sanitised_whatever_the_engine_returns() -> None:
    """The engine escapes what it translates; the stored translation must be safe even
    if a model or a later engine change emitted markup."""
    original = {
        "language": "az",
        "headlines": [{"contentType": "text/html", "value": "a"}, {"value": "b"}],
        "descriptions": [{"contentType": "application/xhtml+xml", "value": "c"}],
        "bodies": [{"contentType": "text/html", "value": "d"}],
        "infoSources": [],
    }
    texts = ["<img src=x onerror=alert(1)>", "<plain>", "<svg onload=alert(1)>", '<a href="javascript:x">y</a>']
    document = translated_document(
        original,
        texts,
        story_id="s",
        target_lang="tr",
        models=[ModelRef("translate-az_tr", "1.0", "az", "tr")],
        version_created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert document["headlines"] == [{"contentType": "text/html", "value": '<img src="x">'}, {"value": "<plain>"}]
    assert document["descriptions"][0]["value"] == ""
    assert document["bodies"][0]["value"] == '<a rel="noopener noreferrer">y</a>'
    assert original["headlines"][0]["value"] == "a"  # the original is not touched
