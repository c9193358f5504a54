"""The background job that sends email and webhook deliveries (`handlers.delivery`)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from sipokat.notification.handlers import NotificationContext, deliverer
from sipokat.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


async def delivery_worker(
    runtime: ServiceRuntime[NotificationContext], stop: asyncio.Event
) -> None:
    """Deliver until `stop`; a new delivery sets `wake` so it goes out without waiting a poll."""
    context = runtime.context
    worker, wake = deliverer(context), context.wake
    while not stop.is_set():
        wake.clear()  # before the pass: a delivery planned during it wakes the next one
        try:
            await worker.deliver_due()
        except Exception:  # a store hiccup must not end deliveries for good
            log.exception("delivery.pass_failed")
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED),
                context.settings.delivery_poll_seconds,
            )
        for waiter in waiters:
            waiter.cancel()
