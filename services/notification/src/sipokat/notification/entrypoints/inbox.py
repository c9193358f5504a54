"""The caller's inbox: list with the unread count, mark read (one, all), a live SSE stream,
contact preferences; and the digest on demand for admins."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from sipokat.events.envelope import Role, utc_now
from sipokat.events.store import Document
from sipokat.notification.domain import (
    DIGEST_CATCH_UP,
    DIGEST_REFUSALS,
    digest_moment_refused,
    item_text,
)
from sipokat.notification.entrypoints.common import Notification, inbox_of
from sipokat.notification.handlers import NotificationContext, send_digests
from sipokat.notification.handlers import inbox as handlers
from sipokat.runtime.auth import CurrentPrincipal, Principal, require_roles
from sipokat.runtime.foldversion import rebuilding
from sipokat.runtime.messages import Language, negotiate, text
from sipokat.runtime.problems import AUTHENTICATED, Problem, problem_responses

router = APIRouter(prefix="/v1/notifications", tags=["notifications"], responses=AUTHENTICATED)


async def _items(context: NotificationContext, owner: str) -> list[Document]:
    """Inbox items of an office, newest first, each with `read`; 503 while a rebuild refolds
    them (a half-replayed inbox would show wrong unread counts)."""
    if await handlers.rebuilding(context):
        raise rebuilding(
            text(
                "the inbox is being rebuilt from the event log; retry shortly",
                "kotak masuk sedang dibangun ulang dari log peristiwa; coba lagi sebentar lagi",
            )
        )
    return await handlers.inbox(context, owner)


def _cursor_of(item: Document) -> str:
    return base64.urlsafe_b64encode(json.dumps([item["created_at"], item["key"]]).encode()).decode()


def _after(cursor: str) -> tuple[str, str]:
    try:
        created_at, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        datetime.fromisoformat(created_at)
        return str(created_at), str(key)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise Problem(
            400,
            "Invalid cursor",
            text(
                "`cursor` must be a `next_cursor` from a previous page",
                "`cursor` harus `next_cursor` dari halaman sebelumnya",
            ),
            errors=[
                {
                    "pointer": "/query/cursor",
                    "detail": text("not a cursor from this API", "bukan kursor dari API ini"),
                }
            ],
        ) from exc


def _said(item: Document, language: Language | None) -> Document:
    """The item with its `message` in the reader's language: as kept (Indonesian) when none is
    asked for, or for an item that kept no facts to say it again."""
    found = item_text(item) if language else None
    shown = item | {"message": found.render(language)} if found and language else dict(item)
    shown.pop("facts", None)
    return shown


@router.get("/inbox", responses=problem_responses({400: "A cursor not from a previous page"}))
async def inbox(
    context: Notification,
    principal: CurrentPrincipal,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    unread_only: bool = False,
) -> dict[str, Any]:
    """Newest first. `next_cursor` fetches the next page; `unread` counts the whole inbox. Each
    item's `message` is in the language of `Accept-Language` (Indonesian without one)."""
    owner = inbox_of(principal)
    items = await _items(context, owner)
    unread = sum(1 for item in items if not item["read"])
    page = [item for item in items if not (unread_only and item["read"])]
    if cursor is not None:
        boundary = _after(cursor)
        page = [item for item in page if (item["created_at"], item["key"]) < boundary]
    more = len(page) > limit
    page = page[:limit]
    asked = request.headers.get("accept-language")
    language = negotiate(asked) if asked else None
    return {
        "recipient": owner,
        "unread": unread,
        "total": len(items),
        "items": [_said(item, language) for item in page],
        "next_cursor": _cursor_of(page[-1]) if more else None,
    }


@router.post("/inbox/read", status_code=200)
async def mark_all_read(context: Notification, principal: CurrentPrincipal) -> dict[str, int]:
    """Marks every item in the inbox now as read; items arriving later stay unread."""
    owner = inbox_of(principal)
    unread = [item["key"] for item in await _items(context, owner) if not item["read"]]
    await handlers.mark_read(context, owner, unread)
    return {"marked": len(unread), "unread": 0}


