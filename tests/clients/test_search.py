"""``search()`` of the SDK, sync and async, against the real hub on a loopback port (on
SQLite and on PostgreSQL): typed results, cross-script matches, pages, refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.agencies import service as agencies
from tests.fixtures.hub import served_hub
from ulak_client import AsyncUlakClient, NotFound, SearchPage, SearchResult, UlakClient, ValidationError

STORIES = [
    ("uz-1", "Тошкент шаҳрида янги кўприк қурилди", "Кўприк Тошкент шаҳри марказида жойлашган."),
    ("uz-2", "Toshkentda xalqaro kitob yarmarkasi", "Yarmarka Toshkent shahrida uch kun davom etadi."),
    ("uz-3", "Samarqandda sayyohlar soni oshdi", "Toshkent va Samarqand o‘rtasida yangi poyezd."),
]


def test_search_returns_typed_pages_sync_and_async(database_url: str, tmp_path: Path) -> None:
    with served_hub(tmp_path / "data", database_url, embedded_worker=False) as (url, runtime):
        with runtime.write() as session:
            agencies.create_agency(session, "uza", name="UzA")
            key = agencies.create_key(session, "uza", "push,pull").plaintext
        with UlakClient(url, key) as hub:
            ids = [
                hub.push_story(guid=guid, language="uz", headline=headline, body_text=body).id
                for guid, headline, body in STORIES
            ]
            page = hub.search("Тошкент", lang="uz", limit=2)
            assert isinstance(page, SearchPage) and all(isinstance(r, SearchResult) for r in page.results)
            assert [r.story_id for r in page.results] == [ids[2], ids[1]]  # newest first
            assert page.next is not None
            rest = hub.search("Тошкент", lang="uz", limit=2, after=page.next)
            assert [r.story_id for r in rest.results] == [ids[0]] and rest.next is None
            first = rest.results[0]
            assert (first.version, first.language, first.headline) == (1, "uz", STORIES[0][1])
            assert first.snippet == STORIES[0][2]
            assert first.version_created.tzinfo is not None
            assert hub.search('"kitob yarmarkasi"').results[0].story_id == ids[1]
            assert hub.search("toshkent", since=datetime(2100, 1, 1, tzinfo=UTC)).results == []

            refusals = {
                "lang": lambda: hub.search("toshkent", lang="xx"),
                "q": lambda: hub.search("?!"),
                "since": lambda: hub.search("toshkent", since=datetime(2026, 1, 1)),  # no timezone
            }
            for field, call in refusals.items():
                with pytest.raises(ValidationError) as refused:
                    call()
                assert refused.value.status_code == 422 and refused.value.detail.startswith(f"{field}:")
            with pytest.raises(NotFound):
                hub.search("toshkent", agency="nobody")

        async def search_async() -> SearchPage:
            async with AsyncUlakClient(url, key) as client:
                return await client.search("Toshkent", lang="uz", limit=10)

        both = asyncio.run(search_async())
        assert [r.story_id for r in both.results] == [ids[2], ids[1], ids[0]]
        assert both.results[:2] == page.results
