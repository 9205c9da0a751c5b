"""The hub side of benchmarks/pipeline.py: ``ulak serve`` (and ``ulak worker``) in
subprocesses over a fresh database, a partner following the five language feeds, and
py-spy on the worker's process for ``--profile``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.pipeline_inputs import AGENCY_OF, LANGS, REPO, log
from hub.agencies import service as agencies
from hub.db import make_engine, make_session_factory, upgrade
from tests.fixtures.databases import scratch_postgres_database
from tests.fixtures.hub import wait_for_hub

PARTNER = "bench-partner"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database(postgres_url: str | None, data_dir: Path, run: int) -> Iterator[str]:
    """A fresh migrated database: a SQLite file in the data dir, or a scratch PostgreSQL one
    (``ulak_bench_pipeline_<pid>_<run>``, dropped afterwards)."""
    if postgres_url is None:
        url = f"sqlite:///{(data_dir / 'ulak.db').resolve()}"
        upgrade(url)
        yield url
        return
    with scratch_postgres_database(postgres_url, f"ulak_bench_pipeline_{os.getpid()}_{run}") as url:
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
        ULAK_TRANSLATION_MEMORY="true" if args.memory else "false",
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
                cursor = self.cursors[lang]
                params: dict[str, str | int] = {"lang": lang, "limit": 1000}
                if cursor:
                    params["after"] = cursor
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
