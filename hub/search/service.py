"""Search across languages: validate the request, run one indexed query (read-only,
committed versions only), cut the snippets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hub.auth.service import Principal
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import InvalidRequest, NotFound
from hub.models import Agency
from hub.runtime import HubRuntime
from hub.search import index
from hub.search.cursor import decode_cursor, encode_cursor
from hub.search.query import parse_query
from hub.search.schemas import SearchPage, SearchResult
from hub.search.snippet import snippet

MAX_PAGE = 100


def search(
    runtime: HubRuntime,
    caller: Principal,
    *,
    q: str,
    language: str | None,
    agency: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    after: str | None,
) -> SearchPage:
    if language is not None and language not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise InvalidRequest(f"lang: unsupported language {language!r}; supported: {supported}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit: must be between 1 and {MAX_PAGE}")
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidRequest(f"{name}: give a timezone, e.g. 2026-12-01T00:00:00Z")
    if since is not None and until is not None and since > until:
        raise InvalidRequest("since: must not be after until")
    query = parse_query(q)
    position = decode_cursor(after) if after else None
    # A plain read: it sees committed versions only, and writes nothing.
    with runtime.read() as session:
        agency_id = None
        if agency is not None:
            agency_id = session.scalar(select(Agency.id).where(Agency.code == agency.lower()))
            if agency_id is None:
                raise NotFound(f"no agency {agency!r}")
        filters = index.SearchFilters(
            reader_agency_id=caller.agency_id,
            now=runtime.clock(),
            language=language,
            agency_id=agency_id,
            since=since,
            until=until,
            after=position,
            limit=limit + 1,  # one more than asked: whether there is a next page
        )
        rows = index.search(session, query, filters)
    page, more = rows[:limit], len(rows) > limit
    results = [
        SearchResult(
            storyId=row.story_id,
            version=row.version,
            language=row.language,
            headline=row.headline,
            snippet=snippet(row.body, row.language, query.words_for(row.language)),
            versionCreated=row.version_created,
        )
        for row in page
    ]
    last = page[-1] if page else None
    next_cursor = (
        encode_cursor(index.Position(last.version_created, last.story_id, last.language))
        if more and last is not None
        else None
    )
    return SearchPage(results=results, next=next_cursor)


def reindex(runtime: HubRuntime) -> int:
    """Rebuild the whole index in one transaction: searches see the old index until it commits."""
    with runtime.write() as session:
        return index.reindex_all(session)
