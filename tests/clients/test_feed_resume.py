"""Feed iteration and exact resume, driven through the clients over an in-memory feed.

The feed here is a tiny stand-in for the hub's cursor contract (entries after a
cursor form a sequence that only grows at its end), served through
``httpx.MockTransport``, so every crash point and page size can be tried in
milliseconds. ``test_against_hub.py`` repeats the essential cases on the real hub.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from ulak_client import (
    AsyncUlakClient,
    Checkpoint,
    CheckpointError,
    FeedPosition,
    MemoryCheckpoint,
    RetryPolicy,
    ServiceUnavailable,
    UlakClient,
)


class InMemoryFeed:
    """Serves ``GET /v1/feed`` for one language; cursor ``c<N>`` = after the first N entries."""

    def __init__(self, count: int, lang: str = "en") -> None:
        self.lang = lang
        self.entries: list[dict[str, object]] = []
        self.requests: list[httpx.Request] = []
        self.add(count)

    def add(self, count: int) -> None:
        for _ in range(count):
            n = len(self.entries)
            self.entries.append({
                "storyId": f"st_{n}", "version": 1, "language": self.lang, "pubStatus": "usable",
                "item": {"uri": f"urn:test:{n}", "language": self.lang, "headlines": [{"value": f"story {n}"}]},
            })  # fmt: skip

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/v1/feed" and request.url.params["lang"] == self.lang
        after = request.url.params.get("after")
        start = int(after[1:]) if after else 0
        page = self.entries[start : start + int(request.url.params["limit"])]
        return httpx.Response(200, json={"entries": page, "next": f"c{start + len(page)}"})


def client_for(feed: InMemoryFeed) -> UlakClient:
    return UlakClient("http://hub.test", "key", transport=httpx.MockTransport(feed))


class Crash(Exception):
    """The newsroom process dying while it handles an entry."""


def read(feed: InMemoryFeed, checkpoint: Checkpoint, page_size: int, crash_at: str | None = None) -> list[str]:
    handled: list[str] = []
    with client_for(feed) as hub:
        for entry in hub.feed("en", checkpoint=checkpoint, page_size=page_size):
            if entry.story_id == crash_at:
                raise Crash(entry.story_id)
            handled.append(entry.story_id)
    return handled


@pytest.mark.parametrize("page_size", [1, 3, 4, 10, 100])
def test_crash_at_any_entry_resumes_exactly_there(tmp_path: Path, page_size: int) -> None:
    feed = InMemoryFeed(10)
    everything = [f"st_{n}" for n in range(10)]
    for crash_index in range(10):
        checkpoint = Checkpoint(tmp_path / f"p{page_size}-c{crash_index}.json")
        with pytest.raises(Crash):
            read(feed, checkpoint, page_size, crash_at=f"st_{crash_index}")
        # The crashed run finished everything before the crash point; the restart must
        # deliver exactly the rest, beginning with the entry it was handling.
        assert read(feed, checkpoint, page_size) == everything[crash_index:], (page_size, crash_index)


def test_resume_with_a_different_page_size(tmp_path: Path) -> None:
    feed = InMemoryFeed(12)
    checkpoint = Checkpoint(tmp_path / "cursor.json")
    with pytest.raises(Crash):
        read(feed, checkpoint, page_size=5, crash_at="st_8")
    assert checkpoint.load() == FeedPosition("en", after="c5", skip=3, last=("st_7", 1, "en"))
    assert read(feed, checkpoint, page_size=2) == [f"st_{n}" for n in range(8, 12)]


def test_finished_run_leaves_cursor_at_the_end_and_picks_up_new_entries(tmp_path: Path) -> None:
    feed = InMemoryFeed(7)
    checkpoint = Checkpoint(tmp_path / "cursor.json")
    assert len(read(feed, checkpoint, page_size=3)) == 7
    assert checkpoint.load() == FeedPosition("en", after="c7", last=("st_6", 1, "en"))
    assert read(feed, checkpoint, page_size=3) == []
    feed.add(2)
    assert read(feed, checkpoint, page_size=3) == ["st_7", "st_8"]


def test_break_without_ack_redelivers_with_ack_does_not() -> None:
    feed = InMemoryFeed(5)
    checkpoint = MemoryCheckpoint()
    with client_for(feed) as hub:
        for entry in hub.feed("en", checkpoint=checkpoint, page_size=2):
            if entry.story_id == "st_1":
                break
        assert checkpoint.position is not None and checkpoint.position.last == ("st_0", 1, "en")
        stream = hub.feed("en", checkpoint=checkpoint, page_size=2)
        assert next(stream).story_id == "st_1"
        stream.ack()
        assert stream.position.last == ("st_1", 1, "en")
        assert [e.story_id for e in hub.feed("en", checkpoint=checkpoint)] == ["st_2", "st_3", "st_4"]


def test_after_starts_mid_feed_but_a_checkpoint_wins() -> None:
    feed = InMemoryFeed(6)
    with client_for(feed) as hub:
        assert [e.story_id for e in hub.feed("en", after="c4")] == ["st_4", "st_5"]
        saved = MemoryCheckpoint(FeedPosition("en", after="c1", skip=0, last=("st_0", 1, "en")))
        assert next(e.story_id for e in hub.feed("en", after="c4", checkpoint=saved)) == "st_1"


def test_checkpoint_that_disagrees_with_the_hub_is_refused() -> None:
    feed = InMemoryFeed(6)
    with client_for(feed) as hub:
        wrong_last = MemoryCheckpoint(FeedPosition("en", after="c0", skip=2, last=("st_9", 1, "en")))
        with pytest.raises(CheckpointError, match="not where the hub has it"):
            next(hub.feed("en", checkpoint=wrong_last))
        beyond_end = MemoryCheckpoint(FeedPosition("en", after="c4", skip=5))
        with pytest.raises(CheckpointError, match="has none there"):
            list(hub.feed("en", checkpoint=beyond_end, page_size=2))
        other_language = MemoryCheckpoint(FeedPosition("tr", after="c1"))
        with pytest.raises(CheckpointError, match="lang='tr'"):
            hub.feed("en", checkpoint=other_language)


def test_follow_polls_after_an_empty_page_and_yields_new_entries() -> None:
    feed = InMemoryFeed(2)
    sleeps: list[float] = []
    with client_for(feed) as hub:

        def new_entries_arrive(seconds: float) -> None:
            sleeps.append(seconds)
            feed.add(1)

        hub._sleep = new_entries_arrive
        stream = hub.feed("en", follow=True, poll_interval=0.25, page_size=10)
        seen = [next(stream).story_id for _ in range(5)]
    assert seen == ["st_0", "st_1", "st_2", "st_3", "st_4"]
    assert sleeps == [0.25, 0.25, 0.25]  # one poll interval per empty page, none while there was work
    assert [r.url.params.get("after") for r in feed.requests] == [None, "c2", "c2", "c3", "c3", "c4", "c4"]


def test_page_size_bounds() -> None:
    with client_for(InMemoryFeed(0)) as hub:
        for bad in (0, 1001):
            with pytest.raises(ValueError, match="page_size"):
                hub.feed("en", page_size=bad)


def test_async_twin_reads_and_resumes_identically(tmp_path: Path) -> None:
    feed = InMemoryFeed(9)
    sync_checkpoint = Checkpoint(tmp_path / "sync.json")
    with pytest.raises(Crash):
        read(feed, sync_checkpoint, page_size=4, crash_at="st_5")
    sync_rest = read(feed, sync_checkpoint, page_size=4)

    async def async_read(checkpoint: Checkpoint, crash_at: str | None) -> list[str]:
        handled = []
        async with AsyncUlakClient("http://hub.test", "key", transport=httpx.MockTransport(feed)) as hub:
            async for entry in hub.feed("en", checkpoint=checkpoint, page_size=4):
                if entry.story_id == crash_at:
                    raise Crash(entry.story_id)
                handled.append(entry.story_id)
        return handled

    async_checkpoint = Checkpoint(tmp_path / "async.json")
    with pytest.raises(Crash):
        asyncio.run(async_read(async_checkpoint, "st_5"))
    assert async_checkpoint.load() == FeedPosition("en", after="c4", skip=1, last=("st_4", 1, "en"))
    async_rest = asyncio.run(async_read(async_checkpoint, None))
    assert async_rest == sync_rest == ["st_5", "st_6", "st_7", "st_8"]
    assert json.loads((tmp_path / "async.json").read_text()) == json.loads((tmp_path / "sync.json").read_text())


def test_client_retries_503_then_raises_typed_error_with_retry_after() -> None:
    answers = iter([503, 503, 200, 503, 503, 503])

    def flaky(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 503:
            body = {"error": "storage_unavailable", "detail": "object store down"}
            return httpx.Response(503, json=body, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"storyId": "st_1", "versions": []})

    hub = UlakClient("http://hub.test", transport=httpx.MockTransport(flaky), retry=RetryPolicy(max_attempts=3))
    with hub:
        assert hub.versions("st_1").story_id == "st_1"
        with pytest.raises(ServiceUnavailable) as caught:
            hub.versions("st_1")
    assert (caught.value.code, caught.value.retry_after) == ("storage_unavailable", 0.0)
