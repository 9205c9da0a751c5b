"""The cursor feed: paging, filters, and exactness under concurrent writers."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.fixtures.hub import HubHarness, LiveServer, story


def drain(
    hub: HubHarness, key: str, lang: str, *, limit: int = 100, after: str | None = None, **params: str
) -> tuple[list[dict], str]:
    entries: list[dict] = []
    while True:
        query = {"lang": lang, "limit": str(limit), **params}
        if after:
            query["after"] = after
        body = hub.client.get("/v1/feed", params=query, headers=hub.auth(key)).json()
        entries += body["entries"]
        if not body["entries"]:
            return entries, body["next"]
        after = body["next"]


def test_feed_pages_follow_next_in_order(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    ids = [hub.client.post("/v1/stories", json=story(f"az-{i}"), headers=hub.auth(key)).json()["id"] for i in range(7)]
    entries, cursor = drain(hub, key, "az", limit=3)
    assert [e["storyId"] for e in entries] == ids
    # An empty page hands the same cursor back, so a poller keeps its place.
    again = hub.client.get(f"/v1/feed?lang=az&after={cursor}", headers=hub.auth(key)).json()
    assert again == {"entries": [], "next": cursor}
    late = hub.client.post("/v1/stories", json=story("az-late"), headers=hub.auth(key)).json()["id"]
    assert [e["storyId"] for e in drain(hub, key, "az", after=cursor)[0]] == [late]


def test_feed_filters_by_language_and_agency(hub: HubHarness) -> None:
    az = hub.agency("azertac")
    tr = hub.agency("aa")
    hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(az))
    hub.client.post("/v1/stories", json=story("tr-1", language="tr", headline="Başlık"), headers=hub.auth(tr))
    hub.client.post("/v1/stories", json=story("tr-2", language="tr", headline="Başlık 2"), headers=hub.auth(tr))
    assert len(drain(hub, az, "tr")[0]) == 2
    assert len(drain(hub, az, "az")[0]) == 1
    assert drain(hub, az, "tr", agency="azertac")[0] == []
    assert len(drain(hub, az, "tr", agency="aa")[0]) == 2
    missing = hub.client.get("/v1/feed?lang=tr&agency=nobody", headers=hub.auth(az))
    assert missing.status_code == 404


def test_original_links_to_its_translations(hub: HubHarness) -> None:
    """The links between language versions come from what exists for that version."""
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("az-1"), headers=hub.auth(key)).json()
    item = hub.client.get(f"/v1/stories/{pushed['id']}", headers=hub.auth(key)).json()
    assert "associations" not in item


@pytest.mark.parametrize(
    "query,field", [("lang=xx", "lang"), ("lang=az&limit=0", "limit"), ("lang=az&after=garbage", "after"), ("", "lang")]
)
def test_bad_feed_queries_are_422(hub: HubHarness, query: str, field: str) -> None:
    key = hub.agency("azertac")
    response = hub.client.get(f"/v1/feed?{query}", headers=hub.auth(key))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request" and response.json()["detail"].startswith(field)


def test_concurrent_writers_reader_sees_every_entry_exactly_once(hub: HubHarness) -> None:
    """Several agencies push at once over real HTTP while a partner follows the cursor;
    commits land out of order, yet the reader sees each entry exactly once."""
    writers, per_writer = 6, 40
    keys = [hub.agency(f"agency{i}") for i in range(writers)]
    reader = hub.agency("partner", scopes="pull", partner=True)
    with LiveServer(hub.app) as server:
        done = threading.Event()
        errors: list[BaseException] = []

        def push(index: int) -> None:
            try:
                with httpx.Client(base_url=server.url, headers=hub.auth(keys[index]), timeout=60) as client:
                    for n in range(per_writer):
                        response = client.post("/v1/stories", json=story(f"w{index}-{n}", body=f"Mətn {index} {n}."))
                        assert response.status_code == 201, response.text
            except BaseException as exc:
                errors.append(exc)

        seen: list[tuple[str, int]] = []

        def read() -> None:
            cursor = None
            with httpx.Client(base_url=server.url, headers=hub.auth(reader), timeout=60) as client:
                while True:
                    finished = done.is_set()
                    params = {"lang": "az", "limit": "7"} | ({"after": cursor} if cursor else {})
                    body = client.get("/v1/feed", params=params).json()
                    seen.extend((e["storyId"], e["version"]) for e in body["entries"])
                    cursor = body["next"]
                    if finished and not body["entries"]:
                        return

        threads = [threading.Thread(target=push, args=(i,)) for i in range(writers)]
        reader_thread = threading.Thread(target=read)
        reader_thread.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader_thread.join(timeout=120)
    assert errors == []
    assert len(seen) == writers * per_writer
    assert len(set(seen)) == len(seen)
