"""GET /app/...: the RT app's built files from the gateway, on a memory store. A temporary dist
folder of fake files stands in for apps/rt/dist."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import in_memory, service_client

INDEX = b"<!doctype html><title>RT</title><script type=module src=./assets/app-1a2b.js></script>"
SCRIPT = b"console.log('app');" * 50
LATE = b"console.log('late');" * 100


def build(dist: Path) -> None:
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "index.html.gz").write_bytes(gzip.compress(INDEX))
    (dist / "sw.js").write_bytes(b"self.addEventListener('fetch', () => {});")
    (dist / "manifest.webmanifest").write_bytes(b'{"name": "Sipokat RT", "start_url": "/app/"}')
    (dist / "assets" / "app-1a2b.js").write_bytes(SCRIPT)
    (dist / "assets" / "app-1a2b.js.gz").write_bytes(gzip.compress(SCRIPT))
    (dist / "assets" / "app-1a2b.js.br").write_bytes(b"brotli bytes stand-in")
    (dist / "assets" / "icon-9f8e.png").write_bytes(b"\x89PNG fake")
    (dist / "assets" / "late-3c4d.js").write_bytes(LATE)  # no .gz beside it
    (dist.parent / "secret.txt").write_bytes(b"outside the app")


async def client_for(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    in_memory(app)
    async with service_client(app) as client:
        yield client


@pytest.fixture
async def client(
    memory_settings: IntakeSettings, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "site" / "dist"
    build(dist)
    # Far below what a page load takes: the app's files must not count against it.
    settings = memory_settings.model_copy(
        update={"app_dir": dist, "rate_limit_per_second": 0.01, "rate_limit_burst": 2}
    )
    async for client in client_for(settings):
        yield client


async def test_the_page_and_its_files_come_with_their_types_and_cache_rules(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/app/", headers={"Accept-Encoding": "identity"})
    assert page.status_code == 200
    assert page.content == INDEX
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert "content-encoding" not in page.headers
    expected = {
        "/app/sw.js": ("text/javascript; charset=utf-8", "no-cache"),
        "/app/manifest.webmanifest": ("application/manifest+json", "no-cache"),
        "/app/assets/app-1a2b.js": (
            "text/javascript; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        "/app/assets/icon-9f8e.png": ("image/png", "public, max-age=31536000, immutable"),
    }
    for path, (kind, cache) in expected.items():
        answer = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200, path
        assert (answer.headers["content-type"], answer.headers["cache-control"]) == (kind, cache)
    bare = await client.get("/app", follow_redirects=False)
    assert (bare.status_code, bare.headers["location"]) == (308, "/app/")


async def test_precompressed_files_are_chosen_by_accept_encoding(
    client: httpx.AsyncClient,
) -> None:
    path = "/app/assets/app-1a2b.js"
    br = await client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["content-encoding"] == "br"
    assert br.headers["vary"] == "Accept-Encoding"
    gz = await client.get(path, headers={"Accept-Encoding": "gzip, br;q=0"})
    assert gz.headers["content-encoding"] == "gzip"
    assert gz.content == SCRIPT  # httpx undoes the gzip: the bytes are the script's
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == SCRIPT
    # No .br beside the page: gzip, the next best.
    page = await client.get("/app/", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["content-encoding"] == "gzip" and page.content == INDEX


async def test_an_unchanged_file_is_a_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/app/sw.js", headers={"Accept-Encoding": "identity"})
    again = await client.get(
        "/app/sw.js",
        headers={"Accept-Encoding": "identity", "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    gzipped = await client.get(
        "/app/", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]}
    )
    assert gzipped.status_code == 200


async def test_client_routes_get_the_page_but_missing_assets_and_escapes_do_not(
    client: httpx.AsyncClient,
) -> None:
    for route in ("/app/reports", "/app/reports/0193b6a4/revise", "/app/compose?draft=1"):
        answer = await client.get(route, headers={"Accept-Encoding": "identity"})
        assert (answer.status_code, answer.content) == (200, INDEX), route
    old_build = await client.get("/app/assets/app-0000.js")
    assert old_build.status_code == 404
    for escape in ("/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/..%2fsecret.txt"):
        answer = await client.get(escape, headers={"Accept-Encoding": "identity"})
        assert b"outside the app" not in answer.content, escape


async def test_every_answer_carries_the_apps_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/app/", "/app/sw.js", "/app/assets/app-1a2b.js", "/app/nowhere"):
        headers = (await client.get(path)).headers
        directives = headers["content-security-policy"].split("; ")
        policy = dict(part.split(" ", 1) for part in directives)
        assert policy["script-src"] == "'self'"
        assert policy["img-src"] == "'self' blob: data:"
        assert policy["connect-src"] == "'self'"
        assert policy["worker-src"] == "'self'"
        assert policy["manifest-src"] == "'self'"
        assert headers["x-content-type-options"] == "nosniff"


async def test_the_apps_files_are_not_rate_limited(client: httpx.AsyncClient) -> None:
    """The fixture allows 2 requests in a burst: a page load takes more."""
    statuses = [(await client.get("/app/assets/icon-9f8e.png")).status_code for _ in range(20)]
    assert set(statuses) == {200}
    limited = [(await client.get("/v1/wilayah")).status_code for _ in range(5)]
    assert 429 in limited


async def test_an_app_not_built_is_a_bilingual_503_page(
    memory_settings: IntakeSettings, tmp_path: Path
) -> None:
    settings = memory_settings.model_copy(update={"app_dir": tmp_path / "never-built"})
    async for client in client_for(settings):
        answer = await client.get("/app/")
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("text/html")
        assert "make run" in answer.text
        assert "belum dibangun" in answer.text and "not built" in answer.text


async def raw(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as sent, not undone by httpx."""
    async with client.stream("GET", path, headers=headers) as answer:
        return answer, b"".join([chunk async for chunk in answer.aiter_raw()])


async def test_a_precompressed_file_is_not_gzipped_again(client: httpx.AsyncClient) -> None:
    answer, sent = await raw(client, "/app/assets/app-1a2b.js", {"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(sent) == SCRIPT  # once: the .gz file's bytes
    assert not answer.headers["etag"].startswith("W/")  # the file's own, exactly these bytes


async def test_a_file_built_without_a_gz_is_gzipped_with_a_weak_etag(
    client: httpx.AsyncClient,
) -> None:
    path = "/app/assets/late-3c4d.js"
    answer, sent = await raw(client, path, {"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(sent) == LATE
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.content == LATE and "content-encoding" not in plain.headers
    # The gzip bytes are the gateway's, not the file's: the same tag, but weak; and it still
    # saves the download.
    assert answer.headers["etag"] == "W/" + plain.headers["etag"]
    again = await client.get(
        path, headers={"Accept-Encoding": "gzip", "If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304
    refused = await client.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers and refused.content == LATE
