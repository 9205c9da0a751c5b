"""Translation status per story and the queue's backlog: one place for what the API and
the desk show about translation work."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.jobs import repository as jobs
from hub.jobs.memory import memory_figures
from hub.jobs.schemas import LanguageCheck, MemoryStats, QueueStats, TranslationList, TranslationStatus
from hub.models import LanguageVersion, Story, TranslationJob
from hub.runtime import HubRuntime
from hub.stories import edit_repository as edits
from hub.stories import repository as stories
from hub.stories.labels import origin_of
from hub.stories.service import visible_story


def translation_status(runtime: HubRuntime, caller: Principal, story_id: str) -> TranslationList:
    """Each target language of the story's current version, as ``caller`` may see the story."""
    with runtime.read() as session:
        story = visible_story(session, caller, story_id, runtime)
        rows = jobs.jobs_of(session, story.id, story.current_version)
        done = edits.translations_of(session, story.id, story.current_version)
        current = stories.version_row(session, story.id, story.current_version)
        check = current.language_check if current is not None else None
    return TranslationList(
        storyId=story.id,
        version=story.current_version,
        languageCheck=None if check is None else LanguageCheck.model_validate(check),
        translations=_statuses(rows, done),
    )


def current_statuses(session: Session, visible: Sequence[Story]) -> dict[str, list[TranslationStatus]]:
    """``translation_status``'s languages for many stories at once (three queries, not three
    per story): story id → its current version's statuses. ``visible`` must come from a
    query that applied the visibility rule (``stories.repository.recent_stories``)."""
    pairs = {(story.id, story.current_version) for story in visible}
    all_jobs = jobs.jobs_of_versions(session, pairs)
    all_done = edits.translations_of_versions(session, pairs)
    return {
        story.id: _statuses(
            all_jobs.get((story.id, story.current_version), []), all_done.get((story.id, story.current_version), {})
        )
        for story in visible
    }


def _statuses(
    rows: Sequence[TranslationJob], done: dict[str, tuple[LanguageVersion, str | None]]
) -> list[TranslationStatus]:
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
    return statuses


def queue_stats(runtime: HubRuntime) -> QueueStats:
    """Jobs per status, the oldest pending one, the translation memory's size and hits."""
    with runtime.read() as session:
        counts, oldest = jobs.counts(session), jobs.oldest_pending(session)
    store, figures = memory_figures(runtime.settings, runtime.engine)
    memory = MemoryStats(
        store=store, entries=figures.entries if figures else None, hits=figures.hits if figures else None
    )
    return QueueStats(counts=counts, oldestPendingAt=oldest, memory=memory)


def blocked_pairs(runtime: HubRuntime) -> list[tuple[str, str]]:
    """The (source, target) pairs that have blocked jobs waiting for a model."""
    with runtime.read() as session:
        return sorted(jobs.blocked_pairs(session))
