"""An account signs in at identity, through the gateway, and its RS256 token works at every
service: the services verify it through identity's JWKS, as they verify nothing else."""

from __future__ import annotations

import uuid

import httpx
import pytest

from harness import RT, Platform, auth, report_body

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

PIN = "480913"


async def test_an_rt_head_activates_signs_in_and_reports_with_identitys_token(
    platform: Platform,
) -> None:
    phone = f"0812{uuid.uuid4().int % 10**8:08d}"
    async with httpx.AsyncClient(base_url=platform.url(), timeout=15) as gateway:
        created = await gateway.post(
            "/v1/accounts",
            json={"name": "Pak RT Tujuh", "phone": phone, "role": "ketua_rt", "wilayah": RT},
            headers=auth("admin", None),
        )
        assert created.status_code == 201, created.text
        code = created.json()["activation_code"]

        activated = await gateway.post(
            "/v1/auth/activate", json={"phone": phone, "code": code, "password": PIN}
        )
        assert activated.status_code == 200, activated.text
        # The code works once.
        again = await gateway.post(
            "/v1/auth/activate", json={"phone": phone, "code": code, "password": PIN}
        )
        assert again.status_code == 401, again.text

        signed_in = await gateway.post("/v1/auth/signin", json={"phone": phone, "password": PIN})
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}

        keys = (await gateway.get("/.well-known/jwks.json")).json()["keys"]
        assert keys and all(key["alg"] == "RS256" and "d" not in key for key in keys)

        # The token of identity is taken by every service, each checking it against the JWKS:
        # intake (submit), verification (status), notification (the inbox), identity itself
        # (the account), and analytics, which knows the RT head by the token and refuses the
        # role (403 naming it, not the 401 of a token it could not verify).
        accepted = await gateway.post("/v1/reports", json=report_body(), headers=bearer)
        assert accepted.status_code == 202, accepted.text
        status = await gateway.get(accepted.json()["status_url"], headers=bearer)
        assert status.status_code == 200, status.text
        areas = await gateway.get("/v1/analytics/areas", headers=bearer)
        assert areas.status_code == 403, areas.text
        assert "ketua_rt" in areas.json()["detail"]
        inbox = await gateway.get("/v1/notifications/inbox", headers=bearer)
        assert inbox.status_code == 200, inbox.text
        me = await gateway.get("/v1/accounts/me", headers=bearer)
        assert me.status_code == 200, me.text
        assert me.json()["post"]["wilayah"] == RT

        # A refresh token rotates; the spent one, presented again, ends the whole session.
        refresh = signed_in.json()["refresh_token"]
        rotated = await gateway.post("/v1/auth/refresh", json={"refresh_token": refresh})
        assert rotated.status_code == 200, rotated.text
        reused = await gateway.post("/v1/auth/refresh", json={"refresh_token": refresh})
        assert reused.status_code == 401, reused.text
        newest = rotated.json()["refresh_token"]
        after = await gateway.post("/v1/auth/refresh", json={"refresh_token": newest})
        assert after.status_code == 401, after.text

        # A token signed with anything but identity's key is refused everywhere.
        forged = token[: token.rindex(".") + 1] + "AAAA"
        refused = await gateway.post(
            "/v1/reports", json=report_body(), headers={"Authorization": f"Bearer {forged}"}
        )
        assert refused.status_code == 401, refused.text
