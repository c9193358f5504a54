"""The background job that sends each verifier office its daily digest (`handlers.digest`)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import structlog

from sipokat.events.envelope import utc_now
from sipokat.notification.domain import digest_day, next_digest_at
from sipokat.notification.handlers import NotificationContext, send_digests
from sipokat.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


async def daily_digest(runtime: ServiceRuntime[NotificationContext], stop: asyncio.Event) -> None:
    """Send at `digest_hour_wib` every day. Started after today's hour, it sends today's at once:
    a service that was down at 07:00 still sends, and one that already had sent sends nothing."""
    context = runtime.context
    hour_wib = context.settings.digest_hour_wib
    now = utc_now()
    if next_digest_at(now, hour_wib).date() != digest_day(now):
        await _guarded(context, now)
    while not stop.is_set():
        wait = (next_digest_at(utc_now(), hour_wib) - utc_now()).total_seconds()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.0))
            return
        await _guarded(context, utc_now())


async def _guarded(context: NotificationContext, now: datetime) -> None:
    try:
        await send_digests(context, now)
    except Exception:
        log.exception("digest.failed")
