"""Reading the event log: the `sipokat.events.log` stream, from the first event or any offset.

Read models rebuild from it and integrators replay it. An AMQP 0-9-1 stream consumer does not learn
where the stream ends, so a replay that should finish stops once no event arrived for `idle`
seconds (after a rebuild, the live queue takes over and drops what the replay already applied).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import aio_pika

from sipokat.events.broker.connection import connect
from sipokat.events.broker.topology import Topology, declare_event_log
from sipokat.events.envelope import Envelope

StartAt = int | Literal["first", "last", "next"]


@dataclass(frozen=True)
class LogEntry:
    offset: int
    routing_key: str
    body: bytes

    @cached_property
    def envelope(self) -> Envelope:
        return Envelope.model_validate_json(self.body)


async def read_event_log(
    url: str,
    topology: Topology,
    *,
    start: StartAt = "first",
    idle: float | None = 2.0,
    prefetch: int = 2000,
    name: str = "event-log-reader",
) -> AsyncIterator[LogEntry]:
    """Yield log entries from `start` (an offset, or first/last/next) in order.

    With `idle` set, the iteration ends once no entry arrived for that many seconds; with None it
    follows the log forever. Entries that cannot be parsed are yielded too: `entry.envelope`
    raises for them, and the caller decides.
    """
    connection = await connect(url, name)
    # Told by the close callbacks: aio-pika's own `closed()` misses a close the broker made. A
    # lost connection must raise, not end the iteration as if the log were idle: a rebuild
    # would take a replay cut short for a complete one.
    lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_close(*_: Any) -> None:
        if not lost.done():
            lost.set_result(None)

    connection.close_callbacks.add(on_close)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)  # stream consumers require a prefetch
        log_queue = await declare_event_log(channel, topology)
        queue: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        tag = await log_queue.consume(queue.put, arguments={"x-stream-offset": start})
        try:
            while True:
                if queue.empty():
                    getter = asyncio.ensure_future(queue.get())
                    waiting: set[asyncio.Future[Any]] = {getter, lost}
                    await asyncio.wait(waiting, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                    if not getter.done():
                        getter.cancel()
                        if lost.done() or channel.is_closed:
                            raise ConnectionError(
                                f"lost the broker connection while reading {topology.event_log}"
                            )
                        return
                    message = getter.result()
                else:
                    message = queue.get_nowait()
                offset = (message.headers or {}).get("x-stream-offset")
                if not isinstance(offset, int):
                    raise RuntimeError(f"{topology.event_log} is not a stream queue")
                yield LogEntry(offset, message.routing_key or "", message.body)
                # Stream queues ignore acks for redelivery but need them to advance the credit.
                await message.ack()
        finally:
            if not lost.done() and not channel.is_closed:
                await log_queue.cancel(tag)
    finally:
        await connection.close()
