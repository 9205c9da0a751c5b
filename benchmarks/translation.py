"""Translation throughput: Ulak's engine vs Argos Translate vs raw CTranslate2, and a news stream.

Builds (once, cached under the data dir) a synthetic int8 package with Argos's real
dimensions — 6+6 layers, d_model 512, ffn 2048, 8 heads, one shared 50k vocabulary — and
installs it as the eight packages a 5-language hub needs (az/tr/ru/uz ↔ en). Output lengths
are fixed identically in every path (min = max decoding length), as are threads and beam.

Measured in ``--runs`` interleaved rounds (engine, raw, Argos, correction, news stream,
synthetic stream; median and spread of each), for a fixed mixed-source batch fanned out to
az, tr, ru, uz and en:
  * our engine vs a per-story ``argostranslate.translate.translate()`` loop (goal ≥ 6×). Argos
    runs in a child process with its thread settings pinned (``benchmarks.argos_loop``); a
    calibration times intra_threads 1 and ``--threads`` once on a few stories and keeps the faster;
  * our engine vs raw ``translate_batch`` calls over pre-tokenized sentences, one per model,
    independent models' calls submitted together (goal ≥ 0.9×);
  * a 1-of-20-sentences correction vs the first translation (translation memory; ≤ 10 %), in
    wall and in CPU seconds, with the latency of one sentence through one model (the wall floor);
  * agency-wire stories with shared boilerplate vs the synthetic stories as a stream, in the
    worker's claims, with a fresh translation memory (``benchmarks.news_stream``): time and the
    share of sentence translations de-duplication and the memory served instead of a model;
  * model load time; RSS with 8 packages loaded (goal ≤ 1.2 GB) after loading, after the
    batch, and the batch's peak.
Every timing comes with the CPU other processes used meanwhile, and the JSON with the machine,
library versions and every path's thread settings (``benchmarks.measure.environment``).

    python benchmarks/translation.py [--json] [--runs 3] [--skip-argos] [--threads 2] [--stories 20]
The Argos baseline needs the ``bench`` extra (torch CPU first, then argostranslate).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.argos_loop import ArgosLoop
from benchmarks.measure import (
    TRANSLATION_LIBRARIES,
    CpuWatch,
    environment,
    other_load,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    spread,
)
from benchmarks.news_stream import run_stream, synthetic_stories, wire_stories
from tests.fixtures.synthetic_models import (
    ARGOS_SIZE,
    SyntheticPackage,
    build_package,
    generated_sentences,
    train_sentencepiece,
)
from translation import DecodingOptions, Document, Field, TranslationEngine
from translation.packages import read_package
from translation.segmentation import segment_text

LANGS = ("az", "tr", "ru", "uz", "en")
PAIRS = [(src, "en") for src in LANGS[:-1]] + [("en", tgt) for tgt in LANGS[:-1]]
BASE_CODE = "translate-base_en"


def ensure_base_package(cache_dir: Path) -> Path:
    """The real-size package, built once (≈ a minute) and kept unpacked under the data dir."""
    base = cache_dir / "argos-size-base-v3"
    if (base / "model" / "model.bin").is_file():
        return base
    started = time.perf_counter()
    print("building the real-size synthetic package (cached for next runs)…", file=sys.stderr)
    scratch = Path(tempfile.mkdtemp(dir=cache_dir))
    sp_model = train_sentencepiece(vocab_size=8000, sentences=20000)
    archive = build_package(scratch, SyntheticPackage("base", "en", seed=7), shape=ARGOS_SIZE, sp_model=sp_model)
    shutil.unpack_archive(archive, scratch / "unpacked", format="zip")
    shutil.move(scratch / "unpacked" / "base_en", base)
    shutil.move(archive, cache_dir / archive.name)
    shutil.rmtree(scratch)
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return base


def install_pairs(base: Path, packages_dir: Path) -> None:
    """Eight packages sharing the base model's files (hard links): the engine still loads each."""
    shutil.rmtree(packages_dir, ignore_errors=True)
    metadata = json.loads((base / "metadata.json").read_text())
    for src, tgt in PAIRS:
        code = f"translate-{src}_{tgt}"
        target = packages_dir / f"{code}-1.0"
        shutil.copytree(base, target, copy_function=os.link)
        (target / "metadata.json").unlink()
        (target / "metadata.json").write_text(
            json.dumps(metadata | {"from_code": src, "to_code": tgt, "from_name": src, "to_name": tgt, "code": code})
        )
        read_package(target)


