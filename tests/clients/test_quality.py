"""The SDK's quality filter and flags against the real hub (uvicorn on a loopback port),
whose synthetic models loop when made to decode long: every translation is flagged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.agencies import service as agencies
from hub.jobs.worker import TranslationWorker, build_engine
from tests.fixtures.databases import SqliteTemplate
from tests.fixtures.hub import served_hub
from ulak_client import AsyncUlakClient, CheckpointError, FeedPage, MemoryCheckpoint, UlakClient

BODY = "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən jurnalistlər iştirak edir."


@dataclass
class FlaggingHub:
    url: str
    key: str
    story_id: str


@pytest.fixture(scope="module")
def flagging_hub(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate, installed_models_dir: Path
) -> Iterator[FlaggingHub]:
    data_dir = tmp_path_factory.mktemp("quality-hub")
    database = sqlite_template.copy_to(data_dir / "ulak.db")
    settings = {"models_dir": installed_models_dir, "embedded_worker": False, "translation_min_decoding_length": 40}
    with served_hub(data_dir, database, **settings) as (url, runtime):
        with runtime.write() as session:
            agencies.create_agency(session, "azertac", name="AZERTAC")
            key = agencies.create_key(session, "azertac", "push,pull").plaintext
        with UlakClient(url, api_key=key) as client:
            pushed = client.push_story(guid="az-1", language="az", headline="Bakıda media forumu", body_text=BODY)
        engine = build_engine(runtime.settings)
        TranslationWorker(runtime, engine).run_until_idle()
        engine.close()
        yield FlaggingHub(url, key, pushed.id)


def test_translation_status_carries_the_flag_and_reasons(flagging_hub: FlaggingHub) -> None:
    with UlakClient(flagging_hub.url, api_key=flagging_hub.key) as hub:
        status = hub.translations(flagging_hub.story_id)
    assert {t.language: t.quality for t in status.translations} == dict.fromkeys(["en", "ru", "tr", "uz"], "review")
    for translation in status.translations:
        codes = [reason.code for reason in translation.quality_reasons or []]
        assert "length_ratio" in codes and "missing_numbers" in codes
        assert any("40" in r.message for r in translation.quality_reasons or [] if r.code == "missing_numbers")


def test_feed_filter_leaves_flagged_translations_out_but_keeps_the_original(flagging_hub: FlaggingHub) -> None:
    with UlakClient(flagging_hub.url, api_key=flagging_hub.key) as hub:
        assert [(e.story_id, e.quality) for e in hub.feed("en")] == [(flagging_hub.story_id, "review")]
        assert list(hub.feed("en", quality="ok")) == []
        originals = list(hub.feed("az", quality="ok"))
        assert [(e.story_id, e.language, e.quality) for e in originals] == [(flagging_hub.story_id, "az", "ok")]
        # The filtered page moved past the flagged entry, as the unfiltered one did.
        assert hub.feed_page("en", quality="ok").next == hub.feed_page("en").next


def test_async_twin_filters_the_same(flagging_hub: FlaggingHub) -> None:
    async def read() -> tuple[FeedPage, FeedPage]:
        async with AsyncUlakClient(flagging_hub.url, api_key=flagging_hub.key) as client:
            return await client.feed_page("en", quality="ok"), await client.feed_page("en")

    filtered, unfiltered = asyncio.run(read())
    assert filtered.entries == [] and [e.quality for e in unfiltered.entries] == ["review"]


def test_a_checkpoint_remembers_its_filter(flagging_hub: FlaggingHub) -> None:
    checkpoint = MemoryCheckpoint()
    with UlakClient(flagging_hub.url, api_key=flagging_hub.key) as hub:
        feed = hub.feed("az", quality="ok", checkpoint=checkpoint)
        assert [e.language for e in feed] == ["az"]
        assert checkpoint.position is not None and checkpoint.position.quality == "ok"
        with pytest.raises(CheckpointError, match="quality='ok'"):
            hub.feed("az", checkpoint=checkpoint)
