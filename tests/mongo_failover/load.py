"""The steady stream the failover runs under: writers appending through `MongoDatabase`, the real
relays publishing to RabbitMQ under a test prefix, and a queue bound to the test exchange (`#`)
recording every delivery in order.

Writers are spread over `replicas` handles on one database, each handle with its own relay, as
replicas of one service run: the relays share the lease and the checkpoint, so a lease that two
relays both believe they hold shows up as duplicated deliveries. A writer that sees an append
raise retries the same events (same event ids, as a service retries a command) until its
patience runs out; a ConcurrencyConflict ends its stream and it starts another.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from mongo_failover.check import Append, Stored
from pymongo import AsyncMongoClient

from sipokat.events.broker.relay import CHECKPOINT, Relay
from sipokat.events.broker.topology import declare_exchange
from sipokat.events.envelope import Envelope
from sipokat.events.store.base import ConcurrencyConflict, Database, EventStore
from sipokat.events.store.mongo import MongoDatabase
from sipokat.events.testing.broker import delete_topology, new_topology
from sipokat.events.testing.builders import make_stream

STREAM_LENGTH = 12  # events a writer appends to one report's stream before starting another
RETRY_SECONDS = 60.0  # how long a writer retries one append through an election
APPEND_PATIENCE = 90.0  # an append that has not answered by then is a hang (finding 3)
NO_MESSAGE_ID = UUID(int=0)


@dataclass
class Outcome:
    appends: list[Append] = field(default_factory=list)
    delivered: list[UUID] = field(default_factory=list)
    stored: list[Stored] = field(default_factory=list)
    drained: bool = False
    tap_complete: bool = False  # the sentinel published after the drain came through
    relay_reconnects: int = 0
    disruption_error: str | None = None
    writer_errors: list[str] = field(default_factory=list)


Disrupt = Callable[[float], Awaitable[None]]


async def _append(
    store: EventStore, batch: Sequence[Envelope], appends: list[Append], patience: float
) -> bool:
    """Append `batch` until it returns (True) or a conflict or the retry time ends it (False)."""
    ids = tuple(e.event_id for e in batch)
    give_up_at = time.monotonic() + RETRY_SECONDS
    pause = 0.1
    while True:
        try:
            async with asyncio.timeout(patience):
                result = await store.append(batch)
        except TimeoutError:
            appends.append(Append(ids, error=f"no answer in {patience:g} s"))
        except Exception as exc:
            appends.append(Append(ids, error=type(exc).__name__))
            if isinstance(exc, ConcurrencyConflict):
                return False
        else:
            appends.append(Append(ids, tuple(result.positions)))
            return True
        if time.monotonic() > give_up_at:
            return False
        await asyncio.sleep(pause)
        pause = min(pause * 2, 2.0)


async def _write(
    number: int,
    store: EventStore,
    relay: Relay,
    appends: list[Append],
    stop: asyncio.Event,
    patience: float,
) -> None:
    rng = random.Random(number)
    while not stop.is_set():
        stream, version = uuid4(), 1
        while not stop.is_set() and version <= STREAM_LENGTH:
            batch = make_stream(rng.randint(1, 3), stream, start=version)
            if not await _append(store, batch, appends, patience):
                break
            relay.notify()
            version += len(batch)


async def _drain(store: EventStore, seconds: float) -> bool:
    """Wait until the relay's checkpoint covers the store's last position (every event
    confirmed by the broker); False if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the set may still settle an election
            if await store.load_checkpoint(CHECKPOINT) >= await store.last_position():
                return True
        await asyncio.sleep(0.5)
    return False


async def _read_store(store: EventStore, seconds: float = 60.0) -> list[Stored]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            stored: list[Stored] = []
            after = 0
            while page := await store.read_from(after, 1000):
                stored += [Stored(r.position, r.event_id) for r in page]
                after = page[-1].position
            return stored
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


OpenStore = Callable[[], Awaitable[Database]]
DropStore = Callable[[], Awaitable[None]]


