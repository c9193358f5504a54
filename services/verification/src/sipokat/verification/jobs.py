"""The background job: keep the views up to the event store, then flag passed deadlines.

Catching up first matters after a restart: the worklist the scheduler reads is then complete,
so no deadline that passed while the service was down is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog

from sipokat.runtime.service import BackgroundJob, ServiceRuntime
from sipokat.verification import handlers, views
from sipokat.verification.domain import Policy

Clock = Callable[[], datetime]
log = structlog.get_logger(__name__)


def deadline_scheduler(policy: Policy, clock: Clock, interval: float) -> BackgroundJob:
    async def run(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await views.catch_up(runtime.database, policy)
                flagged = await handlers.flag_overdue(
                    runtime.database, runtime.append, policy, clock()
                )
                if flagged:
                    log.info("overdue.flagged", count=flagged)
            except Exception:
                # A store hiccup must not end the job: the next round tries again.
                log.exception("scheduler.failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    return run
