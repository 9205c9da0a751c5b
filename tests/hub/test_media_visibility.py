"""Embargoed media stays embargoed: media follows the stories that link to it, and a
caller who may not see it gets the same 404 as for media that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub.db import downgrade, upgrade
from hub.models import MediaReference
from tests.fixtures.hub import HubHarness, make_settings, story

PHOTO = b"\xff\xd8\xff\xe0" + b"embargoed photo" * 100
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(hours=2)


def with_photo(guid: str, href: str, **extra: Any) -> dict[str, Any]:
    photo = {
        "name": "photo",
        "uri": f"urn:test:photo:{guid}",
        "type": "picture",
        "renditions": [{"name": "original", "href": href, "contentType": "image/jpeg"}],
    }
    return story(guid, associations=[photo], **extra)


def fetch(hub: HubHarness, digest: str, key: str) -> tuple[int, int]:
    """(status of the download, status of the presigned-link request)."""
    download = hub.client.get(f"/v1/media/{digest}", headers=hub.auth(key))
    link = hub.client.get(f"/v1/media/{digest}/link", headers=hub.auth(key))
    return download.status_code, link.status_code


def test_media_of_an_embargoed_story_is_withheld_until_the_embargo_passes(hub: HubHarness) -> None:
    hub.runtime.clock = lambda: NOW
    owner = hub.agency("azertac")
    partner = hub.agency("bbc", scopes="pull", partner=True)
    other_pusher = hub.agency("trend")
    admin = hub.agency("ops", scopes="admin")
    uploaded = hub.client.post("/v1/media", content=PHOTO, headers=hub.auth(owner)).json()
    digest = uploaded["sha256"]

    # Uploaded ahead of its story: the uploader (and admins) only, nobody else.
    assert fetch(hub, digest, owner) == (200, 200)
    assert fetch(hub, digest, admin) == (200, 200)
    assert fetch(hub, digest, partner) == (404, 404)
    assert fetch(hub, digest, other_pusher) == (404, 404)
    missing = hub.client.get("/v1/media/" + "0" * 64, headers=hub.auth(partner))
    hidden = hub.client.get(f"/v1/media/{digest}", headers=hub.auth(partner))
    assert hidden.json()["error"] == missing.json()["error"] == "not_found"

    pushed = hub.client.post(
        "/v1/stories",
        json=with_photo("az-1", uploaded["href"], embargoedUntil=UNTIL.isoformat()),
        headers=hub.auth(owner),
    )
    assert pushed.status_code == 201
    assert fetch(hub, digest, partner) == (404, 404)
    assert fetch(hub, digest, other_pusher) == (404, 404)
    owned = hub.client.get(f"/v1/media/{digest}", headers=hub.auth(owner))
    assert owned.content == PHOTO and owned.headers["cache-control"].startswith("private")

    hub.runtime.clock = lambda: UNTIL + timedelta(seconds=1)
    assert fetch(hub, digest, partner) == (200, 200)
    public = hub.client.get(f"/v1/media/{digest}", headers=hub.auth(other_pusher))
    assert public.content == PHOTO and public.headers["cache-control"].startswith("public")


def test_a_story_visible_to_all_makes_its_media_visible_and_owners_see_what_they_link(hub: HubHarness) -> None:
    hub.runtime.clock = lambda: NOW
    owner = hub.agency("azertac")
    partner = hub.agency("bbc", scopes="pull", partner=True)
    digest = hub.client.post("/v1/media", content=PHOTO, headers=hub.auth(owner)).json()["sha256"]
    # Any host before the path counts: the hub may have moved to a new public URL.
    href = f"https://old-hub.example/v1/media/{digest.upper()}"
    assert hub.client.post("/v1/stories", json=with_photo("az-2", href), headers=hub.auth(owner)).status_code == 201
    assert fetch(hub, digest, partner) == (200, 200)

    # A second photo linked from another agency's embargoed story: that agency sees it
    # (its own story links it), the photo's uploader does too, partners do not.
    second = hub.client.post("/v1/media", content=PHOTO + b"2", headers=hub.auth(owner)).json()
    trend = hub.agency("trend")
    embargoed = with_photo("tr-1", second["href"], language="tr", embargoedUntil=UNTIL.isoformat())
    assert hub.client.post("/v1/stories", json=embargoed, headers=hub.auth(trend)).status_code == 201
    assert fetch(hub, second["sha256"], trend) == (200, 200)
    assert fetch(hub, second["sha256"], partner) == (404, 404)
    with hub.runtime.read() as session:
        refs = session.execute(select(MediaReference.sha256, MediaReference.version)).all()
    assert sorted(refs) == sorted([(digest, 1), (second["sha256"], 1)])


def test_uploading_bytes_already_stored_lets_the_new_uploader_see_them(hub: HubHarness) -> None:
    first = hub.agency("azertac")
    second = hub.agency("trend")
    digest = hub.client.post("/v1/media", content=PHOTO, headers=hub.auth(first)).json()["sha256"]
    assert fetch(hub, digest, second) == (404, 404)
    assert hub.client.post("/v1/media", content=PHOTO, headers=hub.auth(second)).status_code == 201
    assert fetch(hub, digest, second) == (200, 200)


def test_upgrade_backfills_uploads_and_references(database_url: str, tmp_path: Path) -> None:
    """Media visible before the upgrade to 0003 stays visible after it."""
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False)
    with HubHarness.start(settings) as hub:
        owner = hub.agency("azertac")
        linked = hub.client.post("/v1/media", content=PHOTO, headers=hub.auth(owner)).json()
        unlinked = hub.client.post("/v1/media", content=PHOTO + b"x", headers=hub.auth(owner)).json()
        pushed = hub.client.post("/v1/stories", json=with_photo("az-1", linked["href"]), headers=hub.auth(owner))
        assert pushed.status_code == 201
    downgrade(database_url, "0002")  # drops the new tables; stories and media stay
    upgrade(database_url)
    with HubHarness.start(settings) as hub:
        owner = hub.agency("azertac")
        partner = hub.agency("bbc", scopes="pull", partner=True)
        assert fetch(hub, linked["sha256"], partner) == (200, 200)
        assert fetch(hub, unlinked["sha256"], owner) == (200, 200)
        assert fetch(hub, unlinked["sha256"], partner) == (404, 404)
