"""Property-based fuzzing of the OpenAPI document against a live hub (schemathesis).

A real uvicorn (``hub.server``'s configuration, as in production) on a free port,
with an agency, a key, a few stories and a media file, so that path ids exist. Two
runs: a Hypothesis loop over every operation with valid and with invalid input, with
generated ids and with real ones; and schemathesis's own runner for the document's
examples and the boundary values of every constraint. Each response must be no
server error, must have a status the document declares for that operation, and a
body and content type that match it. Generation is deterministic and bounded by a
number of examples per operation, not by time (speed is the benchmarks' business: a
busy CI machine must not fail a correct hub); the figures are printed and recorded as
junit properties.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.hub import HubHarness, LiveServer, make_settings, story

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

EXAMPLES_PER_RUN = 40  # per operation, mode and id source: ~1,500 cases in all
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


@dataclass
class LiveHub:
    url: str
    headers: dict[str, str]  # the key: push, pull and admin (for /v1/admin/queue)
    ids: dict[str, str]  # path parameter → an id that exists


@pytest.fixture
def live_hub(database_url: str, tmp_path: Path) -> Iterator[LiveHub]:
    # Private webhook targets allowed: no generated subscription URL is looked up in DNS.
    settings_ = make_settings(tmp_path / "data", database_url, embedded_worker=False, webhook_allow_private=True)
    with HubHarness.start(settings_) as hub, LiveServer(hub.app) as server:
        auth = hub.auth(hub.agency("azertac", scopes="push,pull,admin"))
        ids = {}
        for n, language in enumerate(("az", "tr", "ru")):
            pushed = hub.client.post("/v1/stories", json=story(f"fuzz-{n}", language=language), headers=auth)
            ids["story_id"] = pushed.json()["id"]
        ids["sha256"] = hub.client.post("/v1/media", content=PNG, headers=auth).json()["sha256"]
        subscription = {"url": "http://127.0.0.1:9/hook", "languages": ["az"]}
        ids["subscription_id"] = hub.client.post("/v1/subscriptions", json=subscription, headers=auth).json()["id"]
        yield LiveHub(server.url, auth, ids)


def test_openapi_fuzz(live_hub: LiveHub, tmp_path: Path, record_property: Any) -> None:
    headers, real_ids = live_hub.headers, live_hub.ids
    schema = schemathesis.openapi.from_dict(httpx.get(f"{live_hub.url}/openapi.json").json())
    schema.config.update(base_url=live_hub.url)  # type: ignore[attr-defined]
    # The key is sent with every case (unauthenticated calls are covered by
    # test_errors.py), so invalid cases must not count on a missing Authorization;
    # and the hub ignores query parameters it does not know, as HTTP APIs do, so an
    # extra one does not make a request invalid.
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)  # type: ignore[attr-defined]
    statuses: Counter[int] = Counter()
    failures: dict[str, str] = {}  # one example per (operation, failure) kind
    cases = 0
    started = time.monotonic()

    def run(operation: Any, mode: GenerationMode, path_parameters: dict[str, str] | None) -> None:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @settings(
            max_examples=EXAMPLES_PER_RUN,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def fuzz(case: Any) -> None:
            nonlocal cases
            cases += 1
            try:
                response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
            except (AssertionError, BaseExceptionGroup) as exc:  # collect every kind of failure, then fail once
                for failure in getattr(exc, "exceptions", [exc]):
                    title = f"{getattr(failure, 'title', type(failure).__name__)}: {str(failure).strip()[:300]}"
                    failures.setdefault(
                        f"{operation.label} [{mode.value}] {title}", case.as_curl_command(headers=headers)
                    )
                return
            statuses[response.status_code] += 1

        try:
            fuzz()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE, operation.label

    timings = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operation_started, cases_before = time.monotonic(), cases
        own = {name: real_ids[name] for name in real_ids if f"{{{name}}}" in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(operation, mode, None)
            if own:
                run(operation, mode, own)
        timings[operation.label] = (cases - cases_before, round(time.monotonic() - operation_started, 1))
    seconds = time.monotonic() - started
    report = {
        "cases": cases,
        "seconds": round(seconds, 1),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500),
        "failures": len(failures),
        "statuses": dict(sorted(statuses.items())),
        "operations": timings,
    }
    (tmp_path / "fuzz-report.json").write_text(json.dumps(report, indent=2))
    print(f"\nOpenAPI fuzz: {json.dumps(report)}")
    for name in ("cases", "seconds", "server_errors", "failures"):
        record_property(f"fuzz_{name}", report[name])
    assert not failures, "\n\n".join(f"{title}\n  {curl}" for title, curl in failures.items())
    assert cases >= 500, report


def test_openapi_boundaries_with_schemathesis_run(live_hub: LiveHub, tmp_path: Path, record_property: Any) -> None:
    """schemathesis's own runner adds what the loop above lacks: the examples in the
    document and the coverage phase (boundary values of every constraint: empty,
    null, minimum-1, maximum+1…), then a short fuzzing phase."""
    report_path = tmp_path / "schemathesis-run.json"
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{live_hub.url}/openapi.json",
        "--phases=examples,coverage,fuzzing",
        f"--checks={','.join(check.__name__ for check in CHECKS)}",
        "--generation-deterministic",
        "--generation-with-security-parameters=false",
        "--max-examples=30",
        "--no-color",
        "--report=json",
        f"--report-json-path={report_path}",
        *(f"--header={name}: {value}" for name, value in live_hub.headers.items()),
    ]
    started = time.monotonic()
    # In tmp_path: the runner keeps a .schemathesis/ cache in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    seconds = time.monotonic() - started
    run = json.loads(report_path.read_text())
    cases = run["test_cases"]
    print(f"\nschemathesis run: {cases['generated']} cases in {seconds:.1f} s, {cases['unique_failures']} failures")
    record_property("schemathesis_run_cases", cases["generated"])
    assert result.returncode == 0 and run["complete"], result.stdout[-5000:]
    assert cases["with_failures"] == 0 and cases["errored"] == 0 and not run["errors"], result.stdout[-5000:]
    assert cases["generated"] >= 300, run["test_cases"]
