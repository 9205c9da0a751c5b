"""Every media query: objects, who uploaded them, which story versions link to them.
Functions here flush, never commit: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hub.models import MediaObject, MediaReference, MediaUpload, Story
from hub.stories.repository import visible_to_all


class Audience(Enum):
    """Who may fetch a media object, as seen by one caller who may fetch it."""

    EVERYONE = "everyone"  # a story visible to everyone links to it
    RESTRICTED = "restricted"  # the caller may, not everyone: keep it out of shared caches


def media(session: Session, sha256: str) -> MediaObject | None:
    return session.get(MediaObject, sha256)


def add_media(session: Session, row: MediaObject) -> None:
    session.add(row)
    session.flush()


def record_upload(session: Session, sha256: str, agency_id: int, now: datetime) -> None:
    if session.get(MediaUpload, (sha256, agency_id)) is None:
        session.add(MediaUpload(sha256=sha256, agency_id=agency_id, created_at=now))
        session.flush()


def record_references(session: Session, story_id: str, version: int, digests: Iterable[str]) -> None:
    session.add_all(MediaReference(sha256=digest, story_id=story_id, version=version) for digest in sorted(digests))
    session.flush()


def audience(session: Session, sha256: str, *, agency_id: int, is_admin: bool, now: datetime) -> Audience | None:
    """``None`` when the caller may not see the media: it is linked only from stories
    still under embargo that are not theirs, or from none, and they did not upload it."""
    linked = select(MediaReference).join(Story, Story.id == MediaReference.story_id)
    linked = linked.where(MediaReference.sha256 == sha256)
    if session.scalar(select(exists(linked.where(visible_to_all(now))))):
        return Audience.EVERYONE
    if is_admin:
        return Audience.RESTRICTED
    uploaded = select(MediaUpload).where(MediaUpload.sha256 == sha256, MediaUpload.agency_id == agency_id)
    if session.scalar(select(exists(uploaded) | exists(linked.where(Story.agency_id == agency_id)))):
        return Audience.RESTRICTED
    return None
