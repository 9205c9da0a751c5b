"""GET /v1/search on real-looking news in six languages and both Uzbek and Kazakh
scripts: the same results, in the same order, with the same snippets, on SQLite and on
PostgreSQL (each test runs on both through ``database_url``; ``EXPECTED`` is what either
must answer), cross-script matches both ways, and visibility as the feed has it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fixtures.hub import HubHarness, story

# guid → (language, headline, body). Written as agencies write: İ/ı, ə, apostrophes of
# every kind, HTML in one body.
CORPUS: dict[str, tuple[str, str, str]] = {
    "az-forum": (
        "az",
        "Bakıda beynəlxalq media forumu açılıb",
        "Forumda 40 ölkədən jurnalistlər iştirak edir. Prezident İlham Əliyev forumun iştirakçılarını salamlayıb.",
    ),
    "tr-enerji": (
        "tr",
        "Ankara'da enerji zirvesi başladı",
        "<p>Türkiye ve Azerbaycan enerji bakanları İstanbul’da bir araya geldi.</p>"
        "<p>Zirvede <b>doğalgaz</b> boru hattı ele alındı.</p>",
    ),
    "ru-vystavka": (
        "ru",
        "В Москве открылась международная выставка",
        "Выставка продлится три дня. Путин не посетил её. В ней участвуют компании из Узбекистана и Казахстана.",
    ),
    "uz-latn-metro": (
        "uz",
        "Toshkentda yangi metro bekati ochildi",
        "Toshkent shahri hokimligi ma’lumotiga ko‘ra, yangi bekat kuniga 20 ming yo‘lovchiga xizmat ko‘rsatadi. "
        "O‘zbekiston poytaxtida metro tarmog‘i kengaymoqda.",
    ),
    "uz-cyrl-paxta": (
        "uz",
        "Тошкент вилоятида пахта терими бошланди",
        "Ўзбекистон қишлоқ хўжалиги вазирлиги маълумотига кўра, бу йил ҳосил мўл бўлади. "
        "Тошкент вилояти фермерлари далага чиқди.",
    ),
    "kk-cyrl-kelisim": (
        "kk",
        "Қазақстан мен Өзбекстан сауда келісіміне қол қойды",
        "Астанада өткен кездесуде екі ел президенттері ынтымақтастықты талқылады. Келесі кездесу Шымкентте.",
    ),
    "kk-latn-forum": (
        "kk",
        "Qazaqstan astanasynda halyqaralyq investisiialyq forum ötti",
        "Forumga 30 elden investorlar qatysty. Kelesı forum Şymkentte ötedi.",
    ),
    "en-energy": (
        "en",
        "Energy ministers meet in Istanbul",
        "The ministers of Turkey and Azerbaijan discussed the gas pipeline. Putin was not invited to the talks.",
    ),
}


def push_corpus(hub: HubHarness, key: str) -> dict[str, str]:
    """Push every story, one clock tick apart (the order of results is the order of
    pushes); returns guid → story id."""
    ids = {}
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for number, (guid, (language, headline, body)) in enumerate(CORPUS.items()):
        hub.runtime.clock = lambda moment=start + timedelta(minutes=number): moment
        content_type = "text/html" if body.startswith("<") else "text/plain"
        document = story(guid, language=language, headline=headline, body=body)
        document["bodies"][0]["contentType"] = content_type
        response = hub.client.post("/v1/stories", json=document, headers=hub.auth(key))
        assert response.status_code == 201, response.text
        ids[guid] = response.json()["id"]
    hub.runtime.clock = lambda: datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    return ids


def search(hub: HubHarness, key: str, **params: Any) -> dict[str, Any]:
    response = hub.client.get("/v1/search", params=params, headers=hub.auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def found(hub: HubHarness, key: str, ids: dict[str, str], **params: Any) -> list[str]:
    """The guids of the results, in order (all pages)."""
    guids = {story_id: guid for guid, story_id in ids.items()}
    return [guids[r["storyId"]] for r in search(hub, key, limit=100, **params)["results"]]


@pytest.fixture
def corpus(hub: HubHarness) -> tuple[str, dict[str, str]]:
    key = hub.agency("azertac")
    return key, push_corpus(hub, key)


# Newest first: the corpus is pushed in the order above, so results come in reverse.
EXPECTED = {
    # Cross-script Uzbek, both ways, as written and in either script.
    "Тошкент": ["uz-cyrl-paxta", "uz-latn-metro"],
    "Toshkent": ["uz-cyrl-paxta", "uz-latn-metro"],
    "toshkent shahri": ["uz-latn-metro"],
    "Ўзбекистон": ["uz-cyrl-paxta", "uz-latn-metro"],
    "O'zbekiston": ["uz-cyrl-paxta", "uz-latn-metro"],
    "Ozbekiston": ["uz-cyrl-paxta", "uz-latn-metro"],
    # Kazakh, both ways.
    "Қазақстан": ["kk-latn-forum", "kk-cyrl-kelisim"],
    "qazaqstan": ["kk-latn-forum", "kk-cyrl-kelisim"],
    # BGN's digraphs and the Kazakh Latin alphabet's letters meet.
    "Шымкентте": ["kk-latn-forum", "kk-cyrl-kelisim"],
    "Şymkentte": ["kk-latn-forum", "kk-cyrl-kelisim"],
    "Shymkentte": ["kk-latn-forum", "kk-cyrl-kelisim"],
    "kelesi": ["kk-latn-forum", "kk-cyrl-kelisim"],
    # Russian Cyrillic matches Russian, never English by transliteration; and back.
    "Путин": ["ru-vystavka"],
    "Putin": ["en-energy"],
    "Казахстана": ["ru-vystavka"],
    # Folding: İ/ı, ə, diacritics, apostrophes; HTML is text.
    "ilham eliyev": ["az-forum"],
    "İLHAM ƏLİYEV": ["az-forum"],
    "istanbul": ["en-energy", "tr-enerji"],
    "Bakıda": ["az-forum"],
    "baki*": ["az-forum"],
    "dogalgaz": ["tr-enerji"],
    # Phrases and prefixes.
    '"media forumu"': ["az-forum"],
    '"forumu media"': [],
    "ener*": ["en-energy", "tr-enerji"],
    '"boru hat*"': ["tr-enerji"],
    "forum*": ["kk-latn-forum", "az-forum"],
    # AND of every term.
    "Putin Azerbaijan": ["en-energy"],
    "Putin Moskva": [],
}


def test_queries_find_the_same_stories_in_the_same_order(hub: HubHarness, corpus: tuple[str, dict[str, str]]) -> None:
    key, ids = corpus
    assert {q: found(hub, key, ids, q=q) for q in EXPECTED} == EXPECTED


def test_snippets_are_plain_text_around_the_first_match(hub: HubHarness, corpus: tuple[str, dict[str, str]]) -> None:
    key, ids = corpus
    results = {r["storyId"]: r for r in search(hub, key, q="doğalgaz")["results"]}
    tr = results[ids["tr-enerji"]]
    assert tr["headline"] == "Ankara'da enerji zirvesi başladı"
    # Markup gone, paragraphs kept apart; the body is short enough to be whole.
    assert tr["snippet"] == (
        "Türkiye ve Azerbaycan enerji bakanları İstanbul’da bir araya geldi. Zirvede doğalgaz boru hattı ele alındı."
    )
    assert tr["language"] == "tr" and tr["version"] == 1
    assert tr["versionCreated"] == "2026-12-01T09:01:00Z"
    # A Latin query cuts the Cyrillic text around the word it matched there.
    [paxta] = search(hub, key, q="fermerlari")["results"]
    # Twelve words before the match: the first word of the body is cut.
    assert paxta["snippet"] == (
        "… қишлоқ хўжалиги вазирлиги маълумотига кўра, бу йил ҳосил мўл бўлади. "
        "Тошкент вилояти фермерлари далага чиқди."
    )


def test_a_long_body_is_cut_around_the_first_match(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    words = [f"söz{n}" for n in range(100)]
    words[50] = "Naxçıvan"
    hub.client.post(
        "/v1/stories", json=story("long", headline="Uzun xəbər", body=" ".join(words)), headers=hub.auth(key)
    ).raise_for_status()
    [result] = search(hub, key, q="naxcivan")["results"]
    expected = " ".join(words[38:74])
    assert result["snippet"] == f"… {expected} …"
    # Matched in the headline only: the body's start.
    [result] = search(hub, key, q="uzun")["results"]
    assert result["snippet"] == " ".join(words[:36]) + " …"


def test_filters_by_language_agency_and_time(hub: HubHarness, corpus: tuple[str, dict[str, str]]) -> None:
    key, ids = corpus
    other = hub.agency("trt")
    hub.runtime.clock = lambda: datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    hub.client.post(
        "/v1/stories",
        json=story("trt-1", language="tr", headline="İstanbul'da kar", body="Kar yağışı başladı."),
        headers=hub.auth(other),
    ).raise_for_status()
    guids = {story_id: guid for guid, story_id in ids.items()}

    def agencies_of(**params: Any) -> list[str]:
        return [guids.get(r["storyId"], "trt-1") for r in search(hub, key, limit=100, **params)["results"]]

    assert agencies_of(q="istanbul") == ["trt-1", "en-energy", "tr-enerji"]
    assert agencies_of(q="istanbul", lang="tr") == ["trt-1", "tr-enerji"]
    assert agencies_of(q="istanbul", agency="TRT") == ["trt-1"]
    assert agencies_of(q="istanbul", agency="azertac", lang="en") == ["en-energy"]
    # since is inclusive, until exclusive: tr-enerji was pushed at 09:01, en-energy at 09:07.
    assert agencies_of(q="istanbul", since="2026-12-01T09:01:00Z", until="2026-12-01T09:07:00Z") == ["tr-enerji"]
    assert agencies_of(q="istanbul", since="2026-12-01T13:02:00+04:00") == ["trt-1", "en-energy"]
    assert agencies_of(q="Тошкент", lang="uz") == ["uz-cyrl-paxta", "uz-latn-metro"]
    assert agencies_of(q="Тошкент", lang="ru") == []


def test_pagination_gives_every_result_once_in_order(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    same_moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for number in range(7):
        # Pairs of stories share a versionCreated: the tiebreak (story id, language) orders them.
        hub.runtime.clock = lambda n=number: same_moment + timedelta(seconds=n // 2)
        hub.client.post(
            "/v1/stories", json=story(f"s{number}", headline=f"Neft hasilatı {number}"), headers=hub.auth(key)
        ).raise_for_status()
    everything = search(hub, key, q="neft", limit=100)
    assert len(everything["results"]) == 7 and everything["next"] is None
    seen, after, pages = [], None, 0
    while True:
        page = search(hub, key, q="neft", limit=3, **({"after": after} if after else {}))
        seen += page["results"]
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert pages == 3 and seen == everything["results"]
    keys = [(r["versionCreated"], r["storyId"], r["language"]) for r in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "q"),
        ({"q": ""}, 422, "q"),
        ({"q": "   "}, 422, "q"),
        ({"q": "x" * 201}, 422, "q"),
        ({"q": "!!! … ---"}, 422, "q"),
        ({"q": '"" *'}, 422, "q"),
        ({"q": "a*"}, 422, "q"),
        ({"q": " ".join(["söz"] * 13)}, 422, "q"),
        ({"q": "neft", "lang": "xx"}, 422, "lang"),
        ({"q": "neft", "limit": 0}, 422, "limit"),
        ({"q": "neft", "limit": 101}, 422, "limit"),
        ({"q": "neft", "since": "2026-12-01T09:00:00"}, 422, "since"),
        ({"q": "neft", "until": "yesterday"}, 422, "until"),
        ({"q": "neft", "since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, 422, "since"),
        ({"q": "neft", "after": "bm90IGEgY3Vyc29y"}, 422, "after"),
        ({"q": "neft", "agency": "nobody"}, 404, None),
    ],
)
def test_bad_requests_are_refused_precisely(
    hub: HubHarness, params: dict[str, Any], status: int, field: str | None
) -> None:
    key = hub.agency("azertac")
    response = hub.client.get("/v1/search", params=params, headers=hub.auth(key))
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "detail"}
    assert body["error"] == ("invalid_request" if status == 422 else "not_found")
    if field is not None:
        assert body["detail"].startswith(f"{field}:"), body


def test_search_needs_a_pull_key(hub: HubHarness) -> None:
    push_only = hub.agency("azertac", scopes="push")
    assert hub.client.get("/v1/search", params={"q": "neft"}).json()["error"] == "unauthorized"
    response = hub.client.get("/v1/search", params={"q": "neft"}, headers=hub.auth(push_only))
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    "q",
    [
        "OR AND NOT NEAR",
        "terms : neft",
        "{latin_terms} : neft",
        "neft & !qaz | x <-> y",
        "NEAR(neft qaz, 2)",
        "'neft' \\ ^neft",
        '"neft" "qaz" *',
    ],
)
def test_engine_syntax_in_a_query_is_only_words(hub: HubHarness, q: str) -> None:
    key = hub.agency("azertac")
    story_id = hub.client.post(
        "/v1/stories",
        json=story("s", headline="Neft və qaz ixracı", body="Or and not near neft, qaz, terms: latin_terms x y 2"),
        headers=hub.auth(key),
    ).json()["id"]
    response = hub.client.get("/v1/search", params={"q": q}, headers=hub.auth(key))
    assert response.status_code == 200, response.text
    # Every query above is made of words the story has, in that order where they touch
    # ("NEAR(neft" is the phrase "near neft"): operators are words, or nothing.
    assert [r["storyId"] for r in response.json()["results"]] == [story_id]
