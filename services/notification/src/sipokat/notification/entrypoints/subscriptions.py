"""Webhook subscriptions for integrators and admins, with their delivery log.

A subscription belongs to the token subject that made it; admins see and manage all. Another
caller's subscription answers 404, like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from sipokat.events.envelope import Role
from sipokat.events.store import Document
from sipokat.notification.domain import TOPIC_PATTERN
from sipokat.notification.entrypoints.common import Notification
from sipokat.notification.handlers import NotificationContext, UnsafeTarget
from sipokat.notification.handlers import subscriptions as handlers
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


async def _owned(
    context: NotificationContext, principal: Principal, subscription_id: str
) -> Document:
    found = await handlers.subscription(context, subscription_id)
    if found is None or (principal.role is not Role.ADMIN and found["owner"] != principal.subject):
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
    context: Notification, principal: Manager, body: NewSubscription, response: Response
) -> Document:
    """The answer holds the signing secret; it is not shown again."""
    try:
        await handlers.check_target(context, body.url)
    except UnsafeTarget as exc:
        raise Problem(
            422,
            "Webhook URL refused",
            exc.text,
            kind="webhook-url-refused",
            errors=[{"pointer": "/body/url", "detail": exc.text, "code": "unsafe_target"}],
        ) from exc
    if len(await handlers.subscriptions(context, principal.subject)) >= MAX_SUBSCRIPTIONS_PER_OWNER:
        raise Problem(
            409,
            "Too many subscriptions",
            text(
                "at most {most} per owner",
                "paling banyak {most} per pemilik",
                most=MAX_SUBSCRIPTIONS_PER_OWNER,
            ),
        )
    made = await handlers.subscribe(
        context, principal.subject, body.url, body.patterns, body.description
    )
    response.headers["location"] = f"/v1/webhooks/subscriptions/{made['id']}"
    return _public(made, with_secret=True)


@router.get("/subscriptions")
async def list_subscriptions(context: Notification, principal: Manager) -> dict[str, Any]:
    owner = None if principal.role is Role.ADMIN else principal.subject
    return {"items": [_public(s) for s in await handlers.subscriptions(context, owner)]}


@router.get("/subscriptions/{subscription_id}")
async def get_subscription(
    context: Notification, principal: Manager, subscription_id: str
) -> Document:
    """Includes `status` and, when paused, `paused_reason`: why the deliveries stopped."""
    return _public(await _owned(context, principal, subscription_id))


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(
    context: Notification, principal: Manager, subscription_id: str
) -> Response:
    """Stops the subscription; its pending deliveries are cancelled, its log is kept."""
    await _owned(context, principal, subscription_id)
    await handlers.unsubscribe(context, subscription_id)
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/resume")
async def resume(context: Notification, principal: Manager, subscription_id: str) -> Document:
    """Deliveries held while the subscription was paused are tried again at once."""
    await _owned(context, principal, subscription_id)
    await handlers.resume(context, subscription_id)
    return _public(await _owned(context, principal, subscription_id))


@router.get("/subscriptions/{subscription_id}/deliveries")
async def deliveries(
    context: Notification,
    principal: Manager,
    subscription_id: str,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|failed|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The delivery log, newest first, each delivery with its attempts."""
    await _owned(context, principal, subscription_id)
    return await handlers.delivery_log(context, subscription_id, status, limit)
