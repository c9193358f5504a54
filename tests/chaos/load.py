"""A steady load on the platform: RT heads submit, a verifier per tier works through its queue.

The lurah sends back every fifth report (ReportRejected), everything else is approved up to
the city (ReportVerified). What the gateway answered is recorded in an `Outcome` for the
checker. `pause()` holds every new request and waits for the ones in flight: before a process
that answers requests is killed, the load balancer drains it, so no client is left not knowing
whether its request was applied (what is killed mid-work is the consumers and relays).

Submissions carry an Idempotency-Key and are retried on a transport error or a 5xx, as the app
does; decisions carry `expected_version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from checker import REJECTED, TIERS, VERIFIED, Outcome, scripted_decision

from harness import KELURAHAN, RT, auth, report_body

RT_HEAD = auth("ketua_rt", RT)
VERIFIERS = {
    "kelurahan": auth("lurah", KELURAHAN),
    "kecamatan": auth("camat", "16.73.02"),
    "kota": auth("pemkot", "16.73"),
}


class Load:
    def __init__(
        self, gateway: httpx.AsyncClient, *, interval: float = 0.1, burst: int = 1
    ) -> None:
        self.gateway = gateway
        self.interval = interval  # between submissions
        self.burst = burst  # submissions sent at once
        self.outcome = Outcome()
        self.requests = 0
        self._open = asyncio.Event()
        self._open.set()
        self._in_flight = 0
        self._submitting = asyncio.Event()
        self._submitting.set()
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------ control

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._submit_steadily())]
        self._tasks += [asyncio.create_task(self._verify_steadily(tier)) for tier in TIERS]

    async def pause(self) -> None:
        self._open.clear()
        await _until(lambda: self._in_flight == 0, timeout=60)

    def resume(self) -> None:
        self._open.set()

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        await self.pause()
        try:
            yield
        finally:
            self.resume()

    async def finish(self, stuck_after: float = 60) -> Outcome:
        """Stop submitting, let the verifiers decide what is left, and stop them: once every
        report is decided, or when no decision came for `stuck_after` seconds (reports that
        never reached a verifier's queue: the checker then finds them lost)."""
        self.resume()
        self._submitting.clear()
        loop = asyncio.get_running_loop()
        last_change, decided = loop.time(), -1
        try:
            while not self._settled_or_failed():
                now_decided = sum(len(d) for d in self.outcome.decided.values())
                if now_decided != decided:
                    last_change, decided = loop.time(), now_decided
                elif loop.time() - last_change > stuck_after:
                    break
                await asyncio.sleep(0.1)
        finally:
            for task in self._tasks:
                task.cancel()
            results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                raise result  # a client that failed fails the test
        return self.outcome

    def settled(self) -> bool:
        """Every accepted report has had its last decision: verified, or rejected."""
        return all(
            self.outcome.timeline(r)[-1] in (VERIFIED, REJECTED) for r in self.outcome.accepted
        )

    def _settled_or_failed(self) -> bool:
        failed = (t for t in self._tasks if t.done() and not t.cancelled())
        return self.settled() or any(t.exception() is not None for t in failed)

    # ------------------------------------------------------------ requests

    async def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request, when the load is not paused; on 429 wait as Retry-After says."""
        while True:
            await self._open.wait()
            self._in_flight += 1
            try:
                answer = await self.gateway.request(method, path, **options)
            finally:
                self._in_flight -= 1
            self.requests += 1
            if answer.status_code != 429:
                return answer
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))

    async def submit(self) -> None:
        title = f"Laporan {uuid.uuid4().int % 10**8}"
        headers = RT_HEAD | {"Idempotency-Key": str(uuid.uuid4())}
        for attempt in range(30):
            try:
                answer = await self.request(
                    "POST", "/v1/reports", json=report_body(title), headers=headers
                )
            except httpx.TransportError:
                await asyncio.sleep(min(0.2 * 2**attempt, 2))
                continue
            if answer.status_code >= 500 or answer.status_code == 409:  # 409: first one running
                await asyncio.sleep(min(0.2 * 2**attempt, 2))
                continue
            assert answer.status_code == 202, answer.text
            self.outcome.accepted.append(answer.json()["report_id"])
            return
        raise AssertionError(f"a submission never got its 202 (last: {answer.status_code})")

    async def _submit_steadily(self) -> None:
        while self._submitting.is_set():
            await asyncio.gather(*(self.submit() for _ in range(self.burst)))
            await asyncio.sleep(self.interval)

    async def _verify_steadily(self, tier: str) -> None:
        headers = VERIFIERS[tier]
        while True:
            answer = await self.request(
                "GET", "/v1/verification/queue", headers=headers, params={"limit": 100}
            )
            assert answer.status_code == 200, answer.text
            items = answer.json()["items"]
            for item in items:
                await self._decide(tier, item)
            if not items:
                await asyncio.sleep(0.2)

    async def _decide(self, tier: str, item: dict[str, Any]) -> None:
        body, recorded = scripted_decision(tier, item)
        report_id = item["report_id"]
        answer = await self.request(
            "POST", f"/v1/reports/{report_id}/decisions", json=body, headers=VERIFIERS[tier]
        )
        # One verifier per tier, each acting on what its queue shows: nobody decides before it.
        assert answer.status_code == 200, f"{tier} {report_id}: {answer.text}"
        self.outcome.decided.setdefault(report_id, []).extend(recorded)


async def _until(check: Any, timeout: float) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check}")
        await asyncio.sleep(0.05)
