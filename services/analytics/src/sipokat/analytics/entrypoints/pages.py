"""The pages: the leaders' dashboard (static HTML + JS on the JSON API) and the public page.

The dashboard needs a bearer token; the page takes it from the URL fragment (`#token=...`, never
sent to a server or written to its logs) or from a form, keeps it in sessionStorage and calls the
API with it. The public page needs none and is rendered on the server.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from sipokat.analytics.domain.areas import Area, areas_at
from sipokat.analytics.entrypoints.params import Scope, public_scope

router = APIRouter(include_in_schema=False)
templates = Environment(
    loader=PackageLoader("sipokat.analytics.entrypoints", "templates"),
    autoescape=select_autoescape(),
)
STATIC = StaticFiles(directory=str(resources.files("sipokat.analytics.entrypoints") / "static"))


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard() -> HTMLResponse:
    return HTMLResponse(templates.get_template("dashboard.html").render())


@router.get("/public", response_class=HTMLResponse)
async def public_page(
    request: Request, scope: Annotated[Scope, Depends(public_scope)]
) -> HTMLResponse:
    body = (await scope.reader.public_activity(scope.area, scope.period)).body
    directory = scope.reader.directory
    choices = [(c, f"Kec. {n}") for c, n in areas_at("kecamatan", Area(), directory)] + [
        (c, f"Kel. {n}") for c, n in areas_at("kelurahan", Area(), directory)
    ]
    top = max((row["verified"] for row in body["by_kelurahan"]), default=1)
    html = templates.get_template("public.html").render(
        body=body, pilihan=choices, top=top, query=request.url.query
    )
    return HTMLResponse(html)
