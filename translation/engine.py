"""The translation engine: documents in, one result per target language out.

A batch of documents is segmented into sentences, every (document, target) gets a route,
and the routes are executed hop by hop: all sentences that need the same package in the
same direction — across fields, documents and targets — go through one deduplicated
``translate_batch``. A pivot's first hop (source → en) is shared by every target, so it
runs once. The translation memory is consulted before any model runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translation.errors import TranslationError
from translation.inference import DecodingOptions, ModelPool
from translation.markup import segment_html
from translation.memory import TranslationMemory
from translation.packages import PackageInfo, installed_packages
from translation.routing import Hop, ModelRef, Route, Router
from translation.segmentation import segment_text


@dataclass
class Field:
    """One translatable field of a story (headline, body…); ``html`` bodies keep their markup."""

    text: str
    html: bool = False


@dataclass
class Document:
    source_lang: str
    target_langs: tuple[str, ...]
    fields: Sequence[Field]


@dataclass
class TargetResult:
    """Either ``texts`` (one per field) or ``error``; ``models`` names every package used."""

    target_lang: str
    texts: list[str] | None
    error: TranslationError | None = None
    models: list[ModelRef] = field(default_factory=list)


@dataclass
class EngineStats:
    """Counters for tests, benchmarks and worker metrics."""

    sentences_requested: int = 0  # unique sentences per hop, before the memory
    memory_hits: int = 0
    sentences_translated: int = 0  # sentences that actually went through a model
    model_calls: int = 0


@dataclass
class _Job:
    doc: int
    target: str
    route: Route
    sentences: list[str]
    error: TranslationError | None = None


class TranslationEngine:
    def __init__(
        self,
        packages_dir: Path,
        *,
        memory_path: Path | None = None,
        beam_size: int = 4,
        threads: int = 0,
        compute_type: str = "int8",
        max_loaded_models: int = 8,
        length_penalty: float = 0.2,
        max_decoding_length: int = 256,
        min_decoding_length: int = 1,
        max_batch_tokens: int = 1024,
    ) -> None:
        self.packages_dir = Path(packages_dir)
        self.options = DecodingOptions(
            beam_size=beam_size,
            length_penalty=length_penalty,
            max_decoding_length=max_decoding_length,
            min_decoding_length=min_decoding_length,
            max_batch_tokens=max_batch_tokens,
            compute_type=compute_type,
        )
        self.pool = ModelPool(threads=threads, compute_type=compute_type, max_loaded=max_loaded_models)
        self.memory = TranslationMemory(memory_path) if memory_path is not None else None
        self.stats = EngineStats()
        self.refresh()

    # -- packages and routes -------------------------------------------------------------

    def refresh(self) -> None:
        """Re-scan installed packages; models of removed or replaced packages are unloaded."""
        self.packages: list[PackageInfo] = installed_packages(self.packages_dir)
        self._router = Router(self.packages)
        self.pool.retain(self.packages)

    def plan(self, source_lang: str, target_lang: str) -> Route:
        return self._router.plan(source_lang, target_lang)

    # -- translation -----------------------------------------------------------------------

    def translate_documents(self, docs: Sequence[Document]) -> list[dict[str, TargetResult]]:
        """Translate every document into each of its targets; a failing target fails alone."""
        layouts = [[self._segment(f, doc.source_lang) for f in doc.fields] for doc in docs]
        results: list[dict[str, TargetResult]] = [{} for _ in docs]
        jobs: list[_Job] = []
        for index, doc in enumerate(docs):
            sentences = [s for layout in layouts[index] for s in layout.sentences]
            for target in dict.fromkeys(doc.target_langs):
                if target == doc.source_lang:
                    results[index][target] = TargetResult(target, [f.text for f in doc.fields])
                    continue
                try:
                    route = self.plan(doc.source_lang, target)
                except TranslationError as exc:
                    results[index][target] = TargetResult(target, None, exc)
                    continue
                jobs.append(_Job(index, target, route, sentences))

        self._run_hops(jobs)

        for job in jobs:
            if job.error is not None:
                results[job.doc][job.target] = TargetResult(job.target, None, job.error, job.route.models)
                continue
            texts, cursor = [], 0
            for layout in layouts[job.doc]:
                count = len(layout.sentences)
                texts.append(layout.render(job.sentences[cursor : cursor + count]))
                cursor += count
            results[job.doc][job.target] = TargetResult(job.target, texts, None, job.route.models)
        # Same order as each document's targets, whatever order the work finished in.
        return [
            {t: result[t] for t in dict.fromkeys(doc.target_langs)} for doc, result in zip(docs, results)
        ]

    def translate_text(self, text: str, source_lang: str, target_lang: str, *, html: bool = False) -> str:
        """One text, one target; raises the target's error instead of returning it."""
        result = self.translate_documents([Document(source_lang, (target_lang,), [Field(text, html)])])[0]
        outcome = result[target_lang]
        if outcome.error is not None:
            raise outcome.error
        assert outcome.texts is not None
        return outcome.texts[0]

    def _segment(self, item: Field, lang: str) -> Any:
        return segment_html(item.text, lang) if item.html else segment_text(item.text, lang)

    def _run_hops(self, jobs: list[_Job]) -> None:
        level = 0
        while True:
            active = [j for j in jobs if j.error is None and level < len(j.route.hops)]
            if not active:
                return
            wanted: dict[Hop, dict[str, None]] = {}
            for job in active:
                wanted.setdefault(job.route.hops[level], {}).update(dict.fromkeys(job.sentences))
            done: dict[Hop, dict[str, str] | TranslationError] = {}
            for hop, sentences in wanted.items():
                try:
                    done[hop] = self._translate_hop(hop, list(sentences))
                except TranslationError as exc:
                    done[hop] = exc
            for job in active:
                outcome = done[job.route.hops[level]]
                if isinstance(outcome, TranslationError):
                    job.error = outcome
                else:
                    job.sentences = [outcome[s] for s in job.sentences]
            level += 1

    def _translate_hop(self, hop: Hop, sentences: list[str]) -> dict[str, str]:
        # Blank "sentences" (layout whitespace) are not worth a model call or a memory row.
        translated = {s: "" for s in sentences if not s.strip()}
        pending = [s for s in sentences if s.strip()]
        self.stats.sentences_requested += len(pending)
        scope = f"{hop.package.code}@{hop.package.version}:{hop.source_lang}>{hop.target_lang}:{self.options.memory_key()}"
        if self.memory is not None and pending:
            hits = self.memory.lookup(scope, pending)
            self.stats.memory_hits += len(hits)
            translated |= hits
            pending = [s for s in pending if s not in hits]
        if pending:
            model = self.pool.get(hop.package)
            outputs = model.translate(pending, hop.source_lang, hop.target_lang, self.options)
            self.stats.sentences_translated += len(pending)
            self.stats.model_calls += 1
            fresh = dict(zip(pending, outputs))
            if self.memory is not None:
                self.memory.store(scope, fresh)
            translated |= fresh
        return translated

    def close(self) -> None:
        self.pool.close()
        if self.memory is not None:
            self.memory.close()

    def __enter__(self) -> TranslationEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
