"""The demo's HTTP door: 429s waited out, 409s counted as races, other answers as errors."""

from __future__ import annotations

from pathlib import Path

import httpx

from sipokat.ops.demo.gateway import Gateway, retry_after_seconds
from sipokat.ops.demo.model import DemoSummary, Tally
from sipokat.ops.demo.people import People

HEADERS = {"Authorization": "Bearer a-token"}


def gateway_answering(*answers: httpx.Response) -> tuple[Gateway, Tally, list[httpx.Request]]:
    queue, seen = list(answers), []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://gw")
    tally = Tally()
    people = People(client, Path("/nonexistent"), _code)
    return Gateway(client, tally, 4, people), tally, seen


async def test_a_429_is_waited_out_and_tried_again() -> None:
    gateway, tally, seen = gateway_answering(
        httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(202, json={})
    )
    answer = await gateway.send("submit", "POST", "/v1/reports", HEADERS)
    assert answer is not None and answer.status_code == 202
    assert (len(seen), tally.throttled, tally.errors) == (2, 1, {})


async def test_races_are_not_errors_but_other_refusals_are() -> None:
    gateway, tally, _ = gateway_answering(
        httpx.Response(409, json={"reason": "concurrent"}), httpx.Response(500, text="boom")
    )
    headers = HEADERS
    await gateway.send("decide", "POST", "/v1/reports/1/decisions", headers)
    await gateway.send("decide", "POST", "/v1/reports/1/decisions", headers)
    assert tally.races == 1
    assert tally.errors == {"500": 1}
    assert "boom" in tally.error_samples[0]
    summary = DemoSummary.of(tally, seed=1, kota="16.73", elapsed=1, submit=1)
    assert not summary.ok


async def test_a_person_who_cannot_sign_in_is_an_error_and_gets_no_token() -> None:
    gateway, tally, _ = gateway_answering(
        httpx.Response(401, json={"detail": "the code is wrong"}),
    )
    assert await gateway.auth("lurah", "16.73.02.1019") == {}
    assert tally.errors == {"sign-in": 1}
    assert "the demo's admin: 401" in tally.error_samples[0]


async def _code() -> str:
    return "ABCD-EFGH-JKMN"


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "2"})) == 2
    past = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_seconds(past) == 0
    assert retry_after_seconds(httpx.Response(429), default=1.5) == 1.5
