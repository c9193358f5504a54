"""A chunked JSON body over the limit is 413, not FastAPI's 400 "error parsing the body".

Found by tests/security: FastAPI reads a declared JSON body before the route runs and turns any
error while reading it (the limit's, raised from `receive`) into a 400.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from sipokat.runtime.limits import BodySizeLimitMiddleware
from sipokat.runtime.problems import install_problem_handlers


class Note(BaseModel):
    text: str


def app() -> FastAPI:
    served = FastAPI()
    install_problem_handlers(served)

    @served.post("/notes")
    async def take(note: Note) -> dict[str, int]:
        return {"length": len(note.text)}

    served.add_middleware(BodySizeLimitMiddleware, default_max_bytes=1000)
    return served


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 300):
        yield body[start : start + 300]


async def post(body: bytes, *, chunked: bool) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        content = chunks(body) if chunked else body
        return await client.post(
            "/notes", content=content, headers={"Content-Type": "application/json"}
        )


async def test_a_chunked_json_body_over_the_limit_is_413() -> None:
    answer = await post(b'{"text": "' + b"x" * 2000 + b'"}', chunked=True)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 413


async def test_a_chunked_json_body_under_the_limit_is_read() -> None:
    answer = await post(b'{"text": "' + b"x" * 500 + b'"}', chunked=True)
    assert answer.status_code == 200
    assert answer.json() == {"length": 500}
