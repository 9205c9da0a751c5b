"""The hub on a real S3 server (SeaweedFS) that goes away and comes back: bounded
503s, nothing committed, readiness reports it, and it recovers on its own."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from hub.models import FeedEntry, LanguageVersion, MediaObject, Story, TranslationJob
from storage import ObjectNotFound
from tests.fixtures.hub import HubHarness, story

BOUNDED_SECONDS = 10


def rows(hub: HubHarness) -> dict[str, int]:
    with hub.runtime.read() as session:
        return {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Story, LanguageVersion, MediaObject, FeedEntry, TranslationJob)
        }


def assert_no_dangling_rows(hub: HubHarness) -> None:
    with hub.runtime.read() as session:
        keys = (
            session.scalars(select(LanguageVersion.object_key)).all()
            + session.scalars(select(MediaObject.object_key)).all()
        )
    for key in keys:
        try:
            hub.runtime.store.stat_object(key)
        except ObjectNotFound:
            pytest.fail(f"a row points at a missing object: {key}")


def test_s3_down_means_503_nothing_committed_then_recovery(s3_hub: HubHarness, s3_running) -> None:  # type: ignore[no-untyped-def]
    if not getattr(s3_running, "can_restart", False):
        pytest.skip("the S3 server is external: the suite cannot stop it")
    hub = s3_hub
    key = hub.agency("azertac")
    assert hub.client.post("/v1/stories", json=story("az-0"), headers=hub.auth(key)).status_code == 201
    assert hub.client.post("/v1/media", content=b"\xff\xd8\xff first photo", headers=hub.auth(key)).status_code == 201
    before = rows(hub)

    s3_running.stop()
    try:
        for method, path, kwargs in [
            ("post", "/v1/stories", {"json": story("az-1")}),
            ("post", "/v1/stories", {"json": story("az-0", body="Dəyişdirilmiş mətn.")}),
            ("post", "/v1/media", {"content": b"\xff\xd8\xff second photo"}),
        ]:
            started = time.monotonic()
            response = getattr(hub.client, method)(path, headers=hub.auth(key), **kwargs)
            assert time.monotonic() - started < BOUNDED_SECONDS
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "storage_unavailable" and response.headers["Retry-After"]
        started = time.monotonic()
        ready = hub.client.get("/readyz")
        assert time.monotonic() - started < BOUNDED_SECONDS
        assert ready.status_code == 503 and ready.json()["checks"]["storage"].startswith("down")
        assert rows(hub) == before
    finally:
        s3_running.start()

    retried = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key))
    assert retried.status_code == 201 and retried.json()["version"] == 1
    assert hub.client.post("/v1/media", content=b"\xff\xd8\xff second photo", headers=hub.auth(key)).status_code == 201
    assert hub.client.get("/readyz").status_code == 200
    assert_no_dangling_rows(hub)


def test_media_round_trip_and_presigned_link_on_s3(s3_hub: HubHarness) -> None:
    import httpx

    hub = s3_hub
    key = hub.agency("azertac")
    body = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4000
    uploaded = hub.client.post("/v1/media", content=body, headers=hub.auth(key)).json()
    assert hub.client.get(f"/v1/media/{uploaded['sha256']}", headers=hub.auth(key)).content == body
    link = hub.client.get(f"/v1/media/{uploaded['sha256']}/link", headers=hub.auth(key)).json()["url"]
    assert link.startswith(f"http://{hub.runtime.settings.s3_endpoint}/")  # straight from the object store
    assert httpx.get(link).content == body
    assert_no_dangling_rows(hub)
