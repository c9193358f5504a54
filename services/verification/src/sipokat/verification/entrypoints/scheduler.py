"""The background job: keep the views up to the event store, then flag passed deadlines.

Catching up first matters after a restart: the worklist the scheduler reads is then complete,
so no deadline that passed while the service was down is missed. The two are tried apart: a
catch-up that fails (the store is away) never keeps the scan from the reports already listed.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from sipokat.runtime.service import ServiceRuntime
from sipokat.verification import handlers
from sipokat.verification.handlers import VerificationContext

log = structlog.get_logger(__name__)


async def deadline_scheduler(
    runtime: ServiceRuntime[VerificationContext], stop: asyncio.Event
) -> None:
    context = runtime.context
    while not stop.is_set():
        # A store hiccup must not end the job: the next round tries again.
        try:
            await handlers.catch_up(context.database, context.policy, context.set_aside)
        except Exception:
            log.exception("scheduler.catch_up_failed")
        try:
            flagged = await handlers.flag_overdue(
                context.database,
                context.append,
                context.policy,
                context.set_aside,
                context.clock(),
            )
            if flagged:
                log.info("overdue.flagged", count=flagged)
        except Exception:
            log.exception("scheduler.scan_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=context.settings.scan_interval)
