"""The demo over HTTP: RT heads submit at the offered rate and revise what was rejected;
verifier offices work their queues; the summary says what the platform was told."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from sipokat.events.catalogue import PhotoRef, RejectionReason, ReportContent, Tier
from sipokat.ops.demo.gateway import Gateway, retry_after_seconds
from sipokat.ops.demo.hint import console_hint
from sipokat.ops.demo.leave import busiest
from sipokat.ops.demo.mix import CityMix, PlannedReport
from sipokat.ops.demo.model import ConsoleHint, DemoConfig, DemoSummary, Tally
from sipokat.ops.demo.offices import Office, area_of
from sipokat.ops.demo.people import People, SignInError
from sipokat.ops.demo.photo import scene_jpeg
from sipokat.ops.demo.policy import Decision
from sipokat.wilayah import load_default_directory

WIB = ZoneInfo("Asia/Jakarta")  # activity dates are judged in WIB
# A revision is taken as soon as the rejection shows (intake asks verification for what the
# broker has not brought yet); 503 with Retry-After when verification cannot be asked.
REVISION_TRIES = 15

Observer = Callable[[Tally, str], None]
Announcer = Callable[[ConsoleHint], None]


@dataclass
class _Report:
    number: int  # the demo's own count: seeds the report's chances, so a seed repeats a run
    rt_code: str
    content: ReportContent


class Demo:
    def __init__(self, config: DemoConfig, gateway: Gateway, seed: int) -> None:
        self.config, self.gateway, self.seed = config, gateway, seed
        self.tally = gateway.tally
        directory = load_default_directory()
        self.mix = CityMix(directory, config.kota, random.Random(seed), datetime.now(WIB).date())
        city = directory.city(config.kota)
        self.city = city
        if config.leave is not None and not any(
            kel.code == config.leave for kec in city.kecamatan for kel in kec.kelurahan
        ):
            raise ValueError(f"leave: {config.leave} is no kelurahan of {city.name}")
        staff = max(1, math.ceil(config.rate / 5))  # one pemkot bucket (20/s) for the city
        self.offices: dict[tuple[Tier, str], Office] = {
            (Tier.KOTA, city.code): Office(Tier.KOTA, city.code, self, gateway, config, seed, staff)
        }
        for kecamatan in city.kecamatan:
            self._office(Tier.KECAMATAN, kecamatan.code)
            for kelurahan in kecamatan.kelurahan:
                self._office(Tier.KELURAHAN, kelurahan.code)
        self.reports: dict[str, _Report] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _office(self, tier: Tier, area: str) -> Office:
        key = (tier, area)
        if key not in self.offices:
            left = tier is Tier.KELURAHAN and area == self.config.leave
            self.offices[key] = Office(
                tier, area, self, self.gateway, self.config, self.seed, hands_off=left
            )
        return self.offices[key]

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ RT heads

    async def _photo(self, rt_code: str, key: str) -> PhotoRef | None:
        jpeg = scene_jpeg(random.Random(f"{self.seed}/photo/{key}"))
        answer = await self.gateway.send(
            "upload",
            "POST",
            "/v1/attachments",
            await self.gateway.auth("ketua_rt", rt_code),
            files={"file": ("foto-kegiatan.jpg", jpeg, "image/jpeg")},
        )
        if answer is None or answer.status_code != 201:
            return None
        self.tally.photos += 1
        body = answer.json()
        return PhotoRef(sha256=body["sha256"], content_type=body["content_type"])

    async def submit(self, plan: PlannedReport, number: int) -> None:
        content = plan.content
        if plan.with_photo and (photo := await self._photo(plan.rt_code, str(number))):
            content = content.model_copy(update={"photos": [photo]})
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await self.gateway.send(
            "submit",
            "POST",
            "/v1/reports",
            await self.gateway.auth("ketua_rt", plan.rt_code),
            json=content.model_dump(mode="json", exclude_none=True),
        )
        if answer is None or answer.status_code != 202:
            return
        self.tally.submit_latencies.append(loop.time() - started)
        self.tally.submitted += 1
        report_id = answer.json()["report_id"]
        self.reports[report_id] = _Report(number, plan.rt_code, content)
        self._awaits_lurah(report_id, plan.rt_code)

    async def _revise(self, report_id: str, reason: RejectionReason, round: int) -> None:
        rng = random.Random(f"{self.seed}/{self.key_of(report_id)}/{round}/revise")
        policy = self.config.policy
        if not policy.will_revise(rng):
            self.tally.abandoned.add(report_id)
            return
        await asyncio.sleep(policy.revision_delay_hours(rng) * 3600 / self.config.speed)
        report = self.reports[report_id]
        revision = policy.revise(rng, report.content, reason)
        content = revision.content
        if revision.needs_photo and len(content.photos) < 10:
            photo = await self._photo(report.rt_code, f"{report.number}/{round}")
            if photo is not None:
                content = content.model_copy(update={"photos": [*content.photos, photo]})
        for _ in range(REVISION_TRIES):
            answer = await self.gateway.send(
                "revise",
                "POST",
                f"/v1/reports/{report_id}/revisions",
                await self.gateway.auth("ketua_rt", report.rt_code),
                json=content.model_dump(mode="json", exclude_none=True),
            )
            if answer is None or answer.status_code != 503:
                break
            await asyncio.sleep(retry_after_seconds(answer))
        if answer is None or answer.status_code != 202:
            return
        self.tally.revised += 1
        self.reports[report_id] = _Report(report.number, report.rt_code, content)
        self._awaits_lurah(report_id, report.rt_code)

    def _awaits_lurah(self, report_id: str, rt_code: str) -> None:
        self.tally.reports[report_id] = "awaiting_kelurahan"
        kelurahan = rt_code.split("/")[0]
        if kelurahan == self.config.leave:
            self.tally.held.add(report_id)  # for a person: the drain does not wait for it
        self._office(Tier.KELURAHAN, kelurahan).expect(report_id)

    # ------------------------------------------------------------------ the offices' desk

    def content_of(self, report_id: str) -> ReportContent | None:
        report = self.reports.get(report_id)
        return report.content if report else None

    def lurah_to_show(self) -> str:
        """The kelurahan whose lurah a person should sign in as: the one left to them, else
        the one with most of this run's reports still waiting (then most sent at all)."""
        if self.config.leave is not None:
            return self.config.leave
        waiting: Counter[str] = Counter()
        sent: Counter[str] = Counter()
        for report_id, report in self.reports.items():
            kelurahan = report.rt_code.split("/")[0]
            sent[kelurahan] += 1
            waiting[kelurahan] += self.tally.reports.get(report_id) == "awaiting_kelurahan"
        if not sent:
            return busiest(self.city).code
        return max(sent, key=lambda kel: (waiting[kel], sent[kel]))

    def key_of(self, report_id: str) -> str:
        report = self.reports.get(report_id)
        return f"n{report.number}" if report else report_id

    def decided(self, tier: Tier, decision: Decision, answer: dict[str, Any]) -> None:
        report_id, status = answer["report_id"], answer["status"]
        if report_id in self.reports:
            self.tally.reports[report_id] = status
            self.tally.held.discard(report_id)  # a person decided it meanwhile
        if not decision.approve:
            self.tally.rejected[tier] += 1
            if report_id in self.reports and decision.reason_code is not None:
                self._spawn(self._revise(report_id, decision.reason_code, answer["round"]))
            return
        self.tally.approved[tier] += 1
        if status == "verified":
            self.tally.verified += 1
        elif status.startswith("awaiting_") and answer.get("tier"):
            next_tier = Tier(answer["tier"])
            self._office(next_tier, area_of(next_tier, answer["wilayah"])).expect(
                report_id, after=0
            )

    # ------------------------------------------------------------------ phases

    async def submit_phase(self, stop: asyncio.Event) -> float:
        """Offer reports at the configured rate (the schedule holds even when answers are slow,
        up to `concurrency` submissions in flight); returns the seconds it took."""
        loop = asyncio.get_running_loop()
        config = self.config
        started = loop.time()
        in_flight = asyncio.Semaphore(config.concurrency)
        submissions: set[asyncio.Task[None]] = set()
        number = 0
        while not stop.is_set() and (config.reports is None or number < config.reports):
            at = started + number / config.rate
            if config.duration is not None and at - started >= config.duration:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, at - loop.time()))
                break
            await in_flight.acquire()
            task = self._spawn(self.submit(self.mix.next_report(), number))
            task.add_done_callback(lambda _: in_flight.release())
            submissions.add(task)
            self.tally.offered += 1
            number += 1
        await asyncio.gather(*submissions, return_exceptions=True)
        return loop.time() - started

    async def drain_phase(self, stop: asyncio.Event) -> None:
        deadline = asyncio.get_running_loop().time() + self.config.drain
        while not stop.is_set() and self.tally.settled < len(self.tally.reports):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(0.2, remaining))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(office.close() for office in self.offices.values()))


