"""A lean open-loop load generator for POST /v1/reports: a fixed schedule, not closed-loop.

Report i is due at start + i / rate whatever happened to earlier ones, so a slow server does not
slow the offer down (no coordinated omission): latency is counted from the due time. Reports come
from every RT of the directory, each with its own RT head's token, so the gateway's per-subject
rate limit (20/s, burst 60 by default) applies as it would in the field.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import psutil

from sipokat.events.catalogue import Bidang, ReportKind
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.wilayah import load_default_directory

WIB = ZoneInfo("Asia/Jakarta")  # activity dates are judged in WIB


@dataclass(frozen=True)
class Sender:
    rt: str
    kota: str
    headers: dict[str, str]


@dataclass
class Accepted:
    report_id: str
    kota: str
    due: float  # time.monotonic() when the report was due to be sent
    answered: float  # ... when its 202 came back


@dataclass
class Offer:
    rate: float
    seconds: float
    offered: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)  # status code -> count
    errors: Counter[str] = field(default_factory=Counter)  # exception name -> count
    started: float = 0.0
    finished: float = 0.0  # the last answer
    cpu_seconds: float = 0.0  # this process, while offering
    max_schedule_lag: float = 0.0  # how late the generator itself sent a request

    @property
    def accepted_rate(self) -> float:
        return len(self.accepted) / max(self.seconds, self.finished - self.started)

    @property
    def cpu_share(self) -> float:
        """Share of one core the generator used over the offering."""
        return self.cpu_seconds / max(self.finished - self.started, 1e-9)


def senders() -> list[Sender]:
    settings = ServiceSettings()
    found = []
    for city in load_default_directory().cities:
        for kecamatan in city.kecamatan:
            for kelurahan in kecamatan.kelurahan:
                for rt in kelurahan.rt_codes():
                    token = mint_token(
                        settings, subject=f"ketua-rt:{rt}", role="ketua_rt", wilayah=rt
                    )
                    headers = {
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    }
                    found.append(Sender(rt, city.code, headers))
    return found


def bodies(count: int = 64, seed: int = 8) -> list[bytes]:
    """Bodies serialised once: a mix of kinds and fields, so analytics counts across bidang."""
    rng = random.Random(seed)
    today = datetime.now(WIB).date().isoformat()
    made = []
    for number in range(count):
        body = {
            "kind": rng.choice([ReportKind.KEGIATAN.value, ReportKind.USULAN.value]),
            "bidang": rng.choice(list(Bidang)).value,
            "title": f"Kerja bakti warga nomor {number}",
            "description": "Warga bergotong royong membersihkan saluran air dan jalan lingkungan.",
            "activity_date": today,
        }
        made.append(json.dumps(body).encode())
    return made


class _Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time. A hand-rolled client on asyncio
    streams, not httpx: httpx costs about 0.9 ms of CPU per request here (0.93 of a core to offer
    1,000/s to the bare app), which on a 2-core machine takes half the machine from the services
    under test; this costs a fraction of that (see the figure of the generator's CPU)."""

    IDLE_LIMIT = 4.0  # uvicorn closes idle keep-alive connections after 5 s

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None or time.monotonic() - self.used > self.IDLE_LIMIT:
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        self.used = time.monotonic()
        return int(head[9:12]), body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def offer(
    url: str, rate: float, seconds: float, who: list[Sender], connections: int = 256
) -> Offer:
    """Offer `rate` reports/s for `seconds` to `url` (…/v1/reports) and wait for every answer.

    Due reports go into one queue that `connections` keep-alive connections take from: a report
    due while all are busy waits, timed from its due time, as a browser's request would."""
    result = Offer(rate, seconds)
    total = int(rate * seconds)
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    heads = [
        (
            f"POST {target.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {sender.headers['Authorization']}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        for sender in who
    ]
    payloads = [b"Content-Length: %d\r\n\r\n%s" % (len(body), body) for body in bodies()]
    order = random.Random(1).sample(range(len(who)), len(who))  # RTs in a shuffled round robin
    due_reports: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def work() -> None:
        connection = _Connection(host, port)
        try:
            while (job := await due_reports.get()) is not None:
                number, due = job
                sender = order[number % len(order)]
                try:
                    status, body = await connection.request(
                        heads[sender] + payloads[number % len(payloads)]
                    )
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                    result.errors[type(exc).__name__] += 1
                    await connection.close()
                    continue
                answered = time.monotonic()
                result.finished = max(result.finished, answered)
                if status == 202:
                    # the bare baseline app answers 202 without a body
                    report_id = json.loads(body)["report_id"] if body else ""
                    result.accepted.append(Accepted(report_id, who[sender].kota, due, answered))
                else:
                    result.refused[status] += 1
        finally:
            await connection.close()

    process = psutil.Process()
    cpu_before = sum(process.cpu_times()[:2])
    workers = [asyncio.create_task(work()) for _ in range(connections)]
    result.started = start = time.monotonic() + 0.05
    sent = 0
    while sent < total:
        now = time.monotonic()
        due_now = min(total, int((now - start) * rate) + 1)
        while sent < due_now:
            due = start + sent / rate
            result.max_schedule_lag = max(result.max_schedule_lag, now - due)
            due_reports.put_nowait((sent, due))
            sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
    result.offered = sent
    for _ in workers:
        due_reports.put_nowait(None)
    await asyncio.gather(*workers)
    result.cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
    result.finished = max(result.finished, time.monotonic())
    return result
