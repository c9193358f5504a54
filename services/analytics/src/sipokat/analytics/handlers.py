"""What analytics does: it folds every report event into its views (`queries` says what they
hold), live from its queue and, on a rebuild, from the event log.

`project_batch` applies many events in one transaction (the rebuild, a live backlog), `project`
one event; both run the same fold. Duplicates are dropped by the facts' stream version, which is
written in the same transaction as the counters.

The rebuild and the live handlers are the shared log rebuild's (`sipokat.events.logrebuild`):
while a rebuild runs, queries answer 503 with Retry-After and the live consumer holds its next
event; an event the fold cannot apply is set aside (reader `analytics.rebuild`) and the replay
goes on. Analytics records each replayed batch, not each event, as applied: the facts' stream
versions drop what the live queue delivers again afterwards, and a rebuild of millions of
events writes a record per batch only.
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
from sipokat.analytics.domain.open311 import request_document
from sipokat.analytics.queries import (
    FACTS,
    FOLDED,
    OPEN311,
    PROGRAMMES,
    Reader,
    aggregate_collection,
    aggregate_key,
)
from sipokat.analytics.settings import AnalyticsSettings
from sipokat.events import logrebuild
from sipokat.events.broker.consumer import BatchHandler, Handler
from sipokat.events.catalogue import ReportVerified
from sipokat.events.envelope import Envelope
from sipokat.events.foldversion import BackgroundRebuild
from sipokat.events.store.base import Database, ViewTransaction
from sipokat.wilayah import Directory


@dataclass(frozen=True)
class AnalyticsContext:
    """What analytics' handlers and routes work with; built once at start-up by `bootstrap`."""

    settings: AnalyticsSettings
    database: Database
    directory: Directory  # the areas the figures are of
    reader: Reader  # every read model's answers, over `database`'s views
    views_rebuild: BackgroundRebuild  # this runtime's rebuild of the views


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


# The views as the shared log rebuild folds them: a rebuild is
# `logrebuild.rebuild(database, VIEW, ...)` (the service's endpoint, the ops CLI through it,
# the rebuild benchmark).
VIEW = logrebuild.LogView(FOLDED.name, project_batch, FOLDED.meta, FOLDED.version)


def live_batch_handler(database: Database, here: BackgroundRebuild | None = None) -> BatchHandler:
    """The live queue's handler for a backlog: one transaction, each event once, none while a
    rebuild of the views runs (`here`: the runtime's own rebuild, seen before its marker is
    stored)."""
    return logrebuild.live_batch_handler(database, VIEW, here=here)


def live_handler(database: Database, here: BackgroundRebuild | None = None) -> Handler:
    """`live_batch_handler` for one event."""
    return logrebuild.live_handler(database, VIEW, here=here)
