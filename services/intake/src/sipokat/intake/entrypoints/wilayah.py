"""GET /v1/wilayah...: browse the directory of areas (kota → kecamatan → kelurahan → RT).

Public: area names and RT counts are what the city publishes anyway, and an app needs them
before its user has a token (to pick the RT at sign-up).

No `from __future__ import annotations` here: the page-size cap is a value of the router's
settings, and FastAPI must see the annotations that carry it as objects, not strings.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from sipokat.events.catalogue import WilayahPath
from sipokat.intake.entrypoints.common import PROBLEM, Intake
from sipokat.wilayah import Directory


class Area(BaseModel):
    code: str
    name: str
    level: str
    rt_total: int
    url: str


class AreaDetail(Area):
    parent: str | None
    # A kota's kecamatan, a kecamatan's kelurahan; a kelurahan's RTs come a page at a time
    # from `rt_url`.
    children: list[Area]
    rt_url: str | None = None


class RTPage(BaseModel):
    kelurahan: Area
    total: int
    offset: int
    limit: int
    items: list[str]


def _url(code: str) -> str:
    return f"/v1/wilayah/{code}"


def router_for(max_page_size: int) -> APIRouter:
    router = APIRouter(prefix="/v1/wilayah", tags=["wilayah"])

    def area(directory: Directory, code: str, name: str, level: str) -> Area:
        return Area(
            code=code, name=name, level=level, rt_total=directory.rt_total(code), url=_url(code)
        )

    @router.get("", response_model=list[Area], summary="The cities in the directory")
    async def cities(context: Intake) -> list[Area]:
        directory = context.directory
        return [area(directory, c.code, c.name, "kota") for c in directory.cities]

    @router.get(
        "/{kelurahan_code}/rt",
        response_model=RTPage,
        responses={404: {"description": "No such kelurahan", **PROBLEM}},
        summary="The RT codes of a kelurahan, a page at a time",
    )
    async def rts(
        context: Intake,
        kelurahan_code: Annotated[str, Path(examples=["16.73.02.1019"])],
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=max_page_size)] = min(50, max_page_size),
    ) -> RTPage:
        directory = context.directory
        kelurahan = directory.kelurahan(kelurahan_code)
        codes = kelurahan.rt_codes()
        return RTPage(
            kelurahan=area(directory, kelurahan.code, kelurahan.name, "kelurahan"),
            total=len(codes),
            offset=offset,
            limit=limit,
            items=codes[offset : offset + limit],
        )

    @router.get(
        "/{code:path}",
        response_model=AreaDetail | WilayahPath,
        responses={404: {"description": "No such area", **PROBLEM}},
        summary="A kota, kecamatan or kelurahan with its parts; an RT as its full path",
    )
    async def detail(
        context: Intake,
        code: Annotated[str, Path(examples=["16.73.02", "16.73.02.1019/007"])],
    ) -> AreaDetail | WilayahPath:
        directory = context.directory
        if "/" in code:
            return directory.rt_path(code)
        levels = code.count(".")
        if levels == 1:
            city = directory.city(code)
            children = [area(directory, k.code, k.name, "kecamatan") for k in city.kecamatan]
            return AreaDetail(
                **area(directory, city.code, city.name, "kota").model_dump(),
                parent=None,
                children=children,
            )
        if levels == 2:
            kecamatan = directory.kecamatan(code)
            children = [area(directory, k.code, k.name, "kelurahan") for k in kecamatan.kelurahan]
            return AreaDetail(
                **area(directory, kecamatan.code, kecamatan.name, "kecamatan").model_dump(),
                parent=code.rsplit(".", 1)[0],
                children=children,
            )
        kelurahan = directory.kelurahan(code)
        return AreaDetail(
            **area(directory, kelurahan.code, kelurahan.name, "kelurahan").model_dump(),
            parent=code.rsplit(".", 1)[0],
            children=[],
            rt_url=f"{_url(code)}/rt",
        )

    return router
