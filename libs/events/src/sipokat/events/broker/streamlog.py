"""The event log over RabbitMQ's native stream protocol (the `rabbitmq_stream` plugin, port 5552).

The same entries as the AMQP 0-9-1 reader (`eventlog.read_event_log`), in the same order, with the
same offsets, at about twice the rate: the broker sends whole chunks of the stream at once (one
frame for many messages, flow-controlled by chunk credits), with no per-message ack.

**The end of the log.** Unlike an AMQP 0-9-1 consumer, a stream-protocol subscriber learns where
the log ends: a subscription at `last` is delivered the stream's last committed chunk at once,
and its first offset plus its record count is one past the last offset. A replay (`idle` set)
asks for that before it starts and stops right after the entry at that offset, without waiting;
events appended meanwhile are left to the live consumer. `idle` still ends a replay that has
nothing to read (an empty log, or a start past the end), after that many seconds.

Messages published over AMQP 0-9-1 are stored as AMQP 1.0 messages; `decode_message` takes the
body (data sections) and the routing key (message annotation `x-routing-key`) out of them, with
a small parser for exactly the shapes the broker writes and rstream's full decoder otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from rstream import schema
from rstream.amqp import amqp_decoder
from rstream.client import Client, ClientPool
from rstream.constants import OffsetType

from sipokat.events.broker.topology import Topology

DEFAULT_STREAM_PORT = 5552
_SUBSCRIPTION = 1
_END_PROBE = 2
# Chunk credit: a chunk holds whatever the broker committed together, from one message (events
# published one by one) to thousands. The reader keeps about this many messages in flight,
# between these many chunks, and tops the credit up in steps (one frame per step, not per chunk).
_MESSAGES_IN_FLIGHT = 4000
_MIN_CHUNKS, _MAX_CHUNKS = 8, 1000


@dataclass(frozen=True)
class StreamAddress:
    host: str
    port: int
    username: str
    password: str
    vhost: str

    @classmethod
    def parse(cls, url: str) -> StreamAddress:
        """`rabbitmq-stream://user:password@host:5552/vhost` (an amqp:// URL is read the same,
        with the stream port unless it names one)."""
        parts = urlsplit(url)
        port = parts.port
        if port is None or parts.scheme in ("amqp", "amqps"):
            port = (
                DEFAULT_STREAM_PORT if parts.scheme != "rabbitmq-stream" or port is None else port
            )
        vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            username=unquote(parts.username or "guest"),
            password=unquote(parts.password or "guest"),
            vhost=vhost,
        )


def stream_url_for(amqp_url: str, port: int = DEFAULT_STREAM_PORT) -> str:
    """The stream protocol URL of the broker an AMQP URL names: same host, credentials, vhost."""
    parts = urlsplit(amqp_url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@" if credentials else ""
    return f"rabbitmq-stream://{netloc}{parts.hostname or '127.0.0.1'}:{port}{parts.path or '/'}"


async def stream_port_answers(url: str, wait: float = 1.0) -> bool:
    """True when something accepts TCP connections at the stream URL's host and port."""
    address = StreamAddress.parse(url)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address.host, address.port), wait
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


# ---------------------------------------------------------------- AMQP 1.0 messages

_DATA, _AMQP_VALUE, _MESSAGE_ANNOTATIONS = 0x75, 0x77, 0x72
_U32 = struct.Struct(">I")


class _Unexpected(Exception):
    """A shape the small parser does not read; the full decoder takes over."""


def _skip(buf: bytes, pos: int) -> int:
    """Position after the AMQP 1.0 value at `pos`."""
    code = buf[pos]
    pos += 1
    if code == 0x00:  # described: descriptor, then value
        return _skip(buf, _skip(buf, pos))
    width = code >> 4
    if width == 0x4:
        return pos
    if width == 0x5:
        return pos + 1
    if width == 0x6:
        return pos + 2
    if width == 0x7:
        return pos + 4
    if width == 0x8:
        return pos + 8
    if width == 0x9:
        return pos + 16
    if width in (0xA, 0xC, 0xE):  # variable/compound/array, one-byte size
        return pos + 1 + buf[pos]
    if width in (0xB, 0xD, 0xF):  # four-byte size
        return pos + 4 + int(_U32.unpack_from(buf, pos)[0])
    raise _Unexpected(hex(code))


