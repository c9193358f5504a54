"""GET /v1/notifications/inbox: the caller's own inbox, newest first, with the unread count."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from sipokat.notification.domain import recipient
from sipokat.notification.views import INBOX
from sipokat.runtime.auth import CurrentPrincipal
from sipokat.runtime.service import runtime_of

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("/inbox")
async def inbox(
    request: Request,
    principal: CurrentPrincipal,
    limit: int = Query(default=50, ge=1, le=200),
) -> dict[str, Any]:
    views = runtime_of(request).database.views
    owner = recipient(principal.role, principal.wilayah)
    items = await views.find(INBOX, {"recipient": owner}, limit=10_000)
    items.sort(key=lambda item: item["created_at"], reverse=True)
    return {
        "recipient": owner,
        "unread": sum(1 for item in items if not item["read"]),
        "items": items[:limit],
    }
