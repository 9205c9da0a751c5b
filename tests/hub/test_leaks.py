"""Nothing about the deployment leaks: storage failures and readiness say what is
wrong without naming the S3 endpoint, its access key, the bucket or a filesystem
path (those go to the log), and /metrics is for admins."""

from __future__ import annotations

import shutil

import pytest

from tests.fixtures.hub import HubHarness, story

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2a1e1d40000000049454e44ae426082"
)


def assert_says_nothing_of(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked in {text!r}"


def test_s3_down_names_neither_endpoint_nor_key_nor_bucket(s3_hub: HubHarness, s3_running) -> None:  # type: ignore[no-untyped-def]
    if not getattr(s3_running, "can_restart", False):
        pytest.skip("the S3 server is external: the suite cannot stop it")
    hub = s3_hub
    key = hub.agency("azertac")
    digest = hub.client.post("/v1/media", content=PNG, headers=hub.auth(key)).json()["sha256"]
    s3_running.stop()
    try:
        responses = [
            hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)),
            hub.client.post("/v1/media", content=PNG + b"more", headers=hub.auth(key)),
            hub.client.get(f"/v1/media/{digest}", headers=hub.auth(key)),
            hub.client.get("/readyz"),
        ]
    finally:
        s3_running.start()
    assert [r.status_code for r in responses] == [503, 503, 503, 503]
    assert responses[-1].json()["checks"]["storage"] == "down: object store unreachable"
    port = s3_running.endpoint.rsplit(":", 1)[1]
    settings = hub.runtime.settings
    assert_says_nothing_of(
        [r.text for r in responses], [s3_running.endpoint, f":{port}", s3_running.access_key, settings.s3_bucket]
    )


def test_an_unwritable_local_store_names_no_path(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    # The store's staging directory replaced by a file: no write can succeed, even as root.
    staging = hub.runtime.store.root / "staging"
    shutil.rmtree(staging)
    staging.write_text("not a directory")
    responses = [
        hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)),
        hub.client.post("/v1/media", content=PNG, headers=hub.auth(key)),
        hub.client.get("/readyz"),
    ]
    assert [r.status_code for r in responses] == [503, 503, 503]
    assert all(r.json().get("error", "storage_unavailable") == "storage_unavailable" for r in responses)
    data_dir = hub.runtime.settings.data_dir.resolve()
    assert_says_nothing_of([r.text for r in responses], [str(data_dir), "staging", "/tmp/"])


def test_metrics_are_for_admins(hub: HubHarness) -> None:
    pusher = hub.agency("azertac")
    admin = hub.agency("ops", scopes="admin")
    assert hub.client.get("/metrics").status_code == 401
    assert hub.client.get("/metrics", headers=hub.auth(pusher)).status_code == 403
    scraped = hub.client.get("/metrics", headers=hub.auth(admin))
    assert scraped.status_code == 200 and "ulak_queue_depth" in scraped.text
