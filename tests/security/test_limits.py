"""Limits of DESIGN §6 on the real processes: body size (413, chunked too), photo size and type
(413/415), page sizes (422 at the service, 400 at the gateway, as documented), the rate limit
(429 with Retry-After, on an intake of its own started with a low rate) and no mass assignment
(server-set fields refused with 422, nothing stored)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from intake_support import hostile_photos
from security.api import Answer, problem_json, send
from security.conftest import PHOTO_LIMIT, RealWorld, png, start_platform, stop_platform
from security.principals import BY_NAME, RT

from harness import Platform, report_body

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

BODY_LIMIT = 256 * 1024  # SIPOKAT_MAX_BODY_BYTES, the default
RT_HEADERS = BY_NAME["rt"].headers()


def refused_with(answer: Answer, status: int) -> bool:
    return answer.status == status and problem_json(answer)


def oversized() -> bytes:
    body = report_body() | {"description": "x" * (BODY_LIMIT + 1024)}
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "path", ["/v1/reports", "/v1/reports/00000000-0000-0000-0000-000000000000/decisions"]
)
def test_a_body_over_the_limit_is_413_by_length_and_when_chunked(
    secured: Platform, path: str
) -> None:
    body = oversized()
    headers = {**RT_HEADERS, "Content-Type": "application/json"}
    with httpx.Client(base_url=secured.url(), timeout=30) as gateway:
        by_length = send(gateway, "POST", path, headers=headers, content=body)
        chunked = send(
            gateway,
            "POST",
            path,
            headers=headers,
            content=iter(body[i : i + 16384] for i in range(0, len(body), 16384)),
        )
    assert refused_with(by_length, 413), by_length.text
    assert refused_with(chunked, 413), chunked.text


def test_a_photo_too_large_is_413_and_not_an_image_is_415(secured: Platform) -> None:
    too_large = os.urandom(PHOTO_LIMIT + 10_000)  # under the body limit, over the photo limit
    with httpx.Client(base_url=secured.url(), timeout=30) as gateway:

        def upload(data: bytes, name: str) -> Answer:
            files = {"file": (name, data, "image/jpeg")}
            return send(gateway, "POST", "/v1/attachments", headers=RT_HEADERS, files=files)

        large = upload(too_large, "big.jpg")
        text = upload(b"#!/bin/sh\necho this is no photo\n" * 20, "photo.jpg")
        fine = upload(png(200), "ok.png")
    assert refused_with(large, 413), large.text
    assert refused_with(text, 415), text.text
    assert fine.status == 201, fine.text


@pytest.mark.parametrize(("data", "code"), hostile_photos().values(), ids=hostile_photos().keys())
def test_a_photo_pillow_refuses_is_a_4xx_problem_never_a_500(
    secured: Platform, data: bytes, code: str
) -> None:
    """Text chunks that inflate past Pillow's limits, files cut off, headers past its bomb
    guard: through the gateway, one photo problem in the caller's language."""
    headers = {**RT_HEADERS, "Accept-Language": "id"}
    with httpx.Client(base_url=secured.url(), timeout=30) as gateway:
        files = {"file": ("foto.png", data, "image/png")}
        answer = send(gateway, "POST", "/v1/attachments", headers=headers, files=files)
    assert refused_with(answer, 422), answer.text
    problem = json.loads(answer.body)
    assert problem["errors"][0]["code"] == code
    assert problem["title"] == "Foto tidak valid"


@pytest.mark.parametrize(
    ("service", "path", "limit", "status"),
    [
        ("verification", "/v1/verification/queue", 101, 422),
        ("notification", "/v1/notifications/inbox", 201, 422),
        ("intake", "/v1/wilayah/16.73.02.1019/rt", 101, 422),
        ("gateway", "/v1/verification/queue", 101, 400),
        ("gateway", "/v1/notifications/inbox", 101, 400),
    ],
)
def test_a_page_over_the_cap_is_refused(
    secured: Platform, world: RealWorld, service: str, path: str, limit: int, status: int
) -> None:
    base = secured.url() if service == "gateway" else secured.url(service)
    headers = BY_NAME["lurah"].headers()
    with httpx.Client(timeout=15) as client:
        over = send(client, "GET", base + path, headers=headers, params={"limit": str(limit)})
        at_cap = send(client, "GET", base + path, headers=headers, params={"limit": "100"})
    assert refused_with(over, status), over.text
    assert at_cap.status == 200, at_cap.text


