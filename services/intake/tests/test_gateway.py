"""The gateway over real sockets: intake and a stand-in upstream both served by uvicorn.

The upstream is a small FastAPI app playing verification, analytics and notification; what is
tested is intake's forwarding: headers, routes, streaming, timeouts and unreachable backends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from sipokat.events.testing import eventually
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.testing import bearer

pytestmark = pytest.mark.broker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=30, message="server started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


# What a dashboard's analytics answer looks like: kelurahan by kelurahan, a few kilobytes.
DASHBOARD = {
    "areas": [
        {"kode": f"16.73.02.{1000 + i}", "name": f"Kelurahan {i}", "open": i * 3, "closed": i}
        for i in range(80)
    ]
}
# A CSV export, chunk by chunk as the upstream writes it.
ROWS = [f"0193b6a4-{i:04d},verified\n".encode() * 200 for i in range(20)]


class Upstream:
    def __init__(self) -> None:
        self.app = FastAPI()
        self.release_second_event = asyncio.Event()
        self.release_rest_of_export = asyncio.Event()
        app = self.app

        @app.get("/v1/analytics/slow")
        async def slow() -> dict[str, str]:
            await asyncio.sleep(5)
            return {"late": "yes"}

        @app.get("/v1/notifications/stream")
        async def stream() -> StreamingResponse:
            async def events() -> AsyncIterator[bytes]:
                yield b"event: notification\ndata: first\n\n"
                await self.release_second_event.wait()
                yield b"event: notification\ndata: second\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        @app.get("/v1/analytics/dashboard")
        async def dashboard() -> dict[str, Any]:
            return DASHBOARD

        @app.get("/v1/analytics/tiny")
        async def tiny() -> dict[str, str]:
            return {"small": "yes"}

        @app.get("/v1/verification/export")
        async def export() -> StreamingResponse:
            async def rows() -> AsyncIterator[bytes]:
                yield b"id,status\n" + ROWS[0]
                await self.release_rest_of_export.wait()
                for row in ROWS[1:]:
                    yield row

            return StreamingResponse(rows(), media_type="text/csv; charset=utf-8")

        @app.get("/v1/analytics/areas")
        async def areas() -> dict[str, str]:
            return {"only": "GET"}

        @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE"])
        async def echo(request: Request, path: str) -> dict[str, Any]:
            return {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": dict(request.headers),
                "body": (await request.body()).decode(),
            }


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, str]]:
    stand_in = Upstream()
    async with serving(stand_in.app) as url:
        yield stand_in, url


@pytest.fixture
async def gateway(
    settings: IntakeSettings, upstream: tuple[Upstream, str]
) -> AsyncIterator[httpx.AsyncClient]:
    _, url = upstream
    routed = settings.model_copy(
        update={
            "verification_url": url,
            "analytics_url": url,
            "notification_url": url,
            "identity_url": url,
            "upstream_timeout_seconds": 1.0,
        }
    )
    async with (
        serving(create_app(routed)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield client


LURAH = bearer("lurah", "16.73.02.1019")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        # GET is verification's (the caller's reports), though POST of the path is intake's.
        ("GET", "/v1/reports"),
        ("GET", "/v1/reports/0193b6a4-2c1e-7c55-9f0a-1d2e3f405162"),
        ("POST", "/v1/reports/0193b6a4-2c1e-7c55-9f0a-1d2e3f405162/decisions"),
        ("GET", "/v1/verification/queue"),
        ("GET", "/v1/analytics/summary"),
        ("GET", "/dashboard"),
        ("GET", "/v1/public/reports"),
        ("GET", "/public/kelurahan"),
        ("GET", "/open311/v2/requests.json"),
        ("GET", "/v1/notifications/inbox"),
        ("DELETE", "/v1/webhooks/3"),
        ("POST", "/v1/auth/sign-in"),
        ("GET", "/v1/accounts/0193b6a4"),
        ("GET", "/.well-known/jwks.json"),
    ],
)
async def test_routes_reach_their_owner_with_token_and_correlation_id(
    gateway: httpx.AsyncClient, method: str, path: str
) -> None:
    answer = await gateway.request(
        method,
        path,
        params={"limit": "20"},
        headers={**LURAH, "X-Correlation-ID": "corr-42", "Accept-Language": "id"},
        content=b'{"decision": "approve"}' if method == "POST" else None,
    )
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    assert (seen["method"], seen["path"], seen["query"]) == (method, path, {"limit": "20"})
    assert seen["headers"]["authorization"] == LURAH["Authorization"]
    assert seen["headers"]["x-correlation-id"] == "corr-42"
    assert seen["headers"]["accept-language"] == "id"
    assert answer.headers["x-correlation-id"] == "corr-42"
    if method == "POST":
        assert seen["body"] == '{"decision": "approve"}'


async def test_an_unknown_route_is_404_and_a_huge_page_400(gateway: httpx.AsyncClient) -> None:
    unknown = await gateway.get("/v1/nowhere", headers=LURAH)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    lookalike = await gateway.get("/v1/reportsx", headers=LURAH)
    assert lookalike.status_code == 404
    assert (await gateway.get("/open311x/v2/services.json")).status_code == 404
    huge = await gateway.get("/v1/verification/queue?limit=5000", headers=LURAH)
    assert huge.status_code == 400
    assert huge.json()["errors"][0]["pointer"] == "/query/limit"


REPORT = "0193b6a4-2c1e-7c55-9f0a-1d2e3f405162"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/reports", "GET, POST"),
        ("PUT", "/v1/reports", "GET, POST"),
        ("GET", f"/v1/reports/{REPORT}/revisions", "POST"),
        ("GET", "/v1/attachments", "POST"),
        ("DELETE", "/v1/attachments/" + "a" * 64, "GET"),
        ("POST", "/v1/wilayah", "GET"),
        ("PUT", "/v1/wilayah/16.73.02.1019", "GET"),
        ("OPTIONS", "/v1/asyncapi.json", "GET"),
    ],
)
async def test_the_gateways_own_paths_answer_a_wrong_method_405_with_allow(
    gateway: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    """Never forwarded (the stand-in upstream would take GET, POST and DELETE of anything)."""
    english = await gateway.request(method, path, headers=LURAH)
    assert english.status_code == 405, english.text
    assert english.headers["allow"] == allow
    assert english.headers["content-type"] == "application/problem+json"
    assert english.json()["title"] == "Method not allowed"
    indonesian = await gateway.request(method, path, headers={**LURAH, "Accept-Language": "id"})
    assert indonesian.status_code == 405
    assert indonesian.headers["allow"] == allow
    assert indonesian.json()["title"] == "Metode tidak diizinkan"


async def test_an_upstreams_405_keeps_its_allow_in_the_clients_language(
    gateway: httpx.AsyncClient,
) -> None:
    answer = await gateway.put("/v1/analytics/areas", headers={**LURAH, "Accept-Language": "id"})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Metode tidak diizinkan"


async def test_a_slow_upstream_is_a_504_not_a_hang(gateway: httpx.AsyncClient) -> None:
    answer = await gateway.get("/v1/analytics/slow", headers=LURAH)
    assert answer.status_code == 504
    assert answer.json()["title"] == "Gateway timeout"


async def test_an_unreachable_upstream_is_a_502(settings: IntakeSettings) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    routed = settings.model_copy(update={"analytics_url": closed})
    async with serving(create_app(routed)) as base, httpx.AsyncClient(base_url=base) as client:
        answer = await client.get("/v1/analytics/summary", headers=LURAH)
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Bad gateway"
    # The service by name; its address stays in the log, out of an answer anyone may read.
    assert "analytics" in answer.json()["detail"] and closed not in answer.text


async def test_a_browser_opening_a_page_of_an_unreachable_upstream_gets_a_page(
    settings: IntakeSettings,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    routed = settings.model_copy(update={"analytics_url": closed})
    async with serving(create_app(routed)) as base, httpx.AsyncClient(base_url=base) as client:
        answer = await client.get("/dashboard", headers={"Accept": "text/html,*/*"})
    assert answer.status_code == 502
    assert answer.headers["content-type"].startswith("text/html")
    assert "sedang tidak tersedia" in answer.text and "not available" in answer.text
    assert closed not in answer.text and "127.0.0.1" not in answer.text


async def test_server_sent_events_pass_through_unbuffered(
    gateway: httpx.AsyncClient, upstream: tuple[Upstream, str]
) -> None:
    stand_in, _ = upstream
    headers = {**bearer("ketua_rt", "16.73.02.1019/007"), "Accept": "text/event-stream"}
    headers["Accept-Encoding"] = "gzip, deflate, br"  # never for an event stream
    async with gateway.stream("GET", "/v1/notifications/stream", headers=headers) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in answer.headers
        lines = answer.aiter_lines()
        # The first event arrives while the upstream still holds the stream open; and the
        # stream outlives the 1 s upstream timeout, which does not apply to event streams.
        assert await asyncio.wait_for(anext(lines), 10) == "event: notification"
        assert await asyncio.wait_for(anext(lines), 10) == "data: first"
        await asyncio.sleep(1.5)
        stand_in.release_second_event.set()
        rest = [await asyncio.wait_for(anext(lines), 10) for _ in range(3)]
        assert rest == ["", "event: notification", "data: second"]


async def raw_get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as sent, not undone by httpx."""
    async with client.stream("GET", path, headers=headers) as answer:
        return answer, b"".join([chunk async for chunk in answer.aiter_raw()])


