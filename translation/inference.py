"""Batched CTranslate2 inference: loaded models, SentencePiece in and out, prefixes on and off.

One ``ctranslate2.Translator`` per package, loaded on first use and kept in an LRU pool so
a worker serving many pairs does not hold every model in memory. The pool keys on the
whole ``PackageInfo``, content digest included, so a package replaced under the same code
and version is loaded anew; a load that finds other content on disk than the package
described (replaced after the scan) fails rather than run under the wrong name.

CPU time is spent as ``threads`` single-threaded workers rather than one multi-threaded
call: measured on the 2-core benchmark machine with Argos-size models, two batches decoded
side by side (``intra_threads=1`` each) ran ~35 sentences/s where one batch at a time on
two intra-op threads ran ~18, and one sentence alone decoded faster on one thread (~210 ms)
than on two (~280 ms). So the caller cuts its
work into length-sorted batches (``token_batches``) and runs them — across models, for
the independent hops of a pivot fan-out — on a shared pool of ``threads`` workers
(``ModelPool.run``). Each translator has ``threads`` CTranslate2 workers sharing one copy
of the weights, so two batches of the same model can also run at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import TypeVar

import ctranslate2
import sentencepiece as spm

from translation.errors import InvalidPackage, ModelNotInstalled
from translation.packages import PackageInfo, read_package

log = logging.getLogger("ulak.translation")


@dataclass(frozen=True)
class DecodingOptions:
    """Decoding settings; the defaults match Argos Translate's (beam 4, length penalty 0.2)."""

    beam_size: int = 4
    length_penalty: float = 0.2
    max_decoding_length: int = 256
    min_decoding_length: int = 1
    # Padded source tokens per batch (20-40 news sentences). With Argos-size models on 2
    # workers, 384-768 ran at the same speed, 1024 ~5% and 256 ~7% slower; each batch in
    # flight holds ~150-250 MB of activations, so larger batches mostly cost memory.
    max_batch_tokens: int = 512
    compute_type: str = "int8"

    def memory_key(self) -> str:
        """The settings that change outputs (batch size does not), for translation-memory keys."""
        settings = asdict(self)
        del settings["max_batch_tokens"]
        return ",".join(f"{k}={v}" for k, v in sorted(settings.items()))


