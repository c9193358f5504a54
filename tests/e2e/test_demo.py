"""`sipokat demo` against the real processes: what it says it did, the platform shows. It signs
in as real accounts it makes at the identity service: the platform runs with the development
tokens off, so a request of the demo with anything but identity's tokens would fail."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from harness import SERVICES, Platform, running_platform
from sipokat.events.catalogue import Tier
from sipokat.events.testing import eventually
from sipokat.ops.demo import DecisionPolicy, DemoConfig, run_demo
from sipokat.ops.demo.console import format_summary
from sipokat.ops.demo.people import CREDENTIALS_FILE, Person

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.broker,
    pytest.mark.skipif("identity" not in SERVICES, reason="the demo signs in at identity"),
]

REPORTS = 16
PELITA_JAYA = "16.73.02.1019"  # seed 2026 sends it 2 of the 16 reports: left to a person


@pytest.fixture
async def platform(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    settings = {"SIPOKAT_JWT_DEV_TOKENS": "false"}  # identity's tokens only
    async with running_platform(rabbitmq_url, tmp_path, settings=settings) as running:
        yield running


async def signed_in_as(gateway: httpx.AsyncClient, data_dir: Path, person: Person) -> str:
    """An access token of one of the people the demo made, from the file it keeps them in."""
    kept = json.loads((data_dir / CREDENTIALS_FILE).read_text())["people"][person.key]
    answer = await gateway.post(
        "/v1/auth/signin", json={"phone": kept["phone"], "password": kept["password"]}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def test_the_demo_summary_matches_the_platform(platform: Platform) -> None:
    # More rejections than the realistic default, so a short run shows revisions too.
    policy = DecisionPolicy(
        rejection_rates={Tier.KELURAHAN: 0.4, Tier.KECAMATAN: 0.1, Tier.KOTA: 0.05}
    )
    config = DemoConfig(
        gateway=platform.url(),
        rate=4,
        reports=REPORTS,
        speed=60_000,
        seed=2026,
        drain=25,
        sweep_seconds=5,
        policy=policy,
        data_dir=platform.data_dir,
        leave=PELITA_JAYA,
    )
    announced: list[Any] = []
    summary = await run_demo(config, announce=announced.append)

    assert summary.ok, summary.error_samples
    assert summary.submitted == len(summary.reports) == REPORTS
    assert summary.pending == 0, summary.reports
    assert summary.photos > 0
    assert sum(summary.rejected.values()) > 0 and summary.revised > 0
    verified = [i for i, status in summary.reports.items() if status == "verified"]
    assert summary.left and summary.leave == PELITA_JAYA
    # The drain ended when the rest settled: it does not wait for what was left to a person.
    assert summary.elapsed_seconds - summary.submit_seconds < config.drain
    assert len(verified) == summary.verified == REPORTS - len(summary.abandoned) - len(summary.left)
    assert summary.approved["kota"] == summary.verified

    kept = platform.data_dir / CREDENTIALS_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    people = json.loads(kept.read_text())["people"]
    assert {key.split(":")[0] for key in people} == {
        "admin",
        "ketua_rt",
        "lurah",
        "camat",
        "pemkot",
    }

    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        pemkot = await signed_in_as(gateway, platform.data_dir, Person("pemkot", "16.73"))
        assert jwt.get_unverified_header(pemkot)["alg"] == "RS256"
        gateway.headers["Authorization"] = f"Bearer {pemkot}"
        for report_id, status in summary.reports.items():
            shown = (await gateway.get(f"/v1/reports/{report_id}")).json()
            assert shown["status"] == status
            assert (report_id in summary.abandoned) == (status == "awaiting_revision")
        queue = (await gateway.get("/v1/verification/queue")).json()
        assert queue["counts"]["total"] == 0

        # The left kelurahan's reports wait for its lurah, who signs in with what was printed.
        hint = summary.console
        assert hint is not None and hint.lurah is not None and hint.pemkot is not None
        assert [announced[0].lurah, announced[0].pemkot] == [hint.lurah, hint.pemkot]
        assert hint.url == platform.url().rstrip("/") + "/console/"
        assert (hint.lurah.wilayah, hint.lurah.name) == (PELITA_JAYA, "Pelita Jaya")
        assert hint.lurah_waiting == len(summary.left)
        printed = format_summary(summary)
        tokens: dict[str, str] = {}
        for account in (hint.lurah, hint.pemkot):
            assert account.phone in printed and account.password in printed
            answer = await gateway.post(
                "/v1/auth/signin", json={"phone": account.phone, "password": account.password}
            )
            assert answer.status_code == 200, answer.text
            tokens[account.role] = answer.json()["access_token"]
        worklist = await gateway.get(
            "/v1/verification/queue", headers={"Authorization": f"Bearer {tokens['lurah']}"}
        )
        assert {item["report_id"] for item in worklist.json()["items"]} == set(summary.left)

        async def analytics_caught_up() -> dict[str, Any] | None:
            totals = (await gateway.get("/v1/analytics/summary")).json()
            tiers = (await gateway.get("/v1/analytics/verification")).json()["tiers"]
            shown = {
                "submitted": totals["total_reports"],
                "approved": {t["tier"]: t["approved"] for t in tiers},
                "rejected": {t["tier"]: t["rejected"] for t in tiers},
            }
            said = {
                "submitted": summary.submitted,
                "approved": summary.approved,
                "rejected": summary.rejected,
            }
            return shown if shown == said else None

        await eventually(
            analytics_caught_up, timeout=20, interval=0.5, message="analytics shows the demo"
        )

    # The next run plays the same people: it makes no account, and still gets in.
    again = await run_demo(replace(config, reports=2, seed=2027, drain=15))
    assert again.ok, again.error_samples
    assert again.submitted == 2
    now_kept = json.loads(kept.read_text())["people"]
    assert set(now_kept) >= set(people)
    assert all(now_kept[key]["phone"] == people[key]["phone"] for key in people)
