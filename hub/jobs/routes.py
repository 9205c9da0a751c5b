"""HTTP surface of translations: per-story status, the admin queue view, /metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from hub.auth.service import Principal
from hub.deps import PullCaller, RuntimeDep, require_scope
from hub.jobs import repository as jobs
from hub.jobs.memory import memory_figures
from hub.openapi import error_responses
from hub.stories import edit_repository as edits
from hub.stories import repository as stories
from hub.stories.labels import origin_of
from hub.stories.service import visible_story

router = APIRouter(tags=["translations"])


class TranslationHop(BaseModel):
    """One package applied: ``from`` → ``to``. A pivot through English is two hops."""

    package: str
    version: str
    from_: str = Field(alias="from")
    to: str


class QualityReason(BaseModel):
    """Why the automatic checks flagged a translation for review."""

    code: str = Field(
        description="repetition | length_ratio | missing_numbers | missing_terms | wrong_language",
        examples=["missing_numbers"],
    )
    message: str = Field(examples=["numbers of the source missing in the output: 40, 2,5"])


class TranslationStatus(BaseModel):
    language: str
    status: str
    reason: str | None
    model: str | None
    route: list[TranslationHop] | None = Field(
        description="the packages a done translation went through, in order; null before it is done"
    )
    updatedAt: datetime | None
    origin: Literal["machine", "edited", "mixed"] | None = Field(
        default=None,
        description="machine output; edited (post-edited by a person, or made only of an earlier post-edit); "
        "mixed (an earlier post-edit kept where the original did not change, the rest machine output); "
        "null before the translation exists",
    )
    editedBy: str | None = Field(default=None, description="the agency whose post-edit is in it (its code)")
    editedAt: datetime | None = Field(default=None, description="when that post-edit was made")
    quality: Literal["ok", "review"] | None = Field(
        default=None,
        description="the automatic checks of a done translation: `review` when any failed (see "
        "`qualityReasons`), `ok` when all passed or a person post-edited it; null before it is done",
    )
    qualityReasons: list[QualityReason] | None = Field(
        default=None, description="why it is `review`; empty when `ok`; null before it is done"
    )


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


class MemoryStats(BaseModel):
    store: Literal["database", "file", "off"] = Field(
        description="`database`: the hub's PostgreSQL, shared by every worker; `file`: the embedded SQLite file"
    )
    entries: int | None = Field(description="sentences held")
    hits: int | None = Field(description="sentences served from the memory by all workers, since it was created")


class QueueStats(BaseModel):
    counts: dict[str, int]
    oldestPendingAt: datetime | None
    memory: MemoryStats


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
    with runtime.read() as session:
        story = visible_story(session, caller, story_id, runtime)
        rows = jobs.jobs_of(session, story.id, story.current_version)
        done = edits.translations_of(session, story.id, story.current_version)
        current = stories.version_row(session, story.id, story.current_version)
        check = current.language_check if current is not None else None
    statuses = []
    for job in rows:
        translation, edited_by = done.get(job.target_lang, (None, None))
        quality, reasons = (translation.quality, translation.quality_reasons) if translation else (None, None)
        statuses.append(
            TranslationStatus.model_validate(
                {
                    "language": job.target_lang,
                    "status": "done" if translation is not None else job.status,
                    "reason": job.reason,
                    "model": job.model,
                    "route": job.route,
                    "updatedAt": job.updated_at,
                    "origin": origin_of(translation.document) if translation is not None else None,
                    "editedBy": edited_by,
                    "editedAt": translation.edited_at if translation is not None else None,
                    "quality": quality,
                    # A translation stored before the checks existed has neither.
                    "qualityReasons": None if quality is None else reasons or [],
                }
            )
        )
    return TranslationList(
        storyId=story.id,
        version=story.current_version,
        languageCheck=None if check is None else LanguageCheck.model_validate(check),
        translations=statuses,
    )


@router.get(
    "/v1/admin/queue",
    response_model=QueueStats,
    summary="Translation backlog (admin)",
    responses=error_responses(401, 403, 503),
)
def queue(runtime: RuntimeDep, caller: Annotated[Principal, Depends(require_scope("admin"))]) -> QueueStats:
    """Jobs per status, the oldest pending one, and the translation memory's size and
    hits (counted in the database, across every worker, on PostgreSQL)."""
    with runtime.read() as session:
        counts, oldest = jobs.counts(session), jobs.oldest_pending(session)
    store, figures = memory_figures(runtime.settings, runtime.engine)
    memory = MemoryStats(
        store=store, entries=figures.entries if figures else None, hits=figures.hits if figures else None
    )
    return QueueStats(counts=counts, oldestPendingAt=oldest, memory=memory)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, caller: Annotated[Principal, Depends(require_scope("admin"))]) -> Response:
    """Admin only: queue depth and worker figures are operational detail. Prometheus
    sends the key with ``authorization: {credentials: <key>}`` in its scrape config."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
