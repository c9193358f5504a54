"""Open311 service requests read from `analytics_open311`.

The view store selects only by equality, so a search reads the kota's requests of each WIB
month its window touches (a 90-day window touches at most four) and filters the moments,
services and statuses in Python. Ids asked for by `service_request_id` are read by key.
"""

from __future__ import annotations

from typing import Any

from sipokat.analytics.open311 import Search, public_request, select
from sipokat.analytics.views import OPEN311
from sipokat.events.store.base import Document, ViewStore

# `find` needs a limit: one kota's verified reports of one month are far fewer.
_MONTH_LIMIT = 10_000_000


async def find_requests(views: ViewStore, search: Search) -> list[dict[str, Any]]:
    docs: list[Document] = []
    if search.service_request_ids:
        for request_id in search.service_request_ids:
            doc = await views.get(OPEN311, request_id)
            if doc is not None:
                docs.append(doc)
    else:
        for month in search.months():
            where = {"jurisdiction_id": search.jurisdiction_id, "requested_month": month}
            docs += await views.find(OPEN311, where, limit=_MONTH_LIMIT)
    return select(docs, search)


async def get_request(
    views: ViewStore, request_id: str, jurisdiction_id: str
) -> dict[str, Any] | None:
    """One verified report as a request; None when unknown, unverified or of another kota."""
    doc = await views.get(OPEN311, request_id)
    if doc is None or doc.get("jurisdiction_id") != jurisdiction_id:
        return None
    return public_request(doc)
