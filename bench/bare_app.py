"""The baseline for the intake benchmark: a bare FastAPI endpoint that only validates the body."""

from __future__ import annotations

from fastapi import FastAPI, Response

from sipokat.events.catalogue import ReportContent

app = FastAPI()


@app.post("/v1/reports", status_code=202)
async def validate_only(content: ReportContent) -> Response:
    return Response(status_code=202)
