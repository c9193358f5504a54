"""The fault suite (in the style of RabbitMQ's Jepsen test): the four services under a steady
load of submissions and decisions while the broker, the processes and the network misbehave.

Every report the gateway accepted (202), and every decision it recorded (200), must end up in
verification's status view, analytics and the inboxes exactly once: zero lost, zero duplicated.
Each scenario writes its row of docs/reliability.md (see results.py, report.py). They run on a
RabbitMQ node of their own (broker_node.py), never on the shared broker.

SIPOKAT_CHAOS_SECONDS (default 15) is how long each scenario keeps up its faults.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import httpx
import pytest
from chaos.broker_node import BrokerNode
from chaos.load import Load
from chaos.proxy import LinkProxy
from chaos.results import chaos_seconds, record
from checker import SUBMITTED, Tally, settle

from harness import CONSUMERS, Platform
from sipokat.events.broker.consumer import (
    DEAD_LETTER_AT,
    DEAD_LETTER_ATTEMPTS,
    DEAD_LETTER_ERROR,
    DEAD_LETTER_REASON,
    DEAD_LETTER_ROUTING_KEY,
)
from sipokat.events.broker.topology import Topology, declare_exchange
from sipokat.events.testing import eventually, make_submitted
from sipokat.ops.deadletters import list_dead_letters, queue_depths

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.disruptive,
    pytest.mark.timeout(int(600 + 3 * chaos_seconds())),
]

# Which services' queues a routing key reaches (their bindings).
REACHES = {
    "report.submitted": {"verification", "analytics", "notification"},
    "report.approved.kelurahan": {"intake", "analytics", "notification"},
}


async def run_scenario(
    name: str,
    platform: Platform,
    broker: BrokerNode,
    disrupt: Callable[[Load], Awaitable[str]],
    *,
    gateway_url: str | None = None,
    dead_letters: Callable[[], int] = lambda: 0,
    after: Callable[[Load, Tally], Awaitable[Tally]] | None = None,
) -> Tally:
    """Load the platform, run `disrupt` (it returns what it did), let the load settle,
    classify every accepted report, record the row, and fail unless exactly once."""
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=gateway_url or platform.url(), timeout=30) as gateway:
        load = Load(gateway)
        load.start()
        try:
            await eventually(lambda: len(load.outcome.accepted) >= 10, timeout=90)
            faults = await disrupt(load)
        except BaseException:
            await asyncio.shield(_abandon(load))
            raise
        outcome = await load.finish()
        tally = await settle([gateway], outcome, timeout=120 if load.settled() else 20)
        if not load.settled():
            stuck = [r for r in outcome.accepted if outcome.timeline(r)[-1] == SUBMITTED]
            tally.problems.append(f"{len(stuck)} reports never reached a verifier's queue")
        if after is not None and tally.clean:
            try:
                tally = await after(load, tally)
            except AssertionError as exc:  # still recorded, as a failed row
                tally.problems.append(f"after the faults: {exc}")
    dead = await dead_lettered(broker.url, platform.prefix)
    record(
        name,
        tally,
        decisions=sum(len(d) for d in outcome.decided.values()),
        dead_lettered=dead,
        faults=faults,
        seconds=time.monotonic() - began,
        broker_version=broker.version(),
    )
    assert tally.clean, "\n".join(tally.problems)
    assert dead == dead_letters(), f"{dead} dead letters, {dead_letters()} expected"
    return tally


async def _abandon(load: Load) -> None:
    load._submitting.clear()
    for task in load._tasks:
        task.cancel()
    await asyncio.gather(*load._tasks, return_exceptions=True)


async def dead_lettered(url: str, prefix: str) -> int:
    depths = await queue_depths(url, Topology(prefix), CONSUMERS)
    return sum(
        found["messages"]
        for name, found in depths.items()
        if name.endswith(".dlq") and found is not None
    )


def until(seconds: float) -> Callable[[], bool]:
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() < deadline


async def grows(load: Load, by: int, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Wait until `by` more reports were accepted: the load goes on meanwhile."""
    target = len(load.outcome.accepted) + by
    await eventually(lambda: len(load.outcome.accepted) >= target, timeout=timeout)