class LoadedModel:
    """A package's translator and SentencePiece processor, ready to translate sentences."""

    def __init__(self, package: PackageInfo, *, workers: int, compute_type: str) -> None:
        self.package = package
        started = time.perf_counter()
        try:
            self.processor = spm.SentencePieceProcessor(model_file=str(package.sentencepiece_path))
            # Marian (OPUS-MT) packages decode with a SentencePiece model of their own.
            self.target_processor = (
                spm.SentencePieceProcessor(model_file=str(package.target_sentencepiece_path))
                if package.target_sentencepiece_path != package.sentencepiece_path
                else self.processor
            )
            # Workers of one translator share the weights; each decodes one batch on one thread.
            self.translator = ctranslate2.Translator(
                str(package.model_dir),
                device="cpu",
                compute_type=compute_type,
                inter_threads=workers,
                intra_threads=1,
            )
        except (OSError, RuntimeError, ValueError) as exc:
            # The message names the package, not its directory: it may be shown to API callers.
            log.error("cannot load %s %s from %s: %s", package.code, package.version, package.path, exc)
            raise ModelNotInstalled(
                f"cannot load {package.code} {package.version}: its model files are unreadable or corrupt"
                " (the worker's log has the details); reinstall the package"
            ) from exc
        self._check_unchanged()
        self.load_seconds = time.perf_counter() - started

    def _check_unchanged(self) -> None:
        # Checked after loading: if the directory was swapped before or during the load, the
        # record now names the new content, so what was loaded is never used as the old one.
        try:
            current = read_package(self.package.path).digest
        except InvalidPackage:
            current = None
        if current != self.package.digest:
            raise ModelNotInstalled(
                f"{self.package.code} {self.package.version} at {self.package.path} was replaced or removed"
                " after the packages were scanned; rescan and retry"
            )

    def tokenize(self, sentences: Sequence[str], source_lang: str) -> list[list[str]]:
        """Source tokens as the model was trained on them: prefix, SentencePiece pieces, suffix.

        For a converted NLLB or M2M-100 package that is ``[lang token] pieces </s>``, what the
        checkpoint's Transformers tokenizer gives (text that spells a special token, e.g. a
        literal ``</s>``, stays text here: an agency's story cannot inject control tokens).
        """
        prefix = self.package.source_prefix_tokens(source_lang)
        suffix = self.package.source_suffix_tokens(source_lang)
        return [prefix + pieces + suffix for pieces in self.processor.encode(list(sentences), out_type=str)]

    def translate_tokens(
        self, source: list[list[str]], target_lang: str, options: DecodingOptions, *, single_batch: bool = False
    ) -> list[list[str]]:
        """Target pieces per source sentence, the target prefix already stripped.

        ``source`` is decoded as given when ``single_batch`` (the caller has already cut it
        with ``token_batches``); otherwise CTranslate2 cuts it by ``max_batch_tokens``.
        """
        prefix = self.package.target_prefix_tokens(target_lang)
        results = self.translator.translate_batch(
            source,
            target_prefix=[prefix] * len(source) if prefix else None,
            beam_size=options.beam_size,
            length_penalty=options.length_penalty,
            max_decoding_length=options.max_decoding_length,
            min_decoding_length=options.min_decoding_length,
            max_batch_size=len(source) if single_batch else options.max_batch_tokens,
            batch_type="examples" if single_batch else "tokens",
        )
        pieces = []
        for result in results:
            hypothesis = result.hypotheses[0]
            # CTranslate2 returns the forced prefix as part of the hypothesis.
            if prefix and hypothesis[: len(prefix)] == prefix:
                hypothesis = hypothesis[len(prefix) :]
            pieces.append(hypothesis)
        return pieces

    def detokenize(self, pieces: list[str]) -> str:
        # SentencePiece's own decode: "▁" marks word starts, byte-fallback pieces are
        # reassembled, and underscores in real text survive (Argos's "_"→" " does not).
        if not self.package.skip_special_tokens:
            return self.target_processor.decode_pieces(pieces)
        # As the Transformers tokenizer's decode(skip_special_tokens=True): drop every token
        # neither SentencePiece model has text for — <unk>, </s>, <pad>, language tokens (a
        # model may emit one mid-sentence), M2M-100's madeupword fillers — and strip the ends.
        # A Marian source-side piece in the shared vocabulary is text to its tokenizer too:
        # the target model does not know it, so its "▁" becomes the space it stands for.
        text = []
        for piece in pieces:
            if self._is_text_piece(self.target_processor, piece):
                text.append(piece)
            elif self.processor is not self.target_processor and self._is_text_piece(self.processor, piece):
                text.append(piece.replace("▁", " "))
        return self.target_processor.decode_pieces(text).strip()

    @staticmethod
    def _is_text_piece(processor: spm.SentencePieceProcessor, piece: str) -> bool:
        index = processor.piece_to_id(piece)
        return not (processor.is_unknown(index) or processor.is_control(index))

    def translate(
        self, sentences: Sequence[str], source_lang: str, target_lang: str, options: DecodingOptions
    ) -> list[str]:
        if not sentences:
            return []
        source = self.tokenize(sentences, source_lang)
        return [self.detokenize(p) for p in self.translate_tokens(source, target_lang, options)]


T = TypeVar("T")


