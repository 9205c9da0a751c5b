"""docker-compose.yml against the settings class, without a Docker engine.

The file is loaded with PyYAML (merge keys included) and interpolated the way compose
does it (``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``, ``$$``) with test values
for the secrets a real deployment keeps in ``.env``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.cli import app as cli_app
from hub.config import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOTENV = {
    "ULAK_SECRET_KEY": "compose-test-secret-key-0123456789",
    "POSTGRES_PASSWORD": "compose-test-pg-password",
    "MINIO_ROOT_USER": "ulak-compose",
    "MINIO_ROOT_PASSWORD": "compose-test-minio-password",
}
HUB_SERVICES = ("api", "worker", "migrate")
SECRET_WORDS = ("SECRET", "PASSWORD", "ACCESS_KEY")

_VARIABLE = re.compile(r"\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution over every string of the document."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"  # "$$" escapes a dollar for the container's shell
        expression = match.group(2) if match.group(2) is not None else match.group(3)
        name, operator, argument = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?]?)(.*)", expression, re.S).groups()
        current = env.get(name)
        unset = current is None or (operator.startswith(":") and current == "")
        if operator.endswith("?") and unset:
            raise MissingVariable(f"{name}: {argument}")
        if operator.endswith("-") and unset:
            return argument
        return current or ""

    return _VARIABLE.sub(substitute, value)


def service_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # the "KEY=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return {str(k): str(v) for k, v in environment.items()}


def argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def settings_env_names() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    return interpolate(raw, DOTENV)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def test_the_deployment_has_its_services(services: dict[str, Any]) -> None:
    assert {"api", "worker", "postgres", "minio", "createbucket", "migrate"} <= set(services)
    assert argv(services["api"]["command"])[:2] == ["ulak", "serve"]
    assert "0.0.0.0" in argv(services["api"]["command"])
    assert argv(services["worker"]["command"]) == ["ulak", "worker"]
    assert argv(services["migrate"]["command"]) == ["ulak", "db", "upgrade"]
    assert services["postgres"]["image"].startswith("postgres:16")


def test_every_ulak_variable_is_a_setting(services: dict[str, Any]) -> None:
    known = settings_env_names()
    assert "ULAK_DATABASE_URL" in known  # the derivation itself is right
    for name, service in services.items():
        unknown = {key for key in service_environment(service) if key.startswith("ULAK_")} - known
        assert not unknown, f"{name}: {sorted(unknown)} are not fields of hub.config.Settings"


@pytest.mark.parametrize("name", HUB_SERVICES)
def test_hub_services_have_what_their_backends_need(services: dict[str, Any], name: str) -> None:
    env = service_environment(services[name])
    assert env["ULAK_ENVIRONMENT"] == "production"
    assert env["ULAK_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["ULAK_DATABASE_URL"]
    assert env["ULAK_STORAGE_BACKEND"] == "s3"
    for key in ("ULAK_S3_ENDPOINT", "ULAK_S3_ACCESS_KEY", "ULAK_S3_SECRET_KEY", "ULAK_S3_BUCKET", "ULAK_S3_SECURE"):
        assert env.get(key), f"{name} uses the s3 backend but has no {key}"
    assert env["ULAK_S3_ENDPOINT"] == "minio:9000"
    # The hub's S3 credentials are the ones MinIO was started with.
    minio = service_environment(services["minio"])
    assert (env["ULAK_S3_ACCESS_KEY"], env["ULAK_S3_SECRET_KEY"]) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )
    assert (
        env["ULAK_DATABASE_URL"]
        .split("//", 1)[1]
        .startswith(f"{service_environment(services['postgres'])['POSTGRES_USER']}:{DOTENV['POSTGRES_PASSWORD']}@")
    )


def test_api_does_not_translate_in_process(services: dict[str, Any]) -> None:
    assert service_environment(services["api"])["ULAK_EMBEDDED_WORKER"] == "false"


def test_nothing_secret_is_hard_coded(raw: dict[str, Any]) -> None:
    for name, service in raw["services"].items():
        for key, value in service_environment(service).items():
            if any(word in key for word in SECRET_WORDS) or key == "ULAK_DATABASE_URL":
                assert "${" in value and ":?" in value, f"{name}.{key} must come from .env (${{VAR:?…}}), not the file"
    with pytest.raises(MissingVariable, match="ULAK_SECRET_KEY"):
        interpolate(raw, {k: v for k, v in DOTENV.items() if k != "ULAK_SECRET_KEY"})


def test_dependencies_wait_for_health_or_completion(services: dict[str, Any]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions, not a bare list"
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on an undefined service {target}"
            condition = spec.get("condition")
            if condition == "service_healthy":
                assert services[target].get("healthcheck", {}).get("test"), (
                    f"{name} waits for {target} to be healthy, but it has no healthcheck"
                )
            elif condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is one-shot; it must not restart"
            else:
                pytest.fail(f"{name} -> {target}: condition {condition!r}")
    for name in ("api", "worker"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
        assert depends_on["createbucket"]["condition"] == "service_completed_successfully"
        assert depends_on["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["createbucket"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_healthchecks_probe_the_right_things(services: dict[str, Any]) -> None:
    assert "pg_isready" in argv(services["postgres"]["healthcheck"]["test"])
    assert argv(services["minio"]["healthcheck"]["test"])[-3:] == ["mc", "ready", "local"]
    api_probe = " ".join(argv(services["api"]["healthcheck"]["test"]))
    port = argv(services["api"]["command"])[argv(services["api"]["command"]).index("--port") + 1]
    assert f"127.0.0.1:{port}/readyz" in api_probe
    assert "--console-address" in argv(services["minio"]["command"])
    worker_probe = argv(services["worker"]["healthcheck"]["test"])
    assert worker_probe[1:3] == ["ulak", "worker-health"]
    assert "worker-health" in {command.name for command in cli_app.registered_commands}


def test_api_replicas_scale_behind_the_proxy(services: dict[str, Any]) -> None:
    """`docker compose up --scale api=3`: no replica publishes a host port (three could
    not bind the same one); the proxy publishes the hub's port and reaches every replica."""
    api = services["api"]
    port = argv(api["command"])[argv(api["command"]).index("--port") + 1]
    assert "ports" not in api and str(port) in [str(p) for p in api["expose"]]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:2")
    published = [str(mapping) for mapping in proxy["ports"]]
    assert published == ["8000:8080"]
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    [mount] = [str(v) for v in proxy["volumes"] if "Caddyfile" in str(v)]
    source, target = mount.split(":")[:2]
    caddyfile = (REPO / source).read_text()
    assert target == "/etc/caddy/Caddyfile"
    assert re.search(r"^:8080 \{", caddyfile, re.M), "the proxy listens where compose publishes"
    dynamic = re.search(r"dynamic a \{\s*name (\S+)\s*port (\d+)", caddyfile)
    assert dynamic and dynamic.groups() == ("api", port), "every api replica, re-resolved"
    assert "health_uri /readyz" in caddyfile


