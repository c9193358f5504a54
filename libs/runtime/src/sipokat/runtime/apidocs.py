"""GET /docs (Swagger UI) and /redoc (ReDoc) for a service's OpenAPI document, served by the
service itself: no CDN.

FastAPI's own pages load their scripts from a CDN and start them with an inline script: blank
without internet, and refused by a Content-Security-Policy without 'unsafe-inline'. Here the
pages, the viewers' files (the `fastapi-offline` wheel vendors swagger-ui-dist and ReDoc; uv.lock
pins it, so every service's image has them) and the few lines that start Swagger UI are all
same-origin, and the pages' policy allows 'self' only. The document's URL is in the page
(`data-url`, `spec-url`), not in code.
"""

from __future__ import annotations

import html
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from sipokat.runtime.messages import text
from sipokat.runtime.pagesecurity import page_headers
from sipokat.runtime.problems import Problem

PREFIX = "/docs"
REDOC = "/redoc"
ASSETS = PREFIX + "/assets/"

# Swagger UI's own files, as the wheel ships them.
_VENDORED = files("fastapi_offline") / "static"
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
# Started from a file of its own, so that the policy needs no 'unsafe-inline' for scripts. No
# validator badge: it is an image from swagger.io.
_START = """\
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
});
"""

SECURITY_HEADERS = page_headers(
    img_src="'self' data:",  # Swagger UI's icons are data: URLs in its stylesheet
    worker_src="'self' blob:",  # ReDoc's search runs in a worker it makes from a blob
)
# The page is small and names the files; the files change only with the wheel's version.
_PAGE_CACHE = "no-cache"
_ASSET_CACHE = "public, max-age=86400"


def _asset(name: str) -> bytes:
    """A vendored file, read once."""
    if name not in _read:
        _read[name] = (_VENDORED / name).read_bytes()
    return _read[name]


_read: dict[str, bytes] = {}


def page(title: str, openapi_url: str) -> str:
    title, url = html.escape(title), html.escape(openapi_url, quote=True)
    return f"""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: dokumentasi API / API docs</title>
<link rel="icon" type="image/png" href="{ASSETS}favicon.png">
<link rel="stylesheet" href="{ASSETS}swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="{url}"></div>
<noscript>Halaman ini memerlukan JavaScript; dokumen OpenAPI: <a href="{url}">{url}</a>.
This page needs JavaScript; the OpenAPI document: <a href="{url}">{url}</a>.</noscript>
<script src="{ASSETS}swagger-ui-bundle.js"></script>
<script src="{ASSETS}start.js"></script>
</body>
</html>
"""


def redoc_page(title: str, openapi_url: str) -> str:
    """ReDoc starts itself from the `<redoc>` element: no script of ours."""
    title, url = html.escape(title), html.escape(openapi_url, quote=True)
    return f"""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: dokumentasi API / API docs</title>
<link rel="icon" type="image/png" href="{ASSETS}favicon.png">
</head>
<body>
<redoc spec-url="{url}"></redoc>
<script src="{ASSETS}redoc.standalone.js"></script>
</body>
</html>
"""


def docs_router(title: str, openapi_url: str) -> APIRouter:
    """`/docs` and `/redoc` showing the document at `openapi_url`, their files under
    `/docs/assets/`."""
    router = APIRouter(include_in_schema=False)
    swagger, redoc = page(title, openapi_url), redoc_page(title, openapi_url)
    headers = {**SECURITY_HEADERS, "Cache-Control": _PAGE_CACHE}

    @router.get(PREFIX)
    async def docs() -> HTMLResponse:
        return HTMLResponse(swagger, headers=headers)

    @router.get(REDOC)
    async def redoc_docs() -> HTMLResponse:
        return HTMLResponse(redoc, headers=headers)

    @router.get(ASSETS + "{name}")
    async def asset(name: str) -> Response:
        headers = {**SECURITY_HEADERS, "Cache-Control": _ASSET_CACHE}
        if name == "start.js":
            return Response(_START, media_type="text/javascript; charset=utf-8", headers=headers)
        media_type = _FILES.get(name)
        if media_type is None:  # only the listed names: nothing else of the wheel is served
            raise Problem(
                404, "Not found", text("no such file: {name}", "tidak ada berkas {name}", name=name)
            )
        return Response(_asset(name), media_type=media_type, headers=headers)

    return router
