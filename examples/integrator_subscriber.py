"""An integrator's subscriber for Sipokat's events, with nothing but aio-pika.

Two ways in (docs/integrators.md explains both):

    python integrator_subscriber.py live --name dinas-pu --key report.verified --key 'report.#'
    python integrator_subscriber.py replay --offset-file offset.txt

`live` declares the integrator's own durable quorum queue bound to the `<prefix>.events` exchange
and prints each event; it survives restarts of either side (the queue keeps what arrives meanwhile).
`replay` reads the `<prefix>.events.log` stream from the offset after the one stored in the offset
file (or from the first event), prints each event and stores its offset, so a second run resumes
where the first stopped. Delivery is at least once either way: deduplicate on `event_id`.

The prefix is the platform's broker prefix: `--prefix`, else SIPOKAT_BROKER_PREFIX, else `sipokat`.
Whatever else a live platform's exchange carried (a test's or a broken publisher's message) is in
the log too: an entry that is not an event envelope is reported on stderr, with its offset and why,
and skipped (its offset is stored like any other), never a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika

Handler = Callable[[dict[str, Any]], Awaitable[None]]
# Told where an entry that is not an event was skipped (its stream offset, or the message id on a
# live queue) and why.
Skipped = Callable[[str, str], None]

# What every envelope carries (docs/integrators.md).
ENVELOPE_FIELDS = ("event_id", "type", "schema_version", "stream_id", "occurred_at", "data")


class NotAnEvent(ValueError):
    pass


def parse_event(body: bytes) -> dict[str, Any]:
    """The event envelope a message holds; NotAnEvent, saying why, when it holds none."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON; nesting too deep
        raise NotAnEvent(f"not JSON ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if not isinstance(envelope, dict):
        raise NotAnEvent(f"not an event envelope: a JSON {type(envelope).__name__}")
    missing = [name for name in ENVELOPE_FIELDS if name not in envelope]
    if missing:
        raise NotAnEvent(f"not an event envelope: no {', '.join(missing)}")
    if not isinstance(envelope["data"], dict):
        raise NotAnEvent("not an event envelope: data is not an object")
    return envelope


def report_skipped(where: str, reason: str) -> None:
    print(f"skipped {where}: {reason}", file=sys.stderr, flush=True)


async def print_event(envelope: dict[str, Any]) -> None:
    data = envelope["data"]
    wilayah = data.get("wilayah") if isinstance(data.get("wilayah"), dict) else {}
    print(
        f"{envelope['occurred_at']} {envelope['type']:20} report {data.get('report_id')} "
        f"RT {wilayah.get('rt_code')}",
        flush=True,
    )


async def subscribe_live(
    url: str,
    exchange: str,
    queue_name: str,
    keys: list[str],
    handle: Handler,
    stop: asyncio.Event,
    skipped: Skipped = report_skipped,
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
            try:
                envelope = parse_event(message.body)
            except NotAnEvent as exc:
                skipped(f"message {message.message_id}", str(exc))
                await message.reject()  # to your queue's dead-letter exchange, if it has one
                return
            # Ack after handling: a crash in between redelivers the event, never loses it.
            await handle(envelope)
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
    url: str,
    log_queue: str,
    offset_file: Path,
    handle: Handler,
    idle_seconds: float = 3.0,
    skipped: Skipped = report_skipped,
) -> int:
    """Handle every event after the stored offset; stop when none came for `idle_seconds`.
    Returns how many were handled. An entry that is no event is passed to `skipped` and its
    offset stored all the same; an error of `handle` stops the replay before its offset is stored,
    so the next run starts at that event again."""
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
            offset = int(message.headers["x-stream-offset"])  # type: ignore[arg-type]
            try:
                envelope = parse_event(message.body)
            except NotAnEvent as exc:
                skipped(f"offset {offset}", str(exc))
            else:
                await handle(envelope)
                handled += 1
            save_offset(offset_file, offset)
            await message.ack()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("mode", choices=["live", "replay"])
    parser.add_argument(
        "--url", default=os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1/")
    )
    parser.add_argument(
        "--prefix",
        default=os.environ.get("SIPOKAT_BROKER_PREFIX", "sipokat"),
        help="broker name prefix of the platform (default: SIPOKAT_BROKER_PREFIX, else sipokat)",
    )
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
        skips: list[str] = []

        def skip(where: str, reason: str) -> None:
            skips.append(where)
            report_skipped(where, reason)

        count = asyncio.run(
            replay(
                args.url, f"{args.prefix}.events.log", args.offset_file, print_event, skipped=skip
            )
        )
        print(f"{count} event(s), {len(skips)} skipped; offset stored in {args.offset_file}")


if __name__ == "__main__":
    main()
