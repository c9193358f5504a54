"""The exactly-once checker of the fault tests: every report the platform accepted is present once
in verification's status view, in analytics and in the inboxes: none lost, none counted twice.

It asks through the gateway(s), as a client would, and honours 429 Retry-After. With several
gateways (replicas of intake) it spreads its questions over them.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness import KELURAHAN, RT, auth
from sipokat.events.testing import eventually

LURAH = auth("lurah", KELURAHAN)
LEADER = auth("pemkot", "16.73")
RT_HEAD = auth("ketua_rt", RT)
CAMAT = auth("camat", "16.73.02")
OFFICES = {"lurah": LURAH, "camat": CAMAT, "pemkot": LEADER, "ketua_rt": RT_HEAD}

SUBMITTED = "ReportSubmitted"
APPROVED = "ReportApproved"
REJECTED = "ReportRejected"
VERIFIED = "ReportVerified"


def scripted_decision(tier: str, item: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What the load's verifiers decide on a worklist item, and the events that records: the
    lurah rejects every fifth report (by the number in its title), everyone else approves."""
    number = int(re.sub(r"\D", "", item["title"]))
    body: dict[str, Any] = {"decision": "approve", "expected_version": item["version"]}
    recorded = [APPROVED, VERIFIED] if tier == "kota" else [APPROVED]
    if tier == "kelurahan" and number % 5 == 0:
        body = {
            "decision": "reject",
            "reason_code": "no_evidence",
            "note": "Lampirkan foto kegiatan.",
            "expected_version": item["version"],
        }
        recorded = [REJECTED]
    elif tier == "kota":
        body["counts_for_performance"] = True
    return body, recorded


TIERS = ("kelurahan", "kecamatan", "kota")


@dataclass
class Outcome:
    """What the platform answered its clients: the reports it accepted (202) and, per report,
    the events its decisions recorded after the submission (200), in order."""

    accepted: list[str] = field(default_factory=list)
    decided: dict[str, list[str]] = field(default_factory=dict)

    def timeline(self, report_id: str) -> list[str]:
        return [SUBMITTED, *self.decided.get(report_id, [])]

    def ended_with(self, event: str) -> list[str]:
        return [r for r in self.accepted if self.timeline(r)[-1] == event]

    def decided_at(self, report_id: str, tier: str) -> str | None:
        """The event tier `tier`'s decision recorded on a report, None before it decided."""
        line = self.timeline(report_id)
        depth = TIERS.index(tier) + 1
        return line[depth] if len(line) > depth else None

    def decisions_at(self, tier: str, event: str) -> int:
        """How many `event`s (approvals, rejections) tier number `tier` recorded."""
        depth = TIERS.index(tier) + 1  # the tier's decision is the report's depth-th event after
        return sum(
            1
            for r in self.accepted
            if len(self.timeline(r)) > depth and self.timeline(r)[depth] == event
        )


class Gateways:
    """Round robin over the gateways, as a load balancer in front of intake's replicas would."""

    def __init__(self, clients: Sequence[httpx.AsyncClient]) -> None:
        self._next = itertools.cycle(clients)

    async def get(
        self, path: str, headers: Mapping[str, str], params: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        """GET as a well-behaved client: on 429, wait as long as Retry-After says, then again."""
        while True:
            answer = await next(self._next).get(path, headers=headers, params=params)
            if answer.status_code != 429:
                return answer
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))

    async def json(
        self, path: str, headers: Mapping[str, str], params: Mapping[str, Any] | None = None
    ) -> Any:
        answer = await self.get(path, headers, params)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()


