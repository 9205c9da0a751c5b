"""``GET /v1/feed.atom`` read by feedparser, as a feed reader would: HTTP Basic with the key
as the password (answering the hub's challenge) or a Bearer token, one entry per story,
sanitised content, embargo and kill rules of the feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser
import httpx
import pytest

from hub.agencies import service as agencies
from hub.jobs.worker import TranslationWorker
from hub.runtime import HubRuntime
from tests.fixtures.hub import HubHarness, served_hub, story

PHOTO = "0" * 64


def make_key(runtime: HubRuntime, code: str, scopes: str = "push,pull", *, partner: bool = False) -> str:
    with runtime.write() as session:
        agencies.create_agency(session, code, name=code.upper() + " News", is_partner=partner)
        return agencies.create_key(session, code, scopes).plaintext


def rich_story(guid: str, headline: str, **extra: Any) -> dict[str, Any]:
    return story(
        guid,
        headline=headline,
        body='<p>Birinci <b>cümlə</b>.</p><script>alert(1)</script><p onclick="x()">İkinci cümlə.</p>',
        bodies=[
            {
                "role": "main",
                "contentType": "text/html",
                "value": '<p>Birinci <b>cümlə</b>.</p><script>alert(1)</script><p onclick="x()">İkinci.</p>',
            }
        ],
        descriptions=[{"role": "summary", "value": "Qısa xülasə."}],
        subjects=[{"name": "Energetika", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000249"}],
        associations=[
            {
                "name": "photo",
                "uri": "urn:azertac:photo:1",
                "type": "picture",
                "renditions": [{"name": "original", "href": f"/v1/media/{PHOTO}", "contentType": "image/jpeg"}],
            }
        ],
        **extra,
    )


def test_a_feed_reader_with_basic_auth_reads_the_latest_stories(database_url: str, tmp_path: Path) -> None:
    with served_hub(tmp_path / "data", database_url, embedded_worker=False) as (url, runtime):
        key = make_key(runtime, "azertac")
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as http:
            for n, headline in enumerate(["Birinci xəbər", "İkinci xəbər", "Üçüncü xəbər"]):
                assert http.post("/v1/stories", json=rich_story(f"urn:atom:{n}", headline)).status_code == 201
            # A correction of the first story: its entry moves to the top, once.
            http.post("/v1/stories", json=rich_story("urn:atom:0", "Birinci xəbər (düzəliş)")).raise_for_status()
        # Credentials in the URL: feedparser sends them as HTTP Basic, as feed readers do.
        parsed = feedparser.parse(url.replace("http://", f"http://newsroom:{key}@") + "/v1/feed.atom?lang=az")

    assert parsed.get("status") == 200 and not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Birinci xəbər (düzəliş)", "Üçüncü xəbər", "İkinci xəbər"]
    first = parsed.entries[0]
    assert first.id.startswith("urn:ulak:story:") and first.id.endswith(":az")
    assert first.author == "AZERTAC News"
    assert first.summary == "Qısa xülasə."
    assert "<b>cümlə</b>" in first.content[0].value
    assert first.updated_parsed is not None and first.published_parsed is not None
    links = {(link.rel, link.type): link.href for link in first.links}
    assert links[("alternate", "application/json")].startswith(f"{url}/v1/stories/")
    assert links[("enclosure", "image/jpeg")] == f"{url}/v1/media/{PHOTO}"
    terms = {(t.term, t.get("scheme")) for t in first.tags}
    assert ("http://cv.iptc.org/newscodes/mediatopic/20000249", None) in terms
    assert ("original", "urn:ulak:origin") in terms


def test_content_is_sanitised_in_the_raw_document(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    hub.client.post("/v1/stories", json=rich_story("urn:atom:x", "Başlıq <i>x</i>"), headers=hub.auth(key))
    raw = hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(key))
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/atom+xml; charset=utf-8"
    text = raw.text.lower()
    # Neither as markup nor escaped inside <content type="html">.
    assert "script" not in text and "onclick" not in text and "alert(" not in text


def test_bearer_works_and_a_missing_key_is_challenged_for_basic(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    hub.client.post("/v1/stories", json=story("urn:atom:b"), headers=hub.auth(key))
    ok = hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(key))
    assert feedparser.parse(ok.content).entries[0].title == "Xəbər başlığı"

    anonymous = hub.client.get("/v1/feed.atom?lang=az")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Basic realm="Ulak"')
    assert anonymous.json()["error"] == "unauthorized"
    wrong = hub.client.get("/v1/feed.atom?lang=az", auth=("newsroom", "ulak_nope_nope"))
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "unknown API key")
    right = hub.client.get("/v1/feed.atom?lang=az", auth=("anyone", key))
    assert right.status_code == 200


def test_refusals_are_precise(hub: HubHarness) -> None:
    push_only = hub.agency("azertac", scopes="push")
    reader = hub.agency("reader")
    assert hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(push_only)).status_code == 403
    bad_lang = hub.client.get("/v1/feed.atom?lang=xx", headers=hub.auth(reader))
    assert (bad_lang.status_code, bad_lang.json()["error"]) == (422, "invalid_request")
    assert hub.client.get("/v1/feed.atom?lang=az&agency=nobody", headers=hub.auth(reader)).status_code == 404
    assert hub.client.get("/v1/feed.atom?lang=az&limit=0", headers=hub.auth(reader)).status_code == 422


def test_embargo_kill_and_withhold_follow_the_feed_rules(hub: HubHarness) -> None:
    owner = hub.agency("azertac")
    partner = hub.agency("partner", scopes="pull", partner=True)
    hub.client.post(
        "/v1/stories",
        json=story("urn:atom:e", headline="Embarqolu", embargoedUntil="2999-01-01T00:00:00Z"),
        headers=hub.auth(owner),
    ).raise_for_status()
    withheld = hub.client.post("/v1/stories", json=story("urn:atom:w", headline="Yoxlanılır"), headers=hub.auth(owner))
    hub.client.post(f"/v1/stories/{withheld.json()['id']}/withhold", headers=hub.auth(owner)).raise_for_status()
    killed = hub.client.post("/v1/stories", json=story("urn:atom:k", headline="Səhv xəbər"), headers=hub.auth(owner))
    hub.client.post(f"/v1/stories/{killed.json()['id']}/kill", headers=hub.auth(owner)).raise_for_status()

    def titles(key: str) -> list[str]:
        return [
            e.title
            for e in feedparser.parse(hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(key)).content).entries
        ]

    assert titles(partner) == ["KILLED: Səhv xəbər", "WITHHELD: Yoxlanılır"]
    assert titles(owner) == ["KILLED: Səhv xəbər", "WITHHELD: Yoxlanılır", "Embarqolu"]
    notice = feedparser.parse(hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(partner)).content).entries[0]
    # The notice replaces the text: a reader shows what to do, not the killed story.
    assert "do not use" in notice.summary and "do not use" in notice.content[0].value
    assert "cümlə" not in notice.content[0].value


def test_an_unchanged_feed_answers_304(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    hub.client.post("/v1/stories", json=story("urn:atom:c"), headers=hub.auth(key))
    first = hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(key))
    again = hub.client.get("/v1/feed.atom?lang=az", headers={**hub.auth(key), "If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.content) == (304, b"")
    hub.client.post("/v1/stories", json=story("urn:atom:d"), headers=hub.auth(key))
    changed = hub.client.get("/v1/feed.atom?lang=az", headers={**hub.auth(key), "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200


@pytest.mark.usefixtures("worker")
def test_a_translation_is_an_entry_of_its_language_labelled_machine_translation(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    key = translating_hub.agency("azertac")
    translating_hub.client.post("/v1/stories", json=story("urn:atom:t"), headers=translating_hub.auth(key))
    worker.run_until_idle()
    parsed = feedparser.parse(
        translating_hub.client.get("/v1/feed.atom?lang=tr", headers=translating_hub.auth(key)).content
    )
    assert len(parsed.entries) == 1
    entry = parsed.entries[0]
    assert entry.id.endswith(":tr")
    assert ("machine-translation", "urn:ulak:origin") in {(t.term, t.get("scheme")) for t in entry.tags}
    assert entry.author == "AZERTAC"


def test_plain_text_is_escaped_not_read_as_markup(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    text = "Qiymət <b>artıb</b> & düşüb.\n\nİkinci abzas."
    hub.client.post("/v1/stories", json=story("urn:atom:p", body=text), headers=hub.auth(key)).raise_for_status()
    raw = hub.client.get("/v1/feed.atom?lang=az", headers=hub.auth(key)).text
    [entry] = feedparser.parse(raw).entries
    # The HTML content shows the angle brackets as text; the summary is the plain text.
    content = ElementTree.fromstring(raw).find(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content"
    )
    assert content is not None
    assert content.text == "<p>Qiymət &lt;b&gt;artıb&lt;/b&gt; &amp; düşüb.</p><p>İkinci abzas.</p>"
    summary = ElementTree.fromstring(raw).find(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary"
    )
    assert summary is not None and summary.text == "Qiymət <b>artıb</b> & düşüb. İkinci abzas."
    assert "artıb" in entry.summary
