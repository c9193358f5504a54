"""`sipokat demo` against the four real processes: what it says it did, the platform shows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness import Platform, auth
from sipokat.events.catalogue import Tier
from sipokat.events.testing import eventually
from sipokat.ops.demo import DecisionPolicy, DemoConfig, run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PEMKOT = auth("pemkot", "16.73")
REPORTS = 16


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
    )
    summary = await run_demo(config)

    assert summary.ok, summary.error_samples
    assert summary.submitted == len(summary.reports) == REPORTS
    assert summary.pending == 0, summary.reports
    assert summary.photos > 0
    assert sum(summary.rejected.values()) > 0 and summary.revised > 0
    verified = [i for i, status in summary.reports.items() if status == "verified"]
    assert len(verified) == summary.verified == REPORTS - len(summary.abandoned)
    assert summary.approved["kota"] == summary.verified

    async with httpx.AsyncClient(base_url=platform.url(), headers=PEMKOT, timeout=10) as gateway:
        for report_id, status in summary.reports.items():
            shown = (await gateway.get(f"/v1/reports/{report_id}")).json()
            assert shown["status"] == status
            assert (report_id in summary.abandoned) == (status == "awaiting_revision")
        queue = (await gateway.get("/v1/verification/queue")).json()
        assert queue["counts"]["total"] == 0

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
