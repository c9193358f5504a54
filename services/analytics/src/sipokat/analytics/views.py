"""The read model's documents, folded from events.

- `analytics_reports`: one facts document per report (see `domain.ReportFacts`);
- `analytics_programmes`: the latest verified state of each RT's funded programme;
- `analytics_<level>` for kota, kecamatan, kelurahan and rt: one counter document per area and
  month, keyed `<code>|<month>`, carrying the area's name and the codes above it so `find` can
  select an area's children by equality;
- `analytics_open311`: one Open311 service request per verified report, keyed by report id
  (see `open311.request_document`).

`project_batch` applies many events in one transaction (the rebuild), `project` one event (the
live queue, inside `apply_once`); both run the same fold. Duplicates are dropped by the facts'
stream version, which is written in the same transaction as the counters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sipokat.analytics.domain import (
    LEVELS,
    Programme,
    ReportFacts,
    area_labels,
    fold,
    is_report_event,
    new_facts,
    verified_programme,
    wilayah_of,
)
from sipokat.analytics.open311 import request_document
from sipokat.events.catalogue import ReportVerified
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ViewTransaction

FACTS = "analytics_reports"
PROGRAMMES = "analytics_programmes"
OPEN311 = "analytics_open311"
META = "analytics_meta"


def aggregate_collection(level: str) -> str:
    return f"analytics_{level}"


def aggregate_key(code: str, month: str) -> str:
    return f"{code}|{month}"


@dataclass
class _Pending:
    labels: dict[str, str]
    month: str
    counters: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class _Batch:
    """The documents one transaction touches, each read once and written once."""

    def __init__(self, tx: ViewTransaction) -> None:
        self.tx = tx
        self.facts: dict[str, ReportFacts] = {}
        self.programmes: dict[str, Programme | None] = {}
        self.dirty_facts: set[str] = set()
        self.dirty_programmes: set[str] = set()
        self.aggregates: dict[tuple[str, str], _Pending] = {}
        self.open311: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, dict[str, str]]] = {}

    async def facts_of(self, envelope: Envelope) -> ReportFacts:
        report_id = _report_id(envelope)
        if report_id not in self.facts:
            doc = await self.tx.get(FACTS, report_id)
            self.facts[report_id] = ReportFacts.from_doc(doc) if doc else new_facts(envelope)
        return self.facts[report_id]

    async def programme(self, key: str | None) -> Programme | None:
        if key is None:
            return None
        if key not in self.programmes:
            doc = await self.tx.get(PROGRAMMES, key)
            self.programmes[key] = Programme.from_doc(doc) if doc else None
        return self.programmes[key]

    async def apply(self, envelope: Envelope) -> bool:
        if not is_report_event(envelope):
            return False
        facts = await self.facts_of(envelope)
        programme_key = verified_programme(envelope)
        outcome = fold(facts, envelope, await self.programme(programme_key))
        if outcome is None:
            return False
        self.facts[facts.report_id] = outcome.facts
        self.dirty_facts.add(facts.report_id)
        if outcome.programme is not None and programme_key is not None:
            self.programmes[programme_key] = outcome.programme
            self.dirty_programmes.add(programme_key)
        if isinstance(envelope.data, ReportVerified):
            submitted = outcome.facts.submitted_at
            self.open311[facts.report_id] = request_document(
                envelope.data, datetime.fromisoformat(submitted) if submitted else None
            )
        path = wilayah_of(envelope)
        labels = self.labels.get(path.rt_code)
        if labels is None:
            labels = self.labels[path.rt_code] = area_labels(path)
        for delta in outcome.deltas:
            for level in LEVELS:
                area = labels[level]
                key = aggregate_key(area["code"], delta.month)
                pending = self.aggregates.get((level, key))
                if pending is None:
                    pending = self.aggregates[(level, key)] = _Pending(area, delta.month)
                pending.counters[delta.counter] += delta.amount
        return True

    async def write(self) -> None:
        tx = self.tx
        for report_id in self.dirty_facts:
            await tx.put(FACTS, report_id, self.facts[report_id].to_doc())
        for key in self.dirty_programmes:
            programme = self.programmes[key]
            assert programme is not None
            await tx.put(PROGRAMMES, key, programme.to_doc())
        for report_id, request in self.open311.items():
            await tx.put(OPEN311, report_id, request)
        for (level, key), pending in self.aggregates.items():
            collection = aggregate_collection(level)
            doc: dict[str, Any] = await tx.get(collection, key) or {
                **pending.labels,
                "level": level,
                "month": pending.month,
            }
            for counter, amount in pending.counters.items():
                doc[counter] = doc.get(counter, 0) + amount
            await tx.put(collection, key, doc)


def _report_id(envelope: Envelope) -> str:
    return str(getattr(envelope.data, "report_id", ""))


async def project_batch(envelopes: Sequence[Envelope], tx: ViewTransaction) -> int:
    """Fold events, in order, into the documents; returns how many changed anything."""
    batch = _Batch(tx)
    applied = 0
    for envelope in envelopes:
        applied += await batch.apply(envelope)
    await batch.write()
    return applied


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    await project_batch([envelope], tx)
