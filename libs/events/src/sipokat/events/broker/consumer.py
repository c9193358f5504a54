"""The consumer runner: one service's quorum queue, handled in order.

A message is acked only after its handler has stored the effect. Acks go out together: one
`multiple` ack for the messages handled while more were waiting in the prefetch buffer (a
socket write each cost more than a simple handler); a crash before it redelivers them, and
handlers drop what they have already seen. A handler that fails is retried with exponential
backoff a bounded number of times; then it is set aside (`set_aside`: kept in the service's store
with the reason, listed, retryable; see `sipokat.events.setaside`) and acked. A message that
cannot be parsed (it is no event a reader could apply), or one that cannot be set aside (the
store is down, or the service keeps no set-aside list), is published to the dead-letter exchange
with the reason in its headers, and acked. Nothing a message does stops the consumer; a lost
connection is re-established by the `BrokerLink`.

A service that can fold many events in one transaction also gives a `BatchHandler`: the messages
waiting in the prefetch buffer then go to it together, up to `batch_size` (one transaction
instead of one per message, when a backlog builds). A batch that fails, or holds a message that
does not parse or was redelivered, is handled message by message as above instead.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aio_pika
import structlog
from aio_pika.abc import AbstractConnection, AbstractExchange, AbstractIncomingMessage
from aio_pika.queue import QueueIterator

from sipokat.events.broker.connection import BrokerLink
from sipokat.events.broker.topology import Topology, declare_dead_letters, declare_service_queue
from sipokat.events.envelope import Envelope

if TYPE_CHECKING:
    import aiormq

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[None]]
# Keeps an event the handler could not apply, with the error (see `SetAside.keep_envelope`).
SetAsideHook = Callable[[Envelope, BaseException], Awaitable[object]]

# Header names put on a dead-lettered message; the ops CLI reads them back.
DEAD_LETTER_REASON = "x-sipokat-reason"
DEAD_LETTER_ERROR = "x-sipokat-error"
DEAD_LETTER_ATTEMPTS = "x-sipokat-attempts"
DEAD_LETTER_ROUTING_KEY = "x-sipokat-original-routing-key"
DEAD_LETTER_AT = "x-sipokat-dead-lettered-at"


def copy_with_headers(
    message: AbstractIncomingMessage, headers: dict[str, Any]
) -> aio_pika.Message:
    """A persistent copy of a received message, with new headers, to publish elsewhere."""
    return aio_pika.Message(
        body=message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
    )


class _Deliveries(QueueIterator):
    """aio-pika's queue iterator, telling whether deliveries wait in its buffer."""

    def waiting(self) -> int:
        return self._queue.qsize()

    def take_waiting(self, limit: int) -> list[AbstractIncomingMessage]:
        """Up to `limit` of the buffered deliveries, in order, without waiting for more."""
        taken: list[AbstractIncomingMessage] = []
        while len(taken) < limit and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        if taken and self._queue.empty() and not self._closed.done():
            # As `__anext__` does when it takes the last one: left set, the next `__anext__`
            # would find the buffer empty without waiting and end the iteration.
            self._message_or_closed.clear()
        return taken


@dataclass
class ConsumerStats:
    consumed: int = 0
    duplicates: int = 0
    retried: int = 0
    set_aside: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    first_backoff: float = 0.1
    max_backoff: float = 2.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.first_backoff * 2 ** (attempt - 1), self.max_backoff))


