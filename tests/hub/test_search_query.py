"""The fold, the words and the query language of search (pure functions: no database)."""

from __future__ import annotations

import pytest

from hub.errors import InvalidRequest
from hub.search.query import parse_query
from hub.search.snippet import snippet
from hub.search.text import fold, latin_key, plain_text, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("İSTANBUL Iğdır ışık", ["istanbul", "igdir", "isik"]),  # Turkish I/İ/ı all fold to i
        ("İlham Əliyev", ["ilham", "eliyev"]),
        ("Bakü’de O‘zbekiston G'ijduvon", ["baku", "de", "o", "zbekiston", "g", "ijduvon"]),
        ("Ёлка йод Ўзбекистон", ["елка", "йод", "ўзбекистон"]),  # ё→е; й and ў stay letters
        ("Łódź Straße Ærø", ["lodz", "strasse", "aero"]),
        ("٣٤ x² 3.14 hello_world", ["34", "x2", "3", "14", "hello", "world"]),
        ("a" * 101 + " kept", ["kept"]),  # longer than any engine keeps
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_fold_is_idempotent_and_the_latin_keys_meet() -> None:
    for text in ("İlham Əliyev Bakü’de", "Тошкент Ўзбекистон", "Қазақстан Шымкент"):
        assert fold(fold(text)) == fold(text)
    assert words(latin_key("Тошкент шаҳри", "uz")) == words(latin_key("Toshkent shahri", "uz")) == ["toskent", "sahri"]
    assert words(latin_key("Шымкент", "kk")) == words(latin_key("Şymkent", "kk")) == words(latin_key("Shymkent", "kk"))
    assert latin_key("Путин", "ru") == "Путин"  # no Latin key outside Uzbek and Kazakh


def test_plain_text_keeps_blocks_apart_and_decodes_entities() -> None:
    assert plain_text("<p>Salam&amp;<b>dünya</b></p><p>ikinci</p>", html=True) == "Salam&dünya ikinci"
    assert plain_text("  a\n\tb  ", html=False) == "a b"


def test_one_parse_gives_both_engines_the_same_terms() -> None:
    query = parse_query('Toshkent "metro bekati" yo‘lov*')
    written = query.forms[0]
    assert written.fts5() == 'terms : ("toshkent" AND "metro bekati" AND "yo lov" *)'
    assert written.tsquery() == "('toshkent') & ('metro' <-> 'bekati') & ('yo' <-> 'lov':*)"
    uzbek = next(form for form in query.forms if form.language == "uz")
    assert uzbek.fts5() == 'latin_terms : ("toskent" AND "metro bekati" AND "yolov" *)'


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "give at least one word"),
        ("?! — …", "no letters or digits"),
        ("x" * 201, "at most 200 characters"),
        ("a* neft", "at least 2 letters"),
        (" ".join(f"w{n}" for n in range(13)), "at most 12 words"),
    ],
)
def test_refusals(q: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as refused:
        parse_query(q)
    assert refused.value.detail.startswith("q: ")


def test_snippet_marks_cuts_and_finds_prefixes_and_other_scripts() -> None:
    body = " ".join(f"w{n}" for n in range(50))
    assert snippet(body, "az", [("w20", False)]) == "… " + " ".join(f"w{n}" for n in range(8, 44)) + " …"
    assert snippet("Бу Тошкент шаҳри", "uz", parse_query("toshk*").words_for("uz")) == "Бу Тошкент шаҳри"
    assert snippet("short body", "en", [("absent", False)]) == "short body"
