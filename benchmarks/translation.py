"""Translation throughput: Ulak's engine vs Argos Translate vs raw CTranslate2.

Builds (once, cached under the data dir) a synthetic int8 package with Argos's real
dimensions — 6+6 layers, d_model 512, ffn 2048, 8 heads, one shared 50k vocabulary — and
installs it as the eight packages a 5-language hub needs (az/tr/ru/uz ↔ en). Output lengths
are fixed identically in every path (min = max decoding length), as are threads and beam.

Measured, for a fixed mixed-source news batch fanned out to az, tr, ru, uz and en:
  * our engine vs a per-story ``argostranslate.translate.translate()`` loop (goal ≥ 6×),
    Argos run with intra_threads 1 and ``--threads``, the faster being the baseline;
  * our engine vs raw ``translate_batch`` calls over pre-tokenized sentences, one per model,
    independent models' calls submitted together (goal ≥ 0.9×);
  * a 1-of-20-sentences correction vs the first translation (translation memory; ≤ 10 %),
    with the latency of one sentence through one model, which bounds it from below;
  * model load time; RSS with 8 packages loaded (goal ≤ 1.2 GB) after loading, after the
    batch, and the batch's peak.
Every timing comes with the CPU other processes used meanwhile: the machine may be shared.

Argos's sentence splitter needs a downloaded model, so in the Argos baseline the installed
translations' sentencizer is replaced by one that uses our splitter (the output says so).

    python benchmarks/translation.py [--json] [--data-dir DIR] [--skip-argos]
The Argos baseline needs the ``bench`` extra (torch CPU first, then argostranslate).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import CpuWatch, peak_rss_mb, reset_peak_rss, rss_mb
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


def run_engine(
    engine: TranslationEngine, batch: list[tuple[str, str]], contention: dict | None = None, key: str = "engine"
) -> float:
    with CpuWatch() as watch:
        results = engine.translate_documents(documents(batch))
    assert all(r.error is None for doc in results for r in doc.values())
    if contention is not None:
        contention[key] = watch.other_cores
    return watch.seconds


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


def run_raw(
    engine: TranslationEngine, batch: list[tuple[str, str]], *, concurrent: bool, contention: dict, key: str
) -> float:
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
    contention[key] = watch.other_cores
    return watch.seconds


def correction_cost(
    packages_dir: Path, memory_dir: Path, engine_kwargs: dict, contention: dict
) -> tuple[float, float, float]:
    """First translation of a 20-sentence az story, then of its 1-sentence correction.

    Also one new sentence through one model (az → en): the correction's floor is that
    latency twice over (az → en, then en → each target, the targets side by side).
    """
    lines = list(generated_sentences(("az",), count=20, seed=999))
    story = " ".join(lines)
    corrected = " ".join(lines[:10] + list(generated_sentences(("az",), count=1, seed=1234)) + lines[11:])
    with TranslationEngine(packages_dir, memory_path=memory_dir / "memory.sqlite3", **engine_kwargs) as engine:
        run_engine(engine, [("az", "Salam. Xəbər.")])  # warm-up, other sentences
        first = run_engine(engine, [("az", story)], contention, "correction_first")
        again = run_engine(engine, [("az", corrected)], contention, "correction")
        [fresh] = generated_sentences(("az",), count=1, seed=4321)
        with CpuWatch() as single:
            engine.translate_text(fresh, "az", "en")
    return first, again, single.seconds


def argos_baseline(
    packages_dir: Path, work_dir: Path, batch: list[tuple[str, str]], settings: dict, contention: dict
) -> dict:
    # argostranslate reads its settings and creates directories at import time: set its
    # environment first, here and nowhere else.
    os.environ |= {
        "ARGOS_PACKAGES_DIR": str(packages_dir),
        "XDG_DATA_HOME": str(work_dir / "data"),
        "XDG_CONFIG_HOME": str(work_dir / "config"),
        "XDG_CACHE_HOME": str(work_dir / "cache"),
        "ARGOS_DEVICE_TYPE": "cpu",
        "ARGOS_INTER_THREADS": "1",
        "ARGOS_INTRA_THREADS": str(settings["threads"]),
        "ARGOS_COMPUTE_TYPE": settings["compute_type"],
        "ARGOS_BEAM_SIZE": str(settings["beam_size"]),
    }
    started = time.perf_counter()
    import argostranslate.translate as argos
    import ctranslate2

    import_seconds = time.perf_counter() - started
    length = settings["decoding_length"]
    intra_threads = {"value": settings["threads"]}

    class FixedLengthTranslator:
        """ctranslate2.Translator with the benchmark's fixed output length forced in.

        Also applies the intra-op thread count under test (Argos reads ARGOS_INTRA_THREADS
        once, at import).
        """

        def __init__(self, *args, **kwargs):
            kwargs["intra_threads"] = intra_threads["value"]
            self._translator = ctranslate2.Translator(*args, **kwargs)

        def translate_batch(self, *args, **kwargs):
            return self._translator.translate_batch(
                *args, **kwargs, min_decoding_length=length, max_decoding_length=length
            )

    argos.ctranslate2 = types.SimpleNamespace(Translator=FixedLengthTranslator)

    class OurSentencizer:
        def __init__(self, lang: str):
            self.lang = lang

        def split_sentences(self, text: str) -> list[str]:
            return segment_text(text, self.lang).sentences

    argos.get_installed_languages()
    underlying = [installed.cached_translation.underlying for installed in argos.installed_translates]
    for package_translation in underlying:
        package_translation.sentencizer = OurSentencizer(package_translation.pkg.from_code)

    seconds = {}
    # Argos decodes a paragraph (2-4 sentences) per call, so a second intra-op thread may
    # not pay: it is measured with one thread and with the engine's count, and the faster
    # one is the baseline.
    for threads in sorted({1, settings["threads"]}):
        intra_threads["value"] = threads
        for package_translation in underlying:
            package_translation.translator = None  # reloaded with this thread count
        for lang in LANGS:  # warm-up: load every model, on text outside the batch
            for target in LANGS:
                if target != lang:
                    argos.translate(f"Warm up {lang} {target}.", lang, target)
        with CpuWatch() as watch:
            for lang, text in batch:
                for target in LANGS:
                    if target != lang:
                        argos.translate(text, lang, target)
        seconds[threads] = watch.seconds
        contention[f"argos_intra_threads_{threads}"] = watch.other_cores
    return {"seconds": seconds, "import_seconds": import_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ULAK_DATA_DIR", "./ulak-data")))
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=8, help="sentences per story")
    parser.add_argument("--decoding-length", type=int, default=24, help="fixed output length in tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-argos", action="store_true")
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
        "model": "6+6 layers, d_model 512, ffn 2048, 8 heads, shared 50k vocabulary, int8",
        "argos_sentencizer": "replaced by Ulak's splitter (Argos's needs a downloaded model)",
        "engine_threads": f"{args.threads} single-threaded workers (intra_threads=1, inter_threads={args.threads})",
        "argos_threads": "the faster of intra_threads=1 and intra_threads=threads (both reported)",
        "timings": "engine and raw: best of two interleaved runs; Argos: best of its two thread settings",
        "rss": "this process: after loading the 8 packages + one warm-up sentence each; after translating "
        "the batch (between batches); peak during the batch (VmHWM, reset before it)",
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
    contention: dict[str, float] = {}  # cores other processes kept busy during each timing
    figures: dict[str, object] = {
        "settings": settings,
        "batch_sentences": sentences,
        "other_processes_cores": contention,
    }

    with TranslationEngine(packages_dir, **engine_kwargs) as engine:
        run_engine(engine, [(lang, f"Warm up {lang}.") for lang in LANGS])  # loads all 8 models
        figures["load_seconds"] = round(engine.pool.load_seconds / len(engine.pool.loaded), 3)
        figures["load_seconds_8_models"] = round(engine.pool.load_seconds, 3)
        figures["rss_mb_8_models_loaded"] = round(rss_mb())
        reset_peak_rss()
        engine_runs = [run_engine(engine, batch, contention)]
        figures["peak_rss_mb_during_batch"] = peak_rss_mb()
        figures["rss_mb_8_models"] = round(rss_mb())
        figures["loaded_models"] = len(engine.pool.loaded)
        figures["engine_batches"] = engine.stats.batches
        figures["sentence_translations"] = engine.stats.sentences_translated
        # Twice each, interleaved, best of two on both sides: a burst of load from another
        # process skews one run, rarely both.
        raw_runs = [run_raw(engine, batch, concurrent=True, contention=contention, key="raw")]
        engine_runs.append(run_engine(engine, batch, contention, "engine_2"))
        raw_runs.append(run_raw(engine, batch, concurrent=True, contention=contention, key="raw_2"))
        raw_sequential_seconds = run_raw(engine, batch, concurrent=False, contention=contention, key="raw_sequential")
    figures["engine_seconds_runs"] = [round(x, 2) for x in engine_runs]
    figures["raw_ctranslate2_seconds_runs"] = [round(x, 2) for x in raw_runs]
    engine_seconds, raw_seconds = min(engine_runs), min(raw_runs)
    figures["engine_seconds"] = round(engine_seconds, 2)
    figures["raw_ctranslate2_seconds"] = round(raw_seconds, 2)
    figures["raw_ctranslate2_sequential_seconds"] = round(raw_sequential_seconds, 2)
    figures["ratio_vs_raw_ctranslate2"] = round(raw_seconds / engine_seconds, 3)
    figures["engine_sentences_per_second"] = round(sentences * (len(LANGS) - 1) / engine_seconds, 2)

    first, corrected, single = correction_cost(packages_dir, work, engine_kwargs, contention)
    figures["single_sentence_seconds"] = round(single, 3)
    figures["correction_first_seconds"] = round(first, 3)
    figures["correction_seconds"] = round(corrected, 3)
    figures["correction_cost_ratio"] = round(corrected / first, 3)

    if not args.skip_argos:
        argos = argos_baseline(packages_dir, work / "argos", batch, settings, contention)
        figures["argos_seconds_by_intra_threads"] = {str(k): round(v, 2) for k, v in argos["seconds"].items()}
        figures["argos_seconds"] = round(min(argos["seconds"].values()), 2)
        figures["argos_import_seconds"] = round(argos["import_seconds"], 2)
        figures["speedup_vs_argos"] = round(figures["argos_seconds"] / engine_seconds, 2)
    shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"batch: {args.stories} stories, {sentences} sentences, fan-out to {', '.join(LANGS)}")
    print(f"settings: {json.dumps(settings, ensure_ascii=False)}")
    print(
        f"engine: {engine_seconds:.2f} s ({figures['engine_sentences_per_second']} sentences×targets/s, {figures['engine_batches']} batches)"
    )
    print(
        f"raw CTranslate2: {raw_seconds:.2f} s with independent models' calls submitted together "
        f"({raw_sequential_seconds:.2f} s one after another) → engine at {figures['ratio_vs_raw_ctranslate2']}× raw speed (goal ≥ 0.9)"
    )
    if "speedup_vs_argos" in figures:
        by_threads = ", ".join(
            f"{v} s with intra_threads={k}" for k, v in figures["argos_seconds_by_intra_threads"].items()
        )
        print(f"Argos loop: {by_threads} → speedup {figures['speedup_vs_argos']}× over the faster (goal ≥ 6)")
        print("  (Argos's sentencizer replaced by Ulak's splitter: Argos's own needs a downloaded model)")
    print(
        f"correction of 1 of 20 sentences: {corrected:.2f} s, {figures['correction_cost_ratio']:.1%} of the first "
        f"translation's {first:.2f} s (goal ≤ 10%); one sentence through one model: {single:.2f} s"
    )
    print(f"model load: {figures['load_seconds']} s per package")
    print(f"other processes kept busy (cores, of {os.cpu_count()}) during each timing: {json.dumps(contention)}")
    print(
        f"RSS with 8 packages: {figures['rss_mb_8_models_loaded']} MB loaded and warmed up, "
        f"{figures['rss_mb_8_models']} MB after the batch (goal ≤ 1200), peak {figures['peak_rss_mb_during_batch']} MB during it"
    )


if __name__ == "__main__":
    main()
