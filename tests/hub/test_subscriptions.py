"""The subscriptions API: who may do what, what is refused (and then nothing is stored),
and a signing secret that is shown once and never again."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from hub.feed.cursor import encode_cursor
from hub.models import Subscription
from tests.fixtures.hub import HubHarness, make_settings, story

PUBLIC_URL = "https://93.184.216.34/ulak/hook"  # a public literal: nothing to resolve


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[HubHarness]:
    # The production default: private targets refused.
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as harness:
        yield harness


def stored(hub: HubHarness) -> int:
    with hub.runtime.read() as session:
        return session.scalar(select(func.count()).select_from(Subscription)) or 0


def test_the_secret_is_shown_once_and_never_again(hub: HubHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = hub.agency("cms", scopes="pull", partner=True)
    member = hub.agency("azertac")
    hub.client.post("/v1/stories", json=story("one"), headers=hub.auth(member))
    end = hub.client.get("/v1/feed", params={"lang": "az"}, headers=hub.auth(key)).json()["next"]

    response = hub.client.post(
        "/v1/subscriptions", json={"url": PUBLIC_URL, "languages": ["az", "tr", "az"]}, headers=hub.auth(key)
    )
    assert response.status_code == 201
    created = response.json()
    secret = created.pop("secret")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    Webhook(secret).sign("msg_1", datetime.now(UTC), "{}")  # the format the package reads
    assert created["id"].startswith("sub_") and created["agency"] == "cms"
    assert created["languages"] == ["az", "tr"] and created["agencies"] is None
    assert created["status"] == "active" and created["pausedReason"] is None
    assert created["position"] == end  # entries committed from now on

    sub = f"/v1/subscriptions/{created['id']}"
    answers = [
        hub.client.get("/v1/subscriptions", headers=hub.auth(key)),
        hub.client.get(sub, headers=hub.auth(key)),
        hub.client.get(f"{sub}/deliveries", headers=hub.auth(key)),
        hub.client.post(f"{sub}/replay", json={"after": encode_cursor(0)}, headers=hub.auth(key)),
        hub.client.delete(sub, headers=hub.auth(key)),
    ]
    assert [a.status_code for a in answers] == [200] * 5
    assert answers[0].json()["subscriptions"] == [created]
    assert answers[1].json() == created
    assert answers[2].json() == {"deliveries": [], "next": None}
    assert answers[3].json()["position"] == encode_cursor(0)
    for answer in answers:
        assert secret not in answer.text and "secret" not in answer.json()
    assert secret not in caplog.text and secret.removeprefix("whsec_") not in caplog.text
    assert hub.client.get(sub, headers=hub.auth(key)).status_code == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"url": "ftp://93.184.216.34/hook"}, "url: must be an http:// or https:// URL"),
        ({"url": "https://user:pw@93.184.216.34/hook"}, "url: must not carry a user name or password"),
        ({"url": "http://127.0.0.1:8080/hook"}, "url: 127.0.0.1: 127.0.0.1 is a loopback address"),
        ({"url": "http://localhost:8080/hook"}, "url: localhost: 127.0.0.1 is a loopback address"),
        ({"url": "http://169.254.169.254/latest"}, "is a link-local address"),
        ({"url": "http://[fe80::1]/hook"}, "is a link-local address"),
        ({"url": "http://10.0.0.8/hook"}, "is a private address"),
        ({"url": "http://[fd12::8]/hook"}, "is a private address"),
        ({"url": "http://[::ffff:192.168.0.1]/hook"}, "(wrapped in IPv6 ::ffff:c0a8:1)"),
        ({"url": "http://100.64.0.1/hook"}, "is a shared (CGNAT) address"),
        ({"url": "http://0.0.0.0/hook"}, "is an unspecified address"),
        ({"url": "http://224.0.0.1/hook"}, "is a multicast address"),
        ({"url": "https://93.184.216.34/" + "a" * 2000}, "url: String should have at most 2000 characters"),
        ({"languages": ["xx"]}, "languages.0: Input should be"),
        ({"languages": []}, "languages: List should have at least 1 item"),
        ({"agencies": ["no-such-agency"]}, "agencies: no agency 'no-such-agency'"),
        ({"after": "bm90LWEtY3Vyc29y"}, "after: 'bm90LWEtY3Vyc29y' is not a cursor this hub issued"),
        ({"after": encode_cursor(10**6)}, "after: the cursor is past the end of the feed"),
        ({"secret": "whsec_mine"}, "secret: Extra inputs are not permitted"),
    ],
)
def test_refused_subscriptions_leave_nothing_behind(hub: HubHarness, body: dict[str, Any], detail: str) -> None:
    key = hub.agency("cms", scopes="pull", partner=True)
    request = {"url": PUBLIC_URL, "languages": ["az"]} | body
    response = hub.client.post("/v1/subscriptions", json=request, headers=hub.auth(key))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request" and detail in response.json()["detail"]
    assert stored(hub) == 0


def test_scopes_and_ownership(hub: HubHarness) -> None:
    owner = hub.agency("cms", scopes="pull", partner=True)
    other = hub.agency("apa", scopes="pull")
    push_only = hub.agency("azertac", scopes="push")
    admin = hub.agency("ops", scopes="admin")
    body = {"url": PUBLIC_URL, "languages": ["az"]}
    assert hub.client.post("/v1/subscriptions", json=body).status_code == 401
    refused = hub.client.post("/v1/subscriptions", json=body, headers=hub.auth(push_only))
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert hub.client.get("/v1/subscriptions", headers=hub.auth(push_only)).status_code == 403
    assert stored(hub) == 0

    created = hub.client.post("/v1/subscriptions", json=body, headers=hub.auth(owner)).json()
    sub = f"/v1/subscriptions/{created['id']}"
    again = hub.client.post("/v1/subscriptions", json=body, headers=hub.auth(owner))
    assert again.status_code == 409 and created["id"] in again.json()["detail"]
    assert hub.client.post(f"{sub}/resume", headers=hub.auth(owner)).status_code == 409  # not paused

    for method, path, json in [
        ("GET", sub, None),
        ("GET", f"{sub}/deliveries", None),
        ("POST", f"{sub}/replay", {"after": encode_cursor(0)}),
        ("POST", f"{sub}/resume", None),
        ("DELETE", sub, None),
    ]:
        answer = hub.client.request(method, path, json=json, headers=hub.auth(other))
        assert answer.status_code == 403, (method, path)
        assert answer.json()["detail"] == f"subscription {created['id']} belongs to another agency"
    assert hub.client.get("/v1/subscriptions", headers=hub.auth(other)).json() == {"subscriptions": []}
    bad_replay = hub.client.post(f"{sub}/replay", json={"after": "nonsense"}, headers=hub.auth(owner))
    assert bad_replay.status_code == 422
    assert hub.client.get(sub, headers=hub.auth(owner)).json() == {k: v for k, v in created.items() if k != "secret"}
    assert hub.client.get("/v1/subscriptions/sub_nope", headers=hub.auth(owner)).status_code == 404

    # An admin key sees and manages every agency's subscriptions.
    listed = hub.client.get("/v1/subscriptions", headers=hub.auth(admin)).json()["subscriptions"]
    assert [s["id"] for s in listed] == [created["id"]] and listed[0]["agency"] == "cms"
    assert hub.client.delete(sub, headers=hub.auth(admin)).status_code == 200
    assert stored(hub) == 0
