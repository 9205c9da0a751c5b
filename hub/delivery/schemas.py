"""Webhook subscriptions on the wire: what a partner sends, what the hub answers. The
signing secret appears in one schema only, ``SubscriptionCreated``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.config import SUPPORTED_LANGUAGES
from hub.delivery.targets import MAX_URL_LENGTH

Language = Literal[SUPPORTED_LANGUAGES]  # type: ignore[valid-type]
# Whether the agency exists is the service's check; the length bound keeps a body small.
AgencyCode = Annotated[str, Field(min_length=1, max_length=32)]
MAX_CURSOR_LENGTH = 64
MAX_AGENCIES = 100


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description=(
            "where entries are POSTed: http(s), no user name or password; loopback, private and link-local "
            "targets are refused unless the hub runs with ULAK_WEBHOOK_ALLOW_PRIVATE=true"
        ),
        examples=["https://cms.example.org/ulak/webhook"],
    )
    languages: list[Language] = Field(
        min_length=1, max_length=len(SUPPORTED_LANGUAGES), description="the feed languages to receive"
    )
    agencies: list[AgencyCode] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_AGENCIES,
        description="only these agencies' stories (agency codes); left out: every agency's",
    )
    after: str | None = Field(
        default=None,
        max_length=MAX_CURSOR_LENGTH,
        description="a `/v1/feed` cursor to start after; left out: only entries committed from now on",
    )


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: str = Field(
        max_length=MAX_CURSOR_LENGTH,
        description="a `/v1/feed` cursor (or a subscription's `position`): deliver again everything after it",
    )


class SubscriptionRead(BaseModel):
    id: str
    agency: str = Field(description="the agency that owns the subscription")
    url: str
    languages: list[str]
    agencies: list[str] | None = Field(description="agency codes whose stories are sent; null: every agency's")
    status: Literal["active", "paused"]
    position: str = Field(description="feed cursor of the last entry delivered (or passed over as not matching)")
    pausedReason: str | None = Field(description="why deliveries stopped: what failed, and for how long")
    pausedAt: datetime | None
    failingSince: datetime | None = Field(description="when the entry being retried first failed; null: no failure")
    failedAttempts: int = Field(description="failed attempts at the entry being retried")
    nextAttemptAt: datetime
    createdAt: datetime
    updatedAt: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description=(
            "the signing secret (`whsec_…`, Standard Webhooks): shown only in this answer, never again. "
            "Verify every delivery with it"
        )
    )


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionRead]


class DeliveryRead(BaseModel):
    id: int = Field(description="the attempt's id: pass it as `before` for the next page")
    webhookId: str = Field(description="the `webhook-id` header: the same on every attempt at one entry")
    cursor: str = Field(description="feed cursor of the entry: replay from just before it with the previous one")
    attempt: int = Field(description="1 for the first attempt at this entry, 2 for the first retry…")
    outcome: Literal["delivered", "failed"]
    statusCode: int | None = Field(description="the receiver's HTTP status; null when no answer came")
    error: str | None = Field(description="why no 2xx: connection refused, timed out…")
    durationMs: int
    createdAt: datetime


class DeliveryList(BaseModel):
    deliveries: list[DeliveryRead] = Field(description="newest first")
    next: int | None = Field(description="`before` for the next (older) page; null on the last page")
