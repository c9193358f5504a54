"""The report status view: one document per report, folded from intake's events."""

from __future__ import annotations

from sipokat.events.catalogue import ReportRevised, ReportSubmitted
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ViewTransaction
from sipokat.verification.domain import awaiting, first_tier

REPORTS = "reports"


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    data = envelope.data
    if not isinstance(data, ReportSubmitted | ReportRevised):
        return
    key = str(data.report_id)
    doc = await tx.get(REPORTS, key) or {"report_id": key, "timeline": []}
    doc.update(
        status=str(awaiting(first_tier())),
        wilayah=data.wilayah.model_dump(),
        kelurahan_code=data.wilayah.kelurahan_code,
        content=data.content.model_dump(mode="json"),
        submitted_by=envelope.actor.subject,
    )
    doc["timeline"].append(
        {
            "event": envelope.type,
            "at": envelope.occurred_at.isoformat(),
            "by": envelope.actor.model_dump(mode="json"),
        }
    )
    await tx.put(REPORTS, key, doc)
