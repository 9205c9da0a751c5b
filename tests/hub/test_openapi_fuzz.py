"""Property-based fuzzing of the OpenAPI document against a live hub (schemathesis).

A real uvicorn (``hub.server``'s configuration, as in production) on a free port,
with an agency, a push+pull key, a few stories and a media file, so that path ids
exist. Every operation is fuzzed with valid and with invalid input, with generated
ids and with real ones; each response must be no server error, must have a status
the document declares for that operation, and a body and content type that match
it. Hypothesis is derandomized (the same cases every run) and bounded, so the run
is deterministic and well under 90 s; the figures are printed and written to
``fuzz-report.json`` in the test's tmp dir.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
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


@pytest.fixture
def live_hub(database_url: str, tmp_path: Path) -> Iterator[tuple[HubHarness, LiveServer, dict[str, str]]]:
    settings_ = make_settings(tmp_path / "data", database_url, embedded_worker=False)
    with HubHarness.start(settings_) as hub, LiveServer(hub.app) as server:
        key = hub.agency("azertac", scopes="push,pull,admin")  # admin: /v1/admin/queue too
        auth = hub.auth(key)
        ids = {}
        for n, language in enumerate(("az", "tr", "ru")):
            pushed = hub.client.post("/v1/stories", json=story(f"fuzz-{n}", language=language), headers=auth)
            ids["story_id"] = pushed.json()["id"]
        ids["sha256"] = hub.client.post("/v1/media", content=PNG, headers=auth).json()["sha256"]
        yield hub, server, auth | {"X-Fuzz-Ids": json.dumps(ids)}


def test_openapi_fuzz(
    live_hub: tuple[HubHarness, LiveServer, dict[str, str]], tmp_path: Path, record_property: Any
) -> None:
    _, server, headers = live_hub
    real_ids: dict[str, str] = json.loads(headers.pop("X-Fuzz-Ids"))
    schema = schemathesis.openapi.from_dict(httpx.get(f"{server.url}/openapi.json").json())
    schema.config.update(base_url=server.url)  # type: ignore[attr-defined]
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
    assert seconds < 90, report
