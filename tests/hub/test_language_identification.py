"""A push without a language is identified from its text; a declared language the text
contradicts is accepted with a warning and flagged in /translations; text with nothing to
identify is refused with a 422 that asks for the language. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.models import Story, StoryVersion
from tests.data.news_sentences import NEWS_SENTENCES
from tests.fixtures.hub import HubHarness, make_settings
from translation import langid


def unlabelled(guid: str, sentences: list[str], **extra: Any) -> dict[str, Any]:
    """A story as an agency pushes it, with no ``language``: headline and a two-sentence body."""
    return {
        "uri": guid,
        "headlines": [{"role": "main", "value": sentences[0]}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": " ".join(sentences[1:3])}],
        **extra,
    }


@pytest.mark.parametrize(("variety", "expected"), [("kk", "kk"), ("uz-Cyrl", "uz"), ("tr", "tr")])
def test_push_without_language_is_identified(hub: HubHarness, variety: str, expected: str) -> None:
    key = hub.agency("kazinform")
    response = hub.client.post("/v1/stories", json=unlabelled("id-1", NEWS_SENTENCES[variety]), headers=hub.auth(key))
    assert response.status_code == 201, response.text
    pushed = response.json()
    assert pushed["language"] == expected and pushed["languageIdentified"] is True
    assert pushed["warnings"] == []
    assert pushed["uri"] == f"urn:ulak:story:{pushed['id']}:{expected}"

    # The stored original, the version history and the feed all carry the identified language.
    document = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    assert document["language"] == expected and document["uri"] == pushed["uri"]
    versions = hub.client.get(f"/v1/stories/{pushed['id']}/versions", headers=hub.auth(key)).json()
    assert [v["language"] for v in versions["versions"]] == [expected]
    feed = hub.client.get("/v1/feed", params={"lang": expected}, headers=hub.auth(key)).json()
    assert [entry["storyId"] for entry in feed["entries"]] == [pushed["id"]]
    with hub.runtime.read() as session:
        row = session.scalars(select(StoryVersion)).one()
        assert row.source_lang == expected and row.language_check is None

    # Pushed again unchanged: the same version, still reported as identified.
    again = hub.client.post("/v1/stories", json=unlabelled("id-1", NEWS_SENTENCES[variety]), headers=hub.auth(key))
    assert again.status_code == 200 and again.json() == pushed


def test_declared_language_contradicted_by_the_text_is_accepted_with_a_warning(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    russian = unlabelled("mismatch-1", NEWS_SENTENCES["ru"], language="az")
    response = hub.client.post("/v1/stories", json=russian, headers=hub.auth(key))
    assert response.status_code == 201, response.text
    pushed = response.json()
    assert pushed["language"] == "az" and pushed["languageIdentified"] is False
    assert [w["code"] for w in pushed["warnings"]] == ["language_mismatch"]
    assert "'az'" in pushed["warnings"][0]["message"] and "'ru'" in pushed["warnings"][0]["message"]

    listing = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(key)).json()
    check = listing["languageCheck"]
    assert check["declared"] == "az" and check["identified"] == "ru" and 0.8 <= check["score"] <= 1
    document = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    assert document["language"] == "az"  # kept as declared: the agency has the last word

    # A corrected version (the agency now says ru) clears the flag for the current version.
    fixed = hub.client.post("/v1/stories", json={**russian, "language": "ru"}, headers=hub.auth(key)).json()
    assert fixed["version"] == 2 and fixed["warnings"] == [] and fixed["language"] == "ru"
    listing = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(key)).json()
    assert listing["languageCheck"] is None
    with hub.runtime.read() as session:
        checks = session.scalars(select(StoryVersion.language_check).order_by(StoryVersion.version)).all()
    assert checks[0] is not None and checks[0]["identified"] == "ru" and checks[1] is None


def test_declared_language_the_text_agrees_with_has_no_warning(hub: HubHarness) -> None:
    key = hub.agency("akipress")
    response = hub.client.post(
        "/v1/stories", json=unlabelled("ky-1", NEWS_SENTENCES["ky"], language="ky-Cyrl-KG"), headers=hub.auth(key)
    )
    assert response.status_code == 201
    assert response.json()["warnings"] == [] and response.json()["language"] == "ky"
    listing = hub.client.get(f"/v1/stories/{response.json()['id']}/translations", headers=hub.auth(key)).json()
    assert listing["languageCheck"] is None


@pytest.mark.parametrize(
    "story",
    [
        unlabelled("nothing-1", ["12:45", "+994 12 555 55 55", "2026 — 3:1"]),
        unlabelled("nothing-2", ["<p><img src='a.jpg'></p>", "—", "***"], bodies=None)
        | {"bodies": [{"role": "main", "contentType": "text/html", "value": "<p><img src='a.jpg'> 15:30</p>"}]},
        unlabelled("nothing-3", ["Hello world", "OK.", "Yes."]),
    ],
    ids=["digits", "markup", "too-short"],
)
def test_push_without_language_and_nothing_to_identify_is_422(hub: HubHarness, story: dict[str, Any]) -> None:
    key = hub.agency("azertac")
    response = hub.client.post("/v1/stories", json=story, headers=hub.auth(key))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "could not be identified" in body["detail"] and "set `language`" in body["detail"]
    assert [f["field"] for f in body["fields"]] == ["language"]
    with hub.runtime.read() as session:  # nothing half-written
        assert session.scalar(select(func.count()).select_from(Story)) == 0


def test_models_can_be_loaded_at_startup(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, language_id_preload=True)
    with HubHarness.start(settings) as harness:
        assert {"fasttext", "heliport"} <= set(langid._models)
        assert harness.client.get("/healthz").status_code == 200
