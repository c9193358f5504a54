"""What every service's OpenAPI document says about its errors matches what it answers (found
by the OpenAPI fuzz: 422 documented as FastAPI's JSON shape, unparseable bodies as nothing,
health as plain JSON, and a 405 whose Allow named only one of the path's routes)."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from sipokat.runtime.problems import PROBLEM_JSON
from sipokat.runtime.service import ServiceRuntime, create_service_app, database_context
from sipokat.runtime.settings import ServiceSettings

router = APIRouter()


class Thing(BaseModel):
    title: str


@router.get("/things")
async def list_things() -> list[str]:
    return []


@router.post("/things")
async def make_thing(body: Thing) -> dict[str, str]:
    return {"title": body.title}


def probe_app(tmp_path: Path) -> FastAPI:
    runtime = ServiceRuntime("probe", ServiceSettings(data_dir=tmp_path), context=database_context)
    return create_service_app(runtime, [router], title="probe")


def test_validation_and_unparseable_bodies_are_documented_as_problem_details(
    tmp_path: Path,
) -> None:
    document = probe_app(tmp_path).openapi()
    answers = document["paths"]["/things"]["post"]["responses"]
    assert list(answers["422"]["content"]) == [PROBLEM_JSON]
    assert list(answers["400"]["content"]) == [PROBLEM_JSON]
    assert "400" not in document["paths"]["/things"]["get"]["responses"]  # no body, no 400
    assert "HTTPValidationError" not in document.get("components", {}).get("schemas", {})


def test_health_is_documented_as_health_json(tmp_path: Path) -> None:
    paths = probe_app(tmp_path).openapi()["paths"]
    assert "application/health+json" in paths["/health/live"]["get"]["responses"]["200"]["content"]
    assert "application/health+json" in paths["/health/ready"]["get"]["responses"]["503"]["content"]


async def test_method_not_allowed_lists_every_method_of_the_path(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=probe_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        answer = await client.delete("/things")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.headers["allow"] == "GET, POST"  # Starlette alone says only "GET"


async def test_an_unparseable_body_is_a_bad_request_problem(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=probe_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        answer = await client.post(
            "/things", content=b"(\xff\x08", headers={"content-type": "application/json"}
        )
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"] == PROBLEM_JSON
