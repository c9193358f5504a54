"""The gateway's /openapi.json is the whole public API: intake's own operations and every public
operation of the four services behind it, fetched from each service's own /openapi.json (here the
real apps, answering in-process), valid by openapi-spec-validator, with no `$ref` left dangling;
an upstream down leaves its part out and the rest is answered. /docs loads nothing from another
origin."""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from sipokat.intake.adapters.openapi_merge import MISSING, UPSTREAM
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import free_port, in_memory, service_client

UPSTREAMS = ("verification", "analytics", "notification", "identity")
# One operation of each service a client app calls.
EXPECTED = {
    ("post", "/v1/reports"): None,  # intake's own
    ("post", "/v1/auth/signin"): "identity",
    ("get", "/v1/analytics/summary"): "analytics",
    ("get", "/v1/notifications/inbox"): "notification",
    ("get", "/v1/reports/{report_id}"): "verification",
    ("get", "/v1/reports"): "verification",
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


class Upstreams(httpx.AsyncBaseTransport):
    """Each upstream's real app by its host name (`http://verification`); one taken down
    refuses connections, as a stopped service does."""

    def __init__(self) -> None:
        self.apps: dict[str, FastAPI] = {
            service: importlib.import_module(f"sipokat.{service}.bootstrap").create_app()
            for service in UPSTREAMS
        }
        self.down: set[str] = set()
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.asked.append(host)
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await httpx.ASGITransport(self.apps[host]).handle_async_request(request)


@pytest.fixture
def upstreams() -> Iterator[Upstreams]:
    for service in UPSTREAMS:
        if importlib.util.find_spec(f"sipokat.{service}") is None:
            pytest.skip(f"sipokat.{service} is not installed")
    yield Upstreams()


@pytest.fixture
async def gateway(upstreams: Upstreams, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = IntakeSettings(
        data_dir=tmp_path,
        rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/",  # no broker: none needed
        **{f"{service}_url": f"http://{service}" for service in UPSTREAMS},
    )
    app = create_app(settings, transport=upstreams)
    in_memory(app)
    async with service_client(app) as client:
        yield client


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for item in value.values():
            yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


async def test_the_document_holds_every_services_public_operations_and_is_valid(
    gateway: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    answer = await gateway.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    validate(document)  # OpenAPI 3.1, by openapi-spec-validator
    dangling = [ref for ref in refs(document) if not resolves(document, ref)]
    assert dangling == []
    assert MISSING not in document
    found = {(method, path): op.get(UPSTREAM) for method, path, op in operations(document)}
    for key, service in EXPECTED.items():
        assert key in found, key
        assert found[key] == service, key
    ids = [op["operationId"] for _, _, op in operations(document) if "operationId" in op]
    assert len(ids) == len(set(ids))
    # Each upstream's operations are all there, as its own document has them (its health and
    # operator routes excepted: those are not passed on).
    for service, app in upstreams.apps.items():
        for method, path, theirs in operations(app.openapi()):
            if path.startswith(("/health", "/ops/")):
                assert (method, path) not in found or found[(method, path)] is None, path
                continue
            ours = document["paths"][path][method]
            assert ours[UPSTREAM] == service, (method, path)
            assert ours.get("summary") == theirs.get("summary"), (method, path)
            assert {p["name"] for p in ours.get("parameters", [])} == {
                p["name"] for p in theirs.get("parameters", [])
            }, (method, path)
    # The verification route the gateway routes itself is documented by verification
    listing = document["paths"]["/v1/reports"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"status", "cursor", "limit"}
    assert "200" in listing["responses"]


async def test_an_upstream_down_leaves_its_part_out_and_the_rest_is_answered(
    gateway: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.down.add("analytics")
    answer = await gateway.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    validate(document)
    assert document[MISSING] == ["analytics"]
    paths = document["paths"]
    assert not any(path.startswith(("/v1/analytics", "/open311")) for path in paths)
    assert "/v1/auth/signin" in paths
    assert "/v1/notifications/inbox" in paths
    assert "post" in paths["/v1/reports"]
    # Asked again a little later (not at once: a flood of page loads is no flood of fetches)
    asked = len(upstreams.asked)
    await gateway.get("/openapi.json")
    assert len(upstreams.asked) == asked


class Loads(HTMLParser):
    """Every URL the page loads by itself: scripts, stylesheets, icons, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href") if tag in ("script", "link", "img", "iframe") else ():
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script = tag == "script" and not found.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_only_same_origin_files_under_a_self_only_policy(
    gateway: httpx.AsyncClient, page: str
) -> None:
    answer = await gateway.get(page)
    assert answer.status_code == 200
    loads = Loads()
    loads.feed(answer.text)
    assert loads.urls, "the page loads its viewer"
    assert all(url.startswith("/") and not url.startswith("//") for url in loads.urls), loads.urls
    assert loads.inline_scripts == 0
    assert "/openapi.json" in answer.text
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert not re.search(r"https?:", policy)
    for url in loads.urls:
        asset = await gateway.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        # the viewers load nothing from a CDN themselves
        assert b"cdn.jsdelivr.net" not in asset.content, url
