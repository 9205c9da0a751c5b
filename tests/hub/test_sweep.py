"""Leftovers of crashed writers are swept at start and by `ulak storage sweep`;
a metrics scrape says the database is down instead of silently dropping figures."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import generate_latest
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.db import upgrade
from hub.metrics import HubMetrics
from hub.runtime import HubRuntime
from hub.sweep import spool_dir
from tests.fixtures.hub import HubHarness, free_port, make_settings


def _leftover(directory: Path, name: str, *, hours_old: float) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"partial")
    stamp = time.time() - hours_old * 3600
    os.utime(path, (stamp, stamp))
    return path


def test_hub_start_sweeps_old_leftovers_and_keeps_fresh_ones(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False)
    staging = settings.resolved_storage_dir / "staging"
    old_staged = _leftover(staging, "put-crashed", hours_old=25)
    old_spooled = _leftover(settings.data_dir / "tmp", "upload-crashed", hours_old=25)
    fresh = _leftover(settings.data_dir / "tmp", "upload-live", hours_old=0)
    with HubHarness.start(settings) as hub:
        assert spool_dir(hub.runtime) == settings.data_dir / "tmp"
        assert not old_staged.exists() and not old_spooled.exists()
        assert fresh.exists()


def test_storage_sweep_command(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    staged = _leftover(tmp_path / "data" / "objects" / "staging", "put-1", hours_old=3)
    result = CliRunner().invoke(cli, ["storage", "sweep", "--older-than-hours", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "removed 1 staged object(s), 0 spooled upload(s)" in result.stdout
    assert not staged.exists()


def test_metrics_scrape_reports_an_unreachable_database(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    upgrade(f"sqlite:///{tmp_path / 'ok.db'}")
    up = HubRuntime.from_settings(make_settings(tmp_path / "a", f"sqlite:///{tmp_path / 'ok.db'}"))
    # Nothing listens on this port: every connection attempt is refused.
    down = HubRuntime.from_settings(
        make_settings(tmp_path / "b", f"postgresql+psycopg://ulak@127.0.0.1:{free_port()}/ulak")
    )
    try:
        assert "ulak_database_up 1.0" in generate_latest(HubMetrics(up).registry).decode()
        text = generate_latest(HubMetrics(down).registry).decode()
        assert "ulak_database_up 0.0" in text
        assert "ulak_translation_jobs" not in text  # no made-up figures
        assert any("cannot read the queue" in r.getMessage() for r in caplog.records)
    finally:
        up.close()
        down.close()
