"""What the hub serves readers with: webhook subscriptions and deliveries, rate-limit
counters, the search index's documents, desk sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, BigIntId, utcnow


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
