"""The OpenAPI document is the contract: every error a route can answer with is
declared with the hub's ``ErrorBody``, and the interactive docs work offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.databases import SqliteTemplate
from tests.fixtures.hub import HubHarness, make_settings

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture
def hub(sqlite_template: SqliteTemplate, tmp_path: Path) -> Iterator[HubHarness]:
    url = sqlite_template.copy_to(tmp_path / "ulak.db")
    with HubHarness.start(make_settings(tmp_path / "data", url, embedded_worker=False)) as harness:
        yield harness


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_v1_operation_documents_its_errors_with_error_body(hub: HubHarness) -> None:
    document = hub.client.get("/openapi.json").json()
    v1 = [(m, p, op) for m, p, op in operations(document) if p.startswith("/v1/")]
    assert len(v1) >= 9
    for method, path, operation in v1:
        responses = operation["responses"]
        expected = {"401", "403", "503"} | (
            {"422"} if operation.get("parameters") or "requestBody" in operation else set()
        )
        if "{" in path:
            expected.add("404")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == ERROR_BODY, (method, path, status)
    push = document["paths"]["/v1/stories"]["post"]["responses"]
    assert {"408", "409", "413"} <= set(push)
    assert {"408", "413"} <= set(document["paths"]["/v1/media"]["post"]["responses"])


def test_fastapi_validation_schema_is_gone(hub: HubHarness) -> None:
    schemas = hub.client.get("/openapi.json").json()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error", "detail"}


def test_a_real_422_matches_the_documented_error_body(hub: HubHarness) -> None:
    import jsonschema

    document = hub.client.get("/openapi.json").json()
    key = hub.agency("azertac")
    body = hub.client.post("/v1/stories", json={"uri": "x"}, headers=hub.auth(key)).json()
    schema = {"$ref": "#/components/schemas/ErrorBody", "components": document["components"]}
    jsonschema.validate(body, schema)
    assert body["fields"]


def test_docs_load_no_asset_from_another_host(hub: HubHarness) -> None:
    for page in ("/docs", "/redoc"):
        response = hub.client.get(page)
        assert response.status_code == 200
        html = response.text
        assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"']+", html)
        assets = re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", html) + re.findall(r"url: *'(/[^']+)'", html)
        assert assets, html
        for asset in assets:
            assert hub.client.get(asset).status_code == 200, asset
    bundle = hub.client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_feed_page_size_bounds_are_documented(hub: HubHarness) -> None:
    feed = hub.client.get("/openapi.json").json()["paths"]["/v1/feed"]["get"]
    limit = next(p for p in feed["parameters"] if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 1000)
