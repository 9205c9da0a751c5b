"""The ``ulak`` command: run the hub, migrate the database, manage agencies and keys."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.agencies import service as agencies
from hub.commands import glossary as glossary_commands
from hub.commands import models as models_commands
from hub.commands import search as search_commands
from hub.commands import translate as translate_commands
from hub.commands.settings import load_settings
from hub.config import Settings
from hub.db import SchemaOutdated, current_revision, make_engine, upgrade
from hub.errors import HubError
from hub.jobs.coverage import blocked_hint
from hub.runtime import HubRuntime
from hub.sweep import sweep, sweep_at_start
from storage import StorageError

app = typer.Typer(help="Ulak: multilingual content-exchange hub for news agencies.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
agencies_app = typer.Typer(help="Member and partner agencies.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agencies_app, name="agencies")
app.add_typer(keys_app, name="keys")
storage_app = typer.Typer(help="The object store.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")
app.add_typer(models_commands.app, name="models")
app.add_typer(glossary_commands.app, name="glossary")
app.add_typer(search_commands.app, name="search")
app.command("translate")(translate_commands.translate)

out = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(1)


def _log_to_stderr() -> None:
    """Our own loggers (ulak.*) at INFO; uvicorn configures its own."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("ulak")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)


def _say_blocked(settings: Settings) -> None:
    hint = blocked_hint(settings)
    if hint is not None:
        # Unwrapped: a command split across lines in a log cannot be pasted.
        err.print(hint, highlight=False, markup=False, soft_wrap=True)


def _runtime() -> HubRuntime:
    # Building a store makes no network call, so these commands work while S3 is down.
    return HubRuntime.from_settings(load_settings())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the hub API (and, by default, an in-process translation worker)."""
    import uvicorn

    from hub.app import create_app
    from hub.server import uvicorn_config

    _log_to_stderr()
    settings = load_settings()
    try:
        runtime = HubRuntime.from_settings(settings)
        app_ = create_app(settings, runtime=runtime)
    except SchemaOutdated as exc:
        raise _fail(str(exc)) from None
    except HubError as exc:
        raise _fail(exc.detail) from None
    except StorageError as exc:
        raise _fail(f"the object store is not usable: {exc}") from None
    with runtime.read() as session:
        if not agencies.list_agencies(session):
            err.print(
                "No agencies yet. Create one and a key for it:\n"
                "  ulak agencies create azertac --name 'AZERTAC' --country AZ\n"
                "  ulak keys create azertac --scopes push,pull",
                highlight=False,
            )
    if settings.embedded_worker:  # else the workers' hosts have the models, and say so
        _say_blocked(settings)
    uvicorn.Server(uvicorn_config(app_, host=host, port=port, log_level="info")).run()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="worker loops in this process")] = 1,
    webhook_loops: Annotated[
        int, typer.Option(min=0, help="webhook delivery loops in this process (each sends one subscription at a time)")
    ] = 2,
) -> None:
    """Run translation workers and webhook deliveries against the configured database (any number of them)."""
    from hub.db import check_schema
    from hub.jobs.runner import EmbeddedWorker

    _log_to_stderr()
    settings = load_settings()
    runtime = HubRuntime.from_settings(settings)
    try:
        check_schema(runtime.engine)
    except SchemaOutdated as exc:
        raise _fail(str(exc)) from None
    _say_blocked(settings)
    sweep_at_start(runtime)
    EmbeddedWorker(runtime, concurrency=concurrency, deliveries=webhook_loops).run_forever()


@app.command("worker-health")
def worker_health(
    max_age: Annotated[
        float, typer.Option(min=1, help="seconds since a worker loop last reported; longer than a batch takes")
    ] = 600.0,
) -> None:
    """Exit 0 when a worker on this data dir polled within --max-age seconds, else 1: a
    container healthcheck for `ulak worker` (each loop touches <data dir>/worker.alive)."""
    import time

    from hub.jobs.worker import alive_path

    path = alive_path(load_settings())
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        raise _fail(f"no worker has run on this data dir ({path} is missing)") from None
    if age > max_age:
        raise _fail(f"the last worker loop reported {age:.0f} s ago (more than {max_age:.0f} s)")
    out.print(f"worker alive: last loop {age:.0f} s ago", highlight=False)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Create or migrate the database schema (and index existing stories for search when
    the upgrade creates the search index)."""
    settings = load_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        before = current_revision(engine)
    finally:
        engine.dispose()
    upgrade(settings.resolved_database_url, revision)
    out.print(f"database at {revision}", highlight=False)
    indexed = search_commands.reindex_if_created(settings, before, revision)
    if indexed is not None:
        out.print(f"search index created: {indexed} language version(s) indexed", highlight=False)


