"""Webhook subscriptions to addresses inside the network are refused at creation (422 naming the
URL), on the notification service's own port and through the gateway; nothing is stored."""

from __future__ import annotations

import httpx
import pytest
from security.api import problem_json, send
from security.conftest import RealWorld
from security.principals import BY_NAME

from harness import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

INSIDE = [
    "http://127.0.0.1/hook",
    "http://127.0.0.1:15672/api/users",  # the broker's management API
    "http://10.0.0.7/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # CGNAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:169.254.169.254]/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://localhost/hook",  # a name resolving to loopback
    "http://localhost.:8003/v1/webhooks",
    "http://2130706433/hook",  # 127.0.0.1 in decimal
    "http://0x7f000001/hook",  # in hex
    "http://0177.0.0.1/hook",  # in octal
    "http://127.1/hook",
    "http://0.0.0.0/hook",
    "http://user:secret@93.184.215.14/hook",  # credentials in the URL
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("route", ["notification", "gateway"])
def test_subscriptions_to_inside_addresses_are_refused(
    secured: Platform, world: RealWorld, route: str
) -> None:
    base = secured.url() if route == "gateway" else secured.url("notification")
    integrator = BY_NAME["integrator"].headers()
    with httpx.Client(base_url=base, timeout=15) as client:
        listed = send(client, "GET", "/v1/webhooks/subscriptions", headers=integrator)
        before = {s["id"] for s in httpx.Response(200, content=listed.body).json()["items"]}
        failures = []
        for url in INSIDE:
            answer = send(
                client,
                "POST",
                "/v1/webhooks/subscriptions",
                headers=integrator,
                json={"url": url, "patterns": ["#"]},
            )
            pointers = (
                [e["pointer"] for e in httpx.Response(200, content=answer.body).json()["errors"]]
                if answer.status == 422 and problem_json(answer)
                else []
            )
            if pointers != ["/body/url"]:
                failures.append(f"{url}: {answer.status} {answer.text[:160]}")
        listed = send(client, "GET", "/v1/webhooks/subscriptions", headers=integrator)
        after = {s["id"] for s in httpx.Response(200, content=listed.body).json()["items"]}
    assert not failures, "\n".join(failures)
    assert after == before, "a refused subscription was stored"
