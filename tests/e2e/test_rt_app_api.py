"""What the RT app uses, over the real processes through the gateway (issue 23): the app's
files at /app/, the public configuration, the RT head's own reports listed newest first with
photos an `<img>` can load by a signed link, and a rejection's reason shown to the RT."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from intake_support import jpeg_with_gps

from harness import KELURAHAN, RT, Platform, auth, report_body, running_platform
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PAGE = b"<!doctype html><title>Sipokat RT</title>"


@pytest.fixture
async def platform(rabbitmq_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    """The platform with a built app of fake files for the gateway to serve."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(PAGE)
    (dist / "sw.js").write_bytes(b"self.addEventListener('fetch', () => {});")
    (dist / "assets" / "app-1a2b.js").write_bytes(b"console.log('rt');")
    settings = {"SIPOKAT_APP_DIR": str(dist)}
    async with running_platform(rabbitmq_url, tmp_path, settings=settings) as running:
        yield running


async def test_the_rt_app_lists_its_reports_with_photos_and_the_lurahs_reason(
    platform: Platform,
) -> None:
    rt = auth("ketua_rt", RT)
    lurah = auth("lurah", KELURAHAN)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=20) as gateway:
        page = await gateway.get("/app/reports")  # a client-side route: the page answers it
        assert (page.status_code, page.content) == (200, PAGE)
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert (await gateway.get("/app/sw.js")).headers["cache-control"] == "no-cache"

        config = await gateway.get("/v1/config", params={"wilayah": RT})  # no token
        assert config.status_code == 200, config.text
        assert [k["code"] for k in config.json()["kinds"]] == ["kegiatan", "usulan"]

        photo = (
            await gateway.post(
                "/v1/attachments", files={"file": ("IMG_1.jpg", jpeg_with_gps())}, headers=rt
            )
        ).json()
        body = {
            **report_body("Kerja bakti parit RT 007"),
            "photos": [{"sha256": photo["sha256"], "content_type": photo["content_type"]}],
        }
        key = {"Idempotency-Key": str(uuid.uuid4())}
        for _ in range(3):  # a flaky link: sent three times, one report
            sent = await gateway.post("/v1/reports", json=body, headers={**rt, **key})
            assert sent.status_code == 202, sent.text
        report_id = sent.json()["report_id"]

        async def listed(headers: dict[str, str], **params: Any) -> list[dict[str, Any]] | None:
            answer = await gateway.get("/v1/reports", params=params, headers=headers)
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            return items if any(i["report_id"] == report_id for i in items) else None

        mine = await eventually(lambda: listed(rt), timeout=60, message="the RT's list has it")
        assert [i["report_id"] for i in mine] == [report_id]
        item = mine[0]
        assert (item["status"], item["waiting_for"], item["title"]) == (
            "awaiting_kelurahan",
            "lurah",
            "Kerja bakti parit RT 007",
        )
        assert await listed(lurah) is not None
        others = await gateway.get("/v1/reports", headers=auth("ketua_rt", "16.73.02.1019/001"))
        assert report_id not in others.text

        # The photo as an <img> loads it: no Authorization header, the signed link.
        link = item["photos"][0]["url"]
        shown = await gateway.get(link)
        assert shown.status_code == 200, shown.text
        assert shown.content == (await gateway.get(photo["url"], headers=rt)).content
        tampered = await gateway.get(link[:-4] + "0000", headers={"Accept-Language": "id"})
        assert tampered.status_code == 403
        assert "kedaluwarsa" in tampered.json()["detail"]

        rejection = {"decision": "reject", "reason_code": "no_evidence", "note": "Foto buram"}
        decided = await gateway.post(
            f"/v1/reports/{report_id}/decisions", json=rejection, headers=lurah
        )
        assert decided.status_code == 200, decided.text
        rejected = await listed(rt, status="awaiting_revision")
        assert rejected is not None
        assert rejected[0]["last_decision"]["reason_code"] == "no_evidence"
        assert rejected[0]["last_decision"]["note"] == "Foto buram"
        status = (await gateway.get(f"/v1/reports/{report_id}", headers=rt)).json()
        assert status["description"] == body["description"]
        assert status["photos"][0]["sha256"] == photo["sha256"]

        revised_body = {**body, "title": "Kerja bakti parit RT 007 (foto baru)"}

        async def revised() -> httpx.Response | None:
            answer = await gateway.post(
                f"/v1/reports/{report_id}/revisions",
                json=revised_body,
                headers={**rt, "Idempotency-Key": str(uuid.uuid4())},
            )
            return answer if answer.status_code == 202 else None

        await eventually(revised, timeout=60, interval=0.5, message="revision taken")

        async def back_with_the_lurah() -> bool:
            items = await listed(lurah, status="awaiting_kelurahan")
            return items is not None and items[0]["revision"] == 1

        await eventually(back_with_the_lurah, timeout=60, message="the revision is listed")
