"""Every story query. Functions here flush, never commit: the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def served_texts(session: Session, story_id: str, version: int, language: str) -> tuple[str, str | None] | None:
    """The stored texts a language version is served from (hub/stories/served.py)."""
    row = session.execute(
        select(LanguageVersion.served, LanguageVersion.served_associations).where(
            LanguageVersion.story_id == story_id,
            LanguageVersion.version == version,
            LanguageVersion.language == language,
        )
    ).first()
    return None if row is None else (row[0], row[1])


def add_translation(session: Session, translation: LanguageVersion) -> bool:
    """Insert ``translation`` unless its story, version and language has one already
    (False then). The insert runs in a savepoint, so the caller's transaction stays
    usable either way."""
    try:
        with session.begin_nested():
            session.add(translation)
    except IntegrityError:
        return False
    return True


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
