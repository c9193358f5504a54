"""A consumer handler that folds events into views, each event exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sipokat.events.broker.consumer import Handler
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ViewStore, ViewTransaction

Projector = Callable[[Envelope, ViewTransaction], Awaitable[None]]


def projection_handler(views: ViewStore, project: Projector) -> Handler:
    """Apply `project` to each event inside `apply_once`: duplicates and replays change nothing."""

    async def handle(envelope: Envelope) -> None:
        async def effect(tx: ViewTransaction) -> None:
            await project(envelope, tx)

        await views.apply_once(envelope.event_id, effect)

    return handle
