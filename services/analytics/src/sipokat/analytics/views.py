"""The read model's documents, folded from events.

- `analytics_reports`: one facts document per report (see `domain.ReportFacts`);
- `analytics_programmes`: the verified progress reports of each RT's funded programme;
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
# The version of this fold (`sipokat.events.foldversion`): bump it with any change to what the
# fold writes, and every deployment's views are rebuilt when it starts. 2: months by activity
# date, fund progress only forward (issue 19).
FOLD_VERSION = 2


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
    """The documents one transaction touches: read in bulk, folded in memory, written in bulk.

    A batch costs a fixed number of round trips to the store (one `get_many` and one `put_many`
    per collection), however many events it holds: the rebuild folds thousands per transaction.
    """

    def __init__(self) -> None:
        self.facts: dict[str, ReportFacts] = {}
        self.programmes: dict[str, Programme | None] = {}
        self.dirty_facts: set[str] = set()
        self.dirty_programmes: set[str] = set()
        self.aggregates: dict[tuple[str, str], _Pending] = {}
        self.open311: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, dict[str, str]]] = {}

    async def load(self, envelopes: Sequence[Envelope], tx: ViewTransaction) -> None:
        """Read the facts and programmes the events name, each once."""
        report_ids: dict[str, None] = {}
        programme_keys: dict[str, None] = {}
        for envelope in envelopes:
            if is_report_event(envelope):
                report_ids[_report_id(envelope)] = None
                key = verified_programme(envelope)
                if key is not None:
                    programme_keys[key] = None
        if report_ids:
            docs = await tx.get_many(FACTS, report_ids)
            self.facts.update((key, ReportFacts.from_doc(doc)) for key, doc in docs.items())
        if programme_keys:
            docs = await tx.get_many(PROGRAMMES, programme_keys)
            for key in programme_keys:
                doc = docs.get(key)
                self.programmes[key] = Programme.from_doc(doc) if doc else None

    def apply(self, envelope: Envelope) -> bool:
        if not is_report_event(envelope):
            return False
        report_id = _report_id(envelope)
        facts = self.facts.get(report_id)
        if facts is None:
            facts = self.facts[report_id] = new_facts(envelope)
        programme_key = verified_programme(envelope)
        programme = self.programmes.get(programme_key) if programme_key is not None else None
        outcome = fold(facts, envelope, programme)
        if outcome is None:
            return False
        self.facts[report_id] = outcome.facts
        self.dirty_facts.add(report_id)
        if outcome.programme is not None and programme_key is not None:
            self.programmes[programme_key] = outcome.programme
            self.dirty_programmes.add(programme_key)
        if isinstance(envelope.data, ReportVerified):
            submitted = outcome.facts.submitted_at
            self.open311[report_id] = request_document(
                envelope.data, datetime.fromisoformat(submitted) if submitted else None
            )
        if not outcome.deltas:
            return True
        path = wilayah_of(envelope)
        labels = self.labels.get(path.rt_code)
        if labels is None:
            labels = self.labels[path.rt_code] = area_labels(path)
        aggregates = self.aggregates
        for level in LEVELS:
            area = labels[level]
            code = area["code"]
            for delta in outcome.deltas:
                key = aggregate_key(code, delta.month)
                pending = aggregates.get((level, key))
                if pending is None:
                    pending = aggregates[(level, key)] = _Pending(area, delta.month)
                pending.counters[delta.counter] += delta.amount
        return True

    async def write(self, tx: ViewTransaction) -> None:
        if self.dirty_facts:
            await tx.put_many(FACTS, {key: self.facts[key].to_doc() for key in self.dirty_facts})
        if self.dirty_programmes:
            programmes = {}
            for key in self.dirty_programmes:
                programme = self.programmes[key]
                assert programme is not None
                programmes[key] = programme.to_doc()
            await tx.put_many(PROGRAMMES, programmes)
        if self.open311:
            await tx.put_many(OPEN311, self.open311)
        by_level: dict[str, dict[str, _Pending]] = defaultdict(dict)
        for (level, key), pending in self.aggregates.items():
            by_level[level][key] = pending
        for level, pendings in by_level.items():
            collection = aggregate_collection(level)
            stored = await tx.get_many(collection, pendings)
            docs: dict[str, dict[str, Any]] = {}
            for key, pending in pendings.items():
                doc = stored.get(key) or {
                    **pending.labels,
                    "level": level,
                    "month": pending.month,
                }
                for counter, amount in pending.counters.items():
                    value = doc.get(counter, 0) + amount
                    # A counter back at zero is dropped, as if never touched: a programme's
                    # steps folded in another order pass through other months' amounts, and the
                    # documents must not depend on the order (readers take a missing one as 0).
                    if value:
                        doc[counter] = value
                    else:
                        doc.pop(counter, None)
                docs[key] = doc
            await tx.put_many(collection, docs)


def _report_id(envelope: Envelope) -> str:
    return str(getattr(envelope.data, "report_id", ""))


async def project_batch(envelopes: Sequence[Envelope], tx: ViewTransaction) -> int:
    """Fold events, in order, into the documents; returns how many changed anything."""
    batch = _Batch()
    await batch.load(envelopes, tx)
    applied = 0
    for envelope in envelopes:
        applied += batch.apply(envelope)
    await batch.write(tx)
    return applied


async def project(envelope: Envelope, tx: ViewTransaction) -> None:
    await project_batch([envelope], tx)
