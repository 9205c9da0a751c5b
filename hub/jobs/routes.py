"""HTTP surface of translations: per-story status, the admin queue view, /metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.auth.service import Principal
from hub.deps import PullCaller, RuntimeDep, require_scope
from hub.jobs import status
from hub.jobs.schemas import QueueStats, TranslationList
from hub.openapi import error_responses

router = APIRouter(tags=["translations"])


@router.get(
    "/v1/stories/{story_id}/translations",
    response_model=TranslationList,
    summary="Translation status per language",
    responses=error_responses(401, 403, 404, 422, 503),
)
def translations(runtime: RuntimeDep, caller: PullCaller, story_id: str) -> TranslationList:
    """For the current version: `pending`, `running`, `done`, `failed`, `blocked` (with
    the model to install) or `canceled`, and the model packages that were used: `route`
    lists them hop by hop (one for a direct package, two for a pivot through English).
    `origin` says whether a translation is machine output or post-edited, and `editedBy`
    by whom. `languageCheck` flags a version whose declared language contradicts its text."""
    return status.translation_status(runtime, caller, story_id)


@router.get(
    "/v1/admin/queue",
    response_model=QueueStats,
    summary="Translation backlog (admin)",
    responses=error_responses(401, 403, 503),
)
def queue(runtime: RuntimeDep, caller: Annotated[Principal, Depends(require_scope("admin"))]) -> QueueStats:
    """Jobs per status, the oldest pending one, and the translation memory's size and
    hits (counted in the database, across every worker, on PostgreSQL)."""
    return status.queue_stats(runtime)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, caller: Annotated[Principal, Depends(require_scope("admin"))]) -> Response:
    """Admin only: queue depth and worker figures are operational detail. Prometheus
    sends the key with ``authorization: {credentials: <key>}`` in its scrape config."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