async def test_a_large_json_answer_comes_gzipped_a_small_one_plain(
    gateway: httpx.AsyncClient,
) -> None:
    headers = {**LURAH, "Accept-Encoding": "gzip, deflate, br"}
    answer, sent = await raw_get(gateway, "/v1/analytics/dashboard", headers)
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["vary"] == "Accept-Encoding"
    assert json.loads(gzip.decompress(sent)) == DASHBOARD
    plain, plain_sent = await raw_get(gateway, "/v1/analytics/dashboard", LURAH | IDENTITY)
    assert "content-encoding" not in plain.headers and json.loads(plain_sent) == DASHBOARD
    assert len(sent) < len(plain_sent) / 4
    tiny, tiny_sent = await raw_get(gateway, "/v1/analytics/tiny", headers)
    assert "content-encoding" not in tiny.headers
    assert tiny.headers["content-length"] == str(len(tiny_sent))
    assert json.loads(tiny_sent) == {"small": "yes"}
    # A problem of the gateway's own is small too.
    unknown, _ = await raw_get(gateway, "/v1/nowhere", headers)
    assert unknown.status_code == 404 and "content-encoding" not in unknown.headers


IDENTITY = {"Accept-Encoding": "identity"}


async def test_a_csv_export_comes_gzipped_as_it_is_written_and_complete(
    gateway: httpx.AsyncClient, upstream: tuple[Upstream, str]
) -> None:
    stand_in, _ = upstream
    headers = {**LURAH, "Accept-Encoding": "gzip"}
    async with gateway.stream("GET", "/v1/verification/export", headers=headers) as answer:
        assert answer.headers["content-encoding"] == "gzip"
        assert "content-length" not in answer.headers
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunks = answer.aiter_raw()
        # The first rows arrive, decodable, while the upstream still holds the rest back.
        first = b""
        while not first.endswith(ROWS[0]):
            first += decoder.decompress(await asyncio.wait_for(anext(chunks), 10))
        assert first == b"id,status\n" + ROWS[0]
        stand_in.release_rest_of_export.set()
        rest = b"".join([decoder.decompress(chunk) async for chunk in chunks])
    assert decoder.eof and first + rest == b"id,status\n" + b"".join(ROWS)
