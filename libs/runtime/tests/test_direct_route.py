"""DirectRoute: the direct handler takes valid requests; everything else gets FastAPI's answers."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from sipokat.runtime.direct import DirectRoute, FastPath, is_json, served_directly
from sipokat.runtime.problems import install_problem_handlers


class Greeting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    times: int = 1


def app_with_direct_route() -> tuple[FastAPI, list[str]]:
    served: list[str] = []

    async def greet_directly(request: Request, fastapi: FastPath) -> Response:
        try:
            greeting = Greeting.model_validate_json(await request.body())
        except ValidationError:
            return await fastapi.fallback(request)
        if not is_json(request):
            return await fastapi.fallback(request)
        served.append("direct")
        return Response(greeting.name * greeting.times, status_code=201)

    router = APIRouter(route_class=DirectRoute)

    @router.post("/greetings", status_code=201)
    @served_directly(greet_directly)
    async def greet(greeting: Greeting) -> Response:
        served.append("fastapi")
        return Response(greeting.name * greeting.times, status_code=201)

    @router.get("/plain")
    async def plain() -> dict[str, str]:
        served.append("plain")
        return {"ok": "yes"}

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    return app, served


async def test_a_valid_request_is_served_directly_and_an_invalid_one_as_fastapi_does() -> None:
    app, served = app_with_direct_route()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.post("/greetings", json={"name": "ab", "times": 2})
        wrong = await client.post("/greetings", json={"name": "ab", "times": "many"})
        extra = await client.post("/greetings", json={"name": "ab", "admin": True})
        broken = await client.post(
            "/greetings", content=b"{not json", headers={"content-type": "application/json"}
        )
        text = await client.post(
            "/greetings", content=b'{"name": "ab"}', headers={"content-type": "text/plain"}
        )
        plain = await client.get("/plain")

    assert (ok.status_code, ok.text) == (201, "abab")
    assert served == ["direct", "plain"]  # the invalid ones never reached an endpoint
    for refused in (wrong, extra, broken, text):
        assert refused.status_code == (400 if refused is broken else 422), refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    pointers = [e["pointer"] for e in wrong.json()["errors"]]
    assert pointers == ["/body/times"]
    assert [e["pointer"] for e in extra.json()["errors"]] == ["/body/admin"]
    assert broken.json()["errors"][0]["code"] == "json_invalid"
    assert plain.json() == {"ok": "yes"}


def test_the_route_is_documented_from_the_endpoint_signature() -> None:
    app, _ = app_with_direct_route()
    operation = app.openapi()["paths"]["/greetings"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Greeting"}
    assert "201" in operation["responses"]
