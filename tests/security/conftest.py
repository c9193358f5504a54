"""The platform the security suite attacks: the four services as real processes, started once for
the whole suite, and the real objects the matrix acts on (made through the gateway)."""

from __future__ import annotations

import asyncio
import io
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image
from security.principals import BY_NAME

from harness import SERVICES, Platform, report_body
from sipokat.events.broker.topology import Topology
from sipokat.events.testing import delete_topology

T = TypeVar("T")

# Limits high enough that the matrix's hundreds of requests are never rate limited (the rate
# limit has its own test, on its own intake); a photo limit small enough to test quickly.
SETTINGS = {
    "SIPOKAT_RATE_LIMIT_PER_SECOND": "10000",
    "SIPOKAT_RATE_LIMIT_BURST": "10000",
    "SIPOKAT_UPLOAD_RATE_PER_SECOND": "1000",
    "SIPOKAT_UPLOAD_BURST": "1000",
    "SIPOKAT_MAX_PHOTO_BYTES": "100000",
    "SIPOKAT_WEBHOOK_ALLOW_PRIVATE": "false",  # whatever the environment says: SSRF is tested
}
PHOTO_LIMIT = int(SETTINGS["SIPOKAT_MAX_PHOTO_BYTES"])


def poll(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"not seen within {timeout} s: {what}")


def start_platform(
    rabbitmq_url: str, data_dir: Path, settings: dict[str, str], *names: str
) -> Platform:
    platform = Platform(
        rabbitmq_url, prefix=f"sec-{uuid.uuid4().hex[:8]}", data_dir=data_dir, settings=settings
    )
    try:
        platform.start(*names)
    except BaseException:
        stop_platform(platform, rabbitmq_url)
        raise
    return platform


def stop_platform(platform: Platform, rabbitmq_url: str) -> None:
    platform.stop()
    asyncio.run(delete_topology(rabbitmq_url, Topology(platform.prefix), SERVICES))


@pytest.fixture(scope="session")
def secured(rabbitmq_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    platform = start_platform(rabbitmq_url, tmp_path_factory.mktemp("security"), SETTINGS)
    try:
        yield platform
    finally:
        stop_platform(platform, rabbitmq_url)


def png(shade: int, size: int = 24) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (shade % 256, 90, 160)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class RealWorld:
    """Objects made by the real flow: RT 007 uploads a photo and reports with it, its lurah
    approves (the report now awaits the camat), the lurah's inbox hears of it, an integrator
    subscribes to webhooks."""

    gateway: httpx.Client
    report_id: str = ""
    photo_sha256: str = ""
    inbox_item: str = ""
    subscription_id: str = ""
    _shades: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def photo(self) -> bytes:
        return png(next(self._shades))  # never RT 007's photo: uploading it would grant access

    def fresh_subscription(self) -> str:
        answer = self.gateway.post(
            "/v1/webhooks/subscriptions",
            json={"url": "https://93.184.215.14/hooks/fresh", "patterns": ["report.overdue.kota"]},
            headers=BY_NAME["integrator"].headers(),
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def forget_subscriptions(self) -> None:
        """Deletes every subscription but the world's own (at most 20 per owner are kept)."""
        admin = BY_NAME["admin"].headers()
        listed = self.gateway.get("/v1/webhooks/subscriptions", headers=admin).json()["items"]
        for subscription in listed:
            if subscription["id"] != self.subscription_id:
                path = f"/v1/webhooks/subscriptions/{subscription['id']}"
                assert self.gateway.delete(path, headers=admin).status_code == 204


def make_world(gateway: httpx.Client) -> RealWorld:
    world = RealWorld(gateway)
    rt, lurah = BY_NAME["rt"].headers(), BY_NAME["lurah"].headers()
    uploaded = gateway.post(
        "/v1/attachments", files={"file": ("kerja-bakti.png", png(0, 32), "image/png")}, headers=rt
    )
    assert uploaded.status_code == 201, uploaded.text
    world.photo_sha256 = uploaded.json()["sha256"]
    body: dict[str, Any] = report_body("Kerja bakti dengan foto")
    photo = {"sha256": world.photo_sha256, "content_type": uploaded.json()["content_type"]}
    body["photos"] = [photo]
    accepted = gateway.post("/v1/reports", json=body, headers=rt)
    assert accepted.status_code == 202, accepted.text
    world.report_id = accepted.json()["report_id"]

    def waiting_for_the_lurah() -> bool:
        queue = gateway.get("/v1/verification/queue", headers=lurah).json()
        return world.report_id in [item["report_id"] for item in queue["items"]]

    poll(waiting_for_the_lurah, "the report in the lurah's queue")
    approved = gateway.post(
        f"/v1/reports/{world.report_id}/decisions",
        json={"decision": "approve", "note": "Sesuai"},
        headers=lurah,
    )
    assert approved.status_code == 200, approved.text

    def an_inbox_item() -> str | None:
        items = gateway.get("/v1/notifications/inbox", headers=lurah).json()["items"]
        mine = [item["key"] for item in items if item.get("report_id") == world.report_id]
        return mine[0] if mine else None

    world.inbox_item = poll(an_inbox_item, "the report in the lurah's inbox")
    world.subscription_id = world.fresh_subscription()
    return world


@pytest.fixture(scope="session")
def world(secured: Platform) -> Iterator[RealWorld]:
    with httpx.Client(base_url=secured.url("intake"), timeout=30) as gateway:
        yield make_world(gateway)