# ---------------------------------------------------------------- broker restarts


async def test_broker_stopped_and_started_under_load(
    start_platform: Any, chaos_broker: BrokerNode
) -> None:
    platform = await start_platform()

    async def disrupt(load: Load) -> str:
        restarts = 0
        running = until(chaos_seconds())
        while running() or restarts < 2:
            await asyncio.to_thread(chaos_broker.stop_app)
            try:
                await grows(load, 10)  # intake keeps accepting while the broker is down
            finally:
                await asyncio.to_thread(chaos_broker.start_app)
            restarts += 1
            await grows(load, 10)
        return f"rabbitmqctl stop_app / start_app x{restarts}"

    await run_scenario("broker stop_app / start_app", platform, chaos_broker, disrupt)


# ---------------------------------------------------------------- killed consumers


async def test_each_consumer_killed_mid_stream_and_restarted(
    start_platform: Any, chaos_broker: BrokerNode
) -> None:
    platform = await start_platform()

    async def disrupt(load: Load) -> str:
        kills: Counter[str] = Counter()
        running = until(chaos_seconds())
        while running() or len(kills) < 4:
            for service in ("verification", "analytics", "notification", "intake"):
                if service in ("intake", "verification"):
                    # They answer requests (the gateway; decisions): drained first, killed
                    # right after a burst, while their relays and consumers are busy with it.
                    await asyncio.gather(*(load.submit() for _ in range(15)))
                    async with load.paused():
                        await asyncio.to_thread(platform.kill, service)
                        await asyncio.to_thread(platform.start, service)
                else:
                    await grows(load, 3)
                    await asyncio.to_thread(platform.kill, service)
                    await grows(load, 5)  # events pile up in its queue meanwhile
                    await asyncio.to_thread(platform.start, service)
                kills[service] += 1
                await grows(load, 5)
        return "kill -9, restart: " + ", ".join(f"{s} x{n}" for s, n in kills.items())

    await run_scenario("consumers killed (kill -9)", platform, chaos_broker, disrupt)


# ---------------------------------------------------------------- duplicate deliveries


@pytest.fixture
async def tap() -> AsyncIterator[Callable[[str, str], Awaitable[Tap]]]:
    opened: list[Tap] = []

    async def open_tap(url: str, prefix: str) -> Tap:
        opened.append(await Tap.open(url, prefix))
        return opened[-1]

    yield open_tap
    for each in opened:
        await each.close()


