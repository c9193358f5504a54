"""Reading the event log: the `sipokat.events.log` stream, from the first event or any offset.

Read models rebuild from it and integrators replay it. Two readers with one signature and the same
entries: `read_event_log` over AMQP 0-9-1 (port 5672, always there) and `read_event_log_native`
over the native stream protocol (the `rabbitmq_stream` plugin, port 5552; see `streamlog`), about
twice as fast. `pick_reader` takes the native one when its port answers, AMQP otherwise.

The end of the log: an AMQP 0-9-1 stream consumer does not learn where the stream ends (RabbitMQ
3.10 reports a stream's message count as 0), so its replay stops once no event arrived for `idle`
seconds. The native reader asks the broker for the last offset first and stops right after it,
without waiting (after a rebuild, the live queue takes over and drops what the replay already
applied).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import aio_pika
import structlog

from sipokat.events.broker.connection import connect
from sipokat.events.broker.streamlog import read_stream_chunks, stream_port_answers, stream_url_for
from sipokat.events.broker.topology import Topology, declare_event_log
from sipokat.events.envelope import Envelope

StartAt = int | Literal["first", "last", "next"]

log = structlog.get_logger(__name__)

# Acks of a stream consumer only return credit; one ack (multiple=True) per this many entries.
_ACK_EVERY = 200


@dataclass(frozen=True)
class LogEntry:
    offset: int
    routing_key: str
    body: bytes

    @cached_property
    def envelope(self) -> Envelope:
        return Envelope.from_json(self.body)


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
        ack_every, unacked = max(1, min(_ACK_EVERY, prefetch // 4)), 0
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
                # Stream queues ignore acks for redelivery but need them to advance the credit:
                # one ack for many entries, and at once whenever the queue runs dry.
                unacked += 1
                if unacked >= ack_every or queue.empty():
                    await message.ack(multiple=True)
                    unacked = 0
        finally:
            if not lost.done() and not channel.is_closed:
                await log_queue.cancel(tag)
    finally:
        await connection.close()


async def read_event_log_native(
    url: str,
    topology: Topology,
    *,
    start: StartAt = "first",
    idle: float | None = 2.0,
    prefetch: int = 2000,
    name: str = "event-log-reader",
) -> AsyncIterator[LogEntry]:
    """`read_event_log` over the native stream protocol; `url` is `rabbitmq-stream://...:5552/`.

    The same entries in the same order with the same offsets. With `idle` set the replay ends
    right after the entry that was last when it started (or after `idle` quiet seconds when
    there is nothing to read); with None it follows the log forever. `prefetch` is not used:
    the broker sends whole chunks under the reader's chunk credit.
    """
    async for chunk in read_stream_chunks(url, topology, start=start, idle=idle, name=name):
        for entry in chunk:
            yield LogEntry(entry.offset, entry.routing_key, entry.body)


async def pick_reader(rabbitmq_url: str, stream_url: str | None = None) -> tuple[Reader, str]:
    """`read_event_log_native` and the stream URL when that port answers, else `read_event_log`
    and the AMQP URL.

    `stream_url` defaults to the AMQP URL's host and credentials on port 5552; `"off"` (or an
    empty string) always reads over AMQP 0-9-1.
    """
    if stream_url is None:
        stream_url = stream_url_for(rabbitmq_url)
    if stream_url not in ("", "off") and await stream_port_answers(stream_url):
        return read_event_log_native, stream_url
    log.info("event_log.amqp_reader", reason="stream protocol off or its port does not answer")
    return read_event_log, rabbitmq_url


Reader = Callable[..., AsyncIterator[LogEntry]]
