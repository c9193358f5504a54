"""POST/GET /v1/notifications/rebuild: refold the inbox and waiting views from the event log.

The same endpoint and guarantee as analytics' rebuild (admins; 202, then follow it with GET):
the ledger (deliveries, read marks, subscriptions, digests) is not touched, and nothing is sent
again: the replay only folds, it plans no email or webhook and pushes nothing to live streams.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from sipokat.events.envelope import Role
from sipokat.events.logrebuild import rebuild_status
from sipokat.notification.entrypoints.common import Notification
from sipokat.notification.handlers import VIEW
from sipokat.runtime.auth import Principal, require_roles
from sipokat.runtime.foldversion import rebuild_running
from sipokat.runtime.problems import AUTHENTICATED, problem_responses

router = APIRouter(prefix="/v1/notifications", tags=["notifications"], responses=AUTHENTICATED)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.post(
    "/rebuild",
    status_code=202,
    responses=problem_responses({409: "A rebuild is already running"}),
)
async def start_rebuild(context: Notification, _: Admin) -> JSONResponse:
    """Drop the inbox and waiting views and replay the event log (admin). Inbox reads answer
    503 until it is done; nothing is sent again."""
    if not context.views_rebuild.start():
        raise rebuild_running()
    return JSONResponse({"started": True, "status_url": "/v1/notifications/rebuild"}, 202)


@router.get("/rebuild")
async def rebuild_state(context: Notification, _: Admin) -> dict[str, Any]:
    return {"status": await rebuild_status(context.database.views, VIEW)}
