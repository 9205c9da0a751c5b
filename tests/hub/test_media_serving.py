"""Media is served safely, by the hub and by the object store behind a presigned link:
nosniff on what the hub sends, and active types (HTML, SVG, XML) only as attachments,
so an agency's upload can never run script on the hub's origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from hub.models import MediaObject
from tests.fixtures.hub import HubHarness

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2a1e1d40000000049454e44ae426082"
)
ACTIVE = [
    ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("text/html", b"<html><body><script>alert(1)</script></body></html>"),
    (
        "application/xml",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
    ),
]
ACTIVE_TYPES = ("html", "svg", "xml", "javascript")


@pytest.fixture(params=["local", "s3"])
def any_hub(request: pytest.FixtureRequest, database_url: str) -> HubHarness:
    # database_url is named here so that pytest parametrises it before the lookup below.
    return request.getfixturevalue("hub" if request.param == "local" else "s3_hub")


def follow(hub: HubHarness, url: str) -> httpx.Response:
    """A presigned link as a browser would open it: on the hub, or on the S3 server."""
    if url.startswith(hub.runtime.settings.public_url):
        parts = urlsplit(url)
        return hub.client.get(f"{parts.path}?{parts.query}")
    return httpx.get(url)


@pytest.mark.parametrize(("declared", "body"), ACTIVE, ids=["svg", "html", "xml"])
def test_active_uploads_are_served_as_attachments(any_hub: HubHarness, declared: str, body: bytes) -> None:
    hub = any_hub
    key = hub.agency("azertac")
    uploaded = hub.client.post("/v1/media", content=body, headers=hub.auth(key) | {"Content-Type": declared})
    assert uploaded.status_code == 201
    assert not any(kind in uploaded.json()["contentType"] for kind in ACTIVE_TYPES)

    direct = hub.client.get(f"/v1/media/{uploaded.json()['sha256']}", headers=hub.auth(key))
    assert direct.content == body
    assert direct.headers["x-content-type-options"] == "nosniff"
    assert direct.headers["content-disposition"] == "attachment"
    assert not any(kind in direct.headers["content-type"] for kind in ACTIVE_TYPES)

    link = hub.client.get(f"/v1/media/{uploaded.json()['sha256']}/link", headers=hub.auth(key)).json()["url"]
    presigned = follow(hub, link)
    assert presigned.status_code == 200 and presigned.content == body
    assert presigned.headers["content-disposition"] == "attachment"
    assert not any(kind in presigned.headers.get("content-type", "") for kind in ACTIVE_TYPES)


def test_photos_stay_inline_and_every_hub_response_says_nosniff(any_hub: HubHarness) -> None:
    hub = any_hub
    key = hub.agency("azertac")
    digest = hub.client.post("/v1/media", content=PNG, headers=hub.auth(key)).json()["sha256"]
    direct = hub.client.get(f"/v1/media/{digest}", headers=hub.auth(key))
    assert direct.headers["content-type"] == "image/png" and "content-disposition" not in direct.headers
    link = hub.client.get(f"/v1/media/{digest}/link", headers=hub.auth(key)).json()["url"]
    presigned = follow(hub, link)
    assert presigned.content == PNG and "content-disposition" not in presigned.headers
    if hub.runtime.settings.storage_backend == "local":
        assert presigned.headers["x-content-type-options"] == "nosniff"


def test_the_attachment_override_is_part_of_the_signature(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    digest = hub.client.post("/v1/media", content=ACTIVE[1][1], headers=hub.auth(key)).json()["sha256"]
    link = hub.client.get(f"/v1/media/{digest}/link", headers=hub.auth(key)).json()["url"]
    parts = urlsplit(link)
    assert "response-content-disposition=attachment" in parts.query
    stripped = "&".join(p for p in parts.query.split("&") if not p.startswith("response-"))
    assert hub.client.get(f"{parts.path}?{stripped}").status_code == 403
    inline = parts.query.replace("response-content-disposition=attachment", "response-content-disposition=inline")
    assert hub.client.get(f"{parts.path}?{inline}").status_code == 403


def test_a_link_signed_without_overrides_still_serves_active_types_as_attachments(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    digest = hub.client.post("/v1/media", content=ACTIVE[0][1], headers=hub.auth(key)).json()["sha256"]
    with hub.runtime.read() as session:
        row = session.get(MediaObject, digest)
        assert row is not None
        row_key = row.object_key
    parts = urlsplit(hub.runtime.store.presigned_get_object(row_key))  # as links were signed before
    response = hub.client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200 and response.headers["content-disposition"] == "attachment"
    assert response.headers["x-content-type-options"] == "nosniff"
