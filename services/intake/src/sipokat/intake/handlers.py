"""What intake does for each command."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sipokat.events.catalogue import ReportContent
from sipokat.events.envelope import Envelope, new_event_id
from sipokat.intake.domain import SubmissionRefused, submission
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.auth import Principal
from sipokat.runtime.service import ServiceRuntime
from sipokat.wilayah import Directory, UnknownWilayah

SOURCE = "intake"


async def submit_report(
    runtime: ServiceRuntime,
    directory: Directory,
    principal: Principal,
    content: ReportContent,
    correlation_id: str,
    today: date,
) -> UUID:
    """Store ReportSubmitted for the caller's own RT; the relay publishes it."""
    try:
        wilayah = directory.rt_path(principal.wilayah or "")
    except UnknownWilayah as exc:
        raise SubmissionRefused(
            "wilayah", f"the token's RT is not in the directory: {exc}"
        ) from exc
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    report_id = new_event_id()
    event = submission(report_id, content, wilayah, today, settings.activity_window_days)
    envelope = Envelope.wrap(
        event,
        stream_version=1,
        source=SOURCE,
        actor=principal.as_actor(),
        correlation_id=correlation_id,
    )
    await runtime.append([envelope])
    return report_id
