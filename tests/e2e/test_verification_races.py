"""Many verifiers deciding the same report at once: exactly one decision wins, every time.

Each round, a report reaches a tier and a crowd of that tier's verifiers (different people of
the same office, so no rate limit or idempotency key joins them) approve and reject it at the
same instant, half through the gateway and half on verification's own port. One answer is 200,
every other 409; the report's timeline holds exactly that one decision; and the next tier's
crowd then races in the same way, until the report is verified or rejected.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.testing import eventually
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

CROWD = 12
ROUNDS = 4
OFFICES = {
    "kelurahan": ("lurah", KELURAHAN),
    "kecamatan": ("camat", "16.73.02"),
    "kota": ("pemkot", "16.73"),
}


def verifier(role: str, wilayah: str, n: int) -> dict[str, str]:
    token = mint_token(ServiceSettings(), subject=f"{role}-{n}", role=role, wilayah=wilayah)
    return {"Authorization": f"Bearer {token}"}


def decision(n: int) -> dict[str, Any]:
    if n % 3 == 2:
        return {"decision": "reject", "reason_code": "incomplete", "note": f"Kurang foto ({n})"}
    return {"decision": "approve", "note": f"Sesuai ({n})"}


async def report(gateway: httpx.AsyncClient, report_id: str) -> dict[str, Any]:
    answer = await gateway.get(f"/v1/reports/{report_id}", headers=auth("ketua_rt", RT))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def verification_knows(gateway: httpx.AsyncClient, report_id: str) -> bool:
    answer = await gateway.get(f"/v1/reports/{report_id}", headers=auth("ketua_rt", RT))
    return answer.status_code == 200


async def race_at(
    clients: list[httpx.AsyncClient], report_id: str, tier: str
) -> tuple[int, dict[str, Any]]:
    """The crowd of `tier` decides at once; returns the winner's number and its answer."""
    role, wilayah = OFFICES[tier]
    path = f"/v1/reports/{report_id}/decisions"
    answers = await asyncio.gather(
        *(
            clients[n % 2].post(path, json=decision(n), headers=verifier(role, wilayah, n))
            for n in range(CROWD)
        )
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: CROWD - 1}, [(a.status_code, a.text[:200]) for a in answers]
    for lost in (a for a in answers if a.status_code == 409):
        assert lost.json()["reason"] in {"concurrent", "stale", "wrong_tier", "closed"}
    winner = next(n for n, a in enumerate(answers) if a.status_code == 200)
    return winner, answers[winner].json()


async def test_a_crowd_of_verifiers_at_every_tier_one_decision_wins(platform: Platform) -> None:
    async with (
        httpx.AsyncClient(base_url=platform.url(), timeout=30) as gateway,
        httpx.AsyncClient(base_url=platform.url("verification"), timeout=30) as direct,
    ):
        for _ in range(ROUNDS):
            accepted = await gateway.post(
                "/v1/reports", json=report_body(), headers=auth("ketua_rt", RT)
            )
            assert accepted.status_code == 202, accepted.text
            report_id = accepted.json()["report_id"]

            await eventually(
                lambda: verification_knows(gateway, report_id),  # noqa: B023 - awaited at once
                timeout=60,
                message="verification knows the report",
            )
            winners: list[tuple[str, int]] = []
            for tier in OFFICES:
                winner, _ = await race_at([gateway, direct], report_id, tier)
                winners.append((tier, winner))
                if decision(winner)["decision"] == "reject":
                    break
            state = await report(gateway, report_id)
            decided = [
                entry
                for entry in state["timeline"]
                if entry["event"] in ("ReportApproved", "ReportRejected")
            ]
            assert [(e["tier"], e["by"]["subject"]) for e in decided] == [
                (tier, f"{OFFICES[tier][0]}-{n}") for tier, n in winners
            ]
            rejected = decision(winners[-1][1])["decision"] == "reject"
            assert state["status"] == ("awaiting_revision" if rejected else "verified")
