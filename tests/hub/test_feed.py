"""The cursor feed: paging, filters, and exactness under concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.feed import repository as feed_repo
from hub.jobs.worker import TranslationWorker
from hub.models import FeedEntry, LanguageVersion, Story
from hub.stories import repository as stories_repo
from tests.fixtures.hub import HubHarness, LiveServer, make_settings, story


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


def read_at_once(url: str, keys: list[str], path: str) -> list[int]:
    """GET ``path`` once per key, all threads released at the same instant; the statuses."""
    start = threading.Barrier(len(keys))
    statuses: list[int] = []

    def read(key: str) -> None:
        with httpx.Client(base_url=url, headers=HubHarness.auth(key), timeout=60) as client:
            start.wait()
            statuses.append(client.get(path).status_code)

    threads = [threading.Thread(target=read, args=(key,)) for key in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


def test_concurrent_readers_release_an_embargo_exactly_once(database_url: str, tmp_path: Path) -> None:
    """The moment an embargo passes, eight partners read the feed at once over real HTTP:
    each language of the story is announced to them once, not once per reader (on
    PostgreSQL the readers really run in parallel; SQLite serialises them)."""
    trials, readers = 10, 8
    now = datetime.now(UTC)
    clock = [now]
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False)
    with HubHarness.start(settings) as hub, LiveServer(hub.app) as server:
        hub.runtime.clock = lambda: clock[0]
        owner = hub.agency("azertac")
        keys = [hub.agency(f"partner{i}", scopes="pull", partner=True) for i in range(readers)]
        for trial in range(trials):
            until = clock[0] + timedelta(minutes=5)
            pushed = hub.client.post(
                "/v1/stories", json=story(f"az-{trial}", embargoedUntil=until.isoformat()), headers=hub.auth(owner)
            ).json()
            with hub.runtime.write() as session:  # a second language, as if translated already
                original = session.scalars(
                    select(LanguageVersion).where(LanguageVersion.story_id == pushed["id"])
                ).one()
                session.add(
                    LanguageVersion(
                        story_id=pushed["id"],
                        version=1,
                        language="tr",
                        is_original=False,
                        object_key=original.object_key,
                        document=original.document | {"language": "tr"},
                        created_at=clock[0],
                    )
                )
            clock[0] = until + timedelta(seconds=1)
            statuses = read_at_once(server.url, keys, "/v1/feed?lang=az")
            assert statuses == [200] * readers, f"trial {trial}"
            with hub.runtime.read() as session:
                releases = session.scalars(
                    select(FeedEntry.language).where(
                        FeedEntry.story_id == pushed["id"], FeedEntry.except_agency_id.is_not(None)
                    )
                ).all()
            assert sorted(releases) == ["az", "tr"], f"trial {trial}"
            seen = [e["storyId"] for e in drain(hub, keys[0], "tr")[0] if e["storyId"] == pushed["id"]]
            assert seen == [pushed["id"]], f"trial {trial}"


def _links(entry: dict) -> list[tuple[str, str, str]]:
    return sorted(
        (a["rel"], a["language"], a["version"])
        for a in entry["item"].get("associations", [])
        if a.get("rel") in ("translation", "translatedFrom")
    )


def test_translations_committed_at_once_are_both_listed_on_their_original(hub: HubHarness) -> None:
    """``add_translation`` appends to the original's ``translation_languages`` in the
    UPDATE itself: a second translation of the same version, written while the first
    holds the original's row, waits for it and keeps its language."""
    key = hub.agency("azertac")
    pushed = hub.client.post("/v1/stories", json=story("pair-1"), headers=hub.auth(key))
    assert pushed.status_code == 201, pushed.text
    story_id = pushed.json()["id"]
    with hub.runtime.read() as session:
        original = stories_repo.language_version(session, story_id, 1, "az")
        assert original is not None and original.translation_languages is None
        document = original.document
    first_written, outcomes = threading.Event(), {}

    def translate(language: str, hold: float) -> None:
        session = hub.runtime.sessions()
        try:
            session.connection(execution_options={"ulak_write": True})  # SQLite: BEGIN IMMEDIATE
            translation = LanguageVersion(
                story_id=story_id,
                version=1,
                language=language,
                is_original=False,
                object_key=language,
                document=document,
            )
            outcomes[language] = stories_repo.add_translation(session, translation)
            first_written.set()
            threading.Event().wait(hold)  # still holding the original's row
            session.commit()
        finally:
            session.close()

    first = threading.Thread(target=translate, args=("tr", 0.3))
    first.start()
    assert first_written.wait(10)
    second = threading.Thread(target=translate, args=("ru", 0))
    second.start()
    first.join(15)
    second.join(15)
    assert outcomes == {"tr": True, "ru": True}
    with hub.runtime.read() as session:
        original = stories_repo.language_version(session, story_id, 1, "az")
        assert original is not None and sorted(str(original.translation_languages).split(",")) == ["ru", "tr"]
    entry = next(e for e in drain(hub, key, "az")[0] if e["storyId"] == story_id)
    assert _links(entry) == [("translation", "ru", "1"), ("translation", "tr", "1")]


