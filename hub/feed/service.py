"""The syndication feed: cursor pages per language, embargoes released as they pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.auth.service import Principal
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import InvalidRequest, NotFound
from hub.feed import repository as repo
from hub.feed.cursor import decode_cursor, encode_cursor
from hub.models import Agency
from hub.runtime import HubRuntime
from hub.stories.ninjs import present

MAX_PAGE = 1000


def release_due_embargoes(runtime: HubRuntime) -> int:
    """Announce stories whose embargo has passed. Cheap when none is due (an indexed
    read), so feed reads call it instead of relying on a scheduler being up. Many
    readers may find the same story due at once: each locks what it releases before it
    takes the feed lock, and only the first to claim a story announces it."""
    now = runtime.clock()
    with runtime.read() as session:
        if not repo.due_embargo_story_ids(session, now):
            return 0
    with runtime.write() as session:
        due = repo.lock_due_embargoes(session, now)
        return sum(repo.release_embargo(session, story, now=now) for story in due)


def read_feed(
    runtime: HubRuntime, caller: Principal, *, language: str, after: str | None, limit: int, agency: str | None
) -> dict[str, Any]:
    if language not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise InvalidRequest(f"lang: unsupported language {language!r}; supported: {supported}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit: must be between 1 and {MAX_PAGE}")
    position = decode_cursor(after)
    release_due_embargoes(runtime)
    with runtime.read() as session:
        agency_id = None
        if agency is not None:
            agency_id = session.scalar(select(Agency.id).where(Agency.code == agency.lower()))
            if agency_id is None:
                raise NotFound(f"no agency {agency!r}")
        rows = repo.page(
            session,
            reader_agency_id=caller.agency_id,
            language=language,
            after=position,
            limit=limit,
            agency_id=agency_id,
        )
        links = repo.languages_of(session, {(r.story_id, r.version) for r in rows})
    entries = [
        {
            "storyId": r.story_id,
            "version": r.version,
            "language": r.language,
            "pubStatus": r.pub_status,
            "item": present(
                r.document,
                pub_status=r.pub_status,
                languages=links[(r.story_id, r.version)],
                original_language=r.source_lang,
            ),
        }
        for r in rows
    ]
    return {"entries": entries, "next": encode_cursor(rows[-1].seq) if rows else (after or encode_cursor(0))}
