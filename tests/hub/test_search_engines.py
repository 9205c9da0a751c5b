"""The two engines see the same words: what hub/search/text.py hands them is tokenised
by FTS5 (``ascii``) and by PostgreSQL (``ulak_search``: the ``simple`` parser with
``unaccent``) into exactly the words Python made, in order — so no query can match on
one database and not on the other for a tokenisation reason. And the index of stories
pushed before it existed is built by ``ulak db upgrade`` / ``ulak search reindex``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hub.cli import app
from hub.db import downgrade, make_engine
from hub.search.index import SearchFilters, search_statement
from hub.search.query import parse_query
from hub.search.text import indexed, latin_key
from tests.fixtures.hub import HubHarness, make_settings, story

TEXTS = [
    "Prezident İlham Əliyev Bakı'da — IĞDIR, ışık; ĞÜŞİÖÇ ğüşiöç",
    "Тошкент вилоятида пахта терими бошланди: Ўзбекистон, ҳосил, ғалла, қишлоқ",
    "Қазақстан мен Өзбекстан: ә, ғ, қ, ң, ө, ұ, ү, һ, і",
    "В Москве ёлка, йод, Щёлково; «кавычки» и “quotes”",
    "O‘zbekiston, G'ijduvon, ma’lumot, oʻrta, Bakü’de, rock`n`roll",
    "Łódź Straße ½ ٣٤ x² œuvre Ærø đường e-mail foo@bar.com 3.14 v1.2 hello_world 2026-12-02 50%",
    "<p>HTML &amp; entities</p> tab\tnew\nline  ",
]


@pytest.fixture
def indexed_hub(hub: HubHarness) -> HubHarness:
    key = hub.agency("azertac")
    for number, value in enumerate(TEXTS):
        for language in ("uz", "kk", "az"):
            document = story(f"{language}-{number}", language=language, headline="x", body=value)
            hub.client.post("/v1/stories", json=document, headers=hub.auth(key)).raise_for_status()
    return hub


def engine_words(hub: HubHarness, column: str) -> dict[str, list[str]]:
    """What the database's own tokeniser made of each row's ``column``, in order."""
    engine = hub.runtime.engine
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, {column} FROM search_documents")).all()
        for row_id, value in rows:
            if engine.dialect.name == "postgresql":
                lexemes = conn.execute(
                    text("SELECT lexemes[1] FROM ts_debug('ulak_search', :t) WHERE lexemes IS NOT NULL"),
                    {"t": value or ""},
                ).scalars()
                # The stored vector is the one searched: its lexemes are exactly these.
                stored = conn.scalar(
                    text(
                        f"SELECT tsvector_to_array({'terms' if column == 'terms' else 'latin'}_vector) "
                        "FROM search_documents WHERE id = :id"
                    ),
                    {"id": row_id},
                )
                found[value or ""] = list(lexemes)
                assert sorted(stored) == sorted(set(found[value or ""]))
            else:
                conn.execute(
                    text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, search_fts, instance)")
                )
                col = "terms" if column == "terms" else "latin_terms"
                terms = conn.execute(
                    text("SELECT term FROM temp.vocab WHERE doc = :id AND col = :col ORDER BY offset"),
                    {"id": row_id, "col": col},
                ).scalars()
                found[value or ""] = list(terms)
    return found


def test_both_engines_tokenise_into_pythons_words(indexed_hub: HubHarness) -> None:
    for column in ("terms", "latin_terms"):
        seen = engine_words(indexed_hub, column)
        assert len(seen) >= len(TEXTS)  # one per text, at least (az rows have no Latin key)
        for value, words in seen.items():
            assert words == value.split(), (column, value)
    # And those are the words of the texts, Latin keys included.
    with indexed_hub.runtime.engine.connect() as conn:
        stored = set(conn.execute(text("SELECT terms, latin_terms FROM search_documents")).all())
    for value in TEXTS:
        assert (indexed(f"x {value}"), indexed(latin_key(f"x {value}", "uz"))) in stored


def test_unaccent_changes_nothing_that_was_folded(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            for value in TEXTS:
                for form in (value, latin_key(value, "uz"), latin_key(value, "kk")):
                    folded = indexed(form)
                    assert conn.scalar(text("SELECT unaccent(:t)"), {"t": folded}) == folded
    finally:
        engine.dispose()


runner = CliRunner()


def test_db_upgrade_indexes_stories_pushed_before_search_existed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False)
    with HubHarness.start(settings) as hub:
        key = hub.agency("uzreport")
        for guid, headline in (("a", "Тошкент шаҳрида янги мактаб"), ("b", "Samarqandda yangi maktab")):
            document = story(guid, language="uz", headline=headline, body="Мактаб 500 ўқувчига мўлжалланган.")
            hub.client.post("/v1/stories", json=document, headers=hub.auth(key)).raise_for_status()
    downgrade(database_url, "0006")  # as the hub was before search

    monkeypatch.setenv("ULAK_DATABASE_URL", database_url)
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    upgraded = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert upgraded.exit_code == 0, upgraded.output
    assert "search index created: 2 language version(s) indexed" in upgraded.stdout
    again = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert again.exit_code == 0 and "search index" not in again.stdout  # only when it creates the index

    with HubHarness.start(settings) as hub:
        key = hub.agency("uzreport")
        found = hub.client.get("/v1/search", params={"q": "Toshkent"}, headers=hub.auth(key)).json()["results"]
        assert [r["headline"] for r in found] == ["Тошкент шаҳрида янги мактаб"]
        with hub.runtime.write() as session:
            session.execute(text("DELETE FROM search_documents"))
        assert hub.client.get("/v1/search", params={"q": "maktab"}, headers=hub.auth(key)).json()["results"] == []
        reindexed = runner.invoke(app, ["search", "reindex"], catch_exceptions=False)
        assert reindexed.exit_code == 0 and "2 language version(s) indexed" in reindexed.stdout
        found = hub.client.get("/v1/search", params={"q": "мактаб"}, headers=hub.auth(key)).json()["results"]
        assert sorted(r["headline"] for r in found) == ["Samarqandda yangi maktab", "Тошкент шаҳрида янги мактаб"]


def test_reindex_refuses_an_outdated_schema(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    downgrade(database_url, "0006")
    monkeypatch.setenv("ULAK_DATABASE_URL", database_url)
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["search", "reindex"], catch_exceptions=False)
    assert result.exit_code == 1 and "ulak db upgrade" in result.stderr


def test_a_search_is_one_indexed_query(indexed_hub: HubHarness) -> None:
    """The plan uses the engine's full-text index (FTS5's MATCH; PostgreSQL's GIN index,
    with sequential scans priced out so that the tiny test table does not hide the plan)."""
    engine = indexed_hub.runtime.engine
    query = parse_query("Тошкент пахта*")
    filters = SearchFilters(reader_agency_id=1, now=datetime(2026, 12, 1, tzinfo=UTC), limit=21)
    explain = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "

    def explained(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        return explain + statement, parameters

    with Session(engine) as session:
        statement = search_statement(session, query, filters)
        connection = session.connection()
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        event.listen(connection, "before_cursor_execute", explained, retval=True)
        try:
            plan = "\n".join(str(row[-1]) for row in connection.execute(statement).all())
        finally:
            event.remove(connection, "before_cursor_execute", explained)
        if engine.dialect.name == "postgresql":
            # The planner picks among indexes by cost (on this tiny table it may take the
            # language index for the Latin alternatives); it never reads the whole table.
            assert "Bitmap Index Scan on ix_search_documents_terms_vector" in plan, plan
            assert "Seq Scan on search_documents" not in plan, plan
        else:
            assert plan.count("SCAN search_fts VIRTUAL TABLE INDEX 0:M") >= len(query.forms), plan
            assert "SCAN search_documents" not in plan, plan  # rows are fetched by rowid only
        assert len(list(session.scalars(statement))) == 3  # and it finds the texts that have both
