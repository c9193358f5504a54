"""A broadcast among the running replicas of one service: each of them gets every message.

For state kept in each process that must not depend on which replica consumed an event:
notification's live inbox streams (an app's SSE connection may be held by any replica, while
one replica consumes). A fanout exchange, `Topology.broadcast_exchange(service)`, and on each
replica an exclusive, server-named queue bound to it, both gone with the last connection.

What travels is JSON values; those sent while the previous message was going out travel
together, in one message (a JSON array), so under load the broker sees one message a batch
rather than one a value. At most once and not persisted: a value sent while a replica
reconnects is lost to it, which is what a live stream can bear (its clients re-read their inbox
on `ready`). While this replica is not connected, what it sends is delivered to itself only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import aio_pika
import orjson
import structlog
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from sipokat.events.broker.connection import BrokerLink
from sipokat.events.broker.topology import Topology

log = structlog.get_logger(__name__)

# Values waiting to go out; past it new ones are dropped (the broker is slower than the
# events: live listeners would be cut off as behind anyway).
OUTBOX_SIZE = 10_000
MOST_PER_MESSAGE = 500


class Broadcast:
    def __init__(
        self,
        url: str,
        topology: Topology,
        service: str,
        deliver: Callable[[Any], None],
        *,
        name: str = "broadcast",
    ) -> None:
        self.exchange = topology.broadcast_exchange(service)
        self._deliver = deliver
        self._outbox: asyncio.Queue[Any] = asyncio.Queue(OUTBOX_SIZE)
        self._sending = False
        self.listening = asyncio.Event()  # set while this replica's queue is bound
        self.dropped = 0
        self.link = BrokerLink(url, name, self._session)

    async def run(self, stop: asyncio.Event) -> None:
        await self.link.run(stop)

    def send(self, value: Any) -> None:
        """`value` (anything orjson writes) to every running replica, this one included."""
        if not self._sending:
            self._deliver(value)
        elif self._outbox.full():
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("broadcast.dropped", exchange=self.exchange, dropped=self.dropped)
        else:
            self._outbox.put_nowait(value)

    async def _session(self, connection: AbstractConnection) -> None:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.FANOUT, durable=False, auto_delete=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange)
        await queue.consume(self._on_message, no_ack=True)
        self._sending = True
        self.listening.set()
        try:
            while True:
                values = [await self._outbox.get()]
                while not self._outbox.empty() and len(values) < MOST_PER_MESSAGE:
                    values.append(self._outbox.get_nowait())
                await exchange.publish(aio_pika.Message(orjson.dumps(values)), routing_key="")
        finally:
            self._sending = False
            self.listening.clear()
            # What was waiting goes to this replica's own listeners rather than nowhere.
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self._deliver(self._outbox.get_nowait())

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            values = orjson.loads(message.body)
        except orjson.JSONDecodeError as exc:
            values = exc
        if not isinstance(values, list):  # not from a Broadcast
            log.warning("broadcast.unreadable", exchange=self.exchange, error=str(values)[:200])
            return
        for value in values:
            try:
                self._deliver(value)
            except Exception as exc:  # one bad value must not stop the others
                log.warning("broadcast.undeliverable", exchange=self.exchange, error=repr(exc))
