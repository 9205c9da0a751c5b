"""`ulak models …`: list, install, import, convert, export and remove translation packages; set up a hub.

Thin: settings come from ``load_settings()`` (which names the data dir on stderr), the work
is done by ``translation.packages``, ``translation.index`` and ``translation.convert``; errors print one line to
stderr and exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from hub.commands.argos_index import install_from_url, load_argos_index
from hub.commands.settings import load_settings
from hub.commands.stored_models import print_where, publish_command, store_installed, stored_digests
from hub.config import Settings
from hub.jobs.coverage import MULTILINGUAL_CHECKPOINT, blocked_hint
from translation.convert import INSTALL_HINT, convert_checkpoint
from translation.errors import ConverterMissing, IndexUnavailable, ModelNotInstalled, TranslationError
from translation.index import find_entry
from translation.packages import (
    PackageInfo,
    import_model,
    install_archive,
    installed_packages,
    remove_package,
    write_archive,
)
from translation.provision import (
    Offer,
    blocked_languages,
    describe,
    missing_pairs,
    offers_from_folder,
    offers_from_index,
    plan_additions,
)

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


def _print_installed(info: PackageInfo, verb: str, *, store: bool = True) -> None:
    """Say what changed; an installed package is also kept in the object store when the
    hub keeps models there (ULAK_MODELS_IN_STORE), for the workers of other machines."""
    languages = f" (languages: {', '.join(info.languages)})" if info.languages else ""
    typer.echo(f"{verb} {info.code} {info.version}: {info.from_code} → {info.to_code}{languages}")
    if store:
        store_installed(load_settings(), [info])


@app.command("available")
def available(
    json_output: JsonOption = False,
    refresh: Annotated[bool, typer.Option(help="fetch the index even if the cached copy is fresh")] = False,
) -> None:
    """Packages the Argos index offers (cached under the data dir)."""
    settings = load_settings()
    with _errors():
        entries = load_argos_index(settings, refresh=refresh)
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


def _looks_like_path(source: str) -> bool:
    return "/" in source or "\\" in source or source.endswith(".argosmodel")


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
        if source.startswith(("http://", "https://")):
            info = install_from_url(source, packages_dir)
        elif Path(source).is_file():
            info = install_archive(Path(source), packages_dir)
        elif Path(source).is_dir():
            _fail(
                f"{source} is a folder, not a package file (to install what it holds: ulak models setup --from {source})"
            )
        elif _looks_like_path(source):
            # A mistyped file name is not an index code: asking the index would only add a
            # network error (offline) or "no package" to the real problem.
            _fail(f"no such file: {source}")
        else:
            entry = find_entry(load_argos_index(settings), source)
            if not entry.links:
                _fail(f"the index lists no download link for {entry.code}")
            info = install_from_url(entry.links[0], packages_dir)
    _print_installed(info, "installed")


@app.command("list")
def list_installed(json_output: JsonOption = False) -> None:
    """Installed packages; on stderr, the configured languages they cannot reach and the fix."""
    settings = load_settings()
    packages = installed_packages(settings.resolved_models_dir)
    if (hint := blocked_hint(settings)) is not None:
        typer.echo(hint, err=True)
    if json_output:
        stored = stored_digests(settings)
        rows = [p.to_dict() | ({"stored": p.digest in stored} if stored is not None else {}) for p in packages]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print_where(settings, packages)


@app.command("publish")
def publish(
    codes: Annotated[list[str] | None, typer.Argument(help="package codes (default: every installed package)")] = None,
) -> None:
    """Store installed packages in the object store, so workers on other machines fetch
    them (install, import and convert do it themselves when ULAK_MODELS_IN_STORE is on)."""
    publish_command(load_settings(), codes or [])


@app.command("remove")
def remove(code: Annotated[str, typer.Argument(help="package code, e.g. translate-az_en")]) -> None:
    """Remove an installed package (every version of it)."""
    with _errors():
        info = remove_package(load_settings().resolved_models_dir, code)
    _print_installed(info, "removed", store=False)


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


@app.command("export")
def export(
    code: Annotated[str, typer.Argument(help="installed package code, e.g. translate-az_en")],
    file: Annotated[Path, typer.Argument(help="the .argosmodel file to write (or a folder to write it in)")],
) -> None:
    """Write an installed package as an .argosmodel that `install` and `setup --from` accept."""
    settings = load_settings()
    matches = [p for p in installed_packages(settings.resolved_models_dir) if p.code == code]
    if not matches:
        _fail(str(ModelNotInstalled(f"package {code!r} is not installed")))
    info = matches[0]
    dest = file / f"{info.code}-{info.version}.argosmodel" if file.is_dir() else file
    if not dest.parent.is_dir():
        _fail(f"no such folder: {dest.parent}")
    try:
        write_archive(info.path, dest)
    except OSError as exc:
        _fail(f"cannot write {dest}: {exc.strerror or exc}")
    typer.echo(f"exported {info.code} {info.version} (digest {info.short_digest}) to {dest}")


def _pairs_text(lang: str, pairs: list[tuple[str, str]]) -> str:
    into = [target for source, target in pairs if source == lang]
    out_of = [source for source, target in pairs if target == lang]
    parts = [f"{lang} → {', '.join(into)}"] if into else []
    parts += [f"{', '.join(out_of)} → {lang}"] if out_of else []
    return "; ".join(parts)


def _offers(settings: Settings, from_dir: Path | None) -> tuple[list[Offer], str | None]:
    """The packages on offer, and why languages may stay blocked; None as the reason: online."""
    if from_dir is not None:
        if not from_dir.is_dir():
            _fail(f"no such folder: {from_dir}")
        offers, skipped = offers_from_folder(from_dir)
        for reason in skipped:
            typer.echo(f"skipped {reason}", err=True)
        return offers, f"no package file in {from_dir} serves them"
    try:
        return offers_from_index(load_argos_index(settings)), None
    except IndexUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        return [], "the package index is unreachable"


def _converter() -> Callable[..., PackageInfo] | None:
    # Looked up at call time, so a test can stand in for it (or hide it, as a missing extra).
    try:
        from translation.convert import convert_checkpoint as converter
    except ImportError:
        return None
    return converter


def _convert_for_setup(checkpoint: str, packages_dir: Path, languages: tuple[str, ...]) -> bool | None:
    """Convert a multilingual checkpoint (downloads it) for ``languages``: True if it worked,
    False if it failed, None if the convert extra is missing."""
    convert_checkpoint = _converter()
    if convert_checkpoint is None:
        return None
    typer.echo(f"converting {checkpoint} for {', '.join(languages)} (downloads the checkpoint)")
    try:
        info = convert_checkpoint(checkpoint, packages_dir, languages=languages)
    except ConverterMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        return None
    except ImportError as exc:  # the extra's own heavy imports are lazy too
        typer.echo(f"error: the convert extra is incomplete ({exc})", err=True)
        return None
    except TranslationError as exc:
        typer.echo(f"error: {exc}", err=True)
        return False
    _print_installed(info, "converted")
    return True


@app.command("setup")
def setup(
    from_dir: Annotated[
        Path | None,
        typer.Option("--from", help="a folder of package files (e.g. copied from a connected hub); no network"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan and install nothing")] = False,
    checkpoint: Annotated[
        str, typer.Option(help="multilingual checkpoint converted (online) for languages the index lacks")
    ] = MULTILINGUAL_CHECKPOINT,
) -> None:
    """Install what ULAK_TARGET_LANGUAGES need: every ordered pair of them becomes translatable.

    Packages come from --from DIR, else from the Argos index (ULAK_ARGOS_INDEX_URL); pairs neither
    covers need a converted multilingual model. Exits 1 while languages stay blocked.
    """
    settings = load_settings()
    packages_dir, languages = settings.resolved_models_dir, settings.target_languages
    installed = installed_packages(packages_dir)
    missing = missing_pairs(installed, languages)
    everything = f"every pair of {', '.join(languages)} can be translated"
    if not missing:
        typer.echo(f"ready: {everything}; nothing to install")
        return
    total = len(languages) * (len(languages) - 1)
    typer.echo(f"{len(missing)} of {total} pairs of {', '.join(languages)} cannot be translated yet")
    offers, offline_reason = _offers(settings, from_dir)
    plan = plan_additions(installed, offers, languages)
    remaining = list(plan.remaining)
    for offer in plan.add:
        if dry_run:
            typer.echo(f"would install {describe(offer)} from {offer.location}")
            continue
        try:
            if offer.location.startswith(("http://", "https://")):
                info = install_from_url(offer.location, packages_dir)
            else:
                info = install_archive(Path(offer.location), packages_dir)
        except TranslationError as exc:
            typer.echo(f"error: {offer.package.code}: {exc}", err=True)
            continue
        _print_installed(info, "installed")
    if not dry_run:
        remaining = missing_pairs(installed_packages(packages_dir), languages)
    online = offline_reason is None
    extra_missing = _converter() is None
    if remaining and online and not extra_missing:
        if dry_run:
            typer.echo(f"would convert {checkpoint} for {', '.join(languages)}")
            remaining = []
        else:
            converted = _convert_for_setup(checkpoint, packages_dir, languages)
            extra_missing = converted is None
            if converted:
                remaining = missing_pairs(installed_packages(packages_dir), languages)
    if not remaining:
        typer.echo(f"ready: {everything}" if not dry_run else f"the plan makes {everything}")
        return
    reason = offline_reason or "the Argos index has no package for them; a multilingual model is needed"
    for lang, pairs in blocked_languages(remaining).items():
        typer.echo(f"blocked: {lang} ({_pairs_text(lang, pairs)}): {reason}")
    if online and extra_missing:
        command = f"ulak models convert {checkpoint} --languages {','.join(languages)}"
        typer.echo(f"to convert one, install the convert extra: {INSTALL_HINT}")
        typer.echo(f"then run: {command}")
    raise typer.Exit(1)


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

                info = _run_conversion(source, settings, codes, tokens, code, version, quantization, show)
        else:
            info = _run_conversion(
                source, settings, codes, tokens, code, version, quantization, lambda m: typer.echo(m, err=True)
            )
    _print_installed(info, "converted and installed")
    typer.echo(f"license: {info.license}; source: {info.source}")


def _run_conversion(
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
