"""Presigned links cannot be forged: the signing key is configured or generated per
data dir, never the published placeholder."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hub.config import DEFAULT_SECRET
from hub.runtime import HubRuntime
from hub.signing import SECRET_FILE, signing_secret
from storage import LocalObjectStore
from storage.layout import media_key
from tests.fixtures.hub import HubHarness, make_settings

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2a1e1d40000000049454e44ae426082"
)


def forged_link(hub: HubHarness, key: str, secret: bytes) -> str:
    forger = LocalObjectStore(hub.runtime.settings.data_dir / "forger", base_url="http://x", secret=secret)
    parts = urlsplit(forger.presigned_get_object(key))
    return f"{parts.path}?{parts.query}"


def test_a_hub_on_default_settings_refuses_links_signed_with_the_placeholder(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    digest = hub.client.post("/v1/media", content=PNG, headers=hub.auth(key)).json()["sha256"]
    assert digest == hashlib.sha256(PNG).hexdigest()

    forged = hub.client.get(forged_link(hub, media_key(digest), DEFAULT_SECRET.encode()))
    assert forged.status_code == 403 and PNG not in forged.content

    secret_file = hub.runtime.settings.data_dir / SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= 64
    genuine = hub.client.get(forged_link(hub, media_key(digest), secret_file.read_text().strip().encode()))
    assert genuine.status_code == 200 and genuine.content == PNG


def test_two_runtimes_on_one_data_dir_sign_alike_across_restarts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'ulak.db'}")
    first = HubRuntime.from_settings(settings)
    second = HubRuntime.from_settings(settings)
    try:
        url = urlsplit(first.store.presigned_get_object("media/a"))
        query = dict(part.split("=", 1) for part in url.query.split("&"))
        assert second.store.verify_presigned("media/a", int(query["expires"]), query["signature"])
    finally:
        first.close()
        second.close()
    assert signing_secret(settings) == (tmp_path / "data" / SECRET_FILE).read_text().strip().encode()
    other = make_settings(tmp_path / "elsewhere", f"sqlite:///{tmp_path / 'other.db'}")
    assert signing_secret(other) != signing_secret(settings)


def test_a_configured_secret_is_used_and_the_placeholder_is_not(tmp_path: Path) -> None:
    configured = make_settings(tmp_path / "a", "sqlite://", secret_key="a-long-configured-secret-0123456789")
    assert signing_secret(configured) == b"a-long-configured-secret-0123456789"
    assert not (tmp_path / "a" / SECRET_FILE).exists()

    placeholder = make_settings(tmp_path / "b", "sqlite://", secret_key=DEFAULT_SECRET)
    assert signing_secret(placeholder) != DEFAULT_SECRET.encode()
    assert (tmp_path / "b" / SECRET_FILE).exists()


def test_a_key_file_others_can_read_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path / "data", "sqlite://")
    signing_secret(settings)
    assert "readable by other users" not in caplog.text
    (tmp_path / "data" / SECRET_FILE).chmod(0o644)
    signing_secret(settings)
    assert "readable by other users" in caplog.text
