"""What the verifiers' console and the leaders' dashboard read (issue 24), over the real
processes through the gateway: a report with a location reaches the lurah's worklist with its
content and a photo link that loads, goes through the three tiers, shows in each verifier's own
decisions, and a city office drills into its kelurahan and month, exports it as CSV and sees it
on the map; a lurah of another kelurahan may not ask for it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


async def test_a_report_through_the_console_and_the_dashboards_drill_down(
    platform: Platform,
) -> None:
    rt, lurah = auth("ketua_rt", RT), auth("lurah", KELURAHAN)
    camat, pemkot = auth("camat", "16.73.02"), auth("pemkot", "16.73")
    month = date.today().isoformat()[:7]
    async with httpx.AsyncClient(base_url=platform.url(), timeout=20) as gateway:
        body = {
            **report_body("Kerja bakti parit, RT 007"),
            "location": {"latitude": -3.29, "longitude": 102.86},
        }
        sent = await gateway.post(
            "/v1/reports", json=body, headers={**rt, "Idempotency-Key": str(uuid.uuid4())}
        )
        assert sent.status_code == 202, sent.text
        report_id = sent.json()["report_id"]

        async def in_worklist() -> dict[str, Any] | None:
            answer = await gateway.get("/v1/verification/queue", params={"rt": RT}, headers=lurah)
            assert answer.status_code == 200, answer.text
            items = [i for i in answer.json()["items"] if i["report_id"] == report_id]
            return items[0] if items else None

        item = await eventually(in_worklist, timeout=60, message="the lurah's worklist has it")
        assert item["description"] == body["description"]
        assert item["location"] == body["location"]
        assert (item["rt_name"], item["kelurahan_name"]) == ("RT 007", "Pelita Jaya")
        assert item["photos"] == []

        # The report page's "the RT's recent reports": the RT's list, for the lurah.
        recent = await gateway.get("/v1/reports", params={"rt": RT}, headers=lurah)
        assert report_id in [i["report_id"] for i in recent.json()["items"]]
        other_lurah = auth("lurah", "16.73.02.1018")
        refused = await gateway.get("/v1/reports", params={"rt": RT}, headers=other_lurah)
        assert refused.status_code == 403

        for who in (lurah, camat, pemkot):
            decided = await gateway.post(
                f"/v1/reports/{report_id}/decisions", json={"decision": "approve"}, headers=who
            )
            assert decided.status_code == 200, decided.text
        for who in (lurah, pemkot):
            mine = await gateway.get("/v1/verification/decisions", headers=who)
            assert mine.status_code == 200, mine.text
            assert [i["report_id"] for i in mine.json()["items"]] == [report_id]
            assert mine.json()["items"][0]["status"] == "verified"

        drill = {"kelurahan": KELURAHAN, "from": month, "to": month, "status": "verified"}
        listed = await gateway.get("/v1/reports", params=drill, headers=pemkot)
        assert listed.status_code == 200, listed.text
        assert [i["report_id"] for i in listed.json()["items"]] == [report_id]

        exported = await gateway.get(
            "/v1/reports", params=drill, headers={**pemkot, "Accept": "text/csv"}
        )
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        # Streamed by verification, gzipped by the gateway as it goes (httpx asks for gzip and
        # undoes it): no length known ahead.
        assert exported.headers["content-encoding"] == "gzip"
        assert "content-length" not in exported.headers
        assert (
            f'filename="laporan-{KELURAHAN}-{month}-{month}.csv"'
            in (exported.headers["content-disposition"])
        )
        assert exported.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
        assert rows[0][0] == "ID laporan"
        assert [(r[0], r[1], r[11]) for r in rows[1:]] == [
            (report_id, "Kerja bakti parit, RT 007", "Terverifikasi")
        ]

        mapped = await gateway.get(
            "/v1/reports/map", params={"kelurahan": KELURAHAN}, headers=pemkot
        )
        assert mapped.status_code == 200, mapped.text
        assert mapped.headers["content-type"] == "application/geo+json"
        [feature] = mapped.json()["features"]
        assert feature["id"] == report_id
        assert feature["geometry"]["coordinates"] == [102.86, -3.29]
