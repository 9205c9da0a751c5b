"""SQLAlchemy 2.0 typed models, one module per part of the hub: ``stories`` (agencies,
keys, stories and their versions, media, the feed), ``translation`` (jobs, glossary,
post-edits, memory, stored packages), ``serving`` (webhooks, rate limits, search, desk).

Alembic migrations in hub/migrations are the source of truth for the schema; these
classes must match them (tests/hub/test_migrations.py compares the two). Everything is
imported here, so ``Base.metadata`` holds every table and ``from hub.models import X``
works for any of them.
"""

from hub.models.base import Base, BigIntId, UTCDateTime, utcnow
from hub.models.serving import DeskSession, RateLimitCounter, SearchDocument, Subscription, WebhookDelivery
from hub.models.stories import (
    Agency,
    ApiKey,
    FeedEntry,
    LanguageVersion,
    MediaObject,
    MediaReference,
    MediaUpload,
    Story,
    StoryVersion,
)
from hub.models.translation import (
    GlossaryChange,
    GlossaryTerm,
    MemoryCounter,
    MemoryEntry,
    StoredPackage,
    TranslationEdit,
    TranslationJob,
)

__all__ = [
    "Agency",
    "ApiKey",
    "Base",
    "BigIntId",
    "DeskSession",
    "FeedEntry",
    "GlossaryChange",
    "GlossaryTerm",
    "LanguageVersion",
    "MediaObject",
    "MediaReference",
    "MediaUpload",
    "MemoryCounter",
    "MemoryEntry",
    "RateLimitCounter",
    "SearchDocument",
    "StoredPackage",
    "Story",
    "StoryVersion",
    "Subscription",
    "TranslationEdit",
    "TranslationJob",
    "UTCDateTime",
    "WebhookDelivery",
    "utcnow",
]
