"""End-to-end pipeline: stories pushed through the real hub until each is in all five languages.

With real-size synthetic models installed (az↔en, tr↔en, ru↔en pair packages and one
multilingual en↔uz package, as in tests/fixtures/models.py but with Argos's dimensions: 6+6
layers, d_model 512, ffn 2048, 8 heads, shared 50k vocabulary, int8), the script runs
``ulak serve`` in a subprocess on a free loopback port over a fresh data dir (SQLite, or a
scratch PostgreSQL database with ``--postgres``) with its embedded worker, or with
``--worker process`` a separate ``ulak worker`` subprocess. It pushes a fixed, deterministic
batch of news stories (az, tr, ru, en sources in turn) through ``POST /v1/stories`` and polls
the five language feeds until every story is in all of them. Measured:

* stories/min to all five languages (first push → last translation of the batch);
* p50/p95 push → all-languages latency per story (a burst: later stories queue);
* the pipeline's overhead over the pure engine: the same documents, grouped exactly as the
  worker claims them (one document per job, ``claim size`` jobs per ``translate_documents``
  call, jobs in queue order), through ``TranslationEngine.translate_documents`` built by the
  hub's own ``build_engine`` — same models, threads, beam and decoding length.

Fairness: the translation memory is on in both runs, as in production, and each starts from
an empty memory file; both run the same warm-up (one short story per source language, which also
loads every model) before the clock starts. Output lengths are fixed (min = max decoding
length, ``ULAK_TRANSLATION_MIN/MAX_DECODING_LENGTH``) in both runs; ``--decoding-length 0``
keeps the engine's defaults (outputs then end where the synthetic model puts ``</s>``).
A story's completion time is the hub's own timestamp of its last translation (the
translation's ``versionCreated``), so the poll interval does not blur the figures.

On a machine shared with other work, wall time swings with the neighbours' load between
the two runs, so the overhead is also given in CPU seconds (the hub's processes vs the
engine run), which that load disturbs far less. ``--profile FILE`` attaches py-spy to the
worker's process for the measured phase and prints where the worker thread spent it.

    .venv/bin/python benchmarks/pipeline.py [--json] [--stories 40] [--sentences 12]
        [--claim-size 8] [--threads 2] [--worker embedded|process] [--postgres]
        [--decoding-length 24] [--profile FILE]

The real-size packages are built once and cached under ``<data dir>/benchmarks`` (the pair
package by benchmarks/translation.py's builder, the multilingual one here): ≈ 1-2 minutes
the first time.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.measure import percentile
from hub.agencies import service as agencies
from hub.config import Settings
from hub.db import make_engine, make_session_factory, upgrade
from hub.jobs.documents import fields_of
from hub.jobs.worker import build_engine
from tests.fixtures import synthetic_models
from tests.fixtures.databases import scratch_postgres_database
from tests.fixtures.hub import wait_for_hub
from tests.fixtures.synthetic_models import (
    ARGOS_SIZE,
    SyntheticPackage,
    build_package,
    generated_sentences,
    language_token,
    train_sentencepiece,
)
from translation import Document
from translation.packages import install_archive, read_package

LANGS = ("az", "tr", "ru", "uz", "en")
SOURCES = ("az", "tr", "ru", "en")
AGENCY_OF = {"az": "azertac", "tr": "aa", "ru": "tass", "en": "bench-en"}
PARTNER = "bench-partner"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOAL_OVERHEAD = 0.10
MULTILINGUAL = SyntheticPackage("en", "uz", languages=("en", "uz"), seed=42)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- models


def translation_benchmark() -> Any:
    """benchmarks/translation.py as a module (its name clashes with our `translation` package)."""
    spec = importlib.util.spec_from_file_location("benchmarks_translation", REPO / "benchmarks" / "translation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_multilingual_package(cache_dir: Path) -> Path:
    """The real-size multilingual en↔uz package (``__en__``/``__uz__`` tokens), built once."""
    # Keyed by the builder's source, so a change to the synthetic models rebuilds it.
    builder = hashlib.sha256(Path(synthetic_models.__file__).read_bytes()).hexdigest()[:12]
    installed = cache_dir / f"argos-size-multilingual-en-uz-{builder}"
    if installed.is_dir() and any(installed.iterdir()):
        return next(installed.iterdir())
    started = time.perf_counter()
    log("building the real-size multilingual en↔uz package (cached for next runs)…")
    scratch = Path(tempfile.mkdtemp(dir=cache_dir))
    tokens = [language_token(code) for code in MULTILINGUAL.languages]
    sp_model = train_sentencepiece(vocab_size=8000, language_tokens=tokens, sentences=20000)
    archive = build_package(scratch, MULTILINGUAL, shape=ARGOS_SIZE, sp_model=sp_model)
    install_archive(archive, scratch / "installed")
    shutil.move(scratch / "installed", installed)
    shutil.rmtree(scratch)
    log(f"built in {time.perf_counter() - started:.1f} s")
    return next(installed.iterdir())


def install_models(cache_dir: Path, models_dir: Path) -> list[str]:
    """az/tr/ru↔en from the shared pair package, en↔uz multilingual; hard links, no copies."""
    base = translation_benchmark().ensure_base_package(cache_dir)
    multilingual = ensure_multilingual_package(cache_dir)
    models_dir.mkdir(parents=True)
    metadata = json.loads((base / "metadata.json").read_text())
    for source, target in [(s, "en") for s in ("az", "tr", "ru")] + [("en", t) for t in ("az", "tr", "ru")]:
        code = f"translate-{source}_{target}"
        package_dir = models_dir / f"{code}-1.0"
        shutil.copytree(base, package_dir, copy_function=os.link)
        (package_dir / "metadata.json").unlink()  # a hard link: do not write through it
        (package_dir / "metadata.json").write_text(
            json.dumps(
                metadata
                | {"from_code": source, "to_code": target, "from_name": source, "to_name": target, "code": code}
            )
        )
    shutil.copytree(multilingual, models_dir / multilingual.name, copy_function=os.link)
    return [read_package(path).code for path in sorted(models_dir.iterdir())]


# ---------------------------------------------------------------------------- stories


def news_stories(count: int, sentences: int) -> list[dict[str, Any]]:
    """Deterministic ninjs stories: a headline and ``sentences`` body sentences in three
    paragraphs; sources az, tr, ru, en in turn."""
    stories = []
    for index in range(count):
        lang = SOURCES[index % len(SOURCES)]
        lines = list(generated_sentences((lang,), count=sentences + 1, seed=1000 + index))
        third = max(1, sentences // 3)
        paragraphs = [" ".join(lines[1 + i : 1 + i + third]) for i in range(0, sentences, third)]
        stories.append(
            {
                "uri": f"urn:{AGENCY_OF[lang]}:bench:{index:04d}",
                "language": lang,
                "headlines": [{"role": "main", "value": lines[0].rstrip(".!?")}],
                "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(paragraphs)}],
                "urgency": 4,
            }
        )
    return stories


def warmup_stories() -> list[dict[str, Any]]:
    """One short story per source language: loads every model the batch needs."""
    return [
        {
            "uri": f"urn:{AGENCY_OF[lang]}:warmup",
            "language": lang,
            "headlines": [{"value": f"Warm-up {lang}"}],
            "bodies": [{"value": f"Warm-up story in {lang}. Second warm-up sentence."}],
        }
        for lang in SOURCES
    ]


def worker_jobs(originals: list[dict[str, Any]]) -> list[Document]:
    """What the worker translates: one single-target document per job, in queue order."""
    return [
        Document(doc["language"], (target,), fields_of(doc))
        for doc in originals
        for target in LANGS
        if target != doc["language"]
    ]


# ---------------------------------------------------------------------------- the hub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database(postgres_url: str | None, data_dir: Path) -> Iterator[str]:
    """A fresh migrated database: a SQLite file in the data dir, or a scratch PostgreSQL one."""
    if postgres_url is None:
        url = f"sqlite:///{(data_dir / 'ulak.db').resolve()}"
        upgrade(url)
        yield url
        return
    with scratch_postgres_database(postgres_url, f"ulak_bench_pipeline_{os.getpid()}") as url:
        upgrade(url)
        yield url


def create_keys(url: str) -> dict[str, str]:
    """A push key per source agency, and a partner's pull+admin key (admin: queue checks)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            keys = {}
            for lang, code in AGENCY_OF.items():
                agencies.create_agency(session, code, name=code.upper())
                keys[lang] = agencies.create_key(session, code, "push").plaintext
            agencies.create_agency(session, PARTNER, name="Bench Partner", is_partner=True)
            keys[PARTNER] = agencies.create_key(session, PARTNER, "pull,admin").plaintext
            return keys
    finally:
        engine.dispose()


