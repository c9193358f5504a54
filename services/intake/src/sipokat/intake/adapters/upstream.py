"""Verification's copy of a report's stream, asked for over HTTP (the gateway's own upstream).

Intake learns verification's decisions through the broker, so its copy of a report's stream may
lag what verification already shows the client. When a client revises a report intake does not
yet know to be rejected, intake asks verification for the events it lacks, with the client's own
token (verification checks it like any request: only who may see the report gets them).
"""

from __future__ import annotations

import json
from uuid import UUID

import httpx

from sipokat.events.envelope import Envelope


class VerificationUnavailable(Exception):
    """Verification could not say what it holds: the caller may retry later."""


class VerificationEvents:
    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: httpx.Timeout) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def after(
        self, report_id: UUID, version: int, *, authorization: str, correlation_id: str
    ) -> list[Envelope]:
        """The report's events after `version` as verification has them; none when verification
        has not heard of the report yet."""
        try:
            answer = await self.client.get(
                f"{self.base_url}/v1/reports/{report_id}/events",
                params={"after": version},
                headers={"authorization": authorization, "x-correlation-id": correlation_id},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise VerificationUnavailable(f"verification: {type(exc).__name__}") from exc
        if answer.status_code == 404:
            return []
        if answer.status_code != 200:
            raise VerificationUnavailable(f"verification answered {answer.status_code}")
        try:
            raw = json.loads(answer.content)["events"]
            events = [Envelope.model_validate(item) for item in raw]
        except (ValueError, KeyError, TypeError) as exc:
            raise VerificationUnavailable(f"verification's answer unreadable: {exc}") from exc
        stream_id = f"report-{report_id}"
        return [e for e in events if e.stream_id == stream_id and e.stream_version > version]
