"""The SDK's glossary calls against the real hub (uvicorn on a loopback port), sync and async."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from ulak_client import AsyncUlakClient, GlossaryTerm, NotFound, PermissionDenied, UlakClient, ValidationError

if TYPE_CHECKING:
    from tests.clients.conftest import LiveHub


def test_add_list_and_delete_terms(live_hub: LiveHub) -> None:
    code, key = live_hub.agency("sdk")
    other_code, _ = live_hub.agency("sdk")
    _, admin_key = live_hub.agency("admin", scopes="admin")
    aliyev = {"az": "İlham Əliyev", "uz-Cyrl": "Илҳом Алиев", "uz-Latn": "Ilhom Aliyev", "en": ["Ilham Aliyev"]}
    with UlakClient(live_hub.url, key) as hub, UlakClient(live_hub.url, admin_key) as admin:
        added = hub.add_glossary_terms([aliyev, {"az": "Qarabağ", "en": "Karabakh"}])
        assert [t.agency for t in added.added] == [code, code] and added.duplicates == []
        own = added.added[0]
        assert isinstance(own, GlossaryTerm)
        assert own.forms["uz"] == ["Ilhom Aliyev", "Илҳом Алиев"] and own.form("uz") == "Ilhom Aliyev"
        assert own.form("ru") is None and own.created_at.tzinfo is not None

        again = hub.add_glossary_terms([aliyev])
        assert again.added == [] and [(d.index, d.id) for d in again.duplicates] == [(0, own.id)]

        hub_wide = admin.add_glossary_terms([{"tr": "Türkiye", "en": "Türkiye"}]).added[0]
        assert hub_wide.agency is None
        for_other = admin.add_glossary_terms([{"uz": "Toshkent"}], agency=other_code).added[0]
        assert for_other.agency == other_code

        mine = hub.glossary()
        assert {t.id for t in mine} >= {own.id, added.added[1].id, hub_wide.id}
        assert for_other.id not in {t.id for t in mine}
        assert [t.id for t in admin.glossary(agency=other_code)] == [for_other.id]
        assert [t.id for t in hub.glossary(agency=code)] == [t.id for t in added.added]
        with pytest.raises(PermissionDenied):
            hub.glossary(agency=other_code)

        with pytest.raises(ValidationError) as invalid:
            hub.add_glossary_terms([{"de": "Berlin"}])
        assert "unknown language 'de'" in invalid.value.detail
        with pytest.raises(PermissionDenied):
            hub.delete_glossary_term(hub_wide.id)
        assert hub.delete_glossary_term(own.id).id == own.id
        with pytest.raises(NotFound):
            hub.delete_glossary_term(own.id)
        assert own.id not in {t.id for t in admin.glossary()}


def test_the_async_client_does_the_same(live_hub: LiveHub) -> None:
    code, key = live_hub.agency("sdk-async")

    async def scenario() -> tuple[list[int], list[int], int]:
        async with AsyncUlakClient(live_hub.url, key) as hub:
            added = await hub.add_glossary_terms([{"kk": "Астана", "ky": "Астана", "ru": "Астана"}])
            listed = await hub.glossary(agency=code)
            deleted = await hub.delete_glossary_term(added.added[0].id)
            return [t.id for t in added.added], [t.id for t in listed], deleted.id

    added, listed, deleted = asyncio.run(scenario())
    assert added == listed == [deleted]
