"""The ulak command: schema, agencies, keys, and `ulak serve` as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.server import MALFORMED_DETAIL
from tests.fixtures.hub import free_port, wait_for_hub

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"ULAK_DATA_DIR": str(tmp_path / "data")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_agencies_and_keys_lifecycle(env: dict[str, str]) -> None:
    assert run("db", "upgrade").exit_code == 0
    created = run("agencies", "create", "azertac", "--name", "AZERTAC", "--country", "az")
    assert created.exit_code == 0 and "azertac" in created.stdout
    duplicate = run("agencies", "create", "azertac", "--name", "AZERTAC")
    assert duplicate.exit_code == 1 and "exists already" in duplicate.stderr
    assert run("agencies", "create", "trt", "--name", "TRT", "--partner").exit_code == 0
    listing = run("agencies", "list")
    assert "azertac" in listing.stdout and "AZ" in listing.stdout and "yes" in listing.stdout

    key = run("keys", "create", "azertac", "--scopes", "push,pull")
    assert key.exit_code == 0
    plaintext = key.stdout.strip()
    assert plaintext.startswith("ulak_") and "\n" not in plaintext  # only the key: scripts capture it
    key_id = plaintext.split("_")[1]
    assert key_id in run("keys", "list", "azertac").stdout
    assert run("keys", "revoke", key_id).exit_code == 0
    assert run("keys", "revoke", "nope").exit_code == 1
    bad_scope = run("keys", "create", "azertac", "--scopes", "push,root")
    assert bad_scope.exit_code == 1 and "root" in bad_scope.stderr
    assert run("keys", "create", "ghost").exit_code == 1


def test_serve_refuses_an_outdated_schema_and_names_the_command(env: dict[str, str]) -> None:
    result = run("serve", "--port", str(free_port()))
    assert result.exit_code == 1 and "ulak db upgrade" in result.stderr


def test_serve_runs_and_says_how_to_create_an_agency_and_install_models(env: dict[str, str], tmp_path: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port)],
        # A relative data dir, resolved against the working directory and printed absolute.
        env=os.environ | env | {"ULAK_DATA_DIR": "data"},
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_hub(f"http://127.0.0.1:{port}", {"ulak serve": (process, None)}, path="/readyz", timeout=30)
        # Served with hub.server's protocol: even a request uvicorn cannot parse gets JSON.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: null\r\n\r\n")
            answer = b"".join(iter(lambda: sock.recv(65536), b""))
        assert answer.startswith(b"HTTP/1.1 400") and answer.endswith(
            b'"bad_request", "detail": "' + MALFORMED_DETAIL.encode() + b'"}'
        )
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "ulak agencies create" in stderr and "ulak keys create" in stderr
    # No models installed: every configured language is blocked, and the fix is named.
    assert "Translation is blocked" in stderr and "  uz (Uzbek) from az, tr, ru, en\n" in stderr
    assert "  ulak models setup\n" in stderr and "  ulak models install translate-az_en\n" in stderr
    assert "\n(a language the package index lacks, such as Uzbek, needs a multilingual model instead:\n" in stderr
    assert "\n  ulak models convert facebook/nllb-200-distilled-600M --languages " in stderr
    assert f"data dir: {Path(env['ULAK_DATA_DIR']).resolve()}\n" in stderr


def test_a_partner_gets_no_push_key(env: dict[str, str]) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert run("agencies", "create", "trt", "--name", "TRT", "--partner").exit_code == 0
    for scopes in ("push", "push,pull"):
        refused = run("keys", "create", "trt", "--scopes", scopes)
        assert refused.exit_code == 1 and "partner agencies pull" in refused.stderr and not refused.stdout
    default = run("keys", "create", "trt")
    assert default.exit_code == 0 and "(pull)" in default.stderr
    assert run("keys", "create", "trt", "--scopes", "pull").exit_code == 0


def test_every_command_names_its_absolute_data_dir_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default ULAK_DATA_DIR is ./ulak-data: which hub a command talks to depends on where it runs.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    line = f"data dir: {(elsewhere / 'ulak-data').resolve()}\n"
    commands = [
        ["db", "upgrade"],
        ["agencies", "create", "azertac", "--name", "AZERTAC"],
        ["agencies", "list"],
        ["keys", "create", "azertac", "--scopes", "push"],
        ["keys", "list", "azertac"],
        ["keys", "revoke", "nope"],
        ["models", "list", "--json"],
        ["models", "remove", "translate-az_en"],
        ["translate", "--source", "az", "--target", "en", "-"],
    ]
    results = {" ".join(args): runner.invoke(app, args, input="Salam.") for args in commands}
    for command, result in results.items():
        assert result.stderr.count(line) == 1, (command, result.stderr)
        assert "data dir" not in result.stdout, command
    # stdout stays what scripts capture: the key alone, JSON alone.
    assert results["keys create azertac --scopes push"].stdout.startswith("ulak_")
    assert "\n" not in results["keys create azertac --scopes push"].stdout.strip()
    assert json.loads(results["models list --json"].stdout) == []
    assert (elsewhere / "ulak-data" / "ulak.db").is_file()


def test_make_run_gives_the_hub_an_absolute_data_dir() -> None:
    repo = Path(__file__).resolve().parents[2]
    dry_run = subprocess.run(["make", "-n", "run"], cwd=repo, capture_output=True, text=True, check=True)
    commands = [line for line in dry_run.stdout.splitlines() if "bin/ulak " in line]
    assert len(commands) == 2  # db upgrade, serve
    assert all(line.startswith(f'ULAK_DATA_DIR="{repo}/ulak-data" ') for line in commands), commands


def test_the_worker_says_which_languages_are_blocked_and_an_api_without_one_does_not(env: dict[str, str]) -> None:
    """Workers translate with the models on their host: they say what is missing there. An
    API process without an embedded worker needs no models and prints no hint."""
    assert run("db", "upgrade").exit_code == 0
    languages = {"ULAK_TARGET_LANGUAGES": "az,en"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "hub", "worker"],
        env=os.environ | env | languages,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    guard = threading.Timer(60, worker.kill)  # a worker that never says it must not hang the suite
    guard.start()
    said = []
    try:
        assert worker.stderr is not None
        for line in worker.stderr:
            said.append(line)
            if "ulak models convert" in line:  # the hint's last line
                break
    finally:
        guard.cancel()
        worker.terminate()
        worker.communicate(timeout=30)
    hint = "".join(said)
    assert "  az (Azerbaijani) from en\n  en (English) from az\n" in hint
    assert "  ulak models install translate-az_en\n  ulak models install translate-en_az\n" in hint

    port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port)],
        env=os.environ | env | languages | {"ULAK_EMBEDDED_WORKER": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_hub(f"http://127.0.0.1:{port}", {"ulak serve": (api, None)}, path="/readyz", timeout=30)
    finally:
        api.terminate()
        _, stderr = api.communicate(timeout=30)
    assert "No agencies yet" in stderr and "blocked" not in stderr


def test_worker_health_reads_the_age_of_the_last_worker_loop(env: dict[str, str], tmp_path: Path) -> None:
    from hub.config import Settings
    from hub.jobs.worker import alive_path, report_alive

    missing = run("worker-health")
    assert missing.exit_code == 1 and "no worker has run" in missing.output
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    report_alive(settings)
    fresh = run("worker-health", "--max-age", "60")
    assert fresh.exit_code == 0 and "worker alive" in fresh.output
    old = alive_path(settings)
    os.utime(old, (old.stat().st_atime - 120, old.stat().st_mtime - 120))
    stale = run("worker-health", "--max-age", "60")
    assert stale.exit_code == 1 and "more than 60 s" in stale.output
