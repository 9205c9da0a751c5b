"""Every feed query. Appending takes the feed lock so that sequence order is commit
order; reading is a keyset scan on (language, seq) — no OFFSET, constant cost per page.

Why a lock: with a plain auto-increment, transaction A can take seq 10, B seq 11, and B
commit first; a reader then moves past 11 and never sees 10. Holding one lock from
the moment a transaction takes its sequence numbers until it commits makes the order
in which numbers are handed out the order in which they become visible. On SQLite the
database write lock (BEGIN IMMEDIATE) already serialises writers; on PostgreSQL a
transaction-scoped advisory lock does it. Writers hold it only for the final insert
and commit, so pushes still run concurrently up to that point.

Lock order: a writer locks the row of every story it announces (push, worker, kill,
withhold and embargo release all select it FOR UPDATE) before it takes the feed lock,
never the other way round, so a transaction holding the feed lock waits for no story
row (not even for the key-share lock its entries' foreign key takes) and the two locks
cannot deadlock. An embargo release is claimed on that row (``embargo_released_at``
set under its lock), so however many feed readers and workers find a story due at
once, exactly one of them announces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub.db import affected_rows, driver_rows, utf8_bytes
from hub.models import FeedEntry, LanguageVersion, Story, StoryVersion, UTCDateTime

FEED_LOCK_KEY = 0x756C616B  # "ulak"


class FeedRow(NamedTuple):
    """A feed entry with its document's stored texts (hub/stories/served.py) and, for an
    original, the languages it has been translated into (for the links): the page
    query's columns, in its order, so a row as the driver returns it reads the same (a
    feed page's rows stay plain tuples: building a hundred named ones cost a tenth of
    splicing the page). A named tuple: a frozen dataclass took five times as long to build."""

    seq: int
    story_id: str
    version: int
    language: str
    pub_status: str
    quality: str
    source_lang: str
    served: bytes  # UTF-8, as stored: spliced into responses without decoding
    served_associations: bytes | None
    translation_languages: str | None  # comma-separated, as stored


# Fields of a feed row read by position from a plain row of the page query.
SEQ, QUALITY = FeedRow._fields.index("seq"), FeedRow._fields.index("quality")


def take_feed_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})


def append_entries(
    session: Session,
    story: Story,
    version: int,
    languages: Sequence[str],
    pub_status: str,
    *,
    now: datetime,
    quality: str = "ok",
) -> list[FeedEntry]:
    """Announce ``languages`` of ``story`` at ``version``. While the story is under
    embargo, only its own agency sees the entries; the rest of the feed gets them
    when the embargo is released. ``quality`` is "review" for a machine translation the
    checks flagged. Call this last in a transaction."""
    embargoed = story.embargoed_until is not None and story.embargoed_until > now
    if not embargoed and story.embargoed_until is not None and story.embargo_released_at is None:
        # The embargo passed but nobody had announced it when the story was read: do it
        # now (unless someone just did), or the release would later announce these
        # languages a second time.
        skip = languages if version == story.current_version else ()
        release_embargo(session, story, now=now, skip=skip)
    source_lang = story.source_lang if version == story.current_version else _source_lang(session, story.id, version)
    documents = _language_version_ids(session, story.id, version, languages)
    take_feed_lock(session)
    entries = [
        FeedEntry(
            story_id=story.id,
            version=version,
            language=lang,
            language_version_id=documents[lang],
            source_lang=source_lang,
            pub_status=pub_status,
            agency_id=story.agency_id,
            only_agency_id=story.agency_id if embargoed else None,
            quality=quality,
            created_at=now,
        )
        for lang in languages
    ]
    session.add_all(entries)
    session.flush()
    return entries


def _language_version_ids(session: Session, story_id: str, version: int, languages: Sequence[str]) -> dict[str, int]:
    """The ids of the language versions the entries announce, by language (read before
    the feed lock is taken: it is held as briefly as possible)."""
    query = select(LanguageVersion.language, LanguageVersion.id).where(
        LanguageVersion.story_id == story_id,
        LanguageVersion.version == version,
        LanguageVersion.language.in_(languages),
    )
    found = {language: document_id for language, document_id in session.execute(query)}
    if missing := set(languages) - found.keys():
        raise LookupError(f"story {story_id} version {version} has no language version {sorted(missing)} to announce")
    return found


def _source_lang(session: Session, story_id: str, version: int) -> str:
    """The original's language of an earlier version (a later one may have changed it)."""
    query = select(StoryVersion.source_lang).where(StoryVersion.story_id == story_id, StoryVersion.version == version)
    return session.execute(query).scalar_one()


