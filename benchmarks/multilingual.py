"""One multilingual model fanned out to four targets: Ulak's engine vs CTranslate2's documented usage.

Builds (once, cached under the data dir, in a child process that imports torch) a random
checkpoint with NLLB-200-distilled-600M's dimensions — 12+12 layers, d_model 1024, ffn 4096,
16 heads, scaled embeddings tied to the output projection, vocabulary 256,206 — the way
tests/fixtures/checkpoints.py builds the tiny one, and converts it with
``translation.convert.convert_checkpoint(..., quantization="int8")`` for az, tr, ru, uz, en.

The 256k vocabulary is real, not only a wider matrix: a BPE SentencePiece model is trained on
generated news text (8,000 pieces), then filled up to NLLB's 256,000 pieces with two-letter
pieces of Private Use Area characters (lowest scores; no text here contains them, so they
never change how text is cut). The NllbTokenizer over it has NLLB's layout (256,204 tokens:
pieces, FLORES codes, ``<mask>``) and the model 256,206 rows, as the released checkpoint;
the converter adds the same two ``madeupword`` fillers.

Measured on the same az sentences, translated to tr, ru, uz and en with fixed output lengths
(min = max decoding length), the same beam, length penalty and threads:
  * the engine (``TranslationEngine`` over the packages dir, translation memory off);
  * the documented raw usage: the checkpoint's own tokenizer → one ``translate_batch`` per
    target with ``target_prefix=[[lang token]]`` (the four calls submitted together, on a
    translator with the engine's worker count) → ``tokenizer.decode(skip_special_tokens=True)``;
three runs each, interleaved; the median, the spread and the run-by-run ratios are reported.
Also: load time (translator construction), resident memory after loading and the batch's
peak, disk size, and what changes results (CPU, cores, versions, threads, other load). The
memory figures are the engine's alone: taken before the raw side imports transformers (and
with it torch) and loads its own translator.

    python benchmarks/multilingual.py [--json] [--data-dir DIR] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import TRANSLATION_LIBRARIES, CpuWatch, environment, peak_rss_mb, reset_peak_rss, rss_mb, spread
from tests.fixtures.synthetic_models import generated_sentences
from translation import Document, Field, TranslationEngine
from translation.packages import PackageInfo, installed_packages

SOURCE = "az"
TARGETS = ("tr", "ru", "uz", "en")
LANGS = (SOURCE, *TARGETS)
CACHE_NAME = "nllb-600m-dims-v1"  # bump when build_checkpoint changes: the cache is reused as is
PACKAGE_CODE = "nllb-600m-dims"
NLLB_PIECES = 256_000  # SentencePiece pieces of the released NLLB-200 tokenizer
NLLB_VOCAB_SIZE = 256_206  # rows of its embedding matrix (config.json vocab_size)
NLLB_600M = dict(
    d_model=1024,
    encoder_layers=12,
    decoder_layers=12,
    encoder_attention_heads=16,
    decoder_attention_heads=16,
    encoder_ffn_dim=4096,
    decoder_ffn_dim=4096,
    max_position_embeddings=1024,
    scale_embedding=True,
    activation_function="relu",
    tie_word_embeddings=True,
)
RUNS = 3


# -- the model (child process: torch and transformers) -------------------------------------


def build_checkpoint(dest: Path) -> None:
    """A random NLLB-200-distilled-600M-sized checkpoint, as ``save_pretrained`` writes the real one."""
    import io

    import sentencepiece as spm
    import torch  # before transformers and CTranslate2's specs
    from sentencepiece import sentencepiece_model_pb2
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    from tests.fixtures.checkpoints import MODEL_CARD

    dest.mkdir(parents=True, exist_ok=True)
    trained = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=generated_sentences(count=20000, seed=5),
        model_writer=trained,
        model_type="bpe",
        vocab_size=8000,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=2,
        minloglevel=2,
    )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(trained.getvalue())
    lowest = min(piece.score for piece in proto.pieces)
    for i in range(NLLB_PIECES - len(proto.pieces)):
        filler = proto.pieces.add()
        filler.piece = chr(0xE000 + i // 6400) + chr(0xE000 + i % 6400)
        filler.score = lowest - 1 - i * 1e-3
    (dest / "sentencepiece.bpe.model").write_bytes(proto.SerializeToString())

    tokenizer = NllbTokenizer.from_pretrained(str(dest), additional_special_tokens=FAIRSEQ_LANGUAGE_CODES)
    torch.manual_seed(600)
    config = M2M100Config(
        vocab_size=NLLB_VOCAB_SIZE,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        **NLLB_600M,
    )
    model = M2M100ForConditionalGeneration(config)
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    (dest / "README.md").write_text(MODEL_CARD.format(family="NLLB-200 (600M dimensions)"), encoding="utf-8")


def build(cache: Path) -> None:
    """Checkpoint, conversion, then the float32 weights go (2.4 GB): the tokenizer files stay."""
    from translation.convert import convert_checkpoint

    checkpoint = cache / "checkpoint"
    started = time.perf_counter()
    build_checkpoint(checkpoint)
    built = time.perf_counter()
    convert_checkpoint(
        checkpoint, cache / "packages", languages=LANGS, code=PACKAGE_CODE, version="1.0", quantization="int8"
    )
    timings = {"build_seconds": round(built - started, 1), "convert_seconds": round(time.perf_counter() - built, 1)}
    for weights in checkpoint.glob("*.safetensors"):
        weights.unlink()
    (cache / "built.json").write_text(json.dumps(timings))


def ensure_package(cache_dir: Path) -> tuple[PackageInfo, Path, dict]:
    cache = cache_dir / CACHE_NAME
    if not (cache / "built.json").is_file():
        print("building and converting the NLLB-600M-size model (cached for next runs)…", file=sys.stderr)
        shutil.rmtree(cache, ignore_errors=True)
        subprocess.run([sys.executable, __file__, "--build", str(cache)], check=True)
    [package] = installed_packages(cache / "packages")
    return package, cache / "checkpoint", json.loads((cache / "built.json").read_text())


# -- the measurement ---------------------------------------------------------------------


def stories(count: int, sentences: int) -> list[list[str]]:
    return [list(generated_sentences((SOURCE,), count=sentences, seed=300 + i)) for i in range(count)]


def run_engine(engine: TranslationEngine, batch: list[list[str]]) -> tuple[float, float, dict[str, list[str]]]:
    """One document per story, one field per sentence (so outputs compare sentence by sentence)."""
    with CpuWatch() as watch:
        results = engine.translate_documents([Document(SOURCE, TARGETS, [Field(s) for s in story]) for story in batch])
    outputs: dict[str, list[str]] = {t: [] for t in TARGETS}
    for result in results:
        for target in TARGETS:
            assert result[target].error is None and result[target].texts is not None
            assert [m.code for m in result[target].models] == [PACKAGE_CODE]  # one hop, no pivot
            outputs[target] += result[target].texts
    return watch.seconds, watch.other_cores, outputs


class RawUsage:
    """CTranslate2's documented NLLB usage with the checkpoint's own tokenizer."""

    def __init__(self, package: PackageInfo, checkpoint: Path, engine: TranslationEngine) -> None:
        import ctranslate2
        import transformers

        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            str(checkpoint), src_lang=package.language_tokens[SOURCE]
        )
        self.prefixes = {t: [package.language_tokens[t]] for t in TARGETS}
        options = engine.options
        started = time.perf_counter()
        self.translator = ctranslate2.Translator(
            str(package.model_dir),
            device="cpu",
            compute_type=options.compute_type,
            inter_threads=engine.pool.workers,
            intra_threads=1,
        )
        self.load_seconds = time.perf_counter() - started
        self.kwargs = dict(
            beam_size=options.beam_size,
            length_penalty=options.length_penalty,
            min_decoding_length=options.min_decoding_length,
            max_decoding_length=options.max_decoding_length,
            max_batch_size=options.max_batch_tokens,
            batch_type="tokens",
        )

    def run(self, batch: list[list[str]]) -> tuple[float, float, dict[str, list[str]]]:
        sentences = [s for story in batch for s in story]
        tokenizer = self.tokenizer
        with CpuWatch() as watch:
            source = [tokenizer.convert_ids_to_tokens(tokenizer.encode(s)) for s in sentences]
            pending = {
                target: self.translator.translate_batch(
                    source, target_prefix=[prefix] * len(source), asynchronous=True, **self.kwargs
                )
                for target, prefix in self.prefixes.items()
            }
            outputs = {
                target: [
                    tokenizer.decode(
                        tokenizer.convert_tokens_to_ids(r.result().hypotheses[0][1:]), skip_special_tokens=True
                    )
                    for r in results
                ]
                for target, results in pending.items()
            }
        return watch.seconds, watch.other_cores, outputs


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ULAK_DATA_DIR", "./ulak-data")))
    parser.add_argument("--stories", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=4, help="sentences per story")
    parser.add_argument("--decoding-length", type=int, default=24, help="fixed output length in tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-loaded-models", type=int, default=8, help="the engine's (and the hub's) default: 8")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # the child process that builds the model
    args = parser.parse_args()
    if args.build:
        build(args.build)
        return

    cache_dir = args.data_dir / "benchmarks"
    cache_dir.mkdir(parents=True, exist_ok=True)
    package, checkpoint, built = ensure_package(cache_dir)
    batch = stories(args.stories, args.sentences)
    sentences = sum(len(story) for story in batch)
    loadavg_before = os.getloadavg()
    figures: dict[str, object] = {
        "model": "random NLLB-200-distilled-600M dimensions: 12+12 layers, d_model 1024, ffn 4096, 16 heads, "
        f"vocabulary {NLLB_VOCAB_SIZE:,} (256,000 SentencePiece pieces: 8,000 trained + Private Use Area fillers), "
        "tied scaled embeddings, converted int8 by translation.convert",
        "model_disk_mb": disk_mb(package.model_dir),
        "package_disk_mb": disk_mb(package.path),
        "build": built,
        "settings": {
            "source": SOURCE,
            "targets": list(TARGETS),
            "stories": args.stories,
            "sentences": sentences,
            "decoding_length": args.decoding_length,
            "beam_size": 4,
            "length_penalty": 0.2,
            "compute_type": "int8",
            "max_loaded_models": args.max_loaded_models,
            "runs": f"{RUNS} engine and {RUNS} raw runs, interleaved (engine first), after a warm-up",
            "rss": "this process: before loading (imports done), after loading + a warm-up sentence per target, "
            "peak during the engine's first batch (VmHWM, reset before it); the raw side is loaded afterwards",
        },
    }

    started = time.perf_counter()
    rss_before = rss_mb()
    with TranslationEngine(
        package.path.parent,
        memory_path=None,
        threads=args.threads,
        beam_size=4,
        compute_type="int8",
        min_decoding_length=args.decoding_length,
        max_decoding_length=args.decoding_length,
        max_loaded_models=args.max_loaded_models,
    ) as engine:
        run_engine(engine, [["Salam."]])  # loads the model; a sentence outside the batch
        figures["environment"] = environment(
            TRANSLATION_LIBRARIES,
            {
                "threads_option": args.threads,
                "engine": f"{engine.pool.workers} single-threaded workers (one translator, inter_threads={engine.pool.workers}, intra_threads=1)",
                "raw": f"one translator, inter_threads={engine.pool.workers}, intra_threads=1; the 4 targets' calls submitted together",
            },
        )
        figures["load_seconds"] = round(engine.pool.load_seconds, 2)
        figures["rss_mb_before_loading"] = round(rss_before)
        figures["rss_mb_loaded"] = round(rss_mb())
        figures["rss_mb_model"] = round(rss_mb() - rss_before)
        reset_peak_rss()
        engine_runs = [run_engine(engine, batch)]
        figures["peak_rss_mb_during_batch"] = peak_rss_mb()
        figures["rss_mb_after_batch"] = round(rss_mb())

        raw = RawUsage(package, checkpoint, engine)
        raw.run([["Salam."]])  # warm-up, as the engine had
        figures["raw_load_seconds"] = round(raw.load_seconds, 2)
        raw_runs = [raw.run(batch)]
        for _ in range(RUNS - 1):
            engine_runs.append(run_engine(engine, batch))
            raw_runs.append(raw.run(batch))
    figures["total_seconds"] = round(time.perf_counter() - started, 1)

    engine_seconds = [seconds for seconds, _, _ in engine_runs]
    raw_seconds = [seconds for seconds, _, _ in raw_runs]
    figures["engine_seconds"] = spread(engine_seconds)
    figures["raw_seconds"] = spread(raw_seconds)
    # Throughput ratio engine/raw = raw time / engine time; per interleaved pair, and of the medians.
    pair_ratios = [r / e for e, r in zip(engine_seconds, raw_seconds, strict=True)]
    ratio = statistics.median(raw_seconds) / statistics.median(engine_seconds)
    figures["ratio_vs_raw"] = {
        "of_medians": round(ratio, 3),
        "per_pair": [round(x, 3) for x in pair_ratios],
        "min": round(min(pair_ratios), 3),
        "max": round(max(pair_ratios), 3),
        "goal": ">= 0.9",
        "met": ratio >= 0.9,
    }
    figures["engine_sentences_per_second"] = round(sentences * len(TARGETS) / statistics.median(engine_seconds), 2)
    figures["other_processes_cores"] = {
        "engine": [cores for _, cores, _ in engine_runs],
        "raw": [cores for _, cores, _ in raw_runs],
        "loadavg_1_5_15_before": [round(x, 2) for x in loadavg_before],
        "loadavg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
    }
    engine_outputs, raw_outputs = engine_runs[0][2], raw_runs[0][2]
    figures["identical_outputs"] = (
        f"{sum(e == r for t in TARGETS for e, r in zip(engine_outputs[t], raw_outputs[t], strict=True))}"
        f" of {sentences * len(TARGETS)}"
    )

    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    env = figures["environment"]
    assert isinstance(env, dict)
    print(f"model: {figures['model']}")
    print(f"disk: model {figures['model_disk_mb']} MB, package {figures['package_disk_mb']} MB")
    print(f"machine: {env['cpu_model']}, {env['cpu_count']} CPUs; {json.dumps(env['versions'])}")
    print(f"batch: {sentences} az sentences → {', '.join(TARGETS)}, {args.decoding_length} tokens each, beam 4")
    for name, key in (("engine", "engine_seconds"), ("raw CTranslate2", "raw_seconds")):
        s = figures[key]
        assert isinstance(s, dict)
        print(f"{name}: median {s['median']} s (runs {s['runs']}, spread {s['spread_pct']} %)")
    r = figures["ratio_vs_raw"]
    assert isinstance(r, dict)
    print(
        f"engine/raw throughput: {r['of_medians']} of the medians (pairs {r['per_pair']}) — goal ≥ 0.9 "
        f"{'met' if r['met'] else 'missed'}"
    )
    print(f"identical outputs engine vs raw: {figures['identical_outputs']}")
    print(f"load: engine {figures['load_seconds']} s, raw translator {figures['raw_load_seconds']} s")
    print(
        f"RSS: {figures['rss_mb_before_loading']} MB before loading, {figures['rss_mb_loaded']} MB loaded "
        f"(+{figures['rss_mb_model']} MB), peak {figures['peak_rss_mb_during_batch']} MB during the batch"
    )
    print(f"other processes (cores): {json.dumps(figures['other_processes_cores'])}")


if __name__ == "__main__":
    main()
