"""The background job that keeps this replica in the broadcast: live inbox items reach the
streams every replica holds, not only those of the replica that consumed the event."""

from __future__ import annotations

import asyncio

from sipokat.notification.handlers import NotificationContext
from sipokat.runtime.service import ServiceRuntime


async def live_sharing(runtime: ServiceRuntime[NotificationContext], stop: asyncio.Event) -> None:
    await runtime.context.broadcast.run(stop)
