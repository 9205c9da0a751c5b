"""Against the real hub: a newsroom process killed mid-entry resumes exactly, and the
sync and async clients give identical results."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ulak_client import (
    AsyncUlakClient,
    Checkpoint,
    FeedPosition,
    NotFound,
    PermissionDenied,
    UlakClient,
    ValidationError,
)

if TYPE_CHECKING:
    from tests.clients.conftest import LiveHub

# A newsroom reader: handles each entry by appending its story id to a log, and kills
# itself with SIGKILL in the middle of handling entry number CRASH_AT (before the log
# line is written), like a process that dies on a bad story or a power cut.
NEWSROOM = textwrap.dedent(
    """
    import os, signal, sys
    from ulak_client import Checkpoint, UlakClient
    url, key, agency, checkpoint_path, log_path, crash_at, page_size = sys.argv[1:]
    with UlakClient(url, key) as hub, open(log_path, "a") as log:
        feed = hub.feed("az", agency=agency, checkpoint=Checkpoint(checkpoint_path), page_size=int(page_size))
        for number, entry in enumerate(feed):
            if number == int(crash_at):
                os.kill(os.getpid(), signal.SIGKILL)
            log.write(entry.story_id + "\\n")
            log.flush()
            os.fsync(log.fileno())
    """
)


def run_newsroom(live_hub: LiveHub, key: str, agency: str, tmp_path: Path, *, crash_at: int, page_size: int) -> int:
    args = [str(tmp_path / "az.cursor"), str(tmp_path / "handled.log"), str(crash_at), str(page_size)]
    child = subprocess.run([sys.executable, "-c", NEWSROOM, live_hub.url, key, agency, *args], timeout=60)
    return child.returncode


@pytest.mark.parametrize(("crash_at", "page_size"), [(0, 4), (6, 4), (8, 4), (11, 5)])
def test_killed_reader_resumes_exactly_where_it_stopped(
    live_hub: LiveHub, tmp_path: Path, crash_at: int, page_size: int
) -> None:
    code, key = live_hub.agency("crash")
    with UlakClient(live_hub.url, key) as hub:
        ids = [
            hub.push_story(guid=f"urn:crash:{n}", language="az", headline=f"Xəbər {n}", body_text="Mətn.").id
            for n in range(14)
        ]
    assert run_newsroom(live_hub, key, code, tmp_path, crash_at=crash_at, page_size=page_size) == -9
    log = tmp_path / "handled.log"
    handled_before = log.read_text().split() if log.exists() else []
    assert handled_before == ids[:crash_at]

    # The checkpoint names exactly the last entry the dead process finished.
    position = Checkpoint(tmp_path / "az.cursor").load()
    if crash_at == 0:
        assert position is None
    else:
        assert position is not None and position.last == (ids[crash_at - 1], 1, "az")
        assert (position.lang, position.agency) == ("az", code)
        assert position.skip == (crash_at % page_size)

    # The restarted process (with a different page size, even) does the rest, once each.
    assert run_newsroom(live_hub, key, code, tmp_path, crash_at=10**6, page_size=3) == 0
    assert log.read_text().split() == ids
    assert Checkpoint(tmp_path / "az.cursor").load() == FeedPosition(
        "az", agency=code, after=_final_cursor(live_hub, key, code), last=(ids[-1], 1, "az")
    )


def _final_cursor(live_hub: LiveHub, key: str, agency: str) -> str:
    with UlakClient(live_hub.url, key) as hub:
        return hub.feed_page("az", agency=agency, limit=1000).next


def _sync_session(live_hub: LiveHub, key: str, agency: str, story_ids: list[str]) -> dict[str, Any]:
    with UlakClient(live_hub.url, key) as hub:
        results: dict[str, Any] = {
            "repush": hub.push_story(
                guid="urn:twin:0", language="tr", headline="Başlık 0", body_text="Metin 0."
            ).to_json_dict(),
            "stories": [hub.get_story(i).to_json_dict() for i in story_ids],
            "versions": [hub.versions(i).to_json_dict() for i in story_ids],
            "feed": [e.to_json_dict() for e in hub.feed("tr", agency=agency, page_size=2)],
        }
        try:
            hub.get_story(story_ids[0], lang="ky")
        except NotFound as exc:
            results["missing"] = (type(exc).__name__, exc.status_code, exc.code)
        try:
            hub.push_story({"uri": "urn:twin:bad", "language": "tr"})
        except ValidationError as exc:
            results["invalid"] = (type(exc).__name__, exc.status_code, sorted(f["field"] for f in exc.fields))
        return results


async def _async_session(live_hub: LiveHub, key: str, agency: str, story_ids: list[str]) -> dict[str, Any]:
    async with AsyncUlakClient(live_hub.url, key) as hub:
        results: dict[str, Any] = {
            "repush": (
                await hub.push_story(guid="urn:twin:0", language="tr", headline="Başlık 0", body_text="Metin 0.")
            ).to_json_dict(),
            "stories": [(await hub.get_story(i)).to_json_dict() for i in story_ids],
            "versions": [(await hub.versions(i)).to_json_dict() for i in story_ids],
            "feed": [e.to_json_dict() async for e in hub.feed("tr", agency=agency, page_size=2)],
        }
        try:
            await hub.get_story(story_ids[0], lang="ky")
        except NotFound as exc:
            results["missing"] = (type(exc).__name__, exc.status_code, exc.code)
        try:
            await hub.push_story({"uri": "urn:twin:bad", "language": "tr"})
        except ValidationError as exc:
            results["invalid"] = (type(exc).__name__, exc.status_code, sorted(f["field"] for f in exc.fields))
        return results


def test_sync_and_async_clients_give_identical_results(live_hub: LiveHub) -> None:
    code, key = live_hub.agency("twin")
    with UlakClient(live_hub.url, key) as hub:
        story_ids = [
            hub.push_story(guid=f"urn:twin:{n}", language="tr", headline=f"Başlık {n}", body_text=f"Metin {n}.").id
            for n in range(5)
        ]
    sync_results = _sync_session(live_hub, key, code, story_ids)
    async_results = asyncio.run(_async_session(live_hub, key, code, story_ids))
    assert json.dumps(sync_results, sort_keys=True, default=str) == json.dumps(
        async_results, sort_keys=True, default=str
    )
    assert [e["storyId"] for e in sync_results["feed"]] == story_ids
    assert sync_results["repush"]["id"] == story_ids[0]
    assert sync_results["missing"] == ("NotFound", 404, "not_found")
    assert sync_results["invalid"][:2] == ("ValidationError", 422) and "headlines" in sync_results["invalid"][2]


def test_async_client_uploads_streams_and_gets_typed_errors(live_hub: LiveHub, tmp_path: Path) -> None:
    owner_code, owner_key = live_hub.agency("async")
    _, other_key = live_hub.agency("async")
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"async-photo" * 1000)

    async def chunks() -> Any:
        for part in (b"\x89PNG\r\n\x1a\n", b"streamed-async" * 500):
            yield part

    async def scenario() -> tuple[Any, ...]:
        async with AsyncUlakClient(live_hub.url, owner_key) as owner, AsyncUlakClient(live_hub.url, other_key) as other:
            from_path = await owner.upload_media(photo)
            from_stream = await owner.upload_media(chunks())
            pushed = await owner.push_story(
                guid="urn:async:1", language="uz", headline="Sarlavha", body_text="Matn.", media=[from_path]
            )
            with pytest.raises(PermissionDenied):
                await other.kill(pushed.id)
            killed = await owner.kill(pushed.id)
            entries = [e async for e in owner.feed("uz", agency=owner_code)]
            return from_path, from_stream, pushed, killed, entries

    from_path, from_stream, pushed, killed, entries = asyncio.run(scenario())
    assert (from_path.size, from_path.content_type) == (photo.stat().st_size, "image/png")
    assert from_stream.size == len(b"\x89PNG\r\n\x1a\n" + b"streamed-async" * 500)
    assert killed.pub_status == "canceled"
    assert [(e.story_id, e.pub_status) for e in entries] == [(pushed.id, "usable"), (pushed.id, "canceled")]
    assert entries[0].item.associations[0].uri == from_path.href
