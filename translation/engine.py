"""The translation engine: documents in, one result per target language out.

A batch of documents is segmented into sentences, every (document, target) gets a route,
and the routes are executed hop by hop: all sentences that need the same package in the
same direction — across fields, documents and targets — are translated together, once.
A pivot's first hop (source → en) is shared by every target, so it runs once; a hop that
some routes take first and others second (en → tr for English stories and for pivots)
waits until it has all its sentences. Human units (a post-edit's sentences, paragraphs or
whole fields, ``Document.human``) come first, then the translation memory, and only what
neither covers reaches a model. The hops that are ready together run side by side: their
length-sorted batches share the model pool's CPU workers. A document's glossary terms are
cut out of the sentences left to the models before any of this (``translation.protection``):
the models and the memory see only the text around them, and each target gets the terms in
its own form. A human unit is the editor's text as it is, terms included.

Packages are rescanned whenever the packages dir changed since the last scan (a few
``stat`` calls per batch), so a long-lived engine picks up packages installed, removed or
replaced under the same code and version. Memory entries and loaded models are keyed on
each package's content digest: a replaced model never answers with the old one's output.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translation.alignment import HumanPlan
from translation.errors import TranslationError
from translation.glossary import Term
from translation.inference import (
    DecodingOptions,
    LoadedModel,
    ModelPool,
    release_memory,
    token_batches,
)
from translation.markup import segment_html
from translation.memory import SentenceMemory, TranslationMemory
from translation.packages import PackageInfo, installed_packages, scan_signature
from translation.protection import ProtectedSentences, protect_terms
from translation.routing import Hop, ModelRef, Preference, Route, Router
from translation.segmentation import segment_text


@dataclass
class Field:
    """One translatable field of a story (headline, body…); ``html`` bodies keep their markup."""

    text: str
    html: bool = False


@dataclass
class Document:
    """``glossary``: the terms to protect; a term found in a field reaches every target in
    that target's form, whatever the model does (see ``translation.protection``).
    ``human``: per target language, source unit (field, paragraph or sentence, see
    ``translation.alignment``) → the text a person gave it; used before anything else."""

    source_lang: str
    target_langs: tuple[str, ...]
    fields: Sequence[Field]
    glossary: Sequence[Term] = ()
    human: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass
class TargetResult:
    """Either ``texts`` (one per field) or ``error``; ``models`` names every package used;
    ``human_units``: the sources of the human units in ``texts``; ``machine_sentences``:
    how many sentences came from the models (or the memory)."""

    target_lang: str
    texts: list[str] | None
    error: TranslationError | None = None
    models: list[ModelRef] = field(default_factory=list)
    human_units: list[str] = field(default_factory=list)
    machine_sentences: int = 0


@dataclass
class EngineStats:
    """Counters for tests, benchmarks and worker metrics."""

    human_hits: int = 0  # human units (fields, paragraphs, sentences) used instead of a model
    sentences_requested: int = 0  # unique sentences per hop, before the memory
    memory_hits: int = 0
    sentences_translated: int = 0  # sentences that actually went through a model
    model_calls: int = 0  # hops that needed a model (each may be cut into several batches)
    batches: int = 0  # CTranslate2 batches decoded


@dataclass
class _Job:
    doc: int
    target: str
    route: Route
    sentences: list[str]  # the units the models translate (terms cut out)
    human: HumanPlan
    protected: ProtectedSentences
    error: TranslationError | None = None
    position: int = 0  # index of the next hop of the route


def _groups_by_package(hops: list[Hop], max_models: int) -> list[list[Hop]]:
    """Hops in groups that hold at most ``max_models`` distinct packages: the models of a
    group are all loaded while it runs, and hops that share a package (a multilingual model
    fanning out to several targets) always run together, however few models fit."""
    by_package: dict[PackageInfo, list[Hop]] = {}
    for hop in hops:
        by_package.setdefault(hop.package, []).append(hop)
    packages = list(by_package)
    return [
        [hop for package in packages[start : start + max_models] for hop in by_package[package]]
        for start in range(0, len(packages), max_models)
    ]


class TranslationEngine:
    """Translates documents with the packages installed in ``packages_dir``.

    ``threads`` is the number of CPU workers (0: one per available CPU); each decodes one
    batch at a time on one thread. ``max_batch_tokens`` caps a batch's padded source tokens.
    ``prefer`` / ``prefer_pairs``: which kind of package serves a pair both kinds serve
    directly (see ``translation.routing``). The translation memory is ``memory`` (any
    ``SentenceMemory``, e.g. the hub's database) or else a SQLite file at ``memory_path``;
    the engine closes it.
    """

    def __init__(
        self,
        packages_dir: Path,
        *,
        memory_path: Path | None = None,
        memory: SentenceMemory | None = None,
        beam_size: int = 4,
        threads: int = 0,
        compute_type: str = "int8",
        max_loaded_models: int = 8,
        length_penalty: float = 0.2,
        max_decoding_length: int = 256,
        min_decoding_length: int = 1,
        max_batch_tokens: int = DecodingOptions.max_batch_tokens,
        prefer: Preference = "bilingual",
        prefer_pairs: Mapping[tuple[str, str], Preference] | None = None,
    ) -> None:
        self.packages_dir = Path(packages_dir)
        # An empty router checks the preferences before anything is loaded.
        self._router = Router([], prefer=prefer, prefer_pairs=prefer_pairs)
        self.options = DecodingOptions(
            beam_size=beam_size,
            length_penalty=length_penalty,
            max_decoding_length=max_decoding_length,
            min_decoding_length=min_decoding_length,
            max_batch_tokens=max_batch_tokens,
            compute_type=compute_type,
        )
        self.pool = ModelPool(threads=threads, compute_type=compute_type, max_loaded=max_loaded_models)
        # A memory given (the hub's database) wins over a file path.
        self.memory: SentenceMemory | None = memory
        if memory is None and memory_path is not None:
            self.memory = TranslationMemory(memory_path)
        self.stats = EngineStats()
        self.refresh()

    # -- packages and routes -------------------------------------------------------------

    def refresh(self) -> None:
        """Re-scan installed packages; models of removed or replaced packages are unloaded."""
        # Taken before the scan: a change during it makes the next check rescan again.
        self._scanned = scan_signature(self.packages_dir)
        self.packages: list[PackageInfo] = installed_packages(self.packages_dir)
        self._router = Router(self.packages, prefer=self._router.prefer, prefer_pairs=self._router.prefer_pairs)
        self.pool.retain(self.packages)

    def refresh_if_changed(self) -> bool:
        """Re-scan only if the packages dir changed since the last scan; True if it did."""
        if scan_signature(self.packages_dir) == self._scanned:
            return False
        self.refresh()
        return True

    def plan(self, source_lang: str, target_lang: str) -> Route:
        return self._router.plan(source_lang, target_lang)

    # -- translation -----------------------------------------------------------------------

    def translate_documents(self, docs: Sequence[Document]) -> list[dict[str, TargetResult]]:
        """Translate every document into each of its targets; a failing target fails alone."""
        self.refresh_if_changed()
        layouts = [[self._segment(f, doc.source_lang) for f in doc.fields] for doc in docs]
        results: list[dict[str, TargetResult]] = [{} for _ in docs]
        jobs: list[_Job] = []
        for index, doc in enumerate(docs):
            sentences = [s for layout in layouts[index] for s in layout.sentences]
            # Terms are cut out before anything reaches a model or the memory: once per
            # document, again only for a target whose human units leave fewer sentences.
            protected_all = protect_terms(sentences, doc.glossary, doc.source_lang)
            for target in dict.fromkeys(doc.target_langs):
                if target == doc.source_lang:
                    results[index][target] = TargetResult(target, [f.text for f in doc.fields])
                    continue
                try:
                    route = self.plan(doc.source_lang, target)
                except TranslationError as exc:
                    results[index][target] = TargetResult(target, None, exc)
                    continue
                plan = HumanPlan.build([f.text for f in doc.fields], layouts[index], doc.human.get(target, {}))
                self.stats.human_hits += len(plan.used)
                protected = (
                    protected_all
                    if len(plan.machine) == len(sentences)
                    else protect_terms([sentences[i] for i in plan.machine], doc.glossary, doc.source_lang)
                )
                jobs.append(_Job(index, target, route, protected.units, plan, protected))

        self._run_hops(jobs)

        for job in jobs:
            if job.error is not None:
                results[job.doc][job.target] = TargetResult(job.target, None, job.error, job.route.models)
                continue
            texts = job.human.render(layouts[job.doc], job.protected.render(job.sentences, job.target))
            results[job.doc][job.target] = TargetResult(
                job.target, texts, None, job.route.models, job.human.used, len(job.human.machine)
            )
        # Same order as each document's targets, whatever order the work finished in.
        return [
            {t: result[t] for t in dict.fromkeys(doc.target_langs)} for doc, result in zip(docs, results, strict=True)
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
        while True:
            active = [j for j in jobs if j.error is None and j.position < len(j.route.hops)]
            if not active:
                break
            # A hop still ahead in some route waits for it, so that it runs once, on all its
            # sentences. Routes through the pivot cannot wait on each other in a cycle (a
            # second hop starts from English, a first hop ends there); the fallback is a guard.
            later = {hop for job in active for hop in job.route.hops[job.position + 1 :]}
            ready = [j for j in active if j.route.hops[j.position] not in later] or active
            wanted: dict[Hop, dict[str, None]] = {}
            for job in ready:
                wanted.setdefault(job.route.hops[job.position], {}).update(dict.fromkeys(job.sentences))
            done = self._translate_hops({hop: list(sentences) for hop, sentences in wanted.items()})
            for job in ready:
                outcome = done[job.route.hops[job.position]]
                if isinstance(outcome, TranslationError):
                    job.error = outcome
                else:
                    job.sentences = [outcome[s] for s in job.sentences]
                job.position += 1
        release_memory()

    def _translate_hops(self, wanted: dict[Hop, list[str]]) -> dict[Hop, dict[str, str] | TranslationError]:
        """Translate each hop's sentences; hops run side by side, at most ``max_loaded`` at once."""
        done: dict[Hop, dict[str, str] | TranslationError] = {}
        pending: dict[Hop, list[str]] = {}
        for hop, sentences in wanted.items():
            # Blank "sentences" (layout whitespace) are not worth a model call or a memory row.
            done[hop] = {s: "" for s in sentences if not s.strip()}
            todo = [s for s in sentences if s.strip()]
            self.stats.sentences_requested += len(todo)
            if self.memory is not None and todo:
                hits = self.memory.lookup(self._memory_scope(hop), todo)
                self.stats.memory_hits += len(hits)
                done[hop] |= hits  # type: ignore[operator]
                todo = [s for s in todo if s not in hits]
            if todo:
                pending[hop] = todo
        for group in _groups_by_package(list(pending), self.pool.max_loaded):
            models: dict[Hop, LoadedModel] = {}
            for hop in group:
                try:
                    models[hop] = self.pool.get(hop.package)
                except TranslationError as exc:
                    done[hop] = exc
            for hop, fresh in self._decode({hop: pending[hop] for hop in models}, models).items():
                if self.memory is not None:
                    self.memory.store(self._memory_scope(hop), fresh, digest=hop.package.digest)
                done[hop] |= fresh  # type: ignore[operator]
        return done

    def _decode(self, pending: dict[Hop, list[str]], models: dict[Hop, LoadedModel]) -> dict[Hop, dict[str, str]]:
        """One task per batch of every hop, longest first, all on the pool's workers."""
        total = sum(len(sentences) for sentences in pending.values())
        tasks: list[tuple[int, int, LoadedModel, list[list[str]], str]] = []
        slots: list[tuple[Hop, list[int]]] = []
        for hop, sentences in pending.items():
            model = models[hop]
            source = model.tokenize(sentences, hop.source_lang)
            # Enough batches overall for every worker, shared out by each hop's size.
            share = -(-self.pool.workers * len(sentences) // total)
            for batch in token_batches([len(t) for t in source], self.options.max_batch_tokens, min_batches=share):
                tokens = [source[i] for i in batch]
                size = len(tokens) * max(len(t) for t in tokens)
                tasks.append((size, len(slots), model, tokens, hop.target_lang))
                slots.append((hop, batch))
        tasks.sort(key=lambda task: (-task[0], task[1]))
        outputs = self.pool.run(
            [
                functools.partial(model.translate_tokens, tokens, target, self.options, single_batch=True)
                for _, _, model, tokens, target in tasks
            ]
        )
        results: dict[Hop, dict[str, str]] = {hop: {} for hop in pending}
        for (_, slot, model, _, _), pieces in zip(tasks, outputs, strict=True):
            hop, batch = slots[slot]
            for index, hypothesis in zip(batch, pieces, strict=True):
                results[hop][pending[hop][index]] = model.detokenize(hypothesis)
        self.stats.model_calls += len(pending)
        self.stats.batches += len(tasks)
        self.stats.sentences_translated += total
        return results

    def forget_terms(self, terms: Iterable[Term]) -> int:
        """Forget the memory entries of sentences holding a form of one of ``terms``, in any
        language (a pivot's second hop translates English sentences holding the English
        form); returns how many went. Call it when the glossary changes."""
        if self.memory is None:
            return 0
        return self.memory.forget_containing(form for term in terms for forms in term.forms.values() for form in forms)

    def _memory_scope(self, hop: Hop) -> str:
        # The digest, not just code@version: a package replaced under the same name is a
        # different model, and the old one's lines must not answer for it.
        package = hop.package
        return (
            f"{package.code}@{package.version}#{package.digest}:{hop.source_lang}>{hop.target_lang}:"
            f"{self.options.memory_key()}"
        )

    def close(self) -> None:
        self.pool.close()
        if self.memory is not None:
            self.memory.close()

    def __enter__(self) -> TranslationEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
