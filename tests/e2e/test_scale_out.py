"""Two replicas of every service on one broker and one store per service, under steady load.

RT heads submit and verifiers decide through both gateways; a lurah's live stream on the
standby notification replica gets the items the active one applied. Midway, the replica of
each service that is the queue's single active consumer (and, for intake and verification, the
relay's lease holder) is killed with SIGKILL; the standby, which consumed and published nothing
until then, must take over its consumer and its relay. At the end every accepted report is
present exactly once in verification, analytics and the inboxes, each decision counted once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from checker import (
    REJECTED,
    TIERS,
    VERIFIED,
    Outcome,
    check_exactly_once,
    scripted_decision,
)

from harness import (
    CONSUMERS,
    KELURAHAN,
    RT,
    SERVICES,
    Platform,
    auth,
    instance,
    report_body,
    running_platform,
    service_of,
    sse,
)
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PUBLISHERS = ("intake", "verification")  # the services with an event store and a relay
CONSUMED = "sipokat_events_consumed_total"
PUBLISHED = "sipokat_events_published_total"
HTTP_REQUESTS = "sipokat_http_requests_total"

RT_HEAD = auth("ketua_rt", RT)
VERIFIERS = {
    "kelurahan": auth("lurah", KELURAHAN),
    "kecamatan": auth("camat", "16.73.02"),
    "kota": auth("pemkot", "16.73"),
}
REPORTS_AFTER_TAKEOVER = 10
RELAY_LEASE_SECONDS = 5


@pytest.fixture
async def platform(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    # A standby relay takes over within 5 s of its leader's death, not the default 10.
    settings = {"SIPOKAT_RELAY_LEASE_SECONDS": str(RELAY_LEASE_SECONDS)}
    async with running_platform(
        rabbitmq_url, tmp_path, start=standbys_behind, replicas=2, settings=settings
    ) as running:
        yield running


def standbys_behind(running: Platform) -> None:
    """The first replicas start, and are ready, first: they take the relay leases and become the
    queues' active consumers. The second ones start behind them, as standbys; the test waits for
    them while the load already runs."""
    running.start(*running.instances(0))
    for name in running.instances(1):
        running.spawn(name)


class Rotation:
    """The gateways a load balancer sends requests to, in turn. A gateway is taken out of the
    rotation (drained, as a failing readiness probe would) before its replica is killed, so the
    clients never lose an answer: what is killed mid-work is the consumers and relays."""

    def __init__(self, gateways: list[httpx.AsyncClient]) -> None:
        self.gateways = gateways
        self.out: set[int] = set()
        self.in_flight = [0] * len(gateways)
        self.sent = [0] * len(gateways)
        self._turn = 0

    async def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """A request through the next gateway; on 429, wait as long as Retry-After says."""
        while True:
            live = [i for i in range(len(self.gateways)) if i not in self.out]
            chosen = live[self._turn % len(live)]
            self._turn += 1
            self.in_flight[chosen] += 1
            self.sent[chosen] += 1
            try:
                answer = await self.gateways[chosen].request(method, path, **options)
            finally:
                self.in_flight[chosen] -= 1
            if answer.status_code != 429:
                return answer
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))

    async def drain(self, index: int) -> None:
        self.out.add(index)
        await eventually(lambda: self.in_flight[index] == 0, timeout=30)


async def submit_steadily(rotation: Rotation, outcome: Outcome, stop: asyncio.Event) -> None:
    while not stop.is_set():
        title = f"Laporan {len(outcome.accepted)}"
        answer = await rotation.request(
            "POST", "/v1/reports", json=report_body(title), headers=RT_HEAD
        )
        assert answer.status_code == 202, answer.text
        outcome.accepted.append(answer.json()["report_id"])
        await asyncio.sleep(0.15)


def settled(outcome: Outcome) -> bool:
    """Every accepted report has had its last decision: verified, or rejected by the lurah."""
    return all(outcome.timeline(r)[-1] in (VERIFIED, REJECTED) for r in outcome.accepted)


async def verify_steadily(
    rotation: Rotation, outcome: Outcome, tier: str, submitted_all: asyncio.Event
) -> None:
    """Work through the tier's queue: the lurah sends back every fifth report, the rest pass."""
    headers = VERIFIERS[tier]
    while not (submitted_all.is_set() and settled(outcome)):
        answer = await rotation.request(
            "GET", "/v1/verification/queue", headers=headers, params={"limit": 100}
        )
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        for item in items:
            await decide(rotation, outcome, tier, item)
        if not items:
            await asyncio.sleep(0.1)


async def decide(rotation: Rotation, outcome: Outcome, tier: str, item: dict[str, Any]) -> None:
    body, recorded = scripted_decision(tier, item)
    report_id = item["report_id"]
    answer = await rotation.request(
        "POST", f"/v1/reports/{report_id}/decisions", json=body, headers=VERIFIERS[tier]
    )
    # One verifier per tier, each acting on what its queue shows: nobody decides before it.
    assert answer.status_code == 200, answer.text
    outcome.decided.setdefault(report_id, []).extend(recorded)


