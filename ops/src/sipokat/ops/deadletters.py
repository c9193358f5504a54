"""Dead letters of a service: list, inspect, replay into the service's queue, or purge.

Reading a dead-letter queue takes messages without acknowledging them and then hands them back,
so listing changes nothing; replay publishes a message to the service's own queue (not to the
exchange, which would deliver it to every service again) and removes it from the DLQ only after
the broker confirmed the copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from sipokat.events.broker.connection import connect
from sipokat.events.broker.consumer import (
    DEAD_LETTER_AT,
    DEAD_LETTER_ATTEMPTS,
    DEAD_LETTER_ERROR,
    DEAD_LETTER_REASON,
    DEAD_LETTER_ROUTING_KEY,
    copy_with_headers,
)
from sipokat.events.broker.topology import Topology, declare_dead_letters

REPLAYED = "x-sipokat-replayed"


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    routing_key: str
    reason: str
    error: str
    attempts: int
    dead_lettered_at: str
    replayed: int
    body: bytes

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> DeadLetter:
        headers: dict[str, Any] = dict(message.headers or {})
        return cls(
            message_id=message.message_id,
            routing_key=str(headers.get(DEAD_LETTER_ROUTING_KEY, "")),
            reason=str(headers.get(DEAD_LETTER_REASON, "broker")),  # broker: delivery limit hit
            error=str(headers.get(DEAD_LETTER_ERROR, "")),
            attempts=_count(headers.get(DEAD_LETTER_ATTEMPTS)),
            dead_lettered_at=str(headers.get(DEAD_LETTER_AT, "")),
            replayed=_count(headers.get(REPLAYED)),
            body=message.body,
        )


def _count(header: object) -> int:
    return header if isinstance(header, int) else 0


async def _take(queue: AbstractQueue, limit: int) -> list[AbstractIncomingMessage]:
    taken: list[AbstractIncomingMessage] = []
    while len(taken) < limit:
        message = await queue.get(no_ack=False, fail=False, timeout=5)
        if message is None:
            break
        taken.append(message)
    return taken


async def _open(url: str, topology: Topology, service: str) -> tuple[Any, Any, AbstractQueue]:
    connection = await connect(url, "sipokat-ops")
    channel = await connection.channel(publisher_confirms=True)
    await declare_dead_letters(channel, topology, service)
    queue = await channel.declare_queue(topology.dead_letter_queue(service), passive=True)
    return connection, channel, queue


async def list_dead_letters(
    url: str, topology: Topology, service: str, limit: int = 100
) -> list[DeadLetter]:
    connection, _, queue = await _open(url, topology, service)
    try:
        taken = await _take(queue, limit)
        letters = [DeadLetter.of(m) for m in taken]
        for message in taken:
            await message.nack(requeue=True)
        return letters
    finally:
        await connection.close()


async def replay_dead_letters(
    url: str, topology: Topology, service: str, message_ids: Sequence[str] = (), limit: int = 1000
) -> int:
    """Put dead letters (all, or those with the given message ids) back on the service's queue."""
    connection, channel, queue = await _open(url, topology, service)
    replayed = 0
    try:
        for message in await _take(queue, limit):
            if message_ids and message.message_id not in message_ids:
                await message.nack(requeue=True)
                continue
            headers = dict(message.headers or {})
            headers[REPLAYED] = _count(headers.get(REPLAYED)) + 1
            await channel.default_exchange.publish(
                copy_with_headers(message, headers), routing_key=topology.service_queue(service)
            )
            await message.ack()
            replayed += 1
        return replayed
    finally:
        await connection.close()


async def purge_dead_letters(url: str, topology: Topology, service: str) -> int:
    connection, _, queue = await _open(url, topology, service)
    try:
        purged = await queue.purge()
        return int(purged.message_count or 0)
    finally:
        await connection.close()


async def queue_depths(url: str, topology: Topology, services: Sequence[str]) -> dict[str, Any]:
    """Messages waiting and consumers attached, per service queue and its DLQ."""
    connection = await connect(url, "sipokat-ops")
    depths: dict[str, Any] = {}
    try:
        for service in services:
            for name in (topology.service_queue(service), topology.dead_letter_queue(service)):
                channel = await connection.channel()
                try:
                    declared = await channel.declare_queue(name, passive=True)
                    ok = declared.declaration_result
                    depths[name] = {"messages": ok.message_count, "consumers": ok.consumer_count}
                except aio_pika.exceptions.ChannelClosed:
                    depths[name] = None  # not declared yet: the service never ran
        return depths
    finally:
        await connection.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)
