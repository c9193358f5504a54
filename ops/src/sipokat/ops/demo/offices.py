"""Verifier offices (a lurah, a camat, the pemkot): each looks at its queue when a report is
expected or now and then, and decides each report once its simulated delay has passed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from random import Random
from typing import Any, Protocol

from sipokat.events.catalogue import ReportContent, Tier
from sipokat.ops.demo.gateway import Gateway
from sipokat.ops.demo.model import DemoConfig
from sipokat.ops.demo.policy import Decision

ROLE_OF_TIER = {Tier.KELURAHAN: "lurah", Tier.KECAMATAN: "camat", Tier.KOTA: "pemkot"}
MIN_LOOK_INTERVAL = 0.3  # seconds between two looks at one queue: announcements coalesce
LOOK_RETRY = 0.5
MAX_PAGES = 5


def area_of(tier: Tier, wilayah: Mapping[str, Any]) -> str:
    return str(
        wilayah[
            {"kelurahan": "kelurahan_code", "kecamatan": "kecamatan_code"}.get(tier, "kota_code")
        ]
    )


class Desk(Protocol):
    """What an office needs from the rest of the demo."""

    def content_of(self, report_id: str) -> ReportContent | None: ...

    def key_of(self, report_id: str) -> str:
        """What seeds the chances of the report's decisions: stable across looks and runs."""
        ...

    def decided(self, tier: Tier, decision: Decision, answer: dict[str, Any]) -> None: ...


class Office:
    def __init__(
        self,
        tier: Tier,
        area: str,
        desk: Desk,
        gateway: Gateway,
        config: DemoConfig,
        seed: int,
        staff: int = 1,
        hands_off: bool = False,
    ) -> None:
        self.tier, self.area, self.desk, self.gateway = tier, area, desk, gateway
        self.config, self.seed = config, seed
        self.role = ROLE_OF_TIER[tier]
        self.hands_off = hands_off  # left to a person (`--leave`): never looks nor decides
        # Several staff (own accounts, own rate buckets) when one person could not keep up.
        self._staff = itertools.cycle(range(1, staff + 1))
        self._looks: dict[str, tuple[float, int]] = {}  # report id -> (look for it at, tries)
        self._handled: set[tuple[str, int, int]] = set()  # (report id, round, version) taken
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def expect(self, report_id: str, tries: int = 40, after: float = MIN_LOOK_INTERVAL) -> None:
        """A report should reach this queue soon (it travels through RabbitMQ to verification)."""
        at = asyncio.get_running_loop().time() + after
        earlier = self._looks.get(report_id, (math.inf, 0))[0]
        self._looks[report_id] = (min(at, earlier), tries)
        self._wake.set()

    async def work(self) -> None:
        if self.hands_off:
            return
        loop = asyncio.get_running_loop()
        sweep = self.config.sweep_seconds
        next_sweep = loop.time() + Random(f"{self.seed}/{self.area}").uniform(0, sweep)
        last_look = -math.inf
        while True:
            now = loop.time()
            wanted = min((at for at, _ in self._looks.values()), default=math.inf)
            due = min(max(wanted, last_look + MIN_LOOK_INTERVAL), next_sweep)
            if now >= due:
                await self._look()
                last_look = loop.time()
                next_sweep = last_look + sweep
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), due - now)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _headers(self) -> dict[str, str]:
        return await self.gateway.auth(self.role, self.area, next(self._staff))

    async def _queue(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            answer = await self.gateway.send(
                "queue", "GET", "/v1/verification/queue", await self._headers(), params=params
            )
            if answer is None or not answer.is_success:
                break
            body = answer.json()
            items.extend(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                break
        return items

    async def _look(self) -> None:
        if not self._looks and not self.gateway.known(self.role, self.area):
            # Nothing expected and nobody of this office has an account yet: a sweep would
            # create one (three password hashes at identity) to find an empty queue.
            return
        items = await self._queue()
        now, now_utc = asyncio.get_running_loop().time(), datetime.now(UTC)
        for item in items:
            key = (item["report_id"], item["round"], item["version"])
            if key in self._handled:
                continue
            self._handled.add(key)
            report = self.desk.key_of(item["report_id"])
            rng = Random(f"{self.seed}/{report}/{item['round']}/{self.tier}")
            waited = (now_utc - datetime.fromisoformat(item["waiting_since"])).total_seconds()
            delay = self.config.policy.delay_hours(rng, self.tier) * 3600 / self.config.speed
            task = asyncio.create_task(self._decide_at(item, now - max(0.0, waited) + delay, rng))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        seen = {item["report_id"] for item in items}
        for report_id, (_, tries) in list(self._looks.items()):
            if report_id in seen or tries <= 1:
                del self._looks[report_id]
            else:
                self._looks[report_id] = (now + LOOK_RETRY, tries - 1)

    async def _decide_at(self, item: dict[str, Any], due: float, rng: Random) -> None:
        await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
        report_id, headers = item["report_id"], await self._headers()
        content = self.desk.content_of(report_id)
        if content is None:  # not one of the demo's own: open it, as a verifier would
            opened = await self.gateway.send("open", "GET", f"/v1/reports/{report_id}", headers)
            if opened is None or not opened.is_success:
                return
            content = ReportContent.model_validate(opened.json()["content"])
        decision = self.config.policy.decide(rng, self.tier, content, item["round"])
        answer = await self.gateway.send(
            "decide",
            "POST",
            f"/v1/reports/{report_id}/decisions",
            headers,
            json=decision.body(expected_version=item["version"]),
        )
        if answer is not None and answer.status_code == 200:
            self.desk.decided(self.tier, decision, answer.json())
        elif answer is not None and answer.status_code == 409:
            self.expect(report_id, tries=2, after=0)  # marked overdue meanwhile, or decided
