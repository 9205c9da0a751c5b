"""`ulak models …`: list, install, import, convert and remove translation packages.

Thin: settings come from ``load_settings()`` (which names the data dir on stderr), the work
is done by ``translation.packages``, ``translation.index`` and ``translation.convert``; errors print one line to
stderr and exit 1.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from hub.commands.settings import load_settings
from hub.config import Settings
from translation.convert import convert_checkpoint
from translation.errors import TranslationError
from translation.index import download, find_entry, load_index
from translation.packages import PackageInfo, import_model, install_archive, installed_packages, remove_package

app = typer.Typer(help="Manage offline translation packages (Argos format).", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except TranslationError as exc:
        _fail(str(exc))


def _index_cache(settings: Settings) -> Path:
    return settings.data_dir / "cache" / "argos-index.json"


def _print_installed(info: PackageInfo, verb: str) -> None:
    languages = f" (languages: {', '.join(info.languages)})" if info.languages else ""
    typer.echo(f"{verb} {info.code} {info.version}: {info.from_code} → {info.to_code}{languages}")


@app.command("available")
def available(
    json_output: JsonOption = False,
    refresh: Annotated[bool, typer.Option(help="fetch the index even if the cached copy is fresh")] = False,
) -> None:
    """Packages the Argos index offers (cached under the data dir)."""
    settings = load_settings()
    with _errors():
        entries = load_index(settings.argos_index_url, _index_cache(settings), refresh=refresh)
    installed = {p.code: p.version for p in installed_packages(settings.resolved_models_dir)}
    if json_output:
        rows = [e.to_dict() | {"installed": installed.get(e.code)} for e in entries]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("code", "version", "from", "to", "installed")
    for e in entries:
        table.add_row(
            e.code, e.version, f"{e.from_code} ({e.from_name})", f"{e.to_code} ({e.to_name})", installed.get(e.code, "")
        )
    Console().print(table)


def _download_with_progress(url: str, dest: Path) -> Path:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    # A bar is for a human at a terminal; in logs and pipes it would only add noise.
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"downloading {url.rsplit('/', 1)[-1]}", total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        return download(url, dest, on_progress=update)


@app.command("install")
def install(
    source: Annotated[
        str, typer.Argument(help="an index code (translate-az_en or az_en), an .argosmodel file or a URL")
    ],
) -> None:
    """Install a package atomically: validated first, a broken file installs nothing."""
    settings = load_settings()
    packages_dir = settings.resolved_models_dir
    with _errors():
        if Path(source).is_file():
            info = install_archive(Path(source), packages_dir)
        else:
            if source.startswith(("http://", "https://")):
                url = source
            else:
                entry = find_entry(load_index(settings.argos_index_url, _index_cache(settings)), source)
                if not entry.links:
                    _fail(f"the index lists no download link for {entry.code}")
                url = entry.links[0]
            packages_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=packages_dir, prefix=".download-") as scratch:
                archive = _download_with_progress(url, Path(scratch) / "package.argosmodel")
                info = install_archive(archive, packages_dir)
    _print_installed(info, "installed")


@app.command("list")
def list_installed(json_output: JsonOption = False) -> None:
    """Installed packages."""
    packages = installed_packages(load_settings().resolved_models_dir)
    if json_output:
        typer.echo(json.dumps([p.to_dict() for p in packages], ensure_ascii=False, indent=2))
        return
    table = Table("code", "version", "from", "to", "languages", "digest")
    for p in packages:
        table.add_row(p.code, p.version, p.from_code, p.to_code, ", ".join(p.languages), p.short_digest)
    Console().print(table)


@app.command("remove")
def remove(code: Annotated[str, typer.Argument(help="package code, e.g. translate-az_en")]) -> None:
    """Remove an installed package (every version of it)."""
    with _errors():
        info = remove_package(load_settings().resolved_models_dir, code)
    _print_installed(info, "removed")


def _parse_languages(value: str) -> tuple[tuple[str, ...], dict[str, str]]:
    # "en,uz" or, when the model's tokens are not the codes (NLLB), "en=eng_Latn,uz=uzn_Latn".
    languages, tokens = [], {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        code, _, token = item.partition("=")
        languages.append(code.strip())
        if token:
            tokens[code.strip()] = token.strip()
    return tuple(languages), tokens


@app.command("import")
def import_(
    model_dir: Annotated[Path, typer.Option("--model-dir", help="a CTranslate2 model directory")],
    sentencepiece: Annotated[Path, typer.Option("--sentencepiece", help="the model's SentencePiece file")],
    from_code: Annotated[str, typer.Option("--from", help="source language code")],
    to_code: Annotated[str, typer.Option("--to", help="target language code")],
    source_prefix: Annotated[
        str, typer.Option(help="token(s) put before each source sentence; {lang} = language token")
    ] = "",
    target_prefix: Annotated[
        str, typer.Option(help="token(s) forcing the output language; {lang} = language token")
    ] = "",
    languages: Annotated[
        str, typer.Option(help="multilingual: every language served, e.g. az,tr,uz or uz=uzn_Latn")
    ] = "",
    version: Annotated[
        str | None, typer.Option(help="package version (default: 1.0+DIGEST, so a changed model gets a new one)")
    ] = None,
    code: Annotated[str | None, typer.Option(help="package code (default translate-FROM_TO)")] = None,
) -> None:
    """Package an existing CTranslate2 model (M2M-100, NLLB, OPUS-MT…) and install it."""
    codes, tokens = _parse_languages(languages)
    with _errors():
        info = import_model(
            model_dir,
            sentencepiece,
            load_settings().resolved_models_dir,
            from_code=from_code,
            to_code=to_code,
            version=version,
            code=code,
            languages=codes,
            language_tokens=tokens,
            source_prefix=source_prefix,
            target_prefix=target_prefix,
        )
    _print_installed(info, "imported")


@app.command("convert")
def convert(
    source: Annotated[
        str, typer.Argument(help="a Transformers checkpoint directory, or a model id (fetched: needs the network)")
    ],
    languages: Annotated[
        str,
        typer.Option(help="languages to serve, e.g. az,tr,ru,uz,en (Marian: FROM,TO); uz=uzn_Latn names a token"),
    ],
    code: Annotated[str | None, typer.Option(help="package code (default: from the checkpoint's name)")] = None,
    version: Annotated[str | None, typer.Option(help="package version (default: 1.0+DIGEST)")] = None,
    quantization: Annotated[str, typer.Option(help="CTranslate2 quantization; 'none' keeps the weights")] = "int8",
) -> None:
    """Convert an NLLB-200, M2M-100 or OPUS-MT checkpoint with CTranslate2 and install it.

    Needs the convert extra: pip install torch==2.13.0 'ulak[convert]'.
    """
    settings = load_settings()
    codes, tokens = _parse_languages(languages)
    console = Console(stderr=True)
    with _errors():
        if console.is_terminal:
            with console.status("converting") as status:

                def show(message: str) -> None:
                    # Each step stays on screen; the spinner says what runs now.
                    console.print(f"• {message}", markup=False, highlight=False)
                    status.update(message)

                info = _convert(source, settings, codes, tokens, code, version, quantization, show)
        else:
            info = _convert(
                source, settings, codes, tokens, code, version, quantization, lambda m: typer.echo(m, err=True)
            )
    _print_installed(info, "converted and installed")
    typer.echo(f"license: {info.license}; source: {info.source}")


def _convert(
    source: str,
    settings: Settings,
    codes: tuple[str, ...],
    tokens: dict[str, str],
    code: str | None,
    version: str | None,
    quantization: str,
    on_progress: Callable[[str], None],
) -> PackageInfo:
    return convert_checkpoint(
        source,
        settings.resolved_models_dir,
        languages=codes,
        language_tokens=tokens,
        code=code,
        version=version,
        quantization=None if quantization == "none" else quantization,
        on_progress=on_progress,
    )
