"""Push and read stories: idempotency, versions, ninjs output, kill and withhold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator

from hub.stories.ninjs import SCHEMA_PATH
from tests.fixtures.hub import HubHarness, story


def assert_valid_ninjs(document: dict) -> None:
    # The official IPTC schema, as the hub ships it (an unchanged copy).
    errors = [e.message for e in Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).iter_errors(document)]
    assert errors == []


def test_push_creates_version_one_and_serves_ninjs(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    response = hub.client.post(
        "/v1/stories", json=story("az-1", urgency=2, by="Reporter", located="Bakı"), headers=hub.auth(key)
    )
    assert response.status_code == 201
    pushed = response.json()
    assert pushed["version"] == 1 and pushed["language"] == "az" and pushed["status"] == "usable"
    assert pushed["uri"] == f"urn:ulak:story:{pushed['id']}:az"

    item = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    assert_valid_ninjs(item)
    assert item["uri"] == pushed["uri"] and item["version"] == "1" and item["pubStatus"] == "usable"
    assert item["urgency"] == 2 and item["by"] == "Reporter" and item["located"] == "Bakı"
    assert {"role": "agencyGuid", "value": "az-1"} in item["altIds"]
    assert item["infoSources"][0] == {"name": "AZERTAC", "role": "originator", "literal": "azertac"}


def test_same_content_is_idempotent_changed_content_is_a_new_version(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    first = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key))
    again = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()

    changed = hub.client.post("/v1/stories", json=story("az-1", body="Düzəliş edilmiş mətn."), headers=hub.auth(key))
    assert changed.status_code == 201 and changed.json()["version"] == 2 and changed.json()["id"] == first.json()["id"]

    history = hub.client.get(f"/v1/stories/{first.json()['id']}/versions", headers=hub.auth(key)).json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert history["versions"][0]["contentHash"] != history["versions"][1]["contentHash"]
    assert history["versions"][0]["versionCreated"] < history["versions"][1]["versionCreated"]


def test_hub_assigns_time_and_ignores_agency_clock(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    before = datetime.now(UTC)
    pushed = hub.client.post(
        "/v1/stories",
        json=story("az-1", versionCreated="1999-01-01T00:00:00Z", pubStatus="canceled"),
        headers=hub.auth(key),
    ).json()
    item = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    created = datetime.fromisoformat(item["versionCreated"])
    assert before <= created <= datetime.now(UTC)
    assert item["firstCreated"] == item["versionCreated"] and item["pubStatus"] == "usable"


def test_html_body_is_sanitised_and_kept(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    html = '<p onclick="x()">Salam <b>dünya</b></p><script>alert(1)</script>'
    doc = story("az-html")
    doc["bodies"] = [{"role": "main", "contentType": "text/html", "value": html}]
    pushed = hub.client.post("/v1/stories", json=doc, headers=hub.auth(key)).json()
    body = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()["bodies"][0]["value"]
    assert body == "<p>Salam <b>dünya</b></p>"


def test_original_is_written_to_the_object_store(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    with hub.runtime.store.get_object(f"stories/azertac/{pushed['id']}/1/az.json") as stream:
        stored = json.loads(stream.read())
    assert stored["uri"] == pushed["uri"] and stored["headlines"][0]["value"] == "Xəbər başlığı"


def test_missing_language_version_is_404(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    response = hub.client.get(f"/v1/stories/{pushed['id']}?lang=tr", headers=hub.auth(key))
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert hub.client.get("/v1/stories/nope", headers=hub.auth(key)).status_code == 404


@pytest.mark.parametrize("action,status", [("kill", "canceled"), ("withhold", "withheld")])
def test_kill_and_withhold_reach_the_feed(hub: HubHarness, action: str, status: str) -> None:
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    response = hub.client.post(f"/v1/stories/{pushed['id']}/{action}", headers=hub.auth(key))
    assert response.status_code == 200 and response.json() == {"id": pushed["id"], "version": 1, "pubStatus": status}
    entries = hub.client.get("/v1/feed?lang=az", headers=hub.auth(reader)).json()["entries"]
    assert [e["pubStatus"] for e in entries] == ["usable", status]
    assert entries[1]["item"]["pubStatus"] == status
    assert hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(reader)).json()["pubStatus"] == status


def test_withheld_story_is_usable_again_after_a_new_version_killed_one_is_not(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    hub.client.post(f"/v1/stories/{pushed['id']}/withhold", headers=hub.auth(key))
    again = hub.client.post("/v1/stories", json=story("az-1", body="Yeni mətn."), headers=hub.auth(key))
    assert again.status_code == 201 and again.json()["status"] == "usable"
    hub.client.post(f"/v1/stories/{pushed['id']}/kill", headers=hub.auth(key))
    refused = hub.client.post("/v1/stories", json=story("az-1", body="Başqa mətn."), headers=hub.auth(key))
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"
    assert hub.client.post(f"/v1/stories/{pushed['id']}/withhold", headers=hub.auth(key)).status_code == 409


@pytest.mark.parametrize("action,status", [("kill", "canceled"), ("withhold", "withheld")])
def test_repeated_kill_or_withhold_changes_nothing(hub: HubHarness, action: str, status: str) -> None:
    """A retried kill or withhold answers 200 with the current state and adds no second
    announcement to the feed."""
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull", partner=True)
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    for _ in range(3):
        response = hub.client.post(f"/v1/stories/{pushed['id']}/{action}", headers=hub.auth(key))
        assert response.status_code == 200
        assert response.json() == {"id": pushed["id"], "version": 1, "pubStatus": status}
    entries = hub.client.get("/v1/feed?lang=az", headers=hub.auth(reader)).json()["entries"]
    assert [(e["version"], e["pubStatus"]) for e in entries] == [(1, "usable"), (1, status)]


def test_withheld_story_can_still_be_killed_once(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    for action in ("withhold", "withhold", "kill", "kill"):
        assert hub.client.post(f"/v1/stories/{pushed['id']}/{action}", headers=hub.auth(key)).status_code == 200
    refused = hub.client.post(f"/v1/stories/{pushed['id']}/withhold", headers=hub.auth(key))
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"
    entries = hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).json()["entries"]
    assert [e["pubStatus"] for e in entries] == ["usable", "withheld", "canceled"]


def test_only_owner_or_admin_may_kill(hub: HubHarness) -> None:
    owner = hub.agency("azertac")
    other = hub.agency("aa")
    admin = hub.agency("ops", scopes="admin")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(owner)).json()
    denied = hub.client.post(f"/v1/stories/{pushed['id']}/kill", headers=hub.auth(other))
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    assert hub.client.post(f"/v1/stories/{pushed['id']}/kill", headers=hub.auth(admin)).status_code == 200


def test_media_associations_are_kept(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    picture = {"name": "photo", "uri": "http://127.0.0.1:8000/v1/media/" + "a" * 64, "type": "picture", "rel": "image"}
    pushed = hub.client.post("/v1/stories", json=story("az-1", associations=[picture]), headers=hub.auth(key)).json()
    item = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    assert item["associations"] == [picture]


def test_embargoed_story_is_hidden_from_others_until_it_passes(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    reader = hub.agency("trt", scopes="pull")
    now = datetime.now(UTC)
    hub.runtime.clock = lambda: now
    until = now + timedelta(hours=1)
    pushed = hub.client.post(
        "/v1/stories", json=story("az-1", embargoedUntil=until.isoformat()), headers=hub.auth(key)
    ).json()

    assert hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(reader)).status_code == 404
    assert hub.client.get("/v1/feed?lang=az", headers=hub.auth(reader)).json()["entries"] == []
    own = hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).json()["entries"]
    assert len(own) == 1 and own[0]["item"]["embargoedUntil"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    cursor = hub.client.get("/v1/feed?lang=az", headers=hub.auth(reader)).json()["next"]

    hub.runtime.clock = lambda: until + timedelta(seconds=1)
    released = hub.client.get(f"/v1/feed?lang=az&after={cursor}", headers=hub.auth(reader)).json()["entries"]
    assert [(e["storyId"], e["version"]) for e in released] == [(pushed["id"], 1)]
    assert hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(reader)).status_code == 200
    # The owner saw it all along and gets no second copy.
    assert len(hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).json()["entries"]) == 1


@pytest.mark.parametrize(
    ("field", "item"),
    [
        ("headlines", {"role": "main", "contentType": "image/svg+xml", "value": "<svg onload=alert(1)>"}),
        ("descriptions", {"role": "summary", "contentType": "text/xml", "value": "<x:script xmlns:x='x'/>"}),
        ("bodies", {"role": "main", "contentType": "text/javascript", "value": "alert(1)"}),
    ],
)
def test_text_fields_are_plain_text_or_html_only(hub: HubHarness, field: str, item: dict) -> None:
    """Only HTML is sanitised, so any other markup type would reach partners' renderers
    as sent: refused, naming the field, and nothing is stored."""
    key = hub.agency("azertac")
    answer = hub.client.post("/v1/stories", json=story("az-1", **{field: [item]}), headers=hub.auth(key))
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"][0]["field"] == f"{field}.0.contentType"
    assert hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).json()["entries"] == []
