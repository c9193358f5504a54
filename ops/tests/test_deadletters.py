"""Dead letters through the ops commands, against the real broker."""

from __future__ import annotations

import asyncio

import aio_pika
import pytest

from sipokat.events.broker.consumer import DEAD_LETTER_ERROR, DEAD_LETTER_REASON
from sipokat.events.broker.topology import declare_dead_letters, declare_service_queue
from sipokat.events.testing import TrackedTopology, make_submitted
from sipokat.ops.cli import main
from sipokat.ops.deadletters import (
    list_dead_letters,
    purge_dead_letters,
    queue_depths,
    replay_dead_letters,
)

SERVICE = "analytics"


async def _dead_letter(url: str, topology: TrackedTopology, body: bytes, message_id: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_service_queue(channel, topology, SERVICE, ["report.#"])
        dlx = await declare_dead_letters(channel, topology, SERVICE)
        await dlx.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                headers={DEAD_LETTER_REASON: "handler_failed", DEAD_LETTER_ERROR: "boom"},
            ),
            routing_key=topology.dead_letter_queue(SERVICE),
        )


async def test_list_leaves_letters_in_place_and_replay_moves_them_back(
    rabbitmq_url: str, topology: TrackedTopology
) -> None:
    first, second = make_submitted(), make_submitted()
    await _dead_letter(rabbitmq_url, topology, first.to_json(), str(first.event_id))
    await _dead_letter(rabbitmq_url, topology, second.to_json(), str(second.event_id))

    listed = await list_dead_letters(rabbitmq_url, topology, SERVICE)
    assert {letter.message_id for letter in listed} == {str(first.event_id), str(second.event_id)}
    assert {(letter.reason, letter.error) for letter in listed} == {("handler_failed", "boom")}
    assert len(await list_dead_letters(rabbitmq_url, topology, SERVICE)) == 2  # still there

    moved = await replay_dead_letters(
        rabbitmq_url, topology, SERVICE, message_ids=[str(first.event_id)]
    )
    assert moved == 1
    depths = await queue_depths(rabbitmq_url, topology, [SERVICE])
    assert depths[topology.service_queue(SERVICE)]["messages"] == 1
    assert depths[topology.dead_letter_queue(SERVICE)]["messages"] == 1
    remaining = await list_dead_letters(rabbitmq_url, topology, SERVICE)
    assert [letter.message_id for letter in remaining] == [str(second.event_id)]

    assert await purge_dead_letters(rabbitmq_url, topology, SERVICE) == 1
    assert await list_dead_letters(rabbitmq_url, topology, SERVICE) == []


async def test_inspect_shows_why_and_the_whole_body(
    rabbitmq_url: str,
    topology: TrackedTopology,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = make_submitted()
    await _dead_letter(rabbitmq_url, topology, event.to_json(), str(event.event_id))
    await _dead_letter(rabbitmq_url, topology, b"{not json", "poison-1")
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url)
    monkeypatch.setenv("SIPOKAT_BROKER_PREFIX", topology.prefix)

    wanted = ["--message-id", str(event.event_id), "--message-id", "poison-1"]
    code = await asyncio.to_thread(main, ["dlq", "inspect", SERVICE, *wanted])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("handler_failed after") == 2 and "error             boom" in out
    assert f'"report_id": "{event.data.report_id}"' in out  # type: ignore[attr-defined]
    assert "{not json" in out  # shown as it came

    code = await asyncio.to_thread(main, ["dlq", "inspect", SERVICE, "--message-id", "absent"])
    assert code == 1
    assert "no dead letter absent" in capsys.readouterr().err
    assert len(await list_dead_letters(rabbitmq_url, topology, SERVICE)) == 2  # left in place
