"""What the routes share: the service's context, and the state of a rebuild of its views."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sipokat.analytics.handlers import AnalyticsContext
from sipokat.analytics.queries import rebuild_status
from sipokat.events.logrebuild import RUNNING
from sipokat.events.store.base import Document
from sipokat.runtime.service import context_of

Analytics = Annotated[AnalyticsContext, Depends(context_of(AnalyticsContext))]


async def current_rebuild(context: AnalyticsContext) -> Document | None:
    """The last (or running) rebuild's report; running as soon as it is started here, when its
    marker may not be stored yet."""
    status = await rebuild_status(context.database.views)
    if context.views_rebuild.running:
        return {**(status or {}), "state": RUNNING}
    return status
