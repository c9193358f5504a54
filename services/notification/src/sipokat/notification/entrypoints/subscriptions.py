"""Webhook subscriptions for integrators and admins, with their delivery log.

A subscription belongs to the token subject that made it; admins see and manage all. Another
caller's subscription answers 404, like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from sipokat.events.envelope import Role, new_event_id, utc_now
from sipokat.events.store import Document, ViewTransaction
from sipokat.notification import ledger as L
from sipokat.notification.domain import TOPIC_PATTERN
from sipokat.notification.entrypoints.common import notification_runtime
from sipokat.notification.webhooks import UnsafeTarget, new_secret, resolve_safe
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.messages import text
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    responses={**AUTHENTICATED, **problem_responses({404: "No such subscription of yours"})},
)

Manager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.INTEGRATOR))]

MAX_SUBSCRIPTIONS_PER_OWNER = 20


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, examples=["https://integrator.example/hooks/sipokat"])
    patterns: list[Annotated[str, Field(pattern=TOPIC_PATTERN, max_length=100)]] = Field(
        min_length=1,
        max_length=20,
        description="routing-key patterns in AMQP topic syntax, e.g. `report.approved.*`, `#`",
        examples=[["report.verified", "report.rejected.*"]],
    )
    description: str | None = Field(default=None, max_length=200)


def _public(subscription: Document, *, with_secret: bool = False) -> Document:
    shown = {k: v for k, v in subscription.items() if k != "secret"}
    return shown | ({"secret": subscription["secret"]} if with_secret else {})


async def _owned(request: Request, principal: Principal, subscription_id: str) -> Document:
    found = await notification_runtime(request).ledger.get(L.SUBSCRIPTIONS, subscription_id)
    if (
        found is None
        or found["status"] == "deleted"
        or (principal.role is not Role.ADMIN and found["owner"] != principal.subject)
    ):
        raise Problem(
            404,
            "Not found",
            text(
                "no webhook subscription {id}",
                "tidak ada langganan webhook {id}",
                id=subscription_id,
            ),
        )
    return found


@router.post("/subscriptions", status_code=201)
async def create(
    request: Request, principal: Manager, body: NewSubscription, response: Response
) -> Document:
    """The answer holds the signing secret; it is not shown again."""
    runtime = notification_runtime(request)
    try:
        await resolve_safe(body.url, allow_private=runtime.settings.webhook_allow_private)
    except UnsafeTarget as exc:
        raise Problem(
            422,
            "Webhook URL refused",
            exc.text,
            kind="webhook-url-refused",
            errors=[{"pointer": "/body/url", "detail": exc.text, "code": "unsafe_target"}],
        ) from exc
    mine = await runtime.ledger.find(L.SUBSCRIPTIONS, {"owner": principal.subject})
    if sum(1 for s in mine if s["status"] != "deleted") >= MAX_SUBSCRIPTIONS_PER_OWNER:
        raise Problem(
            409,
            "Too many subscriptions",
            text(
                "at most {most} per owner",
                "paling banyak {most} per pemilik",
                most=MAX_SUBSCRIPTIONS_PER_OWNER,
            ),
        )
    subscription_id = str(new_event_id())
    subscription = {
        "id": subscription_id,
        "owner": principal.subject,
        "url": body.url,
        "patterns": body.patterns,
        "description": body.description,
        "secret": new_secret(),
        "status": "active",
        "created_at": utc_now().isoformat(),
        "consecutive_failures": 0,
        "paused_at": None,
        "paused_reason": None,
        "last_error": None,
        "last_success_at": None,
    }

    async def effect(tx: ViewTransaction) -> None:
        await L.put_subscription(tx, subscription_id, subscription)

    await runtime.ledger.write(effect)
    response.headers["location"] = f"/v1/webhooks/subscriptions/{subscription_id}"
    return _public(subscription, with_secret=True)


@router.get("/subscriptions")
async def list_subscriptions(request: Request, principal: Manager) -> dict[str, Any]:
    where = None if principal.role is Role.ADMIN else {"owner": principal.subject}
    found = await notification_runtime(request).ledger.find(L.SUBSCRIPTIONS, where)
    return {"items": [_public(s) for s in found if s["status"] != "deleted"]}


@router.get("/subscriptions/{subscription_id}")
async def get_subscription(request: Request, principal: Manager, subscription_id: str) -> Document:
    """Includes `status` and, when paused, `paused_reason`: why the deliveries stopped."""
    return _public(await _owned(request, principal, subscription_id))


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(
    request: Request, principal: Manager, subscription_id: str
) -> Response:
    """Stops the subscription; its pending deliveries are cancelled, its log is kept."""
    await _owned(request, principal, subscription_id)
    ledger = notification_runtime(request).ledger

    async def effect(tx: ViewTransaction) -> None:
        current = await tx.get(L.SUBSCRIPTIONS, subscription_id)
        if current is not None:
            await L.put_subscription(tx, subscription_id, current | {"status": "deleted"})

    await ledger.write(effect)
    # Held deliveries go back to the outbox, where the worker cancels those of a deleted one.
    for entry in await ledger.find(L.HELD, {"subscription_id": subscription_id}):
        await ledger.move(entry["key"], L.HELD, L.OUTBOX)
    notification_runtime(request).wake.set()
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/resume")
async def resume(request: Request, principal: Manager, subscription_id: str) -> Document:
    """Deliveries held while the subscription was paused are tried again at once."""
    await _owned(request, principal, subscription_id)
    runtime = notification_runtime(request)

    async def effect(tx: ViewTransaction) -> None:
        current = await tx.get(L.SUBSCRIPTIONS, subscription_id)
        if current is not None:
            await L.put_subscription(
                tx,
                subscription_id,
                current
                | {
                    "status": "active",
                    "consecutive_failures": 0,
                    "paused_at": None,
                    "paused_reason": None,
                },
            )

    await runtime.ledger.write(effect)
    now = utc_now().isoformat()
    for entry in await runtime.ledger.find(L.HELD, {"subscription_id": subscription_id}):
        await runtime.ledger.move(entry["key"], L.HELD, L.OUTBOX, due_at=now)
    runtime.wake.set()
    return _public(await _owned(request, principal, subscription_id))


@router.get("/subscriptions/{subscription_id}/deliveries")
async def deliveries(
    request: Request,
    principal: Manager,
    subscription_id: str,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|failed|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The delivery log, newest first, each delivery with its attempts."""
    await _owned(request, principal, subscription_id)
    ledger = notification_runtime(request).ledger
    where: dict[str, Any] = {"subscription_id": subscription_id}
    if status is not None:
        where["status"] = status
    found = await ledger.find(L.DELIVERIES, where)
    found.sort(key=lambda d: (d["created_at"], d["key"]), reverse=True)
    attempts = await ledger.find(L.ATTEMPTS, {"subscription_id": subscription_id})
    by_delivery: dict[str, list[Document]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt["delivery_key"], []).append(attempt)
    items = [
        {k: v for k, v in d.items() if k != "body"} | {"attempt_log": by_delivery.get(d["key"], [])}
        for d in found[:limit]
    ]
    return {"subscription_id": subscription_id, "total": len(found), "items": items}
