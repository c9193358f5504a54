"""The public RabbitMQ names of DESIGN §4 and their declarations.

Every name hangs off one prefix (`sipokat` in production) so that tests can run beside a live
platform on one broker without touching its queues.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

# Redeliveries of one message (crash loops included) before the broker dead-letters it itself;
# the consumer's own retries are counted separately and stay well below this.
QUORUM_DELIVERY_LIMIT = 20


@dataclass(frozen=True)
class Topology:
    prefix: str = "sipokat"

    @property
    def exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dlx"

    @property
    def event_log(self) -> str:
        return f"{self.prefix}.events.log"

    def service_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.dlq"

    def broadcast_exchange(self, service: str) -> str:
        """Among the replicas of `service` (see `broker.broadcast`); not for integrators."""
        return f"{self.prefix}.{service}.broadcast"


async def declare_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(topology.exchange, ExchangeType.TOPIC, durable=True)


async def declare_event_log(channel: AbstractChannel, topology: Topology) -> AbstractQueue:
    """The stream queue that keeps every event: the replayable event log."""
    exchange = await declare_exchange(channel, topology)
    log = await channel.declare_queue(
        topology.event_log, durable=True, arguments={"x-queue-type": "stream"}
    )
    await log.bind(exchange, routing_key="#")
    return log


async def declare_dead_letters(
    channel: AbstractChannel, topology: Topology, service: str
) -> AbstractExchange:
    dlx = await channel.declare_exchange(
        topology.dead_letter_exchange, ExchangeType.DIRECT, durable=True
    )
    dlq = await channel.declare_queue(
        topology.dead_letter_queue(service), durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dlq.bind(dlx, routing_key=topology.dead_letter_queue(service))
    return dlx


async def declare_service_queue(
    channel: AbstractChannel, topology: Topology, service: str, bindings: Iterable[str]
) -> AbstractQueue:
    """A service's durable quorum queue, bound to the routing keys it consumes."""
    exchange = await declare_exchange(channel, topology)
    await declare_dead_letters(channel, topology, service)
    queue = await channel.declare_queue(
        topology.service_queue(service),
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": topology.dead_letter_exchange,
            "x-dead-letter-routing-key": topology.dead_letter_queue(service),
            "x-delivery-limit": QUORUM_DELIVERY_LIMIT,
            # Replicas of a service attach to one queue; only one consumes at a time, so the
            # events of a report are applied in order (the others take over if it goes away).
            "x-single-active-consumer": True,
        },
    )
    for key in bindings:
        await queue.bind(exchange, routing_key=key)
    return queue
