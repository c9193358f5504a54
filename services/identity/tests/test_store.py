"""Identity on its real SQLite store, across a restart: the signing key and the accounts are
kept, so tokens signed before the restart still verify and their sessions still refresh."""

from __future__ import annotations

from pathlib import Path

import jwt

from sipokat.identity.bootstrap import create_app
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import bearer, service_client


async def test_keys_accounts_and_sessions_outlive_a_restart(tmp_path: Path) -> None:
    settings = IdentitySettings(data_dir=tmp_path)
    async with service_client(create_app(settings)) as client:
        created = await client.post(
            "/v1/accounts",
            json={
                "name": "Siti Rahma",
                "phone": "0812-3456-7890",
                "role": "lurah",
                "wilayah": "16.73.02.1019",
            },
            headers=bearer("admin", None),
        )
        assert created.status_code == 201, created.text
        activated = await client.post(
            "/v1/auth/activate",
            json={
                "phone": "081234567890",
                "code": created.json()["activation_code"],
                "password": "kopi susu di pos ronda",
            },
        )
        assert activated.status_code == 200, activated.text
        before = (await client.get("/.well-known/jwks.json")).json()
    assert (tmp_path / "identity.db").exists()

    async with service_client(create_app(settings)) as client:
        after = (await client.get("/.well-known/jwks.json")).json()
        assert after == before  # no new key on the second start
        refreshed = await client.post(
            "/v1/auth/refresh", json={"refresh_token": activated.json()["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        signed_in = await client.post(
            "/v1/auth/signin",
            json={"phone": "+62 812 3456 7890", "password": "kopi susu di pos ronda"},
        )
        assert signed_in.status_code == 200
    keys = jwt.PyJWKSet.from_dict(after)
    token = activated.json()["access_token"]
    claims = jwt.decode(
        token,
        keys[jwt.get_unverified_header(token)["kid"]].key,
        algorithms=["RS256"],
        audience="sipokat",
        issuer="sipokat-identity",
    )
    assert claims["role"] == "lurah" and claims["wilayah"] == "16.73.02.1019"