def news_batch(stories: int, sentences: int) -> list[tuple[str, str]]:
    """(source_lang, text) stories, round-robin over the five languages, two paragraphs each."""
    batch = []
    for i in range(stories):
        lang = LANGS[i % len(LANGS)]
        lines = list(generated_sentences((lang,), count=sentences, seed=100 + i))
        half = len(lines) // 2
        batch.append((lang, " ".join(lines[:half]) + "\n\n" + " ".join(lines[half:])))
    return batch


def documents(batch: list[tuple[str, str]]) -> list[Document]:
    return [Document(lang, LANGS, [Field(text)]) for lang, text in batch]


def timed(watch: CpuWatch) -> dict[str, float]:
    return {"seconds": watch.seconds, "cpu_seconds": watch.cpu_seconds, "other_cores": watch.other_cores}


def run_engine(engine: TranslationEngine, batch: list[tuple[str, str]]) -> dict[str, float]:
    with CpuWatch() as watch:
        results = engine.translate_documents(documents(batch))
    assert all(r.error is None for doc in results for r in doc.values())
    return timed(watch)


def raw_work(engine: TranslationEngine, batch: list[tuple[str, str]]) -> tuple[dict, dict, dict]:
    """The engine's model work, pre-tokenized: (source → en calls, English stories, en → target translators)."""
    packages = {(p.from_code, p.to_code): p for p in engine.packages}
    to_english, english = {}, {}
    for lang in LANGS:
        model = engine.pool.get(packages[(lang, "en")] if lang != "en" else packages[("en", "az")])
        stories = [text for src, text in batch if src == lang]
        tokens = [model.processor.encode(s, out_type=str) for t in stories for s in segment_text(t, lang).sentences]
        if lang == "en":
            english[lang] = tokens  # English stories need no first hop
        else:
            to_english[lang] = (model.translator, tokens)
    from_english = {target: engine.pool.get(packages[("en", target)]).translator for target in LANGS[:-1]}
    return to_english, english, from_english


def run_raw(engine: TranslationEngine, batch: list[tuple[str, str]], *, concurrent: bool) -> dict[str, float]:
    """Raw ``translate_batch`` calls doing the engine's model work, timing only the calls.

    One call per model over all its sentences (CTranslate2 cuts it into ``max_batch_tokens``
    batches and spreads them over the translator's workers). ``concurrent``: the calls of
    independent models are submitted together (``asynchronous=True``), as the engine runs
    independent hops side by side; otherwise one after another.
    """
    options = engine.options
    kwargs = dict(
        beam_size=options.beam_size,
        length_penalty=options.length_penalty,
        min_decoding_length=options.min_decoding_length,
        max_decoding_length=options.max_decoding_length,
        max_batch_size=options.max_batch_tokens,
        batch_type="tokens",
    )
    to_english, english_stories, from_english = raw_work(engine, batch)

    def level(calls: dict) -> dict:
        if not concurrent:
            return {
                key: [r.hypotheses[0] for r in translator.translate_batch(tokens, **kwargs)]
                for key, (translator, tokens) in calls.items()
            }
        pending = {
            key: translator.translate_batch(tokens, asynchronous=True, **kwargs)
            for key, (translator, tokens) in calls.items()
        }
        return {key: [r.result().hypotheses[0] for r in results] for key, results in pending.items()}

    with CpuWatch() as watch:
        english = english_stories | level(to_english)
        level(
            {
                target: (translator, [t for lang, ts in english.items() if lang != target for t in ts])
                for target, translator in from_english.items()
            }
        )
    return timed(watch)


def correction_cost(packages_dir: Path, memory_path: Path, engine_kwargs: dict) -> dict[str, float]:
    """First translation of a 20-sentence az story, then of its 1-sentence correction, with a
    fresh translation memory; wall and CPU seconds of this process for each.

    Also one new sentence through one model (az → en): the correction's wall floor is that
    latency twice over (az → en, then en → each target, the targets side by side).
    """
    lines = list(generated_sentences(("az",), count=20, seed=999))
    story = " ".join(lines)
    corrected = " ".join(lines[:10] + list(generated_sentences(("az",), count=1, seed=1234)) + lines[11:])
    with TranslationEngine(packages_dir, memory_path=memory_path, **engine_kwargs) as engine:
        run_engine(engine, [("az", "Salam. Xəbər.")])  # warm-up, other sentences
        first = run_engine(engine, [("az", story)])
        again = run_engine(engine, [("az", corrected)])
        [fresh] = generated_sentences(("az",), count=1, seed=4321)
        with CpuWatch() as single:
            engine.translate_text(fresh, "az", "en")
    return {
        "first_seconds": first["seconds"],
        "seconds": again["seconds"],
        "ratio": again["seconds"] / first["seconds"],
        "first_cpu_seconds": first["cpu_seconds"],
        "cpu_seconds": again["cpu_seconds"],
        "cpu_ratio": again["cpu_seconds"] / first["cpu_seconds"],
        "single_sentence_seconds": single.seconds,
        "other_cores": max(first["other_cores"], again["other_cores"]),
    }


