"""The set-aside events of a service's readers, for operators: readiness, metrics, the API.

`GET /ops/set-aside` lists them and `POST /ops/set-aside/retry` re-applies them (admins), on
every service alike, like `/health` and `/metrics`: operators' tools (`sipokat set-aside`) ask
each service directly, not through the gateway. A set-aside event makes readiness `warn`, not
`fail`: the service still serves everything else, so it stays in the load balancer
(docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sipokat.events.envelope import Role
from sipokat.events.setaside import Retry, SetAside
from sipokat.events.store.base import Database, SetAsideEvent
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.health import CheckResult
from sipokat.runtime.problems import AUTHENTICATED

_BODY_CHARS = 20_000


class SetAsideOwner(Protocol):
    """What the check and the routes use of a service's runtime (`ServiceRuntime` is one),
    named here so that this module, which the runtime imports, does not import it back."""

    @property
    def database(self) -> Database: ...

    @property
    def set_aside(self) -> SetAside: ...

    @property
    def retries(self) -> Mapping[str, Retry]: ...

    async def update_set_aside_gauge(self) -> dict[str, int]: ...


Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reader: Name | None = Field(default=None, description="only this reader's events")
    key: Name | None = Field(default=None, description="only this event (its id)")


def describe(event: SetAsideEvent, *, body: bool = True) -> dict[str, Any]:
    described: dict[str, Any] = {
        "reader": event.reader,
        "key": event.key,
        "reason": event.reason,
        "set_aside_at": event.set_aside_at.isoformat(),
        "failures": event.failures,
        "routing_key": event.routing_key,
        "stream_id": event.stream_id,
    }
    if body:
        described["body"] = event.body.decode(errors="replace")[:_BODY_CHARS]
    return described


async def set_aside_check(runtime: SetAsideOwner) -> CheckResult:
    """`warn` with the count while any reader has set events aside; updates the gauge."""
    counts = await runtime.update_set_aside_gauge()
    total = sum(counts.values())
    if not total:
        return CheckResult("pass", observed_value=0)
    by_reader = ", ".join(f"{reader}={count}" for reader, count in sorted(counts.items()))
    return CheckResult(
        "warn",
        observed_value=total,
        output=f"set aside: {by_reader} (GET /ops/set-aside; retry after a fix)",
    )


def set_aside_router(runtime: SetAsideOwner) -> APIRouter:
    router = APIRouter(prefix="/ops/set-aside", tags=["operations"], responses=AUTHENTICATED)

    @router.get("")
    async def list_set_aside(
        _: Admin,
        reader: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Events this service's readers could not apply: reader, reason, time, the event."""
        views = runtime.database.views
        events = await views.set_aside_events(reader, limit=limit)
        return {
            "counts": await views.set_aside_counts(),
            "items": [describe(event) for event in events],
        }

    @router.post("/retry")
    async def retry_set_aside(
        request: Request, _: Admin, body: RetryRequest | None = None
    ) -> dict[str, Any]:
        """Re-apply set-aside events through their readers (after a fix): each that applies
        leaves the list, each that still fails stays with its new reason."""
        wanted = body or RetryRequest()
        outcome = await runtime.set_aside.retry(
            runtime.retries, reader=wanted.reader, key=wanted.key
        )
        await runtime.update_set_aside_gauge()
        return {
            "applied": [describe(e, body=False) for e in outcome.applied],
            "still_set_aside": [describe(e, body=False) for e in outcome.still_set_aside],
        }

    return router