def test_workers_share_nothing_but_postgresql_and_minio(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = services["worker"]
    for key, value in service_environment(worker).items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    # The memory lives in PostgreSQL, models in MinIO (the volume is a cache of them).
    assert settings.resolved_database_url.startswith("postgresql") and settings.translation_memory
    assert settings.resolved_models_in_store
    assert [str(v).split(":")[1] for v in worker["volumes"]] == [str(settings.resolved_models_dir)]
    assert settings.rate_limit_storage == "database"


def test_stateful_services_keep_their_state_on_volumes(services: dict[str, Any]) -> None:
    def mounted(name: str) -> set[str]:
        return {str(v).split(":")[1] for v in services[name].get("volumes") or []}

    assert "/var/lib/postgresql/data" in mounted("postgres")
    assert "/data" in mounted("minio")
    assert "/data" in mounted("proxy")  # Caddy's certificates, when it serves https


def test_every_named_volume_is_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for volume in service.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else str(volume).split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used == declared, (
        f"used but undeclared: {sorted(used - declared)}; declared but unused: {sorted(declared - used)}"
    )
    assert {"postgres-data", "minio-data", "models", "caddy-data"} <= used


def test_createbucket_creates_the_hub_bucket(services: dict[str, Any]) -> None:
    job = services["createbucket"]
    script = " ".join(argv(job.get("entrypoint")) + argv(job.get("command")))
    # Expand the container shell's own variables ($$VAR in the file, $VAR now).
    shell_env = service_environment(job)
    script = re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", lambda m: shell_env.get(m.group(1), m.group(0)), script)
    created = re.search(r"mc mb (?:--\S+ )*\"?([^\s\"]+)", script)
    assert created, f"no `mc mb` in {script!r}"
    alias, _, bucket = created.group(1).partition("/")
    assert re.search(rf"mc alias set {alias} http://minio:9000\b", script)
    hub_bucket = service_environment(services["api"])["ULAK_S3_BUCKET"]
    assert bucket == hub_bucket == "ulak", f"createbucket makes {bucket!r}, the hub uses {hub_bucket!r}"


@pytest.mark.parametrize("name", HUB_SERVICES)
def test_settings_validate_in_production(services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in service_environment(services[name]).items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "production"
    assert settings.storage_backend == "s3"
    assert settings.s3_secret_key.get_secret_value() == DOTENV["MINIO_ROOT_PASSWORD"]
    assert settings.secret_key.get_secret_value() == DOTENV["ULAK_SECRET_KEY"]
    assert settings.s3_secure is False and settings.s3_create_bucket is False
    assert settings.target_languages == ("az", "tr", "ru", "uz", "en")
    assert settings.embedded_worker is (name != "api")
    assert str(settings.resolved_models_dir) == "/var/lib/ulak/models"


def test_production_refuses_the_default_secret(services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above means something: the same environment with the development
    default secret does not validate."""
    for key, value in service_environment(services["api"]).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ULAK_SECRET_KEY", "change-me-in-production")
    with pytest.raises(ValueError, match="ULAK_SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_one_non_root_image_serves_every_hub_service(raw: dict[str, Any]) -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert re.search(r"^RUN pip install \.", dockerfile, re.M)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    builds = {name: (raw["services"][name].get("build"), raw["services"][name].get("image")) for name in HUB_SERVICES}
    assert len(set(builds.values())) == 1 and None not in next(iter(builds.values())), builds
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored
