"""The distribution: a plain ``pip install .`` (what the Dockerfile does) is enough to run a hub.

The wheel is built from exactly what the Dockerfile copies into the image, installed into an
empty virtualenv (no extras, no system site-packages) and run as an operator runs it: migrate,
install a model, create agencies and keys, ``ulak serve`` and a separate ``ulak worker``, one
push and one pull of the original and of the worker's translation; on PostgreSQL when the
suite has one, as production runs, else on the embedded SQLite default. A module that imports something the distribution does not declare, or
reads a file the wheel does not carry, fails here and not in production.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from tests.fixtures.databases import PostgresTemplate, scratch_postgres_database
from tests.fixtures.hub import free_port, story, wait_for_hub

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("hub", "storage", "translation")
PIP = ("-m", "pip", "--disable-pip-version-check")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# Modules that may import an optional extra's packages (inside functions, with a clear error
# naming the extra when it is missing): the extra counts as declared for them alone.
EXTRA_USERS = {"translation/convert.py": "convert"}


def _declared_dependencies(extra: str | None = None) -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return {_normalized(re.match(r"[A-Za-z0-9._-]+", requirement)[0]) for requirement in requirements}


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module → the files of ours that import it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in (*PACKAGES, "__future__"):
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    # Declared directly, not merely installed because something else needs it: a dependency
    # of a dependency can disappear in its next release.
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: sorted(bad)
        for module, files in _third_party_imports().items()
        if (
            bad := {
                file
                for file in files
                if not {_normalized(d) for d in distributions.get(module, [])}
                & _declared_dependencies(EXTRA_USERS.get(file))
            }
        )
    }
    assert undeclared == {}


def _dockerfile_sources() -> list[str]:
    sources = []
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            *paths, _destination = line.split()[1:]
            sources += [path for path in paths if not path.startswith("--")]
    return sources


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built (as ``pip install .`` in the image builds it) from the Dockerfile's COPY set."""
    source = tmp_path_factory.mktemp("image-context")
    for name in _dockerfile_sources():
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, *PIP, "wheel", "--no-deps", "--quiet", "--wheel-dir", out, source],
        check=False, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    [built] = out.glob("ulak-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_every_file_of_the_packages_and_nothing_of_the_tests(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in (REPO / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(sources - shipped) == []
    assert not [name for name in shipped if name.startswith(("tests/", "benchmarks/"))]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty virtualenv with the wheel and its declared dependencies; returns its bin dir."""
    env_dir = tmp_path_factory.mktemp("production-venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # --no-compile: byte-compiling every dependency is most of an install's time, and the
    # processes below compile what they import anyway.
    install = subprocess.run(
        [python, *PIP, "install", "--quiet", "--no-compile", wheel],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return env_dir / "bin"


@pytest.fixture
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """PostgreSQL, as production runs, when the suite has one (ULAK_TEST_DATABASE_URL): an
    empty database, so that ``ulak db upgrade`` creates the schema through the installed
    driver. Otherwise the embedded default, SQLite in the data dir."""
    if not os.environ.get("ULAK_TEST_DATABASE_URL"):
        yield {}
        return
    template: PostgresTemplate = request.getfixturevalue("postgres_template")
    server = make_url(template.server_url)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    with scratch_postgres_database(server.render_as_string(hide_password=False), f"ulak_install_{os.getpid()}") as url:
        yield {"ULAK_DATABASE_URL": url}


@dataclass
class InstalledUlak:
    """The installed ``ulak`` as an operator runs it; calling it runs a command, returns its stdout."""

    command: Path
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            [self.command, *args], check=False, env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"ulak {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result.stdout


@pytest.fixture
def ulak(installed: Path, tmp_path: Path, database_env: dict[str, str]) -> InstalledUlak:
    # Nothing of the developer's shell or of this checkout may stand in for the install.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("ULAK_", "PYTHON", "VIRTUAL_ENV"))}
    env = (
        inherited
        | database_env
        | {
            "ULAK_DATA_DIR": str(tmp_path / "data"),
            "ULAK_EMBEDDED_WORKER": "false",
            "ULAK_TARGET_LANGUAGES": "en",
            "ULAK_WORKER_POLL_SECONDS": "0.2",
        }
    )
    return InstalledUlak(installed / "ulak", env, tmp_path)


@pytest.mark.slow
def test_a_production_install_serves_translates_and_is_pulled(
    ulak: InstalledUlak, tmp_path: Path, synthetic_archives: dict[str, Path]
) -> None:
    ulak("db", "upgrade")
    ulak("models", "install", str(synthetic_archives["translate-az_en"]))

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    processes: dict[str, tuple[subprocess.Popen[bytes], Path | None]] = {}
    try:
        for name, args in (("serve", ["serve", "--port", str(port)]), ("worker", ["worker"])):
            log = tmp_path / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [ulak.command, *args], env=ulak.env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
                )
            processes[f"ulak {name}"] = (process, log)
        # While the hub starts: agencies and keys, as an operator creates them.
        ulak("agencies", "create", "azertac", "--name", "AZERTAC", "--country", "AZ")
        ulak("agencies", "create", "trt", "--name", "TRT", "--partner")
        push_key = ulak("keys", "create", "azertac", "--scopes", "push").strip()
        pull_key = ulak("keys", "create", "trt", "--scopes", "pull").strip()
        wait_for_hub(url, processes, path="/readyz", timeout=60)

        with httpx.Client(base_url=url, timeout=10) as client:
            body = "Bakıda media forumu açılıb. Forum iki gün davam edəcək."
            pushed = client.post(
                "/v1/stories", json=story("az-1", body=body), headers={"Authorization": f"Bearer {push_key}"}
            )
            assert pushed.status_code == 201, pushed.text
            story_id = pushed.json()["id"]

            def pull(lang: str) -> list[dict]:
                page = client.get("/v1/feed", params={"lang": lang}, headers={"Authorization": f"Bearer {pull_key}"})
                assert page.status_code == 200, page.text
                return page.json()["entries"]

            [original] = pull("az")
            assert original["storyId"] == story_id and original["item"]["bodies"][0]["value"] == body

            deadline = time.monotonic() + 60
            while not (translated := pull("en")):
                for name, (process, log) in processes.items():
                    assert process.poll() is None, f"{name} exited:\n{log.read_text(errors='replace')[-3000:]}"
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
                time.sleep(0.2)
            [entry] = translated
            assert entry["storyId"] == story_id and entry["item"]["language"] == "en"
            assert "translate-az_en" in entry["item"]["infoSources"][1]["literal"]
    finally:
        for process, _ in processes.values():
            process.terminate()
        for process, _ in processes.values():
            process.wait(timeout=30)


@pytest.mark.slow
def test_without_the_convert_extra_convert_says_how_to_get_it(ulak: InstalledUlak, tmp_path: Path) -> None:
    """torch, transformers, protobuf and huggingface-hub are the optional `convert` extra, imported
    only inside translation/convert.py: a plain install answers with the command to run, not a
    traceback, and installs nothing."""
    checkpoint = tmp_path / "nllb-200-tiny"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text('{"model_type": "m2m_100"}', encoding="utf-8")
    result = subprocess.run(
        [ulak.command, "models", "convert", str(checkpoint), "--languages", "az,uz"],
        check=False, env=ulak.env, cwd=ulak.cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "pip install torch==2.13.0 'ulak[convert]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(ulak("models", "list", "--json")) == []
