"""A bound on a request's head (request line and header fields): 431 beyond it, at every service.

The bound is kept by the HTTP server itself, while the head arrives: httptools, which uvicorn
runs by default, has none and gathers a header field of any size in memory (a 64 MB
Authorization header took intake to 476 MB, then went through the app and the gateway). uvicorn's
own setting for it, `h11_max_incomplete_event_size`, is applied only by its h11 implementation
(and answered with a bare 400 there); `BoundedHttpToolsProtocol` applies the same setting to
httptools and answers 431 with problem details, then closes the connection: what the client
sends after the limit is never read. `HeaderSizeLimitMiddleware` gives the same answer for the
app under any other server (in-process tests, another ASGI server).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from sipokat.runtime.messages import Text, negotiate, problem_kind, text, title
from sipokat.runtime.problems import PROBLEM_BASE, PROBLEM_JSON

TITLE = "Request header fields too large"


def detail(limit: int) -> Text:
    return text(
        "the request line and header fields may have at most {limit} bytes in all",
        "baris permintaan dan seluruh header paling banyak {limit} byte",
        limit=limit,
    )


STATUS = 431
Fields = list[tuple[bytes, bytes]]


def _accept_language(headers: Fields) -> str | None:
    for name, value in headers:
        if name.lower() == b"accept-language":
            return value.decode("latin-1")
    return None


def answer(limit: int, headers: Fields) -> tuple[Fields, bytes]:
    """The 431 answer's header fields and body, in the language the client asked for among the
    header fields read so far."""
    language = negotiate(_accept_language(headers))
    body = json.dumps(
        {
            "type": PROBLEM_BASE + problem_kind(TITLE),
            "title": title(TITLE, language),
            "status": STATUS,
            "detail": detail(limit).render(language),
        }
    ).encode()
    fields = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-language", language.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return fields, body


def head_size(target: bytes, headers: Fields) -> int:
    """The bytes of a request head: its line (method and version counted as 16) and fields."""
    return len(target) + 16 + sum(len(name) + len(value) + 4 for name, value in headers)


class HeaderSizeLimitMiddleware:
    """431 for a request whose line and header fields together pass `max_bytes`: a second line
    behind the server's own bound, and the only one under a server that has none."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers: Fields = scope.get("headers", [])
            target = (scope.get("raw_path") or scope.get("path", "").encode()) + b"?"
            if head_size(target + scope.get("query_string", b""), headers) > self.max_bytes:
                fields, body = answer(self.max_bytes, headers)
                await send({"type": "http.response.start", "status": STATUS, "headers": fields})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on each request head: uvicorn's
    `h11_max_incomplete_event_size` (the setting its h11 protocol keeps the same bound with).

    While a head is being read, bytes go to the parser in slices and are counted: once more than
    the bound has gone in without the head ending, the answer is 431 and the connection closes,
    so the parser never holds more than the bound and a slice. A head that ends is measured as
    parsed (as the middleware measures it) and refused the same way if it is too large, before
    the app sees it. A body goes to the parser as it comes."""

    SLICE = 8 * 1024

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head_bytes = config.h11_max_incomplete_event_size or 16 * 1024
        self.head_bytes = 0
        self.in_head = True  # the next bytes of an idle connection begin a head
        self.refused = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head = True
        self.head_bytes = 0

    def on_headers_complete(self) -> None:
        self.in_head = False
        if head_size(self.url, self.headers) > self.max_head_bytes:
            self.refused = True  # answered once the parser returns (data_received)
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        super().on_message_complete()
        self.in_head = True
        self.head_bytes = 0

    def data_received(self, data: bytes) -> None:
        start = 0
        while self.in_head and start < len(data):
            piece = data[start : start + self.SLICE]
            start += len(piece)
            if not self._feed(piece):
                return
            if self.in_head:
                self.head_bytes += len(piece)
                if self.head_bytes > self.max_head_bytes:
                    self.refuse_head()
                    return
        if start < len(data):
            self._feed(data[start:] if start else data)

    def _feed(self, data: bytes) -> bool:
        """Parse `data`; False once the connection is answered and closing."""
        super().data_received(data)
        if self.refused and not self.transport.is_closing():
            self.refuse_head()
        return not self.transport.is_closing()

    def refuse_head(self) -> None:
        self.refused = True
        fields, body = answer(self.max_head_bytes, self.headers or [])
        head = b"HTTP/1.1 431 Request Header Fields Too Large\r\n" + b"".join(
            name + b": " + value + b"\r\n" for name, value in fields
        )
        self.logger.warning("request head over %d bytes refused (431)", self.max_head_bytes)
        self.transport.write(head + b"\r\n" + body)
        self.transport.close()
