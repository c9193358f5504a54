"""Wires the verification service: intake's events in, decisions over HTTP, the scheduler."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from sipokat.events.envelope import utc_now
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.store import SetAsideEvent
from sipokat.runtime.media import MediaSigner
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app
from sipokat.verification import handlers, queries
from sipokat.verification.entrypoints import decisions, listing, queue, reports
from sipokat.verification.entrypoints.scheduler import deadline_scheduler
from sipokat.verification.handlers import Clock, VerificationContext
from sipokat.verification.settings import VerificationSettings

BINDINGS = ["report.submitted", "report.revised"]


def create_app(settings: VerificationSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """`clock` is injectable so tests can move deadlines past without waiting days."""
    settings = settings or VerificationSettings()
    policy = settings.policy()

    @contextlib.asynccontextmanager
    async def context(
        runtime: ServiceRuntime[VerificationContext],
    ) -> AsyncIterator[VerificationContext]:
        yield VerificationContext(
            settings=settings,
            policy=policy,
            clock=clock,
            database=runtime.database,
            append=runtime.append,
            set_aside=runtime.set_aside,
            views_rebuild=runtime.rebuilds[queries.FOLDED.name],
            media=MediaSigner(settings.media_url_secret.get_secret_value()),
        )

    runtime = ServiceRuntime(
        "verification",
        settings,
        context=context,
        publishes=True,
        subscription=Subscription(
            BINDINGS,
            lambda c: handlers.intake_event_handler(c.database, c.policy, c.set_aside),
            lambda c: handlers.intake_events_batch_handler(c.database, c.policy),
        ),
        background=[deadline_scheduler],
    )

    async def refresh_again(event: SetAsideEvent) -> None:
        await handlers.refresh_set_aside(runtime.database, event, policy)

    runtime.add_reader(handlers.READER, refresh_again)
    runtime.add_views(
        queries.FOLDED,
        lambda db: BackgroundRebuild(
            "verification", lambda: handlers.rebuild(db, policy, runtime.set_aside)
        ),
    )
    return create_service_app(
        runtime,
        [listing.router, reports.router, queue.router, decisions.router],
        title="Sipokat verification",
        description="The three-tier review: lurah, camat, pemkot; deadlines; report status.",
    )
