"""Request heads past the limit are refused with 431, by the server while the head arrives and by
the middleware under any other server; requests within it are served as before."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import httpx
import uvicorn
from fastapi import FastAPI, Request

from sipokat.events.testing import eventually
from sipokat.runtime.header_limit import BoundedHttpToolsProtocol, HeaderSizeLimitMiddleware
from sipokat.runtime.testing import free_port

LIMIT = 8 * 1024


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, int]:
        return {"body": len(await request.body()), "headers": len(request.headers)}

    return app


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        app,
        port=port,
        log_config=None,
        lifespan="off",
        http=BoundedHttpToolsProtocol,
        h11_max_incomplete_event_size=LIMIT,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=30, message="server started")
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


def exchange(port: int, request: bytes) -> bytes:
    """Send `request` over a raw socket (stopping once an answer comes, or the server closes) and
    read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for start in range(0, len(request), 4096):
                sock.sendall(request[start : start + 4096])
        received = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := sock.recv(65536):
                received += chunk
        return received


def get(path: str, *fields: bytes, close: bool = True) -> bytes:
    lines = [f"GET {path} HTTP/1.1".encode(), b"host: test", *fields]
    if close:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def test_a_head_past_the_limit_is_431_in_the_language_asked_for() -> None:
    async with serving(echo_app()) as port:
        too_large = get("/echo", b"accept-language: id", b"authorization: Bearer " + b"a" * LIMIT)
        answer = await asyncio.to_thread(exchange, port, too_large)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"content-type: application/problem+json" in head
    assert b"content-language: id" in head
    problem = json.loads(body)
    assert problem["status"] == 431
    assert problem["type"].endswith("/request-header-fields-too-large")
    assert problem["title"] == "Header permintaan terlalu besar"
    assert str(LIMIT) in problem["detail"]


async def test_heads_within_the_limit_and_pipelined_requests_after_a_body_are_served() -> None:
    """A large body is no head: a request behind it on the same connection is not refused for
    the bytes of the body before it."""
    body = b"x" * (LIMIT * 8)
    post = (
        b"POST /echo HTTP/1.1\r\nhost: test\r\ncontent-type: text/plain\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    within = get("/echo", b"x-padding: " + b"p" * (LIMIT - 200))
    async with serving(echo_app()) as port:
        answer = await asyncio.to_thread(exchange, port, post + within)
    assert answer.count(b"HTTP/1.1 200 OK") == 2, answer[:500]
    assert f'{{"body":{len(body)},'.encode() in answer


async def test_the_middleware_answers_431_under_any_server() -> None:
    app = HeaderSizeLimitMiddleware(echo_app(), max_bytes=LIMIT)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        refused = await client.get("/echo", headers={"authorization": "Bearer " + "a" * LIMIT})
        served = await client.get("/echo", headers={"x-padding": "p" * (LIMIT - 200)})
    assert refused.status_code == 431
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Request header fields too large"
    assert served.status_code == 200
