"""Alembic migrations and the models agree, up and down, on every backend.

The search index's engine-specific objects live in the migration only (hub/models/serving.py
``SearchDocument``): PostgreSQL's generated tsvector columns and their GIN indexes,
SQLite's FTS5 table (and its shadow tables) and triggers. The comparison leaves exactly
those out, and the tests below check that they are there, with the right definition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from hub.db import check_schema, current_revision, downgrade, head_revision, make_engine, upgrade
from hub.models import Base
from tests.fixtures.hub import HubHarness, make_settings, story

ENGINE_SEARCH_COLUMNS = {"terms_vector", "latin_vector"}
ENGINE_SEARCH_INDEXES = {"ix_search_documents_terms_vector", "ix_search_documents_latin_vector"}


def _not_engine_search_object(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "table" and name is not None and name.startswith("search_fts"):
        return False
    if parent_names.get("table_name") == "search_documents":
        return not (type_ == "column" and name in ENGINE_SEARCH_COLUMNS) and not (
            type_ == "index" and name in ENGINE_SEARCH_INDEXES
        )
    return True


def test_schema_at_head_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        check_schema(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _not_engine_search_object})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
        _assert_search_engine_objects(engine)
    finally:
        engine.dispose()


def _assert_search_engine_objects(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            columns = {c["name"]: str(c["type"]) for c in inspect(conn).get_columns("search_documents")}
            assert {name: columns.get(name) for name in ENGINE_SEARCH_COLUMNS} == dict.fromkeys(
                ENGINE_SEARCH_COLUMNS, "TSVECTOR"
            )
            methods = dict(
                conn.execute(
                    text(
                        "SELECT i.relname, am.amname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                        "JOIN pg_am am ON am.oid = i.relam WHERE x.indrelid = 'search_documents'::regclass"
                    )
                ).all()
            )
            assert {name: methods.get(name) for name in ENGINE_SEARCH_INDEXES} == dict.fromkeys(
                ENGINE_SEARCH_INDEXES, "gin"
            )
            assert conn.scalar(text("SELECT count(*) FROM pg_ts_config WHERE cfgname = 'ulak_search'")) == 1
        else:
            sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'search_fts'"))
            assert sql is not None and "fts5" in sql and "content='search_documents'" in sql
            triggers = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            assert {"search_documents_ai", "search_documents_ad", "search_documents_au"} <= triggers


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(database_url)
        assert current_revision(engine) == head_revision()
        _assert_search_engine_objects(engine)
    finally:
        engine.dispose()


def test_feed_entries_get_their_versions_source_language_on_upgrade(database_url: str, tmp_path: Path) -> None:
    """0012 fills ``feed_entries.source_lang`` from each entry's own version, not from
    the story (whose language a later version changed)."""
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as hub:
        key = hub.agency("azertac")
        for language, headline in (("az", "Xəbər başlığı"), ("tr", "Haber başlığı")):
            pushed = hub.client.post(
                "/v1/stories", json=story("s-1", language=language, headline=headline), headers=hub.auth(key)
            )
            assert pushed.status_code in (200, 201), pushed.text
    rows = _feed_entries_after_upgrade_from(
        database_url, "0011", "source_lang", "SELECT version, language, source_lang FROM feed_entries ORDER BY seq"
    )
    assert [tuple(row) for row in rows] == [(1, "az", "az"), (2, "tr", "tr")]


def _feed_entries_after_upgrade_from(database_url: str, revision: str, column: str, query: str) -> list[Any]:
    """Down to ``revision`` (which has no ``feed_entries.column`` yet), up to head again:
    the rows of ``query`` then."""
    downgrade(database_url, revision)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert column not in {c["name"] for c in inspect(conn).get_columns("feed_entries")}
        upgrade(database_url)
        with engine.connect() as conn:
            return list(conn.execute(text(query)).all())
    finally:
        engine.dispose()


def test_originals_get_the_languages_of_their_translations_on_upgrade(database_url: str, tmp_path: Path) -> None:
    """0013 fills ``translation_languages`` on each original from its own version's
    translations; translations, and originals without any, keep NULL."""
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as hub:
        key = hub.agency("azertac")
        for guid in ("s-1", "s-2"):
            pushed = hub.client.post("/v1/stories", json=story(guid), headers=hub.auth(key))
            assert pushed.status_code == 201, pushed.text
    downgrade(database_url, "0012")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            translated = conn.scalar(text("SELECT min(story_id) FROM language_versions"))
            for language in ("tr", "en"):
                conn.execute(
                    text(
                        "INSERT INTO language_versions (story_id, version, language, is_original, object_key, "
                        "document, served, created_at) SELECT story_id, version, :language, false, object_key, "
                        "document, served, created_at FROM language_versions WHERE story_id = :story AND is_original"
                    ),
                    {"language": language, "story": translated},
                )
        upgrade(database_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT story_id, language, translation_languages FROM language_versions")).all()
        listed = {(story_id, language): value for story_id, language, value in rows}
        assert sorted(listed.pop((translated, "az")).split(",")) == ["en", "tr"]
        assert set(listed.values()) == {None}  # the other original, and the translations
    finally:
        engine.dispose()


def test_feed_entries_get_the_id_of_the_language_version_they_announce_on_upgrade(
    database_url: str, tmp_path: Path
) -> None:
    """0014 fills ``feed_entries.language_version_id`` from the (story, version, language)
    each entry names: an update's entry gets the new version's row, a kill's the row it
    announces again; a feed page read afterwards serves every entry."""
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as hub:
        key, reader = hub.agency("azertac"), hub.agency("trt", scopes="pull")
        ids = []
        for guid, headline in (("s-1", "Birinci"), ("s-1", "Birinci, yenilənib"), ("s-2", "İkinci")):
            pushed = hub.client.post("/v1/stories", json=story(guid, headline=headline), headers=hub.auth(key))
            assert pushed.status_code in (200, 201), pushed.text
            ids.append(pushed.json()["id"])
        killed = hub.client.post(f"/v1/stories/{ids[2]}/kill", headers=hub.auth(key))
        assert killed.status_code == 200, killed.text
        before = hub.client.get("/v1/feed", params={"lang": "az"}, headers=hub.auth(reader)).json()
    rows = _feed_entries_after_upgrade_from(
        database_url,
        "0013",
        "language_version_id",
        "SELECT f.story_id, f.version, f.language, v.story_id, v.version, v.language FROM feed_entries f "
        "LEFT JOIN language_versions v ON v.id = f.language_version_id ORDER BY f.seq",
    )
    assert [row[1] for row in rows] == [1, 2, 1, 1]  # s-1 twice, s-2 and its kill
    assert all(tuple(row[:3]) == tuple(row[3:]) for row in rows)
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as hub:
        after = hub.client.get("/v1/feed", params={"lang": "az"}, headers=hub.auth(reader))
    assert after.json() == before
