"""Wires the verification service: intake's events in, decisions over HTTP, the scheduler."""

from __future__ import annotations

from fastapi import FastAPI

from sipokat.events.envelope import utc_now
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.store import SetAsideEvent
from sipokat.runtime.service import ServiceRuntime, Subscription, create_service_app
from sipokat.verification import handlers, views
from sipokat.verification.entrypoints import queue, reports
from sipokat.verification.entrypoints.context import Verification
from sipokat.verification.jobs import Clock, deadline_scheduler
from sipokat.verification.settings import VerificationSettings

BINDINGS = ["report.submitted", "report.revised"]


def create_app(settings: VerificationSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """`clock` is injectable so tests can move deadlines past without waiting days."""
    settings = settings or VerificationSettings()
    policy = settings.policy()
    runtime = ServiceRuntime(
        "verification",
        settings,
        publishes=True,
        subscription=Subscription(
            BINDINGS,
            lambda db: handlers.intake_event_handler(db, policy, runtime.set_aside),
            lambda db: handlers.intake_events_batch_handler(db, policy),
        ),
        background=[deadline_scheduler(policy, clock, settings.scan_interval)],
    )

    async def refresh_again(event: SetAsideEvent) -> None:
        await views.refresh_set_aside(runtime.database, event, policy)

    runtime.add_reader(views.READER, refresh_again)
    runtime.add_views(
        views.FOLDED,
        lambda db: BackgroundRebuild(
            "verification", lambda: views.rebuild(db, policy, runtime.set_aside)
        ),
    )
    app = create_service_app(
        runtime,
        [reports.router, queue.router],
        title="Sipokat verification",
        description="The three-tier review: lurah, camat, pemkot; deadlines; report status.",
    )
    app.state.verification = Verification(policy, clock)
    return app