# `:path`: an RT head's item id names the RT, slash included (`…|ketua_rt:16.73.02.1019/007|…`).
@router.post(
    "/inbox/{item_id:path}/read",
    status_code=204,
    responses=problem_responses({404: "No such item in your inbox"}),
)
async def mark_read(context: Notification, principal: CurrentPrincipal, item_id: str) -> Response:
    owner = inbox_of(principal)
    item = await handlers.inbox_item(context, item_id)
    # An item of another inbox answers as one that does not exist: nothing leaks.
    if item is None or item["recipient"] != owner:
        raise Problem(
            404,
            "Not found",
            text("no such item in your inbox", "tidak ada butir ini di kotak masuk Anda"),
        )
    await handlers.mark_read(context, owner, [item_id])
    return Response(status_code=204)


@router.get("/inbox/unread")
async def unread_count(context: Notification, principal: CurrentPrincipal) -> dict[str, Any]:
    owner = inbox_of(principal)
    items = await _items(context, owner)
    return {"recipient": owner, "unread": sum(1 for item in items if not item["read"])}


# One server-sent event (`ready`, `notification`, `resync`; pings are comments).
SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}},
)
async def stream(
    context: Notification, principal: CurrentPrincipal, request: Request
) -> EventSourceResponse:
    """Server-sent events for the caller's inbox: `ready` with the unread count, then one
    `notification` per new item, its `message` in the language of `Accept-Language` (as the
    inbox says it) and, for an item about a report, `report` naming it (title, RT, kelurahan).
    A client that falls behind gets `resync` and the stream ends: it should re-read the inbox
    and reconnect. An admin's inbox stays empty: its stream only ever says `ready`."""
    owner = inbox_of(principal)
    asked = request.headers.get("accept-language")
    language = negotiate(asked) if asked else None

    async def events() -> AsyncIterator[ServerSentEvent]:
        with context.hub.listen(owner) as queue:
            # Listening before counting: an item arriving in between is sent, not lost.
            items = await _items(context, owner)
            unread = sum(1 for item in items if not item["read"])
            yield ServerSentEvent(json.dumps({"recipient": owner, "unread": unread}), event="ready")
            while True:
                item = await queue.get()
                if item is None:
                    yield ServerSentEvent("{}", event="resync")
                    return
                said = _said(item, language)
                yield ServerSentEvent(json.dumps(said), event="notification", id=item["key"])

    return EventSourceResponse(events(), ping=15, send_timeout=30)


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$"
    )
    language: Literal["id", "en"] = "id"


@router.get("/preferences")
async def get_preferences(context: Notification, principal: CurrentPrincipal) -> Preferences:
    return Preferences.model_validate(await handlers.preferences(context, inbox_of(principal)))


@router.put("/preferences")
async def put_preferences(
    context: Notification, principal: CurrentPrincipal, body: Preferences
) -> Preferences:
    """Where the office's email goes and in which language (`id` or `en`)."""
    owner = inbox_of(principal)
    if principal.role not in (Role.KETUA_RT, Role.LURAH, Role.CAMAT, Role.PEMKOT):
        raise Problem(
            403,
            "Forbidden",
            text(
                "role {role} has no notification inbox",
                "peran {role} tidak punya kotak masuk notifikasi",
                role=principal.role,
            ),
        )
    await handlers.save_preferences(context, owner, body.model_dump())
    return body


class DigestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="the moment to compute the digest for (default: now)"
    )


Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.post(
    "/digests",
    responses=problem_responses({422: "`at` in the future or more than 7 days ago"}),
)
async def run_digest(
    context: Notification, _: Admin, body: DigestRequest | None = None
) -> dict[str, Any]:
    """Send today's digests now (admins; tests), or those of a moment of the past 7 days.
    Idempotent per (office, day): `new` is false for a digest that had been sent already."""
    at = (body or DigestRequest()).at
    if at is not None and (refused := digest_moment_refused(at, utc_now())):
        detail = DIGEST_REFUSALS[refused][0].format(days=DIGEST_CATCH_UP.days)
        raise Problem(
            422,
            "Invalid request",
            detail,
            kind="validation",
            errors=[{"pointer": "/body/at", "detail": detail, "code": refused}],
        )
    digests = await send_digests(context, at)
    return {"digests": digests}
