"""GET /app/... and /console/...: the web apps, from the gateway: the RT heads' app (apps/rt, built
to `SIPOKAT_APP_DIR`) and the verifiers' console (apps/console, `SIPOKAT_CONSOLE_DIR`).

Both are served alike. Same origin as the API, so an app needs no CORS and the RT app's service
worker (`/app/sw.js`, scope `/app/`) may cache both. Hashed assets (`<prefix>/assets/...`) are kept
a year; the rest (the page, the service worker, the manifest) is revalidated on every load
(`no-cache`, with an ETag, so an unchanged file costs a 304). A `.br` or `.gz` beside a file is sent
when the client takes that encoding. A path that is no file is a client-side route: the page
answers it (but not under `assets/`, where a missing file is an old build's and must not come back
as HTML). Every answer carries the app's Content-Security-Policy: its own scripts only, API calls
to this origin only, images from here and from the map's tile server (SIPOKAT_MAP_TILE_URL).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from sipokat.intake.settings import IntakeSettings, image_sources
from sipokat.runtime.pagesecurity import page_headers

PREFIX = "/app"
CONSOLE_PREFIX = "/console"
PREFIXES = (PREFIX, CONSOLE_PREFIX)
INDEX = "index.html"
ASSETS = "assets/"


def security_headers(settings: IntakeSettings) -> dict[str, str]:
    """The apps' headers; images also from the configured tile server's origins, nothing more."""
    tiles = image_sources(settings.map_tile_url)
    return {
        **page_headers(
            # photos shrunk on the phone are shown from blob: URLs; the maps' tiles
            img_src=" ".join(["'self' blob: data:", *tiles]),
            manifest_src="'self'",
        ),
        "Permissions-Policy": "geolocation=(self), camera=(self), microphone=()",
    }


IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Python's table lacks some and differs on others (it says application/javascript).
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".png": "image/png",
}
# (Accept-Encoding token, file suffix), the better first.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))

NOT_BUILT = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sipokat: aplikasi belum dibangun / the app is not built</title></head>
<body>
<h1>{name_id} belum dibangun</h1>
<p>Jalankan <code>make run</code> di folder Sipokat, lalu muat ulang halaman ini.</p>
<h1 lang="en">{name_en} is not built</h1>
<p lang="en">Run <code>make run</code> in the Sipokat folder, then reload this page.</p>
</body></html>
"""


def content_type(path: Path) -> str:
    return (
        TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


def accepted_encodings(header: str) -> set[str]:
    """The codings of an Accept-Encoding header that are not refused with q=0."""
    accepted = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
        try:
            if float(q) > 0:
                accepted.add(coding.strip().lower())
        except ValueError:
            continue
    return accepted


def within(root: Path, relative: str) -> Path | None:
    """The file `relative` names inside `root`, or None (missing, a folder, or outside it)."""
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def router_for(settings: IntakeSettings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    headers = security_headers(settings)
    serve_app(router, PREFIX, settings.app_dir, ("Aplikasi RT", "The RT app"), headers)
    serve_app(
        router,
        CONSOLE_PREFIX,
        settings.console_dir,
        ("Konsol verifikasi", "The console"),
        headers,
    )
    return router


def serve_app(
    router: APIRouter,
    prefix: str,
    directory: Path,
    names: tuple[str, str],
    security: dict[str, str],
) -> None:
    """The built app in `directory` at `prefix`/ (`names`: what it is called, id and en;
    `security`: the headers every answer carries)."""
    not_built = NOT_BUILT.format(name_id=names[0], name_en=names[1])
    # Resolved once: the folder's name does not change, and a build made later is still found
    # (each request looks for its index.html).
    root = directory.resolve()

    @router.api_route(prefix, methods=["GET", "HEAD"])
    async def bare() -> Response:
        # Relative URLs in the page and the service worker's scope need the slash.
        return RedirectResponse(f"{prefix}/", status_code=308)

    @router.api_route(prefix + "/{rest:path}", methods=["GET", "HEAD"])
    async def serve(request: Request, rest: str) -> Response:
        index = root / INDEX
        if not index.is_file():
            return HTMLResponse(
                not_built,
                status_code=503,
                headers={**security, "Cache-Control": "no-store", "Retry-After": "60"},
            )
        found = within(root, rest) if rest else index
        if found is None and rest.startswith(ASSETS):
            return Response(
                "not found",
                status_code=404,
                media_type="text/plain",
                headers={**security, "Cache-Control": "no-store"},
            )
        path = found or index
        hashed = path.is_relative_to(root / ASSETS)
        headers = {
            **security,
            "Cache-Control": IMMUTABLE if hashed else REVALIDATE,
            "Vary": "Accept-Encoding",
        }
        sent = path
        accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
        for coding, suffix in ENCODINGS:
            compressed = path.with_name(path.name + suffix)
            if coding in accepted and compressed.is_file():
                sent = compressed
                headers["Content-Encoding"] = coding
                break
        stat = sent.stat()
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}-{sent.suffix.lstrip(".")}"'
        headers["ETag"] = etag
        # Weak comparison, as If-None-Match asks (RFC 9110 13.1.2): the gateway weakens the ETag
        # of a file it gzips itself (entrypoints/compression.py).
        tags = request.headers.get("if-none-match", "").split(",")
        if etag in {tag.strip().removeprefix("W/") for tag in tags}:
            return Response(status_code=304, headers=headers)
        return FileResponse(sent, media_type=content_type(path), headers=headers, stat_result=stat)
