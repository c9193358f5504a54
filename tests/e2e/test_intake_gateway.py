"""An RT head and a lurah through the gateway, over the four real processes: upload a photo,
submit with an Idempotency-Key (and retry), the lurah rejects, the RT revises, photos stay
private to those who may see the report."""

from __future__ import annotations

import uuid

import httpx
import pytest
from intake_support import SECRET_COMMENT, jpeg_with_gps

from harness import KELURAHAN, RT, Platform, auth, report_body
from sipokat.events.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


async def test_report_with_photo_rejected_and_revised_through_the_gateway(
    platform: Platform,
) -> None:
    rt = auth("ketua_rt", RT)
    lurah = auth("lurah", KELURAHAN)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=20) as gateway:
        uploaded = await gateway.post(
            "/v1/attachments", files={"file": ("IMG_0001.jpg", jpeg_with_gps())}, headers=rt
        )
        assert uploaded.status_code == 201, uploaded.text
        photo = uploaded.json()

        body = {
            **report_body(),
            "photos": [{"sha256": photo["sha256"], "content_type": photo["content_type"]}],
        }
        key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
        first = await gateway.post("/v1/reports", json=body, headers={**rt, **key})
        assert first.status_code == 202, first.text
        retry = await gateway.post("/v1/reports", json=body, headers={**rt, **key})
        assert retry.json() == first.json()
        report_id = first.json()["report_id"]

        # The lurah sees the report (verification, through the gateway) and its photo.
        async def seen_by_lurah() -> bool:
            answer = await gateway.get(f"/v1/reports/{report_id}", headers=lurah)
            return answer.status_code == 200

        await eventually(seen_by_lurah, timeout=60, message="verification has the report")
        fetched = await gateway.get(photo["url"], headers=lurah)
        assert fetched.status_code == 200
        assert SECRET_COMMENT not in fetched.content
        other_lurah = await gateway.get(photo["url"], headers=auth("lurah", "16.73.02.1001"))
        assert other_lurah.status_code == 404

        rejected = await gateway.post(
            f"/v1/reports/{report_id}/decisions",
            json={"decision": "reject", "reason_code": "no_evidence", "note": "Foto buram"},
            headers=lurah,
        )
        assert rejected.status_code in (200, 201, 202), rejected.text

        # Intake learns of the rejection from the broker; until then a revision is a 409.
        revised_body = {**body, "title": "Kerja bakti (foto diperjelas)"}

        async def revised() -> httpx.Response | None:
            answer = await gateway.post(
                f"/v1/reports/{report_id}/revisions", json=revised_body, headers=rt
            )
            return answer if answer.status_code == 202 else None

        accepted = await eventually(revised, timeout=60, interval=0.5, message="revision taken")
        assert accepted.json()["revision"] == 1

        async def back_with_the_lurah() -> bool:
            answer = await gateway.get(f"/v1/reports/{report_id}", headers=lurah)
            return "diperjelas" in answer.text

        await eventually(back_with_the_lurah, timeout=60, message="verification has revision")


async def test_an_upstream_that_is_down_is_a_502_problem(platform: Platform) -> None:
    platform.kill("analytics")
    async with httpx.AsyncClient(base_url=platform.url(), timeout=20) as gateway:
        answer = await gateway.get("/v1/analytics/summary", headers=auth("pemkot", "16.73"))
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_wrong_method_is_405_with_allow_on_every_services_paths(
    platform: Platform,
) -> None:
    """Through the gateway: its own paths, and each upstream's (answered by the real service),
    in English and Indonesian."""
    report = uuid.uuid4()
    cases = [
        ("DELETE", "/v1/reports", "GET, POST"),  # POST the gateway's own, GET verification's
        ("GET", f"/v1/reports/{report}/revisions", "POST"),
        ("POST", "/v1/wilayah", "GET"),
        ("DELETE", f"/v1/reports/{report}", "GET"),  # verification
        ("PUT", f"/v1/reports/{report}/decisions", "POST"),
        ("DELETE", "/v1/verification/queue", "GET"),
        ("POST", "/v1/analytics/summary", "GET"),  # analytics
        ("POST", "/dashboard", "GET"),
        ("DELETE", "/open311/v2/services.json", "GET, HEAD"),
        ("PATCH", "/v1/notifications/preferences", "GET, PUT"),  # notification
        ("OPTIONS", "/v1/webhooks/subscriptions", "GET, POST"),
    ]
    token = auth("lurah", KELURAHAN)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=20) as gateway:
        for language, title in (("en", "Method not allowed"), ("id", "Metode tidak diizinkan")):
            for method, path, allow in cases:
                answer = await gateway.request(
                    method, path, headers={**token, "Accept-Language": language}
                )
                seen = (method, path, answer.status_code, answer.headers.get("allow"))
                assert seen == (method, path, 405, allow), answer.text
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.json()["title"] == title, (method, path)
