"""`ulak translate`: translate a file or stdin into one or more languages and print JSON.

For operators checking an installed model; the engine is the worker's (``build_engine``:
same settings, decoding lengths and translation memory), so what it prints is what the
worker would publish.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from hub.commands.settings import load_settings
from hub.jobs.worker import build_engine
from translation import Document, Field


def translate(
    source: Annotated[str, typer.Option("--source", help="language of the input, e.g. az")],
    target: Annotated[list[str], typer.Option("--target", help="target language; repeat for several")],
    file: Annotated[str, typer.Argument(help="input file, or - for stdin")] = "-",
    html: Annotated[bool, typer.Option("--html", help="the input is HTML: translate text nodes, keep markup")] = False,
    memory: Annotated[bool, typer.Option(help="use the translation memory under the data dir")] = True,
) -> None:
    """Translate FILE (or stdin) and print {"<target>": "<translation>", …} as JSON."""
    settings = load_settings()
    if not memory:
        settings = settings.model_copy(update={"translation_memory": False})
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    with build_engine(settings) as engine:
        [results] = engine.translate_documents([Document(source, tuple(target), [Field(text, html=html)])])
    output = {lang: r.texts[0] for lang, r in results.items() if r.texts is not None}
    typer.echo(json.dumps(output, ensure_ascii=False, indent=2))
    failed = {lang: r.error for lang, r in results.items() if r.error is not None}
    if failed:
        for lang, error in failed.items():
            typer.echo(f"error: {lang}: {error}", err=True)
        raise typer.Exit(1)