async def check_exactly_once(
    gateways: Sequence[httpx.AsyncClient],
    outcome: Outcome,
    *,
    timeout: float = 120,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
) -> None:
    """Wait for every view to settle on what was accepted and decided, then check each report."""
    accepted = outcome.accepted
    assert len(accepted) == len(set(accepted)), "intake accepted one report id twice"
    ask = Gateways(gateways)

    async def analytics_total() -> int:
        total: int = (await ask.json("/v1/analytics/summary", LEADER))["total_reports"]
        return total

    await eventually(
        lambda: _equals(analytics_total(), len(accepted)),
        timeout=timeout,
        message=lambda: f"analytics never reached {len(accepted)} reports",
    )

    async def unread() -> int:
        count: int = (await ask.json("/v1/notifications/inbox/unread", LURAH))["unread"]
        return count

    await eventually(lambda: _equals(unread(), len(accepted)), timeout=timeout)
    items = await inbox_items(ask, LURAH)
    assert sorted(item["report_id"] for item in items) == sorted(accepted)

    asking = asyncio.Semaphore(8)

    async def timeline(report_id: str) -> list[str]:
        async with asking:
            answer = await ask.get(f"/v1/reports/{report_id}", LURAH)
        assert answer.status_code == 200, f"{report_id}: {answer.status_code} {answer.text}"
        return [entry["event"] for entry in answer.json()["timeline"]]

    # Each report's timeline is exactly what the clients were told: submitted once, each
    # decision once, in the order it was made.
    timelines = await asyncio.gather(*(timeline(report_id) for report_id in accepted))
    for report_id, seen in zip(accepted, timelines, strict=True):
        assert seen == outcome.timeline(report_id), report_id

    if outcome.decided:
        await _check_decisions(ask, outcome, timeout)

    # Analytics did not count any report twice while the views settled.
    assert await analytics_total() == len(accepted)


async def _check_decisions(
    ask: Gateways,
    outcome: Outcome,
    timeout: float,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
) -> None:
    """Analytics' funnel and the RT head's inbox agree with every decision, exactly."""
    expected = {
        tier: (outcome.decisions_at(tier, APPROVED), outcome.decisions_at(tier, REJECTED))
        for tier in TIERS
    }

    async def funnel() -> dict[str, tuple[int, int]]:
        tiers = (await ask.json("/v1/analytics/verification", LEADER))["tiers"]
        return {row["tier"]: (row["approved"], row["rejected"]) for row in tiers}

    await eventually(
        lambda: _equals(funnel(), expected),
        timeout=timeout,
        message=lambda: f"the analytics funnel never reached {expected}",
    )
    verified = outcome.ended_with(VERIFIED)
    rows = (await ask.json("/v1/analytics/rt-performance", LEADER))["rows"]
    assert sum(row["verified"] for row in rows) == len(verified)

    # The RT head hears once of each rejection and each verification.
    told = {REJECTED: "rejected", VERIFIED: "verified"}
    wanted = Counter(
        (report_id, told[outcome.timeline(report_id)[-1]])
        for report_id in outcome.accepted
        if outcome.timeline(report_id)[-1] in told
    )

    async def rt_inbox() -> Counter[tuple[str, str]]:
        return Counter(
            (item["report_id"], item["kind"]) for item in await inbox_items(ask, RT_HEAD)
        )

    await eventually(
        lambda: _equals(rt_inbox(), wanted),
        timeout=timeout,
        message="the RT head's inbox never matched the decisions",
    )


async def inbox_items(ask: Gateways, headers: Mapping[str, str]) -> list[Any]:
    """Every item of an inbox, page by page."""
    items: list[Any] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = await ask.json("/v1/notifications/inbox", headers, params)
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


async def _equals(value: Any, expected: object) -> bool:
    return bool(await value == expected)


# ---------------------------------------------------------------- classification (fault suite)

VIEWS = ("verification", "analytics", "notification")
AWAITING = "awaiting_verification"  # an inbox item's kind
DIGEST = "digest"  # the daily digest's inbox item, about no one report


@dataclass
class Tally:
    """Every accepted report (and decision), classified in each view: present once, lost or
    duplicated. `lost` / `duplicated` count reports in verification's status view and the
    inboxes, and counted items (reports, approvals, rejections, verifications) in analytics."""

    accepted: int
    lost: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VIEWS, 0))
    duplicated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VIEWS, 0))
    problems: list[str] = field(default_factory=list)  # what was wrong, the first few

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def total_duplicated(self) -> int:
        return sum(self.duplicated.values())

    @property
    def clean(self) -> bool:
        return self.total_lost == 0 and self.total_duplicated == 0 and not self.problems

    def _note(self, view: str, kind: str, what: str, count: int = 1) -> None:
        (self.lost if kind == "lost" else self.duplicated)[view] += count
        if len(self.problems) < 20:
            self.problems.append(f"{view}: {kind} {what}")

    def _compare(self, view: str, what: str, seen: int, expected: int) -> None:
        if seen < expected:
            self._note(view, "lost", f"{expected - seen} of {expected} {what}", expected - seen)
        elif seen > expected:
            self._note(view, "duplicated", f"{seen - expected} {what} too many", seen - expected)


