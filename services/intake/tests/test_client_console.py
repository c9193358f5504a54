"""GET /console/...: the verifiers' console from the gateway, beside the RT app at /app/, on a
memory store. Temporary dist folders of fake files stand in for both builds."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from test_client_app import build, client_for

from sipokat.intake.settings import IntakeSettings

CONSOLE = b"<!doctype html><title>Konsol</title><script type=module src=./assets/c-9z8y.js>"
SCRIPT = b"console.log('console');" * 40


def build_console(dist: Path) -> None:
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(CONSOLE)
    (dist / "index.html.br").write_bytes(b"brotli stand-in")
    (dist / "assets" / "console-9z8y.js").write_bytes(SCRIPT)
    (dist / "assets" / "console-9z8y.js.gz").write_bytes(gzip.compress(SCRIPT))


@pytest.fixture
async def client(
    memory_settings: IntakeSettings, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    build(tmp_path / "rt" / "dist")
    build_console(tmp_path / "console" / "dist")
    settings = memory_settings.model_copy(
        update={
            "app_dir": tmp_path / "rt" / "dist",
            "console_dir": tmp_path / "console" / "dist",
            "rate_limit_per_second": 0.01,
            "rate_limit_burst": 2,
        }
    )
    async for client in client_for(settings):
        yield client


async def test_the_console_is_served_from_its_own_folder_with_the_apps_rules(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/console/", headers={"Accept-Encoding": "identity"})
    assert (page.status_code, page.content) == (200, CONSOLE)
    assert page.headers["cache-control"] == "no-cache"
    policy = dict(p.split(" ", 1) for p in page.headers["content-security-policy"].split("; "))
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert page.headers["x-frame-options"] == "DENY"
    script = await client.get(
        "/console/assets/console-9z8y.js", headers={"Accept-Encoding": "gzip"}
    )
    assert script.headers["content-encoding"] == "gzip" and script.content == SCRIPT
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    br = await client.get("/console/", headers={"Accept-Encoding": "br"})
    assert br.headers["content-encoding"] == "br"
    # A client-side route gets the console's page; the RT app's page stays at /app/.
    route = await client.get("/console/worklist", headers={"Accept-Encoding": "identity"})
    assert route.content == CONSOLE
    rt = await client.get("/app/", headers={"Accept-Encoding": "identity"})
    assert rt.status_code == 200 and rt.content != CONSOLE
    bare = await client.get("/console", follow_redirects=False)
    assert (bare.status_code, bare.headers["location"]) == (308, "/console/")


async def test_the_console_keeps_to_its_folder_and_is_not_rate_limited(
    client: httpx.AsyncClient,
) -> None:
    # The RT app's files are not the console's, and nothing outside the folder is served.
    assert (await client.get("/console/sw.js")).content == CONSOLE
    assert (await client.get("/console/assets/app-1a2b.js")).status_code == 404
    for escape in ("/console/../secret.txt", "/console/%2e%2e/%2e%2e/rt/secret.txt"):
        answer = await client.get(escape, headers={"Accept-Encoding": "identity"})
        assert b"outside the app" not in answer.content, escape
    statuses = [
        (await client.get("/console/assets/console-9z8y.js")).status_code for _ in range(20)
    ]
    assert set(statuses) == {200}


async def test_a_console_not_built_says_so_while_the_rt_app_works(
    memory_settings: IntakeSettings, tmp_path: Path
) -> None:
    build(tmp_path / "rt" / "dist")
    settings = memory_settings.model_copy(
        update={"app_dir": tmp_path / "rt" / "dist", "console_dir": tmp_path / "never-built"}
    )
    async for client in client_for(settings):
        answer = await client.get("/console/")
        assert answer.status_code == 503
        assert "Konsol verifikasi belum dibangun" in answer.text
        assert "The console is not built" in answer.text
        assert (await client.get("/app/")).status_code == 200


def policy_of(answer: httpx.Response) -> dict[str, str]:
    return dict(p.split(" ", 1) for p in answer.headers["content-security-policy"].split("; "))


async def test_the_pages_may_load_tiles_from_the_configured_server_and_no_other(
    memory_settings: IntakeSettings, tmp_path: Path
) -> None:
    build(tmp_path / "rt" / "dist")
    build_console(tmp_path / "console" / "dist")
    folders = {"app_dir": tmp_path / "rt" / "dist", "console_dir": tmp_path / "console" / "dist"}
    async for client in client_for(memory_settings.model_copy(update=folders)):
        assert policy_of(await client.get("/console/"))["img-src"] == "'self' blob: data:"
    tiles = {"map_tile_url": "https://tiles.example.org:8443/osm/{z}/{x}/{y}.png"}
    async for client in client_for(memory_settings.model_copy(update={**folders, **tiles})):
        for page in ("/console/", "/console/map", "/app/"):
            policy = policy_of(await client.get(page))
            assert policy["img-src"] == "'self' blob: data: https://tiles.example.org:8443"
            assert policy["connect-src"] == "'self'" and policy["default-src"] == "'self'"