def mongodb_store(url: str, *, keep: bool = False) -> tuple[OpenStore, DropStore]:
    """Handles on a fresh database of the set at `url`, and how to drop it afterwards."""
    name = f"failover_{uuid4().hex[:12]}"

    async def open_store() -> Database:
        return await MongoDatabase.open(url, name)

    async def drop() -> None:
        if keep:
            return
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url)
        try:
            await client.drop_database(name)
        finally:
            await client.close()

    return open_store, drop


async def run(
    open_store: OpenStore,
    rabbitmq_url: str,
    *,
    writers: int,
    replicas: int,
    duration: float,
    disrupt: Disrupt,
    drain_seconds: float = 120.0,
    patience: float = APPEND_PATIENCE,
) -> Outcome:
    """Append for `duration` seconds (and until `disrupt(started)` has returned), drain the
    relays, and return what was acknowledged, delivered and stored. `open_store` opens one
    handle (a replica's connection) on the store under test, the same store every time."""
    outcome = Outcome()
    topology = new_topology()
    tap_name = topology.test_queue("failover-tap")
    handles: list[Database] = []
    connection = await aio_pika.connect(rabbitmq_url, timeout=10)
    relay_tasks: list[asyncio.Task[None]] = []
    stop_relays = asyncio.Event()
    try:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, topology)
        tap = await channel.declare_queue(tap_name, durable=True)
        await tap.bind(exchange, routing_key="#")
        sentinel = f"sentinel-{uuid4().hex}"
        all_delivered = asyncio.Event()

        async def on_message(message: AbstractIncomingMessage) -> None:
            if message.message_id == sentinel:
                all_delivered.set()
                return
            try:
                outcome.delivered.append(UUID(str(message.message_id)))
            except ValueError:
                outcome.delivered.append(NO_MESSAGE_ID)  # reported as unknown

        await tap.consume(on_message, no_ack=True)

        for _ in range(replicas):
            handles.append(await open_store())
        relays = [
            Relay(
                handle.events,
                rabbitmq_url,
                topology,
                name=f"{topology.prefix}.relay-{i}",
                poll_interval=0.2,
                lease_ttl=5.0,
            )
            for i, handle in enumerate(handles)
        ]
        relay_tasks = [asyncio.create_task(relay.run(stop_relays)) for relay in relays]

        stop_writing = asyncio.Event()
        started = time.monotonic()
        writer_tasks = [
            asyncio.create_task(
                _write(
                    n,
                    handles[n % replicas].events,
                    relays[n % replicas],
                    outcome.appends,
                    stop_writing,
                    patience,
                )
            )
            for n in range(writers)
        ]
        try:
            await disrupt(started)
        except Exception as exc:
            outcome.disruption_error = f"{type(exc).__name__}: {exc}"
        await asyncio.sleep(max(0.0, started + duration - time.monotonic()))
        stop_writing.set()
        for result in await asyncio.gather(*writer_tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                outcome.writer_errors.append(f"{type(result).__name__}: {result}")

        outcome.drained = await _drain(handles[0].events, drain_seconds)
        stop_relays.set()
        await asyncio.wait(relay_tasks, timeout=30)
        outcome.relay_reconnects = sum(relay.link.reconnects for relay in relays)
        # Confirmed messages are in the queue already; the sentinel queues behind all of them.
        await exchange.publish(
            aio_pika.Message(b"{}", message_id=sentinel), routing_key="failover.sentinel"
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_delivered.wait(), timeout=60)
        outcome.tap_complete = all_delivered.is_set()
        outcome.stored = await _read_store(handles[0].events)
        return outcome
    finally:
        stop_relays.set()
        for task in relay_tasks:
            task.cancel()
        await asyncio.gather(*relay_tasks, return_exceptions=True)
        for handle in handles:
            with contextlib.suppress(Exception):
                await handle.close()
        await connection.close()
        await delete_topology(rabbitmq_url, topology, queues=[tap_name])
