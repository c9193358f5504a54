"""The verdict of a failover run, from what the writers were told, the broker delivered and the
store holds afterwards. Pure: `tests/mongo_failover/test_check.py` feeds it each violation.

An event is *acknowledged* when an append holding it returned; *uncertain* when every append of
it raised (a call that failed mid-commit may or may not have committed). Against the store read
after the failover (every member back, rollbacks done) and the deliveries of a queue bound to
the test exchange with `#`, in the order the broker delivered them:

- lost: acknowledged, not in the store (a majority-acknowledged write was rolled back);
- moved: acknowledged at positions the store no longer gives the event;
- unpublished: in the store, never delivered (the relay skipped it);
- phantom: delivered, not in the store (published, then rolled back);
- duplicated: delivered more than once (see `allow_redelivery`);
- out of order: an event first delivered after one at a higher position;
- gaps: positions missing from the store's 1..highest;
- stored twice: one event_id at two positions;
- unknown: stored or delivered, never appended by a writer;
- unmapped errors: an append raised something other than the store contract's errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

# What an append may raise (sipokat.events.store.base): anything else reached the caller as a
# driver error the store should have mapped (issue 20, finding 3).
CONTRACT_ERRORS = frozenset({"StoreUnavailable", "ConcurrencyConflict"})


@dataclass(frozen=True)
class Append:
    """One call of `EventStore.append`: positions when it returned, the error when it raised."""

    event_ids: tuple[UUID, ...]
    positions: tuple[int, ...] | None = None
    error: str | None = None  # the exception's class name

    @property
    def acknowledged(self) -> bool:
        return self.positions is not None


@dataclass(frozen=True)
class Stored:
    position: int
    event_id: UUID


@dataclass
class Verdict:
    acknowledged: int
    uncertain: int
    uncertain_committed: int
    failed_calls: int
    stored: int
    deliveries: int
    lost: list[UUID] = field(default_factory=list)
    moved: list[UUID] = field(default_factory=list)
    unpublished: list[UUID] = field(default_factory=list)
    phantom: list[UUID] = field(default_factory=list)
    duplicated: list[UUID] = field(default_factory=list)
    out_of_order: list[tuple[int, int]] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    stored_twice: list[UUID] = field(default_factory=list)
    unknown: list[UUID] = field(default_factory=list)
    unmapped_errors: dict[str, int] = field(default_factory=dict)
    allow_redelivery: bool = False

    def violations(self) -> dict[str, int]:
        """Each violated property and how many times; empty when the run proved the store."""
        counts = {
            "lost": len(self.lost),
            "moved": len(self.moved),
            "unpublished": len(self.unpublished),
            "phantom": len(self.phantom),
            "duplicated": 0 if self.allow_redelivery else len(self.duplicated),
            "out of order": len(self.out_of_order),
            "gaps": len(self.gaps),
            "stored twice": len(self.stored_twice),
            "unknown": len(self.unknown),
            "unmapped errors": sum(self.unmapped_errors.values()),
        }
        return {name: count for name, count in counts.items() if count}

    @property
    def ok(self) -> bool:
        return not self.violations()


def check(
    appends: Iterable[Append],
    delivered: Sequence[UUID],
    stored: Iterable[Stored],
    *,
    allow_redelivery: bool = False,
) -> Verdict:
    appends = list(appends)
    stored = sorted(stored, key=lambda s: s.position)
    acknowledged: dict[UUID, int] = {}
    attempted: set[UUID] = set()
    errors: Counter[str] = Counter()
    for append in appends:
        attempted.update(append.event_ids)
        if append.positions is not None:
            acknowledged.update(zip(append.event_ids, append.positions, strict=True))
        else:
            errors[append.error or "?"] += 1
    uncertain = attempted - acknowledged.keys()

    position_of: dict[UUID, int] = {}
    stored_twice: list[UUID] = []
    for row in stored:
        if row.event_id in position_of:
            stored_twice.append(row.event_id)
        else:
            position_of[row.event_id] = row.position
    positions = {row.position for row in stored}
    highest = max(positions, default=0)

    times_delivered = Counter(delivered)
    first_deliveries = list(dict.fromkeys(delivered))
    out_of_order: list[tuple[int, int]] = []
    previous = 0
    for event_id in first_deliveries:
        position = position_of.get(event_id)
        if position is None:
            continue  # a phantom, reported as such
        if position <= previous:
            out_of_order.append((previous, position))
        previous = max(previous, position)

    return Verdict(
        acknowledged=len(acknowledged),
        uncertain=len(uncertain),
        uncertain_committed=len(uncertain & position_of.keys()),
        failed_calls=sum(errors.values()),
        stored=len(position_of),
        deliveries=len(delivered),
        lost=[e for e in acknowledged if e not in position_of],
        moved=[e for e, p in acknowledged.items() if e in position_of and position_of[e] != p],
        unpublished=[e for e in position_of if e not in times_delivered],
        phantom=[e for e in first_deliveries if e not in position_of],
        duplicated=[e for e, n in times_delivered.items() if n > 1],
        out_of_order=out_of_order,
        gaps=[p for p in range(1, highest + 1) if p not in positions],
        stored_twice=stored_twice,
        unknown=[e for e in dict.fromkeys([*position_of, *first_deliveries]) if e not in attempted],
        unmapped_errors={k: n for k, n in sorted(errors.items()) if k not in CONTRACT_ERRORS},
        allow_redelivery=allow_redelivery,
    )


def table(verdict: Verdict, *, examples: int = 3) -> str:
    """The summary the script prints: every check with its count and OK or VIOLATION."""
    rows: list[tuple[str, str, str]] = [
        ("acknowledged events (append returned)", str(verdict.acknowledged), ""),
        ("uncertain events (every append raised)", str(verdict.uncertain), ""),
        ("  of which committed (stored once)", str(verdict.uncertain_committed), ""),
        ("failed append calls", str(verdict.failed_calls), ""),
        ("events in the store after the failover", str(verdict.stored), ""),
        ("deliveries on the test queue", str(verdict.deliveries), ""),
    ]

    def judged(
        name: str,
        found: Sequence[object],
        what: str,
        *,
        tolerated: bool = False,
        count: int | None = None,
    ) -> None:
        shown = ", ".join(str(x) for x in found[:examples])
        more = f" (+{len(found) - examples} more)" if len(found) > examples else ""
        if not found:
            mark = "OK"
        elif tolerated:
            mark = f"tolerated: {shown}{more}"
        else:
            mark = f"VIOLATION: {shown}{more}"
        rows.append((f"{name}: {what}", str(len(found) if count is None else count), mark))

    judged("lost", verdict.lost, "acknowledged, not in the store")
    judged("moved", verdict.moved, "acknowledged at another position")
    judged("unpublished", verdict.unpublished, "stored, never delivered")
    judged("phantom", verdict.phantom, "delivered, not in the store")
    judged(
        "duplicated",
        verdict.duplicated,
        "delivered more than once",
        tolerated=verdict.allow_redelivery,
    )
    judged(
        "out of order",
        [f"{b} after {a}" for a, b in verdict.out_of_order],
        "first delivery below an earlier one",
    )
    judged("gaps", verdict.gaps, "positions missing from 1..highest")
    judged("stored twice", verdict.stored_twice, "one event at two positions")
    judged("unknown", verdict.unknown, "never appended by a writer")
    judged(
        "unmapped errors",
        [f"{name} x{n}" for name, n in verdict.unmapped_errors.items()],
        "raised, not StoreUnavailable/ConcurrencyConflict",
        count=sum(verdict.unmapped_errors.values()),
    )
    width = max(len(r[0]) for r in rows)
    count_width = max(len(r[1]) for r in rows)
    lines = [f"{label:<{width}}  {n:>{count_width}}  {mark}".rstrip() for label, n, mark in rows]
    lines.append(
        "RESULT: "
        + (
            "every acknowledged event stored and published once, in position order"
            if verdict.ok
            else "FAILED (" + ", ".join(verdict.violations()) + ")"
        )
    )
    return "\n".join(lines)
