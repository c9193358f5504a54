"""The relay's publisher: a batch of stored events onto the wire at once, confirms pipelined.

`aiormq.Channel.basic_publish` costs about 250 µs of CPU a message at the relay's rates (a task,
a lock, a timeout, a countdown and two futures each, every future registered up a chain of
stores), which made the broker client, not the broker, the relay's limit. `BatchPublisher`
does what basic_publish does for a whole batch under one hold of the channel's lock: it
numbers each message, registers its confirmation where aiormq's reader settles it, and
writes every frame of the batch in one write. The broker's acks, nacks and returns
(mandatory, `on_return_raises`) are then handled by aiormq exactly as for basic_publish, and a
channel that closes fails every pending confirmation. It leans on aiormq's `Channel` internals
(`confirmations`, `message_id_delivery_tag`, `delivery_tag`, `write_queue`, `lock` and
`_split_body`), pinned by uv.lock and covered by tests/test_publisher.py against a real broker.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import aio_pika
import aiormq
import orjson
from aiormq.abc import ChannelFrame, FrameType
from pamqp import commands
from pamqp.header import ContentHeader

from sipokat.events.store.base import RecordedEvent


def message_properties(event: RecordedEvent) -> aiormq.spec.Basic.Properties:
    """The AMQP properties an event is published with (persistent, JSON, its ids and type).

    They come from the stored JSON as it is, not from a full Envelope parse: that is cheaper per
    event, and an event this process can no longer parse (a schema bumped without its upcaster)
    is still published, for consumers to dead-letter, instead of stopping the relay, and every
    event behind it, in a crash loop. Built as pamqp's properties directly: an aio-pika
    `Message` costs five times as much to make, for nothing the relay needs.
    """
    raw = orjson.loads(event.body)
    occurred_at = raw.get("occurred_at")
    return aiormq.spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=int(aio_pika.DeliveryMode.PERSISTENT),
        message_id=str(event.event_id),
        correlation_id=raw.get("correlation_id"),
        message_type=raw.get("type"),
        app_id=raw.get("source"),
        timestamp=datetime.fromisoformat(occurred_at) if isinstance(occurred_at, str) else None,
        headers={"schema_version": raw.get("schema_version"), "stream_id": event.stream_id},
    )


class BatchPublisher:
    """Publishes batches on one channel in confirm mode; the relay is the channel's only user."""

    def __init__(self, channel: aiormq.Channel, exchange: str) -> None:
        self.channel = channel
        self.exchange = exchange

    def publish(self, batch: list[RecordedEvent], timeout: float) -> asyncio.Future[list[object]]:
        """Start publishing `batch`; the future gives each event's outcome, in order: the
        broker's ack frame, or the exception (a nack, a return, the channel closing, or
        TimeoutError for one unconfirmed after `timeout` seconds). It raises TimeoutError if
        the batch could not even be written in that time (a broker blocking publishers)."""
        return asyncio.ensure_future(self._publish(batch, patience=timeout))

    async def _publish(self, batch: list[RecordedEvent], *, patience: float) -> list[object]:
        if not batch:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        try:
            async with asyncio.timeout_at(deadline):
                confirmations = await self._send(batch)
            await asyncio.wait(confirmations, timeout=max(0.0, deadline - loop.time()))
        finally:
            for event in batch:  # a return comes before its confirm: no longer needed
                self.channel.message_id_delivery_tag.pop(str(event.event_id), None)
        return [_outcome(confirmation) for confirmation in confirmations]

    async def _send(self, batch: list[RecordedEvent]) -> list[asyncio.Future[object]]:
        """Number the batch's messages, register their confirmations, write their frames."""
        channel = self.channel
        confirmations: list[asyncio.Future[object]] = []
        frames: list[FrameType] = []
        properties_of = [message_properties(event) for event in batch]  # before any numbering
        async with channel.lock:  # FIFO: batches started in order are numbered in order
            for event, properties in zip(batch, properties_of, strict=True):
                channel.delivery_tag += 1
                tag = channel.delivery_tag
                confirmation = channel.create_future()  # failed by aiormq if the channel closes
                channel.confirmations[tag] = confirmation
                # Where aiormq looks up a returned (unroutable) message's confirmation.
                channel.message_id_delivery_tag[str(properties.message_id)] = tag
                confirmations.append(confirmation)
                frames.append(
                    commands.Basic.Publish(
                        exchange=self.exchange, routing_key=event.routing_key, mandatory=True
                    )
                )
                frames.append(ContentHeader(properties=properties, body_size=len(event.body)))
                frames.extend(channel._split_body(event.body))
            try:
                await channel.write_queue.put(
                    ChannelFrame.marshall(channel_number=channel.number, frames=frames)
                )
            except BaseException:
                # Never sent (cancelled while the write queue was full): the broker numbers only
                # what it receives, so the numbers go back for the next batch to use.
                for confirmation in confirmations:
                    channel.confirmations.pop(channel.delivery_tag, None)
                    channel.delivery_tag -= 1
                    confirmation.cancel()
                raise
        return confirmations


def _outcome(confirmation: asyncio.Future[object]) -> object:
    if not confirmation.done():
        confirmation.cancel()  # aiormq drops a late confirm for a settled future
        return TimeoutError("no confirm from the broker in time")
    if confirmation.cancelled():
        return asyncio.CancelledError()
    return confirmation.exception() or confirmation.result()