def stream_case(packages_dir: Path, memory_path: Path, engine_kwargs: dict, stories: list, claim_size: int) -> dict:
    """A stream through a fresh engine with a fresh translation memory (models loaded first)."""
    with TranslationEngine(packages_dir, memory_path=memory_path, **engine_kwargs) as engine:
        run_engine(engine, [(lang, f"Warm up {lang}.") for lang in LANGS])
        return run_stream(engine, stories, claim_size)


def calibrate_argos(
    packages_dir: Path, work: Path, batch: list, settings: dict, stories: int
) -> tuple[ArgosLoop, dict]:
    """Argos at intra_threads 1 and ``threads``, each in its own pinned child, timed once on the
    first ``stories`` stories, after an untimed pass over the last story (the first pass after
    the warm-up is slower; another story, since Argos would answer a repeat from its cache).
    The faster child is kept for the timed runs."""
    calibration: dict[str, dict] = {}
    chosen: ArgosLoop | None = None
    for intra in sorted({1, settings["threads"]}):
        loop = ArgosLoop(packages_dir, work / f"argos-{intra}", batch, settings, intra, pinned=settings["argos_pinned"])
        loop.run(1, start=len(batch) - 1)
        calibration[str(intra)] = loop.run(stories)
        faster = chosen is None or calibration[str(intra)]["seconds"] < min(
            v["seconds"] for k, v in calibration.items() if k != str(intra)
        )
        if faster:
            if chosen is not None:
                chosen.close()
            chosen = loop
        else:
            loop.close()
    assert chosen is not None
    return chosen, calibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ULAK_DATA_DIR", "./ulak-data")))
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds (engine, raw, Argos, …)")
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=8, help="sentences per story")
    parser.add_argument("--decoding-length", type=int, default=24, help="fixed output length in tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stream-stories", type=int, default=20, help="stories in each stream case")
    parser.add_argument("--claim-size", type=int, default=8, help="jobs per engine call in the stream")
    parser.add_argument("--calibration-stories", type=int, default=5, help="stories timed per Argos thread setting")
    parser.add_argument("--skip-argos", action="store_true")
    parser.add_argument(
        "--argos-unpinned", action="store_true", help="Argos child inherits this environment's thread settings"
    )
    args = parser.parse_args()

    cache_dir = args.data_dir / "benchmarks"
    cache_dir.mkdir(parents=True, exist_ok=True)
    base = ensure_base_package(cache_dir)
    work = Path(tempfile.mkdtemp(prefix="ulak-bench-"))
    packages_dir = work / "packages"
    install_pairs(base, packages_dir)

    settings = {
        "threads": args.threads,
        "compute_type": "int8",
        "beam_size": 4,
        "length_penalty": 0.2,
        "decoding_length": args.decoding_length,
        "max_batch_tokens": DecodingOptions.max_batch_tokens,
        "stories": args.stories,
        "sentences_per_story": args.sentences,
        "targets": list(LANGS),
        "runs": args.runs,
        "stream_stories": args.stream_stories,
        "claim_size": args.claim_size,
        "argos_pinned": not args.argos_unpinned,
        "model": "6+6 layers, d_model 512, ffn 2048, 8 heads, shared 50k vocabulary, int8",
        "argos_sentencizer": "replaced by Ulak's splitter (Argos's needs a downloaded model)",
        "timings": "rounds interleaved: engine, raw CTranslate2, Argos, correction, news stream, synthetic stream; "
        "median and spread over the rounds",
        "rss": "this process: after loading the 8 packages + one warm-up sentence each; after the first batch; "
        "peak during it (VmHWM, reset before it)",
    }
    engine_kwargs = dict(
        threads=args.threads,
        compute_type="int8",
        beam_size=4,
        min_decoding_length=args.decoding_length,
        max_decoding_length=args.decoding_length,
        max_loaded_models=8,
    )
    batch = news_batch(args.stories, args.sentences)
    sentences = sum(len(segment_text(text, lang).sentences) for lang, text in batch)
    translations = sentences * (len(LANGS) - 1)
    figures: dict[str, Any] = {"settings": settings, "batch_sentences": sentences, "other_load_before": other_load()}

    argos, calibration = None, None
    if not args.skip_argos:
        argos, calibration = calibrate_argos(packages_dir, work, batch, settings, args.calibration_stories)
    rounds: dict[str, list[dict]] = {key: [] for key in ("engine", "raw", "argos", "correction", "news", "synthetic")}
    news, synthetic = wire_stories(args.stream_stories), synthetic_stories(args.stream_stories, args.sentences)
    with TranslationEngine(packages_dir, **engine_kwargs) as engine:
        run_engine(engine, [(lang, f"Warm up {lang}.") for lang in LANGS])  # loads all 8 models
        figures["load_seconds"] = round(engine.pool.load_seconds / len(engine.pool.loaded), 3)
        figures["rss_mb_8_models_loaded"] = round(rss_mb())
        for i in range(args.runs):
            if i == 0:
                reset_peak_rss()
            rounds["engine"].append(run_engine(engine, batch))
            if i == 0:
                figures["peak_rss_mb_during_batch"] = peak_rss_mb()
                figures["rss_mb_8_models"] = round(rss_mb())
                figures["engine_batches"] = engine.stats.batches
            rounds["raw"].append(run_raw(engine, batch, concurrent=True))
            if argos is not None:
                rounds["argos"].append(argos.run())
            rounds["correction"].append(correction_cost(packages_dir, work / f"memory-{i}.sqlite3", engine_kwargs))
            for kind, stories in (("news", news), ("synthetic", synthetic)):
                memory = work / f"stream-{kind}-{i}.sqlite3"
                rounds[kind].append(stream_case(packages_dir, memory, engine_kwargs, stories, args.claim_size))
        raw_sequential = run_raw(engine, batch, concurrent=False)
    if argos is not None:
        argos.close()
    shutil.rmtree(work, ignore_errors=True)

    threads = {
        "engine": {"workers": args.threads, "ctranslate2_inter_threads": args.threads, "ctranslate2_intra_threads": 1},
        "raw_ctranslate2": "the engine's translators",
        "engine_process_torch_loaded": "torch" in sys.modules,
    }
    if argos is not None and calibration is not None:
        threads["argos"] = argos.ready["threads"]
    figures["environment"] = environment(TRANSLATION_LIBRARIES, threads=threads)
    figures |= summarize(rounds, translations, raw_sequential, calibration)
    if argos is not None:
        figures["argos_import_seconds"] = round(argos.ready["import_seconds"], 2)
        figures["argos_intra_threads"] = argos.ready["threads"]["ctranslate2_intra_threads"]
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print_table(figures, args)


