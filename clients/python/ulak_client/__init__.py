"""Ulak partner SDK: push stories to an Ulak hub and pull its multilingual feed.

    from ulak_client import UlakClient, Checkpoint

    with UlakClient("http://127.0.0.1:8000", api_key="...") as hub:
        for entry in hub.feed("en", checkpoint=Checkpoint("en.cursor"), follow=True):
            print(entry.story_id, entry.item.headline)

``AsyncUlakClient`` is the asyncio twin. ``verify_webhook`` checks a webhook the hub
sent and returns its feed entry. Depends on httpx, pydantic and standardwebhooks only.
"""

from ._async_client import AsyncFeed, AsyncUlakClient
from ._client import Feed, UlakClient
from ._core import RetryPolicy, parse_retry_after
from ._exceptions import (
    APIError,
    AuthenticationError,
    BadRequest,
    CheckpointError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
    UlakClientError,
    UnsupportedMediaType,
    ValidationError,
    WebhookVerificationError,
)
from ._webhooks import verify_webhook
from .checkpoint import Checkpoint, CheckpointStore, FeedPosition, MemoryCheckpoint
from .models import (
    Association,
    Body,
    Delivery,
    DeliveryLog,
    DigitalSourceType,
    FeedEntry,
    FeedPage,
    GlossaryAdded,
    GlossaryDuplicate,
    GlossaryTerm,
    Headline,
    InfoSource,
    LanguageCheck,
    MediaObject,
    Ninjs,
    PushResult,
    PushWarning,
    QualityReason,
    Rendition,
    SearchPage,
    SearchResult,
    StatusChange,
    StoryTranslations,
    StoryVersions,
    Subject,
    Subscription,
    SubscriptionCreated,
    TranslationHop,
    TranslationStatus,
    VersionInfo,
)

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Association",
    "AsyncFeed",
    "AsyncUlakClient",
    "AuthenticationError",
    "BadRequest",
    "Body",
    "Checkpoint",
    "CheckpointError",
    "CheckpointStore",
    "Conflict",
    "Delivery",
    "DeliveryLog",
    "DigitalSourceType",
    "Feed",
    "FeedEntry",
    "FeedPage",
    "FeedPosition",
    "GlossaryAdded",
    "GlossaryDuplicate",
    "GlossaryTerm",
    "Headline",
    "InfoSource",
    "LanguageCheck",
    "MediaObject",
    "MemoryCheckpoint",
    "Ninjs",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "PushResult",
    "PushWarning",
    "QualityReason",
    "RateLimited",
    "Rendition",
    "RequestTimeout",
    "RetryPolicy",
    "SearchPage",
    "SearchResult",
    "ServiceUnavailable",
    "StatusChange",
    "StoryTranslations",
    "StoryVersions",
    "Subject",
    "Subscription",
    "SubscriptionCreated",
    "TranslationHop",
    "TranslationStatus",
    "TransportError",
    "UlakClient",
    "UlakClientError",
    "UnsupportedMediaType",
    "ValidationError",
    "VersionInfo",
    "WebhookVerificationError",
    "__version__",
    "parse_retry_after",
    "verify_webhook",
]
