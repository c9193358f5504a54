"""The public page (rendered on the server, no token) and where the leaders' dashboard went.

The dashboard is a screen of the console (`/console/#/dashboard`, served by the gateway), where
leaders sign in with their accounts; `/dashboard` sends old links and bookmarks there, its area
and months with it. The public page's own files stay under `/dashboard/static/`.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from sipokat.analytics.domain.areas import Area, areas_at
from sipokat.analytics.entrypoints.common import Analytics
from sipokat.analytics.entrypoints.locale import WORDS, language, number
from sipokat.analytics.entrypoints.params import Scope, public_scope

router = APIRouter(include_in_schema=False)
templates = Environment(
    loader=PackageLoader("sipokat.analytics.entrypoints", "templates"),
    autoescape=select_autoescape(),
)
# The bars' drawing (SVG units): a name and its count on one line, the bar across below it, so a
# phone's width holds every row without scrolling sideways.
WIDTH, ROW = 320, 38
STATIC = StaticFiles(directory=str(resources.files("sipokat.analytics.entrypoints") / "static"))


CONSOLE_DASHBOARD = "/console/#/dashboard"


@router.get("/dashboard")
async def dashboard(request: Request) -> RedirectResponse:
    """303 to the console's dashboard; the filters a bookmark carried ride in its hash. A
    `#token=` of the old page's links stays in the browser: a redirect's own fragment wins."""
    kept = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k in ("wilayah", "from", "to")]
    )
    return RedirectResponse(CONSOLE_DASHBOARD + (f"?{kept}" if kept else ""), status_code=303)


def city_of(code: str) -> str:
    """The kota code of any area code (`16.73.02.1019/007` -> `16.73`)."""
    return ".".join(code.split("/")[0].split(".")[:2])


async def page_scope(
    context: Analytics,
    wilayah: Annotated[str | None, Query(max_length=40)] = None,
    first: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Annotated[str | None, Query(max_length=20)] = None,
) -> Scope:
    """The public API's scope; the page's form sends its empty fields (`from=&to=`) too, and
    an empty field is one not filled in."""
    return await public_scope(context, wilayah or None, first or None, to or None)


@router.get("/public", response_class=HTMLResponse)
async def public_page(
    request: Request,
    scope: Annotated[Scope, Depends(page_scope)],
    kota: Annotated[str | None, Query(max_length=20)] = None,
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> HTMLResponse:
    """One city at a time (the one asked for, else the first): its areas to pick from, and the
    verified activity of the city or of the area picked inside it."""
    directory = scope.reader.directory
    cities = {city.code: city.name for city in directory.cities}
    asked = scope.area.code
    # A city switched without the page's script still sends the old city's area: the city wins.
    if kota in cities and (asked is None or city_of(asked) != kota):
        asked = None
    city = kota if kota in cities else city_of(asked) if asked else next(iter(cities))
    area = Area(scope.area.level, asked) if asked else Area("kota", city)
    body = (await scope.reader.public_activity(area, scope.period)).body
    said = language(lang)
    words = WORDS[said]
    choices = [
        (code, f"{words[level[:3]]} {name}")
        for level in ("kecamatan", "kelurahan")
        for code, name in areas_at(level, Area("kota", city), directory)
    ]
    top = max((row["verified"] for row in body["by_kelurahan"]), default=1) or 1
    bars = [
        {**row, "y": i * ROW, "length": round(WIDTH * row["verified"] / top, 1)}
        for i, row in enumerate(body["by_kelurahan"])
    ]
    html = templates.get_template("public.html").render(
        body=body,
        cities=cities,
        city=city,
        chosen=asked or "",
        pilihan=choices,
        bars=bars,
        width=WIDTH,
        row=ROW,
        lang=said,
        t=words,
        n=lambda value: number(int(value), said),
        switch=str(request.url.include_query_params(lang=words["switch_lang"]).query),
        query=urlencode(
            {
                key: value
                for key, value in (
                    ("wilayah", area.code),
                    ("from", scope.period.first),
                    ("to", scope.period.last),
                )
                if value
            }
        ),
    )
    return HTMLResponse(html)
