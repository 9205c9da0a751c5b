"""Pushes and feed reads under concurrency (issue 12, parts 4 and 5).

Per backend (SQLite file; PostgreSQL: a scratch database on 127.0.0.1:5432, dropped
afterwards) one ``ulak serve`` on a free loopback port, embedded worker off (the pushes
queue translation jobs; nobody translates), rate limits set out of reach. Client
processes, not threads, so that the client's own interpreter lock does not queue the
requests it times:

- **push**: ``--pushers`` processes each push stories (one ~2 KB HTML story per request,
  new guid each time) back to back for ``--seconds``; every push's latency is kept;
- **mixed**: the same pushers plus ``--readers`` processes each following the feed
  (``GET /v1/feed?lang=az&limit=100`` from the start, following ``next``, back to the
  start at the end): pushes/s, push latency, pages/s and page latency;
- both phases run ``--runs`` times, interleaved across the backends (push, mixed, next
  backend, …), and each figure is reported as the median of the runs with its spread;
- **saturation**: pushes/s with 1, 2, 4, 8 and 16 pushers (``--levels``), once; on
  PostgreSQL a side connection samples ``pg_locks`` every 20 ms meanwhile and reports the
  mean number of transactions waiting for the feed's advisory lock.

Before each backend's first run the machine's busy cores are sampled for 3 s while
nothing of this script runs (load from other processes), and the JSON records the CPU
model, core count and library versions. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.feed import BODY_HTML, DEFAULT_POSTGRES, hub_server
from benchmarks.measure import WEB_LIBRARIES, environment, other_load, percentile, spread
from hub.agencies import service as agencies
from hub.db import make_engine, make_session_factory, upgrade
from hub.feed.repository import FEED_LOCK_KEY
from tests.fixtures.databases import scratch_postgres_database

AGENCY, PARTNER = "bench", "benchpartner"


@contextmanager
def database(backend: str, workdir: Path, postgres_url: str, pushers: int) -> Any:
    """A fresh migrated database: yields (URL, push keys, a pull key)."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'contention.db'}"
        else:
            url = stack.enter_context(scratch_postgres_database(postgres_url, f"ulak_bench_contention_{os.getpid()}"))
        upgrade(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session, session.begin():
                agencies.create_agency(session, AGENCY, name="Bench Agency", country="AZ")
                agencies.create_agency(session, PARTNER, name="Bench Partner", is_partner=True)
                push_keys = [agencies.create_key(session, AGENCY, "push").plaintext for _ in range(pushers)]
                pull_key = agencies.create_key(session, PARTNER, "pull").plaintext
        finally:
            engine.dispose()
        yield url, push_keys, pull_key


# ---------------------------------------------------------------------------- clients (child processes)


def push_loop(base: str, key: str, start_at: float, seconds: float, tag: str) -> list[float]:
    """Push stories back to back from ``start_at`` for ``seconds``: each push's latency."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=120) as client:
        time.sleep(max(0.0, start_at - time.time()))
        end, n = start_at + seconds, 0
        while time.time() < end:
            n += 1
            body = {
                "uri": f"urn:bench:{tag}:{os.getpid()}:{n}",
                "language": "az",
                "headlines": [{"role": "main", "value": f"Bakıda beynəlxalq media forumu açılıb ({n})"}],
                "bodies": [{"role": "main", "contentType": "text/html", "value": BODY_HTML}],
            }
            started = time.perf_counter()
            response = client.post(f"{base}/v1/stories", json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"push {response.status_code}: {response.text[:300]}")
    return latencies


def read_loop(base: str, key: str, start_at: float, seconds: float) -> list[float]:
    """Follow the feed from ``start_at`` for ``seconds``: each page's latency."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=120) as client:
        time.sleep(max(0.0, start_at - time.time()))
        end, after = start_at + seconds, None
        while time.time() < end:
            params: dict[str, Any] = {"lang": "az", "limit": 100}
            if after:
                params["after"] = after
            started = time.perf_counter()
            response = client.get(f"{base}/v1/feed", params=params, headers=headers)
            page = response.json()
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"feed {response.status_code}: {response.text[:300]}")
            after = page["next"] if len(page["entries"]) == 100 else None  # at the end: from the start again
    return latencies


