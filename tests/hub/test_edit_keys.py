"""Edit keys: ``ulak keys create CODE --scopes pull,edit --languages tr``; the languages
are required with the edit scope, checked, stored, listed and carried by the caller."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.auth.service import authenticate
from hub.cli import app
from tests.fixtures.hub import HubHarness

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_edit_keys_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    assert run("db", "upgrade").exit_code == 0
    assert run("agencies", "create", "trt", "--name", "TRT", "--partner").exit_code == 0

    created = run("keys", "create", "trt", "--scopes", "pull,edit", "--languages", "tr,az")
    assert created.exit_code == 0 and created.stdout.startswith("ulak_")
    assert "(pull,edit; edits tr,az)" in created.stderr  # a partner may hold one
    listing = run("keys", "list", "trt")
    assert created.stdout.split("_")[1] in listing.stdout and "tr,az" in listing.stdout

    refused = {
        ("--scopes", "pull,edit"): "needs the languages it may post-edit",
        ("--scopes", "pull", "--languages", "tr"): "languages are for keys with the edit scope",
        ("--scopes", "edit", "--languages", "tr,xx"): "unsupported language(s) xx",
    }
    for options, message in refused.items():
        result = run("keys", "create", "trt", *options)
        assert result.exit_code == 1 and message in result.stderr and not result.stdout, options


def test_the_caller_carries_its_languages(hub: HubHarness) -> None:
    editor = hub.agency("trt", scopes="pull,edit", partner=True, languages="tr, ru,tr")
    member = hub.agency("azertac")
    with hub.runtime.read() as session:
        assert authenticate(session, editor).languages == frozenset({"tr", "ru"})
        assert authenticate(session, member).languages == frozenset()
