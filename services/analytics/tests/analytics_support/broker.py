"""Publishing events onto a test topology as the producers' relays would."""

from __future__ import annotations

from collections.abc import Iterable

import aio_pika

from sipokat.analytics.bootstrap import BINDINGS
from sipokat.events.broker.topology import Topology, declare_event_log, declare_service_queue
from sipokat.events.envelope import Envelope


async def publish(url: str, topology: Topology, events: Iterable[Envelope]) -> None:
    """Publish with confirms; the event log and the analytics queue exist before the first."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_event_log(channel, topology)
        await declare_service_queue(channel, topology, "analytics", BINDINGS)
        exchange = await channel.get_exchange(topology.exchange)
        for event in events:
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    message_id=str(event.event_id),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.data.routing_key(),
                mandatory=True,
            )
