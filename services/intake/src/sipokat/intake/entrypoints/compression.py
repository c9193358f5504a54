"""Gzip for the gateway's answers: its own and those it forwards, when the client takes gzip.

Starlette's GZipMiddleware does the work: it compresses a streamed answer chunk by chunk (each
flushed, so a CSV export stays streamed and a reader gets rows as they come), leaves alone an
answer already encoded (the apps' precompressed files), a partial one (206) and the types in its
list (server-sent events, images), and drops Content-Length and adds `Vary: Accept-Encoding`
when it compresses. Around it this adapter adds what a proxy in front of other services needs:
- a client refusing gzip (`gzip;q=0`) gets none (Starlette looks for the word only);
- a compressed answer's ETag is made weak, as the bytes are no longer the upstream's: a cache
  must not take the gzip bytes and the plain ones for the same (a strong ETag promises that).
Small answers (under `MINIMUM_SIZE`) are not worth it: the gateway passes an upstream's small
answer on whole (gateway.py), so that the middleware sees its size.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sipokat.intake.entrypoints.client_app import accepted_encodings

# Under about a kilobyte the header and the framing eat most of what gzip saves.
MINIMUM_SIZE = 1024
# 6, zlib's own default: level 9 costs several times the CPU for a percent or two on JSON.
LEVEL = 6
# Already compressed, or bytes of no known kind (photos, fonts, an app's unknown file).
EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "image/*", "font/*", "application/octet-stream")


class CompressionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("accept-encoding", "")
        if "gzip" not in accepted_encodings(header):
            await self.app(scope, receive, send)
            return
        encoded_before = False

        async def noting(message: Message, send_on: Send) -> None:
            nonlocal encoded_before
            if message["type"] == "http.response.start":
                encoded_before = "content-encoding" in Headers(raw=message.get("headers", []))
            await send_on(message)

        async def inner(scope: Scope, receive: Receive, send_on: Send) -> None:
            await self.app(scope, receive, lambda message: noting(message, send_on))

        async def amending(message: Message) -> None:
            if message["type"] == "http.response.start":
                amend(MutableHeaders(scope=message), compressed_here=not encoded_before)
            await send(message)

        gzip = GZipMiddleware(
            inner, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL, exclude_content_types=EXCLUDED
        )
        await gzip(scope, receive, amending)


def amend(headers: MutableHeaders, *, compressed_here: bool) -> None:
    etag = headers.get("etag")
    if compressed_here and "content-encoding" in headers and etag and not etag.startswith("W/"):
        headers["etag"] = "W/" + etag
    # Starlette adds Accept-Encoding to a Vary that already names it (the apps' files, an
    # upstream's): once is enough.
    if "vary" in headers:
        names: dict[str, str] = {}
        for name in headers["vary"].split(","):
            names.setdefault(name.strip().lower(), name.strip())
        headers["vary"] = ", ".join(names.values())
