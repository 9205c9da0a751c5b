"""Documents served from their stored texts (hub/stories/served.py) are the documents the
hub served before it kept those texts: checked against that implementation, kept here as
the oracle, on the shapes a stored document takes; and migration 0010 fills the texts of
rows stored before it."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from sqlalchemy import String, Text, cast, literal, select, text

from benchmarks import feed as feed_benchmark
from hub.db import downgrade, make_engine, upgrade, utf8_bytes
from hub.feed.repository import FeedRow
from hub.feed.service import entry_json
from hub.stories.ninjs import present, story_uri
from hub.stories.served import served_item, served_texts


def presented_before(
    document: dict[str, Any], *, pub_status: str, languages: list[str], original_language: str
) -> dict[str, Any]:
    """``present`` as it was before the served texts (decode, copy, add links)."""
    doc = dict(document)
    doc["pubStatus"] = pub_status
    own = doc["language"]
    story_id = next(a["value"] for a in doc["altIds"] if a["role"] == "ulakStoryId")
    associations = [a for a in doc.get("associations", []) if a.get("rel") not in ("translation", "translatedFrom")]
    if own != original_language:
        associations.append(
            {
                "name": f"original ({original_language})",
                "uri": story_uri(story_id, original_language),
                "rel": "translatedFrom",
                "language": original_language,
                "version": doc["version"],
            }
        )
    else:
        for lang in languages:
            if lang != own:
                associations.append(
                    {
                        "name": f"translation ({lang})",
                        "uri": story_uri(story_id, lang),
                        "rel": "translation",
                        "language": lang,
                        "version": doc["version"],
                    }
                )
    if associations:
        doc["associations"] = associations
    return doc


PICTURE = {"name": "photo", "type": "picture", "uri": "urn:x:1", "renditions": [{"href": "/v1/media/ab", "width": 9}]}


def document(language: str = "az", **fields: Any) -> dict[str, Any]:
    return {
        "uri": f"urn:ulak:story:s1:{language}",
        "version": "3",
        "language": language,
        "pubStatus": "usable",
        "altIds": [{"role": "ulakStoryId", "value": "s1"}],
        "headlines": [{"role": "main", "value": 'Bakıda “forum” — 5 000 nəfər \\ "sitat" \u2028'}],
        **fields,
    }


CASES = [
    ("original, no translations", document(), [], "az"),
    ("original with translations", document(), ["az", "en", "tr"], "az"),
    ("original with a picture and translations", document(associations=[PICTURE]), ["az", "ru"], "az"),
    ("original with an empty associations list", document(associations=[]), ["az"], "az"),
    ("translation", document("tr"), [], "az"),
    ("translation with a picture", document("en", associations=[PICTURE, PICTURE]), [], "az"),
    (
        "translation that stored its link",
        document("ru", associations=[{"rel": "translatedFrom", "uri": "urn:old", "name": "original (az)"}]),
        [],
        "az",
    ),
]


@pytest.mark.parametrize(("case", "stored", "languages", "original"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("status", ["usable", "canceled"])
def test_a_served_document_is_what_the_hub_served_before(
    case: str, stored: dict[str, Any], languages: list[str], original: str, status: str
) -> None:
    expected = presented_before(stored, pub_status=status, languages=languages, original_language=original)
    served = present(stored, pub_status=status, languages=languages, original_language=original)
    assert served == expected
    assert served["pubStatus"] == status and stored["pubStatus"] == "usable"  # the stored one is untouched


@pytest.mark.parametrize(("case", "stored", "languages", "original"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("status", ["usable", "canceled"])
def test_a_feed_entry_serves_the_document_as_the_hub_served_it_before(
    case: str, stored: dict[str, Any], languages: list[str], original: str, status: str
) -> None:
    """A feed page's entries (and webhook bodies) are spliced by ``entry_json``, apart
    from ``present``: the same document, from a row as the page query returns it (an
    original lists the languages it has been translated into, a translation nothing)."""
    served, own = served_texts(stored)
    own_language = stored["language"]
    translated = [lang for lang in languages if lang != own_language] if own_language == original else []
    row = FeedRow(
        7,
        "s1",
        3,
        own_language,
        status,
        "ok",
        original,
        served.encode(),
        own and own.encode(),
        ",".join(translated) or None,
    )
    entry = json.loads(entry_json(row))
    assert entry == {
        "storyId": "s1",
        "version": 3,
        "language": own_language,
        "pubStatus": status,
        "quality": "ok",
        "item": presented_before(stored, pub_status=status, languages=languages, original_language=original),
    }


def test_the_served_text_is_json_written_as_is() -> None:
    served, own = served_texts(document(associations=[PICTURE]))
    assert own is not None and json.loads(own) == [PICTURE]
    assert "Bakıda" in served and "\\u" not in served.replace("\\u2028", "")  # UTF-8, not escapes
    assert "pubStatus" not in json.loads(served) and "associations" not in json.loads(served)
    item = served_item(served.encode(), own.encode(), pub_status="withheld", linked=b"")
    assert json.loads(item) == {**document(associations=[PICTURE]), "pubStatus": "withheld"}


def test_what_orjson_refuses_is_still_served() -> None:
    huge = document(extension={"count": 2**70})  # beyond 64 bits: orjson cannot write it
    served, own = served_texts(huge)
    assert own is None
    item = json.loads(served_item(served.encode(), own, pub_status="usable", linked=b""))
    assert item["extension"] == {"count": 2**70}


def test_utf8_bytes_reads_text_as_its_stored_bytes_and_leaves_other_statements_alone(database_url: str) -> None:
    """Feed pages read the served texts through ``utf8_bytes``: the bytes as stored, no
    escape interpreted; a varchar column of the same statement and a later statement on
    the same connection still come back as ``str``."""
    value = 'Bakıda "forum" açılıb \\ ə — \u2028'
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            raw, code = conn.execute(select(utf8_bytes(cast(literal(value), Text)), cast(literal("az"), String))).one()
            again = conn.execute(select(cast(literal(value), Text))).scalar_one()
    finally:
        engine.dispose()
    assert raw == value.encode() and isinstance(raw, bytes)
    assert code == "az" and again == value


def test_the_migration_fills_the_texts_of_stored_rows(database_url: str) -> None:
    downgrade(database_url, "0009")
    engine = make_engine(database_url)
    stored = document(associations=[PICTURE])
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO agencies (id, code, name, is_partner, created_at) "
                    "VALUES (1, 'aa', 'A', false, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO stories (id, agency_id, guid, source_lang, current_version, pub_status, "
                    "first_created, updated_at) VALUES ('s1', 1, 'g', 'az', 3, 'usable', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO story_versions (story_id, version, content_hash, source_lang, version_created) "
                    "VALUES ('s1', 3, 'h', 'az', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO language_versions (story_id, version, language, is_original, object_key, "
                    "document, created_at) VALUES ('s1', 3, 'az', true, 'k', :doc, CURRENT_TIMESTAMP)"
                ),
                {"doc": json.dumps(stored)},
            )
        upgrade(database_url)
        with engine.connect() as conn:
            served, own = conn.execute(text("SELECT served, served_associations FROM language_versions")).one()
        assert orjson.loads(served) == orjson.loads(served_texts(stored)[0])
        assert own is not None and orjson.loads(own) == [PICTURE]
    finally:
        engine.dispose()


def test_postgresql_keeps_a_typical_served_text_in_its_row_uncompressed(postgres_url: str) -> None:
    """Migration 0015: a story of about 2 KB (benchmarks/feed.py's) has a row over
    PostgreSQL's toast threshold; the stored document is compressed (and moved out) and
    the served text stays as it is, so a feed page reads it without decompressing. Before
    0015 pglz compressed the served text; rows stored then change when rewritten."""

    def layout() -> list[tuple[str | None, str | None]]:
        query = "SELECT pg_column_compression(served), pg_column_compression(document) FROM language_versions"
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]

    downgrade(postgres_url, "0014")
    agency_id, _ = feed_benchmark.create_agencies(postgres_url)
    feed_benchmark.load_postgres(postgres_url, 3, agency_id)
    engine = make_engine(postgres_url)
    try:
        assert layout() == [("pglz", "pglz")] * 3
        upgrade(postgres_url)
        assert layout() == [("pglz", "pglz")] * 3  # stored rows keep their layout
        with engine.begin() as conn:
            conn.execute(text("UPDATE language_versions SET served = served || ''"))  # the optional rewrite
            storage = conn.execute(
                text(
                    "SELECT attname, attstorage, attcompression FROM pg_attribute "
                    "WHERE attrelid = 'language_versions'::regclass AND attname LIKE 'served%' ORDER BY attname"
                )
            ).all()
        assert layout() == [(None, "pglz")] * 3
    finally:
        engine.dispose()
    # Debian's PostgreSQL, as on the CI machine, is built with LZ4: what must be compressed is with it.
    assert [tuple(row) for row in storage] == [("served", "m", "l"), ("served_associations", "m", "l")]
