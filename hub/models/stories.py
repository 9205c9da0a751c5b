"""Agencies and their keys, stories with their versions and language versions, media, the feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from hub.models.base import Base, BigIntId, utcnow
from hub.stories.served import served_texts


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    is_partner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public key id, part of the key
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(64))  # comma-separated: push,pull,edit,admin
    # The languages an ``edit`` key may post-edit (comma-separated); None for other keys.
    languages: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class Story(Base):
    __tablename__ = "stories"
    __table_args__ = (UniqueConstraint("agency_id", "guid", name="uq_stories_agency_guid"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    guid: Mapped[str] = mapped_column(String(500))
    source_lang: Mapped[str] = mapped_column(String(16))
    current_version: Mapped[int] = mapped_column(Integer)
    pub_status: Mapped[str] = mapped_column(String(16), default="usable")
    embargoed_until: Mapped[datetime | None] = mapped_column(default=None)
    # Set once the embargo has passed and the story was announced to everyone in the feed.
    embargo_released_at: Mapped[datetime | None] = mapped_column(default=None)
    first_created: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index(
    "ix_stories_embargo_pending",
    Story.embargoed_until,
    postgresql_where=Story.embargo_released_at.is_(None),
    sqlite_where=Story.embargo_released_at.is_(None),
)


class StoryVersion(Base):
    __tablename__ = "story_versions"
    __table_args__ = (UniqueConstraint("story_id", "version", name="uq_story_versions_story_version"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_lang: Mapped[str] = mapped_column(String(16))
    version_created: Mapped[datetime] = mapped_column(default=utcnow)
    embargoed_until: Mapped[datetime | None] = mapped_column(default=None)
    # Language identification of the pushed original: {"declared", "identified", "score",
    # "warning"}; None when nothing was identified or it agreed with the declaration.
    language_check: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class LanguageVersion(Base):
    """One language of one story version: the original or a translation (its ninjs body)."""

    __tablename__ = "language_versions"
    __table_args__ = (
        UniqueConstraint("story_id", "version", "language", name="uq_language_versions_story_version_lang"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    is_original: Mapped[bool] = mapped_column(Boolean)
    object_key: Mapped[str] = mapped_column(String(400))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The document as feed pages and story reads serve it, kept ready (hub/stories/served.py):
    # set with the document, so the two never disagree. On PostgreSQL both have storage MAIN
    # (migration 0015): kept in the row, uncompressed while the row fits once the document
    # has been compressed and moved out, so a feed page reads them without decompressing.
    served: Mapped[str] = mapped_column(Text)
    served_associations: Mapped[str | None] = mapped_column(Text, default=None)
    # On an original: the languages it has been translated into, comma-separated, as
    # translations arrive (hub.stories.repository.add_translation); NULL while there are
    # none and on translations. Feed pages link an original to them without a subquery.
    # varchar, not text: feed pages read their text columns as bytes (hub.db.utf8_bytes).
    translation_languages: Mapped[str | None] = mapped_column(String, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A translation post-edited by a person: which agency, when. None for machine output.
    edited_by_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), default=None)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    # Automatic checks of a machine translation: "ok" | "review", and the reasons for review.
    # None for originals; an edited translation is "ok".
    quality: Mapped[str | None] = mapped_column(String(8), default=None)
    quality_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)

    @validates("document")
    def _keep_served(self, _key: str, document: dict[str, Any]) -> dict[str, Any]:
        self.served, self.served_associations = served_texts(document)
        return document


class MediaObject(Base):
    __tablename__ = "media_objects"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    object_key: Mapped[str] = mapped_column(String(400))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaUpload(Base):
    """An agency that uploaded these bytes (content addressing stores them once, but
    each agency that sent them may see them)."""

    __tablename__ = "media_uploads"

    sha256: Mapped[str] = mapped_column(ForeignKey("media_objects.sha256", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaReference(Base):
    """A story version whose document links to ``/v1/media/<sha256>``, recorded at push
    time. Media is visible to everyone once a story referencing it is; the media need
    not exist yet (a story may be pushed before its photo), hence no foreign key."""

    __tablename__ = "media_references"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


Index("ix_media_references_story_id", MediaReference.story_id)


class FeedEntry(Base):
    """One line of the syndication feed. ``seq`` is the cursor: it is assigned under a
    lock held until commit (see hub/feed/repository.py), so seq order is commit order."""

    __tablename__ = "feed_entries"

    seq: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    # The original's language of this entry's version (the story's may change in a later
    # version): what the entry's links point at, read without joining the story.
    source_lang: Mapped[str] = mapped_column(String(16))
    # The language version announced (the row of story_id, version, language), by its
    # id: a feed page joins each entry to its document on this integer key, a third of
    # the page query's time on PostgreSQL was the join on those three columns. Not a
    # foreign key: both rows go with their story (story_id's cascade), and the check on
    # deleting a language version would need an index the append path would pay for.
    language_version_id: Mapped[int] = mapped_column(BigIntId)
    pub_status: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    # Embargo visibility: an entry is either for the owner only (while embargoed) or for
    # everyone but the owner (the release announcement, which the owner saw already).
    only_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), default=None)
    except_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), default=None)
    # "review" for a machine translation the quality checks flagged; "ok" otherwise
    # (originals, post-edits, translations that passed), so ``quality=ok`` can filter.
    quality: Mapped[str] = mapped_column(String(8), default="ok", server_default="ok")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_feed_entries_language_seq", FeedEntry.language, FeedEntry.seq)
Index("ix_feed_entries_language_agency_seq", FeedEntry.language, FeedEntry.agency_id, FeedEntry.seq)
