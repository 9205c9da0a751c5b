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
        "Астанада өткен кездесуде екі ел президенттері ынтымақтастықты талқылады.",
    ),
    "kk-latn-forum": (
        "kk",
        "Qazaqstan astanasynda halyqaralyq investisiialyq forum ötti",
        "Forumga 30 elden investorlar qatysty.",
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
