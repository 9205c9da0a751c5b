"""The SDK on a hub whose embedded worker translates (synthetic models): the story
arrives in every language, and translations() reports what happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.agencies import service as agencies
from tests.fixtures.databases import SqliteTemplate
from tests.fixtures.hub import served_hub
from ulak_client import AsyncUlakClient, StoryTranslations, UlakClient


@pytest.fixture
def translating_hub(
    tmp_path: Path, sqlite_template: SqliteTemplate, installed_models_dir: Path
) -> Iterator[tuple[str, str]]:
    database = sqlite_template.copy_to(tmp_path / "ulak.db")
    # With its embedded worker.
    with served_hub(tmp_path, database, models_dir=installed_models_dir, worker_poll_seconds=0.05) as (url, runtime):
        with runtime.write() as session:
            agencies.create_agency(session, "azertac", name="AZERTAC")
            key = agencies.create_key(session, "azertac", "push,pull").plaintext
        yield url, key


def wait_until_translated(hub: UlakClient, story_id: str, timeout: float = 60) -> StoryTranslations:
    deadline = time.monotonic() + timeout
    while True:
        status = hub.translations(story_id)
        if {t.status for t in status.translations} == {"done"}:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def test_pushed_story_arrives_in_five_languages(translating_hub: tuple[str, str]) -> None:
    url, key = translating_hub
    with UlakClient(url, api_key=key) as hub:
        pushed = hub.push_story(
            guid="az-1",
            language="az",
            headline="Bakıda forum açılıb",
            body_text="Forum iki gün davam edəcək. Jurnalistlər gəlib.",
        )
        status = wait_until_translated(hub, pushed.id)
        assert sorted(t.language for t in status.translations) == ["en", "ru", "tr", "uz"]
        assert all(t.model and t.model.startswith("translate-") for t in status.translations)
        # The route, hop by hop: az→tr through English (two packages), az→en in one.
        route = {t.language: [(h.package, h.from_lang, h.to_lang) for h in t.route or []] for t in status.translations}
        assert route["tr"] == [("translate-az_en", "az", "en"), ("translate-en_tr", "en", "tr")]
        assert route["en"] == [("translate-az_en", "az", "en")]
        for lang in ("tr", "ru", "uz", "en"):
            entries = list(hub.feed(lang))
            assert [(e.story_id, e.version, e.language) for e in entries] == [(pushed.id, 1, lang)]
            item = hub.get_story(pushed.id, lang=lang)
            assert item.language == lang and item.is_machine_translation
            assert [s.role for s in item.info_sources] == ["originator", "translator"]
        assert not hub.get_story(pushed.id).is_machine_translation


def test_async_twin_reports_the_same_translations(translating_hub: tuple[str, str]) -> None:
    url, key = translating_hub
    with UlakClient(url, api_key=key) as hub:
        pushed = hub.push_story(guid="az-2", language="az", headline="Xəbər", body_text="Qısa mətn.")
        sync_view = wait_until_translated(hub, pushed.id)

    async def read() -> object:
        async with AsyncUlakClient(url, api_key=key) as client:
            return await client.translations(pushed.id)

    assert asyncio.run(read()) == sync_view
