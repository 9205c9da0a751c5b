"""End-to-end pipeline: stories pushed through the real hub until each is in all five
languages, against the same documents through the engine alone, in interleaved pairs.

With real-size synthetic models installed (az↔en, tr↔en, ru↔en pair packages and one
multilingual en↔uz package, as in tests/fixtures/models.py but with Argos's dimensions: 6+6
layers, d_model 512, ffn 2048, 8 heads, shared 50k vocabulary, int8), each pair of a run is:

1. pipeline: ``ulak serve`` in a subprocess on a free loopback port over a fresh data dir and
   database (SQLite, or a scratch PostgreSQL database with ``--postgres``) with its embedded
   worker, or with ``--worker process`` a separate ``ulak worker`` subprocess. A fixed,
   deterministic batch of news stories (az, tr, ru, en sources in turn) goes in through
   ``POST /v1/stories``; a partner polls the five language feeds until every story is in
   all of them. Then the hub stops.
2. engine: the same documents, grouped exactly as the worker claims them (one document per
   job, ``claim size`` jobs per ``translate_documents`` call, jobs in queue order), through
   ``TranslationEngine.translate_documents`` built in this process by the hub's own
   ``build_engine`` from the same settings — same models, threads, beam, decoding length.

``--runs`` pairs run in the order pipeline, engine, pipeline, engine, … so that a change in
the machine's other load hits both sides alike. Every figure is reported as the median of
the runs with every run and the spread (max − min over the median; for the overheads, whose
median can be near zero, the table prints max − min in percentage points):

* pipeline and engine seconds, and the wall overhead (pipeline − engine) / engine of each
  pair; the goal (issue 5), pipeline ≤ 1.1 × engine, is judged on the median of the
  per-pair overheads, and the report says whether every pair met it;
* CPU seconds (the hub's processes vs the engine run) and their overhead: other load on a
  shared machine disturbs CPU time far less than wall time;
* stories/min to all five languages (first push → last translation of the batch) and the
  p50/p95 push → all-languages latency per story (a burst: later stories queue, so these
  are mostly queueing and grow with ``--stories``);
* the cores other processes kept busy during each phase (``CpuWatch.other_cores``; before
  the first pair, ``other_load``) and the thread-seconds each side spent runnable but
  waiting for a CPU (Linux schedstat);
* per pair, that both sides did the same work: jobs, batches (the worker may claim the
  first jobs of the burst before the rest arrive, so its count can be one higher) and
  sentences through a model (the embedded worker's ``/metrics``).

Fairness: both sides use the hub's settings. Output lengths are fixed (min = max decoding
length): the hub gets ``ULAK_TRANSLATION_MIN_DECODING_LENGTH`` /
``ULAK_TRANSLATION_MAX_DECODING_LENGTH``, the engine side the same ``Settings`` fields;
``--decoding-length 0`` keeps the defaults (1 and 256; outputs then end where the synthetic
model puts ``</s>``). The translation memory is on for both (``ULAK_TRANSLATION_MEMORY``'s
default, as in production; ``--no-memory`` turns it off for both), and each pipeline and
each engine run starts from an empty one: a fresh data dir (the hub on ``--postgres`` keeps
its memory in the fresh scratch database, the engine side in a file in its data dir). Both
sides run the same warm-up (one short story per source language, which also loads every
model) before the clock starts. A story's completion time
is the hub's own timestamp of its last translation (the translation's ``versionCreated``),
so the poll interval does not blur the figures.

Defaults: 20 stories × 12 sentences = 80 jobs in 10 claims of 8, 1,038 sentences through a
model per side, ≈ 95–100 CPU seconds per side: ≈ 1 minute of wall time per side on 2 quiet
cores, so three pairs with their start-ups and warm-ups should take ≈ 6–8 minutes (an
estimate from the CPU seconds; on the shared development machine, with other processes
holding 1.3 of its 2 cores, it took 16.6). Twenty stories keep each side far longer than
what the pipeline adds per batch (the first claim waits up to ``ULAK_WORKER_POLL_SECONDS`` =
1 s, each job is recorded in its own transaction), so a 10 % overhead stays measurable,
while three pairs fit in about the time one 40-story pair took before.

``--profile FILE`` attaches py-spy (not a dependency) to the worker's process for each
pipeline run's measured phase, writes FILE-run<N><suffix>, and reports where the worker
thread spent its time and the same-run estimate: the worker's share of samples inside
``translate_documents`` × the profiled wall time is its own engine time under the same load.
The profiler slows the hub, so profiled wall figures are not comparable with unprofiled ones.

    .venv/bin/python benchmarks/pipeline.py [--json] [--runs 3] [--stories 20] [--sentences 12]
        [--claim-size 8] [--threads 2] [--worker embedded|process] [--postgres]
        [--decoding-length 24] [--no-memory] [--profile FILE]

The real-size packages are built once and cached under ``<data dir>/benchmarks`` (the pair
package by benchmarks/translation.py's builder, the multilingual one by
benchmarks/pipeline_inputs.py): ≈ 15 s the first time.
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
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.measure import (
    TRANSLATION_LIBRARIES,
    WEB_LIBRARIES,
    CpuWatch,
    environment,
    other_load,
    percentile,
    spread,
)
from benchmarks.pipeline_hub import (
    PARTNER,
    FeedWatcher,
    HubProcesses,
    create_keys,
    database,
    metric,
    profiled,
    push,
    run_queue_seconds,
    running_hub,
    worker_profile,
)
from benchmarks.pipeline_inputs import LANGS, SOURCES, install_models, log, news_stories, warmup_stories, worker_jobs
from hub.config import Settings
from hub.jobs.worker import build_engine

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOAL_OVERHEAD = 0.10


# ---------------------------------------------------------------------------- one pair


def run_pipeline(
    args: argparse.Namespace,
    hub: HubProcesses,
    keys: dict[str, str],
    stories: list[dict[str, Any]],
    profile: Path | None,
) -> dict[str, Any]:
    def client(key: str) -> httpx.Client:
        return httpx.Client(base_url=hub.base, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    with ExitStack() as stack:
        pushers = {lang: stack.enter_context(client(keys[lang])) for lang in SOURCES}
        reader = stack.enter_context(client(keys[PARTNER]))
        watcher = FeedWatcher(reader)

        log("  warm-up: one story per source language (loads every model)…")
        warmup_ids = [push(pushers, story) for story in warmup_stories()]
        watcher.wait(warmup_ids, timeout=300)
        batches_before = metric(reader, "ulak_translation_batch_seconds_count")
        sentences_before = metric(reader, "ulak_translation_sentences_total")

        # The hub's processes are ours: "other cores" is everything else on the machine.
        with profiled(profile, hub.processes[-1].pid) as profile_window, CpuWatch(ours=hub.cpu_seconds) as watch:
            cpu_before, waited_before = hub.cpu_seconds(), hub.run_queue_seconds()
            log(f"  pushing {len(stories)} stories…")
            pushed_at: dict[str, float] = {}
            ids = []
            for story in stories:
                started = time.time()
                story_id = push(pushers, story)
                pushed_at[story_id] = started
                ids.append(story_id)
            push_seconds = time.time() - pushed_at[ids[0]]
            watcher.wait(ids, timeout=args.timeout)
            cpu_seconds = hub.cpu_seconds() - cpu_before
            waited_seconds = hub.run_queue_seconds() - waited_before

        batches_after = metric(reader, "ulak_translation_batch_seconds_count")
        sentences_after = metric(reader, "ulak_translation_sentences_total")
        # Exactly what the worker translated: the originals as the hub stored them.
        originals = [reader.get(f"/v1/stories/{story_id}").raise_for_status().json() for story_id in ids]
        statuses = [reader.get(f"/v1/stories/{story_id}/translations").raise_for_status().json() for story_id in ids]

    assert all(t["status"] == "done" for s in statuses for t in s["translations"]), "a translation is not done"
    done_at = {story_id: max(watcher.seen[(story_id, lang)] for lang in LANGS) for story_id in ids}
    latencies = [done_at[i] - pushed_at[i] for i in ids]
    pipeline_seconds = max(done_at.values()) - min(pushed_at.values())
    figures: dict[str, Any] = {
        "pipeline_seconds": pipeline_seconds,
        "push_seconds": push_seconds,
        "pipeline_cpu_seconds": cpu_seconds,
        "pipeline_run_queue_seconds": waited_seconds,
        "pipeline_other_cores": watch.other_cores,
        "stories_per_minute": len(stories) / pipeline_seconds * 60,
        "latency_p50_seconds": percentile(latencies, 0.50),
        "latency_p95_seconds": percentile(latencies, 0.95),
        "originals": originals,
    }
    # Worker counters are per process: the API's /metrics has them for the embedded worker only.
    if args.worker == "embedded" and None not in (batches_before, batches_after, sentences_before, sentences_after):
        figures["worker_batches"] = int(batches_after - batches_before)  # type: ignore[operator]
        figures["worker_sentences_translated"] = int(sentences_after - sentences_before)  # type: ignore[operator]
    if profile:
        shares = figures["worker_thread_profile"] = worker_profile(profile)
        # The worker's own engine time in this very run (same load as the rest of it):
        # its share of the worker thread's samples over the profiled wall time.
        in_hub = shares.get("engine: translate_documents", 0.0) * profile_window["seconds"]
        figures["engine_seconds_in_hub"] = in_hub
        figures["overhead_in_run"] = (pipeline_seconds - in_hub) / in_hub if in_hub else None
    return figures


def engine_settings(args: argparse.Namespace, data_dir: Path, models_dir: Path) -> Settings:
    """The settings the hub runs with (see running_hub), for an engine in this process."""
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        models_dir=models_dir,
        translation_threads=args.threads,  # type: ignore[call-arg]
        worker_claim_size=args.claim_size,
        translation_memory=args.memory,
    )
    if args.decoding_length:
        settings.translation_min_decoding_length = settings.translation_max_decoding_length = args.decoding_length
    return settings


def run_engine(
    args: argparse.Namespace, data_dir: Path, models_dir: Path, originals: list[dict[str, Any]]
) -> dict[str, Any]:
    """The worker's engine work alone: same engine factory, same claims, an empty memory."""
    data_dir.mkdir()
    settings = engine_settings(args, data_dir, models_dir)
    with build_engine(settings) as engine:
        engine.translate_documents(worker_jobs(warmup_stories()))
        sentences_before = engine.stats.sentences_translated
        jobs = worker_jobs(originals)
        waited = run_queue_seconds(os.getpid())
        with CpuWatch() as watch:
            for start in range(0, len(jobs), settings.worker_claim_size):
                results = engine.translate_documents(jobs[start : start + settings.worker_claim_size])
                assert all(r.error is None for result in results for r in result.values())
        return {
            "engine_seconds": watch.seconds,
            "engine_cpu_seconds": watch.cpu_seconds,
            "engine_run_queue_seconds": run_queue_seconds(os.getpid()) - waited,
            "engine_other_cores": watch.other_cores,
            "engine_sentences_translated": engine.stats.sentences_translated - sentences_before,
            "engine_batches": -(-len(jobs) // settings.worker_claim_size),
            "jobs": len(jobs),
        }


def run_pair(
    args: argparse.Namespace, number: int, work: Path, models_dir: Path, stories: list[dict[str, Any]]
) -> dict[str, Any]:
    """Pipeline then engine on the same stories, each from a fresh data dir and memory."""
    run_dir = work / f"run-{number}"
    hub_dir = run_dir / "hub-data"
    hub_dir.mkdir(parents=True)
    profile = args.profile.with_name(f"{args.profile.stem}-run{number}{args.profile.suffix}") if args.profile else None
    log(f"run {number}/{args.runs}: {len(stories)} stories through the hub…")
    with database(args.postgres_url if args.postgres else None, hub_dir, number) as url:
        keys = create_keys(url)
        with running_hub(args, hub_dir, models_dir, url) as hub:
            pipeline = run_pipeline(args, hub, keys, stories, profile)
    log(f"run {number}/{args.runs}: the same documents through TranslationEngine.translate_documents…")
    engine = run_engine(args, run_dir / "engine-data", models_dir, pipeline.pop("originals"))
    shutil.rmtree(run_dir, ignore_errors=True)
    pair = pipeline | engine
    pair["overhead"] = (pair["pipeline_seconds"] - pair["engine_seconds"]) / pair["engine_seconds"]
    pair["cpu_overhead"] = (pair["pipeline_cpu_seconds"] - pair["engine_cpu_seconds"]) / pair["engine_cpu_seconds"]
    log(
        f"run {number}: pipeline {pair['pipeline_seconds']:.1f} s, engine {pair['engine_seconds']:.1f} s "
        f"→ overhead {pair['overhead']:.1%}"
    )
    return pair


# ---------------------------------------------------------------------------- report

# Figure → digits; each is reported as benchmarks.measure.spread over the pairs.
FIGURES = {
    "pipeline_seconds": 2,
    "engine_seconds": 2,
    "overhead": 4,
    "pipeline_cpu_seconds": 2,
    "engine_cpu_seconds": 2,
    "cpu_overhead": 4,
    "stories_per_minute": 2,
    "latency_p50_seconds": 2,
    "latency_p95_seconds": 2,
    "push_seconds": 2,
    "pipeline_other_cores": 2,
    "engine_other_cores": 2,
    "pipeline_run_queue_seconds": 2,
    "engine_run_queue_seconds": 2,
}
# Per pair, as they are: the checks that both sides did the same work, and --profile's.
COUNTS = (
    "jobs",
    "engine_batches",
    "worker_batches",
    "engine_sentences_translated",
    "worker_sentences_translated",
    "engine_seconds_in_hub",
    "overhead_in_run",
    "worker_thread_profile",
)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    cache_dir = args.data_dir / "benchmarks"
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ulak-bench-pipeline-"))
    try:
        packages = install_models(cache_dir, work / "models")
        stories = news_stories(args.stories, args.sentences)
        idle_other_cores = other_load()
        pairs = [run_pair(args, number, work, work / "models", stories) for number in range(1, args.runs + 1)]
    except BaseException:
        log(f"kept the work dir for inspection: {work}")
        raise
    shutil.rmtree(work, ignore_errors=True)

    figures = {name: spread([pair[name] for pair in pairs], digits) for name, digits in FIGURES.items()}
    pipeline_median = statistics.median(pair["pipeline_seconds"] for pair in pairs)
    engine_median = statistics.median(pair["engine_seconds"] for pair in pairs)
    overheads = [pair["overhead"] for pair in pairs]
    in_run = [pair["overhead_in_run"] for pair in pairs if pair.get("overhead_in_run") is not None]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the hub's defaults
    return {
        "runs": args.runs,
        "stories": args.stories,
        "figures": figures,
        "overhead_of_medians": round((pipeline_median - engine_median) / engine_median, 4),
        "goal": {
            "max_overhead": GOAL_OVERHEAD,
            "median_pair_overhead": figures["overhead"]["median"],
            "met": statistics.median(overheads) <= GOAL_OVERHEAD,
            "pairs_met": sum(overhead <= GOAL_OVERHEAD for overhead in overheads),
            "every_pair_met": all(overhead <= GOAL_OVERHEAD for overhead in overheads),
        },
        "overhead_in_run": spread(in_run, 4) if in_run else None,
        "pairs": [{name: pair.get(name) for name in COUNTS} for pair in pairs],
        "other_cores_before": idle_other_cores,
        "environment": environment(
            TRANSLATION_LIBRARIES + WEB_LIBRARIES,
            threads={
                "translation_threads": args.threads,
                "claim_size": args.claim_size,
                "worker": args.worker,
                "beam_size": settings.translation_beam_size,
                "compute_type": settings.translation_compute_type,
            },
        ),
        "total_seconds": round(time.perf_counter() - started, 1),
        "settings": {
            "stories": args.stories,
            "sentences_per_story": args.sentences,
            "sources": list(SOURCES),
            "targets": list(LANGS),
            "claim_size": args.claim_size,
            "threads": args.threads,
            "worker": args.worker,
            "database": "postgresql" if args.postgres else "sqlite",
            "decoding_length": args.decoding_length
            or f"defaults (min {settings.translation_min_decoding_length}, max {settings.translation_max_decoding_length})",
            "beam_size": settings.translation_beam_size,
            "compute_type": settings.translation_compute_type,
            "translation_memory": (
                "on for both sides (as in production), each run starting empty + the same warm-up"
                if args.memory
                else "off for both sides"
            ),
            "order": "pipeline, engine, pipeline, engine, …",
            "packages": packages,
            "model": "6+6 layers, d_model 512, ffn 2048, 8 heads, shared 50k vocabulary, int8",
        },
    }


def print_report(report: dict[str, Any]) -> None:
    s, f, goal = report["settings"], report["figures"], report["goal"]
    env = report["environment"]
    print(
        f"{s['stories']} stories × {s['sentences_per_story']} sentences + headline ({'/'.join(s['sources'])} sources) → "
        f"{', '.join(s['targets'])}; {s['worker']} worker, {s['database']}, claim size {s['claim_size']}, "
        f"{s['threads']} threads, beam {s['beam_size']}, decoding length {s['decoding_length']}; "
        f"translation memory {s['translation_memory']}"
    )
    print(
        f"{env['cpu_model']}, {env['cpu_count']} cores; other processes before the runs: "
        f"{report['other_cores_before']} cores busy; {report['runs']} pairs, order {s['order']}"
    )
    print()
    print(f"{'figure':34} {'median':>9}  {'runs':30} {'spread':>8}")
    for name, label, fmt in ROWS:
        figure = f[name]
        runs = " / ".join(fmt.format(value) for value in figure["runs"])
        # An overhead's median can be near zero: its spread as a share of it means nothing,
        # so overheads show max − min in percentage points.
        spread_text = (
            f"{100 * (figure['max'] - figure['min']):.1f} pt" if fmt.endswith("%}") else f"{figure['spread_pct']}%"
        )
        print(f"{label:34} {fmt.format(figure['median']):>9}  {runs:30} {spread_text:>8}")
    print()
    verdict = "met" if goal["met"] else "MISSED"
    every = "every pair met it" if goal["every_pair_met"] else f"{goal['pairs_met']} of {report['runs']} pairs met it"
    print(
        f"goal pipeline ≤ {1 + goal['max_overhead']:.1f} × engine: median per-pair overhead "
        f"{goal['median_pair_overhead']:.1%} → {verdict} ({every}); overhead of the medians "
        f"{report['overhead_of_medians']:.1%}"
    )
    pairs = report["pairs"]
    unknown = "n/a (a separate worker has no metrics endpoint)"

    def per_pair(name: str) -> str:
        values = [pair[name] for pair in pairs]
        return unknown if None in values else " / ".join(str(value) for value in values)

    print(
        f"same work on both sides, per pair: {pairs[0]['jobs']} jobs; batches worker {per_pair('worker_batches')}, "
        f"engine {per_pair('engine_batches')}; sentences through a model worker "
        f"{per_pair('worker_sentences_translated')}, engine {per_pair('engine_sentences_translated')}"
    )
    for number, pair in enumerate(pairs, 1):
        if pair["worker_thread_profile"]:
            shares = ", ".join(f"{name} {share:.1%}" for name, share in pair["worker_thread_profile"].items())
            print(f"run {number} worker thread (py-spy, the profiler slows the hub): {shares}")
    if report["overhead_in_run"]:
        in_run = report["overhead_in_run"]
        print(
            f"same-run estimate (pipeline over the worker's own time in translate_documents): median "
            f"{in_run['median']:.1%}, runs {' / '.join(f'{v:.1%}' for v in in_run['runs'])}"
        )
    print(f"whole run took {report['total_seconds']} s")


# (figure, label, format) of the printed table, in FIGURES' names.
ROWS = (
    ("pipeline_seconds", "pipeline (s)", "{:.1f}"),
    ("engine_seconds", "engine alone (s)", "{:.1f}"),
    ("overhead", "wall overhead per pair", "{:.1%}"),
    ("pipeline_cpu_seconds", "hub processes CPU (s)", "{:.1f}"),
    ("engine_cpu_seconds", "engine CPU (s)", "{:.1f}"),
    ("cpu_overhead", "CPU overhead per pair", "{:.1%}"),
    ("stories_per_minute", "stories/min to all 5 languages", "{:.1f}"),
    ("latency_p50_seconds", "latency p50 (s, burst)", "{:.1f}"),
    ("latency_p95_seconds", "latency p95 (s, burst)", "{:.1f}"),
    ("push_seconds", "pushing the burst (s)", "{:.2f}"),
    ("pipeline_other_cores", "other processes, pipeline (cores)", "{:.2f}"),
    ("engine_other_cores", "other processes, engine (cores)", "{:.2f}"),
    ("pipeline_run_queue_seconds", "hub threads waiting for CPU (s)", "{:.1f}"),
    ("engine_run_queue_seconds", "engine threads waiting for CPU (s)", "{:.1f}"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("ULAK_DATA_DIR", "./ulak-data")),
        help="where the built models are cached",
    )
    parser.add_argument("--runs", type=int, default=3, help="interleaved pipeline/engine pairs; figures are medians")
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--sentences", type=int, default=12, help="body sentences per story")
    parser.add_argument("--claim-size", type=int, default=8, help="ULAK_WORKER_CLAIM_SIZE")
    parser.add_argument("--threads", type=int, default=2, help="ULAK_TRANSLATION_THREADS")
    parser.add_argument(
        "--decoding-length",
        type=int,
        default=24,
        help="fixed output length in tokens (ULAK_TRANSLATION_MIN/MAX_DECODING_LENGTH); 0: the defaults",
    )
    parser.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="ULAK_TRANSLATION_MEMORY=false on both sides (default: on, as in production)",
    )
    parser.add_argument(
        "--worker",
        choices=("embedded", "process"),
        default="embedded",
        help="in `ulak serve`, or a separate `ulak worker`",
    )
    parser.add_argument("--postgres", action="store_true", help="a scratch database on PostgreSQL instead of SQLite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--profile",
        type=Path,
        help="write py-spy profiles (raw collapsed stacks) of the worker's process, FILE-run<N><suffix>",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for one run's batch")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    report = run(args)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