@agencies_app.command("create")
def agencies_create(
    code: Annotated[str, typer.Argument(help="short lowercase code, e.g. azertac")],
    name: Annotated[str, typer.Option(help="display name")],
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2")] = None,
    partner: Annotated[bool, typer.Option("--partner", help="a partner newsroom rather than a member agency")] = False,
) -> None:
    """Register an agency."""
    runtime = _runtime()
    try:
        with runtime.write() as session:
            agency = agencies.create_agency(session, code, name=name, country=country, is_partner=partner)
            out.print(f"created agency {agency.code}", highlight=False)
    except HubError as exc:
        raise _fail(exc.detail) from None
    except SchemaOutdated as exc:
        raise _fail(str(exc)) from None


@agencies_app.command("list")
def agencies_list() -> None:
    """List agencies."""
    with _runtime().read() as session:
        table = Table("code", "name", "country", "partner")
        for a in agencies.list_agencies(session):
            table.add_row(a.code, a.name, a.country or "", "yes" if a.is_partner else "")
    out.print(table)


@keys_app.command("create")
def keys_create(
    code: Annotated[str, typer.Argument(help="agency code")],
    scopes: Annotated[
        str | None,
        typer.Option(help="comma-separated: push, pull, edit, admin [default: push,pull; pull for a partner]"),
    ] = None,
    languages: Annotated[
        str | None,
        typer.Option(help="comma-separated languages an edit key may post-edit (required with edit), e.g. tr"),
    ] = None,
) -> None:
    """Create an API key. Prints only the key on stdout (capture it: KEY=$(ulak keys create …))."""
    runtime = _runtime()
    try:
        with runtime.write() as session:
            created = agencies.create_key(session, code, scopes, languages=languages)
    except HubError as exc:
        raise _fail(exc.detail) from None
    edits = f"; edits {','.join(created.languages)}" if created.languages else ""
    err.print(
        f"key {created.key_id} for {created.agency_code} ({','.join(created.scopes)}{edits}); it is shown only now",
        highlight=False,
    )
    print(created.plaintext)


@keys_app.command("list")
def keys_list(code: Annotated[str, typer.Argument(help="agency code")]) -> None:
    """List an agency's keys (ids and scopes, never the secrets)."""
    try:
        with _runtime().read() as session:
            rows = agencies.list_keys(session, code)
    except HubError as exc:
        raise _fail(exc.detail) from None
    table = Table("key id", "scopes", "languages", "created", "revoked")
    for k in rows:
        table.add_row(
            k.id,
            k.scopes,
            k.languages or "",
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key id (the part after 'ulak_')")]) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    try:
        with _runtime().write() as session:
            agencies.revoke_key(session, key_id)
    except HubError as exc:
        raise _fail(exc.detail) from None
    out.print(f"revoked {key_id}", highlight=False)


@storage_app.command("sweep")
def storage_sweep(
    older_than_hours: Annotated[float, typer.Option(min=0, help="remove leftovers older than this")] = 24.0,
) -> None:
    """Remove uploads that crashed writers left half-done (staging objects, spooled files).
    `ulak serve` and `ulak worker` do this at start with the default age."""
    try:
        result = sweep(_runtime(), older_than=timedelta(hours=older_than_hours))
    except StorageError as exc:
        raise _fail(f"the object store is unavailable: {exc}") from None
    out.print(
        f"removed {result.staged_objects} staged object(s), {result.spooled_files} spooled upload(s)", highlight=False
    )


def main() -> None:
    app()
