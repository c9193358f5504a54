"""GET /health/live and /health/ready in application/health+json (draft-inadarei-api-health-check).

Live says only that the process answers; it never checks dependencies, so a broker outage does not
make an orchestrator restart healthy processes. Ready runs the service's checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

HEALTH_JSON = "application/health+json"

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class CheckResult:
    status: Status
    observed_value: Any = None
    output: str | None = None


Check = Callable[[], Awaitable[CheckResult]]


def health_router(service: str, checks: dict[str, Check]) -> APIRouter:
    router = APIRouter(tags=["health"])

    # What the routes answer, for the OpenAPI document (RFC draft-inadarei-api-health-check).
    health = {"content": {HEALTH_JSON: {"schema": {"type": "object"}}}}

    @router.get("/health/live", response_class=JSONResponse, responses={200: health})
    async def live() -> JSONResponse:
        return JSONResponse({"status": "pass", "serviceId": service}, media_type=HEALTH_JSON)

    @router.get(
        "/health/ready",
        response_class=JSONResponse,
        responses={200: health, 503: {"description": "A check failed", **health}},
    )
    async def ready() -> JSONResponse:
        results: dict[str, list[dict[str, Any]]] = {}
        overall: Status = "pass"
        for name, check in checks.items():
            try:
                result = await check()
            except Exception as exc:
                result = CheckResult("fail", output=repr(exc))
            entry: dict[str, Any] = {"status": result.status}
            if result.observed_value is not None:
                entry["observedValue"] = result.observed_value
            if result.output:
                entry["output"] = result.output
            results[name] = [entry]
            if result.status == "fail":
                overall = "fail"
            elif result.status == "warn" and overall == "pass":
                overall = "warn"
        return JSONResponse(
            {"status": overall, "serviceId": service, "checks": results},
            status_code=503 if overall == "fail" else 200,
            media_type=HEALTH_JSON,
        )

    return router
