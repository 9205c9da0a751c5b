"""Suite-wide fixtures: a clean ULAK_* environment and a fresh database per test.

Every test that takes ``database_url`` runs on SQLite and, when
``ULAK_TEST_DATABASE_URL`` points at a PostgreSQL server, again on PostgreSQL. Under
CI (``CI=true``) an unreachable PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from tests.fixtures.databases import PostgresTemplate, SqliteTemplate

# Synthetic translation packages and the S3 server, for every part of the suite.
pytest_plugins = ["tests.fixtures.models", "tests.fixtures.s3_server"]

# Read before the autouse fixture below clears the environment of every test.
POSTGRES_URL = os.environ.get("ULAK_TEST_DATABASE_URL")
UNDER_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _clean_ulak_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell must not change a result: drop every ULAK_* setting
    (ULAK_TEST_* stays: it says where the test servers are)."""
    for name in list(os.environ):
        if name.startswith("ULAK_") and not name.startswith("ULAK_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _restore_ulak_logging() -> Iterator[None]:
    """A CLI command run in-process (CliRunner) adds a handler on the ``ulak`` logger
    bound to the runner's stderr, which is closed when the command returns: left in
    place, every later log line of a worker thread would fail to write."""
    logger = logging.getLogger("ulak")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate.create(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run disabled: set ULAK_TEST_DATABASE_URL (as .ci/run does)")
    try:
        template = PostgresTemplate.create(POSTGRES_URL)
    except Exception as exc:
        if UNDER_CI:
            pytest.fail(f"PostgreSQL at ULAK_TEST_DATABASE_URL is unreachable under CI: {exc}")
        pytest.skip(f"PostgreSQL at ULAK_TEST_DATABASE_URL is unreachable: {exc}")
    yield template
    template.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh database at the migration head, on each backend."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_template").copy_to(tmp_path / "ulak.db")
        return
    template: PostgresTemplate = request.getfixturevalue("postgres_template")
    with template.fresh_database() as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database at head, for tests that are about PostgreSQL itself."""
    template: PostgresTemplate = request.getfixturevalue("postgres_template")
    with template.fresh_database() as url:
        yield url
