"""What every benchmark reports beside its figures, so that two runs can be compared.

A figure that does not reproduce is worse than none: each script runs its measured pair
several times interleaved and reports the median with the spread (``spread``), the cores
other processes kept busy meanwhile (``CpuWatch``, ``other_load``) and the machine, library
versions and thread settings it ran with (``environment``).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Thread-count variables that change what a CPU-bound figure means.
THREAD_VARIABLES = ("OMP_", "MKL_", "OPENBLAS_", "CT2_", "TORCH_", "NUMEXPR_", "VECLIB_")


def spread(values: list[float], digits: int = 3) -> dict[str, Any]:
    """Median, every run, and max − min as a share of the median."""
    median = statistics.median(values)
    return {
        "median": round(median, digits),
        "runs": [round(v, digits) for v in values],
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "spread_pct": round(100 * (max(values) - min(values)) / median, 1) if median else 0.0,
    }


def within_spread(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two runs' medians agree within the larger of the spreads they print."""
    allowed = max(first["spread_pct"], second["spread_pct"]) / 100
    return abs(first["median"] - second["median"]) <= allowed * max(first["median"], second["median"])


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0–1) of unsorted samples, interpolated between neighbours."""
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def environment(libraries: tuple[str, ...], threads: dict[str, Any] | None = None) -> dict[str, Any]:
    """The machine, the versions of ``libraries`` and the thread settings of this run."""
    versions: dict[str, str | None] = {}
    for name in libraries:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    if "sqlite" in libraries:
        import sqlite3

        versions["sqlite"] = sqlite3.sqlite_version
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": round(_meminfo_kb("MemTotal") / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "threads": {
            **(threads or {}),
            "env": {k: v for k, v in os.environ.items() if k.startswith(THREAD_VARIABLES)},
        },
    }


# The libraries a hub request goes through (the translation ones do not matter there).
WEB_LIBRARIES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "h11",
    "sqlalchemy",
    "psycopg",
    "orjson",
    "httpx",
    "limits",
    "sqlite",
)
TRANSLATION_LIBRARIES = (
    "ctranslate2",
    "sentencepiece",
    "numpy",
    "psutil",
    "argostranslate",
    "torch",
    "transformers",
    "tokenizers",
)


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


class CpuWatch:
    """Wall and CPU time of a block, and how many cores other processes kept busy meanwhile.

    ``children=True`` counts the CPU of this process's waited-for children too (a hub
    subprocess); the "other processes" figure then excludes them as well. ``ours`` counts
    live processes of the benchmark that are not waited for inside the block (a hub that
    keeps running, an S3 server): a callable returning their CPU seconds so far.
    """

    def __init__(self, *, children: bool = False, ours: Callable[[], float] | None = None) -> None:
        self._children = children
        self._ours = ours or (lambda: 0.0)

    def __enter__(self) -> CpuWatch:
        self._busy, self._own = busy_cpu_seconds(), self._cpu()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._started
        self.cpu_seconds = self._cpu() - self._own
        others = (busy_cpu_seconds() - self._busy) - self.cpu_seconds
        self.other_cores = round(max(others, 0.0) / self.seconds, 2)

    def _cpu(self) -> float:
        return own_cpu_seconds(self._children) + self._ours()


def other_load(seconds: float = 3.0) -> float:
    """Cores kept busy by other processes while this script waits (nothing of ours runs)."""
    busy, started = busy_cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    return round((busy_cpu_seconds() - busy) / (time.perf_counter() - started), 2)


def live_children_cpu_seconds() -> float:
    """CPU seconds so far of this process's running children and theirs (a hub, an S3
    server): for ``CpuWatch(ours=...)`` while they keep running."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # ended meanwhile
            times = child.cpu_times()
            total += times.user + times.system
    return total


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds(children: bool = False) -> float:
    times = os.times()
    own = times.user + times.system
    return own + (times.children_user + times.children_system if children else 0.0)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def reset_peak_rss() -> None:
    """Reset VmHWM (Linux ≥ 4.0), so that the peak measured is the batch's, not the loading's."""
    with contextlib.suppress(OSError):  # older kernels: the peak then includes loading
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> int | None:
    status = _read("/proc/self/status")
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return round(int(line.split()[1]) / 1024) if line else None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _meminfo_kb(key: str) -> int:
    line = next((line for line in _read("/proc/meminfo").splitlines() if line.startswith(key + ":")), f"{key}: 0")
    return int(line.split()[1])
