"""Ulak partner SDK: push stories to an Ulak hub and pull its multilingual feed.

    from ulak_client import UlakClient, Checkpoint

    with UlakClient("http://127.0.0.1:8000", api_key="...") as hub:
        for entry in hub.feed("en", checkpoint=Checkpoint("en.cursor"), follow=True):
            print(entry.story_id, entry.item.headline)

``AsyncUlakClient`` is the asyncio twin. Depends on httpx and pydantic only.
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
)
from .checkpoint import Checkpoint, CheckpointStore, FeedPosition, MemoryCheckpoint
from .models import (
    Association,
    Body,
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
    "TranslationHop",
    "TranslationStatus",
    "TransportError",
    "UlakClient",
    "UlakClientError",
    "UnsupportedMediaType",
    "ValidationError",
    "VersionInfo",
    "__version__",
    "parse_retry_after",
]
