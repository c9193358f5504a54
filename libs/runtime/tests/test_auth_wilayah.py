"""A token's wilayah claim must be a directory code of its role's level (`check_wilayah`).

Found by tests/security: a signed token naming an area that does not exist, or a lurah token
naming a whole kota, was taken; analytics then gave that "lurah" the figures of the kota.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from pydantic import SecretStr

from sipokat.runtime.auth import TokenVerifier
from sipokat.runtime.problems import Problem
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import ONE_OF_EACH_ROLE

SETTINGS = ServiceSettings(jwt_secret=SecretStr("a-test-secret-of-at-least-32-bytes!"))
LEVELS = {"16.73": "kota", "16.73.02": "kecamatan", "16.73.02.1019": "kelurahan"}
LEVELS["16.73.02.1019/007"] = "rt"


def token(role: str, wilayah: str | None) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": f"{role}-x",
        "role": role,
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "exp": now + timedelta(minutes=5),
    }
    if wilayah is not None:
        claims["wilayah"] = wilayah
    return jwt.encode(claims, SETTINGS.jwt_secret.get_secret_value(), algorithm="HS256")


def verifier() -> TokenVerifier:
    checked = TokenVerifier(SETTINGS)
    checked.check_wilayah(LEVELS.get)
    return checked


@pytest.mark.parametrize(
    ("role", "wilayah"),
    [*ONE_OF_EACH_ROLE, ("admin", "16.73")],  # an admin may carry any known area
)
async def test_a_known_wilayah_of_the_roles_level_is_taken(role: str, wilayah: str | None) -> None:
    assert (await verifier().verify(token(role, wilayah))).wilayah == wilayah


@pytest.mark.parametrize(
    ("role", "wilayah"),
    [
        ("lurah", "16.73.02.9999"),  # not in the directory
        ("ketua_rt", "16.73.02.1019/999"),
        ("lurah", "16.73"),  # a lurah of a whole kota
        ("camat", "16.73.02.1019"),
        ("pemkot", "16.73.02"),
        ("ketua_rt", "16.73.02.1019"),
        ("admin", "99.99"),
    ],
)
async def test_an_unknown_or_misplaced_wilayah_is_401(role: str, wilayah: str) -> None:
    with pytest.raises(Problem) as refused:
        await verifier().verify(token(role, wilayah))
    assert refused.value.status == 401
    assert "wilayah" in str(refused.value)


async def test_without_a_directory_any_wilayah_is_taken() -> None:
    principal = await TokenVerifier(SETTINGS).verify(token("lurah", "16.73"))
    assert principal.wilayah == "16.73"
