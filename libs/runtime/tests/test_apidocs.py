"""Every service's /docs and /redoc: its own document, shown by files it serves itself."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import APIRouter

from sipokat.runtime.apidocs import ASSETS
from sipokat.runtime.service import ServiceRuntime, create_service_app, database_context
from sipokat.runtime.settings import ServiceSettings


def client(tmp_path: Path, **options: str | None) -> httpx.AsyncClient:
    runtime = ServiceRuntime("probe", ServiceSettings(data_dir=tmp_path), context=database_context)
    app = create_service_app(runtime, [APIRouter()], title="Probe <b>", **options)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://probe")


async def test_a_services_docs_show_its_own_document_from_its_own_files(tmp_path: Path) -> None:
    async with client(tmp_path) as probe:
        page = await probe.get("/docs")
        assert page.status_code == 200
        policy = dict(d.split(" ", 1) for d in page.headers["content-security-policy"].split("; "))
        assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
        assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert 'data-url="/openapi.json"' in page.text
        assert "Probe &lt;b&gt;" in page.text  # the title is escaped
        assert "https://" not in page.text
        for name, kind in [
            ("swagger-ui-bundle.js", "text/javascript"),
            ("start.js", "text/javascript"),
            ("swagger-ui.css", "text/css"),
            ("redoc.standalone.js", "text/javascript"),
        ]:
            asset = await probe.get(ASSETS + name)
            assert asset.status_code == 200, name
            assert asset.headers["content-type"].startswith(kind), name
        redoc = await probe.get("/redoc")
        assert 'spec-url="/openapi.json"' in redoc.text
        assert (await probe.get("/openapi.json")).json()["info"]["title"] == "Probe <b>"


async def test_only_the_viewers_files_are_served_and_a_wrong_name_is_a_problem(
    tmp_path: Path,
) -> None:
    async with client(tmp_path) as probe:
        for name in ("core.py", "favicon.ico", "__init__.py"):
            answer = await probe.get(ASSETS + name, headers={"Accept-Language": "id"})
            assert answer.status_code == 404, name
            assert answer.headers["content-type"] == "application/problem+json"
            assert "tidak ada berkas" in answer.json()["detail"]
        outside = await probe.get(ASSETS + "..%2F..%2Fcore.py")
        assert outside.status_code == 404
        assert b"import" not in outside.content


async def test_a_gateway_may_show_another_document(tmp_path: Path) -> None:
    async with client(tmp_path, openapi_url=None, docs_document="/merged.json") as probe:
        assert 'data-url="/merged.json"' in (await probe.get("/docs")).text
        assert (await probe.get("/openapi.json")).status_code == 404