# ---------------------------------------------------------------------------- phases


def run_phase(pool: ProcessPoolExecutor, target: dict[str, Any], pushers: int, readers: int, seconds: float) -> dict:
    start_at = time.time() + 1.0  # every client starts together
    tag = f"{target['backend']}-{time.monotonic_ns()}"
    pushes = [
        pool.submit(push_loop, target["base"], key, start_at, seconds, tag) for key in target["push_keys"][:pushers]
    ]
    reads = [pool.submit(read_loop, target["base"], target["pull_key"], start_at, seconds) for _ in range(readers)]
    push_latencies = [x for f in pushes for x in f.result()]
    read_latencies = [x for f in reads for x in f.result()]
    figures: dict[str, Any] = {"pushes_per_s": round(len(push_latencies) / seconds, 1)}
    if push_latencies:
        figures.update(_latencies("push", push_latencies))
    if readers:
        figures["pages_per_s"] = round(len(read_latencies) / seconds, 1)
        figures.update(_latencies("page", read_latencies))
    return figures


def _latencies(name: str, samples: list[float]) -> dict[str, float]:
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    return {
        f"{name}_p50_ms": round(p50 * 1000, 1),
        f"{name}_p99_ms": round(p99 * 1000, 1),
        f"{name}_max_ms": round(max(samples) * 1000, 1),
        f"{name}_p99_over_p50": round(p99 / p50, 2),
    }


def healthz_p50(base: str, requests: int = 200) -> float:
    samples = []
    with httpx.Client() as client:
        for _ in range(requests):
            started = time.perf_counter()
            client.get(f"{base}/healthz").raise_for_status()
            samples.append(time.perf_counter() - started)
    return round(percentile(samples, 0.5) * 1000, 2)


class AdvisoryWaiters:
    """Samples, every 20 ms, how many transactions wait for the feed's advisory lock."""

    def __init__(self, url: str) -> None:
        self.url, self.samples = url, []  # type: ignore[var-annotated]
        self._stop = threading.Event()

    def __enter__(self) -> AdvisoryWaiters:
        import psycopg
        from sqlalchemy.engine import make_url

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s"
        while not self._stop.wait(0.02):
            self.samples.append(self._conn.execute(query, (FEED_LOCK_KEY,)).fetchone()[0])  # type: ignore[index]

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()

    @property
    def mean(self) -> float:
        return round(statistics.fmean(self.samples), 2) if self.samples else 0.0