def demo_admin_code(data_dir: Path) -> Callable[[], Awaitable[str]]:
    """How the demo gets its admin when it has none yet: a one-time admin code from identity's
    store in this machine's data folder (so the demo's first run is on the platform's host)."""

    async def code() -> str:
        try:
            from sipokat.identity.entrypoints.host import demo_code
            from sipokat.identity.settings import IdentitySettings
        except ImportError:
            raise SignInError("the demo needs the identity service (sipokat.identity)") from None
        return (await demo_code(IdentitySettings(data_dir=data_dir))).code

    return code


async def _tick(observer: Observer, tally: Tally, phase: list[str]) -> None:
    while True:
        observer(tally, phase[0])
        await asyncio.sleep(0.25)


async def run_demo(
    config: DemoConfig,
    observer: Observer | None = None,
    stop: asyncio.Event | None = None,
    announce: Announcer | None = None,
) -> DemoSummary:
    """Simulate the city against a running platform until the reports are submitted (and
    verified or left to a person, up to `config.drain` seconds more) or `stop` is set.

    With `config.leave`, `announce` is told at the start how to try the console as that
    kelurahan's lurah (its account is made first); the summary always says how."""
    stop = stop or asyncio.Event()
    seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**31)
    loop = asyncio.get_running_loop()
    started = loop.time()
    tally = Tally()
    phase = ["submitting"]
    limits = httpx.Limits(max_connections=config.concurrency)
    async with httpx.AsyncClient(base_url=config.gateway, timeout=30, limits=limits) as client:
        people = People(client, config.data_dir, demo_admin_code(config.data_dir))
        gateway = Gateway(client, tally, config.concurrency, people)
        demo = Demo(config, gateway, seed)
        if config.leave is not None and announce is not None:
            announce(await console_hint(config, gateway, demo.city, demo.lurah_to_show()))
        workers = [asyncio.create_task(office.work()) for office in demo.offices.values()]
        ticker = asyncio.create_task(_tick(observer, tally, phase)) if observer else None
        try:
            submit_seconds = await demo.submit_phase(stop)
            phase[0] = "verifying"
            await demo.drain_phase(stop)
        finally:
            background = [*workers, *([ticker] if ticker else [])]
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await demo.close()
        hint = await console_hint(config, gateway, demo.city, demo.lurah_to_show())
    if observer:
        observer(tally, "done")
    return DemoSummary.of(
        tally,
        seed=seed,
        kota=config.kota,
        elapsed=loop.time() - started,
        submit=submit_seconds,
        leave=config.leave,
        console=hint,
    )
