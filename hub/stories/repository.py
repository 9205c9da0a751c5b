"""Every story query. Functions here flush, never commit: the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db import utf8_bytes
from hub.models import Agency, LanguageVersion, Story, StoryVersion


def story_by_guid(session: Session, agency_id: int, guid: str, *, for_update: bool = True) -> Story | None:
    query = select(Story).where(Story.agency_id == agency_id, Story.guid == guid)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # serialise concurrent pushes of one story
    return session.scalar(query)


def story_by_id(session: Session, story_id: str, *, for_update: bool = False) -> Story | None:
    query = select(Story).where(Story.id == story_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def version_row(session: Session, story_id: str, version: int) -> StoryVersion | None:
    return session.scalar(
        select(StoryVersion).where(StoryVersion.story_id == story_id, StoryVersion.version == version)
    )


def versions(session: Session, story_id: str) -> list[StoryVersion]:
    return list(
        session.scalars(select(StoryVersion).where(StoryVersion.story_id == story_id).order_by(StoryVersion.version))
    )


def language_version(session: Session, story_id: str, version: int, language: str) -> LanguageVersion | None:
    return session.scalar(
        select(LanguageVersion).where(
            LanguageVersion.story_id == story_id,
            LanguageVersion.version == version,
            LanguageVersion.language == language,
        )
    )


def served_texts(
    session: Session, story_id: str, version: int, language: str
) -> tuple[bytes, bytes | None, list[str]] | None:
    """The stored texts a language version is served from (hub/stories/served.py), as
    their UTF-8 bytes, and the languages it has been translated into (an original's,
    sorted; empty for a translation)."""
    row = (
        session.connection()
        .execute(
            select(
                utf8_bytes(LanguageVersion.served),
                utf8_bytes(LanguageVersion.served_associations),
                LanguageVersion.translation_languages,
            ).where(
                LanguageVersion.story_id == story_id,
                LanguageVersion.version == version,
                LanguageVersion.language == language,
            )
        )
        .first()
    )
    if row is None:
        return None
    served, own, translated = row
    return served, own, sorted(translated.split(",")) if translated else []


def add_translation(session: Session, translation: LanguageVersion) -> bool:
    """Insert ``translation`` unless its story, version and language has one already
    (False then), and add its language to the original's ``translation_languages``. Both
    run in a savepoint, so the caller's transaction stays usable either way."""
    try:
        with session.begin_nested():
            session.add(translation)
            session.flush()
            _note_translation(session, translation.story_id, translation.version, translation.language)
    except IntegrityError:
        return False
    return True


def _note_translation(session: Session, story_id: str, version: int, language: str) -> None:
    # Appended by the UPDATE itself, not read and written back: two translations of one
    # version committed at once both land (PostgreSQL re-evaluates the expression on the
    # row the other one wrote; SQLite serialises writers). Readers sort the list.
    listed = LanguageVersion.translation_languages
    session.execute(
        update(LanguageVersion)
        .where(
            LanguageVersion.story_id == story_id,
            LanguageVersion.version == version,
            LanguageVersion.is_original.is_(True),
        )
        .values(translation_languages=case((listed.is_(None), language), else_=listed + "," + language))
        .execution_options(synchronize_session=False)
    )


def languages(session: Session, story_id: str, version: int) -> list[str]:
    return list(
        session.scalars(
            select(LanguageVersion.language)
            .where(LanguageVersion.story_id == story_id, LanguageVersion.version == version)
            .order_by(LanguageVersion.language)
        )
    )


def agency(session: Session, agency_id: int) -> Agency:
    found = session.get(Agency, agency_id)
    assert found is not None
    return found


def visible_to_all(now: datetime) -> ColumnElement[bool]:
    """A story everyone may read: never embargoed, or its embargo has passed (the SQL
    form of the rule ``stories.service.visible_story`` applies to one story)."""
    return or_(Story.embargoed_until.is_(None), Story.embargoed_until <= now)


def recent_stories(
    session: Session,
    *,
    reader_agency_id: int | None,
    now: datetime,
    limit: int,
    agency_id: int | None = None,
    source_lang: str | None = None,
    pub_status: str | None = None,
    embargoed: bool = False,
) -> list[tuple[Story, str]]:
    """The most recently updated stories with their agency's code, newest first, that
    ``reader_agency_id`` may read: its own and those ``visible_to_all`` (None: an admin,
    who reads every story). ``embargoed``: only stories whose embargo has not passed."""
    query = select(Story, Agency.code).join(Agency, Agency.id == Story.agency_id)
    if reader_agency_id is not None:
        query = query.where(or_(Story.agency_id == reader_agency_id, visible_to_all(now)))
    if agency_id is not None:
        query = query.where(Story.agency_id == agency_id)
    if source_lang is not None:
        query = query.where(Story.source_lang == source_lang)
    if pub_status is not None:
        query = query.where(Story.pub_status == pub_status)
    if embargoed:
        query = query.where(Story.embargoed_until > now)
    query = query.order_by(Story.updated_at.desc(), Story.id).limit(limit)
    return [(story, code) for story, code in session.execute(query)]


def originals_of(session: Session, stories: list[Story]) -> dict[str, LanguageVersion]:
    """Story id → the original of its current version, for many stories in one query."""
    if not stories:
        return {}
    current = {story.id: story.current_version for story in stories}
    rows = session.scalars(
        select(LanguageVersion).where(LanguageVersion.story_id.in_(current), LanguageVersion.is_original.is_(True))
    )
    return {row.story_id: row for row in rows if current[row.story_id] == row.version}