async def classify(gateways: Sequence[httpx.AsyncClient], outcome: Outcome) -> Tally:
    """Classify, once and without waiting, every accepted report and decision in each view."""
    ask = Gateways(gateways)
    tally = Tally(accepted=len(outcome.accepted))
    accepted = set(outcome.accepted)
    asking = asyncio.Semaphore(8)

    async def timeline(report_id: str) -> list[str] | None:
        async with asking:
            answer = await ask.get(f"/v1/reports/{report_id}", LURAH)
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, f"{report_id}: {answer.status_code} {answer.text}"
        return [entry["event"] for entry in answer.json()["timeline"]]

    # verification's status view: each report's timeline is what its clients were told
    timelines = await asyncio.gather(*(timeline(r) for r in outcome.accepted))
    for report_id, seen in zip(outcome.accepted, timelines, strict=True):
        expected = outcome.timeline(report_id)
        if seen is None:
            tally._note("verification", "lost", f"report {report_id}")
            continue
        missing = Counter(expected) - Counter(seen)
        extra = Counter(seen) - Counter(expected)
        if missing:
            tally._note("verification", "lost", f"{dict(missing)} of {report_id}")
        if extra:
            tally._note("verification", "duplicated", f"{dict(extra)} of {report_id}")
        if not missing and not extra and seen != expected:
            tally.problems.append(f"verification: {report_id} out of order: {seen}")

    # analytics: the reports counted, each tier's decisions, the verified reports
    summary = await ask.json("/v1/analytics/summary", LEADER)
    tally._compare("analytics", "reports", summary["total_reports"], len(accepted))
    tiers = (await ask.json("/v1/analytics/verification", LEADER))["tiers"]
    funnel = {row["tier"]: (row["approved"], row["rejected"]) for row in tiers}
    for tier in TIERS:
        approved, rejected = funnel.get(tier, (0, 0))
        tally._compare(
            "analytics", f"{tier} approvals", approved, outcome.decisions_at(tier, APPROVED)
        )
        tally._compare(
            "analytics", f"{tier} rejections", rejected, outcome.decisions_at(tier, REJECTED)
        )
    rows = (await ask.json("/v1/analytics/rt-performance", LEADER))["rows"]
    verified = sum(row["verified"] for row in rows)
    tally._compare("analytics", "verified reports", verified, len(outcome.ended_with(VERIFIED)))

    # notification: each office hears once of each report awaiting it, the RT head once of
    # each rejection and verification
    told = {REJECTED: "rejected", VERIFIED: "verified"}
    expected_items: Counter[tuple[str, str, str]] = Counter()
    for r in outcome.accepted:
        line = outcome.timeline(r)
        expected_items[("lurah", r, AWAITING)] += 1
        for tier, office in (("kelurahan", "camat"), ("kecamatan", "pemkot")):
            if outcome.decided_at(r, tier) == APPROVED:
                expected_items[(office, r, AWAITING)] += 1
        if line[-1] in told:
            expected_items[("ketua_rt", r, told[line[-1]])] += 1
    seen_items: Counter[tuple[str, str, str]] = Counter()
    for office, headers in OFFICES.items():
        for item in await inbox_items(ask, headers):
            if item["kind"] == DIGEST:
                continue  # the office's daily summary, whenever a run spans its hour
            seen_items[(office, item["report_id"], item["kind"])] += 1
    for key in expected_items.keys() | seen_items.keys():
        what = f"{key[0]} inbox item {key[2]} of {key[1]}"
        tally._compare("notification", what, seen_items[key], expected_items[key])
    return tally


async def settle(
    gateways: Sequence[httpx.AsyncClient],
    outcome: Outcome,
    *,
    timeout: float = 180,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
) -> Tally:
    """Classify until nothing is missing any more (the views have caught up) or `timeout`
    passes; returns the last classification. Duplicates never go away, so they are final."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            tally = await classify(gateways, outcome)
        except (AssertionError, httpx.HTTPError) as exc:  # a service still starting, say
            tally = Tally(accepted=len(outcome.accepted), problems=[f"not answering: {exc!r}"])
        if tally.clean or tally.total_duplicated or asyncio.get_running_loop().time() > deadline:
            return tally
        await asyncio.sleep(1)
