"""The SDK's example scripts, run as a newsroom would run them, against the real hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.clients.conftest import LiveHub

EXAMPLES = Path(__file__).resolve().parents[2] / "clients" / "python" / "examples"


def run_example(name: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ULAK_KEY": key}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_push_from_folder_then_pull_to_folder(live_hub: LiveHub, tmp_path: Path) -> None:
    _, key = live_hub.agency("examples")
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    for n in range(3):
        story = {
            "uri": f"urn:examples:{n}", "language": "en",
            "headlines": [{"role": "main", "value": f"Story {n}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": f"Body {n}."}],
        }  # fmt: skip
        (outbox / f"story{n}.json").write_text(json.dumps(story))
    (outbox / "story1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"examples" * 100)

    pushed = run_example("push_from_folder.py", key, "--hub", live_hub.url, str(outbox))
    assert pushed.returncode == 0, pushed.stderr
    lines = pushed.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("new") for line in lines)
    assert "(1 media)" in lines[1]

    mirror = tmp_path / "mirror"
    pulled = run_example("pull_to_folder.py", key, "--hub", live_hub.url, "--lang", "en", "--out", str(mirror))
    assert pulled.returncode == 0, pulled.stderr
    files = sorted(p for p in mirror.glob("*.json"))
    assert len(files) >= 3  # the feed is shared: other modules' stories may be there too
    mine = [json.loads(p.read_text()) for p in files]
    mine = [
        item for item in mine if any(a.get("value", "").startswith("urn:examples:") for a in item.get("altIds", []))
    ]
    assert sorted(item["headlines"][0]["value"] for item in mine) == ["Story 0", "Story 1", "Story 2"]
    with_photo = next(item for item in mine if item["headlines"][0]["value"] == "Story 1")
    assert with_photo["associations"][0]["type"] == "picture"
    assert (mirror / ".ulak-checkpoint.json").exists()

    # Both are safe to re-run: nothing new is pushed, nothing is pulled twice.
    again = run_example("push_from_folder.py", key, "--hub", live_hub.url, str(outbox))
    assert again.returncode == 0, again.stderr
    assert all(line.startswith("unchanged") for line in again.stdout.splitlines())
    pulled_again = run_example("pull_to_folder.py", key, "--hub", live_hub.url, "--lang", "en", "--out", str(mirror))
    assert pulled_again.returncode == 0 and pulled_again.stdout == ""
    assert "0 entries written" in pulled_again.stderr


def quickstart_code() -> str:
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_quickstart_runs_as_written(live_hub: LiveHub, tmp_path: Path) -> None:
    code = quickstart_code()
    assert len(code.strip().splitlines()) <= 10
    # The only change: the hub's port (the README assumes `ulak serve` on 8000).
    code = code.replace("http://127.0.0.1:8000", live_hub.url)
    _, key = live_hub.agency("quickstart")
    env = {**os.environ, "ULAK_KEY": key}

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first, second = run(), run()
    story_id = first[0].split()[1]
    assert first[0] == f"pushed {story_id} version 1"
    assert f"{story_id} 1 usable Hello, Ulak" in first[1:]
    assert second == first[:1]  # same version again, and the checkpoint says nothing is new
