"""SDK fixtures: the real hub served by uvicorn on a loopback port, one per test module.

Each module gets a fresh data directory (SQLite database copied from the migrated
template, local object store). Tests share the module's hub but not its data: each
creates its own agency (``live_hub.agency()``) and reads the feed filtered to it.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from hub.agencies import service as agencies
from hub.app import create_app
from hub.config import Settings
from hub.runtime import HubRuntime
from tests.fixtures.databases import SqliteTemplate
from tests.fixtures.hub import LiveServer, free_port, make_settings

_agency_numbers = itertools.count(1)


@dataclass
class LiveHub:
    url: str
    settings: Settings
    runtime: HubRuntime

    def agency(self, prefix: str = "ag", *, scopes: str = "push,pull") -> tuple[str, str]:
        """A new agency and a key for it: (code, key)."""
        code = f"{prefix}-{next(_agency_numbers)}"
        with self.runtime.write() as session:
            agencies.create_agency(session, code, name=code.upper(), is_partner=False)
            key = agencies.create_key(session, code, scopes).plaintext
        return code, key

    def key(self, code: str, scopes: str) -> str:
        with self.runtime.write() as session:
            return agencies.create_key(session, code, scopes).plaintext

    @contextmanager
    def storage_down(self) -> Iterator[None]:
        """Make the local object store really fail: its staging directory becomes a file,
        so every write raises and the hub answers 503 ``storage_unavailable``. (chmod
        would not do: the suite may run as root.)"""
        staging = self.settings.resolved_storage_dir / "staging"
        parked = staging.with_name("staging.parked")
        staging.rename(parked)
        staging.write_bytes(b"not a directory")
        try:
            yield
        finally:
            self.storage_up()

    def storage_up(self) -> None:
        staging = self.settings.resolved_storage_dir / "staging"
        parked = staging.with_name("staging.parked")
        if parked.exists():
            staging.unlink(missing_ok=True)
            parked.rename(staging)


@pytest.fixture(scope="module")
def live_hub(tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate) -> Iterator[LiveHub]:
    data_dir = tmp_path_factory.mktemp("hub")
    database_url = sqlite_template.copy_to(data_dir / "ulak.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # public_url makes media hrefs point at this server; no embedded worker, so the feed
    # holds exactly what the tests pushed.
    settings = make_settings(data_dir, database_url, public_url=url, embedded_worker=False)
    runtime = HubRuntime.from_settings(settings)
    app = create_app(settings, runtime=runtime)
    with LiveServer(app, port=port):
        yield LiveHub(url, settings, runtime)
    runtime.close()
    shutil.rmtree(data_dir, ignore_errors=True)
