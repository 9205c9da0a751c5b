"""HTTP surface of webhook subscriptions: thin, all rules live in hub.delivery.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from hub.delivery import service
from hub.delivery.schemas import (
    DeliveryList,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)
from hub.deps import PullCaller, RuntimeDep
from hub.openapi import error_responses

router = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"])

SubscriptionId = Annotated[str, Path(max_length=32, description="the subscription's id (`sub_…`)")]
MAX_LOG_PAGE = 1000


@router.post(
    "",
    response_model=SubscriptionCreated,
    status_code=201,
    summary="Subscribe a URL to the feed (signed webhooks)",
    responses=error_responses(401, 403, 408, 409, 413, 422, 503),
)
def create_subscription(
    runtime: RuntimeDep, caller: PullCaller, subscription: Annotated[SubscriptionCreate, Body()]
) -> SubscriptionCreated:
    """Every feed entry this key's agency may see in `languages` (and of `agencies`' stories,
    if given) is POSTed to `url`, in feed order, with exactly the JSON of that entry in
    `GET /v1/feed` as its body and the Standard Webhooks headers `webhook-id` (the same on
    every retry: de-duplicate on it), `webhook-timestamp` and `webhook-signature`. Delivery is
    at least once: an answer other than 2xx, a timeout or a connection error is retried,
    with exponential backoff (at most `ULAK_WEBHOOK_MAX_BACKOFF_SECONDS` apart), on the same
    entry, so order holds; after `ULAK_WEBHOOK_GIVE_UP_SECONDS` of failure the subscription
    is paused and says why.

    The answer holds the signing `secret`, shown only here. Starts with entries committed
    from now on, or after the `after` cursor. 409: this agency sends to this url already,
    or has the maximum of 50 subscriptions. 422: a url that is not http(s), carries a user
    name, or points at a loopback, private or link-local address (for a host name: any
    address it resolves to); an unknown language or agency code; a cursor past the feed."""
    return service.create_subscription(runtime, caller, subscription)


@router.get(
    "",
    response_model=SubscriptionList,
    summary="List webhook subscriptions",
    responses=error_responses(401, 403, 503),
)
def list_subscriptions(runtime: RuntimeDep, caller: PullCaller) -> SubscriptionList:
    """This key's agency's subscriptions (an admin key: every agency's), oldest first. The
    signing secret is never shown again."""
    return service.list_subscriptions(runtime, caller)


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    summary="A webhook subscription",
    responses=error_responses(401, 403, 404, 422, 503),
)
def get_subscription(runtime: RuntimeDep, caller: PullCaller, subscription_id: SubscriptionId) -> SubscriptionRead:
    """Its state: `position` (the cursor of the last entry delivered), `status` with
    `pausedReason` when paused, and the failure being retried, if any. Owner or admin."""
    return service.get_subscription(runtime, caller, subscription_id)


@router.delete(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Delete a webhook subscription",
    responses=error_responses(401, 403, 404, 422, 503),
)
def delete_subscription(runtime: RuntimeDep, caller: PullCaller, subscription_id: SubscriptionId) -> SubscriptionRead:
    """Stops deliveries (an entry already in flight may still arrive) and deletes the
    delivery log; answers with the deleted subscription. Owner or admin."""
    return service.delete_subscription(runtime, caller, subscription_id)


@router.post(
    "/{subscription_id}/replay",
    response_model=SubscriptionRead,
    summary="Deliver again from a feed cursor",
    responses=error_responses(401, 403, 404, 408, 413, 422, 503),
)
def replay_subscription(
    runtime: RuntimeDep,
    caller: PullCaller,
    subscription_id: SubscriptionId,
    request: Annotated[ReplayRequest, Body()],
) -> SubscriptionRead:
    """Moves the position to `after` — back, to receive entries again (with the same
    `webhook-id`s as the first time), or forward, to skip them — and reactivates a paused
    subscription. Owner or admin."""
    return service.replay(runtime, caller, subscription_id, request)


@router.post(
    "/{subscription_id}/resume",
    response_model=SubscriptionRead,
    summary="Resume a paused subscription",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def resume_subscription(runtime: RuntimeDep, caller: PullCaller, subscription_id: SubscriptionId) -> SubscriptionRead:
    """Reactivates a paused subscription where it stopped: the entry that failed is sent
    first. 409 when it is not paused. Owner or admin."""
    return service.resume(runtime, caller, subscription_id)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=DeliveryList,
    summary="The delivery log of a subscription",
    responses=error_responses(401, 403, 404, 422, 503),
)
def list_deliveries(
    runtime: RuntimeDep,
    caller: PullCaller,
    subscription_id: SubscriptionId,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_PAGE, description="attempts per page")] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="the `next` of the previous page: older attempts")
    ] = None,
) -> DeliveryList:
    """Every attempt, newest first: the entry's cursor and `webhookId`, the receiver's
    status or the error, the duration. The last 1,000 attempts are kept. Owner or admin."""
    return service.deliveries(runtime, caller, subscription_id, before=before, limit=limit)
