"""GET /v1/asyncapi.json: the AsyncAPI 3.0 document of the events, for integrators.

The document of docs/asyncapi.yaml, generated from the event models of the running code, with the
exchange and queue names of this deployment's broker prefix (docs/asyncapi.yaml has the default's).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from sipokat.events.asyncapi import asyncapi_document
from sipokat.events.broker.topology import Topology
from sipokat.intake.entrypoints.common import Intake

router = APIRouter(tags=["integrators"])


@cache
def _document(topology: Topology) -> dict[str, Any]:
    return asyncapi_document(topology)


@router.get("/v1/asyncapi.json", summary="The AsyncAPI 3.0 document of the events")
async def asyncapi(context: Intake) -> dict[str, Any]:
    return _document(context.settings.topology)
