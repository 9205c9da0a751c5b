"""Media: streamed upload, content addressing, sniffing, limits, download, presigned links."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from sqlalchemy import func, select

from hub.models import MediaObject
from tests.fixtures.hub import HubHarness

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2a1e1d40000000049454e44ae426082"
)


def test_upload_is_content_addressed_and_sniffed(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    digest = hashlib.sha256(PNG).hexdigest()
    # Declared as text/html: the sniffed type wins, so the hub never serves it as a page.
    first = hub.client.post("/v1/media", content=PNG, headers=hub.auth(key) | {"Content-Type": "text/html"})
    assert first.status_code == 201
    assert first.json() == {
        "href": f"http://127.0.0.1:8000/v1/media/{digest}",
        "sha256": digest,
        "size": len(PNG),
        "contentType": "image/png",
    }
    again = hub.client.post("/v1/media", content=PNG, headers=hub.auth(key))
    assert again.status_code == 201 and again.json() == first.json()
    stored = list(hub.runtime.store.list_objects("media/"))
    assert [o.key for o in stored] == [f"media/sha256/{digest[:2]}/{digest[2:4]}/{digest}"]

    download = hub.client.get(f"/v1/media/{digest}", headers=hub.auth(key))
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png" and download.headers["x-content-type-options"] == "nosniff"


def test_unknown_bytes_keep_a_safe_declared_type(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    body = hub.client.post(
        "/v1/media", content=b"caption text", headers=hub.auth(key) | {"Content-Type": "text/plain"}
    ).json()
    assert body["contentType"] == "text/plain"
    html = hub.client.post(
        "/v1/media", content=b"<script>x</script>", headers=hub.auth(key) | {"Content-Type": "text/html"}
    ).json()
    assert html["contentType"] == "application/octet-stream"


def test_streamed_upload_without_length_over_the_limit_is_413(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    hub.runtime.settings.max_upload_bytes = 100_000

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"\0" * 20_000

    response = hub.client.post("/v1/media", content=chunks(), headers=hub.auth(key))
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    declared = hub.client.post("/v1/media", content=b"\0" * 100_001, headers=hub.auth(key))
    assert declared.status_code == 413
    with hub.runtime.read() as session:
        assert session.scalar(select(func.count()).select_from(MediaObject)) == 0
    assert list(hub.runtime.store.list_objects("media/")) == []
    assert list((hub.runtime.settings.data_dir / "tmp").iterdir()) == []  # spool files cleaned up


def test_empty_upload_and_missing_media(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    empty = hub.client.post("/v1/media", content=b"", headers=hub.auth(key))
    assert empty.status_code == 422 and empty.json()["error"] == "invalid_request"
    assert hub.client.get("/v1/media/" + "0" * 64, headers=hub.auth(key)).status_code == 404
    puller = hub.agency("reader", scopes="pull")
    assert hub.client.post("/v1/media", content=PNG, headers=hub.auth(puller)).status_code == 403


def test_presigned_link_works_without_a_key_and_is_tamper_proof(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    digest = hub.client.post("/v1/media", content=PNG, headers=hub.auth(key)).json()["sha256"]
    link = hub.client.get(f"/v1/media/{digest}/link?expires_in=60", headers=hub.auth(key)).json()
    parts = urlsplit(link["url"])
    fetched = hub.client.get(f"{parts.path}?{parts.query}")
    assert fetched.status_code == 200 and fetched.content == PNG
    tampered = parts.query.replace("signature=", "signature=0")
    assert hub.client.get(f"{parts.path}?{tampered}").status_code == 403


def test_a_multipart_upload_is_refused_with_415_naming_the_raw_body_form(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    response = hub.client.post("/v1/media", files={"file": ("photo.png", PNG, "image/png")}, headers=hub.auth(key))
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert "raw request body" in response.json()["detail"] and "--data-binary" in response.json()["detail"]
    with hub.runtime.read() as session:
        assert session.scalar(select(func.count()).select_from(MediaObject)) == 0
    assert list(hub.runtime.store.list_objects("media/")) == []
    documented = hub.client.get("/openapi.json").json()["paths"]["/v1/media"]["post"]["responses"]
    assert "415" in documented
