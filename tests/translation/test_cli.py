"""`ulak models …` and `ulak translate` through the CLI, against a local package index.

The index is the real Argos snapshot served by an HTTP server in a thread, its links
rewritten to synthetic .argosmodel files (nothing is downloaded from outside).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sentencepiece as spm
import typer
from typer.testing import CliRunner

from hub.commands import models, translate
from translation.packages import installed_packages


def _cli() -> typer.Typer:
    # Mounted as hub/cli.py mounts them.
    app = typer.Typer()
    app.add_typer(models.app, name="models")
    app.command("translate")(translate.translate)
    return app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_server: str) -> Iterator:
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"{index_server}/index.json")
    monkeypatch.setenv("ULAK_TRANSLATION_THREADS", "1")
    runner, app = CliRunner(), _cli()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    yield invoke


def _installed(cli) -> list[dict]:
    result = cli("models", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_available_lists_the_index_and_is_cached(cli, tmp_path: Path) -> None:
    result = cli("models", "available", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)

    assert len(rows) == 96
    assert {"code", "version", "from_code", "to_code", "links", "installed"} <= set(rows[0])
    pairs = {(r["from_code"], r["to_code"]) for r in rows}
    assert {("az", "en"), ("en", "az"), ("tr", "en"), ("ru", "en"), ("en", "ky")} <= pairs
    assert not any("uz" in pair for pair in pairs)
    assert [r["code"] for r in rows] == sorted(r["code"] for r in rows)
    assert (tmp_path / "data" / "cache" / "argos-index.json").is_file()
    # Cached: the same listing again, byte for byte, even with the index URL now unreachable.
    again = cli("models", "available", "--json")
    assert again.stdout == result.stdout


def test_available_without_index_or_cache_fails_cleanly(
    cli, monkeypatch: pytest.MonkeyPatch, index_server: str
) -> None:
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"{index_server}/no-such-index.json")
    result = cli("models", "available")
    assert result.exit_code == 1
    assert "no-such-index.json" in result.stderr


def test_install_by_code_from_the_index(cli) -> None:
    result = cli("models", "install", "translate-az_en")
    assert result.exit_code == 0, result.output
    short = cli("models", "install", "en_az")
    assert short.exit_code == 0, short.output

    assert [(p["code"], p["from_code"], p["to_code"]) for p in _installed(cli)] == [
        ("translate-az_en", "az", "en"),
        ("translate-en_az", "en", "az"),
    ]
    listed = json.loads(cli("models", "available", "--json").stdout)
    assert {r["code"]: r["installed"] for r in listed}["translate-az_en"] == "1.0"


def test_install_failures_install_nothing(cli, index_server: str, tmp_path: Path) -> None:
    unknown = cli("models", "install", "translate-xx_en")
    missing = cli("models", "install", "translate-ky_en")  # listed, but its file 404s
    broken = cli("models", "install", f"{index_server}/broken.argosmodel")
    local = tmp_path / "local.argosmodel"
    local.write_bytes(b"nope")
    broken_file = cli("models", "install", str(local))

    for result in (unknown, missing, broken, broken_file):
        assert result.exit_code == 1
        data_dir, error = result.stderr.splitlines()  # the data dir used, then one line of error
        assert data_dir.startswith("data dir: ") and error.startswith("error:")
    assert "translate-xx_en" in unknown.stderr and "404" in missing.stderr
    assert _installed(cli) == []
    assert not [p for p in (tmp_path / "data" / "models").iterdir()]


def test_install_file_list_and_remove(cli, synthetic_archives: dict[str, Path]) -> None:
    assert cli("models", "install", str(synthetic_archives["translate-ru_en"])).exit_code == 0
    assert [p["code"] for p in _installed(cli)] == ["translate-ru_en"]

    removed = cli("models", "remove", "translate-ru_en")
    assert removed.exit_code == 0 and _installed(cli) == []
    again = cli("models", "remove", "translate-ru_en")
    assert again.exit_code == 1 and "translate-ru_en" in again.stderr


def test_import_multilingual_model_serves_uzbek_direct_and_by_pivot(
    cli, multilingual_model_source, synthetic_archives
) -> None:
    source = multilingual_model_source
    imported = cli(
        "models", "import",
        "--model-dir", str(source.model_dir),
        "--sentencepiece", str(source.sentencepiece),
        "--from", "en", "--to", "uz",
        "--languages", "en,uz",
        "--source-prefix", "__{lang}__",
        "--target-prefix", "__{lang}__",
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert cli("models", "install", "translate-az_en").exit_code == 0
    [multilingual] = [p for p in _installed(cli) if p["languages"]]
    assert multilingual["languages"] == ["en", "uz"]

    english = "The president held a meeting in Tashkent.\n\nOil export grew."
    direct = cli("translate", "--source", "en", "--target", "uz", "-", input=english)
    assert direct.exit_code == 0, direct.output
    out = json.loads(direct.stdout)
    assert list(out) == ["uz"] and out["uz"].count("\n\n") == 1 and "__" not in out["uz"]

    azeri = "Prezident Bakı şəhərində görüş keçirib. Neft ixracı artıb."
    pivot = cli("translate", "--source", "az", "--target", "uz", "--target", "en", "-", input=azeri)
    assert pivot.exit_code == 0, pivot.output
    out = json.loads(pivot.stdout)
    assert list(out) == ["uz", "en"] and "__" not in out["uz"]
    # Deterministic, and what the translation memory answered equals what the models produce.
    fresh = cli("translate", "--source", "az", "--target", "uz", "--target", "en", "--no-memory", "-", input=azeri)
    assert json.loads(fresh.stdout) == out


def test_translate_html_file_and_unsupported_target(cli, synthetic_archives, tmp_path: Path) -> None:
    assert cli("models", "install", str(synthetic_archives["translate-tr_en"])).exit_code == 0
    page = tmp_path / "story.html"
    page.write_text("<p>Cumhurbaşkanı <i>Ankara'da</i> toplantı düzenledi.</p><p>Ekonomi büyüdü.</p>", encoding="utf-8")

    result = cli("translate", "--source", "tr", "--target", "en", "--target", "ru", "--html", str(page))

    assert result.exit_code == 1  # ru has no package: reported, en still printed
    out = json.loads(result.stdout)
    assert list(out) == ["en"]
    assert out["en"].startswith("<p>") and out["en"].count("<p>") == 2 and "<i>" in out["en"]
    assert "translate-en_ru" in result.stderr


def test_import_without_version_gets_one_from_the_content_and_list_shows_the_digest(
    cli, replaced_model_sources
) -> None:
    def imported(source) -> dict:
        result = cli(
            "models", "import",
            "--model-dir", str(source.model_dir),
            "--sentencepiece", str(source.sentencepiece),
            "--from", "az", "--to", "en",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        [package] = _installed(cli)
        return package

    first = imported(replaced_model_sources[0])
    again = imported(replaced_model_sources[0])
    changed = imported(replaced_model_sources[1])

    assert changed["version"] != first["version"] == again["version"]
    assert first["version"] == f"1.0+{first['digest'][:12]}" and changed["digest"] != first["digest"]
    table = cli("models", "list")
    assert changed["digest"][:12] in table.stdout and changed["digest"] not in table.stdout


def test_translate_uses_the_workers_decoding_lengths(
    cli, synthetic_archives, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`ulak translate` builds the worker's engine, so the decoding lengths set for the
    worker (ULAK_TRANSLATION_MIN/MAX_DECODING_LENGTH) bound the command's output too."""
    assert cli("models", "install", str(synthetic_archives["translate-tr_en"])).exit_code == 0
    text = "Cumhurbaşkanı Ankara'da uzun bir toplantı düzenledi ve ekonomi hakkında konuştu."

    def translated(*, min_length: int, max_length: int) -> str:
        monkeypatch.setenv("ULAK_TRANSLATION_MIN_DECODING_LENGTH", str(min_length))
        monkeypatch.setenv("ULAK_TRANSLATION_MAX_DECODING_LENGTH", str(max_length))
        result = cli("translate", "--source", "tr", "--target", "en", "--no-memory", "-", input=text)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["en"]

    # Counted in the model's own pieces (the synthetic vocabulary re-encodes its output
    # piece for piece). The synthetic model stops after a few tokens unless made to go
    # on: at least 20, then cut at exactly 20 or left to run to its end of sentence. (With
    # beam search the cut output need not be the start of the uncut one.)
    pieces = spm.SentencePieceProcessor(
        model_file=str(installed_packages(tmp_path / "data" / "models")[0].sentencepiece_path)
    )

    def length(text: str) -> int:
        return len(pieces.encode(text))

    free = translated(min_length=1, max_length=256)
    cut = translated(min_length=20, max_length=20)
    uncut = translated(min_length=20, max_length=256)
    assert length(free) < 20 == length(cut) < length(uncut)
    # --no-memory still keeps the command away from the memory the worker shares.
    assert not (tmp_path / "data" / "translation-memory.sqlite3").exists()
    remembered = cli("translate", "--source", "tr", "--target", "en", "-", input=text)
    assert remembered.exit_code == 0 and (tmp_path / "data" / "translation-memory.sqlite3").exists()