def test_the_deliveries_page_is_capped_at_the_service_and_the_gateway(
    secured: Platform, world: RealWorld
) -> None:
    path = f"/v1/webhooks/subscriptions/{world.subscription_id}/deliveries"
    headers = BY_NAME["integrator"].headers()
    with httpx.Client(timeout=15) as client:
        direct = send(
            client,
            "GET",
            secured.url("notification") + path,
            headers=headers,
            params={"limit": "501"},
        )
        gateway = send(
            client, "GET", secured.url() + path, headers=headers, params={"limit": "101"}
        )
    assert refused_with(direct, 422), direct.text
    assert refused_with(gateway, 400), gateway.text


@pytest.fixture(scope="module")
def slow_intake(rabbitmq_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An intake of its own, allowing 3 requests at once and one more every 2 s per client."""
    settings = {
        "SIPOKAT_RATE_LIMIT_PER_SECOND": "0.5",
        "SIPOKAT_RATE_LIMIT_BURST": "3",
        "SIPOKAT_UPLOAD_RATE_PER_SECOND": "0.1",
        "SIPOKAT_UPLOAD_BURST": "1",
    }
    data_dir: Path = tmp_path_factory.mktemp("slow-intake")
    platform = start_platform(rabbitmq_url, data_dir, settings, "intake")
    try:
        yield platform.url("intake")
    finally:
        stop_platform(platform, rabbitmq_url)


def test_over_the_rate_is_429_with_retry_after(slow_intake: str) -> None:
    with httpx.Client(base_url=slow_intake, timeout=15) as client:
        answers = [send(client, "GET", "/v1/wilayah", headers=RT_HEADERS) for _ in range(5)]
        anonymous = [send(client, "GET", "/v1/wilayah") for _ in range(5)]
    for some in (answers, anonymous):  # a token's subject, and the address without one
        assert [a.status for a in some[:3]] == [200, 200, 200]
        limited = some[-1]
        assert refused_with(limited, 429), limited.text
        assert int(limited.headers["retry-after"]) >= 1


def test_uploads_have_their_own_rate(slow_intake: str) -> None:
    other_rt = BY_NAME["rt_other"].headers()
    with httpx.Client(base_url=slow_intake, timeout=15) as client:

        def upload(shade: int) -> Answer:
            files = {"file": ("p.png", png(shade), "image/png")}
            return send(client, "POST", "/v1/attachments", headers=other_rt, files=files)

        first, second = upload(1), upload(2)
    assert first.status == 201, first.text
    assert refused_with(second, 429), second.text
    assert int(second.headers["retry-after"]) >= 1


SERVER_SET = {
    "report_id": "00000000-0000-0000-0000-000000000000",
    "status": "verified",
    "wilayah": {"rt_code": "35.71.01.1001/001"},
    "submitted_by": "someone-else",
    "version": 99,
}


def test_server_set_fields_in_a_report_are_422_and_never_stored(secured: Platform) -> None:
    def appended() -> float:
        return secured.metric("intake", "sipokat_events_appended_total")

    before = appended()
    with httpx.Client(base_url=secured.url(), timeout=15) as gateway:
        answers = {
            field: send(
                gateway,
                "POST",
                "/v1/reports",
                headers=RT_HEADERS,
                json=report_body() | {field: value},
            )
            for field, value in SERVER_SET.items()
        }
    for field, answer in answers.items():
        assert refused_with(answer, 422), answer.text
        pointers = [e["pointer"] for e in json.loads(answer.body)["errors"]]
        assert f"/body/{field}" in pointers
    assert appended() == before, "a refused report was stored"
    assert RT  # the report would have been RT 007's


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "caller"),
    [
        (
            "verification",
            "POST",
            "/v1/reports/{report}/decisions",
            {"decision": "approve", "status": "verified"},
            "camat",
        ),
        (
            "notification",
            "POST",
            "/v1/webhooks/subscriptions",
            {"url": "https://93.184.215.14/h", "patterns": ["#"], "owner": "admin-all"},
            "integrator",
        ),
        (
            "notification",
            "PUT",
            "/v1/notifications/preferences",
            {"language": "id", "recipient": "lurah:16.73.01.1001"},
            "lurah",
        ),
    ],
)
def test_server_set_fields_elsewhere_are_422(
    secured: Platform,
    world: RealWorld,
    service: str,
    method: str,
    path: str,
    body: dict[str, object],
    caller: str,
) -> None:
    path = path.format(report=world.report_id)
    headers = BY_NAME[caller].headers()
    with httpx.Client(timeout=15) as client:
        for base in (secured.url(service), secured.url()):
            answer = send(client, method, base + path, headers=headers, json=body)
            assert refused_with(answer, 422), answer.text
