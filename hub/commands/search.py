"""`ulak search reindex`, and the reindex `ulak db upgrade` runs when it creates the index.

Stories pushed before the search index existed (revision 0009) are indexed from their
stored documents here, in Python, with the fold of hub/search/text.py: a migration does
not run application code that may change after it.
"""

from __future__ import annotations

import typer
from alembic.script import ScriptDirectory

from hub.commands.settings import load_settings
from hub.config import Settings
from hub.db import SchemaOutdated, alembic_config, check_schema
from hub.runtime import HubRuntime
from hub.search import service

SEARCH_REVISION = "0009"

app = typer.Typer(help="The search index.", no_args_is_help=True)


@app.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the current version of every story (all languages).
    `ulak db upgrade` runs it when the upgrade creates the index; run it by hand after
    restoring a database from a dump taken without it."""
    runtime = HubRuntime.from_settings(load_settings())
    try:
        check_schema(runtime.engine)
    except SchemaOutdated as exc:
        runtime.close()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    count = _reindex(runtime)
    typer.echo(f"search index: {count} language version(s) indexed")


def reindex_if_created(settings: Settings, before: str | None, target: str) -> int | None:
    """After an upgrade from ``before`` to ``target``: rebuild the index if the upgrade
    created it (returns how many language versions it indexed), else None."""
    script = ScriptDirectory.from_config(alembic_config(settings.resolved_database_url))
    applied = {revision.revision for revision in script.iterate_revisions(target, before)}
    if SEARCH_REVISION not in applied:
        return None
    return _reindex(HubRuntime.from_settings(settings))


def _reindex(runtime: HubRuntime) -> int:
    try:
        return service.reindex(runtime)
    finally:
        runtime.close()
