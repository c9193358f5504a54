"""Both event log readers on a real broker: AMQP 0-9-1 (aio-pika) and the native stream protocol
(rstream) return exactly the same entries in the same order, from the first offset and from any
offset; the native one ends at the log's last entry without waiting; and a rebuild through each
gives the same documents, equal to the independent computation."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import pytest
from analytics_support.broker import publish
from analytics_support.checks import assert_matches_oracle
from analytics_support.oracle import Oracle
from analytics_support.scenario import generate

from sipokat.analytics.domain.areas import Area
from sipokat.analytics.handlers import VIEW
from sipokat.analytics.queries import (
    FACTS,
    OPEN311,
    PROGRAMMES,
    Reader,
    aggregate_collection,
)
from sipokat.events.broker.eventlog import LogEntry, read_event_log, read_event_log_native
from sipokat.events.broker.streamlog import decode_message, stream_port_answers, stream_url_for
from sipokat.events.logrebuild import _cyclic_gc_paused, rebuild
from sipokat.events.store.base import ViewStore
from sipokat.events.store.sqlite import SqliteDatabase
from sipokat.events.testing import TrackedTopology
from sipokat.wilayah import load_default_directory

pytestmark = pytest.mark.broker


@pytest.fixture
async def stream_url(rabbitmq_url: str) -> str:
    url = stream_url_for(rabbitmq_url)
    # scripts/ensure-rabbitmq.sh enables the plugin; a broker without it is a failure here.
    assert await stream_port_answers(url), f"no stream protocol at {url} (rabbitmq_stream plugin)"
    return url


async def read(reader: Any, url: str, topology: TrackedTopology, start: Any) -> list[LogEntry]:
    return [entry async for entry in reader(url, topology, start=start, idle=1.0)]


def triples(entries: list[LogEntry]) -> list[tuple[int, str, bytes]]:
    return [(e.offset, e.routing_key, e.body) for e in entries]


async def documents(views: ViewStore) -> dict[str, list[dict[str, Any]]]:
    levels = ("kota", "kecamatan", "kelurahan", "rt")
    names = [FACTS, PROGRAMMES, OPEN311, *(aggregate_collection(x) for x in levels)]
    return {name: await views.find(name, limit=1_000_000) for name in names}


async def test_both_readers_return_the_same_entries(
    rabbitmq_url: str, stream_url: str, topology: TrackedTopology
) -> None:
    topology.service_queue("analytics")
    events = generate(seed=31, reports=40)
    await publish(rabbitmq_url, topology, events)  # one by one: many small chunks

    amqp = await read(read_event_log, rabbitmq_url, topology, "first")
    started = time.monotonic()
    native = [e async for e in read_event_log_native(stream_url, topology, idle=30.0)]
    assert time.monotonic() - started < 10, "the native replay waited instead of ending"
    assert triples(native) == triples(amqp)
    assert [e.envelope for e in native] == events
    assert [e.routing_key for e in native] == [e.data.routing_key() for e in events]
    offsets = [e.offset for e in native]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)

    for k in (0, 1, len(events) // 2, len(events) - 1):
        start = native[k].offset
        from_amqp = await read(read_event_log, rabbitmq_url, topology, start)
        from_native = await read(read_event_log_native, stream_url, topology, start)
        assert triples(from_native) == triples(from_amqp) == triples(native[k:]), k

    # past the end there is nothing to replay
    assert await read(read_event_log_native, stream_url, topology, offsets[-1] + 1) == []


def test_the_message_parser_agrees_with_the_full_amqp_decoder() -> None:
    from rstream.amqp import AMQPMessage

    from sipokat.events.broker import streamlog

    message = AMQPMessage(
        body=b'{"x": 1}',
        message_annotations={
            b"x-exchange": b"sipokat.events",
            b"x-routing-key": b"report.verified",
        },
        application_properties={b"n": 3},
    )
    encoded = bytes(message)
    assert decode_message(encoded) == ("report.verified", b'{"x": 1}')
    assert streamlog._decode_full(encoded) == ("report.verified", b'{"x": 1}')


async def test_rebuilds_through_either_reader_give_the_same_documents(
    rabbitmq_url: str, stream_url: str, topology: TrackedTopology, tmp_path: Path
) -> None:
    topology.service_queue("analytics")
    events = generate(seed=32, reports=150)
    await publish(rabbitmq_url, topology, events)
    await publish(rabbitmq_url, topology, events[:50])  # replayed duplicates change nothing

    rebuilt = {}
    for name, url in (("native", stream_url), ("amqp", "off")):
        database = await SqliteDatabase.open(tmp_path / f"{name}.db")
        try:
            report = await rebuild(
                database, VIEW, rabbitmq_url, topology, idle=1.0, stream_url=url, batch_size=300
            )
            assert report.state == "done" and report.reader == name
            assert report.events_read == len(events) + 50
            assert gc.isenabled()  # paused for the replay only
            reader = Reader(database.views, load_default_directory(), 50_000_000)
            await assert_matches_oracle(
                reader, Oracle(events, lambda _: True), Area("kota", "16.73")
            )
            rebuilt[name] = await documents(database.views)
        finally:
            await database.close()
    assert rebuilt["native"] == rebuilt["amqp"]
    assert rebuilt["native"][FACTS]


def test_the_replay_pauses_the_cycle_collector_and_restores_it_even_on_failure() -> None:

    assert gc.isenabled()
    with pytest.raises(RuntimeError), _cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("broker gone")
    assert gc.isenabled()
    gc.disable()  # a process that runs without it keeps running without it
    try:
        with _cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
