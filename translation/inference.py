"""Batched CTranslate2 inference: loaded models, SentencePiece in and out, prefixes on and off.

One ``ctranslate2.Translator`` per package, loaded on first use and kept in an LRU pool so
a worker serving many pairs does not hold every model in memory. A call translates a whole
list of sentences with one ``translate_batch`` (``batch_type="tokens"``): CTranslate2 sorts
and slices it into padding-efficient batches itself.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import ctranslate2
import sentencepiece as spm

from translation.errors import ModelNotInstalled
from translation.packages import PackageInfo


@dataclass(frozen=True)
class DecodingOptions:
    """Decoding settings; the defaults match Argos Translate's (beam 4, length penalty 0.2)."""

    beam_size: int = 4
    length_penalty: float = 0.2
    max_decoding_length: int = 256
    min_decoding_length: int = 1
    # Per CTranslate2 batch: ~60 news sentences, where a 2-core CPU is near its best
    # throughput; larger batches mostly grow the allocator's cache (RSS), not the speed.
    max_batch_tokens: int = 1024
    compute_type: str = "int8"

    def memory_key(self) -> str:
        """The settings that change outputs (batch size does not), for translation-memory keys."""
        settings = asdict(self)
        del settings["max_batch_tokens"]
        return ",".join(f"{k}={v}" for k, v in sorted(settings.items()))


class LoadedModel:
    """A package's translator and SentencePiece processor, ready to translate sentences."""

    def __init__(self, package: PackageInfo, *, threads: int, compute_type: str) -> None:
        self.package = package
        started = time.perf_counter()
        try:
            self.processor = spm.SentencePieceProcessor(model_file=str(package.sentencepiece_path))
            self.translator = ctranslate2.Translator(
                str(package.model_dir), device="cpu", compute_type=compute_type, intra_threads=threads
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelNotInstalled(f"cannot load {package.code} {package.version} from {package.path}: {exc}") from exc
        self.load_seconds = time.perf_counter() - started

    def tokenize(self, sentences: Sequence[str], source_lang: str) -> list[list[str]]:
        prefix = self.package.source_prefix_tokens(source_lang)
        return [prefix + pieces for pieces in self.processor.encode(list(sentences), out_type=str)]

    def translate_tokens(
        self, source: list[list[str]], target_lang: str, options: DecodingOptions
    ) -> list[list[str]]:
        """Target pieces per source sentence, the target prefix already stripped."""
        prefix = self.package.target_prefix_tokens(target_lang)
        results = self.translator.translate_batch(
            source,
            target_prefix=[prefix] * len(source) if prefix else None,
            beam_size=options.beam_size,
            length_penalty=options.length_penalty,
            max_decoding_length=options.max_decoding_length,
            min_decoding_length=options.min_decoding_length,
            max_batch_size=options.max_batch_tokens,
            batch_type="tokens",
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
        return self.processor.decode_pieces(pieces)

    def translate(
        self, sentences: Sequence[str], source_lang: str, target_lang: str, options: DecodingOptions
    ) -> list[str]:
        if not sentences:
            return []
        source = self.tokenize(sentences, source_lang)
        return [self.detokenize(p) for p in self.translate_tokens(source, target_lang, options)]


class ModelPool:
    """Lazily loaded models, at most ``max_loaded`` at a time, least recently used evicted first."""

    def __init__(self, *, threads: int = 0, compute_type: str = "int8", max_loaded: int = 8) -> None:
        self.threads = threads
        self.compute_type = compute_type
        self.max_loaded = max(1, max_loaded)
        self._models: OrderedDict[PackageInfo, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self.load_seconds = 0.0

    def get(self, package: PackageInfo) -> LoadedModel:
        with self._lock:
            model = self._models.get(package)
            if model is not None:
                self._models.move_to_end(package)
                return model
            model = LoadedModel(package, threads=self.threads, compute_type=self.compute_type)
            self.load_seconds += model.load_seconds
            self._models[package] = model
            while len(self._models) > self.max_loaded:
                self._models.popitem(last=False)
            return model

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
