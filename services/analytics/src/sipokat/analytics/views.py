"""Read models, folded from the events (first slice: reports by field, kind and kelurahan)."""

from __future__ import annotations

from sipokat.events.catalogue import ReportSubmitted
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ViewTransaction

BY_BIDANG = "reports_by_bidang"
BY_KIND = "reports_by_kind"
BY_KELURAHAN = "reports_by_kelurahan"


async def _count(tx: ViewTransaction, collection: str, key: str, labels: dict[str, str]) -> None:
    doc = await tx.get(collection, key) or {**labels, "reports": 0}
    doc["reports"] += 1
    await tx.put(collection, key, doc)


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    data = envelope.data
    if isinstance(data, ReportSubmitted):
        content, wilayah = data.content, data.wilayah
        await _count(tx, BY_BIDANG, content.bidang, {"bidang": content.bidang})
        await _count(tx, BY_KIND, content.kind, {"kind": content.kind})
        await _count(
            tx,
            BY_KELURAHAN,
            wilayah.kelurahan_code,
            {
                "kelurahan_code": wilayah.kelurahan_code,
                "kelurahan_name": wilayah.kelurahan_name,
                "kecamatan_code": wilayah.kecamatan_code,
            },
        )
