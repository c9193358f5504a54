"""Notification end to end, all through the gateway as the apps would: four real processes, the
real broker, a webhook receiver over HTTP, a real SMTP server and a live SSE stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth, report_body, sse
from sipokat.events.testing import eventually
from sipokat.notification.adapters.webhooks import sign
from sipokat.runtime.testing import Mailbox, Receiver, smtp_server

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def hook_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture(autouse=True)
def notification_env(monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox) -> None:
    """Set before the platform starts (autouse fixtures come first): email on, to the test's SMTP
    server; fast retries; webhooks allowed to reach the receiver on 127.0.0.1."""
    for name, value in {
        "SIPOKAT_SMTP_ENABLED": "true",
        "SIPOKAT_SMTP_PORT": str(mailbox.port),
        "SIPOKAT_WEBHOOK_ALLOW_PRIVATE": "true",
        "SIPOKAT_RETRY_BASE_SECONDS": "0.2",
        "SIPOKAT_RETRY_MAX_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)


async def test_a_report_reaches_inbox_stream_webhook_and_mail_once(
    platform: Platform, hook_receiver: Receiver, mailbox: Mailbox
) -> None:
    receiver, smtp = hook_receiver, mailbox
    lurah = auth("lurah", KELURAHAN)
    async with httpx.AsyncClient(base_url=platform.url(), timeout=10) as gateway:
        created = await gateway.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "patterns": ["report.submitted", "report.rejected.*"]},
            headers=auth("integrator", None),
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        prefs = await gateway.put(
            "/v1/notifications/preferences",
            json={"email": "lurah.pelitajaya@kota.test", "language": "id"},
            headers=lurah,
        )
        assert prefs.status_code == 200, prefs.text

        async with sse(platform.url() + "/v1/notifications/stream", lurah) as live:
            accepted = await gateway.post(
                "/v1/reports", json=report_body(), headers=auth("ketua_rt", RT)
            )
            assert accepted.status_code == 202, accepted.text
            report_id = accepted.json()["report_id"]

            pushed = await eventually(
                lambda: [e for e in live if e.get("event") == "notification"], timeout=60
            )
            assert pushed[0]["data"]["report_id"] == report_id
            assert pushed[0]["data"]["recipient"] == f"lurah:{KELURAHAN}"

        body = (await gateway.get("/v1/notifications/inbox", headers=lurah)).json()
        assert body["unread"] == 1
        assert body["items"][0]["report_id"] == report_id

        await eventually(lambda: receiver.received, timeout=60)
        headers, raw = receiver.received[0]
        envelope = json.loads(raw)
        assert (envelope["type"], envelope["data"]["report_id"]) == ("ReportSubmitted", report_id)
        assert headers["webhook-signature"] == sign(
            secret, headers["webhook-id"], int(headers["webhook-timestamp"]), raw
        )

        mail = await eventually(lambda: smtp.messages, timeout=60)
        assert mail[0]["X-Rcpt-To"] == "lurah.pelitajaya@kota.test"
        assert "menunggu verifikasi" in mail[0]["Subject"]

        # The lurah sends it back: the RT head hears of it, and so does the integrator.
        await eventually(
            lambda: _status_is(gateway, report_id, lurah, "awaiting_kelurahan"), timeout=60
        )
        rejected = await gateway.post(
            f"/v1/reports/{report_id}/decisions",
            json={"decision": "reject", "reason_code": "no_evidence", "note": "Foto belum ada"},
            headers=lurah,
        )
        assert rejected.status_code in (200, 201, 202), rejected.text

        async def rt_inbox() -> list[dict[str, Any]]:
            answer = await gateway.get("/v1/notifications/inbox", headers=auth("ketua_rt", RT))
            items: list[dict[str, Any]] = answer.json()["items"]
            return items

        items = await eventually(rt_inbox, timeout=60)
        assert items[0]["kind"] == "rejected"
        assert "Foto belum ada" in items[0]["message"]
        await eventually(lambda: len(receiver.received) == 2, timeout=60)
        assert json.loads(receiver.received[1][1])["type"] == "ReportRejected"
        assert len(smtp.messages) == 1  # the RT head gave no address


async def _status_is(
    gateway: httpx.AsyncClient, report_id: str, headers: dict[str, str], status: str
) -> bool:
    answer = await gateway.get(f"/v1/reports/{report_id}", headers=headers)
    return answer.status_code == 200 and answer.json()["status"] == status