def summarize(rounds: dict[str, list[dict]], translations: int, raw_sequential: dict, calibration: dict | None) -> dict:
    """Medians and spreads over the rounds, and the ratios per interleaved round."""
    out: dict[str, Any] = {}

    def series(kind: str, key: str = "seconds") -> list[float]:
        return [r[key] for r in rounds[kind]]

    engine, raw = series("engine"), series("raw")
    out["engine_seconds"] = spread(engine, 2)
    out["engine_cpu_seconds"] = spread(series("engine", "cpu_seconds"), 2)
    out["engine_sentences_per_second"] = round(translations / statistics.median(engine), 2)
    out["raw_ctranslate2_seconds"] = spread(raw, 2)
    out["raw_ctranslate2_sequential_seconds"] = round(raw_sequential["seconds"], 2)
    out["ratio_vs_raw_ctranslate2"] = round(statistics.median(raw) / statistics.median(engine), 3)
    out["ratio_vs_raw_ctranslate2_per_round"] = spread([r / e for r, e in zip(raw, engine, strict=True)])
    if rounds["argos"]:
        argos = series("argos")
        out["argos_calibration"] = calibration
        out["argos_seconds"] = spread(argos, 2)
        out["argos_cpu_seconds"] = spread(series("argos", "cpu_seconds"), 2)
        out["argos_sentences_per_second"] = round(translations / statistics.median(argos), 2)
        out["speedup_vs_argos"] = round(statistics.median(argos) / statistics.median(engine), 2)
        out["speedup_vs_argos_per_round"] = spread([a / e for a, e in zip(argos, engine, strict=True)], 2)
    corrections = rounds["correction"]
    out["correction_cost_ratio"] = spread([c["ratio"] for c in corrections])
    out["correction_cost_cpu_ratio"] = spread([c["cpu_ratio"] for c in corrections])
    for key in ("first_seconds", "seconds", "first_cpu_seconds", "cpu_seconds", "single_sentence_seconds"):
        out[f"correction_{key}"] = spread([c[key] for c in corrections])
    for kind in ("news", "synthetic"):
        runs = rounds[kind]
        first = runs[0]
        out[f"stream_{kind}"] = {
            **{k: first[k] for k in ("stories", "jobs", "claims", "source_sentences", "routed_sentence_translations")},
            **{k: first[k] for k in ("deduplicated", "memory_hits", "model_sentences")},
            **{k: round(first[k], 3) for k in ("deduplicated_share", "memory_share", "model_share")},
            "seconds": spread([r["seconds"] for r in runs], 2),
            "cpu_seconds": spread([r["cpu_seconds"] for r in runs], 2),
            "sentences_per_second": spread([r["sentences_per_second"] for r in runs], 2),
        }
    out["other_processes_cores"] = {kind: [r["other_cores"] for r in runs] for kind, runs in rounds.items() if runs}
    return out


