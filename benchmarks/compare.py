"""Do two runs of a benchmark agree? Compares the ``--json`` output of two runs.

Every figure a script reports with its spread (``measure.spread``: median, runs, spread;
or a figure ``x`` beside the list ``x_runs`` of its runs) is matched by its place in the
two objects (list items by position, or by ``backend``, ``size_mb``, ``stories`` where
they carry one) and called in agreement when the medians differ by no more than the
larger of the two spreads (``measure.within_spread``). Prints one line per figure and a
count; exits 1 if any figure disagrees or is in one run only.

    python benchmarks/compare.py /tmp/feed-1.json /tmp/feed-2.json [--all]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import spread, within_spread

# Keys that name a list item better than its position does.
ITEM_NAMES = ("backend", "size_mb", "stories", "pushers", "case", "name")


def figures(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``spread`` dict in ``value``, with its path."""
    if isinstance(value, dict):
        if {"median", "spread_pct"} <= value.keys():
            yield path, value
            return
        for key, child in value.items():
            name = f"{path}.{key}" if path else str(key)
            runs = value.get(f"{key}_runs")
            if isinstance(child, int | float) and _numbers(runs):
                # A figure with its runs beside it (``ratio_p50`` and ``ratio_p50_runs``).
                yield name, spread(runs)
            else:
                yield from figures(child, name)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from figures(child, f"{path}[{_item_name(child, index)}]")


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 1 and all(isinstance(v, int | float) for v in value)


def _item_name(item: Any, index: int) -> str:
    if isinstance(item, dict):
        names = [f"{key}={item[key]}" for key in ITEM_NAMES if key in item and not isinstance(item[key], dict)]
        if names:
            return ",".join(names)
    return str(index)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--all", action="store_true", help="print agreeing figures too")
    args = parser.parse_args()
    first = dict(figures(json.loads(args.first.read_text())))
    second = dict(figures(json.loads(args.second.read_text())))
    shared = [path for path in first if path in second]
    disagreeing = 0
    for path in shared:
        a, b = first[path], second[path]
        agree = within_spread(a, b)
        disagreeing += not agree
        if args.all or not agree:
            allowed = max(a["spread_pct"], b["spread_pct"])
            verdict = "agree" if agree else "DISAGREE"
            print(f"{verdict:8} {path}: {a['median']} vs {b['median']} (larger spread {allowed} %)")
    missing = sorted(set(first) ^ set(second))
    for path in missing:
        print(f"only in one run: {path}")
    print(f"{len(shared) - disagreeing} of {len(shared)} figures agree within the larger spread")
    return 1 if disagreeing or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