def feed_lock_ceiling(url: str, connections: int, seconds: float, *, lock: bool) -> float:
    """Commits/s of ``connections`` threads each looping over what a push does while it
    holds the feed lock (take it, insert an entry, commit: the commit waits for the WAL
    flush), on a scratch table of the same database; ``lock=False``: the same without
    the lock. The ratio shows how far the lock serialises commits, apart from the rest
    of a push."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_feed_lock (seq bigserial PRIMARY KEY, story text, at timestamptz)"
        )
    counts = [0] * connections
    start, end = time.time() + 0.5, time.time() + 0.5 + seconds

    def loop(slot: int) -> None:
        with psycopg.connect(dsn) as conn:
            time.sleep(max(0.0, start - time.time()))
            while time.time() < end:
                if lock:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (FEED_LOCK_KEY,))
                conn.execute("INSERT INTO bench_feed_lock (story, at) VALUES (%s, now())", (f"s{slot}",))
                conn.commit()
                counts[slot] += 1

    threads = [threading.Thread(target=loop, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(counts) / seconds, 1)


# ---------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"environment": environment(WEB_LIBRARIES), "settings": vars(args), "backends": {}}
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="ulak-bench-contention-") as tmp, ExitStack() as stack:
        targets = []
        for backend in backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            load = other_load()
            url, push_keys, pull_key = stack.enter_context(
                database(backend, workdir, args.postgres_url, max(args.levels))
            )
            base = stack.enter_context(hub_server(url, workdir))
            targets.append({"backend": backend, "url": url, "base": base, "push_keys": push_keys, "pull_key": pull_key})
            report["backends"][backend] = {"other_processes_cores_before": load, "runs": []}
        workers = max(*args.levels, args.pushers + args.readers)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for target in targets:  # warm-up: connections, caches, a first page of the feed
                run_phase(pool, target, 2, 1, 2.0)
            for _ in range(args.runs):
                for target in targets:
                    result = {
                        "healthz_p50_ms": healthz_p50(target["base"]),
                        "push": run_phase(pool, target, args.pushers, 0, args.seconds),
                        "mixed": run_phase(pool, target, args.pushers, args.readers, args.seconds),
                    }
                    report["backends"][target["backend"]]["runs"].append(result)
            for target in targets:
                levels = []
                for pushers in args.levels:
                    with ExitStack() as watch:
                        waiters = (
                            watch.enter_context(AdvisoryWaiters(target["url"]))
                            if target["backend"] == "postgresql"
                            else None
                        )
                        figures = run_phase(pool, target, pushers, 0, args.seconds / 2)
                    level = {"pushers": pushers, "pushes_per_s": figures["pushes_per_s"]}
                    level["push_p50_ms"] = figures["push_p50_ms"]
                    if waiters is not None:
                        level["feed_lock_waiters_mean"] = waiters.mean
                    levels.append(level)
                report["backends"][target["backend"]]["saturation"] = levels
                if target["backend"] == "postgresql":
                    report["backends"]["postgresql"]["feed_lock_ceiling"] = [
                        {
                            "connections": n,
                            "commits_per_s_with_lock": feed_lock_ceiling(target["url"], n, 5.0, lock=True),
                            "commits_per_s_without": feed_lock_ceiling(target["url"], n, 5.0, lock=False),
                        }
                        for n in (1, 8, 16)
                    ]
    for figures in report["backends"].values():
        figures["summary"] = summarise(figures["runs"])
    return report


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"healthz_p50_ms": spread([r["healthz_p50_ms"] for r in runs])}
    for phase in ("push", "mixed"):
        for name in runs[0][phase]:
            out[f"{phase}.{name}"] = spread([r[phase][name] for r in runs])
    return out


def print_report(report: dict[str, Any]) -> None:
    console = Console()
    env = report["environment"]
    console.print(f"{env['cpu_model']}, {env['cpu_count']} cores; runs: {report['settings']['runs']}")
    for backend, figures in report["backends"].items():
        table = Table(title=f"{backend} (other processes: {figures['other_processes_cores_before']} cores before)")
        for column in ("figure", "median", "runs", "spread %"):
            table.add_column(column)
        for name, value in figures["summary"].items():
            table.add_row(name, str(value["median"]), " / ".join(map(str, value["runs"])), str(value["spread_pct"]))
        console.print(table)
        saturation = Table(title=f"{backend}: pushes/s by concurrent pushers")
        for column in figures["saturation"][0]:
            saturation.add_column(column)
        for level in figures["saturation"]:
            saturation.add_row(*(str(v) for v in level.values()))
        console.print(saturation)
        if "feed_lock_ceiling" in figures:
            ceiling = Table(title="PostgreSQL: commits/s of the feed lock's critical section alone")
            for column in figures["feed_lock_ceiling"][0]:
                ceiling.add_column(column)
            for row in figures["feed_lock_ceiling"]:
                ceiling.add_row(*(str(v) for v in row.values()))
            console.print(ceiling)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pushers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8, 16])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
