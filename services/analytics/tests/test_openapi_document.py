"""Analytics' OpenAPI document declares what its routes answer (found by the OpenAPI fuzz)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from sipokat.analytics.bootstrap import create_app
from sipokat.analytics.settings import AnalyticsSettings


def document(tmp_path: Path) -> dict[str, Any]:
    return create_app(AnalyticsSettings(data_dir=tmp_path)).openapi()


def test_every_operation_has_its_own_id(tmp_path: Path) -> None:
    ids = Counter(
        operation["operationId"]
        for operations in document(tmp_path)["paths"].values()
        for operation in operations.values()
    )
    assert [name for name, count in ids.items() if count > 1] == []


def test_refusals_are_declared(tmp_path: Path) -> None:
    paths = document(tmp_path)["paths"]
    assert {"401", "403", "422", "503"} <= set(paths["/v1/analytics/summary"]["get"]["responses"])
    assert "409" in paths["/v1/analytics/rebuild"]["post"]["responses"]
    assert "503" in paths["/v1/public/activity"]["get"]["responses"]
    open311 = paths["/open311/v2/requests.{fmt}"]["get"]["responses"]
    assert {"400", "404", "503"} <= set(open311)
    assert "text/xml" in open311["200"]["content"]
    # The catch-all under /open311 only answers errors: not an operation of the API.
    assert not [path for path in paths if "{rest" in path]


async def test_open311_method_not_allowed_says_what_is(tmp_path: Path) -> None:
    app = create_app(AnalyticsSettings(data_dir=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
        answer = await client.put("/open311/v2/services.json")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"  # RFC 9110: a 405 carries Allow
    assert answer.json()[0]["code"] == 405
