"""The SDK against the real hub (uvicorn on a loopback port): push, media, feed, errors, retries."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ulak_client import (
    AuthenticationError,
    MediaObject,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RetryPolicy,
    ServiceUnavailable,
    TransportError,
    UlakClient,
    UnsupportedMediaType,
    ValidationError,
)

if TYPE_CHECKING:
    from tests.clients.conftest import LiveHub

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def unique_png(tag: str) -> bytes:
    """PNG-looking bytes no other test uploads (the hub stores media by sha256)."""
    return PNG + tag.encode()


def push_n(hub: UlakClient, prefix: str, count: int, language: str = "az") -> list[str]:
    ids = []
    for n in range(count):
        result = hub.push_story(
            guid=f"urn:{prefix}:{n}", language=language, headline=f"Xəbər {n}", body_text=f"Mətn {n}."
        )
        ids.append(result.id)
    return ids


def test_push_is_idempotent_and_a_change_is_a_new_version(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()
    with UlakClient(live_hub.url, key) as hub:
        first = hub.push_story(guid="urn:t:1", language="az", headline="Başlıq", body_text="Bir cümlə.", urgency=3)
        again = hub.push_story(guid="urn:t:1", language="az", headline="Başlıq", body_text="Bir cümlə.", urgency=3)
        changed = hub.push_story(
            guid="urn:t:1", language="az", headline="Başlıq", body_html="<p>Düzəliş.</p>", urgency=3
        )
        history = hub.versions(first.id)
        current = hub.get_story(first.id)
    assert (first.created, first.version, first.status) == (True, 1, "usable")
    assert (again.created, again.id, again.version) == (False, first.id, 1)
    assert (changed.created, changed.id, changed.version) == (True, first.id, 2)
    assert [v.version for v in history.versions] == [1, 2]
    assert history.versions[0].content_hash != history.versions[1].content_hash
    assert (current.version, current.language, current.body, current.urgency) == ("2", "az", "<p>Düzəliş.</p>", 3)
    assert current.bodies[0].content_type == "text/html"


def test_media_is_streamed_up_and_attached_to_a_story(live_hub: LiveHub, tmp_path: Path) -> None:
    _, key = live_hub.agency()
    photo = tmp_path / "photo.png"
    photo.write_bytes(unique_png("path"))
    handle_bytes, chunked_bytes = unique_png("file"), unique_png("chunks")
    (tmp_path / "other.png").write_bytes(handle_bytes)
    with UlakClient(live_hub.url, key) as hub:
        from_path = hub.upload_media(photo)
        with (tmp_path / "other.png").open("rb") as handle:
            from_file = hub.upload_media(handle)
        # A generator has no length: sent chunked.
        from_chunks = hub.upload_media(iter([chunked_bytes[:100], chunked_bytes[100:]]))
        pushed = hub.push_story(
            guid="urn:media:1", language="tr", headline="Foto", body_text="Metin.", media=[from_path, from_file]
        )
        story = hub.get_story(pushed.id, lang="tr")
    assert from_path.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert (from_path.size, from_path.content_type) == (len(photo.read_bytes()), "image/png")
    assert from_file.sha256 == hashlib.sha256(handle_bytes).hexdigest()
    assert (from_chunks.sha256, from_chunks.size) == (hashlib.sha256(chunked_bytes).hexdigest(), len(chunked_bytes))
    assert [(a.name, a.uri, a.type) for a in story.associations] == [
        ("media1", from_path.href, "picture"), ("media2", from_file.href, "picture"),
    ]  # fmt: skip
    assert story.associations[0].renditions[0].size_in_bytes == from_path.size


def test_uploading_the_same_bytes_again_returns_the_same_object(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()
    data = unique_png("twice")
    with UlakClient(live_hub.url, key) as hub:
        first, again = hub.upload_media(data), hub.upload_media(data)
    assert first == again and first.size == len(data)


def test_media_downloads_byte_for_byte(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()
    data = unique_png("download")
    with UlakClient(live_hub.url, key) as hub:
        media = hub.upload_media(data)
        assert hub.download_media(media.href) == data
        assert hub.download_media(media.sha256) == data


def test_feed_follows_next_across_pages(live_hub: LiveHub) -> None:
    code, key = live_hub.agency()
    requests: list[httpx.Request] = []
    with (
        httpx.Client(event_hooks={"request": [requests.append]}) as http,
        UlakClient(live_hub.url, key, http_client=http) as hub,
    ):
        ids = push_n(hub, "pages", 23)
        requests.clear()
        entries = list(hub.feed("az", agency=code, page_size=5))
    assert [e.story_id for e in entries] == ids
    assert [e.item.headline for e in entries] == [f"Xəbər {n}" for n in range(23)]
    assert {(e.version, e.language, e.pub_status) for e in entries} == {(1, "az", "usable")}
    # 5 pages (the last one short), then one empty page that says we are caught up.
    assert len(requests) == 6
    assert [r.url.params["limit"] for r in requests] == ["5"] * 6
    assert "after" not in requests[0].url.params and all("after" in r.url.params for r in requests[1:])


def test_follow_mode_yields_stories_pushed_while_following(live_hub: LiveHub) -> None:
    code, key = live_hub.agency()
    with UlakClient(live_hub.url, key) as hub:
        before = push_n(hub, "follow-before", 2)

        def push_later() -> None:
            with UlakClient(live_hub.url, key) as pusher:
                for n in range(3):
                    time.sleep(0.15)
                    pusher.push_story(
                        guid=f"urn:follow-after:{n}", language="az", headline=f"Sonra {n}", body_text="Mətn."
                    )

        pusher = threading.Thread(target=push_later)
        pusher.start()
        seen = []
        for entry in hub.feed("az", agency=code, follow=True, poll_interval=0.05):
            seen.append(entry.item.headline)
            if len(seen) == 5:
                break
        pusher.join()
    assert seen == ["Xəbər 0", "Xəbər 1", "Sonra 0", "Sonra 1", "Sonra 2"]
    assert len(before) == 2


def test_errors_map_to_typed_exceptions(live_hub: LiveHub) -> None:
    owner_code, owner_key = live_hub.agency()
    _, other_key = live_hub.agency()
    pull_only = live_hub.key(owner_code, "pull")
    with UlakClient(live_hub.url, owner_key) as owner:
        story = owner.push_story(guid="urn:err:1", language="ru", headline="Заголовок", body_text="Текст.")
        with pytest.raises(NotFound) as missing:
            owner.get_story("no-such-story")
        with pytest.raises(NotFound):
            owner.get_story(story.id, lang="uz")  # not translated (no worker here)
        with pytest.raises(ValidationError) as invalid:
            owner.push_story({"uri": "urn:err:2", "language": "ru", "headlines": [{"role": "main", "value": "x"}]})
        with pytest.raises(ValidationError) as bad_language:
            owner.push_story(guid="urn:err:3", language="xx", headline="h", body_text="b")
        with pytest.raises(PayloadTooLarge):
            owner.upload_media(b"\0" * (live_hub.settings.max_upload_bytes + 1))
        with pytest.raises(UnsupportedMediaType) as multipart:
            owner.upload_media(b"--x--", content_type="multipart/form-data; boundary=x")
    with UlakClient(live_hub.url, "not-a-key") as stranger, pytest.raises(AuthenticationError) as unauthorized:
        stranger.feed_page("ru")
    with UlakClient(live_hub.url, pull_only) as reader, pytest.raises(PermissionDenied):
        reader.push_story(guid="urn:err:4", language="ru", headline="h", body_text="b")
    with UlakClient(live_hub.url, other_key) as other, pytest.raises(PermissionDenied) as not_owner:
        other.kill(story.id)
    assert (missing.value.status_code, missing.value.code) == (404, "not_found")
    assert any(f["field"] == "bodies" for f in invalid.value.fields), invalid.value.fields
    assert "supported" in bad_language.value.detail
    assert (unauthorized.value.status_code, unauthorized.value.code) == (401, "unauthorized")
    assert not_owner.value.code == "forbidden"
    assert (multipart.value.status_code, multipart.value.code) == (415, "unsupported_media_type")


def test_kill_appears_in_the_feed(live_hub: LiveHub) -> None:
    code, key = live_hub.agency()
    with UlakClient(live_hub.url, key) as hub:
        [story_id] = push_n(hub, "kill", 1)
        killed = hub.kill(story_id)
        entries = list(hub.feed("az", agency=code))
    assert (killed.id, killed.pub_status) == (story_id, "canceled")
    assert [(e.story_id, e.pub_status) for e in entries] == [(story_id, "usable"), (story_id, "canceled")]


def test_push_waits_out_a_503_and_honours_retry_after(live_hub: LiveHub, caplog: pytest.LogCaptureFixture) -> None:
    _, key = live_hub.agency()
    caplog.set_level(logging.INFO, logger="ulak_client")
    with UlakClient(live_hub.url, key) as hub, live_hub.storage_down():
        # The store comes back while the client waits out the hub's Retry-After.
        recovery = threading.Timer(0.3, live_hub.storage_up)
        recovery.start()
        started = time.monotonic()
        result = hub.push_story(guid="urn:retry:1", language="en", headline="Back", body_text="Up again.")
        elapsed = time.monotonic() - started
        recovery.join()
    retries = [r.getMessage() for r in caplog.records if "answered 503" in r.getMessage()]
    assert result.created and result.version == 1
    assert len(retries) == 1, retries
    assert 1.0 <= elapsed < 3.0  # Retry-After: 1, not the 0.5 s of the first backoff step


def test_a_503_that_lasts_raises_service_unavailable(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()
    with UlakClient(live_hub.url, key, retry=RetryPolicy(max_attempts=2)) as hub, live_hub.storage_down():
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as down:
            hub.upload_media(unique_png("down"))
        elapsed = time.monotonic() - started
    assert (down.value.status_code, down.value.code, down.value.retry_after) == (503, "storage_unavailable", 1.0)
    assert 1.0 <= elapsed < 3.0  # exactly one wait of Retry-After between the two attempts


def test_unreachable_hub_is_a_transport_error_after_retries(live_hub: LiveHub) -> None:
    from tests.fixtures.hub import free_port

    policy = RetryPolicy(max_attempts=3, backoff=0.01)
    with UlakClient(f"http://127.0.0.1:{free_port()}", "k", retry=policy) as hub:
        sleeps: list[float] = []
        hub._sleep = sleeps.append
        with pytest.raises(TransportError, match="ConnectError"):
            hub.versions("x")
    assert len(sleeps) == 2 and all(0.005 <= s <= 0.02 for s in sleeps)


def test_media_object_from_the_hub_builds_a_valid_association(live_hub: LiveHub) -> None:
    _, key = live_hub.agency()
    with UlakClient(live_hub.url, key) as hub:
        media: MediaObject = hub.upload_media(unique_png("assoc"), content_type="image/png")
        story = {
            "uri": "urn:assoc:1", "language": "en",
            "headlines": [{"role": "main", "value": "With a photo"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "See the photo."}],
            "associations": [media.as_association("photo", rel="illustration").to_json_dict()],
        }  # fmt: skip
        pushed = hub.push_story(story)
        [association] = hub.get_story(pushed.id).associations
    assert (association.name, association.rel, association.uri) == ("photo", "illustration", media.href)
