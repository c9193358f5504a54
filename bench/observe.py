"""Watches the platform's outputs from a process of its own, so that observing neither competes
with the load generator's event loop nor delays the arrival times it records.

- Lurah inboxes: one SSE stream (`GET /v1/notifications/stream`, straight to the notification
  service, not through the gateway) per kelurahan of the directory. Each new inbox item arrives as
  it is stored, with its report id: arrival times are exact per report (to the observer's own
  scheduling, well under a millisecond when idle).
- Analytics: `GET /v1/analytics/summary?wilayah=<kota>` per kota every `interval` seconds
  (straight to analytics): `total_reports` of the kota, one counter document read (≈ 1 ms of
  analytics' CPU; the per-kelurahan ranking costs 3 ms, 0.12 of a core at 20 Hz). The j-th
  accepted report of a kota (in 202 order) is taken as visible at the first poll that counted j or
  more. Reports of a kota reach analytics in the order intake stored them, which is their 202
  order to within a group commit, so the attribution is exact to one interval plus one query,
  always erring late. Each kota is polled with its own pemkot's token: one subject polling both
  at 20 Hz made 40 requests/s, twice the per-subject rate limit, and the refused polls (429)
  looked like seconds of view latency. A poll that is not answered 200 is counted in
  `refused_polls`.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from typing import Any

import httpx

from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.wilayah import load_default_directory

Poll = tuple[float, dict[str, int]]  # when the answer came, reports per kota code


@dataclass
class Observed:
    notified: dict[str, float] = field(default_factory=dict)  # report id -> first SSE arrival
    polls: list[Poll] = field(default_factory=list)  # only polls where some count changed
    poll_count: int = 0
    refused_polls: int = 0  # answers other than 200 (or none): the count read stays the last one
    resyncs: int = 0  # streams that fell behind (the hub cut them off): arrivals may be missed
    duplicate_notices: int = 0


def _token(role: str, wilayah: str | None) -> dict[str, str]:
    subject = f"bench-{role}-{wilayah}"
    token = mint_token(ServiceSettings(), subject=subject, role=role, wilayah=wilayah)
    return {"Authorization": f"Bearer {token}"}


async def _follow_inbox(
    client: httpx.AsyncClient, url: str, kelurahan: str, seen: Observed, ready: asyncio.Queue[str]
) -> None:
    headers = _token("lurah", kelurahan) | {"Accept": "text/event-stream"}
    while True:  # reconnect after a resync: items missed meanwhile show up as lost
        async with client.stream("GET", url, headers=headers, timeout=None) as answer:
            event = ""
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                    if event == "ready":
                        ready.put_nowait(kelurahan)
                    elif event == "resync":
                        seen.resyncs += 1
                elif line.startswith("data:") and event == "notification":
                    arrived = time.monotonic()
                    report_id = json.loads(line[5:])["report_id"]
                    if report_id in seen.notified:
                        seen.duplicate_notices += 1
                    else:
                        seen.notified[report_id] = arrived


async def _poll_analytics(
    client: httpx.AsyncClient, url: str, kotas: list[str], interval: float, seen: Observed
) -> None:
    headers = {kota: _token("pemkot", kota) for kota in kotas}
    last: dict[str, int] = {}
    next_at = time.monotonic()
    while True:
        answers = await asyncio.gather(
            *(client.get(url, params={"wilayah": k}, headers=headers[k]) for k in kotas),
            return_exceptions=True,
        )
        arrived = time.monotonic()
        counts = dict(last)
        for kota, answer in zip(kotas, answers, strict=True):
            if isinstance(answer, httpx.Response) and answer.status_code == 200:
                counts[kota] = answer.json()["total_reports"]
            else:
                seen.refused_polls += 1
        seen.poll_count += 1
        if counts != last:
            seen.polls.append((arrived, counts))
            last = counts
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def _observe(
    notification_url: str,
    analytics_url: str,
    interval: float,
    ready: EventType,
    stop: EventType,
) -> Observed:
    directory = load_default_directory()
    kelurahan = [k.code for c in directory.cities for kc in c.kecamatan for k in kc.kelurahan]
    seen = Observed()
    streams_ready: asyncio.Queue[str] = asyncio.Queue()
    limits = httpx.Limits(max_connections=len(kelurahan) + 16)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        stream_url = f"{notification_url}/v1/notifications/stream"
        summary_url = f"{analytics_url}/v1/analytics/summary"
        tasks = [
            asyncio.create_task(_follow_inbox(client, stream_url, code, seen, streams_ready))
            for code in kelurahan
        ]
        for _ in kelurahan:
            await streams_ready.get()
        kotas = [c.code for c in directory.cities]
        poller = _poll_analytics(client, summary_url, kotas, interval, seen)
        tasks.append(asyncio.create_task(poller))
        ready.set()
        await asyncio.to_thread(stop.wait)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return seen


def _run(
    notification_url: str,
    analytics_url: str,
    interval: float,
    ready: EventType,
    stop: EventType,
    results: multiprocessing.Queue[Any],
) -> None:
    seen = asyncio.run(_observe(notification_url, analytics_url, interval, ready, stop))
    results.put(seen)


class Observer:
    """The observer process: `start()` returns once every inbox stream is open, `finish()` stops
    it and returns what it saw."""

    def __init__(self, notification_url: str, analytics_url: str, interval: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._ready, self._stop = context.Event(), context.Event()
        self._results: multiprocessing.Queue[Any] = context.Queue()
        urls = (notification_url, analytics_url)
        self._process = context.Process(
            target=_run,
            args=(*urls, interval, self._ready, self._stop, self._results),
            daemon=True,
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self, timeout: float = 60) -> None:
        self._process.start()
        if not self._ready.wait(timeout):
            self.kill()
            raise TimeoutError("the observer's inbox streams did not open")

    def finish(self, timeout: float = 60) -> Observed:
        self._stop.set()
        seen: Observed = self._results.get(timeout=timeout)
        self._process.join(timeout=10)
        return seen

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=10)
