"""The SDK's post-edit (``edit_translation``, sync and async) against the real hub on a
real port, with its embedded worker translating (synthetic models)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.agencies import service as agencies
from tests.fixtures.databases import SqliteTemplate
from tests.fixtures.hub import served_hub
from ulak_client import AsyncUlakClient, Conflict, PermissionDenied, UlakClient, ValidationError


@pytest.fixture
def hub_with_editor(
    tmp_path: Path, sqlite_template: SqliteTemplate, installed_models_dir: Path
) -> Iterator[tuple[str, str, str]]:
    """(url, the owner's push key, a partner's edit key for Turkish)."""
    database = sqlite_template.copy_to(tmp_path / "ulak.db")
    settings = {"models_dir": installed_models_dir, "worker_poll_seconds": 0.05, "target_languages": ("az", "tr")}
    with served_hub(tmp_path, database, **settings) as (url, runtime):  # with its embedded worker
        with runtime.write() as session:
            agencies.create_agency(session, "azertac", name="AZERTAC")
            owner = agencies.create_key(session, "azertac", "push,pull").plaintext
            agencies.create_agency(session, "trt", name="TRT Haber", is_partner=True)
            editor = agencies.create_key(session, "trt", "pull,edit", languages="tr").plaintext
        yield url, owner, editor


def wait_until_translated(hub: UlakClient, story_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while {t.status for t in hub.translations(story_id).translations} != {"done"}:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_post_edit_with_the_sync_and_async_clients(hub_with_editor: tuple[str, str, str]) -> None:
    url, owner_key, editor_key = hub_with_editor
    with UlakClient(url, api_key=owner_key) as owner, UlakClient(url, api_key=editor_key) as editor:
        pushed = owner.push_story(
            guid="az-1", language="az", headline="Bakıda forum", body_text="Forum açılıb.\n\nİki gün davam edəcək."
        )
        wait_until_translated(owner, pushed.id)
        machine = editor.get_story(pushed.id, "tr")
        assert machine.is_machine_translation and not machine.is_post_edited

        edited = editor.edit_translation(
            pushed.id, "tr", version=1, headlines=["Bakü'de forum"], bodies=["Forum açıldı.\n\nİki gün sürecek."]
        )

        assert edited.is_post_edited and not edited.is_machine_translation
        assert (edited.headline, edited.body) == ("Bakü'de forum", "Forum açıldı.\n\nİki gün sürecek.")
        assert edited.bodies[0].content_type == machine.bodies[0].content_type
        assert [(s.role, s.literal) for s in edited.info_sources][-1] == ("editor", "trt")
        assert editor.get_story(pushed.id, "tr") == edited
        [status] = editor.translations(pushed.id).translations
        assert (status.origin, status.edited_by) == ("edited", "trt") and status.edited_at is not None
        with pytest.raises(PermissionDenied, match="may post-edit tr only"):
            editor.edit_translation(pushed.id, "az", version=1, headlines=["x"])

    async def edit_again() -> None:
        async with AsyncUlakClient(url, api_key=owner_key) as hub:
            again = await hub.edit_translation(pushed.id, "tr", version=1, headlines=[{"value": "Bakü forumu"}])
            assert again.headline == "Bakü forumu" and again.body == "Forum açıldı.\n\nİki gün sürecek."
            assert [s.literal for s in again.info_sources if s.role == "editor"] == ["trt", "azertac"]
            with pytest.raises(Conflict, match="not the current version"):
                await hub.edit_translation(pushed.id, "tr", version=2, headlines=["x"])
            with pytest.raises(ValidationError) as caught:
                await hub.edit_translation(pushed.id, "tr", version=1, bodies=["bir", "iki"])
            assert caught.value.fields == [{"field": "bodies", "message": "2 item(s) given; the translation has 1"}]

    asyncio.run(edit_again())
