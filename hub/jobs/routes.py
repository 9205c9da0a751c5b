"""HTTP surface of translations: per-story status, the admin queue view, /metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from hub.auth.service import Principal
from hub.deps import PullCaller, RuntimeDep, require_scope
from hub.jobs import repository as jobs
from hub.openapi import error_responses
from hub.stories import repository as stories
from hub.stories.service import visible_story

router = APIRouter(tags=["translations"])


class TranslationHop(BaseModel):
    """One package applied: ``from`` → ``to``. A pivot through English is two hops."""

    package: str
    version: str
    from_: str = Field(alias="from")
    to: str


class TranslationStatus(BaseModel):
    language: str
    status: str
    reason: str | None
    model: str | None
    route: list[TranslationHop] | None = Field(
        description="the packages a done translation went through, in order; null before it is done"
    )
    updatedAt: datetime | None


class LanguageCheck(BaseModel):
    """The agency declared one language; the text was confidently identified as another. The
    story is kept and translated as declared."""

    declared: str
    identified: str
    score: float = Field(description="the identification's confidence, 0-1 (a check is recorded from 0.8 on)")


class TranslationList(BaseModel):
    storyId: str
    version: int
    languageCheck: LanguageCheck | None = Field(
        default=None,
        description="set when the declared language of this version contradicts its text; null when they agree",
    )
    translations: list[TranslationStatus]


class QueueStats(BaseModel):
    counts: dict[str, int]
    oldestPendingAt: datetime | None


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
    `languageCheck` flags a version whose declared language contradicts its text."""
    with runtime.read() as session:
        story = visible_story(session, caller, story_id, runtime)
        rows = jobs.jobs_of(session, story.id, story.current_version)
        done = set(stories.languages(session, story.id, story.current_version))
        current = stories.version_row(session, story.id, story.current_version)
        check = current.language_check if current is not None else None
    return TranslationList(
        storyId=story.id,
        version=story.current_version,
        languageCheck=None if check is None else LanguageCheck.model_validate(check),
        translations=[
            TranslationStatus(
                language=job.target_lang,
                status="done" if job.target_lang in done else job.status,
                reason=job.reason,
                model=job.model,
                route=None if job.route is None else [TranslationHop.model_validate(hop) for hop in job.route],
                updatedAt=job.updated_at,
            )
            for job in rows
        ],
    )


@router.get(
    "/v1/admin/queue",
    response_model=QueueStats,
    summary="Translation backlog (admin)",
    responses=error_responses(401, 403, 503),
)
def queue(runtime: RuntimeDep, caller: Annotated[Principal, Depends(require_scope("admin"))]) -> QueueStats:
    with runtime.read() as session:
        return QueueStats(counts=jobs.counts(session), oldestPendingAt=jobs.oldest_pending(session))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, caller: Annotated[Principal, Depends(require_scope("admin"))]) -> Response:
    """Admin only: queue depth and worker figures are operational detail. Prometheus
    sends the key with ``authorization: {credentials: <key>}`` in its scrape config."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
