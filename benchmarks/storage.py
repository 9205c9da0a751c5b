"""Media throughput through the hub API, against writing straight to the object store.

For each backend (local directory, S3 = a SeaweedFS started here) the script runs the
hub with uvicorn in a subprocess, uploads media with ``POST /v1/media`` (raw body,
streamed from a file) and downloads them with ``GET /v1/media/{sha256}``, for 1 MB and
200 MB files. It prints MB/s, the ratio to the same bytes written to / read from the
backend directly (``put_object(..., sha256=)`` / ``get_object``), and the hub's peak
RSS growth during the largest upload (goal: < 50 MB, i.e. streamed, not buffered).

    .venv/bin/python benchmarks/storage.py [--json] [--backends local,s3] [--sizes 1,200]
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
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

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


def bench_backend(name: str, hub: Hub, direct: ObjectStore, sizes_mb: list[int], scratch: Path) -> list[dict]:
    results = []
    with httpx.Client(headers={"Authorization": f"Bearer {hub.key}"}, timeout=300) as client:
        for size_mb in sizes_mb:
            size = size_mb * MB
            repeats = REPEATS.get(size_mb, 1)
            totals = {"hub_up": 0.0, "hub_down": 0.0, "direct_up": 0.0, "direct_down": 0.0}
            rss_growth = None
            download_error = None
            for _ in range(repeats):
                path, digest = write_random_file(scratch, size)
                try:
                    with RssSampler(hub.process.pid) as rss:
                        totals["hub_up"] += time_hub_upload(client, hub, path, size, digest)
                    rss_growth = max(rss_growth or 0.0, rss.growth_mb)
                    try:
                        totals["hub_down"] += time_hub_download(client, hub, size, digest)
                    except httpx.HTTPStatusError as exc:  # report the upload figures anyway
                        download_error = f"{exc.response.status_code} {exc.response.text[:200]}"
                    direct_up, direct_down = time_direct(direct, path, size, digest)
                    totals["direct_up"] += direct_up
                    totals["direct_down"] += direct_down
                finally:
                    path.unlink()
            mbps = {k: size * repeats / MB / v if v else float("nan") for k, v in totals.items()}
            results.append(
                {
                    "backend": name,
                    "size_mb": size_mb,
                    "repeats": repeats,
                    "upload_mb_s": round(mbps["hub_up"], 1),
                    "download_mb_s": round(mbps["hub_down"], 1),
                    "direct_upload_mb_s": round(mbps["direct_up"], 1),
                    "direct_download_mb_s": round(mbps["direct_down"], 1),
                    "upload_ratio": round(mbps["hub_up"] / mbps["direct_up"], 2),
                    "download_ratio": round(mbps["hub_down"] / mbps["direct_down"], 2),
                    "hub_peak_rss_growth_mb": round(rss_growth or 0.0, 1),
                    **({"download_error": download_error} if download_error else {}),
                }
            )
    return results


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
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--sizes", default="1,200", help="file sizes in MB (10^6 bytes)")
    args = parser.parse_args()
    sizes = [int(value) for value in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="ulak-bench-") as tmp:
        for name in args.backends.split(","):
            workdir = Path(tmp) / name
            workdir.mkdir()
            with backend(name, workdir) as (env, direct):
                hub = Hub(env, workdir / "hub")
                try:
                    results += bench_backend(name, hub, direct, sizes, Path(tmp))
                finally:
                    hub.stop()
    largest = max(sizes)
    peak = max(r["hub_peak_rss_growth_mb"] for r in results if r["size_mb"] == largest)
    report = {
        "results": results,
        "largest_mb": largest,
        "peak_rss_growth_mb": peak,
        "rss_goal_mb": RSS_GOAL_MB,
        "rss_goal_met": peak < RSS_GOAL_MB,
    }
    if args.json:
        print(json.dumps(report))
        return
    header = (
        f"{'backend':8} {'size':>6} {'up MB/s':>8} {'down MB/s':>9} {'direct up':>9} {'direct down':>11}"
        f" {'up ratio':>8} {'down ratio':>10} {'RSS +MB':>8}"
    )
    print(header)
    for r in results:
        print(
            f"{r['backend']:8} {r['size_mb']:>4}MB {r['upload_mb_s']:>8} {r['download_mb_s']:>9}"
            f" {r['direct_upload_mb_s']:>9} {r['direct_download_mb_s']:>11} {r['upload_ratio']:>8}"
            f" {r['download_ratio']:>10} {r['hub_peak_rss_growth_mb']:>8}"
        )
    for r in results:
        if "download_error" in r:
            print(f"{r['backend']} {r['size_mb']} MB: hub download failed: {r['download_error']}")
    verdict = "met" if report["rss_goal_met"] else "NOT met"
    print(f"peak hub RSS growth during the {largest} MB upload: {peak} MB (goal < {RSS_GOAL_MB} MB: {verdict})")


if __name__ == "__main__":
    main()
