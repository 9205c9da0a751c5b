"""The syndication feed: cursor pages per language, embargoes released as they pass."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import InvalidRequest, NotFound
from hub.feed import repository as repo
from hub.feed.cursor import decode_cursor, encode_cursor
from hub.models import Agency
from hub.runtime import HubRuntime
from hub.stories.served import item_pieces, links_json, token, word

MAX_PAGE = 1000
QUALITY_FILTERS = ("ok",)
# How many entries one read may pass over for the quality filter before it answers with
# what it has (maybe nothing) and a cursor past them: a page costs at most this much.
MAX_SCANNED = 10 * MAX_PAGE
FILTERED_BATCH = 100


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


# How long a process trusts what it learnt of pending embargoes before asking again: an
# embargo pushed through another process is announced at most this late by this one's
# readers (its own pushes clear what it learnt; the worker's delivery loops release
# embargoes too). Saves every feed read a round trip.
EMBARGO_RECHECK = timedelta(seconds=1)


def embargo_due(runtime: HubRuntime, session: Session) -> bool:
    """Whether some embargo is due for release, asking the database at most once per
    ``EMBARGO_RECHECK`` or when the earliest pending embargo it knows of falls due."""
    now = runtime.clock()
    if runtime.embargo_recheck_at is not None and now < runtime.embargo_recheck_at:
        return False
    upcoming = repo.next_embargo(session)
    if upcoming is not None and upcoming <= now:
        runtime.embargo_recheck_at = None
        return True
    runtime.embargo_recheck_at = now + EMBARGO_RECHECK if upcoming is None else min(now + EMBARGO_RECHECK, upcoming)
    return False


def feed_page_json(
    runtime: HubRuntime,
    session: Session,
    caller: Principal,
    *,
    language: str,
    after: str | None,
    limit: int,
    agency: str | None,
    quality: str | None = None,
) -> bytes:
    """A feed page as JSON bytes, read in ``session`` (the request's, which authenticated
    the caller): the entries are spliced from their stored texts (hub/stories/served.py)."""
    if language not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise InvalidRequest(f"lang: unsupported language {language!r}; supported: {supported}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit: must be between 1 and {MAX_PAGE}")
    if quality is not None and quality not in QUALITY_FILTERS:
        raise InvalidRequest(f"quality: {quality!r} is not a filter; use quality=ok or leave it out")
    start = decode_cursor(after)
    # The embargo check shares the page's session, and only when a release is due does
    # the write below run (then the page is read afresh).
    if embargo_due(runtime, session):
        session.close()
        release_due_embargoes(runtime)
    agency_id = None
    if agency is not None:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == agency.lower()))
        if agency_id is None:
            raise NotFound(f"no agency {agency!r}")
    rows, position = _read_page(session, caller, language, start, limit, agency_id, quality)
    cursor = encode_cursor(position) if position != start else (after or encode_cursor(0))
    return b'{"entries":[%b],"next":%b}' % (b",".join([entry_json(row) for row in rows]), token(cursor))


def entry_json(row: tuple[Any, ...]) -> bytes:
    """One feed entry as partners get it, from ``GET /v1/feed`` and as a webhook's body
    alike, from a ``FeedRow`` or a plain row of the page query: JSON spliced from the
    stored texts' bytes, nothing decoded."""
    _, story_id, version, language, pub_status, quality, source_lang, served, own, translated = row
    linked = (
        links_json(
            story_id,
            version,
            language,
            original_language=source_lang,
            languages=sorted(translated.split(",")) if translated else None,
        )
        if translated or language != source_lang
        else b""  # an original not translated (yet): no links
    )
    status = word(pub_status)
    return _ENTRY % (
        token(story_id),
        version,
        word(language),
        status,
        word(quality),
        status,
        *item_pieces(served, own, linked),
    )


# An entry, its item spliced in (hub.stories.served.item_pieces) in the same format: each
# stored text is copied once into its entry (a list of pieces per entry cost a third more).
_ENTRY = b'{"storyId":%b,"version":%d,"language":%b,"pubStatus":%b,"quality":%b,"item":{"pubStatus":%b%b%b%b}'


def _read_page(
    session: Session,
    caller: Principal,
    language: str,
    after: int,
    limit: int,
    agency_id: int | None,
    quality: str | None,
) -> tuple[Sequence[tuple[Any, ...]], int]:
    """A page of entries (plain rows, ``repo.FeedRow``'s fields) and the position for its
    cursor: the last entry returned, or, for a page that is not full, the last entry
    looked at. The quality filter is applied here, not in SQL, so that the cursor moves
    past the entries it leaves out (a reader does not scan them again) while staying
    correct: each query continues from the last entry the previous one saw, and every
    snapshot of the feed is a prefix of it (see the repository's feed lock), so nothing
    is skipped."""
    agency_ids = None if agency_id is None else [agency_id]

    def entries_after(position: int, count: int) -> Sequence[tuple[Any, ...]]:
        return repo.page_tuples(
            session,
            reader_agency_id=caller.agency_id,
            languages=[language],
            after=position,
            limit=count,
            agency_ids=agency_ids,
        )

    if quality is None:  # one query, every entry it returns
        page = entries_after(after, limit)
        return page, page[-1][repo.SEQ] if page else after
    # Filtered reads fetch in batches of at least FILTERED_BATCH, so that a small page
    # behind many flagged entries does not cost one query per entry.
    batch_size = max(limit, FILTERED_BATCH)
    rows: list[tuple[Any, ...]] = []
    position, scanned = after, 0
    while scanned < MAX_SCANNED:
        batch = entries_after(position, batch_size)
        for row in batch:
            position, scanned = row[repo.SEQ], scanned + 1
            if row[repo.QUALITY] == quality:
                rows.append(row)
                if len(rows) == limit:
                    return rows, position
        if len(batch) < batch_size:
            break
    return rows, position
