"""What every notification route needs: the service's context, and the caller's inbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sipokat.notification.domain import recipient
from sipokat.notification.handlers import NotificationContext
from sipokat.runtime.auth import Principal
from sipokat.runtime.service import context_of

Notification = Annotated[NotificationContext, Depends(context_of(NotificationContext))]


def inbox_of(principal: Principal) -> str:
    """Only the owner sees an inbox: it is always the caller's own office, never a parameter."""
    return recipient(principal.role, principal.wilayah)
