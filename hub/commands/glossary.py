"""`ulak glossary import|list|delete`: the operator's view of the glossary.

The commands call the service the API calls, as the operator (admin rights): the same
validation, duplicates rule and change log, so workers forget stale memory entries after
an import exactly as after a POST.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.commands.settings import load_settings
from hub.errors import HubError
from hub.glossary import service
from hub.glossary.csvfile import GlossaryFileError, parse_glossary_csv
from hub.runtime import HubRuntime

app = typer.Typer(help="Glossary terms: names and phrases translations must keep.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(1)


def _runtime() -> HubRuntime:
    return HubRuntime.from_settings(load_settings())


@app.command("import")
def import_glossary(
    file: Annotated[Path, typer.Argument(help="a CSV file: a header row of language codes, one term per row")],
    agency: Annotated[str | None, typer.Option(help="the agency whose terms these are [default: hub-wide]")] = None,
) -> None:
    """Import terms from a CSV file (az,tr,ru,uz-Latn,uz-Cyrl,en,kk,ky columns; empty cells
    allowed). All or nothing: a bad header or row stores no term. Terms already in the
    glossary of the same owner, with the same forms, are skipped."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        parsed = parse_glossary_csv(data)
    except GlossaryFileError as exc:
        raise _fail(f"{file}: {exc}") from None
    if not parsed.terms:
        raise _fail(f"{file}: no terms below the header")
    try:
        added = service.import_terms(_runtime(), parsed.terms, agency=agency)
    except HubError as exc:
        raise _fail(exc.detail) from None
    owner = f"agency {agency.lower()}" if agency else "hub-wide"
    out.print(
        f"added {len(added.added)} term(s), skipped {len(added.duplicates)} already in the glossary ({owner})",
        highlight=False,
    )


@app.command("list")
def list_glossary(
    agency: Annotated[str | None, typer.Option(help="only this agency's own terms")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the terms as JSON (as the API gives them)")] = False,
) -> None:
    """List glossary terms: hub-wide and every agency's (or one agency's with --agency)."""
    try:
        listing = service.list_terms(_runtime(), None, agency)
    except HubError as exc:
        raise _fail(exc.detail) from None
    if as_json:
        typer.echo(json.dumps(listing.model_dump(mode="json")["terms"], ensure_ascii=False, indent=2))
        return
    # One line per term, never wrapped: eight languages do not fit a table in a terminal.
    for term in listing.terms:
        forms = "  ".join(f"{lang}: {', '.join(values)}" for lang, values in term.forms.items())
        typer.echo(f"{term.id:>6}  {term.agency or '(hub-wide)':<12}  {forms}")
    if not listing.terms:
        err.print("no glossary terms", highlight=False)


@app.command("delete")
def delete_glossary_term(
    term_id: Annotated[int, typer.Argument(help="the term's id (see `ulak glossary list`)")],
) -> None:
    """Delete a term; workers forget the memory entries of sentences holding it."""
    try:
        deleted = service.delete_term(_runtime(), None, term_id)
    except HubError as exc:
        raise _fail(exc.detail) from None
    first = next(iter(deleted.forms.values()))[0]
    out.print(f"deleted term {deleted.id} ({first})", highlight=False)
