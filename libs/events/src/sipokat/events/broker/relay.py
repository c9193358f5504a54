"""The relay: the event store is the outbox, and this publishes it in order.

It reads events after its checkpoint, publishes a batch with confirms pipelined (every publish of
the batch is on the wire before the first confirm is awaited), and moves the checkpoint past the
longest confirmed prefix. Delivery is at least once: after a failure the unconfirmed rest is
published again, and consumers drop duplicates by event_id.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable

import aiormq
import structlog
from aio_pika.abc import AbstractConnection

from sipokat.events.broker.connection import BrokerLink
from sipokat.events.broker.publisher import BatchPublisher
from sipokat.events.broker.topology import Topology, declare_event_log, declare_exchange
from sipokat.events.store.base import RecordedEvent, RelayLog

log = structlog.get_logger(__name__)

CHECKPOINT = "relay"


class LeaseLost(Exception):
    """The relay's lease expired or was taken over while it published."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"relay {holder} no longer holds its lease; standing by")


class Relay:
    def __init__(
        self,
        store: RelayLog,
        url: str,
        topology: Topology,
        *,
        name: str = "relay",
        batch_size: int = 500,
        publish_timeout: float = 10.0,
        poll_interval: float = 1.0,
        on_published: Callable[[int], None] | None = None,
        lease_ttl: float = 10.0,
    ) -> None:
        self.store = store
        self.topology = topology
        self.batch_size = batch_size
        self.publish_timeout = publish_timeout
        self.poll_interval = poll_interval
        self._on_published = on_published
        self._wake = asyncio.Event()
        self.position = 0
        self.lease_ttl = lease_ttl
        # Replicas share the store: the one holding the lease publishes, the others stand by.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False
        self._renewed_at = 0.0
        self.link = BrokerLink(url, name, self._session)

    def notify(self) -> None:
        """Tell the relay that new events were appended, so it need not wait for its poll."""
        self._wake.set()

    async def lag(self) -> int:
        """Events this service stored to publish that the broker has not confirmed yet (events
        other services published, recorded to complete a stream, are never to be published)."""
        # A relay that is not leading (not connected yet, or standing by for another replica)
        # has no current position of its own; the shared checkpoint knows better.
        position = self.position if self.leading else await self.store.load_checkpoint(CHECKPOINT)
        return await self.store.count_publishable_after(position)

    async def run(self, stop: asyncio.Event) -> None:
        await self.link.run(stop)

    async def _session(self, connection: AbstractConnection) -> None:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        # The log stream is bound to '#', so with the topology in place every event is routable
        # and a mandatory return means the topology is broken: the relay stops and retries.
        await declare_event_log(channel, self.topology)
        exchange = await declare_exchange(channel, self.topology)
        underlay = await channel.get_underlay_channel()
        assert isinstance(underlay, aiormq.Channel)  # the abstract one does not declare `wait`
        publisher = BatchPublisher(underlay, exchange.name)
        try:
            while True:
                # Cleared before reading, not after: a notify() that arrives while the batch is
                # read (and finds nothing yet) must still wake the wait below.
                self._wake.clear()
                try:
                    published = await self.publish_pending(publisher) if await self._lead() else 0
                except LeaseLost as lost:
                    log.warning("relay.lease_lost", error=str(lost))
                    published = 0
                if published == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        finally:
            self.leading = False

    async def _lead(self) -> bool:
        """Hold (or renew) the relay lease; on taking it, continue from the shared checkpoint.

        A held lease is renewed once a third of its time has passed, not before every batch:
        under load a renewal per batch was a write transaction per handful of events.
        """
        now = time.monotonic()
        if self.leading and now - self._renewed_at < self.lease_ttl / 3:
            return True
        held = await self.store.hold_lease(CHECKPOINT, self.holder, self.lease_ttl)
        if held and not self.leading:
            self.position = await self.store.load_checkpoint(CHECKPOINT)
        self.leading = held
        self._renewed_at = now
        return held

    async def publish_pending(self, publisher: BatchPublisher) -> int:
        """Publish what lies after the checkpoint; returns how many events were confirmed.

        Two batches are in flight at once: the next is read and on the wire while the broker
        still confirms the previous one, so the channel never idles for a confirm round trip.
        The checkpoint only moves past confirmed prefixes, in order; after a failure the
        events behind it may have gone out too (consumers drop duplicates by event_id).
        """
        in_flight: deque[tuple[list[RecordedEvent], asyncio.Future[list[object]]]] = deque()
        read_up_to = self.position
        confirmed_total = 0
        # Back to the caller in time to renew the lease, however much is waiting.
        reading_until = time.monotonic() + self.lease_ttl / 3
        try:
            while True:
                batch: list[RecordedEvent] = []
                if len(in_flight) < 2 and time.monotonic() < reading_until:
                    batch = await self.store.read_from(
                        read_up_to, self.batch_size, publishable_only=True
                    )
                if batch:
                    in_flight.append((batch, publisher.publish(batch, self.publish_timeout)))
                    read_up_to = batch[-1].position
                    if len(in_flight) < 2:
                        continue
                if not in_flight:
                    return confirmed_total
                sent, outcome = in_flight.popleft()
                confirmed_total += await self._settle(sent, await outcome)
                if not batch and not in_flight:
                    return confirmed_total
        finally:
            for _, outcome in in_flight:
                outcome.cancel()

    async def _settle(self, batch: list[RecordedEvent], results: list[object]) -> int:
        """Move the checkpoint past the confirmed prefix of a batch; raise its first failure."""
        confirmed = 0
        for result in results:
            if isinstance(result, BaseException):
                break
            confirmed += 1
        if confirmed:
            self.position = batch[confirmed - 1].position
            # Only while the lease is ours, and forward only: a relay that paused past its
            # lease must not move back the checkpoint of the replica that took over.
            if not await self.store.advance_checkpoint(
                CHECKPOINT, self.position, holder=self.holder
            ):
                self.leading = False
                raise LeaseLost(self.holder)
            if self._on_published:
                self._on_published(confirmed)
        if confirmed < len(batch):
            failure = results[confirmed]
            assert isinstance(failure, BaseException)
            raise failure
        return confirmed