def _due(now: datetime) -> Any:
    return and_(Story.embargo_released_at.is_(None), Story.embargoed_until <= now)


# Run by every feed read: built once.
_DUE_EMBARGOES = (
    select(Story.id)
    .where(Story.embargo_released_at.is_(None), Story.embargoed_until <= bindparam("now", type_=UTCDateTime()))
    .limit(500)
)


_NEXT_EMBARGO = select(func.min(Story.embargoed_until)).where(Story.embargo_released_at.is_(None))


def next_embargo(session: Session) -> datetime | None:
    """When the earliest embargo not yet released falls due (an index probe)."""
    return session.connection().scalar(_NEXT_EMBARGO)  # Core, not the ORM: run by feed reads


def due_embargo_story_ids(session: Session, now: datetime) -> list[str]:
    return list(session.scalars(_DUE_EMBARGOES, {"now": now}))


def lock_due_embargoes(session: Session, now: datetime) -> list[Story]:
    """The stories whose embargo is due, locked (PostgreSQL), in id order. Rows another
    transaction holds are skipped: it is releasing them (or pushing a new version,
    which announces them too)."""
    query = select(Story).where(_due(now)).order_by(Story.id).limit(500)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def release_embargo(session: Session, story: Story, *, now: datetime, skip: Sequence[str] = ()) -> bool:
    """The embargo has passed: announce the current version, in every language it has
    (but ``skip``, about to be announced anyway), to everyone but the owner (who has
    seen it all along). False, announcing nothing, if another transaction released it
    first.

    The release is claimed with a conditional UPDATE: on PostgreSQL it waits for any
    transaction holding the story row and then re-checks ``embargo_released_at``, so of
    concurrent callers exactly one gets the row (on SQLite writers are serialised
    anyway). The claim takes the row lock before the feed lock (see the module
    docstring)."""
    claimed = session.execute(
        update(Story)
        .where(Story.id == story.id, Story.embargo_released_at.is_(None))
        .values(embargo_released_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(claimed) != 1:
        session.refresh(story, ["embargo_released_at"])
        return False
    set_committed_value(story, "embargo_released_at", now)
    languages = session.execute(
        select(LanguageVersion.language, LanguageVersion.quality, LanguageVersion.id).where(
            LanguageVersion.story_id == story.id, LanguageVersion.version == story.current_version
        )
    ).all()
    take_feed_lock(session)
    session.add_all(
        FeedEntry(
            story_id=story.id,
            version=story.current_version,
            language=lang,
            language_version_id=document_id,
            source_lang=story.source_lang,
            pub_status=story.pub_status,
            agency_id=story.agency_id,
            except_agency_id=story.agency_id,
            # The release repeats the translation's flag: originals are None, hence "ok".
            quality="review" if quality == "review" else "ok",
            created_at=now,
        )
        for lang, quality, document_id in languages
        if lang not in skip
    )
    session.flush()
    return True


# A feed entry's document: the language version it announces.
_ENTRY_DOCUMENT = LanguageVersion.id == FeedEntry.language_version_id


def _visible_entries(reader_agency_id: int, languages: Sequence[str]) -> Select[Any]:
    """Feed entries in ``languages`` with their document, as ``reader_agency_id`` may see
    them: an embargoed story's entries only for its owner, their release for everyone else."""
    return (
        select(FeedEntry, LanguageVersion.document)
        .join(LanguageVersion, _ENTRY_DOCUMENT)
        .where(
            FeedEntry.language.in_(languages) if len(languages) > 1 else FeedEntry.language == languages[0],
            or_(FeedEntry.only_agency_id.is_(None), FeedEntry.only_agency_id == reader_agency_id),
            or_(FeedEntry.except_agency_id.is_(None), FeedEntry.except_agency_id != reader_agency_id),
        )
    )


def page(
    session: Session,
    *,
    reader_agency_id: int,
    languages: Sequence[str],
    after: int,
    limit: int,
    agency_ids: Sequence[int] | None = None,
    until: int | None = None,
) -> list[FeedRow]:
    """Entries after ``after`` (and up to ``until``) in ``languages``, in feed order, as
    ``reader_agency_id`` may see them: an embargoed story's entries only for its owner,
    their release for everyone else. ``agency_ids``: only these agencies' stories."""
    rows = page_tuples(
        session,
        reader_agency_id=reader_agency_id,
        languages=languages,
        after=after,
        limit=limit,
        agency_ids=agency_ids,
        until=until,
    )
    return [FeedRow._make(row) for row in rows]


def page_tuples(
    session: Session,
    *,
    reader_agency_id: int,
    languages: Sequence[str],
    after: int,
    limit: int,
    agency_ids: Sequence[int] | None = None,
    until: int | None = None,
) -> Sequence[tuple[Any, ...]]:
    """``page`` as plain rows (``FeedRow``'s fields, in its order): a feed page splices
    them as they are."""
    query = _page_query(len(languages) > 1, agency_ids is not None)
    values: dict[str, Any] = {
        "reader": reader_agency_id,
        "after": after,
        "until": LAST_POSSIBLE_SEQ if until is None else until,
        "limit": limit,
    }
    values["languages" if len(languages) > 1 else "language"] = list(languages) if len(languages) > 1 else languages[0]
    if agency_ids is not None:
        values["agency_ids"] = list(agency_ids)
    # On the driver's cursor, every row in one fetch: the ORM's row processing, then
    # SQLAlchemy's result handling, and fetching row by row, cost more than the rows' text.
    return driver_rows(session.connection(), query, values)


# The page query asks for seq in (after, until], until this when the caller sets no bound.
# A closed range is what lets PostgreSQL plan the prepared statement once: for an open
# ``seq > $1`` its generic plan assumes a third of the feed matches, which always makes a
# plan for the values at hand look cheaper, so it planned every page afresh (planning was
# a fifth of the query's time). For a closed range it assumes a few rows, and the one
# plan it keeps is the plan it made for the values anyway (the seq index, the join).
LAST_POSSIBLE_SEQ = 2**63 - 1


@cache
def _page_query(several_languages: bool, agencies: bool) -> Select[*tuple[Any, ...]]:
    """The page query, built once per shape with bound parameters: building it per call
    cost more than running it. Plain columns: the stored texts, not the document, and
    for an original the languages it has been translated into, kept on its row."""
    reader: Any = bindparam("reader")
    query = (
        select(
            FeedEntry.seq,
            FeedEntry.story_id,
            FeedEntry.version,
            FeedEntry.language,
            FeedEntry.pub_status,
            FeedEntry.quality,
            FeedEntry.source_lang,
            utf8_bytes(LanguageVersion.served),
            utf8_bytes(LanguageVersion.served_associations),
            LanguageVersion.translation_languages,
        )
        .select_from(FeedEntry)
        .join(LanguageVersion, _ENTRY_DOCUMENT)
        .where(
            FeedEntry.language.in_(bindparam("languages", expanding=True))
            if several_languages
            else FeedEntry.language == bindparam("language"),
            or_(FeedEntry.only_agency_id.is_(None), FeedEntry.only_agency_id == reader),
            or_(FeedEntry.except_agency_id.is_(None), FeedEntry.except_agency_id != reader),
            FeedEntry.seq > bindparam("after"),
            FeedEntry.seq <= bindparam("until"),
        )
        .order_by(FeedEntry.seq)
        .limit(bindparam("limit"))
    )
    if agencies:
        query = query.where(FeedEntry.agency_id.in_(bindparam("agency_ids", expanding=True)))
    return query


def last_seq(session: Session) -> int:
    """The seq of the newest committed entry (0 for an empty feed). Every snapshot of the
    feed is a prefix of it (see the feed lock above), so a later read sees every entry up
    to this one: a reader may move its position here past what its filters left out."""
    return session.scalar(select(func.max(FeedEntry.seq))) or 0


@dataclass(frozen=True)
class LatestRow:
    story_id: str
    language: str
    pub_status: str
    agency_id: int
    source_lang: str
    document: dict[str, Any]


def latest_per_story(
    session: Session, *, reader_agency_id: int, language: str, limit: int, agency_id: int | None
) -> list[LatestRow]:
    """The newest feed entry of each of the ``limit`` stories most recently in the feed,
    newest first, as ``reader_agency_id`` may see them (the visibility rules of
    ``page``). A story's newest entry is its current state: its latest version, or the
    kill or withhold that followed. Reads a bounded window of the newest entries (a
    story updated many times takes several of its slots)."""
    query = _visible_entries(reader_agency_id, [language]).order_by(FeedEntry.seq.desc()).limit(limit * 4)
    if agency_id is not None:
        query = query.where(FeedEntry.agency_id == agency_id)
    newest: dict[str, LatestRow] = {}
    for entry, document in session.execute(query):
        if entry.story_id not in newest:
            newest[entry.story_id] = LatestRow(
                entry.story_id, entry.language, entry.pub_status, entry.agency_id, entry.source_lang, document
            )
            if len(newest) == limit:
                break
    return list(newest.values())
