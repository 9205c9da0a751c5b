"""Hub fixtures: a harness on a fresh database (SQLite, and PostgreSQL when enabled)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.hub import HubHarness, make_settings


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[HubHarness]:
    with HubHarness.start(make_settings(tmp_path / "data", database_url, embedded_worker=False)) as harness:
        yield harness
