"""The merged OpenAPI document, on small made-up documents: which paths come in, how clashing
component names and operation ids are kept apart, and how long fetched documents are kept."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from sipokat.intake.adapters.apidocs import UpstreamDocuments
from sipokat.intake.adapters.openapi_merge import MISSING, UPSTREAM, merge

REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def passed_to(path: str) -> str | None:
    if path.startswith("/v1/verification") or path == "/v1/reports":
        return "verification"
    if path.startswith("/v1/auth"):
        return "identity"
    return None


def gateway() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "gateway", "version": "1"},
        "paths": {
            "/v1/reports": {
                "post": {"operationId": "submit", "tags": ["reports"], "responses": answer({})},
                # the stand-in of a route the gateway keeps only to pass it on
                "get": {"operationId": "list_reports", UPSTREAM: "verification", "responses": {}},
            },
            "/health/live": {"get": {"operationId": "live", "responses": answer({})}},
        },
        "components": {
            "schemas": {
                "Problem": {"type": "object", "properties": {"title": {"type": "string"}}},
                "Area": {"type": "string"},
            }
        },
    }


def verification() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "verification", "version": "1"},
        "paths": {
            "/v1/reports": {
                "get": {
                    "operationId": "list_reports",
                    "tags": ["reports"],
                    "parameters": [{"name": "status", "in": "query", "schema": {}}],
                    "responses": answer(ref("Page")),
                },
                # the gateway answers POST itself: verification's would never be reached
                "post": {"operationId": "theirs", "responses": answer({})},
            },
            "/v1/verification/queue": {
                "get": {"operationId": "submit", "tags": ["verification"], "responses": answer({})}
            },
            "/health/live": {"get": {"operationId": "live", "responses": answer({})}},
            "/ops/set-aside": {"get": {"operationId": "set_aside", "responses": answer({})}},
        },
        "components": {
            "schemas": {
                # Same name, another shape: renamed, and so is what refers to it.
                "Problem": {"type": "object", "properties": {"code": {"type": "integer"}}},
                "Page": {"type": "object", "properties": {"error": ref("Problem")}},
                "Area": {"type": "string"},  # the same: shared
            }
        },
    }


def refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(refs(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(refs(item) for item in value))
    return set()


def test_an_upstreams_public_operations_come_in_marked_and_its_own_routes_stay_out() -> None:
    merged = merge(gateway(), {"verification": verification()}, passed_to)
    paths = merged["paths"]
    assert paths["/v1/verification/queue"]["get"][UPSTREAM] == "verification"
    # verification's own health and operator routes are not passed on; the gateway's stay
    assert "/ops/set-aside" not in paths
    assert paths["/health/live"]["get"]["operationId"] == "live"
    assert UPSTREAM not in paths["/health/live"]["get"]
    assert list(paths)[-1] == "/health/live"  # the operators' routes come last


def test_the_upstreams_operation_replaces_the_stand_in_and_the_gateways_own_stands() -> None:
    merged = merge(gateway(), {"verification": verification()}, passed_to)
    reports = merged["paths"]["/v1/reports"]
    assert reports["get"]["parameters"][0]["name"] == "status"
    assert reports["get"]["operationId"] == "list_reports"
    assert reports["get"][UPSTREAM] == "verification"
    assert reports["post"]["operationId"] == "submit"
    assert UPSTREAM not in reports["post"]


def test_clashing_names_get_the_service_in_front_and_every_ref_follows() -> None:
    merged = merge(gateway(), {"verification": verification()}, passed_to)
    schemas = merged["components"]["schemas"]
    assert schemas["Problem"] == gateway()["components"]["schemas"]["Problem"]
    assert schemas["VerificationProblem"]["properties"]["code"] == {"type": "integer"}
    # Page is verification's alone, but it names verification's Problem: it follows the rename
    assert schemas["Page"]["properties"]["error"] == ref("VerificationProblem")
    assert "VerificationArea" not in schemas
    dangling = {r for r in refs(merged) if r.removeprefix(REF) not in schemas}
    assert dangling == set()


def test_a_name_that_agrees_but_refers_to_a_renamed_one_is_renamed_too() -> None:
    own = gateway()
    own["components"]["schemas"]["Page"] = {
        "type": "object",
        "properties": {"error": ref("Problem")},
    }
    merged = merge(own, {"verification": verification()}, passed_to)
    schemas = merged["components"]["schemas"]
    assert schemas["Page"]["properties"]["error"] == ref("Problem")
    assert schemas["VerificationPage"]["properties"]["error"] == ref("VerificationProblem")
    theirs = merged["paths"]["/v1/reports"]["get"]["responses"]["200"]["content"]
    assert theirs["application/json"]["schema"] == ref("VerificationPage")


def test_operation_ids_stay_unique() -> None:
    merged = merge(gateway(), {"verification": verification()}, passed_to)
    ids = [
        operation["operationId"]
        for item in merged["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(ids) == len(set(ids))
    assert merged["paths"]["/v1/verification/queue"]["get"]["operationId"] == "verification_submit"


def test_a_missing_upstream_is_named_and_the_rest_is_there() -> None:
    merged = merge(gateway(), {"verification": verification(), "identity": None}, passed_to)
    assert merged[MISSING] == ["identity"]
    assert "identity" in merged["info"]["description"]
    assert "/v1/verification/queue" in merged["paths"]
    assert MISSING not in merge(gateway(), {"verification": verification()}, passed_to)


def test_tags_name_their_services_and_nothing_given_is_changed() -> None:
    own, theirs = gateway(), verification()
    before = copy.deepcopy((own, theirs))
    merged = merge(own, {"verification": theirs}, passed_to)
    assert (own, theirs) == before
    tags = {tag["name"]: tag["description"] for tag in merged["tags"]}
    assert tags["reports"].endswith(("intake, verification", "verification, intake"))
    assert tags["verification"].endswith("verification")
    assert merged["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# ------------------------------------------------------------------ fetched and kept


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def documents(
    handler: Any, clock: Clock, upstreams: dict[str, str] | None = None
) -> UpstreamDocuments:
    return UpstreamDocuments(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        upstreams or {"verification": "http://verification"},
        passed_to,
        httpx.Timeout(1.0),
        refresh_seconds=300,
        retry_seconds=15,
        clock=clock,
    )


async def test_a_document_is_kept_until_refreshed_and_a_missing_one_asked_again_sooner() -> None:
    asked: list[str] = []
    up = {"verification": True}

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        if request.url.host == "verification" and up["verification"]:
            return httpx.Response(200, json=verification())
        return httpx.Response(503, text="down")

    clock = Clock()
    kept = documents(
        handler, clock, {"verification": "http://verification", "identity": "http://identity"}
    )
    first = await kept.merged(gateway())
    assert first[MISSING] == ["identity"]
    assert sorted(asked) == ["identity", "verification"]
    clock.now = 14
    await kept.merged(gateway())
    assert len(asked) == 2  # nothing due yet
    clock.now = 16
    up["verification"] = False
    again = await kept.merged(gateway())
    assert asked[2:] == ["identity"]  # only the missing one is asked again
    assert "/v1/verification/queue" in again["paths"]  # the kept one still counts
    clock.now = 301
    later = await kept.merged(gateway())
    assert sorted(later[MISSING]) == ["identity", "verification"]


async def test_an_answer_that_is_no_openapi_document_counts_as_missing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(["not", "a", "document"]).encode())

    merged = await documents(handler, Clock()).merged(gateway())
    assert merged[MISSING] == ["verification"]
    assert set(merged["paths"]) == set(gateway()["paths"])
