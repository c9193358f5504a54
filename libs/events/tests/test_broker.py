"""The RabbitMQ backbone against a real broker: relay, consumer, dead letters, event log.

Every test runs in its own `test-<hex>.*` topology (the `topology` fixture), deleted afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from uuid import UUID, uuid4

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from sipokat.events import Envelope, ReportSubmitted, payloads
from sipokat.events.broker.consumer import (
    DEAD_LETTER_AT,
    DEAD_LETTER_ATTEMPTS,
    DEAD_LETTER_ERROR,
    DEAD_LETTER_REASON,
    DEAD_LETTER_ROUTING_KEY,
    Consumer,
    RetryPolicy,
)
from sipokat.events.broker.eventlog import LogEntry, read_event_log
from sipokat.events.broker.relay import CHECKPOINT, LeaseLost, Relay
from sipokat.events.broker.topology import declare_exchange, declare_service_queue
from sipokat.events.setaside import SetAside
from sipokat.events.store import Database, SetAsideEvent, ViewTransaction
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import (
    RabbitBroker,
    TrackedTopology,
    eventually,
    make_approved,
    make_overdue,
    make_stream,
    make_submitted,
    running,
    sample_events,
)

pytestmark = pytest.mark.broker

FAST_RETRY = RetryPolicy(attempts=3, first_backoff=0.01, max_backoff=0.05)


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
async def consumer_db(tmp_path: Path) -> AsyncIterator[Database]:
    """The consuming service's own database (the producer's is `sqlite_database`)."""
    db = await SqliteDatabase.open(tmp_path / "consumer.db")
    yield db
    await db.close()


async def probe_queue(
    channel: AbstractChannel, topology: TrackedTopology, bindings: Sequence[str] = ("report.#",)
) -> AbstractQueue:
    """An integrator's queue on the exchange (exclusive: gone with the test's connection)."""
    exchange = await declare_exchange(channel, topology)
    queue = await channel.declare_queue(
        topology.test_queue(f"probe-{uuid4().hex[:6]}"), exclusive=True
    )
    for key in bindings:
        await queue.bind(exchange, routing_key=key)
    return queue


async def drain(queue: AbstractQueue) -> list[AbstractIncomingMessage]:
    """Every message in the queue right now."""
    messages = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        messages.append(message)
    return messages


async def receive(
    queue: AbstractQueue, count: int, within: float = 30
) -> list[AbstractIncomingMessage]:
    """Wait until `count` messages came, then return them and whatever else is there already."""
    got: list[AbstractIncomingMessage] = []

    async def enough() -> bool:
        got.extend(await drain(queue))
        return len(got) >= count

    await eventually(enough, timeout=within, message=lambda: f"{len(got)} of {count} messages")
    got.extend(await drain(queue))
    return got


async def relayed_everything(relay: Relay, store: Database) -> bool:
    return relay.position == await store.events.last_position() > 0


async def append_each(
    store: Database, events: Sequence[Envelope], relay: Relay | None = None
) -> None:
    for event in events:
        await store.events.append([event])
    if relay is not None:
        relay.notify()


async def consumer_ready(consumer: Consumer) -> bool:
    """Connected, with its queue declared and bound: messages published now reach it."""
    return await consumer.lag() is not None


async def lag_is_zero(consumer: Consumer) -> bool:
    return await consumer.lag() == 0


def counting_handler(views: Database, seen: list[Envelope] | None = None):  # type: ignore[no-untyped-def]
    """A projection: counts every event once (apply_once), recording the order it saw them in."""

    async def handle(envelope: Envelope) -> None:
        async def effect(tx: ViewTransaction) -> None:
            await tx.increment("seen", str(envelope.event_id), {"n": 1})
            await tx.increment("totals", "all", {"n": 1})

        if await views.views.apply_once(envelope.event_id, effect) and seen is not None:
            seen.append(envelope)

    return handle


# ---------------------------------------------------------------- relay


async def test_relay_publishes_stored_events_in_order(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    queue = await probe_queue(channel, topology)
    events = sample_events() + make_stream(3)
    await append_each(sqlite_database, events)
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))

    messages = await receive(queue, len(events))
    assert [m.message_id for m in messages] == [str(e.event_id) for e in events]
    for message, event in zip(messages, events, strict=True):
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.content_type == "application/json"
        assert message.routing_key == event.routing_key
        assert message.exchange == topology.exchange
        assert message.correlation_id == event.correlation_id
        assert message.type == event.type
        assert message.app_id == event.source
        assert (message.headers or {})["stream_id"] == event.stream_id
        assert (message.headers or {})["schema_version"] == event.schema_version
        assert message.body == event.to_json()
        assert Envelope.model_validate_json(message.body) == event
    assert await sqlite_database.events.load_checkpoint(CHECKPOINT) == relay.position
    assert await relay.lag() == 0


async def test_relay_skips_events_another_service_published(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    queue = await probe_queue(channel, topology)
    theirs, ours, theirs_later, ours_later, theirs_last = make_stream(5)
    await sqlite_database.events.append([theirs], publish=False)
    await sqlite_database.events.append([ours])
    await sqlite_database.events.append([theirs_later], publish=False)
    await sqlite_database.events.append([ours_later])
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(relay):
        # the last stored event is ours, so "relayed everything" means the relay passed it
        await eventually(lambda: relayed_everything(relay, sqlite_database))
        messages = await receive(queue, 2)
        # Recorded after the relay's last event, never to be published: no lag.
        await sqlite_database.events.append([theirs_last], publish=False)
        assert await relay.lag() == 0
    assert [m.message_id for m in messages] == [str(ours.event_id), str(ours_later.event_id)]


async def test_two_relays_on_one_store_publish_each_event_once(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    queue = await probe_queue(channel, topology)
    first, second = make_stream(20), make_stream(20)
    await append_each(sqlite_database, first)
    replicas = [
        Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.05, lease_ttl=0.5)
        for _ in range(2)
    ]
    leader_stop = asyncio.Event()
    leader = asyncio.create_task(replicas[0].run(leader_stop))
    await eventually(lambda: replicas[0].leading)
    async with running(replicas[1]):
        await eventually(lambda: relayed_everything(replicas[0], sqlite_database))
        await eventually(lambda: replicas[1].link.connected.is_set())
        assert not replicas[1].leading  # standing by while the lease is held
        leader_stop.set()
        await leader
        # The leader is gone: once its lease expires the other replica takes over.
        await append_each(sqlite_database, second, replicas[1])
        await eventually(lambda: relayed_everything(replicas[1], sqlite_database))
        messages = await receive(queue, 40)
    assert [m.message_id for m in messages] == [str(e.event_id) for e in first + second]


async def test_a_relay_that_lost_its_lease_leaves_the_checkpoint_to_the_new_holder(
    rabbitmq_url: str, topology: TrackedTopology, sqlite_database: Database
) -> None:
    # A relay paused past its lease (a long GC, a stalled broker) finds another replica has
    # taken over and published further: its late confirms must not move the checkpoint back.
    await append_each(sqlite_database, make_stream(3))
    records = await sqlite_database.events.read_from(0, 10)
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, lease_ttl=0.2)
    assert await relay._lead()
    await relay._settle(records[:1], [None])
    assert await sqlite_database.events.load_checkpoint(CHECKPOINT) == records[0].position
    await asyncio.sleep(0.3)
    assert await sqlite_database.events.hold_lease(CHECKPOINT, "replica-b", 30)
    assert await sqlite_database.events.advance_checkpoint(
        CHECKPOINT, records[2].position, holder="replica-b"
    )
    with pytest.raises(LeaseLost):
        await relay._settle(records[:2], [None, None])
    assert not relay.leading
    assert await sqlite_database.events.load_checkpoint(CHECKPOINT) == records[2].position


async def test_binding_selects_by_routing_key(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    # An integrator who only wants kelurahan approvals and every rejection.
    queue = await probe_queue(channel, topology, ["report.approved.kelurahan", "report.rejected.*"])
    events = sample_events()
    await append_each(sqlite_database, events)
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))
    wanted = [
        e
        for e in events
        if e.routing_key in ("report.approved.kelurahan", "report.rejected.kelurahan")
    ]
    assert len(wanted) == 2
    messages = await receive(queue, len(wanted))
    assert [m.routing_key for m in messages] == [e.routing_key for e in wanted]


async def test_restarted_relay_does_not_republish_confirmed_events(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    queue = await probe_queue(channel, topology)
    first = make_stream(5)
    await append_each(sqlite_database, first)
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))
    assert await sqlite_database.events.load_checkpoint(CHECKPOINT) == 5

    later = make_stream(4)
    await append_each(sqlite_database, later)
    restarted = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(restarted):
        await eventually(lambda: relayed_everything(restarted, sqlite_database))

    messages = await receive(queue, len(first) + len(later))
    assert [m.message_id for m in messages] == [str(e.event_id) for e in first + later]
    assert await sqlite_database.events.load_checkpoint(CHECKPOINT) == 9


async def test_events_stored_while_the_broker_is_unreachable_are_published_later(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    queue = await probe_queue(channel, topology)
    # Nothing listens on port 1: the relay cannot connect, yet appends go on.
    offline = Relay(
        sqlite_database.events, "amqp://guest:guest@127.0.0.1:1/", topology, poll_interval=0.1
    )
    events = make_stream(6)
    async with running(offline):
        await append_each(sqlite_database, events[:3], offline)
        await eventually(lambda: offline.link.reconnects >= 2)
        await append_each(sqlite_database, events[3:], offline)
        assert not offline.link.connected.is_set()
        assert await offline.lag() == 6
    assert await sqlite_database.events.load_checkpoint(CHECKPOINT) == 0
    assert await drain(queue) == []

    # A service restarted while the broker is still away knows how far its relay got.
    await sqlite_database.events.save_checkpoint(CHECKPOINT, 2)
    restarted_offline = Relay(
        sqlite_database.events, "amqp://guest:guest@127.0.0.1:1/", topology, poll_interval=0.1
    )
    assert await restarted_offline.lag() == 4
    await sqlite_database.events.save_checkpoint(CHECKPOINT, 0)

    # The broker is "back": the relay of the restarted service publishes everything, in order.
    online = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(online):
        await eventually(lambda: relayed_everything(online, sqlite_database))
    messages = await receive(queue, len(events))
    assert [m.message_id for m in messages] == [str(e.event_id) for e in events]


async def test_relay_that_loses_its_broker_url_recovers_in_place(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    # The same running relay: unreachable first, then reachable (its link retries with backoff).
    queue = await probe_queue(channel, topology)
    relay = Relay(
        sqlite_database.events, "amqp://guest:guest@127.0.0.1:1/", topology, poll_interval=0.1
    )
    events = make_stream(4)
    async with running(relay):
        await append_each(sqlite_database, events, relay)
        await eventually(lambda: relay.link.reconnects >= 1)
        relay.link.url = rabbitmq_url
        await eventually(lambda: relayed_everything(relay, sqlite_database))
    messages = await receive(queue, len(events))
    assert [m.message_id for m in messages] == [str(e.event_id) for e in events]


async def test_notify_wakes_an_idle_relay(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    channel: AbstractChannel,
) -> None:
    queue = await probe_queue(channel, topology)
    # A poll interval far beyond the test's patience: only notify() can get these out in time.
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=600)
    async with running(relay):
        await eventually(lambda: relay.link.connected.is_set())
        for round_ in range(5):
            event = make_submitted()
            await append_each(sqlite_database, [event], relay)
            [message] = await receive(queue, 1, within=30)
            assert message.message_id == str(event.event_id), round_


async def test_relay_reports_published_counts(
    rabbitmq_url: str, topology: TrackedTopology, sqlite_database: Database
) -> None:
    counts: list[int] = []
    relay = Relay(
        sqlite_database.events,
        rabbitmq_url,
        topology,
        batch_size=4,
        poll_interval=0.1,
        on_published=counts.append,
    )
    await append_each(sqlite_database, make_stream(10))
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))
    assert sum(counts) == 10
    assert max(counts) <= 4


# ---------------------------------------------------------------- consumer


async def test_consumer_stores_the_effect_then_acks(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    consumer_db: Database,
    channel: AbstractChannel,
) -> None:
    seen: list[Envelope] = []
    outcomes: list[str] = []
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    consumer = Consumer(
        rabbitmq_url,
        topology,
        "views",
        ["report.#"],
        counting_handler(consumer_db, seen),
        on_outcome=outcomes.append,
    )
    events = sample_events()
    async with running(relay, consumer):
        await eventually(lambda: consumer_ready(consumer))
        await append_each(sqlite_database, events, relay)
        await eventually(lambda: len(seen) == len(events))
        await eventually(lambda: consumer.stats.consumed == len(events))
        await eventually(lambda: lag_is_zero(consumer))
    assert await consumer.lag() is None  # disconnected

    assert [e.event_id for e in seen] == [e.event_id for e in events]
    assert await consumer_db.views.get("totals", "all") == {"n": len(events)}
    assert outcomes == ["consumed"] * len(events)
    # Stopped, the consumer's unacked messages would be back in the queue: there are none.
    queue = await channel.declare_queue(topology.service_queue("views"), passive=True)
    assert queue.declaration_result.message_count == 0
    assert queue.declaration_result.consumer_count == 0
    dlq = await channel.declare_queue(topology.dead_letter_queue("views"), passive=True)
    assert dlq.declaration_result.message_count == 0


async def test_a_backlog_is_acked_a_batch_at_a_time_and_none_is_left_unacked(
    rabbitmq_url: str,
    topology: TrackedTopology,
    consumer_db: Database,
    channel: AbstractChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acks: list[bool] = []
    original_ack = aio_pika.IncomingMessage.ack

    async def counted_ack(self: aio_pika.IncomingMessage, multiple: bool = False) -> None:
        acks.append(multiple)
        await original_ack(self, multiple=multiple)

    monkeypatch.setattr(aio_pika.IncomingMessage, "ack", counted_ack)
    await declare_service_queue(channel, topology, "backlog", ["report.#"])
    exchange = await declare_exchange(channel, topology)
    events = [make_submitted() for _ in range(200)]
    for event in events:
        await exchange.publish(
            aio_pika.Message(event.to_json(), message_id=str(event.event_id)),
            routing_key=event.routing_key,
        )
    count = counting_handler(consumer_db)

    async def slow_handler(envelope: Envelope) -> None:
        await asyncio.sleep(0.002)  # slower than the broker delivers: the buffer stays full
        await count(envelope)

    consumer = Consumer(rabbitmq_url, topology, "backlog", ["report.#"], slow_handler)
    async with running(consumer):
        await eventually(lambda: consumer.stats.consumed == len(events))
        await eventually(lambda: lag_is_zero(consumer))

    assert await consumer_db.views.get("totals", "all") == {"n": len(events)}
    assert all(acks) and len(acks) <= len(events) // 8  # about one ack per 16 handled, ...
    queue = await channel.declare_queue(topology.service_queue("backlog"), passive=True)
    assert queue.declaration_result.message_count == 0  # ... and none left unacked at the end


async def test_a_backlog_goes_to_the_batch_handler_and_bad_messages_go_one_by_one(
    rabbitmq_url: str,
    topology: TrackedTopology,
    consumer_db: Database,
    channel: AbstractChannel,
) -> None:
    await declare_service_queue(channel, topology, "batched", ["report.#"])
    exchange = await declare_exchange(channel, topology)
    events = [make_submitted() for _ in range(150)]
    poison = events[40]
    bodies = [e.to_json() for e in events]
    bodies.insert(100, b"not json at all")
    for body in bodies:  # all waiting before the consumer starts: the buffer fills at once
        await exchange.publish(aio_pika.Message(body), routing_key="report.submitted")

    handled: list[UUID] = []  # committed effects, in order
    batch_sizes: list[int] = []

    async def effect_for(envelopes: Sequence[Envelope]):  # type: ignore[no-untyped-def]
        async def effect(tx: ViewTransaction, new: frozenset[UUID]) -> None:
            if any(e.event_id == poison.event_id for e in envelopes):
                raise RuntimeError("kelurahan not in directory")
            await tx.increment("totals", "all", {"n": len(new)})

        await consumer_db.views.apply_each_once([e.event_id for e in envelopes], effect)
        handled.extend(e.event_id for e in envelopes)

    async def batch_handler(envelopes: Sequence[Envelope]) -> None:
        batch_sizes.append(len(envelopes))
        await effect_for(envelopes)

    async def handler(envelope: Envelope) -> None:
        await effect_for([envelope])

    reported: list[UUID] = []  # what `on_handled` was told, batches and single ones alike
    consumer = Consumer(
        rabbitmq_url,
        topology,
        "batched",
        ["report.#"],
        handler,
        batch_handler=batch_handler,
        retry=FAST_RETRY,
        on_handled=lambda envelopes: reported.extend(e.event_id for e in envelopes),
    )
    async with running(consumer):
        await eventually(lambda: consumer.stats.consumed == len(events) - 1)
        await eventually(lambda: lag_is_zero(consumer))

    assert consumer.link.reconnects == 0  # taking the buffer's messages did not end the session
    good = [e.event_id for e in events if e is not poison]
    assert handled == good  # each once, in the order published
    assert reported == good  # the dead-lettered two are not reported handled
    assert await consumer_db.views.get("totals", "all") == {"n": len(good)}
    assert max(batch_sizes) > 1 and sum(batch_sizes) < len(bodies) + 32
    assert consumer.stats.dead_lettered == {"handler_failed": 1, "unparseable": 1}
    dlq = await channel.declare_queue(topology.dead_letter_queue("batched"), passive=True)
    assert dlq.declaration_result.message_count == 2


async def test_failing_handler_is_retried_then_dead_lettered(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    consumer_db: Database,
    channel: AbstractChannel,
) -> None:
    poison = make_submitted()
    good = [make_submitted() for _ in range(3)]
    attempts: dict[UUID, int] = {}
    count = counting_handler(consumer_db)

    async def handler(envelope: Envelope) -> None:
        attempts[envelope.event_id] = attempts.get(envelope.event_id, 0) + 1
        if envelope.event_id == poison.event_id:
            raise RuntimeError("kelurahan 16.73.02.1019 not in directory")
        await count(envelope)

    outcomes: list[str] = []
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    consumer = Consumer(
        rabbitmq_url,
        topology,
        "fragile",
        ["report.#"],
        handler,
        retry=FAST_RETRY,
        on_outcome=outcomes.append,
    )
    async with running(relay, consumer):
        await eventually(lambda: consumer_ready(consumer))
        await append_each(sqlite_database, [good[0], poison, *good[1:]], relay)
        await eventually(lambda: consumer.stats.consumed == len(good))
        dlq = await channel.declare_queue(topology.dead_letter_queue("fragile"), passive=True)
        [dead] = await receive(dlq, 1)
        # it keeps consuming after a dead letter
        late = make_submitted()
        await append_each(sqlite_database, [late], relay)
        await eventually(lambda: consumer.stats.consumed == len(good) + 1)

    assert attempts[poison.event_id] == FAST_RETRY.attempts
    assert all(attempts[e.event_id] == 1 for e in [*good, late])
    assert consumer.stats.retried == FAST_RETRY.attempts - 1
    assert consumer.stats.dead_lettered == {"handler_failed": 1}
    assert outcomes.count("dead_lettered_handler_failed") == 1
    assert await consumer_db.views.get("totals", "all") == {"n": len(good) + 1}
    assert not await consumer_db.views.is_applied(poison.event_id)

    headers = dead.headers or {}
    assert headers[DEAD_LETTER_REASON] == "handler_failed"
    assert "RuntimeError: kelurahan 16.73.02.1019 not in directory" in str(
        headers[DEAD_LETTER_ERROR]
    )
    assert headers[DEAD_LETTER_ATTEMPTS] == FAST_RETRY.attempts
    assert headers[DEAD_LETTER_ROUTING_KEY] == "report.submitted"
    assert headers[DEAD_LETTER_AT]
    assert headers["stream_id"] == poison.stream_id  # the original headers are kept
    assert dead.message_id == str(poison.event_id)
    assert dead.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert Envelope.model_validate_json(dead.body) == poison
    queue = await channel.declare_queue(topology.service_queue("fragile"), passive=True)
    assert queue.declaration_result.message_count == 0


async def test_a_handler_failure_is_set_aside_in_the_store_and_the_consumer_goes_on(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    consumer_db: Database,
    channel: AbstractChannel,
) -> None:
    poison = make_submitted()
    good = [make_submitted() for _ in range(3)]
    count = counting_handler(consumer_db)
    broken = True

    async def handler(envelope: Envelope) -> None:
        if broken and envelope.event_id == poison.event_id:
            raise OverflowError("Integer exceeds 64-bit range")
        await count(envelope)

    set_aside = SetAside(consumer_db.views)
    outcomes: list[str] = []
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    consumer = Consumer(
        rabbitmq_url,
        topology,
        "keeper",
        ["report.#"],
        handler,
        retry=FAST_RETRY,
        on_outcome=outcomes.append,
        set_aside=lambda envelope, exc: set_aside.keep_envelope("keeper", envelope, exc),
    )
    async with running(relay, consumer):
        await eventually(lambda: consumer_ready(consumer))
        await append_each(sqlite_database, [good[0], poison, *good[1:]], relay)
        await eventually(lambda: consumer.stats.consumed == len(good) and consumer.stats.set_aside)

    assert consumer.stats.set_aside == 1 and consumer.stats.dead_lettered == {}
    assert outcomes.count("set_aside") == 1
    [kept] = await consumer_db.views.set_aside_events("keeper")
    assert kept.key == str(poison.event_id)
    assert kept.reason == "OverflowError: Integer exceeds 64-bit range"
    assert kept.routing_key == "report.submitted" and kept.stream_id == poison.stream_id
    assert Envelope.from_json(kept.body) == poison
    dlq = await channel.declare_queue(topology.dead_letter_queue("keeper"), passive=True)
    assert dlq.declaration_result.message_count == 0
    queue = await channel.declare_queue(topology.service_queue("keeper"), passive=True)
    assert queue.declaration_result.message_count == 0

    # Still broken: it stays, counted again; once fixed, the retry applies it and lets it go.
    async def apply(event: SetAsideEvent) -> None:
        await handler(Envelope.from_json(event.body))

    outcome = await set_aside.retry({"keeper": apply})
    assert [e.key for e in outcome.still_set_aside] == [kept.key] and not outcome.applied
    assert (await consumer_db.views.set_aside_events("keeper"))[0].failures == 2
    broken = False
    outcome = await set_aside.retry({"keeper": apply})
    assert [e.key for e in outcome.applied] == [kept.key]
    assert await consumer_db.views.set_aside_events() == []
    assert await consumer_db.views.get("totals", "all") == {"n": len(good) + 1}


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"{this is not json", "Invalid JSON"),
        (b'{"type": "ReportTeleported", "schema_version": 1}', "unknown event type"),
        (
            json.dumps({"type": "ReportSubmitted", "schema_version": 1, "data": {}}).encode(),
            "Field required",
        ),
    ],
    ids=["not-json", "unknown-type", "invalid-payload"],
)
async def test_unparseable_message_goes_straight_to_the_dlq(
    rabbitmq_url: str,
    topology: TrackedTopology,
    consumer_db: Database,
    channel: AbstractChannel,
    body: bytes,
    complaint: str,
) -> None:
    calls: list[Envelope] = []
    count = counting_handler(consumer_db)

    async def handler(envelope: Envelope) -> None:
        calls.append(envelope)
        await count(envelope)

    consumer = Consumer(rabbitmq_url, topology, "strict", ["report.#"], handler, retry=FAST_RETRY)
    exchange = await declare_exchange(channel, topology)
    async with running(consumer):
        await eventually(lambda: consumer_ready(consumer))
        await exchange.publish(
            aio_pika.Message(body, message_id="garbage-1", headers={"from": "a test"}),
            routing_key="report.submitted",
        )
        good = make_submitted()
        await exchange.publish(
            aio_pika.Message(good.to_json(), message_id=str(good.event_id)),
            routing_key=good.routing_key,
        )
        await eventually(lambda: consumer.stats.consumed == 1)

    assert [e.event_id for e in calls] == [good.event_id]  # the garbage never reached the handler
    assert consumer.stats.dead_lettered == {"unparseable": 1}
    assert consumer.stats.retried == 0
    dlq = await channel.declare_queue(topology.dead_letter_queue("strict"), passive=True)
    [dead] = await receive(dlq, 1)
    headers = dead.headers or {}
    assert headers[DEAD_LETTER_REASON] == "unparseable"
    assert complaint in str(headers[DEAD_LETTER_ERROR])
    assert headers[DEAD_LETTER_ATTEMPTS] == 0
    assert headers["from"] == "a test"
    assert dead.body == body
    assert dead.message_id == "garbage-1"


async def test_duplicate_deliveries_change_the_view_once(
    rabbitmq_url: str, topology: TrackedTopology, consumer_db: Database, channel: AbstractChannel
) -> None:
    seen: list[Envelope] = []
    consumer = Consumer(
        rabbitmq_url, topology, "dedup", ["report.#"], counting_handler(consumer_db, seen)
    )
    exchange = await declare_exchange(channel, topology)
    events = make_stream(3)
    async with running(consumer):
        await eventually(lambda: consumer_ready(consumer))
        # at-least-once: the relay republishes after a failure, replays re-send the log
        for event in [events[0], events[0], events[1], events[0], events[2], events[1], events[2]]:
            await exchange.publish(
                aio_pika.Message(event.to_json(), message_id=str(event.event_id)),
                routing_key=event.routing_key,
            )
        await eventually(lambda: consumer.stats.consumed == 7)

    assert [e.event_id for e in seen] == [e.event_id for e in events]
    assert await consumer_db.views.get("totals", "all") == {"n": 3}
    assert await consumer_db.views.applied_count() == 3
    for event in events:
        assert await consumer_db.views.get("seen", str(event.event_id)) == {"n": 1}


async def test_order_of_one_stream_is_kept_from_store_to_handler(
    rabbitmq_url: str, topology: TrackedTopology, sqlite_database: Database, consumer_db: Database
) -> None:
    seen: list[Envelope] = []
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, batch_size=64, poll_interval=0.1)
    consumer = Consumer(
        rabbitmq_url,
        topology,
        "ordered",
        ["report.#"],
        counting_handler(consumer_db, seen),
        prefetch=32,
    )
    events = make_stream(300)
    async with running(relay, consumer):
        await eventually(lambda: consumer_ready(consumer))
        for start in range(0, len(events), 10):  # appends and relaying overlap
            await sqlite_database.events.append(events[start : start + 10])
            relay.notify()
            await asyncio.sleep(0)
        await eventually(
            lambda: len(seen) == len(events), timeout=60, message=lambda: f"{len(seen)} seen"
        )
    assert [e.stream_version for e in seen] == list(range(1, 301))
    assert [e.event_id for e in seen] == [e.event_id for e in events]


async def test_consumer_binds_only_its_keys(
    rabbitmq_url: str, topology: TrackedTopology, sqlite_database: Database, consumer_db: Database
) -> None:
    seen: list[Envelope] = []
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    consumer = Consumer(
        rabbitmq_url,
        topology,
        "picky",
        ["report.submitted", "report.verified"],
        counting_handler(consumer_db, seen),
    )
    events = sample_events()
    wanted = [e for e in events if e.type in ("ReportSubmitted", "ReportVerified")]
    async with running(relay, consumer):
        await eventually(lambda: consumer_ready(consumer))
        await append_each(sqlite_database, events, relay)
        await eventually(lambda: relayed_everything(relay, sqlite_database))
        await eventually(lambda: len(seen) == len(wanted))
        await eventually(lambda: lag_is_zero(consumer))
    assert [e.event_id for e in seen] == [e.event_id for e in wanted]


# ---------------------------------------------------------------- event log


async def read_all(
    url: str, topology: TrackedTopology, start: int | str, count: int
) -> list[LogEntry]:
    entries = []
    async with contextlib.aclosing(read_event_log(url, topology, start=start, idle=1.0)) as log:  # type: ignore[arg-type]
        async for entry in log:
            entries.append(entry)
            if len(entries) == count:
                break
    return entries


async def test_event_log_replays_from_first_and_from_an_offset(
    rabbitmq_url: str, topology: TrackedTopology, sqlite_database: Database
) -> None:
    events = sample_events() + make_stream(12)
    await append_each(sqlite_database, events)
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, batch_size=5, poll_interval=0.1)
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))

    # from the first event, ending once the log is idle
    replay: list[LogEntry] = []
    async for entry in read_event_log(rabbitmq_url, topology, start="first", idle=1.0):
        replay.append(entry)
    assert [e.envelope for e in replay] == events
    assert [e.routing_key for e in replay] == [e.routing_key for e in events]
    offsets = [e.offset for e in replay]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)

    # from a given offset: that entry and everything after it
    for k in (0, 1, 7, len(events) - 1):
        from_offset = [
            e
            async for e in read_event_log(rabbitmq_url, topology, start=replay[k].offset, idle=1.0)
        ]
        assert [e.offset for e in from_offset] == offsets[k:], k
        assert [e.envelope.event_id for e in from_offset] == [e.event_id for e in events[k:]]

    # a reader that stops early, and one that follows new events ("next")
    assert [e.envelope for e in await read_all(rabbitmq_url, topology, "first", 3)] == events[:3]


async def test_event_log_keeps_events_no_service_consumes(
    rabbitmq_url: str, topology: TrackedTopology, sqlite_database: Database
) -> None:
    # No service queue is bound at all: the log alone still receives every event.
    events = make_stream(3)
    await append_each(sqlite_database, events)
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))
    replay = await read_all(rabbitmq_url, topology, "first", len(events))
    assert [e.envelope.event_id for e in replay] == [e.event_id for e in events]


async def test_event_log_yields_unparseable_entries_for_the_caller(
    rabbitmq_url: str, topology: TrackedTopology, channel: AbstractChannel
) -> None:
    from sipokat.events.broker.topology import declare_event_log

    await declare_event_log(channel, topology)
    exchange = await declare_exchange(channel, topology)
    good = make_submitted()
    await exchange.publish(aio_pika.Message(b"garbage"), routing_key="report.submitted")
    await exchange.publish(aio_pika.Message(good.to_json()), routing_key=good.routing_key)
    entries = await eventually(lambda: read_all(rabbitmq_url, topology, "first", 2))
    assert entries[0].body == b"garbage"
    with pytest.raises(ValueError):
        _ = entries[0].envelope
    assert entries[1].envelope == good


# ---------------------------------------------------------------- lost connections


async def test_relay_and_consumer_recover_when_the_broker_drops_their_connections(
    rabbitmq_broker: RabbitBroker,
    topology: TrackedTopology,
    sqlite_database: Database,
    consumer_db: Database,
) -> None:
    url = rabbitmq_broker.url
    seen: list[Envelope] = []
    relay = Relay(
        sqlite_database.events, url, topology, name=f"{topology.prefix}.relay", poll_interval=0.1
    )
    consumer = Consumer(url, topology, "dropped", ["report.#"], counting_handler(consumer_db, seen))
    first, second = make_stream(5), make_stream(5)
    async with running(relay, consumer):
        await eventually(lambda: consumer_ready(consumer))
        await append_each(sqlite_database, first, relay)
        await eventually(lambda: len(seen) == len(first))

        # Both sit idle when their connections drop; both must notice at once, not only when
        # they next try to publish or ack.
        assert await asyncio.to_thread(rabbitmq_broker.close_connections, topology.prefix) == 2
        await eventually(lambda: relay.link.reconnects >= 1 and consumer.link.reconnects >= 1)
        await eventually(lambda: relay.link.connected.is_set())
        await eventually(lambda: consumer_ready(consumer))

        await append_each(sqlite_database, second, relay)
        await eventually(lambda: len(seen) == len(first) + len(second))
    assert [e.event_id for e in seen] == [e.event_id for e in first + second]
    assert await consumer_db.views.applied_count() == 10


async def test_consumer_resumes_after_its_queue_is_deleted(
    rabbitmq_url: str, topology: TrackedTopology, consumer_db: Database, channel: AbstractChannel
) -> None:
    # The broker cancels a consumer whose queue goes away (an operator deleting it, say). The
    # consumer must not sit on its healthy connection forever: it re-declares and consumes again.
    seen: list[Envelope] = []
    consumer = Consumer(
        rabbitmq_url, topology, "deleted", ["report.#"], counting_handler(consumer_db, seen)
    )
    exchange = await declare_exchange(channel, topology)

    async def publish(event: Envelope) -> None:
        await exchange.publish(
            aio_pika.Message(event.to_json(), message_id=str(event.event_id)),
            routing_key=event.routing_key,
        )

    async with running(consumer):
        await eventually(lambda: consumer_ready(consumer))
        before = make_submitted()
        await publish(before)
        await eventually(lambda: len(seen) == 1)

        await channel.queue_delete(topology.service_queue("deleted"))
        await eventually(lambda: consumer.link.reconnects >= 1)
        await eventually(lambda: consumer_ready(consumer))
        after = make_submitted()
        await publish(after)
        await eventually(lambda: len(seen) == 2)
    assert [e.event_id for e in seen] == [before.event_id, after.event_id]


async def test_event_this_code_cannot_parse_is_published_then_dead_lettered(
    rabbitmq_url: str,
    topology: TrackedTopology,
    sqlite_database: Database,
    consumer_db: Database,
    channel: AbstractChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stored v1 ReportSubmitted, read by code at v2 whose upcaster trips over it (KeyError, not
    # a ValueError), followed by events of other types. Neither the relay nor the consumer may
    # get stuck on it: the relay publishes it like any other, the consumer dead-letters it and
    # goes on.
    report_id = uuid4()
    old = make_submitted(report_id)
    before = make_overdue(report_id, stream_version=2)
    after = make_approved(report_id, stream_version=3)
    await sqlite_database.events.append([old, before, after])

    def broken_upcaster(data: dict[str, object]) -> dict[str, object]:
        return {**data, "title": data["judul"]}

    monkeypatch.setattr(payloads, "_UPCASTERS", {("ReportSubmitted", 1): broken_upcaster})
    monkeypatch.setattr(ReportSubmitted, "schema_version", 2)

    seen: list[Envelope] = []
    relay = Relay(sqlite_database.events, rabbitmq_url, topology, poll_interval=0.1)
    consumer = Consumer(
        rabbitmq_url, topology, "upgraded", ["report.#"], counting_handler(consumer_db, seen)
    )
    async with running(consumer):
        await eventually(lambda: consumer_ready(consumer))
        async with running(relay):
            await eventually(lambda: relayed_everything(relay, sqlite_database))
        await eventually(lambda: len(seen) == 2)
        await eventually(lambda: consumer.stats.dead_lettered.get("unparseable") == 1)
    assert [e.event_id for e in seen] == [before.event_id, after.event_id]
    assert await relay.lag() == 0
    dlq = await channel.declare_queue(topology.dead_letter_queue("upgraded"), passive=True)
    [dead] = await receive(dlq, 1)
    assert dead.message_id == str(old.event_id)
    assert (dead.headers or {})[DEAD_LETTER_REASON] == "unparseable"
    assert "judul" in str((dead.headers or {})[DEAD_LETTER_ERROR])


@pytest.mark.parametrize("idle", [None, 20.0], ids=["follow", "replay"])
async def test_event_log_reader_raises_when_its_connection_is_lost(
    rabbitmq_broker: RabbitBroker,
    topology: TrackedTopology,
    sqlite_database: Database,
    idle: float | None,
) -> None:
    # A replay cut short by a dropped connection must not look like one that reached the end.
    url = rabbitmq_broker.url
    events = make_stream(3)
    await append_each(sqlite_database, events)
    relay = Relay(sqlite_database.events, url, topology, poll_interval=0.1)
    async with running(relay):
        await eventually(lambda: relayed_everything(relay, sqlite_database))

    entries: list[LogEntry] = []
    reader = f"{topology.prefix}.reader"

    async def read() -> None:
        async for entry in read_event_log(url, topology, start="first", idle=idle, name=reader):
            entries.append(entry)

    task = asyncio.create_task(read())
    try:
        await eventually(lambda: len(entries) == len(events))
        assert await asyncio.to_thread(rabbitmq_broker.close_connections, reader) == 1
        with pytest.raises(ConnectionError, match="lost the broker connection"):
            await asyncio.wait_for(task, timeout=15)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [e.envelope.event_id for e in entries] == [e.event_id for e in events]