def print_table(figures: dict, args: argparse.Namespace) -> None:
    def med(key: str, *path: str) -> str:
        value = figures[key]
        for part in path:
            value = value[part]
        return f"{value['median']} (spread {value['spread_pct']} %, runs {value['runs']})"

    env = figures["environment"]
    print(f"machine: {env['cpu_model']}, {env['cpu_count']} cores; versions {json.dumps(env['versions'])}")
    print(f"threads: {json.dumps(env['threads'])}")
    print(f"other processes before: {figures['other_load_before']} cores; during each timing: ", end="")
    print(json.dumps(figures["other_processes_cores"]))
    print(f"batch: {args.stories} stories, {figures['batch_sentences']} sentences, fan-out to {', '.join(LANGS)}")
    print(f"engine: {med('engine_seconds')} s, {figures['engine_sentences_per_second']} sentences×targets/s")
    print(
        f"raw CTranslate2: {med('raw_ctranslate2_seconds')} s ({figures['raw_ctranslate2_sequential_seconds']} s calls "
        f"one after another) → engine at {figures['ratio_vs_raw_ctranslate2']}× raw speed (goal ≥ 0.9); per round "
        f"{med('ratio_vs_raw_ctranslate2_per_round')}"
    )
    if "speedup_vs_argos" in figures:
        calibration = ", ".join(
            f"intra_threads={k}: {v['seconds']:.2f} s for {v['stories']} stories"
            for k, v in figures["argos_calibration"].items()
        )
        print(f"Argos calibration ({calibration}) → intra_threads={figures['argos_intra_threads']}")
        print(
            f"Argos loop: {med('argos_seconds')} s ({figures['argos_sentences_per_second']} sentences×targets/s) → "
            f"speedup {figures['speedup_vs_argos']}× (goal ≥ 6); per round {med('speedup_vs_argos_per_round')}"
        )
    print(
        f"correction of 1 of 20 sentences: wall ratio {med('correction_cost_ratio')}, CPU ratio "
        f"{med('correction_cost_cpu_ratio')} (goal ≤ 0.10); first translation {med('correction_first_seconds')} s; "
        f"one sentence through one model {med('correction_single_sentence_seconds')} s"
    )
    for kind in ("news", "synthetic"):
        stream = figures[f"stream_{kind}"]
        print(
            f"stream, {kind}: {stream['stories']} stories, {stream['jobs']} jobs in {stream['claims']} claims, "
            f"{med(f'stream_{kind}', 'seconds')} s, {stream['sentences_per_second']['median']} sentences×targets/s; "
            f"of {stream['routed_sentence_translations']} sentence translations: de-duplicated "
            f"{stream['deduplicated_share']:.1%}, memory {stream['memory_share']:.1%}, model {stream['model_share']:.1%}"
        )
    print(f"model load: {figures['load_seconds']} s per package")
    print(
        f"RSS with 8 packages: {figures['rss_mb_8_models_loaded']} MB loaded and warmed up, "
        f"{figures['rss_mb_8_models']} MB after the batch (goal ≤ 1200), peak {figures['peak_rss_mb_during_batch']} MB"
    )


if __name__ == "__main__":
    main()
