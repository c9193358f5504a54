"""Generated report lifecycles over the real directory, with controlled times.

Each report goes through a plausible chain (submitted, maybe rejected and revised, approved
tier by tier, verified, sometimes overdue); reports are interleaved at random, each report's
events staying in stream order, as the analytics queue sees them. A report's activity was done
up to 40 days before it was uploaded (so often in an earlier month), and a revision may correct
the date; a programme's progress reports come in any order of steps.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from sipokat.events.catalogue import (
    Bidang,
    BidangDana,
    FundProgress,
    ReportContent,
    ReportKind,
    Tier,
)
from sipokat.events.envelope import Envelope
from sipokat.events.testing import ReportStream
from sipokat.wilayah import load_default_directory

START = datetime(2026, 1, 1, tzinfo=UTC)
FIRST_DAY = START.date()
TIERS = list(Tier)


def lubuklinggau_rts(kelurahan_limit: int = 12) -> list[str]:
    city = load_default_directory().city("16.73")
    kelurahan = [k for kc in city.kecamatan for k in kc.kelurahan][:kelurahan_limit]
    return [rt for k in kelurahan for rt in k.rt_codes()]


def content(
    rng: random.Random, rt: str, programme: int | None = None, done: date = FIRST_DAY
) -> ReportContent:
    kind = (
        ReportKind.PROGRES_DANA
        if programme is not None
        else rng.choice([ReportKind.KEGIATAN, ReportKind.KEGIATAN, ReportKind.USULAN])
    )
    fund = None
    if programme is not None:
        fund = FundProgress(
            programme=f"Prodamas {programme}",
            amount_rupiah=rng.choice([10_000_000, 20_000_000, 30_000_000]),
            progress_percent=rng.choice([0, 50, 100]),
            bidang_dana=rng.choice(list(BidangDana)),
        )
    return ReportContent(
        kind=kind,
        bidang=rng.choice(list(Bidang)),
        title=f"Kegiatan {rt}",
        description="Warga bergotong royong.",
        activity_date=done,
        fund=fund,
    )


def stream_of(rt: str, report_id: UUID | None = None) -> ReportStream:
    """A report's stream in `rt`, with the RT's path from the directory."""
    report_id = report_id or uuid4()
    return ReportStream(
        wilayah=load_default_directory().rt_path(rt),
        report_id=report_id,
        correlation_id=f"gen-{report_id.hex[:8]}",
    )


def done_before(rng: random.Random, at: datetime) -> date:
    """The day of an activity reported at `at`: that day or up to 40 days earlier."""
    return (at - timedelta(days=rng.uniform(0, 40))).date()


def lifecycle(
    rng: random.Random, rt: str, report_id: UUID, programme_rts: list[str] | None = None
) -> list[Envelope]:
    """One report's events: submitted in one of four months, then a random way through. A
    fund-progress report is of one of `programme_rts` (default `rt`)."""
    programme = rng.randrange(3) if rng.random() < 0.25 else None
    if programme is not None and programme_rts:
        rt = rng.choice(programme_rts)
    report = stream_of(rt, report_id)
    at = START + timedelta(days=rng.uniform(0, 120))
    body = content(rng, rt, programme, done_before(rng, at))
    report.submit(body, at)
    revision = 0
    tier_index = 0
    while tier_index < len(TIERS):
        tier = TIERS[tier_index]
        wait = timedelta(hours=rng.choice([0.5, 3, 10, 30, 80, 200, 900]) * rng.uniform(0.8, 1.2))
        roll = rng.random()
        if roll < 0.1:
            return report.events  # still waiting at this tier
        if roll < 0.18:
            report.overdue(tier, at + timedelta(days=3))
        at += wait
        if roll > 0.88 and revision < 2:
            report.reject(tier, at)
            if rng.random() < 0.3:
                return report.events  # rejected, never revised
            revision += 1
            at += timedelta(hours=rng.uniform(1, 48))
            body = content(rng, rt, programme, done_before(rng, at))
            report.revise(body, at, revision=revision)
            tier_index = 0
            continue
        report.approve(tier, at)
        tier_index += 1
    report.verify(body, at + timedelta(seconds=1), counts=rng.random() < 0.9)
    return report.events


def generate(seed: int, reports: int, rts: list[str] | None = None) -> list[Envelope]:
    """`reports` lifecycles interleaved at random, each report's events in stream order."""
    rng = random.Random(seed)
    rts = rts or lubuklinggau_rts()
    # Programmes of a few RTs (in two kelurahan), so that each gets several progress reports,
    # at steps and verified in any order.
    programme_rts = [*rts[:4], *rts[-4:]]
    streams = [
        lifecycle(rng, rng.choice(rts), UUID(int=rng.getrandbits(128), version=4), programme_rts)
        for _ in range(reports)
    ]
    positions = [0] * len(streams)
    order: list[Envelope] = []
    live = [i for i, s in enumerate(streams) if s]
    while live:
        pick = rng.randrange(len(live))
        index = live[pick]
        order.append(streams[index][positions[index]])
        positions[index] += 1
        if positions[index] == len(streams[index]):
            live[pick] = live[-1]
            live.pop()
    return order
