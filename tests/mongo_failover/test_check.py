"""The failover verdict on synthetic runs: a clean one passes, and each violation is reported."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from mongo_failover.check import Append, Stored, Verdict, check, table


def ids(n: int) -> list[UUID]:
    return [uuid4() for _ in range(n)]


def clean_run(n: int = 6) -> tuple[list[Append], list[UUID], list[Stored]]:
    """n events appended one per call, stored at 1..n, delivered once each in order."""
    events = ids(n)
    appends = [Append((e,), (p,)) for p, e in enumerate(events, start=1)]
    stored = [Stored(p, e) for p, e in enumerate(events, start=1)]
    return appends, list(events), stored


def test_a_clean_run_passes() -> None:
    appends, delivered, stored = clean_run()
    verdict = check(appends, delivered, stored)
    assert verdict.ok, verdict.violations()
    assert (verdict.acknowledged, verdict.stored, verdict.deliveries) == (6, 6, 6)
    assert "RESULT: every acknowledged event" in table(verdict)


def test_a_batch_append_acknowledges_each_of_its_events() -> None:
    a, b, c = ids(3)
    verdict = check(
        [Append((a, b), (1, 2)), Append((c,), (3,))],
        [a, b, c],
        [
            Stored(1, a),
            Stored(2, b),
            Stored(3, c),
        ],
    )
    assert verdict.ok and verdict.acknowledged == 3


def test_an_acknowledged_event_rolled_back_is_lost() -> None:
    appends, delivered, stored = clean_run()
    gone = stored.pop()  # the highest position: no gap left behind it
    delivered.remove(gone.event_id)
    verdict = check(appends, delivered, stored)
    assert verdict.lost == [gone.event_id]
    assert verdict.violations() == {"lost": 1}
    assert "VIOLATION" in table(verdict)


def test_an_acknowledged_event_at_another_position_has_moved() -> None:
    a, b = ids(2)
    # Acknowledged at 1 and 2; after the failover the store holds them the other way round.
    verdict = check([Append((a,), (1,)), Append((b,), (2,))], [b, a], [Stored(1, b), Stored(2, a)])
    assert set(verdict.moved) == {a, b}
    assert verdict.violations() == {"moved": 2}


def test_a_stored_event_never_delivered_is_unpublished() -> None:
    appends, delivered, stored = clean_run()
    skipped = delivered.pop(2)
    verdict = check(appends, delivered, stored)
    assert verdict.unpublished == [skipped]
    assert verdict.violations() == {"unpublished": 1}


def test_an_event_delivered_then_rolled_back_is_a_phantom() -> None:
    appends, delivered, stored = clean_run()
    # Appended (the call raised: never acknowledged), published, then rolled back.
    rolled_back = uuid4()
    appends.append(Append((rolled_back,), error="StoreUnavailable"))
    delivered.append(rolled_back)
    verdict = check(appends, delivered, stored)
    assert verdict.phantom == [rolled_back]
    assert verdict.violations() == {"phantom": 1}
    assert verdict.uncertain == 1 and verdict.uncertain_committed == 0


def test_an_event_delivered_twice_is_duplicated_unless_redelivery_is_allowed() -> None:
    appends, delivered, stored = clean_run()
    again = delivered[3:5]  # the relay republished a confirmed range after a checkpoint failed
    delivered += again
    verdict = check(appends, delivered, stored)
    assert verdict.duplicated == again
    assert verdict.violations() == {"duplicated": 2}
    # A redelivery is behind its first delivery: positions in first-delivery order still rise.
    assert verdict.out_of_order == []

    tolerant = check(appends, delivered, stored, allow_redelivery=True)
    assert tolerant.ok and tolerant.duplicated == again
    assert "tolerated" in table(tolerant)


def test_an_event_first_delivered_after_a_higher_position_is_out_of_order() -> None:
    appends, delivered, stored = clean_run()
    delivered[1], delivered[2] = delivered[2], delivered[1]  # 1, 3, 2, 4, ...
    verdict = check(appends, delivered, stored)
    assert verdict.out_of_order == [(3, 2)]
    assert verdict.violations() == {"out of order": 1}


def test_positions_missing_from_the_store_are_gaps() -> None:
    appends, delivered, stored = clean_run()
    # An uncertain append's event at 7 and a hole at 5..6 (positions a rollback left behind).
    late = uuid4()
    appends.append(Append((late,), error="StoreUnavailable"))
    stored.append(Stored(9, late))
    delivered.append(late)
    verdict = check(appends, delivered, stored)
    assert verdict.gaps == [7, 8]
    assert verdict.uncertain_committed == 1
    assert verdict.violations() == {"gaps": 2}


def test_one_event_at_two_positions_is_stored_twice() -> None:
    appends, delivered, stored = clean_run()
    twice = stored[-1].event_id
    stored.append(Stored(7, twice))
    verdict = check(appends, delivered, stored)
    assert verdict.stored_twice == [twice]
    assert verdict.violations() == {"stored twice": 1}


def test_an_event_no_writer_appended_is_unknown() -> None:
    appends, delivered, stored = clean_run()
    stranger = uuid4()
    stored.append(Stored(7, stranger))
    delivered.append(stranger)
    verdict = check(appends, delivered, stored)
    assert verdict.unknown == [stranger]
    assert verdict.violations() == {"unknown": 1}


def test_an_uncertain_append_may_commit_or_not() -> None:
    appends, delivered, stored = clean_run()
    committed, absent = uuid4(), uuid4()
    appends += [
        Append((committed,), error="StoreUnavailable"),
        Append((absent,), error="StoreUnavailable"),
    ]
    stored.append(Stored(7, committed))
    delivered.append(committed)
    verdict = check(appends, delivered, stored)
    assert verdict.ok, verdict.violations()
    assert (verdict.uncertain, verdict.uncertain_committed, verdict.failed_calls) == (2, 1, 2)


def test_a_retry_that_returns_acknowledges_what_an_earlier_call_left_uncertain() -> None:
    appends, delivered, stored = clean_run()
    retried = uuid4()
    appends += [Append((retried,), error="StoreUnavailable"), Append((retried,), (7,))]
    stored.append(Stored(7, retried))
    delivered.append(retried)
    verdict = check(appends, delivered, stored)
    assert verdict.ok, verdict.violations()
    assert (verdict.acknowledged, verdict.uncertain) == (7, 0)


@pytest.mark.parametrize("error", ["NetworkTimeout", "OverflowError", "TimeoutError"])
def test_an_error_outside_the_contract_is_unmapped(error: str) -> None:
    appends, delivered, stored = clean_run()
    appends += [Append((uuid4(),), error=error), Append((uuid4(),), error=error)]
    verdict = check(appends, delivered, stored)
    assert verdict.unmapped_errors == {error: 2}
    assert verdict.violations() == {"unmapped errors": 2}
    assert f"{error} x2" in table(verdict)


def test_the_table_names_every_violation_of_a_bad_run() -> None:
    a, b, c, d = ids(4)
    verdict = check(
        [Append((a,), (1,)), Append((b,), (2,)), Append((c,), error="NetworkTimeout")],
        [b, c, b, d],
        [Stored(2, b), Stored(4, a)],
    )
    assert isinstance(verdict, Verdict)
    assert verdict.violations() == {
        "moved": 1,
        "phantom": 2,
        "duplicated": 1,
        "gaps": 2,
        "unknown": 1,
        "unmapped errors": 1,
        "unpublished": 1,
    }
    last = table(verdict).splitlines()[-1]
    assert last.startswith("RESULT: FAILED (")
    for name in verdict.violations():
        assert name in last
