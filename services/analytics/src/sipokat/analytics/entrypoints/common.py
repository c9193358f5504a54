"""What the routes share: the service's context, and the state of a rebuild of its views."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from sipokat.analytics.handlers import AnalyticsContext
from sipokat.analytics.queries import FOLDED
from sipokat.events import logrebuild
from sipokat.events.store.base import Document
from sipokat.runtime.service import context_of

Analytics = Annotated[AnalyticsContext, Depends(context_of(AnalyticsContext))]


async def current_rebuild(context: AnalyticsContext) -> Document | None:
    """The last (or running) rebuild's report of the analytics views."""
    return await logrebuild.current_rebuild(context.database.views, FOLDED, context.views_rebuild)
