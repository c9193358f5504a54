"""An integrator's subscriber for Sipokat's events, with nothing but aio-pika.

Two ways in (docs/integrators.md explains both):

    python integrator_subscriber.py live --name dinas-pu --key report.verified --key 'report.#'
    python integrator_subscriber.py replay --offset-file offset.txt

`live` declares the integrator's own durable quorum queue bound to the `sipokat.events` exchange and
prints each event; it survives restarts of either side (the queue keeps what arrives meanwhile).
`replay` reads the `sipokat.events.log` stream from the offset after the one stored in the offset
file (or from the first event), prints each event and stores its offset, so a second run resumes
where the first stopped. Delivery is at least once either way: deduplicate on `event_id`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika

Handler = Callable[[dict[str, Any]], Awaitable[None]]


async def print_event(envelope: dict[str, Any]) -> None:
    data = envelope["data"]
    print(
        f"{envelope['occurred_at']} {envelope['type']:20} report {data['report_id']} "
        f"RT {data['wilayah']['rt_code']}"
    )


async def subscribe_live(
    url: str,
    exchange: str,
    queue_name: str,
    keys: list[str],
    handle: Handler,
    stop: asyncio.Event,
) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        events = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        for key in keys:
            await queue.bind(events, routing_key=key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            # Ack after handling: a crash in between redelivers the event, never loses it.
            await handle(json.loads(message.body))
            await message.ack()

        tag = await queue.consume(on_message)
        await stop.wait()
        await queue.cancel(tag)


def load_offset(path: Path) -> int | None:
    return int(path.read_text()) if path.exists() else None


def save_offset(path: Path, offset: int) -> None:
    # Write then rename: a crash never leaves a half-written offset behind.
    partial = path.with_suffix(".partial")
    partial.write_text(str(offset))
    os.replace(partial, path)


async def replay(
    url: str, log_queue: str, offset_file: Path, handle: Handler, idle_seconds: float = 3.0
) -> int:
    """Handle every event after the stored offset; stop when none came for `idle_seconds`."""
    stored = load_offset(offset_file)
    start: int | str = "first" if stored is None else stored + 1
    handled = 0
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=500)  # stream queues need a prefetch
        queue = await channel.get_queue(log_queue)
        arrivals: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(arrivals.put, arguments={"x-stream-offset": start})
        while True:
            try:
                message = await asyncio.wait_for(arrivals.get(), timeout=idle_seconds)
            except TimeoutError:
                return handled
            await handle(json.loads(message.body))
            save_offset(offset_file, int(message.headers["x-stream-offset"]))  # type: ignore[arg-type]
            await message.ack()
            handled += 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("mode", choices=["live", "replay"])
    parser.add_argument(
        "--url", default=os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1/")
    )
    parser.add_argument("--prefix", default="sipokat", help="broker name prefix of the platform")
    parser.add_argument("--name", default="example", help="live: your queue is integrator.<name>")
    parser.add_argument("--key", action="append", help="live: routing key pattern (repeatable)")
    parser.add_argument("--offset-file", type=Path, default=Path("sipokat-offset.txt"))
    args = parser.parse_args()
    if args.mode == "live":
        stop = asyncio.Event()
        queue = f"integrator.{args.name}"
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                subscribe_live(
                    args.url,
                    f"{args.prefix}.events",
                    queue,
                    args.key or ["report.#"],
                    print_event,
                    stop,
                )
            )
    else:
        count = asyncio.run(
            replay(args.url, f"{args.prefix}.events.log", args.offset_file, print_event)
        )
        print(f"{count} event(s); offset stored in {args.offset_file}")


if __name__ == "__main__":
    main()
