"""The app every service gets: problem details, correlation ids, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from sipokat.events.envelope import Role
from sipokat.runtime.auth import Principal, mint_token, require_roles
from sipokat.runtime.service import ServiceRuntime, create_service_app, database_context
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import ONE_OF_EACH_ROLE

router = APIRouter()


class Body(BaseModel):
    title: str = Field(min_length=3)
    count: int


@router.post("/things")
async def make_thing(
    body: Body, principal: Annotated[Principal, Depends(require_roles(Role.LURAH))]
) -> dict[str, str]:
    return {"by": principal.subject}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(data_dir=tmp_path)
    app = create_service_app(
        ServiceRuntime("probe", settings, context=database_context), [router], title="probe"
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            yield client


def bearer(role: Role) -> dict[str, str]:
    # Every service app checks a token's wilayah against the directory, at its role's level.
    wilayah = dict(ONE_OF_EACH_ROLE)[role.value]
    token = mint_token(ServiceSettings(), subject=f"{role}-1", role=role, wilayah=wilayah)
    return {"Authorization": f"Bearer {token}"}


async def test_validation_errors_are_problem_details_naming_each_field(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/things", json={"title": "x"}, headers=bearer(Role.LURAH))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert problem["instance"] == "/things"
    assert {e["pointer"] for e in problem["errors"]} == {"/body/title", "/body/count"}


async def test_missing_token_is_401_and_wrong_role_is_403(client: httpx.AsyncClient) -> None:
    body = {"title": "abc", "count": 1}
    missing = await client.post("/things", json=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong_role = await client.post("/things", json=body, headers=bearer(Role.KETUA_RT))
    assert wrong_role.status_code == 403
    assert "lurah" in wrong_role.json()["detail"]
    allowed = await client.post("/things", json=body, headers=bearer(Role.LURAH))
    assert allowed.json() == {"by": "lurah-1"}


async def test_correlation_id_is_taken_from_the_request_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/health/live", headers={"X-Correlation-ID": "abc-123"})
    assert given.headers["x-correlation-id"] == "abc-123"
    made = await client.get("/health/live")
    assert len(made.headers["x-correlation-id"]) == 36
    unsafe = await client.get("/health/live", headers={"X-Correlation-ID": "a b\tc"})
    assert unsafe.headers["x-correlation-id"] != "a b\tc"


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    assert live.headers["content-type"] == "application/health+json"
    assert live.json()["status"] == "pass"
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["store:reachable"][0]["status"] == "pass"
    await client.get("/nowhere")
    metrics = (await client.get("/metrics")).text
    assert (
        'sipokat_http_requests_total{method="GET",route="unmatched",service="probe",status="404"}'
        in metrics
    )
