"""What search shows: current versions only, in every language the hub has them in
(translations as the worker writes them, post-edits as the editor saves them); never a
killed or withheld story, nor an uncommitted version; an embargoed story to its owner
only, and to everyone once the embargo passes, with no reindex. On both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.jobs.worker import TranslationWorker
from hub.search import index as search_index
from hub.stories import repository as stories
from tests.fixtures.hub import HubHarness, make_settings, story

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def push(hub: HubHarness, key: str, guid: str, **fields: Any) -> dict[str, Any]:
    response = hub.client.post("/v1/stories", json=story(guid, **fields), headers=hub.auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def results(hub: HubHarness, key: str, q: str, **params: Any) -> list[tuple[str, int, str]]:
    response = hub.client.get("/v1/search", params={"q": q, **params}, headers=hub.auth(key))
    assert response.status_code == 200, response.text
    return [(r["storyId"], r["version"], r["language"]) for r in response.json()["results"]]


def test_killed_and_withheld_stories_are_never_returned(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    killed = push(hub, key, "k", headline="Neft qiymətləri düşüb")["id"]
    withheld = push(hub, key, "w", headline="Neft hasilatı artıb")["id"]
    assert {r[0] for r in results(hub, key, "neft")} == {killed, withheld}
    assert hub.client.post(f"/v1/stories/{killed}/kill", headers=hub.auth(key)).status_code == 200
    assert hub.client.post(f"/v1/stories/{withheld}/withhold", headers=hub.auth(key)).status_code == 200
    assert results(hub, key, "neft") == []
    # A withheld story comes back with its next version, and only that version.
    push(hub, key, "w", headline="Neft hasilatı artıb (düzəliş)")
    assert results(hub, key, "neft") == [(withheld, 2, "az")]


def test_a_new_version_replaces_the_old_one(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    story_id = push(hub, key, "s", headline="Bakıda güclü külək", body="Küləyin sürəti 20 metrə çatıb.")["id"]
    assert results(hub, key, "külək") == [(story_id, 1, "az")]
    push(hub, key, "s", headline="Bakıda leysan yağış", body="Yağış axşama qədər davam edəcək.")
    assert results(hub, key, "külək") == []
    assert results(hub, key, "yağış") == [(story_id, 2, "az")]


def test_an_embargo_hides_a_story_from_others_until_it_passes(hub: HubHarness) -> None:
    owner, partner = hub.agency("azertac"), hub.agency("trt", scopes="pull", partner=True)
    hub.runtime.clock = lambda: NOW
    until = NOW + timedelta(hours=1)
    story_id = push(hub, owner, "e", headline="Prezident fərman imzalayıb", embargoedUntil=until.isoformat())["id"]
    assert results(hub, owner, "fərman") == [(story_id, 1, "az")]
    assert results(hub, partner, "fərman") == []
    # Released by the clock alone: no feed read, no reindex, nothing written in between.
    hub.runtime.clock = lambda: until
    assert results(hub, partner, "fərman") == [(story_id, 1, "az")]


def test_search_never_sees_an_uncommitted_version(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    story_id = push(hub, key, "u", headline="Xəzər dənizində fırtına")["id"]

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), hub.runtime.write() as session:
        row = stories.story_by_id(session, story_id)
        assert row is not None
        document = story("u", headline="Xəzər dənizində sakitlik")
        search_index.index_new_version(session, row, 2, "az", document, NOW)
        assert results(hub, key, "sakitlik") == []  # another connection, while the writer is open
        raise RolledBack
    assert results(hub, key, "sakitlik") == []
    assert results(hub, key, "fırtına") == [(story_id, 1, "az")]


@pytest.fixture
def translating_hub(database_url: str, tmp_path: Path, installed_models_dir: Path) -> Iterator[HubHarness]:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        embedded_worker=False,
        models_dir=installed_models_dir,
        target_languages=("az", "tr"),
        translation_memory=False,
    )
    with HubHarness.start(settings) as harness:
        yield harness


def test_translations_and_post_edits_are_searchable_in_their_language(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    hub = translating_hub
    key = hub.agency("azertac")
    story_id = push(hub, key, "t", headline="Bakıda media forumu", body="Forumda jurnalistlər iştirak edir.")["id"]
    assert results(hub, key, "forumu", lang="tr") == []  # not translated yet
    worker.run_until_idle()
    machine = hub.client.get(f"/v1/stories/{story_id}?lang=tr", headers=hub.auth(key)).json()
    machine_word = machine["headlines"][0]["value"].split()[0]
    assert (story_id, 1, "tr") in results(hub, key, machine_word, lang="tr")

    edit = {
        "version": 1,
        "headlines": [{"value": "Bakü'de medya forumu"}],
        "bodies": [{"value": "Foruma gazeteciler katılıyor."}],
    }
    response = hub.client.put(f"/v1/stories/{story_id}/translations/tr", json=edit, headers=hub.auth(key))
    assert response.status_code == 200, response.text
    assert results(hub, key, '"medya forumu"') == [(story_id, 1, "tr")]
    assert results(hub, key, "gazeteciler", lang="tr") == [(story_id, 1, "tr")]
    assert results(hub, key, "gazeteciler", lang="az") == []
    if machine_word.casefold() not in "bakü'de medya forumu foruma gazeteciler katılıyor":
        assert (story_id, 1, "tr") not in results(hub, key, machine_word, lang="tr")

    # A new version drops every language of the old one until its translations arrive.
    push(hub, key, "t", headline="Bakıda media forumu başa çatıb", body="Forum iki gün davam edib.")
    assert results(hub, key, "gazeteciler") == []
    assert results(hub, key, "forumu") == [(story_id, 2, "az")]
    worker.run_until_idle()
    second = hub.client.get(f"/v1/stories/{story_id}?lang=tr", headers=hub.auth(key)).json()
    assert second["version"] == "2"
    assert results(hub, key, f'"{second["headlines"][0]["value"]}"', lang="tr") == [(story_id, 2, "tr")]