class Tap:
    """An outsider on the platform's exchange: a queue of its own bound to '#' (a copy of every
    event), and a channel to publish anything it likes there."""

    def __init__(self, connection: Any, channel: Any, exchange: Any, queue: Any) -> None:
        self.connection, self.channel, self.exchange, self.queue = (
            connection,
            channel,
            exchange,
            queue,
        )
        self.seen: list[aio_pika.abc.AbstractIncomingMessage] = []

    @classmethod
    async def open(cls, url: str, prefix: str) -> Tap:
        connection = await aio_pika.connect(url, timeout=10)
        channel = await connection.channel(publisher_confirms=True)
        topology = Topology(prefix)
        exchange = await declare_exchange(channel, topology)
        queue = await channel.declare_queue(f"{prefix}.tap", durable=True)
        await queue.bind(exchange, routing_key="#")
        return cls(connection, channel, exchange, queue)

    async def take(self) -> list[aio_pika.abc.AbstractIncomingMessage]:
        """The events published since the last call."""
        taken = []
        while (message := await self.queue.get(no_ack=True, fail=False)) is not None:
            taken.append(message)
        self.seen += taken
        return taken

    async def publish(
        self, body: bytes, routing_key: str, *, message_id: str, headers: dict[str, Any]
    ) -> None:
        await self.exchange.publish(
            aio_pika.Message(
                body=body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message_id,
                headers=headers,
            ),
            routing_key=routing_key,
        )

    async def republish(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        await self.publish(
            message.body,
            message.routing_key or "",
            message_id=message.message_id or "",
            headers=dict(message.headers or {}),
        )

    async def close(self) -> None:
        await self.connection.close()


async def test_duplicate_deliveries_injected_from_outside(
    start_platform: Any, chaos_broker: BrokerNode, tap: Any
) -> None:
    platform = await start_platform()
    outsider: Tap = await tap(chaos_broker.url, platform.prefix)
    rng = random.Random(9)

    async def disrupt(load: Load) -> str:
        copies = 0
        running = until(chaos_seconds())
        while running():
            # Each new event again, at once, 1-3 times; one in ten 10 times; and a sample of
            # older ones again, long after their originals were applied.
            for message in await outsider.take():
                times = 10 if rng.random() < 0.1 else rng.randint(1, 3)
                for _ in range(times):
                    await outsider.republish(message)
                copies += times
            for message in rng.sample(outsider.seen, min(10, len(outsider.seen))):
                await outsider.republish(message)
                copies += 1
            await asyncio.sleep(0.3)
        return f"{copies} copies of {len(outsider.seen)} events published again"

    await run_scenario("duplicate deliveries", platform, chaos_broker, disrupt)


# ---------------------------------------------------------------- poison messages


def poison(kind: str) -> tuple[bytes, str]:
    """A message no consumer can apply: (body, what its dead-letter error must say)."""
    if kind == "unparseable":
        return b'{"event_id": "not even json', "Invalid JSON"
    envelope = json.loads(make_submitted().to_json())
    if kind == "unknown_type":
        envelope["type"] = "ReportExploded"
        return json.dumps(envelope).encode(), "ReportExploded"
    envelope["stream_version"] = 0  # the envelope fails validation
    del envelope["data"]["content"]
    return json.dumps(envelope).encode(), "data.content"


async def test_poison_messages_are_dead_lettered_and_replayable(
    start_platform: Any, chaos_broker: BrokerNode, tap: Any
) -> None:
    platform = await start_platform()
    outsider: Tap = await tap(chaos_broker.url, platform.prefix)
    topology = Topology(platform.prefix)
    sent: dict[str, tuple[str, str, str]] = {}  # message id -> (kind, routing key, error)

    async def disrupt(load: Load) -> str:
        running = until(chaos_seconds())
        while running():
            for kind in ("unparseable", "unknown_type", "invalid"):
                for routing_key in REACHES:
                    body, error = poison(kind)
                    message_id = str(uuid.uuid4())
                    await outsider.publish(
                        body, routing_key, message_id=message_id, headers={"poison": kind}
                    )
                    sent[message_id] = (kind, routing_key, error)
            await asyncio.sleep(1)
        await outsider.take()
        return f"{len(sent)} poison messages (unparseable, unknown type, invalid envelope)"

    def expected(service: str) -> set[str]:
        return {m for m, (_, key, _) in sent.items() if service in REACHES[key]}

    async def check_dead_letters(replayed: int) -> None:
        for service in CONSUMERS:

            async def letters(service: str = service) -> list[Any]:
                found = await list_dead_letters(chaos_broker.url, topology, service, 1000)
                return found if {x.message_id for x in found} == expected(service) else []

            found = await eventually(letters, timeout=60, message=f"{service}'s dead letters")
            twice = [x for x in found if [y.message_id for y in found].count(x.message_id) > 1]
            assert not twice, f"{service}: dead-lettered twice: {[_brief(x) for x in twice]}"
            for letter in found:
                kind, routing_key, error = sent[str(letter.message_id)]
                assert letter.reason == "unparseable", letter
                assert error in letter.error, (kind, letter.error)
                assert letter.routing_key == routing_key
                assert letter.replayed == replayed

    async def replay(load: Load, tally: Tally) -> Tally:
        """Dead letters are listed with their reason; replayed (with the good events an outage
        left beside them), the good ones are applied once, the bad ones come back."""
        await check_dead_letters(replayed=0)
        events = [m for m in outsider.seen if m.message_id not in sent]  # not the poison
        good = events[:: max(1, len(events) // 10)]
        dlx = await outsider.channel.get_exchange(topology.dead_letter_exchange)
        consumed_before = {s: consumed(platform, s) for s in CONSUMERS}
        for service in CONSUMERS:
            for message in good:
                if not _reaches(platform, service, message.routing_key or ""):
                    continue
                headers = dict(message.headers or {}) | {
                    DEAD_LETTER_REASON: "handler_failed",
                    DEAD_LETTER_ERROR: "StoreUnavailable: database is locked",
                    DEAD_LETTER_ATTEMPTS: 4,
                    DEAD_LETTER_ROUTING_KEY: message.routing_key or "",
                    DEAD_LETTER_AT: "2026-01-01T00:00:00+00:00",
                }
                await dlx.publish(
                    aio_pika.Message(
                        body=message.body,
                        message_id=message.message_id,
                        headers=headers,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=topology.dead_letter_queue(service),
                )
        for service in CONSUMERS:
            await asyncio.to_thread(sipokat_cli, platform, "dlq", "replay", service)
        await check_dead_letters(replayed=1)
        for service in CONSUMERS:
            await eventually(
                lambda s=service: consumed(platform, s) > consumed_before[s], timeout=60
            )
        return await settle(list(_gateways(load)), load.outcome)

    await run_scenario(
        "poison messages (+ dlq replay)",
        platform,
        chaos_broker,
        disrupt,
        dead_letters=lambda: sum(len(expected(s)) for s in CONSUMERS),
        after=replay,
    )


def _brief(letter: Any) -> str:
    return (
        f"{letter.message_id} {letter.reason} replayed={letter.replayed} "
        f"at={letter.dead_lettered_at} error={letter.error[:80]!r}"
    )


def consumed(platform: Platform, service: str) -> float:
    return platform.metric(service, "sipokat_events_consumed_total", outcome="consumed")


def _reaches(platform: Platform, service: str, routing_key: str) -> bool:
    if service in ("analytics", "notification"):
        return True
    if service == "verification":
        return routing_key in ("report.submitted", "report.revised")
    return routing_key.startswith(("report.approved", "report.rejected", "report.verified"))


def _gateways(load: Load) -> list[httpx.AsyncClient]:
    return [load.gateway]


def sipokat_cli(platform: Platform, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sipokat.ops.cli", *args],
        env=platform.env("intake"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---------------------------------------------------------------- the link cut and delayed


async def test_link_to_the_broker_delayed_stalled_and_cut(
    start_platform: Any, chaos_broker: BrokerNode
) -> None:
    proxy = await LinkProxy.start("127.0.0.1", chaos_broker.port)
    try:
        platform = await start_platform(proxy.url())

        async def disrupt(load: Load) -> str:
            stall = min(30.0, max(12.0, chaos_seconds() / 2))
            rounds = 0
            running = until(chaos_seconds())
            while running() or rounds < 1:
                proxy.latency = 0.05
                await grows(load, 10)
                proxy.cut()
                await grows(load, 5)
                proxy.latency = 0.0
                # Past the relays' publish timeout (10 s); in a soak past two heartbeats too,
                # when both ends give the link up.
                proxy.stall()
                await asyncio.sleep(stall)
                proxy.resume()
                await grows(load, 5)
                proxy.cut()
                await grows(load, 5)
                rounds += 1
            return (
                f"proxy for every service: 50 ms latency, cut x{proxy.cuts}, "
                f"stalled {stall:.0f} s x{rounds}; {proxy.connections} connections made"
            )

        await run_scenario("link delayed, stalled and cut", platform, chaos_broker, disrupt)
    finally:
        await proxy.close()