def hub_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub", *args]


@contextmanager
def process(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess stopped with SIGTERM (the hub's graceful shutdown) when done."""
    with log_path.open("wb") as out:
        child = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run_queue_seconds(pid: int) -> float:
    """Time the process's threads spent runnable but waiting for a CPU (Linux schedstat):
    how much other work on the machine held this one back."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError):
            continue  # a thread that just ended, or no schedstat on this kernel
    return total / 1e9


@dataclasses.dataclass
class HubProcesses:
    base: str
    processes: list[psutil.Process]

    def run_queue_seconds(self) -> float:
        return sum(run_queue_seconds(p.pid) for p in self.processes)

    def cpu_seconds(self) -> float:
        """User + system CPU of the hub's processes: a figure other load on the machine
        disturbs far less than wall time."""
        return sum(p.cpu_times().user + p.cpu_times().system for p in self.processes)


# Limits no benchmark reaches: the limiter runs (its cost is measured), nothing is refused.
UNREACHED_RATE_LIMITS = "pull=100000000/minute;push=100000000/minute;edit=100000000/minute;admin=100000000/minute"


@contextmanager
def running_hub(
    args: argparse.Namespace, data_dir: Path, models_dir: Path, database_url: str
) -> Iterator[HubProcesses]:
    """``ulak serve`` (+ ``ulak worker``) on a free port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ULAK_")}
    env.update(
        ULAK_DATA_DIR=str(data_dir),
        ULAK_DATABASE_URL=database_url,
        ULAK_MODELS_DIR=str(models_dir),
        ULAK_WORKER_CLAIM_SIZE=str(args.claim_size),
        ULAK_TRANSLATION_THREADS=str(args.threads),
        ULAK_EMBEDDED_WORKER="true" if args.worker == "embedded" else "false",
        ULAK_RATE_LIMITS=UNREACHED_RATE_LIMITS,
    )
    if args.decoding_length:  # fixed output length: comparable figures
        env.update(
            ULAK_TRANSLATION_MIN_DECODING_LENGTH=str(args.decoding_length),
            ULAK_TRANSLATION_MAX_DECODING_LENGTH=str(args.decoding_length),
        )
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        serve = hub_command("serve", "--host", "127.0.0.1", "--port", str(port))
        hub = stack.enter_context(process(serve, env, data_dir / "hub.log"))
        worker = hub
        if args.worker == "process":
            worker = stack.enter_context(process(hub_command("worker"), env, data_dir / "worker.log"))
        wait_for_hub(base, {"hub": (hub, data_dir / "hub.log"), "worker": (worker, data_dir / "worker.log")})
        # The worker's process last: that is the one --profile samples.
        yield HubProcesses(base, [psutil.Process(child.pid) for child in dict.fromkeys([hub, worker])])


# ---------------------------------------------------------------------------- the pipeline run


def epoch(iso_time: str) -> float:
    return datetime.fromisoformat(iso_time).timestamp()


class FeedWatcher:
    """Follows the five language feeds; remembers, per (story, language), the hub's time."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.cursors: dict[str, str | None] = dict.fromkeys(LANGS)
        self.seen: dict[tuple[str, str], float] = {}

    def poll(self) -> None:
        for lang in LANGS:
            while True:
                params = {"lang": lang, "limit": 1000} | ({"after": self.cursors[lang]} if self.cursors[lang] else {})
                page = self.client.get("/v1/feed", params=params).raise_for_status().json()
                for entry in page["entries"]:
                    self.seen.setdefault((entry["storyId"], lang), epoch(entry["item"]["versionCreated"]))
                self.cursors[lang] = page["next"]
                if len(page["entries"]) < 1000:
                    break

    def complete(self, story_ids: list[str]) -> bool:
        return all((story_id, lang) in self.seen for story_id in story_ids for lang in LANGS)

    def wait(self, story_ids: list[str], timeout: float, interval: float = 2.0) -> None:
        """Until every story is in every feed. Completion times come from the hub, so the
        watcher can look rarely: one queue-count request per ``interval`` while work is
        pending (the worker shares the CPU with the API), the feeds once it is drained."""
        deadline = time.monotonic() + timeout
        while True:
            queue = self.client.get("/v1/admin/queue").raise_for_status().json()["counts"]
            if queue.get("failed") or queue.get("blocked"):
                raise RuntimeError(f"translation jobs failed or blocked: {queue}")
            if not queue.get("pending") and not queue.get("running"):
                self.poll()
                if self.complete(story_ids):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every story reached all five languages in {timeout:.0f} s: {queue}")
            time.sleep(interval)


def push(clients: dict[str, httpx.Client], story: dict[str, Any]) -> str:
    response = clients[story["language"]].post("/v1/stories", json=story)
    if response.status_code != 201:
        raise RuntimeError(f"push failed: {response.status_code} {response.text}")
    return str(response.json()["id"])


def metric(client: httpx.Client, name: str) -> float | None:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


@contextmanager
def profiled(path: Path | None, pid: int) -> Iterator[dict[str, float]]:
    """py-spy (``pip install py-spy``; not a dependency) sampling the worker's process,
    as collapsed stacks per thread (``--format raw``); yields a dict that gets the
    profile's wall time as ``seconds``."""
    window: dict[str, float] = {}
    if path is None:
        yield window
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--output",
        str(path),
        "--threads",
        "--idle",
        "--nonblocking",
        "--rate",
        "50",
    ]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    time.sleep(1.0)  # attached before the first push
    try:
        yield window
    finally:
        child.send_signal(signal.SIGINT)  # py-spy writes the file on SIGINT
        window["seconds"] = time.monotonic() - started
        child.wait(timeout=60)
        log(f"py-spy profile of pid {pid}: {path}")


WORKER_PHASES = (  # first frame found, in this order, names the phase of a worker-thread sample
    ("TranslationEngine.translate_documents", "engine: translate_documents"),
    ("TranslationWorker._complete", "recording: job row, translated document, feed entry"),
    ("TranslationWorker.claim", "claiming jobs and reading originals"),
    ("TranslationWorker.unblock_installed", "checking blocked pairs"),
    ("TranslationWorker._fail", "failing/retrying jobs"),
    ("TranslationWorker._finish", "failing/retrying jobs"),
    ("observe_batch", "metrics"),
    ("TranslationWorker.run ", "idle: waiting for work"),
)


def worker_profile(path: Path) -> dict[str, float]:
    """Share of the worker thread's samples per phase, from a py-spy ``raw`` profile."""
    phases: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "ulak-worker" not in stack.split(";", 1)[0]:
            continue
        phase = next((name for marker, name in WORKER_PHASES if marker in stack), "other")
        phases[phase] = phases.get(phase, 0) + int(count)
    total = sum(phases.values()) or 1
    return {name: round(count / total, 4) for name, count in sorted(phases.items(), key=lambda item: -item[1])}


def run_pipeline(
    args: argparse.Namespace, hub: HubProcesses, keys: dict[str, str], stories: list[dict[str, Any]]
) -> dict[str, Any]:
    def client(key: str) -> httpx.Client:
        return httpx.Client(base_url=hub.base, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    with ExitStack() as stack:
        pushers = {lang: stack.enter_context(client(keys[lang])) for lang in SOURCES}
        reader = stack.enter_context(client(keys[PARTNER]))
        watcher = FeedWatcher(reader)

        log("warm-up: one story per source language (loads every model)…")
        warmup_ids = [push(pushers, story) for story in warmup_stories()]
        watcher.wait(warmup_ids, timeout=300)
        batches_before = metric(reader, "ulak_translation_batch_seconds_count")
        sentences_before = metric(reader, "ulak_translation_sentences_total")

        with profiled(args.profile, hub.processes[-1].pid) as profile_window:
            cpu_before, waited_before = hub.cpu_seconds(), hub.run_queue_seconds()
            log(f"pushing {len(stories)} stories…")
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
    latencies = sorted(done_at[i] - pushed_at[i] for i in ids)
    figures: dict[str, Any] = {
        "pipeline_seconds": max(done_at.values()) - min(pushed_at.values()),
        "push_seconds": push_seconds,
        "pipeline_cpu_seconds": cpu_seconds,
        "pipeline_run_queue_seconds": waited_seconds,
        "latencies": latencies,
        "originals": originals,
    }
    # Worker counters are per process: the API's /metrics has them for the embedded worker only.
    if args.worker == "embedded" and None not in (batches_before, batches_after, sentences_before, sentences_after):
        figures["worker_batches"] = int(batches_after - batches_before)  # type: ignore[operator]
        figures["worker_sentences_translated"] = int(sentences_after - sentences_before)  # type: ignore[operator]
    if args.profile:
        shares = figures["worker_thread_profile"] = worker_profile(args.profile)
        # The worker's own engine time in this very run (same load as the rest of it):
        # its share of the worker thread's samples over the profiled wall time.
        in_hub = shares.get("engine: translate_documents", 0.0) * profile_window["seconds"]
        figures["engine_seconds_in_hub"] = in_hub
        figures["overhead_in_run"] = (figures["pipeline_seconds"] - in_hub) / in_hub if in_hub else None
    return figures


# ---------------------------------------------------------------------------- the engine run


def run_engine(
    args: argparse.Namespace, work: Path, models_dir: Path, originals: list[dict[str, Any]]
) -> dict[str, Any]:
    """The worker's engine work alone: same engine factory, same claims, an empty memory."""
    data_dir = work / "engine-data"
    data_dir.mkdir()
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        models_dir=models_dir,
        translation_threads=args.threads,  # type: ignore[call-arg]
        worker_claim_size=args.claim_size,
    )
    if args.decoding_length:
        settings.translation_min_decoding_length = settings.translation_max_decoding_length = args.decoding_length
    engine = build_engine(settings)
    with engine:
        engine.translate_documents(worker_jobs(warmup_stories()))
        sentences_before = engine.stats.sentences_translated
        jobs = worker_jobs(originals)
        cpu, waited = psutil.Process().cpu_times(), run_queue_seconds(os.getpid())
        started = time.perf_counter()
        for start in range(0, len(jobs), settings.worker_claim_size):
            results = engine.translate_documents(jobs[start : start + settings.worker_claim_size])
            assert all(r.error is None for result in results for r in result.values())
        seconds = time.perf_counter() - started
        cpu_after, waited_after = psutil.Process().cpu_times(), run_queue_seconds(os.getpid())
        return {
            "engine_seconds": seconds,
            "engine_cpu_seconds": cpu_after.user + cpu_after.system - cpu.user - cpu.system,
            "engine_run_queue_seconds": waited_after - waited,
            "engine_sentences_translated": engine.stats.sentences_translated - sentences_before,
            "engine_batches": -(-len(jobs) // settings.worker_claim_size),
            "jobs": len(jobs),
        }


# ---------------------------------------------------------------------------- report


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    cache_dir = args.data_dir / "benchmarks"
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ulak-bench-pipeline-"))
    try:
        models_dir = work / "models"
        packages = install_models(cache_dir, models_dir)
        hub_dir = work / "hub-data"
        hub_dir.mkdir()
        stories = news_stories(args.stories, args.sentences)
        with database(args.postgres_url if args.postgres else None, hub_dir) as url:
            keys = create_keys(url)
            with running_hub(args, hub_dir, models_dir, url) as pids:
                pipeline = run_pipeline(args, pids, keys, stories)
        log("the same documents through TranslationEngine.translate_documents…")
        engine = run_engine(args, work, models_dir, pipeline.pop("originals"))
    except BaseException:
        log(f"kept the work dir for inspection: {work}")
        raise
    shutil.rmtree(work, ignore_errors=True)

    latencies = pipeline.pop("latencies")
    overhead = (pipeline["pipeline_seconds"] - engine["engine_seconds"]) / engine["engine_seconds"]
    cpu_overhead = (pipeline["pipeline_cpu_seconds"] - engine["engine_cpu_seconds"]) / engine["engine_cpu_seconds"]
    return {
        "stories": args.stories,
        "stories_per_minute": round(args.stories / pipeline["pipeline_seconds"] * 60, 2),
        "latency_p50_seconds": round(percentile(latencies, 0.50), 2),
        "latency_p95_seconds": round(percentile(latencies, 0.95), 2),
        "pipeline_seconds": round(pipeline["pipeline_seconds"], 2),
        "engine_seconds": round(engine["engine_seconds"], 2),
        "overhead": round(overhead, 4),
        "overhead_goal": GOAL_OVERHEAD,
        "overhead_met": overhead <= GOAL_OVERHEAD,
        "pipeline_cpu_seconds": round(pipeline["pipeline_cpu_seconds"], 2),
        "engine_cpu_seconds": round(engine["engine_cpu_seconds"], 2),
        "cpu_overhead": round(cpu_overhead, 4),
        "pipeline_run_queue_seconds": round(pipeline["pipeline_run_queue_seconds"], 2),
        "engine_run_queue_seconds": round(engine["engine_run_queue_seconds"], 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "push_seconds": round(pipeline["push_seconds"], 2),
        "jobs": engine["jobs"],
        "engine_batches": engine["engine_batches"],
        "worker_batches": pipeline.get("worker_batches"),
        "engine_sentences_translated": engine["engine_sentences_translated"],
        "worker_sentences_translated": pipeline.get("worker_sentences_translated"),
        "worker_thread_profile": pipeline.get("worker_thread_profile"),
        "engine_seconds_in_hub": _rounded(pipeline.get("engine_seconds_in_hub"), 2),
        "overhead_in_run": _rounded(pipeline.get("overhead_in_run"), 4),
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
            "decoding_length": args.decoding_length or "engine default (min 1, max 256)",
            "beam_size": Settings(_env_file=None).translation_beam_size,  # type: ignore[call-arg]
            "compute_type": "int8",
            "translation_memory": "on in both runs (as in production), each starting empty + the same warm-up",
            "packages": packages,
            "model": "6+6 layers, d_model 512, ffn 2048, 8 heads, shared 50k vocabulary, int8",
        },
    }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def print_report(report: dict[str, Any]) -> None:
    s = report["settings"]
    print(
        f"{s['stories']} stories × {s['sentences_per_story']} sentences + headline ({'/'.join(s['sources'])} sources) → "
        f"{', '.join(s['targets'])}; {s['worker']} worker, {s['database']}, claim size {s['claim_size']}, "
        f"{s['threads']} threads, beam {s['beam_size']}, decoding length {s['decoding_length']}"
    )
    print(f"stories/min to all five languages: {report['stories_per_minute']}")
    print(
        f"push → all languages latency: p50 {report['latency_p50_seconds']} s, p95 {report['latency_p95_seconds']} s (burst of {s['stories']}; pushes took {report['push_seconds']} s)"
    )
    verdict = "met" if report["overhead_met"] else "MISSED"
    print(
        f"pipeline {report['pipeline_seconds']} s vs engine alone {report['engine_seconds']} s on the same {report['jobs']} jobs "
        f"→ overhead {report['overhead']:.1%} (goal ≤ {report['overhead_goal']:.0%}: {verdict})"
    )
    print(
        f"CPU time: hub processes {report['pipeline_cpu_seconds']} s vs engine {report['engine_cpu_seconds']} s "
        f"→ overhead {report['cpu_overhead']:.1%} (load average at the end: {report['load_average_1min']} on {os.cpu_count()} cores)"
    )
    print(
        f"threads waiting for a CPU (other load on the machine): hub {report['pipeline_run_queue_seconds']} s, "
        f"engine run {report['engine_run_queue_seconds']} s (thread-seconds)"
    )
    unknown = "n/a (a separate worker has no metrics endpoint)"
    worker_batches = unknown if report["worker_batches"] is None else report["worker_batches"]
    worker_sentences = (
        unknown if report["worker_sentences_translated"] is None else report["worker_sentences_translated"]
    )
    print(
        f"batches: worker {worker_batches}, engine run {report['engine_batches']}; sentences through a model: worker {worker_sentences}, engine run {report['engine_sentences_translated']}"
    )
    if report["worker_thread_profile"]:
        shares = ", ".join(f"{name} {share:.1%}" for name, share in report["worker_thread_profile"].items())
        print(f"worker thread (py-spy, the profiler slows the hub): {shares}")
        if report["overhead_in_run"] is not None:
            print(
                f"same-run estimate: the worker spent ≈ {report['engine_seconds_in_hub']} s in translate_documents "
                f"→ pipeline overhead {report['overhead_in_run']:.1%} over its own engine time"
            )
    print(f"translation memory: {s['translation_memory']}")
    print(f"whole run took {report['total_seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("ULAK_DATA_DIR", "./ulak-data")),
        help="where the built models are cached",
    )
    parser.add_argument("--stories", type=int, default=40)
    parser.add_argument("--sentences", type=int, default=12, help="body sentences per story")
    parser.add_argument("--claim-size", type=int, default=8, help="ULAK_WORKER_CLAIM_SIZE")
    parser.add_argument("--threads", type=int, default=2, help="ULAK_TRANSLATION_THREADS")
    parser.add_argument(
        "--decoding-length",
        type=int,
        default=24,
        help="fixed output length in tokens; 0: engine defaults, plain `ulak`",
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
        "--profile", type=Path, help="write a py-spy profile (raw collapsed stacks) of the worker's process here"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the batch")
    args = parser.parse_args()
    report = run(args)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