def _string(buf: bytes, pos: int) -> tuple[str, int]:
    code = buf[pos]
    if code in (0xA1, 0xA3):  # str8, sym8
        size = buf[pos + 1]
        return buf[pos + 2 : pos + 2 + size].decode(), pos + 2 + size
    if code in (0xB1, 0xB3):  # str32, sym32
        size = _U32.unpack_from(buf, pos + 1)[0]
        return buf[pos + 5 : pos + 5 + size].decode(), pos + 5 + size
    raise _Unexpected(hex(code))


def _routing_key(buf: bytes, pos: int) -> str | None:
    """`x-routing-key` from the message annotations map at `pos`."""
    code = buf[pos]
    if code == 0xC1:
        count, pos = buf[pos + 2], pos + 3
    elif code == 0xD1:
        count, pos = _U32.unpack_from(buf, pos + 5)[0], pos + 9
    else:
        raise _Unexpected(hex(code))
    for _ in range(count // 2):
        key, pos = _string(buf, pos)
        if key == "x-routing-key":
            return _string(buf, pos)[0]
        pos = _skip(buf, pos)
    return None


def decode_message(message: bytes) -> tuple[str, bytes]:
    """(routing key, body) of a stream message that was published over AMQP 0-9-1."""
    try:
        return _decode_fast(message)
    except (_Unexpected, IndexError, struct.error, UnicodeDecodeError):
        return _decode_full(message)


def _decode_fast(buf: bytes) -> tuple[str, bytes]:
    pos, end = 0, len(buf)
    routing_key: str | None = None
    body: list[bytes] = []
    while pos < end:
        if buf[pos] != 0x00 or buf[pos + 1] != 0x53:  # described by a small ulong
            raise _Unexpected("section")
        section, pos = buf[pos + 2], pos + 3
        if section == _DATA:
            code = buf[pos]
            if code == 0xA0:
                size, start = buf[pos + 1], pos + 2
            elif code == 0xB0:
                size, start = _U32.unpack_from(buf, pos + 1)[0], pos + 5
            else:
                raise _Unexpected(hex(code))
            body.append(buf[start : start + size])
            pos = start + size
        elif section == _AMQP_VALUE:
            raise _Unexpected("amqp-value body")
        else:
            if section == _MESSAGE_ANNOTATIONS:
                routing_key = _routing_key(buf, pos)
            pos = _skip(buf, pos)
    if pos != end:
        raise _Unexpected("trailing bytes")
    return routing_key or "", b"".join(body)


def _decode_full(buf: bytes) -> tuple[str, bytes]:
    message = amqp_decoder(buf)
    annotations: dict[Any, Any] = message.message_annotations or {}
    key = annotations.get(b"x-routing-key", annotations.get("x-routing-key", ""))
    routing_key = key.decode() if isinstance(key, bytes) else str(key)
    body = message.body
    if isinstance(body, list):  # data sections
        body = b"".join(bytes(part) for part in body)
    elif isinstance(body, str):
        body = body.encode()
    return routing_key, bytes(body)


# ---------------------------------------------------------------- the reader


def _offset_spec(start: int | str) -> schema.OffsetSpec:
    if isinstance(start, int) and not isinstance(start, bool):
        return schema.OffsetSpec.from_params(OffsetType.OFFSET, start)
    kinds = {"first": OffsetType.FIRST, "last": OffsetType.LAST, "next": OffsetType.NEXT}
    if start not in kinds:
        raise ValueError(f"not an offset: {start!r}")
    return schema.OffsetSpec.from_params(kinds[start], None)


async def _connect(address: StreamAddress, name: str) -> tuple[ClientPool, Client]:
    pool = ClientPool(
        address.host,
        address.port,
        username=address.username,
        password=address.password,
        vhost=address.vhost,
        frame_max=1024 * 1024,
        heartbeat=60,
        load_balancer_mode=False,
        max_retries=1,
    )
    try:
        # Straight to the node the URL names (one node, or one holding a replica of the log):
        # the broker's advertised host may not resolve where this runs (a container's name).
        client = await pool.get(connection_name=name)
    except BaseException:
        await pool.close()
        raise
    return pool, client


async def _last_offset(client: Client, stream: str, wait: float) -> int | None:
    """The offset of the stream's last entry; None when it delivers nothing within `wait`."""
    chunks: asyncio.Queue[schema.Deliver] = asyncio.Queue()
    await client.run_queue_listener_task(_END_PROBE, chunks.put)
    client.add_handler(schema.Deliver, chunks.put, name=str(_END_PROBE))
    try:
        await client.subscribe(
            stream, _END_PROBE, schema.OffsetSpec.from_params(OffsetType.LAST, None), 1
        )
        try:
            chunk = await asyncio.wait_for(chunks.get(), wait)
        except TimeoutError:
            return None
        finally:
            await client.unsubscribe(_END_PROBE)
        return int(chunk.chunk_first_offset + chunk.num_records - 1)
    finally:
        client.remove_handler(schema.Deliver, name=str(_END_PROBE))
        await client.stop_queue_listener_task(_END_PROBE)


@dataclass(frozen=True)
class NativeEntry:
    offset: int
    routing_key: str
    body: bytes


async def read_stream_chunks(
    url: str,
    topology: Topology,
    *,
    start: int | str = "first",
    idle: float | None = 2.0,
    name: str = "event-log-reader",
) -> AsyncIterator[list[NativeEntry]]:
    """The log's entries from `start`, a chunk at a time (the broker's unit of delivery).

    With `idle` set this is a replay: it ends after the entry that was last when it started, or
    once nothing arrived for `idle` seconds; with None it follows the log forever. Raises
    `ConnectionError` when the connection is lost.
    """
    address = StreamAddress.parse(url)
    stream = topology.event_log
    spec = _offset_spec(start)
    loop = asyncio.get_running_loop()
    pool, client = await _connect(address, name)
    subscribed = False
    try:
        if not await client.stream_exists(stream):
            if idle is None:
                raise LookupError(f"no stream {stream}")
            return
        end: int | None = None
        if idle is not None and start != "next":
            end = await _last_offset(client, stream, min(idle, 1.0))
            if end is None or (isinstance(start, int) and start > end):
                return  # an empty log, or a start past its end: nothing to replay
        chunks: asyncio.Queue[schema.Deliver] = asyncio.Queue()
        await client.run_queue_listener_task(_SUBSCRIPTION, chunks.put)
        client.add_handler(schema.Deliver, chunks.put, name=str(_SUBSCRIPTION))
        credit = _MIN_CHUNKS * 4
        await client.subscribe(stream, _SUBSCRIPTION, spec, credit)
        subscribed = True
        chunks_seen = records_seen = 0
        first_wanted = start if isinstance(start, int) else -1
        tick = min(idle, 1.0) if idle is not None else 1.0
        quiet_since = loop.time()
        while True:
            try:
                # A chunk may hold one message: a timer and a task per wait would cost more
                # than the chunk's parsing, so wait only when none is there yet.
                chunk = (
                    chunks.get_nowait()
                    if chunks.qsize()
                    else await asyncio.wait_for(chunks.get(), tick)
                )
            except TimeoutError:
                if not client.is_connection_alive():
                    raise ConnectionError(
                        f"lost the broker connection while reading {stream}"
                    ) from None
                if idle is not None and loop.time() - quiet_since >= idle:
                    return
                continue
            quiet_since = loop.time()
            credit -= 1
            chunks_seen += 1
            records_seen += chunk.num_records
            wanted = _MESSAGES_IN_FLIGHT * chunks_seen // max(records_seen, 1)
            wanted = max(_MIN_CHUNKS, min(_MAX_CHUNKS, wanted))
            if credit <= wanted // 2:
                await client.credit(_SUBSCRIPTION, wanted - credit)
                credit = wanted
            entries = []
            offset = chunk.chunk_first_offset
            for message in chunk.get_messages():
                if offset >= first_wanted:  # a chunk may begin before the offset asked for
                    routing_key, body = decode_message(message)
                    entries.append(NativeEntry(offset, routing_key, body))
                offset += 1
                if end is not None and offset > end:
                    break
            if entries:
                yield entries
            if end is not None and offset > end:
                return
    finally:
        with contextlib.suppress(Exception):
            if subscribed and client.is_connection_alive():
                await asyncio.wait_for(client.unsubscribe(_SUBSCRIPTION), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pool.close(), 5)
