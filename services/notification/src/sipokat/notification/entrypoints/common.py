"""What every notification route needs: the runtime with its ledger, and the caller's inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from sipokat.notification.domain import recipient
from sipokat.runtime.auth import Principal
from sipokat.runtime.service import runtime_of

if TYPE_CHECKING:
    from sipokat.notification.bootstrap import NotificationRuntime


def notification_runtime(request: Request) -> NotificationRuntime:
    return runtime_of(request)  # type: ignore[return-value]


def inbox_of(principal: Principal) -> str:
    """Only the owner sees an inbox: it is always the caller's own office, never a parameter."""
    return recipient(principal.role, principal.wilayah)
