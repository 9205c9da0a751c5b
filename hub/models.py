"""SQLAlchemy 2.0 typed models: agencies, keys, stories and their versions, media, feed.

Alembic migrations in hub/migrations are the source of truth for the schema; these
classes must match them (tests/hub/test_migrations.py compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from hub.stories.served import served_texts

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT identity.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which drops tzinfo) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012 - SQLAlchemy reads it once


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
    # set with the document, so the two never disagree.
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


class TranslationJob(Base):
    """One target language of one story version, to be translated by a worker.

    Written in the push transaction. A worker holds a job through a lease
    (``lease_owner`` until ``lease_expires_at``); an expired lease is reclaimed by
    any worker, so a killed worker loses nothing.
    """

    __tablename__ = "translation_jobs"
    __table_args__ = (
        UniqueConstraint("story_id", "version", "target_lang", name="uq_translation_jobs_story_version_target"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    # pending | running | done | failed | blocked | canceled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(400), default=None)
    # The hops a done translation took: [{"package", "version", "from", "to"}, …].
    route: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_translation_jobs_status_available", TranslationJob.status, TranslationJob.available_at)


class GlossaryTerm(Base):
    """One term: its forms per language ({"az": ["İlham Əliyev"], "uz": ["Ilhom Aliyev",
    "Илҳом Алиев"], …}; the first form of a language is the one translations use).
    ``agency_id`` None is a hub-wide term; an agency's own terms win for its stories."""

    __tablename__ = "glossary_terms"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), default=None)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_glossary_terms_agency_id", GlossaryTerm.agency_id)


class GlossaryChange(Base):
    """A glossary change, as every worker must hear of it: the forms of the terms added or
    removed, so each worker drops its memory entries of sentences containing them."""

    __tablename__ = "glossary_changes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranslationEdit(Base):
    """Human post-edit memory of one story: a source unit (field, paragraph or sentence)
    and the text an editor gave it. A later version's translation reuses every unit whose
    source did not change, before any machine output."""

    __tablename__ = "translation_edits"
    __table_args__ = (
        UniqueConstraint("story_id", "target_lang", "source_hash", name="uq_translation_edits_story_target_source"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # the story version the edit was made on
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(16))  # field | paragraph | sentence
    source_hash: Mapped[str] = mapped_column(String(64))  # sha256 of source_text
    source_text: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """A partner's webhook: feed entries in ``languages`` (of ``agencies``' stories, or
    every agency's) POSTed to ``url`` in feed order, signed with ``secret``.

    ``position`` is the seq of the last feed entry delivered (or passed over as not the
    subscriber's); the worker delivering it holds a lease, so one subscription is sent by
    one process at a time and its order holds. ``secret`` is kept as given to the
    subscriber (signing needs it; unlike an API key it cannot be stored as a hash) and is
    never returned after creation."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    languages: Mapped[list[str]] = mapped_column(JSON)
    # Agency codes whose stories to send; None for every agency's.
    agencies: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    secret: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused
    paused_reason: Mapped[str | None] = mapped_column(Text, default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    # Failed attempts at the entry after ``position`` and when they began: the backoff
    # and the give-up time count from here; both reset when an entry is delivered.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_subscriptions_status_next_attempt", Subscription.status, Subscription.next_attempt_at)


class WebhookDelivery(Base):
    """One attempt to deliver one feed entry to one subscription: the delivery log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)  # the feed entry
    message_id: Mapped[str] = mapped_column(String(64))  # webhook-id, the same on every retry
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_webhook_deliveries_subscription_id", WebhookDelivery.subscription_id, WebhookDelivery.id)


class RateLimitCounter(Base):
    """A fixed-window request counter of the ``limits`` library, when API processes share
    them through the database (hub/ratelimit.py): ``key`` names key, scope and window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  # Unix time; the window's end


Index("ix_rate_limit_counters_expires_at", RateLimitCounter.expires_at)


class MemoryEntry(Base):
    """The translation memory shared by every worker when the hub runs on PostgreSQL
    (hub/jobs/memory.py): one model output per source sentence and scope. ``key`` is the
    engine's key (sha256 of scope and sentence, as in the embedded file); ``digest`` the
    package content it came from; ``folded`` the source as glossary terms are matched
    (``translation.glossary.fold``), so a term's entries are found with an index-free
    LIKE before the exact whole-word test."""

    __tablename__ = "translation_memory"

    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
    translation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemoryCounter(Base):
    """Counters of the shared memory, by name: ``hits`` (sentences served, by all workers)
    and ``glossary_position`` (the newest glossary change whose terms were forgotten)."""

    __tablename__ = "translation_memory_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class StoredPackage(Base):
    """A translation package kept in the object store, so any worker can install it
    (hub/packages): its archive under ``object_key`` (content-addressed by the archive's
    sha256), the package's own digest (what the engine and ``infoSources`` know it by)
    and its metadata, to plan which packages a blocked pair needs before fetching any."""

    __tablename__ = "model_packages"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(100))
    package_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    object_key: Mapped[str] = mapped_column(String(400))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the archive's bytes
    stored_by: Mapped[str] = mapped_column(String(200))  # the host that stored it
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchDocument(Base):
    """The searchable text of one language of a story's current version (hub/search/).

    ``terms`` and ``latin_terms`` are the folded, space-separated words the engines index
    (hub/search/text.py); the engine's own index over them is the migration's, not a
    model's: on PostgreSQL, generated tsvector columns with GIN indexes; on SQLite, an
    FTS5 table kept in step by triggers. ``headline`` and ``body`` are the plain text
    that snippets are cut from. Visibility (status, embargo) is not copied here: search
    reads it from the story at query time, so a released embargo needs no reindex."""

    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("story_id", "language", name="uq_search_documents_story_language"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    version_created: Mapped[datetime] = mapped_column()
    headline: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    # The Latin key of an Uzbek or Kazakh text (its words in Latin script); None otherwise.
    latin_terms: Mapped[str | None] = mapped_column(Text, default=None)


Index(
    "ix_search_documents_order",
    SearchDocument.version_created,
    SearchDocument.story_id,
    SearchDocument.language,
)


class DeskSession(Base):
    """A signed-in desk browser: the hash of its cookie's token and the API key it signed in
    with. The key is checked on every request, so revoking it ends the session."""

    __tablename__ = "desk_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
