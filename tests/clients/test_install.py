"""The SDK installs on its own: a fresh virtualenv gets httpx + pydantic and nothing of the server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

CLIENT_DIR = Path(__file__).resolve().parents[2] / "clients" / "python"
SERVER_MODULES = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "argostranslate",
    "torch",
    "ctranslate2",
    "hub",
    "storage",
    "translation",
)

CHECK = f"""
import sys
import ulak_client
from ulak_client import AsyncUlakClient, Checkpoint, UlakClient
loaded = sorted(m for m in {SERVER_MODULES!r} if m in sys.modules)
assert not loaded, loaded
assert ulak_client.__file__.startswith(sys.prefix), ulak_client.__file__
print("ok", ulak_client.__version__)
"""


@pytest.mark.slow
def test_installs_into_an_empty_virtualenv_without_server_dependencies(tmp_path: Path) -> None:
    # Build from a copy so the install leaves no build/ or egg-info litter in the checkout.
    source = tmp_path / "src"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]

    listing = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    installed = {package["name"].lower() for package in json.loads(listing.stdout)}
    assert {"ulak-client", "httpx", "pydantic"} <= installed, installed
    assert not installed & {"fastapi", "sqlalchemy", "uvicorn", "ctranslate2", "torch", "argostranslate"}

    # Run from tmp_path so the checkout on sys.path cannot stand in for the installed package.
    check = subprocess.run([python, "-c", CHECK], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "ok 0.1.0"
    assert sys.prefix != str(env_dir)
