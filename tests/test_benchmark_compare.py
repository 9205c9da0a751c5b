"""benchmarks/compare.py: two runs' JSON, figure by figure, within the larger spread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.measure import spread

ROOT = Path(__file__).resolve().parent.parent


def compare(tmp_path: Path, first: dict, second: dict) -> subprocess.CompletedProcess[str]:
    paths = []
    for name, run in (("1", first), ("2", second)):
        path = tmp_path / f"run{name}.json"
        path.write_text(json.dumps(run))
        paths.append(str(path))
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare.py"), *paths, "--all"],
        capture_output=True,
        text=True,
        check=False,
    )


def run(seconds: list[float], ratios: list[float]) -> dict:
    return {
        "results": [{"backend": "sqlite", "seconds": spread(seconds), "ratio": ratios[1], "ratio_runs": ratios}],
        "environment": {"cpu_count": 2},
    }


def test_runs_within_the_larger_spread_agree(tmp_path: Path) -> None:
    done = compare(tmp_path, run([10.0, 11.0, 10.5], [3.4, 3.5, 3.6]), run([10.8, 11.2, 11.0], [3.5, 3.6, 3.55]))
    assert done.returncode == 0, done.stdout
    assert "agree    results[backend=sqlite].seconds: 10.5 vs 11.0" in done.stdout
    assert "agree    results[backend=sqlite].ratio: 3.5 vs 3.55" in done.stdout
    assert "2 of 2 figures agree" in done.stdout


def test_a_median_outside_both_spreads_disagrees_and_fails(tmp_path: Path) -> None:
    done = compare(tmp_path, run([10.0, 10.1, 10.2], [3.4, 3.5, 3.6]), run([12.0, 12.1, 12.2], [3.5, 3.6, 3.55]))
    assert done.returncode == 1
    assert "DISAGREE results[backend=sqlite].seconds: 10.1 vs 12.1" in done.stdout
    assert "1 of 2 figures agree" in done.stdout


def test_a_figure_only_one_run_has_fails(tmp_path: Path) -> None:
    second = run([10.0, 10.1, 10.2], [3.4, 3.5, 3.6])
    second["results"][0]["extra"] = spread([1.0, 1.1, 1.2])
    done = compare(tmp_path, run([10.0, 10.1, 10.2], [3.4, 3.5, 3.6]), second)
    assert done.returncode == 1
    assert "only in one run: results[backend=sqlite].extra" in done.stdout
