"""The search index: every query and write of ``search_documents``, and the one place
where the two engines differ.

Writes are the same on both databases: a row per story and language of the current
version, with the folded words (hub/search/text.py). Each engine indexes those words
itself — PostgreSQL in generated tsvector columns (GIN), SQLite in an FTS5 table the
migration's triggers keep in step — so a row and its index entry are written in the
caller's transaction, together with the version they describe. Reads differ only in
``matches``: an FTS5 MATCH or a tsquery, built from the same parsed query
(hub/search/query.py). Functions here flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    delete,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from hub.models import LanguageVersion, SearchDocument, Story
from hub.search.query import Form, SearchQuery
from hub.search.text import TRANSLITERATED_LANGUAGES, indexed, latin_key, plain_text
from hub.stories.ninjs import TEXT_FIELDS
from hub.stories.repository import visible_to_all
from translation import is_html


class EngineIndex(Protocol):
    def matches(self, form: Form, name: str) -> ColumnElement[bool]:
        """Rows whose column for ``form`` matches it; ``name`` names its bound parameter."""


class SqliteIndex:
    """FTS5 (``search_fts``, rowid = ``search_documents.id``)."""

    def matches(self, form: Form, name: str) -> ColumnElement[bool]:
        fts = table("search_fts", column("rowid"))
        matching = literal_column("search_fts").op("MATCH", is_comparison=True)(bindparam(name, form.fts5()))
        return SearchDocument.id.in_(select(fts.c.rowid).where(matching))


class PostgresIndex:
    """Generated tsvector columns with GIN indexes, configuration ``ulak_search``."""

    def matches(self, form: Form, name: str) -> ColumnElement[bool]:
        # The generated columns are the migration's, not the model's (see hub/models/serving.py).
        name_of_vector = "terms_vector" if form.language is None else "latin_vector"
        vector: ColumnElement[Any] = literal_column(f"search_documents.{name_of_vector}")
        tsquery = func.to_tsquery(literal_column("'ulak_search'::regconfig"), bindparam(name, form.tsquery()))
        return vector.op("@@", is_comparison=True)(tsquery)


def engine_index(session: Session) -> EngineIndex:
    return PostgresIndex() if session.get_bind().dialect.name == "postgresql" else SqliteIndex()


@dataclass(frozen=True)
class Searchable:
    headline: str
    body: str
    terms: str
    latin_terms: str | None


def searchable(document: dict[str, Any], language: str) -> Searchable:
    """The text of a ninjs document (headlines; descriptions and bodies), HTML removed."""
    texts = {
        array: [plain_text(item["value"], html=is_html(item.get("contentType"))) for item in document.get(array, [])]
        for array in TEXT_FIELDS
    }
    headline = " ".join(texts["headlines"])
    body = " ".join(texts["descriptions"] + texts["bodies"])
    whole = f"{headline} {body}"
    latin = indexed(latin_key(whole, language)) if language in TRANSLITERATED_LANGUAGES else None
    return Searchable(headline, body, indexed(whole), latin)


def index_language_version(
    session: Session, story: Story, version: int, language: str, document: dict[str, Any], created: datetime
) -> None:
    """Index one language of ``story`` at ``version`` (the current version), replacing
    what that language had indexed before."""
    found = searchable(document, language)
    row = session.scalar(
        select(SearchDocument).where(SearchDocument.story_id == story.id, SearchDocument.language == language)
    )
    if row is None:
        row = SearchDocument(story_id=story.id, language=language)
        session.add(row)
    row.version, row.agency_id, row.version_created = version, story.agency_id, created
    row.headline, row.body, row.terms, row.latin_terms = found.headline, found.body, found.terms, found.latin_terms
    session.flush()


def index_new_version(
    session: Session, story: Story, version: int, language: str, document: dict[str, Any], created: datetime
) -> None:
    """A new version replaces the old one in every language: its translations come
    later, each indexed as the worker writes it."""
    session.execute(
        delete(SearchDocument)
        .where(SearchDocument.story_id == story.id, SearchDocument.language != language)
        .execution_options(synchronize_session=False)
    )
    index_language_version(session, story, version, language, document, created)


def remove_story(session: Session, story_id: str) -> None:
    """A killed or withheld story leaves the index (a new version of a withheld story
    comes back with ``index_new_version``)."""
    session.execute(
        delete(SearchDocument).where(SearchDocument.story_id == story_id).execution_options(synchronize_session=False)
    )


def reindex_all(session: Session, *, batch_size: int = 500) -> int:
    """Rebuild the whole index from the current versions of usable stories; returns the
    number of language versions indexed."""
    session.execute(delete(SearchDocument).execution_options(synchronize_session=False))
    count, after = 0, ""
    while True:
        stories = list(
            session.scalars(
                select(Story).where(Story.pub_status == "usable", Story.id > after).order_by(Story.id).limit(batch_size)
            )
        )
        if not stories:
            return count
        by_id = {story.id: story for story in stories}
        rows = session.scalars(
            select(LanguageVersion)
            .join(Story, and_(Story.id == LanguageVersion.story_id, Story.current_version == LanguageVersion.version))
            .where(LanguageVersion.story_id.in_(by_id))
            .order_by(LanguageVersion.story_id, LanguageVersion.language)
        )
        for lv in rows:
            index_language_version(session, by_id[lv.story_id], lv.version, lv.language, lv.document, lv.created_at)
            count += 1
        session.expunge_all()  # a big hub must not hold every document in memory
        after = stories[-1].id


@dataclass(frozen=True)
class Position:
    """Where a page ended, in result order: newest first, then story id, then language."""

    version_created: datetime
    story_id: str
    language: str


@dataclass(frozen=True)
class SearchFilters:
    reader_agency_id: int
    now: datetime
    language: str | None = None
    agency_id: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    after: Position | None = None
    limit: int = 20


def search(session: Session, query: SearchQuery, filters: SearchFilters) -> Sequence[SearchDocument]:
    """Up to ``filters.limit`` matching rows the reader may see, in result order."""
    return list(session.scalars(search_statement(session, query, filters)))


def search_statement(session: Session, query: SearchQuery, filters: SearchFilters) -> Select[SearchDocument]:
    """The one query of a search page (tests EXPLAIN it).

    Visibility is the story's, read now: usable (not killed or withheld), and embargo
    passed unless the reader owns it — the rule of ``stories.service.visible_story``
    without the admin exception, as in the feed."""
    index = engine_index(session)
    alternatives = []
    for number, form in enumerate(query.forms):
        matched = index.matches(form, f"match_{number}")
        if form.language is not None:  # a Latin key is compared with Latin keys of its language only
            matched = and_(SearchDocument.language == form.language, matched)
        alternatives.append(matched)
    conditions: list[ColumnElement[bool]] = [
        or_(false(), *alternatives),
        Story.pub_status == "usable",
        SearchDocument.version == Story.current_version,
        or_(Story.agency_id == filters.reader_agency_id, visible_to_all(filters.now)),
    ]
    if filters.language is not None:
        conditions.append(SearchDocument.language == filters.language)
    if filters.agency_id is not None:
        conditions.append(SearchDocument.agency_id == filters.agency_id)
    if filters.since is not None:
        conditions.append(SearchDocument.version_created >= filters.since)
    if filters.until is not None:
        conditions.append(SearchDocument.version_created < filters.until)
    if filters.after is not None:
        conditions.append(_before(filters.after))
    return (
        select(SearchDocument)
        .join(Story, Story.id == SearchDocument.story_id)
        .where(*conditions)
        .order_by(SearchDocument.version_created.desc(), SearchDocument.story_id.desc(), SearchDocument.language.desc())
        .limit(filters.limit)
    )


def _before(position: Position) -> ColumnElement[bool]:
    created, story_id, language = SearchDocument.version_created, SearchDocument.story_id, SearchDocument.language
    return or_(
        created < position.version_created,
        and_(created == position.version_created, story_id < position.story_id),
        and_(created == position.version_created, story_id == position.story_id, language < position.language),
    )
