"""The SDK against the real hub on a real port: a push without a language is identified and
says so, a contradicted declared language comes back as a warning and as the story's
language check, and text with nothing to identify is a ValidationError naming the field."""

from __future__ import annotations

import asyncio

import pytest

from tests.clients.conftest import LiveHub
from tests.data.news_sentences import NEWS_SENTENCES
from ulak_client import AsyncUlakClient, PushWarning, UlakClient, ValidationError


def test_push_without_language_is_identified(live_hub: LiveHub) -> None:
    _, key = live_hub.agency("kazinform")
    kazakh = NEWS_SENTENCES["kk"]
    with UlakClient(live_hub.url, key) as hub:
        result = hub.push_story(guid="kk-1", headline=kazakh[0], body_text=" ".join(kazakh[1:4]))
        assert result.created and result.language == "kk" and result.language_identified
        assert result.warnings == []
        assert hub.get_story(result.id).language == "kk"
        assert hub.translations(result.id).language_check is None


def test_async_push_reports_a_language_mismatch(live_hub: LiveHub) -> None:
    _, key = live_hub.agency("azertac")
    russian = NEWS_SENTENCES["ru"]

    async def scenario() -> None:
        async with AsyncUlakClient(live_hub.url, key) as hub:
            result = await hub.push_story(
                guid="ru-as-az", language="az", headline=russian[0], body_text=" ".join(russian[1:4])
            )
            assert result.language == "az" and not result.language_identified
            assert [w.code for w in result.warnings] == ["language_mismatch"]
            assert isinstance(result.warnings[0], PushWarning) and "'ru'" in result.warnings[0].message
            check = (await hub.translations(result.id)).language_check
            assert check is not None and (check.declared, check.identified) == ("az", "ru") and check.score >= 0.8

    asyncio.run(scenario())


def test_nothing_to_identify_is_a_validation_error(live_hub: LiveHub) -> None:
    _, key = live_hub.agency("azertac")
    with UlakClient(live_hub.url, key) as hub, pytest.raises(ValidationError) as raised:
        hub.push_story(guid="digits-1", headline="12:45", body_text="+994 12 555 55 55")
    assert raised.value.status_code == 422 and "set `language`" in raised.value.detail
    assert [f["field"] for f in raised.value.fields] == ["language"]
