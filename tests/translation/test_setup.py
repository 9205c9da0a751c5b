"""`ulak models setup`, `export` and the offline failures of `install`/`available`, through the CLI.

Packages are the synthetic .argosmodel files; the online index is the Argos snapshot
served from 127.0.0.1 (tests/fixtures/argos_index.py). "Offline" is an index URL on a
closed loopback port: any attempt to use the network would fail there, or show up as a
cached index under the data dir.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import types
from collections.abc import Iterator
from itertools import permutations
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hub.commands import models
from tests.fixtures.models import ALL_PACKAGES, MULTILINGUAL_PACKAGE, SUPPORTED_LANGUAGES, ModelSource
from translation import TranslationEngine
from translation.packages import import_model

CONVERT_HINT = "pip install torch==2.13.0 'ulak[convert]'"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def offline_url() -> str:
    return f"http://127.0.0.1:{_closed_port()}/index.json"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_url: str) -> Iterator:
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", offline_url)
    # No converter, whatever is installed here: setup must say how to get one.
    monkeypatch.setitem(sys.modules, "translation.convert", None)
    app = typer.Typer()
    app.add_typer(models.app, name="models")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    yield invoke


@pytest.fixture
def package_folder(tmp_path: Path, synthetic_archives: dict[str, Path]) -> Path:
    """Every synthetic package, as copied from a connected machine, plus a stray file."""
    folder = tmp_path / "packages"
    folder.mkdir()
    for archive in synthetic_archives.values():
        shutil.copy(archive, folder)
    (folder / "README.txt").write_text("copied from the newsroom laptop\n", encoding="utf-8")
    return folder


def _installed(cli) -> dict[str, dict]:
    result = cli("models", "list", "--json")
    assert result.exit_code == 0, result.output
    return {p["code"]: p for p in json.loads(result.stdout)}


def _assert_every_pair_routes(models_dir: Path) -> None:
    engine = TranslationEngine(models_dir, threads=1)
    try:
        for source_lang, target_lang in permutations(SUPPORTED_LANGUAGES, 2):
            assert engine.plan(source_lang, target_lang).hops
    finally:
        engine.close()


def test_setup_from_a_folder_offline_leaves_no_pair_blocked(cli, package_folder: Path, tmp_path: Path) -> None:
    dry = cli("models", "setup", "--from", str(package_folder), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.count("would install") == len(ALL_PACKAGES) and _installed(cli) == {}

    result = cli("models", "setup", "--from", str(package_folder))

    assert result.exit_code == 0, result.output
    assert result.stdout.count("\ninstalled ") == len(ALL_PACKAGES)
    assert "ready: every pair of az, tr, ru, uz, en can be translated" in result.stdout
    assert "skipped README.txt" in result.stderr
    assert set(_installed(cli)) == {p.code for p in ALL_PACKAGES}
    assert not (tmp_path / "data" / "cache").exists()  # the index was never asked
    _assert_every_pair_routes(tmp_path / "data" / "models")

    again = cli("models", "setup", "--from", str(package_folder))
    assert again.exit_code == 0, again.output
    assert "nothing to install" in again.stdout and "installed" not in again.stdout


def test_setup_installs_only_what_the_target_languages_need(
    cli, package_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ULAK_TARGET_LANGUAGES", "az,tr")
    result = cli("models", "setup", "--from", str(package_folder))
    assert result.exit_code == 0, result.output
    # az ↔ tr through English: four pair packages; no ru, no multilingual en ↔ uz.
    assert set(_installed(cli)) == {"translate-az_en", "translate-en_az", "translate-tr_en", "translate-en_tr"}


def test_setup_without_uzbek_says_uz_is_blocked_and_exits_1(
    cli, synthetic_archives: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "no-uzbek"
    folder.mkdir()
    for code, archive in synthetic_archives.items():
        if code != MULTILINGUAL_PACKAGE.code:
            shutil.copy(archive, folder)

    result = cli("models", "setup", "--from", str(folder))

    assert result.exit_code == 1
    blocked = [line for line in result.stdout.splitlines() if line.startswith("blocked:")]
    assert blocked == [
        f"blocked: uz (uz → az, tr, ru, en; az, tr, ru, en → uz): no package file in {folder} serves them"
    ]
    assert len(_installed(cli)) == 6
    missing = cli("models", "setup", "--from", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no such folder" in missing.stderr


def test_setup_online_installs_argos_packages_and_asks_for_a_multilingual_model_for_uzbek(
    cli, monkeypatch: pytest.MonkeyPatch, index_server: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"{index_server}/index.json")

    result = cli("models", "setup")

    assert result.exit_code == 1
    assert set(_installed(cli)) == {
        f"translate-{s}_{t}" for s, t in permutations(("az", "tr", "ru", "en"), 2) if "en" in (s, t)
    }
    lines = result.stdout.splitlines()
    assert any(line.startswith("blocked: uz (") and "a multilingual model is needed" in line for line in lines)
    assert f"to convert one, install the convert extra: {CONVERT_HINT}" in lines
    assert "then run: ulak models convert facebook/nllb-200-distilled-600M --languages az,tr,ru,uz,en" in lines
    assert not [line for line in lines if line.startswith("blocked:") and not line.startswith("blocked: uz")]


def test_setup_online_converts_a_multilingual_model_when_the_extra_is_there(
    cli, monkeypatch: pytest.MonkeyPatch, index_server: str, multilingual_model_source: ModelSource, tmp_path: Path
) -> None:
    """The convert API (translation.convert, another part of issue 9) as setup calls it:
    a stand-in that imports the synthetic multilingual model instead of converting NLLB."""
    calls = []

    def convert_checkpoint(
        source, packages_dir, *, languages, code=None, version=None, quantization="int8", on_progress=None
    ):  # type: ignore[no-untyped-def]
        calls.append((source, languages))
        source_model = multilingual_model_source
        return import_model(
            source_model.model_dir, source_model.sentencepiece, packages_dir,
            from_code="en", to_code="uz", languages=("en", "uz"), code="nllb-200-distilled-600M",
            source_prefix="__{lang}__", target_prefix="__{lang}__",
        )  # fmt: skip

    monkeypatch.setitem(
        sys.modules, "translation.convert", types.SimpleNamespace(convert_checkpoint=convert_checkpoint)
    )
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"{index_server}/index.json")

    result = cli("models", "setup")

    assert result.exit_code == 0, result.output
    assert calls == [("facebook/nllb-200-distilled-600M", ("az", "tr", "ru", "uz", "en"))]
    assert "converted nllb-200-distilled-600M" in result.stdout
    _assert_every_pair_routes(tmp_path / "data" / "models")


def test_setup_online_with_an_incomplete_convert_extra_says_what_to_install(
    cli, monkeypatch: pytest.MonkeyPatch, index_server: str
) -> None:
    def convert_checkpoint(source, packages_dir, **options):  # type: ignore[no-untyped-def]
        raise ModuleNotFoundError("No module named 'torch'")  # what a lazy import of torch raises

    monkeypatch.setitem(
        sys.modules, "translation.convert", types.SimpleNamespace(convert_checkpoint=convert_checkpoint)
    )
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"{index_server}/index.json")

    result = cli("models", "setup")

    assert result.exit_code == 1 and "No module named 'torch'" in result.stderr
    assert f"to convert one, install the convert extra: {CONVERT_HINT}" in result.stdout.splitlines()


def test_setup_offline_without_a_folder_says_the_index_is_unreachable(cli) -> None:
    result = cli("models", "setup")
    assert result.exit_code == 1
    assert "the package index is unreachable" in result.stderr and "--from DIR" in result.stderr
    assert "blocked: " in result.stdout and "Traceback" not in result.output


def test_export_then_install_keeps_the_digest_and_provisions_an_air_gapped_hub(
    cli, package_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("models", "setup", "--from", str(package_folder)).exit_code == 0
    connected = _installed(cli)
    carried = tmp_path / "usb-stick"
    carried.mkdir()
    for code in connected:
        exported = cli("models", "export", code, str(carried))
        assert exported.exit_code == 0, exported.output
    single = cli("models", "export", "translate-az_en", str(tmp_path / "az_en.argosmodel"))
    assert single.exit_code == 0 and (tmp_path / "az_en.argosmodel").is_file()
    unknown = cli("models", "export", "translate-xx_en", str(carried))
    assert unknown.exit_code == 1 and "translate-xx_en" in unknown.stderr

    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "air-gapped"))
    result = cli("models", "setup", "--from", str(carried))

    assert result.exit_code == 0, result.output
    assert {code: p["digest"] for code, p in _installed(cli).items()} == {
        code: p["digest"] for code, p in connected.items()
    }
    assert cli("models", "remove", "translate-az_en").exit_code == 0
    reinstalled = cli("models", "install", str(tmp_path / "az_en.argosmodel"))
    assert reinstalled.exit_code == 0, reinstalled.output
    assert _installed(cli)["translate-az_en"]["digest"] == connected["translate-az_en"]["digest"]


@pytest.mark.parametrize("source", ["./missing.argosmodel", "translate-az_en.argosmodel", "models/az_en"])
def test_install_of_a_missing_file_says_no_such_file_without_the_network(
    cli, source: str, monkeypatch: pytest.MonkeyPatch, index_server: str, tmp_path: Path
) -> None:
    # A reachable index: asking it would leave a cached copy under the data dir.
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"{index_server}/index.json")
    monkeypatch.chdir(tmp_path)
    result = cli("models", "install", source)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"error: no such file: {source}"
    assert not (tmp_path / "data" / "cache").exists()


def test_install_of_a_folder_points_at_setup_from(cli, package_folder: Path) -> None:
    result = cli("models", "install", str(package_folder))
    assert result.exit_code == 1 and f"ulak models setup --from {package_folder}" in result.stderr
    assert _installed(cli) == {}


def test_available_offline_says_the_index_is_unreachable_and_what_to_do(cli, offline_url: str) -> None:
    result = cli("models", "available")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not a traceback
    _, error = result.stderr.splitlines()  # the data dir, then one line
    assert error.startswith("error: the package index is unreachable") and offline_url in error
    assert "ulak models setup --from DIR" in error and "ULAK_ARGOS_INDEX_URL" in error