class Consumer:
    def __init__(
        self,
        url: str,
        topology: Topology,
        service: str,
        bindings: Sequence[str],
        handler: Handler,
        *,
        prefetch: int = 64,
        ack_every: int = 16,
        retry: RetryPolicy = RetryPolicy(),
        on_outcome: Callable[[str], None] | None = None,
        batch_handler: BatchHandler | None = None,
        batch_size: int = 32,
        on_handled: Callable[[Sequence[Envelope]], None] | None = None,
        set_aside: SetAsideHook | None = None,
    ) -> None:
        self.topology = topology
        self.service = service
        self.bindings = list(bindings)
        self.handler = handler
        self.batch_handler = batch_handler
        self.batch_size = max(1, min(batch_size, prefetch))
        self.prefetch = prefetch
        # Well under the prefetch: the broker sends more while this works through the rest.
        self.ack_every = min(ack_every, max(1, prefetch // 4))
        self.retry = retry
        self._handled: AbstractIncomingMessage | None = None  # the last handled, not acked yet
        self._unacked = 0
        self.stats = ConsumerStats()
        self._on_outcome = on_outcome
        self._on_handled = on_handled
        self._set_aside = set_aside
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self.link = BrokerLink(url, f"{topology.prefix}.{service}.consumer", self._session)

    async def run(self, stop: asyncio.Event) -> None:
        await self.link.run(stop)

    async def lag(self) -> int | None:
        """Messages waiting in the service's queue; None while disconnected."""
        if self._queue is None or not self.link.connected.is_set():
            return None
        declared = await self._queue.declare()
        return declared.message_count

    async def _session(self, connection: AbstractConnection) -> None:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        queue = await declare_service_queue(channel, self.topology, self.service, self.bindings)
        dlx = await declare_dead_letters(channel, self.topology, self.service)
        self._queue = queue
        # When the broker cancels the consumer (its queue was deleted, say), aio-pika's iterator
        # just waits forever on a healthy connection: the service would look connected and never
        # consume again. Close the channel instead; the iterator then ends, and so does this
        # session, and the link reconnects, re-declares the queue and consumes again.
        closing: set[asyncio.Future[None]] = set()

        def broker_cancelled(frame: aiormq.spec.Basic.Cancel) -> None:
            log.warning(
                "consumer.cancelled_by_broker", service=self.service, consumer=frame.consumer_tag
            )
            closing.add(asyncio.ensure_future(channel.close()))

        underlay = await channel.get_underlay_channel()
        underlay.on_consumer_cancel_callbacks.add(broker_cancelled)
        self._handled, self._unacked = None, 0  # a new channel: the old one's tags are void
        assert isinstance(queue, aio_pika.Queue)
        deliveries = _Deliveries(queue)
        async with deliveries:
            async for message in deliveries:
                batch = [message]
                if self.batch_handler is not None and not message.redelivered:
                    batch += deliveries.take_waiting(self.batch_size - 1)
                if len(batch) == 1 or not await self._process_batch(batch):
                    await self._process_each(batch, dlx)
                if deliveries.waiting() == 0 or self._unacked >= self.ack_every:
                    await self._ack_handled()

    async def _process_each(
        self, messages: Sequence[AbstractIncomingMessage], dlx: AbstractExchange
    ) -> None:
        for message in messages:
            if message.redelivered:
                # It may be what crashed the process last time: settle those handled before
                # it first, so a crash loop does not take them to the delivery limit too.
                await self._ack_handled()
            await self._process(message, dlx)

    async def _process_batch(self, messages: Sequence[AbstractIncomingMessage]) -> bool:
        """Hand the messages to the batch handler; False when they must go one by one."""
        assert self.batch_handler is not None
        if any(message.redelivered for message in messages):
            return False
        try:
            envelopes = [Envelope.from_json(message.body) for message in messages]
        except Exception:
            return False  # the one that does not parse is dead-lettered on its own
        try:
            await self.batch_handler(envelopes)
        except Exception as exc:
            log.warning(
                "consumer.batch_failed", service=self.service, size=len(messages), error=repr(exc)
            )
            return False
        self._handled = messages[-1]
        self._unacked += len(messages)
        self.stats.consumed += len(messages)
        for _ in messages:
            self._count("consumed")
        if self._on_handled:
            self._on_handled(envelopes)
        return True

    async def _ack_handled(self) -> None:
        """Ack every message handled so far on this channel (they are handled in order)."""
        if self._handled is not None:
            handled, self._handled, self._unacked = self._handled, None, 0
            await handled.ack(multiple=True)

    def _count(self, outcome: str) -> None:
        if self._on_outcome:
            self._on_outcome(outcome)

    async def _process(self, message: AbstractIncomingMessage, dlx: AbstractExchange) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except Exception as exc:
            # Mostly pydantic's ValidationError (UnknownEventType included), but an upcaster
            # that trips over an odd old payload may raise anything (KeyError, TypeError...);
            # letting that escape would crash the session and redeliver the message forever.
            await self._dead_letter(message, dlx, "unparseable", str(exc), attempts=0)
            return
        structlog.contextvars.bind_contextvars(
            correlation_id=envelope.correlation_id, event_id=str(envelope.event_id)
        )
        try:
            for attempt in range(1, self.retry.attempts + 1):
                try:
                    await self.handler(envelope)
                except Exception as exc:
                    log.warning(
                        "consumer.handler_failed",
                        service=self.service,
                        event_type=envelope.type,
                        attempt=attempt,
                        error=repr(exc),
                    )
                    if attempt == self.retry.attempts:
                        if await self._kept_aside(message, envelope, exc):
                            return
                        detail = "".join(traceback.format_exception_only(exc)).strip()
                        await self._dead_letter(message, dlx, "handler_failed", detail, attempt)
                        return
                    self.stats.retried += 1
                    await asyncio.sleep(self.retry.backoff(attempt))
                else:
                    self._handled = message
                    self._unacked += 1
                    self.stats.consumed += 1
                    self._count("consumed")
                    if self._on_handled:
                        self._on_handled((envelope,))
                    return
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "event_id")

    async def _kept_aside(
        self, message: AbstractIncomingMessage, envelope: Envelope, error: BaseException
    ) -> bool:
        """Set the event aside and count it handled; False when there is nowhere to keep it."""
        if self._set_aside is None:
            return False
        try:
            await self._set_aside(envelope, error)
        except Exception as exc:
            log.warning("consumer.set_aside_failed", service=self.service, error=repr(exc))
            return False
        self._handled = message
        await self._ack_handled()
        self.stats.set_aside += 1
        self._count("set_aside")
        return True

    async def _dead_letter(
        self,
        message: AbstractIncomingMessage,
        dlx: AbstractExchange,
        reason: str,
        error: str,
        attempts: int,
    ) -> None:
        headers = dict(message.headers or {})
        # A replayed dead letter comes back through the default exchange, its routing key the
        # queue's name: the key it was first published with is the one it already carries.
        original_key = headers.get(DEAD_LETTER_ROUTING_KEY) or message.routing_key or ""
        headers.update(
            {
                DEAD_LETTER_REASON: reason,
                DEAD_LETTER_ERROR: error[:2000],
                DEAD_LETTER_ATTEMPTS: attempts,
                DEAD_LETTER_ROUTING_KEY: original_key,
                DEAD_LETTER_AT: datetime.now(UTC).isoformat(),
            }
        )
        await dlx.publish(
            copy_with_headers(message, headers),
            routing_key=self.topology.dead_letter_queue(self.service),
        )
        # Acked only once the dead letter is confirmed: a crash in between redelivers it. With
        # every message handled before it, so none of them waits behind it.
        self._handled = message
        await self._ack_handled()
        self.stats.dead_lettered[reason] = self.stats.dead_lettered.get(reason, 0) + 1
        self._count(f"dead_lettered_{reason}")
        log.error(
            "consumer.dead_lettered",
            service=self.service,
            reason=reason,
            error=error[:500],
            message_id=message.message_id,
        )