def test_entries_link_by_their_own_versions_original_when_a_later_version_changes_language(
    translating_hub: HubHarness, worker: TranslationWorker
) -> None:
    """Version 1 pushed in az, version 2 of the same story in tr: the feed keeps serving
    version 1's az entry as the original it was (linked to version 1's translations), not
    as a translation of the tr original only version 2 has."""
    hub = translating_hub
    key = hub.agency("azertac")
    first = hub.client.post("/v1/stories", json=story("switch-1"), headers=hub.auth(key))
    assert first.status_code == 201, first.text
    worker.run_until_idle()
    turkish = story(
        "switch-1", language="tr", headline="Bakanlık açıklama yaptı", body="Toplantı yarın Ankara'da yapılacak."
    )
    second = hub.client.post("/v1/stories", json=turkish, headers=hub.auth(key))
    assert second.status_code == 201 and second.json()["version"] == 2, second.text
    worker.run_until_idle()

    others = ["en", "ru", "uz"]
    az = {e["version"]: e for e in drain(hub, key, "az")[0]}
    tr = {e["version"]: e for e in drain(hub, key, "tr")[0]}
    assert _links(az[1]) == sorted(("translation", lang, "1") for lang in [*others, "tr"])
    assert _links(tr[1]) == [("translatedFrom", "az", "1")]
    assert _links(tr[2]) == sorted(("translation", lang, "2") for lang in [*others, "az"])
    assert _links(az[2]) == [("translatedFrom", "tr", "2")]
    for lang in others:
        entries = {e["version"]: e for e in drain(hub, key, lang)[0]}
        assert _links(entries[1]) == [("translatedFrom", "az", "1")]
        assert _links(entries[2]) == [("translatedFrom", "tr", "2")]


def test_an_entry_for_an_earlier_version_takes_that_versions_source_language(hub: HubHarness) -> None:
    """Announcing version 1 after version 2 changed the language (a late translation):
    the entry carries version 1's original language, read from its version row."""
    key = hub.agency("azertac")
    hub.client.post("/v1/stories", json=story("late-1"), headers=hub.auth(key))
    turkish = story("late-1", language="tr", headline="Bakanlık açıklama yaptı", body="Toplantı yarın yapılacak.")
    story_id = hub.client.post("/v1/stories", json=turkish, headers=hub.auth(key)).json()["id"]
    with hub.runtime.write() as session:
        row = session.get(Story, story_id)
        assert row is not None and row.current_version == 2 and row.source_lang == "tr"
        original = session.scalars(
            select(LanguageVersion).where(LanguageVersion.story_id == story_id, LanguageVersion.version == 1)
        ).one()
        late = LanguageVersion(
            story_id=story_id,
            version=1,
            language="en",
            is_original=False,
            object_key="late-translation",
            document=original.document | {"language": "en"},
        )
        assert stories_repo.add_translation(session, late)
        entry = feed_repo.append_entries(session, row, 1, ["en"], "usable", now=hub.runtime.clock())[0]
        assert entry.source_lang == "az"
        assert entry.language_version_id == late.id


def test_an_entry_for_a_language_the_version_does_not_have_is_refused(hub: HubHarness) -> None:
    """An entry needs the language version it announces (a page joins on it): announcing
    one that does not exist is a bug, refused before anything is written."""
    key = hub.agency("azertac")
    story_id = hub.client.post("/v1/stories", json=story("missing-1"), headers=hub.auth(key)).json()["id"]
    with hub.runtime.read() as session:
        before = session.scalars(select(FeedEntry.seq).where(FeedEntry.story_id == story_id)).all()
    with pytest.raises(LookupError, match=r"no language version \['ru'\]"), hub.runtime.write() as session:
        row = session.get(Story, story_id)
        assert row is not None
        feed_repo.append_entries(session, row, 1, ["az", "ru"], "usable", now=hub.runtime.clock())
    with hub.runtime.read() as session:
        assert session.scalars(select(FeedEntry.seq).where(FeedEntry.story_id == story_id)).all() == before
