"""The desk's sessions and forms over HTTP (in-process; tests/desk drives a real browser):
the cookie's attributes, what the database keeps, CSRF on every POST, errors shown as
pages with nothing written, and the API's JSON errors left as they were."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
from sqlalchemy import select

from hub.desk.sessions import SESSION_COOKIE
from hub.models import DeskSession
from tests.fixtures.hub import HubHarness, make_settings, story

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(hub: HubHarness, key: str) -> httpx.Response:
    form = hub.client.get("/desk")
    return hub.client.post(
        "/desk/sign-in", data={"api_key": key, "csrf_token": CSRF.findall(form.text)[0]}, follow_redirects=False
    )


def csrf_of(hub: HubHarness, path: str = "/desk/incoming") -> str:
    return CSRF.findall(hub.client.get(path).text)[0]


def test_signing_in_sets_a_strict_http_only_cookie_whose_token_the_database_keeps_only_hashed(
    hub: HubHarness,
) -> None:
    key = hub.agency("azertac")
    answer = sign_in(hub, key)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/incoming"
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes and "secure" not in attributes
    assert "samesite=strict" in cookie.lower() and "path=/desk" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    with hub.runtime.read() as session:
        [row] = session.scalars(select(DeskSession)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.key_id == key.split("_")[1]
    assert hub.client.get("/desk/incoming").status_code == 200


def test_the_cookie_is_secure_when_the_hub_is_served_over_https(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, public_url="https://hub.example")
    with HubHarness.start(settings) as hub:
        assert "secure" in hub.client.get("/desk").headers["set-cookie"].lower()  # the sign-in form's token
        hub.client.base_url = "https://testserver"  # a client sends Secure cookies over https only
        cookie = sign_in(hub, hub.agency("azertac")).headers["set-cookie"]
    assert "secure" in cookie.lower()


def test_a_wrong_key_or_a_sign_in_without_its_token_creates_no_session(hub: HubHarness) -> None:
    refused = sign_in(hub, "ulak_nothing_here")
    assert refused.status_code == 401 and "Sign-in failed: unknown API key" in refused.text
    forged = hub.client.post("/desk/sign-in", data={"api_key": hub.agency("azertac")})
    assert forged.status_code == 403 and "CSRF token" in forged.text
    with hub.runtime.read() as session:
        assert session.scalars(select(DeskSession)).all() == []
    assert 'label for="api_key">API key<' in hub.client.get("/desk/incoming").text  # still signed out


def test_every_post_needs_the_session_csrf_token(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    story_id = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()["id"]
    sign_in(hub, key)
    for path in (f"/desk/stories/{story_id}/kill", "/desk/sign-out", f"/desk/stories/{story_id}/translations/tr"):
        for data in ({}, {"csrf_token": "forged"}):
            answer = hub.client.post(path, data=data)
            assert answer.status_code == 403, (path, data)
            assert "text/html" in answer.headers["content-type"]
    assert hub.client.get(f"/v1/stories/{story_id}", headers=hub.auth(key)).json()["pubStatus"] == "usable"
    token = csrf_of(hub)
    assert hub.client.post(f"/desk/stories/{story_id}/withhold", data={"csrf_token": token}).status_code == 200
    assert hub.client.get(f"/v1/stories/{story_id}", headers=hub.auth(key)).json()["pubStatus"] == "withheld"


def test_a_post_edit_that_cannot_be_saved_says_why_and_writes_nothing(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    story_id = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()["id"]
    sign_in(hub, key)
    token = csrf_of(hub)
    path = f"/desk/stories/{story_id}/translations/tr"
    empty = hub.client.post(path, data={"csrf_token": token, "version": "1", "headlines": "  "})
    assert empty.status_code == 422 and "every field needs some text; nothing was saved" in empty.text
    pending = hub.client.post(path, data={"csrf_token": token, "version": "1", "headlines": "Başlık"})
    assert pending.status_code == 409 and "not translated yet" in pending.text
    stale = hub.client.post(path, data={"csrf_token": token, "version": "7", "headlines": "Başlık"})
    assert stale.status_code == 409 and "not the current version" in stale.text
    translations = hub.client.get(f"/v1/stories/{story_id}/translations", headers=hub.auth(key)).json()
    assert {t["origin"] for t in translations["translations"]} == {None}  # nothing written


def test_pages_answer_errors_as_pages_and_the_api_keeps_json(hub: HubHarness) -> None:
    sign_in(hub, hub.agency("azertac"))
    admin = hub.client.get("/desk/admin")
    assert admin.status_code == 403 and "the &#39;admin&#39; scope is needed" in admin.text
    bad_filter = hub.client.get("/desk/incoming", params={"status": "lost"})
    assert bad_filter.status_code == 422 and "status: &#39;lost&#39; is not one of" in bad_filter.text
    missing = hub.client.get("/desk/stories/nope")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    api = hub.client.get("/v1/stories/nope", headers=hub.auth(hub.keys["azertac"]))
    assert api.status_code == 404 and api.json()["error"] == "not_found"
    assert (
        hub.client.get("/v1/feed", params={"lang": "az", "limit": "x"}, headers=hub.auth(hub.keys["azertac"])).json()[
            "error"
        ]
        == "invalid_request"
    )


def test_the_desk_assets_are_served_by_the_hub_and_its_pages_cannot_be_framed_or_cached(hub: HubHarness) -> None:
    answer = hub.client.get("/desk")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert (answer.headers["x-frame-options"], answer.headers["cache-control"]) == ("DENY", "no-store")
    page = answer.text
    for asset in ("/desk/static/htmx.min.js", "/desk/static/desk.css", "/desk/static/favicon.svg"):
        assert f'"{asset}"' in page
        assert hub.client.get(asset).status_code == 200
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', page))  # nothing from elsewhere