def test_list_says_which_languages_are_blocked_and_what_fixes_it(
    cli, synthetic_archives, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ULAK_TARGET_LANGUAGES", "az,tr,uz,en")
    for result in (cli("models", "list"), cli("models", "list", "--json")):
        assert result.exit_code == 0
        assert "Translation is blocked" in result.stderr
        assert "  tr (Turkish) from az, uz, en\n" in result.stderr
        assert "  ulak models setup\n" in result.stderr
        assert "  ulak models install translate-az_en\n  ulak models install translate-en_az\n" in result.stderr
    assert json.loads(cli("models", "list", "--json").stdout) == []  # stdout stays JSON

    for code in ("translate-az_en", "translate-en_az", "translate-en_tr", "translate-en_uz"):
        assert cli("models", "install", str(synthetic_archives[code])).exit_code == 0
    partial = cli("models", "list").stderr
    # Nothing carries Turkish to English (the multilingual en/uz package carries Uzbek), so
    # only Turkish stories are blocked, in every other language.
    assert "  az (Azerbaijani) from tr\n" in partial and "  en (English) from tr\n" in partial
    assert "  uz (Uzbek) from tr\n" in partial and "tr (Turkish) from" not in partial
    assert "install translate-tr_en" in partial and "install translate-en_tr" not in partial
    assert "translate-az_en" not in partial

    assert cli("models", "install", str(synthetic_archives["translate-tr_en"])).exit_code == 0
    monkeypatch.setenv("ULAK_TARGET_LANGUAGES", "az,tr,en")
    assert "blocked" not in cli("models", "list").stderr
