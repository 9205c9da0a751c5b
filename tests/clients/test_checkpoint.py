"""``Checkpoint``: the file survives crashes at any instant and refuses what it cannot trust."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ulak_client import Checkpoint, CheckpointError, FeedPosition, MemoryCheckpoint

POSITION = FeedPosition("az", agency="azertac", after="c41", skip=2, last=("st_9", 3, "az"))


def test_round_trip_and_empty(tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path / "deep" / "az.cursor")
    assert checkpoint.load() is None
    checkpoint.save(POSITION)
    assert Checkpoint(tmp_path / "deep" / "az.cursor").load() == POSITION
    assert json.loads((tmp_path / "deep" / "az.cursor").read_text())["last"] == {
        "storyId": "st_9", "version": 3, "language": "az",
    }  # fmt: skip
    checkpoint.clear()
    assert checkpoint.load() is None


def test_memory_checkpoint_counts_saves() -> None:
    memory = MemoryCheckpoint()
    memory.save(POSITION)
    assert (memory.load(), memory.saves) == (POSITION, 1)


@pytest.mark.parametrize(
    "content",
    [
        '{"format": 1, "lang": "az"',
        '{"format": 99, "lang": "az"}',
        '{"format": 1}',
        "[1, 2]",
        '{"format": 1, "lang": "az", "skip": "x"}',
    ],
)
def test_corrupt_or_foreign_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cursor"
    path.write_text(content)
    with pytest.raises(CheckpointError):
        Checkpoint(path).load()


def test_failed_save_keeps_the_previous_position_and_no_litter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = Checkpoint(tmp_path / "cursor")
    checkpoint.save(POSITION)

    # A full disk cannot be produced on demand here, so fsync fails instead.
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        checkpoint.save(FeedPosition("az", agency="azertac", after="c99"))
    monkeypatch.undo()
    assert checkpoint.load() == POSITION
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cursor"]


SAVER = textwrap.dedent(
    """
    import sys
    from ulak_client import Checkpoint, FeedPosition
    checkpoint = Checkpoint(sys.argv[1])
    start = int(sys.argv[2])
    print("ready", flush=True)
    # Big enough that a torn write would be visible as truncated JSON.
    padding = "x" * 20000
    for n in range(start, start + 10**9):
        checkpoint.save(FeedPosition("en", agency=padding, after=f"c{n}", skip=n % 7, last=("st", n, "en")))
    """
)


@pytest.mark.slow
def test_kill_9_while_saving_never_leaves_a_torn_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "cursor"
    previous = -1
    for round_ in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), str(previous + 1)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.02 * round_)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        position = Checkpoint(path).load()  # raises CheckpointError on a torn file
        assert position is not None and position.last is not None
        version = position.last[1]
        assert position.after == f"c{version}" and position.skip == version % 7
        assert version >= previous, "a save went backwards"
        previous = version
    assert previous > 0, "no save ever completed"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "cursor"]
    # A kill between mkstemp and rename may leave one temporary file; never the real one torn.
    assert all(name.startswith(".cursor.") and name.endswith(".tmp") for name in leftovers)
