"""Help nearby through the gateway: a lurah signs in, resets the PIN of an RT head of their
kelurahan, and the RT head sets a new PIN with the code; a lurah of another kelurahan is
refused as if the account did not exist."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from harness import KELURAHAN, RT, Platform, auth

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

OTHER_KELURAHAN = "16.73.02.1001"  # Lubuk Linggau Barat I too
PIN, NEW_PIN = "480913", "736251"
PASSWORD = "kopi-tubruk-pagi"


def phone() -> str:
    return f"0812{uuid.uuid4().int % 10**8:08d}"


async def signed_in(
    gateway: httpx.AsyncClient, role: str, wilayah: str, password: str
) -> tuple[str, str, dict[str, str]]:
    """An account the admin creates and its holder activates: (id, phone, bearer headers)."""
    number = phone()
    created = await gateway.post(
        "/v1/accounts",
        json={"name": f"Bu {role}", "phone": number, "role": role, "wilayah": wilayah},
        headers=auth("admin", None),
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    activated = await gateway.post(
        "/v1/auth/activate",
        json={"phone": number, "code": body["activation_code"], "password": password},
    )
    assert activated.status_code == 200, activated.text
    token = activated.json()["access_token"]
    return body["account"]["id"], number, {"Authorization": f"Bearer {token}"}


async def test_a_lurah_resets_an_rt_heads_pin_and_another_lurah_is_refused(
    platform: Platform,
) -> None:
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        _, _, lurah = await signed_in(gateway, "lurah", KELURAHAN, PASSWORD)
        _, _, other_lurah = await signed_in(gateway, "lurah", OTHER_KELURAHAN, PASSWORD)
        rt_id, rt_phone, _ = await signed_in(gateway, "ketua_rt", RT, PIN)

        # The lurah finds the RT head in their list (the phone number masked) and resets.
        listed = await gateway.get("/v1/accounts", headers=lurah)
        assert listed.status_code == 200, listed.text
        [shown] = [a for a in listed.json()["items"] if a["id"] == rt_id]
        assert "****" in shown["phone"] and shown["phone"].endswith(rt_phone[-4:])
        refused = await gateway.post(f"/v1/accounts/{rt_id}/reset", headers=other_lurah)
        assert refused.status_code == 404, refused.text
        assert rt_id not in {
            a["id"]
            for a in (await gateway.get("/v1/accounts", headers=other_lurah)).json()["items"]
        }

        reset = await gateway.post(f"/v1/accounts/{rt_id}/reset", headers=lurah)
        assert reset.status_code == 201, reset.text
        assert reset.headers["cache-control"] == "no-store"
        code = reset.json()["code"]

        # The old PIN no longer signs in; the code must set a new PIN, which then does.
        old = await gateway.post("/v1/auth/signin", json={"phone": rt_phone, "password": PIN})
        assert old.status_code == 401, old.text
        new = await gateway.post(
            "/v1/auth/activate", json={"phone": rt_phone, "code": code, "password": NEW_PIN}
        )
        assert new.status_code == 200, new.text
        again = await gateway.post(
            "/v1/auth/activate", json={"phone": rt_phone, "code": code, "password": NEW_PIN}
        )
        assert again.status_code == 401, again.text
        signed = await gateway.post(
            "/v1/auth/signin", json={"phone": rt_phone, "password": NEW_PIN}
        )
        assert signed.status_code == 200, signed.text
        bearer = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        me = await gateway.get("/v1/accounts/me", headers=bearer)
        assert me.status_code == 200 and me.json()["activated"] is True

        # The lurah's record of the reset: whom, and that the code was used.
        trail = await gateway.get(f"/v1/accounts/{rt_id}/resets", headers=lurah)
        assert trail.status_code == 200, trail.text
        [record] = trail.json()["items"]
        assert record["target"] == rt_id and record["used"] is not None
