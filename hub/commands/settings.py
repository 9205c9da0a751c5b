"""The settings of one ``ulak`` command, and the one stderr line that says which data dir it uses."""

from __future__ import annotations

import typer

from hub.config import Settings


def load_settings() -> Settings:
    """``Settings()`` from the environment, after printing the absolute data dir to stderr."""
    settings = Settings()
    # The default ULAK_DATA_DIR (./ulak-data) is relative to the current directory: run from
    # another folder, a command would silently read and write a data dir the hub never sees.
    # stderr and plain echo (no wrapping): stdout stays what scripts capture, e.g. a new key.
    typer.echo(f"data dir: {settings.data_dir.resolve()}", err=True)
    return settings
