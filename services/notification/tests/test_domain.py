"""Pure rules: who hears what, where a report waits, digests, retries, topics, signatures."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from sipokat.events.catalogue import Tier
from sipokat.events.testing import (
    make_approved,
    make_overdue,
    make_rejected,
    make_revised,
    make_submitted,
    make_verified,
)
from sipokat.notification.adapters.live import Hub
from sipokat.notification.adapters.webhooks import refused_reason, sign
from sipokat.notification.domain import (
    WIB,
    Notice,
    NoticeKind,
    digests,
    facts,
    inbox_message,
    next_digest_at,
    notices,
    retry_delay,
    topic_matches,
    waiting_after,
)

LURAH = "lurah:16.73.02.1019"
CAMAT = "camat:16.73.02"
PEMKOT = "pemkot:16.73"
RT_HEAD = "ketua_rt:16.73.02.1019/007"


def test_who_hears_what() -> None:
    rid = uuid4()
    cases = [
        (make_submitted(rid), [Notice(LURAH, NoticeKind.AWAITING)]),
        (make_revised(rid, stream_version=3), [Notice(LURAH, NoticeKind.AWAITING)]),
        (
            make_approved(rid, stream_version=2, tier=Tier.KELURAHAN),
            [Notice(CAMAT, NoticeKind.AWAITING)],
        ),
        (
            make_approved(rid, stream_version=3, tier=Tier.KECAMATAN),
            [Notice(PEMKOT, NoticeKind.AWAITING)],
        ),
        (make_approved(rid, stream_version=4, tier=Tier.KOTA), []),
        (
            make_rejected(rid, stream_version=2, tier=Tier.KECAMATAN),
            [Notice(RT_HEAD, NoticeKind.REJECTED)],
        ),
        (make_verified(rid, stream_version=5), [Notice(RT_HEAD, NoticeKind.VERIFIED)]),
        (
            make_overdue(rid, stream_version=2, tier=Tier.KELURAHAN),
            [Notice(LURAH, NoticeKind.REMINDER), Notice(CAMAT, NoticeKind.ESCALATION)],
        ),
        (
            make_overdue(rid, stream_version=2, tier=Tier.KECAMATAN),
            [Notice(CAMAT, NoticeKind.REMINDER), Notice(PEMKOT, NoticeKind.ESCALATION)],
        ),
        (
            make_overdue(rid, stream_version=2, tier=Tier.KOTA),
            [Notice(PEMKOT, NoticeKind.REMINDER)],
        ),
    ]
    for envelope, expected in cases:
        assert notices(envelope.data) == expected, envelope.routing_key


def test_inbox_messages_say_what_happened_in_indonesian() -> None:
    rejected = make_rejected(uuid4(), stream_version=2)
    text = inbox_message(NoticeKind.REJECTED, facts(rejected))
    assert "ditolak di tingkat kelurahan" in text
    assert "Foto kegiatan tidak terlihat jelas" in text
    overdue = make_overdue(uuid4(), stream_version=2)
    assert inbox_message(NoticeKind.ESCALATION, facts(overdue)).startswith("Eskalasi")


@pytest.mark.parametrize("kind", list(NoticeKind))
@pytest.mark.parametrize("event_type", ["ReportSubmitted", "ReportRevised", "ReportApproved"])
def test_inbox_texts_never_change_the_case_of_what_they_quote(
    kind: NoticeKind, event_type: str
) -> None:
    said = {
        "event_type": event_type,
        "rt_code": "16.73.02.1019/007",
        "title": "Perbaikan jalan RT 7 (Jl. Pelita, PRODAMAS)",
        "tier": "kelurahan",
        "note": "Tambahkan foto RAB",
    }
    text = inbox_message(kind, said)
    assert text[0].isupper(), text
    assert "RT 16.73.02.1019/007" in text, text
    assert "Perbaikan jalan RT 7 (Jl. Pelita, PRODAMAS)" in text, text
    if kind is NoticeKind.REJECTED:
        assert "Tambahkan foto RAB" in text


def test_a_report_waits_at_each_tier_in_turn_and_leaves_the_queues_when_done() -> None:
    rid = uuid4()
    state = waiting_after(None, make_submitted(rid))
    assert state is not None
    assert (state["office"], state["tier"], state["waiting"]) == (LURAH, "kelurahan", True)
    state = waiting_after(state, make_overdue(rid, stream_version=2, tier=Tier.KELURAHAN))
    assert state is not None and state["overdue"] is True
    approved = make_approved(rid, stream_version=3, tier=Tier.KELURAHAN)
    state = waiting_after(state, approved)
    assert state is not None
    assert (state["office"], state["overdue"]) == (CAMAT, False)
    assert state["due_at"] == approved.data.next_due_at.isoformat()  # type: ignore[attr-defined]
    # A deadline of a tier the report has left changes nothing.
    stale = waiting_after(state, make_overdue(rid, stream_version=4, tier=Tier.KELURAHAN))
    assert stale is not None and stale["overdue"] is False and stale["office"] == CAMAT
    done = waiting_after(state, make_rejected(rid, stream_version=4, tier=Tier.KECAMATAN))
    assert done is not None and done["waiting"] is False
    assert done["rt_code"] == "16.73.02.1019/007"


def test_an_older_or_repeated_event_never_moves_a_report_backwards() -> None:
    rid = uuid4()
    submitted = make_submitted(rid)
    state = waiting_after(waiting_after(None, submitted), make_approved(rid, stream_version=2))
    assert waiting_after(state, submitted) is None
    assert waiting_after(state, make_approved(rid, stream_version=2)) is None


def test_digests_group_by_office_and_count_what_is_overdue() -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    past, future = (now - timedelta(hours=1)).isoformat(), (now + timedelta(days=1)).isoformat()
    waiting = [
        {
            "report_id": "a",
            "office": LURAH,
            "waiting": True,
            "since": "1",
            "overdue": True,
            "due_at": None,
        },
        {
            "report_id": "b",
            "office": LURAH,
            "waiting": True,
            "since": "2",
            "overdue": False,
            "due_at": future,
        },
        {
            "report_id": "c",
            "office": CAMAT,
            "waiting": True,
            "since": "3",
            "overdue": False,
            "due_at": past,
        },
        {
            "report_id": "d",
            "office": None,
            "waiting": False,
            "since": "4",
            "overdue": False,
            "due_at": None,
        },
    ]
    found = {d.recipient: d for d in digests(waiting, date(2026, 3, 2), now)}
    assert set(found) == {LURAH, CAMAT}
    assert [i["report_id"] for i in found[LURAH].waiting] == ["a", "b"]
    assert [i["report_id"] for i in found[LURAH].overdue] == ["a"]
    assert [i["report_id"] for i in found[CAMAT].overdue] == ["c"]  # its due time has passed
    assert found[LURAH].name == "digest-2026-03-02"


def test_the_digest_hour_is_on_the_clock_in_jakarta() -> None:
    before = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # 06:00 WIB on 2 March
    assert next_digest_at(before, 7) == datetime(2026, 3, 2, 7, tzinfo=WIB)
    after = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 WIB
    assert next_digest_at(after, 7) == datetime(2026, 3, 3, 7, tzinfo=WIB)


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)]:
        delays = [retry_delay(attempt, 2.0, 60.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 150  # jittered, not a fixed schedule


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("#", "report.submitted", True),
        ("report.#", "report.approved.kota", True),
        ("report.approved.*", "report.approved.kota", True),
        ("report.approved.*", "report.approved", False),
        ("report.*", "report.approved.kota", False),
        ("report.#.kota", "report.approved.kota", True),
        ("report.#.kota", "report.kota", True),
        ("report.verified", "report.verified", True),
        ("report.verified", "report.verifiedx", False),
    ],
)
def test_routing_key_patterns_match_as_amqp_topics(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("100.64.0.1", "not globally routable"),
        ("93.184.215.14", None),
        ("2606:4700::6810:84e5", None),
    ],
)
def test_only_public_unicast_addresses_are_allowed(address: str, reason: str | None) -> None:
    assert refused_reason(ipaddress.ip_address(address)) == reason


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    # From the Standard Webhooks specification's reference libraries.
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_live_listener_that_falls_behind_is_told_to_resync() -> None:
    hub = Hub(queue_size=2)
    with hub.listen("lurah:1") as queue, hub.listen("lurah:2") as other:
        for n in range(4):
            hub.publish("lurah:1", {"n": n})
        drained = [queue.get_nowait() for _ in range(queue.qsize())]
        assert drained == [{"n": 0}, {"n": 1}, None]  # None: re-read the inbox
        assert other.empty()
    assert hub.listener_count("lurah:1") == 0