async def watch_steadily(rotation: Rotation, stop: asyncio.Event) -> None:
    """The city's dashboard and the lurah's app, refreshing now and then."""
    while not stop.is_set():
        for path, headers in (
            ("/v1/analytics/summary", VERIFIERS["kota"]),
            ("/v1/notifications/inbox/unread", VERIFIERS["kelurahan"]),
        ):
            answer = await rotation.request("GET", path, headers=headers)
            assert answer.status_code == 200, answer.text
        await asyncio.sleep(0.2)


async def counters(platform: Platform, name: str) -> dict[str, float]:
    """What an instance has consumed, published and answered so far, from its /metrics."""
    service = name.split("-")[0]

    def read() -> dict[str, float]:
        requests = platform.samples(name, HTTP_REQUESTS)
        return {
            "consumed": platform.metric(name, CONSUMED, service=service, outcome="consumed"),
            "published": platform.metric(name, PUBLISHED, service=service),
            # the API's requests, not the health probes
            "requests": sum(n for labels, n in requests if labels["route"].startswith("/v1/")),
        }

    return await asyncio.to_thread(read)


async def working(platform: Platform, replica: int) -> dict[str, dict[str, float]] | None:
    """The replica's counters, once it consumes for every service and publishes for both
    publishers; None before."""
    seen = {s: await counters(platform, instance(s, replica)) for s in CONSUMERS}
    consuming = all(seen[s]["consumed"] > 0 for s in CONSUMERS)
    publishing = all(seen[s]["published"] > 0 for s in PUBLISHERS)
    return seen if consuming and publishing else None


async def answering(platform: Platform) -> bool:
    """Whether every replica of every service the load reaches has answered API requests (the
    load reports and decides; it signs no one in, so identity is not among them)."""
    for name in platform.instances():
        if service_of(name)[0] in CONSUMERS and (await counters(platform, name))["requests"] == 0:
            return False
    return True


def skip_if_the_broker_was_restarted(platform: Platform) -> None:
    """A broker shut down meanwhile (by another test on a shared broker) let the replicas
    reconnect in any order: which one is active is then no longer known."""
    for name in platform.instances():
        log = (platform.data_dir / f"{name}.log").read_text(errors="replace")
        if "CONNECTION_FORCED" in log and "reason 'shutdown'" in log:
            pytest.skip(f"the broker was shut down under {name}: the active replicas moved")


async def test_two_replicas_of_each_service_take_over_and_count_every_report_once(
    platform: Platform,
) -> None:
    outcome = Outcome()
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as clients:
        gateways = [
            await clients.enter_async_context(
                httpx.AsyncClient(base_url=platform.url("intake", r), timeout=15)
            )
            for r in range(2)
        ]
        rotation = Rotation(gateways)
        rotation.out.add(1)  # until the second gateway is ready
        load = [
            asyncio.create_task(submit_steadily(rotation, outcome, stop)),
            asyncio.create_task(watch_steadily(rotation, stop)),
        ]
        load += [
            asyncio.create_task(verify_steadily(rotation, outcome, tier, stop)) for tier in TIERS
        ]
        try:
            for name in platform.instances(1):
                await asyncio.to_thread(platform.wait_until_ready, name)
            rotation.out.clear()
            # Requests reach both replicas; only the first ones consume and publish.
            await eventually(lambda: working(platform, 0), timeout=40)
            await eventually(
                lambda: answering(platform), timeout=20, message="a replica got no requests"
            )
            for service in SERVICES:
                standby = await counters(platform, instance(service, 1))
                if standby["consumed"] or standby["published"]:
                    skip_if_the_broker_was_restarted(platform)
                assert standby["consumed"] == 0, f"{service}: a standby consumed"
                assert standby["published"] == 0, f"{service}: a standby relay published"
            # A lurah's app on the standby notification replica still gets live items: the
            # consuming replica shares them with every replica.
            stream = platform.url("intake", 1) + "/v1/notifications/stream"
            async with sse(stream, VERIFIERS["kelurahan"]) as live:
                await eventually(
                    lambda: any(e.get("event") == "notification" for e in live),
                    timeout=20,
                    message="no live item on the standby replica's stream",
                )

            await rotation.drain(0)
            await asyncio.gather(
                *(asyncio.to_thread(platform.kill, name) for name in platform.instances(0))
            )
            # The standbys take over the queues at once and the relays once the lease expires.
            await eventually(lambda: working(platform, 1), timeout=40)
            target = len(outcome.accepted) + REPORTS_AFTER_TAKEOVER
            await eventually(lambda: len(outcome.accepted) >= target, timeout=30)
        finally:
            stop.set()
            done, _ = await asyncio.wait(load, timeout=60)
            for task in load:
                task.cancel()
        for task in done:
            task.result()  # a failed client fails the test
        assert settled(outcome), "the verifiers stopped before every report was decided"

        await check_exactly_once(gateways[1:], outcome)  # the first replicas are dead
