"""GET /v1/asyncapi.json: the AsyncAPI 3.0 document of the events, for integrators.

The same document as docs/asyncapi.yaml, generated from the event models of the running code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from sipokat.events.asyncapi import asyncapi_document

router = APIRouter(tags=["integrators"])


@cache
def _document() -> dict[str, Any]:
    return asyncapi_document()


@router.get("/v1/asyncapi.json", summary="The AsyncAPI 3.0 document of the events")
async def asyncapi() -> dict[str, Any]:
    return _document()
