"""Who may do what: partner agencies pull, only member agencies push."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from hub.agencies import service as agencies
from hub.errors import InvalidRequest
from hub.models import Agency
from tests.fixtures.hub import HubHarness, story

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2a1e1d40000000049454e44ae426082"
)


def test_a_partner_cannot_get_a_push_key(hub: HubHarness) -> None:
    with hub.runtime.write() as session:
        agencies.create_agency(session, "trt", name="TRT", is_partner=True)
    for scopes in ("push", "push,pull", "pull,push,admin"):
        with pytest.raises(InvalidRequest, match="partner agencies pull"), hub.runtime.write() as session:
            agencies.create_key(session, "trt", scopes)
    with hub.runtime.write() as session:
        assert agencies.create_key(session, "trt").scopes == ("pull",)  # a partner's default
        assert agencies.create_key(session, "trt", "pull,admin").scopes == ("pull", "admin")


@pytest.mark.parametrize("scopes", ["push,pull", "admin"])
def test_a_partner_key_cannot_push_even_one_made_before_the_rule(hub: HubHarness, scopes: str) -> None:
    """A member's push key, then the agency is registered as a partner: every push
    route refuses it with 403, while pulling still works. Admin does not lift the rule."""
    member = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(member)).json()
    key = hub.agency("trt", scopes=scopes)
    with hub.runtime.write() as session:
        session.execute(update(Agency).where(Agency.code == "trt").values(is_partner=True))

    refused = [
        hub.client.post("/v1/stories", json=story("trt-1"), headers=hub.auth(key)),
        hub.client.post("/v1/media", content=PNG, headers=hub.auth(key) | {"Content-Type": "image/png"}),
        hub.client.post(f"/v1/stories/{pushed['id']}/kill", headers=hub.auth(key)),
        hub.client.post(f"/v1/stories/{pushed['id']}/withhold", headers=hub.auth(key)),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json() == {
            "error": "forbidden",
            "detail": "agency 'trt' is a partner: partner agencies pull; pushing is for member agencies",
        }
    assert hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()["pubStatus"] == "usable"
    assert hub.client.get("/v1/feed?lang=az", headers=hub.auth(key)).status_code == 200