def cpu_workers(threads: int) -> int:
    """``threads``, or every CPU this process may run on when it is 0."""
    if threads > 0:
        return threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def token_batches(lengths: Sequence[int], max_tokens: int, *, min_batches: int = 1) -> list[list[int]]:
    """Indices of sentences grouped into batches of similar length, longest batch first.

    A batch holds at most ``max_tokens`` padded source tokens (its longest sentence times
    its size). When that gives fewer than ``min_batches`` batches, the largest are halved
    until there are enough (and sentences to go round), so that small jobs still keep
    every worker busy. Deterministic: the same lengths always give the same batches.
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = max(lengths[index], 1)  # sorted: the newcomer is the longest
        if current and longest * (len(current) + 1) > max_tokens:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    while len(batches) < min_batches:
        largest = max(batches, key=len)
        if len(largest) < 2:
            break
        batches.remove(largest)
        half = len(largest) // 2
        batches += [largest[:half], largest[half:]]
    return sorted(batches, key=lambda batch: -len(batch) * max(lengths[i] for i in batch))


_libc = ctypes.CDLL(ctypes.util.find_library("c") or None) if os.name == "posix" else None
_M_ARENA_MAX = -8  # glibc mallopt parameter
_arena_cap = 0


def _limit_malloc_arenas(workers: int) -> None:
    """Cap glibc's malloc arenas for the translators' threads (raised, never lowered, per process).

    glibc gives every new thread its own arena, and an arena keeps the freed per-step
    buffers of a batch (logits over a 50k vocabulary are tens of MB per batch). With a
    worker thread per worker per loaded model, RSS grew by ~2 GB over 8 Argos-size models
    in a measurement here; with as many arenas as workers, by ~0.6 GB at the same speed
    (the workers' allocations are a few large blocks per decoding step: no lock contention).
    """
    global _arena_cap  # noqa: PLW0603 - malloc arenas are process-wide, so is their cap
    if workers <= _arena_cap or _libc is None or not hasattr(_libc, "mallopt"):
        return
    _libc.mallopt(_M_ARENA_MAX, workers)
    _arena_cap = workers


def release_memory() -> None:
    """Return the allocator's free pages to the OS: a worker idles between batches."""
    if _libc is not None and hasattr(_libc, "malloc_trim"):
        _libc.malloc_trim(0)


class ModelPool:
    """Lazily loaded models, at most ``max_loaded`` at a time, least recently used evicted first.

    ``run`` executes independent decoding tasks on ``threads`` workers (0: one per CPU).
    """

    def __init__(self, *, threads: int = 0, compute_type: str = "int8", max_loaded: int = 8) -> None:
        self.workers = cpu_workers(threads)
        self.compute_type = compute_type
        self.max_loaded = max(1, max_loaded)
        self._models: OrderedDict[PackageInfo, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self.load_seconds = 0.0
        _limit_malloc_arenas(self.workers)

    def get(self, package: PackageInfo) -> LoadedModel:
        with self._lock:
            model = self._models.get(package)
            if model is not None:
                self._models.move_to_end(package)
                return model
            model = LoadedModel(package, workers=self.workers, compute_type=self.compute_type)
            self.load_seconds += model.load_seconds
            self._models[package] = model
            while len(self._models) > self.max_loaded:
                self._models.popitem(last=False)
            return model

    def run(self, tasks: Sequence[Callable[[], T]]) -> list[T]:
        """Call every task, at most ``workers`` at a time; results in task order.

        Tasks are started in the order given (give the longest first). CTranslate2 releases
        the GIL while decoding, so the workers really run in parallel.
        """
        if self.workers == 1 or len(tasks) < 2:
            return [task() for task in tasks]
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="translation")
            executor = self._executor
        futures = [executor.submit(task) for task in tasks]
        wait(futures)  # let every task finish before a failure propagates
        return [future.result() for future in futures]

    @property
    def loaded(self) -> list[PackageInfo]:
        return list(self._models)

    def retain(self, packages: Sequence[PackageInfo]) -> None:
        """Drop models whose package is no longer installed (or was replaced by a new version)."""
        keep = set(packages)
        with self._lock:
            for package in [p for p in self._models if p not in keep]:
                del self._models[package]

    def close(self) -> None:
        with self._lock:
            self._models.clear()
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown()
