"""The object-store side of `ulak models`: store what a command installed, `publish`, and
where `list` finds each package (here, in the store, or both)."""

from __future__ import annotations

from collections.abc import Sequence

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from hub.config import Settings
from hub.models import StoredPackage
from hub.packages.service import catalogue, publish
from hub.runtime import HubRuntime
from storage import StorageError
from translation.packages import PackageInfo, installed_packages

PUBLISH_LATER = "run `ulak models publish` once the database and the object store are reachable"


def store_installed(settings: Settings, infos: Sequence[PackageInfo]) -> None:
    """Keep packages a command just installed in the object store, for every worker. A
    failure leaves them installed here and says how to store them later."""
    if not settings.resolved_models_in_store or not infos:
        return
    runtime = HubRuntime.from_settings(settings)
    try:
        for info in infos:
            done = publish(runtime, info)
            where = "stored in the object store" if done.stored_now else "already in the object store"
            typer.echo(f"{where}: {info.code} {info.version} ({info.short_digest})")
    except (SQLAlchemyError, StorageError, OSError) as exc:  # the install itself succeeded
        typer.echo(
            f"installed here, but not stored for other machines ({type(exc).__name__}): {PUBLISH_LATER}", err=True
        )
    finally:
        runtime.close()


def publish_command(settings: Settings, codes: Sequence[str]) -> None:
    """Store installed packages (all, or ``codes``) in the object store."""
    installed = installed_packages(settings.resolved_models_dir)
    chosen = [p for p in installed if not codes or p.code in codes]
    unknown = sorted(set(codes) - {p.code for p in installed})
    if unknown:
        typer.echo(f"error: not installed here: {', '.join(unknown)}", err=True)
        raise typer.Exit(1)
    runtime = HubRuntime.from_settings(settings)
    try:
        for info in chosen:
            done = publish(runtime, info)
            verb = "stored" if done.stored_now else "already stored"
            typer.echo(f"{verb}: {info.code} {info.version} ({info.short_digest}) as {done.package.object_key}")
    finally:
        runtime.close()


def stored_packages(settings: Settings) -> tuple[list[StoredPackage], str | None]:
    """The catalogue, or why it could not be read (list still shows what is installed)."""
    runtime = HubRuntime.from_settings(settings)
    try:
        return list(catalogue(runtime)), None
    except (SQLAlchemyError, StorageError, OSError) as exc:
        return [], f"the stored packages could not be read ({type(exc).__name__})"
    finally:
        runtime.close()


def where_table(installed: Sequence[PackageInfo], stored: Sequence[StoredPackage], *, in_store: bool) -> Table:
    """One row per package digest: installed here, stored, or both (the last two columns
    only when the hub keeps models in the store)."""
    here = {p.digest: p for p in installed}
    kept = {s.digest: s for s in stored}
    table = Table("code", "version", "from", "to", "languages")
    table.add_column("digest", no_wrap=True, min_width=12)
    if in_store:
        table.add_column("here")
        table.add_column("store")
    for digest in sorted(here.keys() | kept.keys(), key=lambda d: (_code(here, kept, d), d)):
        local, remote = here.get(digest), kept.get(digest)
        if local is not None:
            row = (local.code, local.version, local.from_code, local.to_code, ", ".join(local.languages))
        else:
            assert remote is not None
            metadata = remote.package_metadata
            languages = ", ".join(metadata.get("languages") or [])
            row = (remote.code, remote.version, str(metadata.get("from_code")), str(metadata.get("to_code")), languages)
        where = ("yes" if local else "—", "yes" if remote else "—") if in_store else ()
        table.add_row(*row, digest[:12], *where)
    return table


def _code(here: dict[str, PackageInfo], kept: dict[str, StoredPackage], digest: str) -> str:
    return here[digest].code if digest in here else kept[digest].code


def stored_digests(settings: Settings) -> set[str] | None:
    """For ``list --json``: the digests in the store, None when models are not kept there."""
    if not settings.resolved_models_in_store:
        return None
    return {package.digest for package in stored_packages(settings)[0]}


def print_where(settings: Settings, installed: Sequence[PackageInfo]) -> None:
    stored, problem = stored_packages(settings) if settings.resolved_models_in_store else ([], None)
    if problem:
        typer.echo(f"note: {problem}; showing this machine's packages only", err=True)
    Console().print(where_table(installed, stored, in_store=settings.resolved_models_in_store))
