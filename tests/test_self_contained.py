"""The suite reads nothing outside the checkout: its data lives in tests/data/ (with the
licences of what was copied there), so a fresh clone runs every test and skips none for
want of a file."""

from __future__ import annotations

import ast
from pathlib import Path

from hub.stories.ninjs import SCHEMA_PATH
from tests.fixtures.data import ARGOS_INDEX, DATA_DIR, NINJS_EXAMPLES

REPO = Path(__file__).resolve().parents[1]
# Programs the suite runs, not data it reads: installed by .ci/run (tests/desk drives Debian's
# Chromium; without it those tests skip outside CI and fail under CI).
SYSTEM_PROGRAMS = frozenset({"/usr/bin/chromium"})


def _paths_outside_the_checkout(path: Path) -> list[str]:
    """``Path("/abs/…")``/``open("/abs/…")`` and ``…parents[n]`` climbing above the repo root."""
    rel = path.relative_to(REPO)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if (
                callee in ("Path", "open")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value.startswith("/")
                and first.value not in SYSTEM_PROGRAMS
            ):
                found.append(f"{rel}:{node.lineno}: {callee}({first.value!r})")
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "parents"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int)
            # tests/hub/x.py: parents[2] is the repo root, parents[3] is outside it.
            and node.slice.value >= len(rel.parts)
        ):
            found.append(f"{rel}:{node.lineno}: parents[{node.slice.value}]")
    return found


def test_no_test_reads_a_path_outside_the_checkout() -> None:
    found = [hit for path in sorted((REPO / "tests").rglob("*.py")) for hit in _paths_outside_the_checkout(path)]
    assert found == []


def test_the_copied_data_is_there_with_its_licences() -> None:
    assert len(NINJS_EXAMPLES) >= 8
    assert ARGOS_INDEX.is_file() and (DATA_DIR / "argos" / "README.md").is_file()
    # The IPTC's ninjs examples and schema are MIT-licensed: the licence travels with each copy.
    assert "MIT License" in (DATA_DIR / "ninjs" / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in SCHEMA_PATH.with_name(SCHEMA_PATH.name + ".license").read_text(encoding="utf-8")
