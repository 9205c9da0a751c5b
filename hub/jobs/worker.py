"""The translation worker: claim a batch of jobs, translate them in one engine call,
store each result with its feed entry, and never lose or repeat a job.

Failure handling, per job:
- no route to the target language → ``blocked`` with the engine's reason (what to
  install); re-checked every poll, so installing the model unblocks it on its own;
- any other error → retried with exponential backoff, ``failed`` after
  ``max_attempts`` (an expired lease counts as an attempt, so a story that kills its
  worker cannot loop forever);
- an error that takes down a whole batch → the batch is retried job by job, so one
  poison story does not hold back the others.

Glossary: each document carries the terms that apply to its story's agency, loaded once
per batch with the claim. Before each claim the worker reads the glossary changes newer
than the last it saw (one query) and forgets the memory entries of sentences holding the
changed terms, so a term added while a worker runs reaches sentences it had cached.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hub.config import Settings
from hub.feed import repository as feed_repo
from hub.glossary import repository as glossary_repo
from hub.glossary.service import BatchGlossary, terms_of_change
from hub.jobs import repository as jobs
from hub.jobs.documents import (
    describe_models,
    fields_of,
    quality_indicator,
    route_of,
    translated_document,
    translations_href,
)
from hub.jobs.heartbeat import LeaseHeartbeat
from hub.jobs.memory import build_memory
from hub.metrics import HubMetrics
from hub.models import Agency, LanguageVersion, Story, TranslationJob
from hub.packages.service import StoreSync
from hub.runtime import HubRuntime
from hub.search import index as search_index
from hub.stories import edit_repository as edits
from hub.stories import repository as stories
from hub.stories.labels import Editor, kept_edits, main_editor
from hub.stories.service import write_document
from storage.layout import story_key
from translation import Document, TargetResult, TranslationEngine, TranslationError, UnsupportedLanguagePair
from translation.glossary import Term
from translation.langid import identify as identify_language
from translation.quality import Identify, QualityReport, check_translation

log = logging.getLogger("ulak.worker")
MAX_BACKOFF_SECONDS = 300.0


def alive_path(settings: Settings) -> Path:
    """Touched by every worker loop before each poll: ``ulak worker-health`` reads its age."""
    return settings.data_dir / "worker.alive"


def report_alive(settings: Settings) -> None:
    try:
        path = alive_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:  # a read-only data dir must not stop translation
        log.debug("could not touch %s", alive_path(settings), exc_info=True)


def build_engine(settings: Settings) -> TranslationEngine:
    return TranslationEngine(
        settings.resolved_models_dir,
        memory=build_memory(settings),
        beam_size=settings.translation_beam_size,
        threads=settings.translation_threads,
        compute_type=settings.translation_compute_type,
        max_loaded_models=settings.translation_max_loaded_models,
        min_decoding_length=settings.translation_min_decoding_length,
        max_decoding_length=settings.translation_max_decoding_length,
        prefer=settings.translation_prefer,
        prefer_pairs=settings.translation_prefer_pairs,
    )


@dataclass(frozen=True)
class Claimed:
    job: TranslationJob
    original: dict
    agency_code: str
    # The story's post-edit memory in the target language, by source unit.
    human: dict[str, edits.HumanUnit] = field(default_factory=dict)
    # The glossary that applies to the story (its agency's terms win over hub-wide ones).
    glossary: tuple[Term, ...] = ()


class TranslationWorker:
    def __init__(
        self,
        runtime: HubRuntime,
        engine: TranslationEngine,
        *,
        metrics: HubMetrics | None = None,
        name: str | None = None,
        identify: Identify | None = identify_language,
    ) -> None:
        """``identify`` names the language of a text for the quality checks
        (``translation.quality``): the hub's offline identifier unless a test gives
        another; None skips the language check."""
        settings = runtime.settings
        self.runtime, self.engine, self.metrics = runtime, engine, metrics
        self.identify = identify
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.claim_size = settings.worker_claim_size
        self.lease = timedelta(seconds=settings.worker_lease_seconds)
        self.poll_seconds = settings.worker_poll_seconds
        self.max_attempts = settings.worker_max_attempts
        self.max_chars = settings.translation_max_chars
        # The id of the last glossary change this worker applied to its memory. It starts
        # where the memory says its last forgetting got to: changes made since (while no
        # worker ran, or before this one started) are applied at start. Each worker then
        # applies every later change itself, even one another worker applied: a sentence
        # it translated before it heard of a change is forgotten by its own next poll.
        memory = engine.memory
        self.glossary_change_seen = memory.glossary_position() if memory is not None else 0
        # Packages through the object store (hub/packages): None when they stay on this machine.
        self.store_sync = (
            StoreSync(runtime, settings.resolved_models_dir) if settings.resolved_models_in_store else None
        )

    # -- the loop ----------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; the batch in hand is always finished first."""
        log.info("worker %s started", self.owner)
        if self.store_sync is not None:
            self.store_sync.publish_installed()
        while not stop.is_set():
            report_alive(self.runtime.settings)
            try:
                busy = self.run_once()
            except Exception:  # the database or store is down: keep the worker alive
                log.exception("worker %s: batch failed; retrying", self.owner)
                busy = 0
            if not busy:
                stop.wait(self.poll_seconds)
        log.info("worker %s stopped", self.owner)

    def run_once(self) -> int:
        """Unblock what became translatable, apply glossary changes, claim one batch and do
        it. Returns its size."""
        self.unblock_installed()
        self.apply_glossary_changes()
        batch = self.claim()
        if not batch:
            return 0
        heartbeat = LeaseHeartbeat(self.runtime, self.owner, self.lease, [c.job.id for c in batch])
        with heartbeat:
            self.process(batch)
        return len(batch)

    def run_until_idle(self, timeout: float = 60.0) -> None:
        """Drain the queue (tests and one-shot runs)."""
        deadline = time.monotonic() + timeout
        while self.run_once():
            if time.monotonic() > deadline:
                raise TimeoutError("the queue did not drain in time")

    # -- steps -------------------------------------------------------------------------

    def unblock_installed(self) -> None:
        with self.runtime.read() as session:
            pairs = jobs.blocked_pairs(session)
        if not pairs:
            return
        if self.store_sync is not None:
            # A package another machine stored may serve them: fetched before planning.
            self.store_sync.fetch_for(pairs)
        # A few stat calls, not a full rescan: an install renames a package directory in,
        # which the scan signature sees. Planning runs every time all the same, since a
        # job may have been blocked by another worker that lacked a package this one has.
        self.engine.refresh_if_changed()
        for source, target in pairs:
            try:
                self.engine.plan(source, target)
            except TranslationError:
                continue
            with self.runtime.write() as session:
                count = jobs.unblock(session, source, target, now=self.runtime.clock())
            log.info("unblocked %d %s→%s job(s): a model is installed now", count, source, target)

    def apply_glossary_changes(self) -> int:
        """Forget the memory entries the glossary changes since the last poll made stale;
        returns how many went. Cheap when nothing changed: one query, no memory work."""
        with self.runtime.read() as session:
            changes = glossary_repo.changes_after(session, self.glossary_change_seen)
        if not changes:
            return 0
        terms = [term for _, forms in changes for term in terms_of_change(forms)]
        forgotten = self.engine.forget_terms(terms)
        self.glossary_change_seen = changes[-1][0]
        if self.engine.memory is not None:
            self.engine.memory.record_glossary_position(self.glossary_change_seen)
        log.info("glossary changed (%d term(s)): forgot %d memory entries", len(terms), forgotten)
        return forgotten

    def claim(self) -> list[Claimed]:
        with self.runtime.write() as session:
            claimed = jobs.claim(session, self.owner, limit=self.claim_size, lease=self.lease, now=self.runtime.clock())
            rows = []
            for job in claimed:
                original = stories.language_version(session, job.story_id, job.version, job.source_lang)
                story = session.get(Story, job.story_id)
                assert original is not None and story is not None
                agency = session.get(Agency, story.agency_id)
                assert agency is not None
                human = {u.source_text: u for u in edits.human_units(session, job.story_id, job.target_lang)}
                rows.append((job, original.document, agency, human))
            glossary = BatchGlossary.load(session, {agency.id for _, _, agency, _ in rows}) if rows else None
            return [
                Claimed(
                    job,
                    document,
                    agency.code,
                    human,
                    glossary.for_story(agency.id, job.source_lang) if glossary else (),
                )
                for job, document, agency, human in rows
            ]

    def process(self, batch: list[Claimed]) -> None:
        now = self.runtime.clock()
        runnable = []
        for item in batch:
            if item.job.attempts > self.max_attempts:
                self._fail(item, "gave up: its worker stopped or crashed on every attempt", final=True)
            elif sum(len(f.text) for f in fields_of(item.original)) > self.max_chars:
                self._fail(item, f"too long to translate (over {self.max_chars} characters)", final=True)
            else:
                runnable.append(item)
        if not runnable:
            return
        try:
            results = self._translate(runnable)
        except Exception as exc:  # noqa: BLE001 - any engine failure: retry job by job, then fail the job with it
            if len(runnable) == 1:
                self._fail(runnable[0], public_reason(exc))
                return
            log.warning("batch of %d failed (%s); retrying one by one", len(runnable), exc)
            for item in runnable:
                self.process([item])
            return
        for item, result in zip(runnable, results, strict=True):
            self._record(item, result)
        if self.metrics is not None:
            self.metrics.observe_batch(self.engine, seconds=(self.runtime.clock() - now).total_seconds())

    def _translate(self, batch: list[Claimed]) -> list[TargetResult]:
        # One document per job; the engine shares the work of jobs of one story (same
        # sentences, same source→en hop) and of every story in the batch.
        outcomes = self.engine.translate_documents(self.documents(batch))
        return [outcome[c.job.target_lang] for c, outcome in zip(batch, outcomes, strict=True)]

    @staticmethod
    def documents(batch: list[Claimed]) -> list[Document]:
        """What the engine gets: one document per job, with its story's glossary and the
        story's post-edit units in the job's language."""
        return [
            Document(
                c.job.source_lang,
                (c.job.target_lang,),
                fields_of(c.original),
                glossary=c.glossary,
                human={c.job.target_lang: {source: u.target_text for source, u in c.human.items()}} if c.human else {},
            )
            for c in batch
        ]

    def _record(self, item: Claimed, result: TargetResult) -> None:
        if isinstance(result.error, UnsupportedLanguagePair):
            self._finish(item, "blocked", reason=str(result.error))
        elif result.error is not None or result.texts is None:
            self._fail(item, public_reason(result.error))
        else:
            self._complete(item, result)

    def _complete(self, item: Claimed, result: TargetResult) -> None:
        job = item.job
        assert result.texts is not None
        now = self.runtime.clock()
        # A translation made only of kept post-edit units is a person's text: it counts as
        # ok like a post-edit; the checks are for what a model wrote.
        all_human = bool(result.human_units) and not result.machine_sentences
        report = QualityReport() if all_human else self.check(item, result.texts)
        document = translated_document(
            item.original,
            result.texts,
            story_id=job.story_id,
            target_lang=job.target_lang,
            models=result.models,
            version_created=now,
            quality=quality_indicator(report, href=translations_href(self.runtime.settings.public_url, job.story_id)),
        )
        kept = [item.human[source] for source in result.human_units]
        editors = [Editor(u.agency_id, u.agency_code, u.agency_name) for u in kept]
        if kept:
            document = kept_edits(
                document, editors, source_lang=job.source_lang, machine_sentences=result.machine_sentences
            )
        key = story_key(item.agency_code, job.story_id, job.version, job.target_lang)
        with self.runtime.write() as session:
            # The story row is locked first, as kill and withhold lock it before our job
            # row and every writer before the feed lock: whether the embargo is still to
            # be announced is decided under that lock, once.
            story = stories.story_by_id(session, job.story_id, for_update=True)
            assert story is not None
            translation = LanguageVersion(
                story_id=job.story_id,
                version=job.version,
                language=job.target_lang,
                is_original=False,
                object_key=key,
                document=document,
                created_at=now,
                quality=report.status,
                quality_reasons=[reason.as_json() for reason in report.reasons],
            )
            if kept:
                editor, translation.edited_at = main_editor(editors, [u.created_at for u in kept])
                translation.edited_by_agency_id = editor.agency_id
            # A translation is written with its feed entry in one transaction, so one that
            # exists already was announced by whoever wrote it. The job is done all the
            # same (a rollback here would leave it running until its lease expired and
            # then fail it as crashed); storing or announcing ours too would overwrite
            # the object the existing row serves and repeat its feed entry.
            published = stories.add_translation(session, translation)
            outcome = (
                {"reason": None, "model": describe_models(result.models), "route": route_of(result.models)}
                if published
                else {"reason": "the translation existed already; kept it"}
            )
            if not jobs.finish(session, job.id, self.owner, status="done", now=now, **outcome):
                session.rollback()  # canceled (kill, newer version) or reclaimed meanwhile: drop it
                return
            if published:
                # The object goes in before the transaction that makes the row visible
                # commits, as for pushes (hub.stories.service._push_once).
                write_document(self.runtime, key, document)
                # Searchable in its language from this commit on; a translation of an
                # older version or of a story taken down meanwhile never enters the index.
                if job.version == story.current_version and story.pub_status == "usable":
                    search_index.index_language_version(session, story, job.version, job.target_lang, document, now)
                feed_repo.append_entries(
                    session, story, job.version, [job.target_lang], story.pub_status, now=now, quality=report.status
                )
        if not published:
            log.info("job %d: the translation exists already; kept it, nothing to add", job.id)
        elif report.status == "review":
            log.info("job %d (%s→%s): flagged for review: %s", job.id, job.source_lang, job.target_lang, report.codes)
        if self.metrics is not None:
            self.metrics.jobs_finished.labels(status="done").inc()
            if published:
                self.metrics.translations_checked.labels(quality=report.status).inc()
                for code in report.codes:
                    self.metrics.quality_reasons.labels(code=code).inc()

    def check(self, item: Claimed, texts: list[str]) -> QualityReport:
        """The quality checks of a machine translation, run before it is published."""
        fields = fields_of(item.original)
        return check_translation(
            [f.text for f in fields],
            texts,
            item.job.source_lang,
            item.job.target_lang,
            html=[f.html for f in fields],
            terms=item.glossary,
            identify=self.identify,
        )

    def _fail(self, item: Claimed, reason: str, *, final: bool = False) -> None:
        attempts = item.job.attempts
        if final or attempts >= self.max_attempts:
            self._finish(item, "failed", reason=reason)
            return
        delay = min(MAX_BACKOFF_SECONDS, self.poll_seconds * 2 ** (attempts - 1))
        retry_at = self.runtime.clock() + timedelta(seconds=delay)
        self._finish(item, "pending", reason=f"attempt {attempts} failed: {reason}", available_at=retry_at)

    def _finish(self, item: Claimed, status: str, **values: object) -> None:
        with self.runtime.write() as session:
            jobs.finish(session, item.job.id, self.owner, status=status, now=self.runtime.clock(), **values)
        if self.metrics is not None and status in ("failed", "blocked"):
            self.metrics.jobs_finished.labels(status=status).inc()
        log.info(
            "job %d (%s→%s): %s %s",
            item.job.id,
            item.job.source_lang,
            item.job.target_lang,
            status,
            values.get("reason", ""),
        )


def public_reason(error: BaseException | None) -> str:
    """A failed job's reason, as pull callers read it: the engine's own errors say what
    went wrong in words meant for them; anything else is named by its type only, since
    its text may carry paths or internals (it goes to the worker's log in full)."""
    if isinstance(error, TranslationError):
        return f"{type(error).__name__}: {error}"
    log.error("translation failed", exc_info=error)
    return f"{type(error).__name__} in the translation engine (the worker's log has the details)"
