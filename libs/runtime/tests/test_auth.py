"""Token checks of RFC 8725: only allowed algorithms, and exp, aud, iss all required."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from pydantic import SecretStr

from sipokat.events.envelope import Role
from sipokat.runtime.auth import Principal, TokenVerifier, mint_token
from sipokat.runtime.problems import Problem
from sipokat.runtime.settings import ServiceSettings

SETTINGS = ServiceSettings(jwt_secret=SecretStr("a-test-secret-of-at-least-32-bytes!"))


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": "lurah-pelita-jaya",
        "role": "lurah",
        "wilayah": "16.73.02.1019",
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], secret: str | None = None) -> str:
    return jwt.encode(payload, secret or SETTINGS.jwt_secret.get_secret_value(), algorithm="HS256")


async def test_a_minted_token_verifies_to_its_principal() -> None:
    token = mint_token(SETTINGS, subject="rt-7", role=Role.KETUA_RT, wilayah="16.73.02.1019/007")
    assert await TokenVerifier(SETTINGS).verify(token) == Principal(
        subject="rt-7", role=Role.KETUA_RT, wilayah="16.73.02.1019/007"
    )


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (signed(claims(exp=datetime.now(UTC) - timedelta(seconds=5))), "expired"),
        (signed(claims(aud="someone-else")), "audience"),
        (signed(claims(iss="evil")), "issuer"),
        (signed(claims(exp=None)), "exp"),
        (signed(claims(aud=None)), "aud"),
        (signed(claims(), secret="another-secret-of-at-least-32-bytes"), "signature"),
        (jwt.encode(claims(), key="", algorithm="none"), "alg none"),
        (signed(claims(role="raja")), "unknown role"),
        ("not-a-jwt", "garbage"),
    ],
)
async def test_bad_tokens_are_refused_with_401(token: str, why: str) -> None:
    with pytest.raises(Problem) as refused:
        await TokenVerifier(SETTINGS).verify(token)
    assert refused.value.status == 401, why
    assert refused.value.headers == {"WWW-Authenticate": 'Bearer realm="sipokat"'}


# Claims no event could carry (sipokat.events.bounds). Each was a 500 where the event is made
# (submit, decide) before the principal was bounded; every service now refuses them with 401.
OUT_OF_CONTRACT = {
    "empty sub": claims(sub=""),
    "sub of 201 characters": claims(sub="x" * 201),
    "sub with a newline": claims(sub="lurah\n1"),
    "sub with NUL": claims(sub="lurah\x001"),
    "name of 201 characters": claims(name="n" * 201),
    "name with a control character": claims(name="Bu Lurah\x1b[31m"),
    "wilayah with a trailing newline": claims(wilayah="16.73.02.1019\n"),
    "wilayah in Arabic-Indic digits": claims(
        wilayah="\u0661\u0666.\u0667\u0663.\u0660\u0662.\u0661\u0660\u0661\u0669"
    ),
    "RT wilayah with a trailing newline": claims(role="ketua_rt", wilayah="16.73.02.1019/007\n"),
}


@pytest.mark.parametrize("payload", OUT_OF_CONTRACT.values(), ids=OUT_OF_CONTRACT.keys())
async def test_claims_outside_the_event_contract_are_refused_with_401(
    payload: dict[str, Any],
) -> None:
    with pytest.raises(Problem) as refused:
        await TokenVerifier(SETTINGS).verify(signed(payload))
    assert refused.value.status == 401
    assert refused.value.headers == {"WWW-Authenticate": 'Bearer realm="sipokat"'}


async def test_the_longest_subject_and_name_an_event_carries_are_taken() -> None:
    principal = await TokenVerifier(SETTINGS).verify(signed(claims(sub="s" * 200, name="n" * 200)))
    assert principal.as_actor().subject == "s" * 200 and principal.name == "n" * 200


async def test_an_empty_name_is_no_name() -> None:
    assert (await TokenVerifier(SETTINGS).verify(signed(claims(name="")))).name is None


# ---------------------------------------------------------------- remembered tokens


def counted_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checks: list[str] = []
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        checks.append("decode")
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return checks


async def test_a_remembered_token_is_not_served_past_its_exp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(SETTINGS.model_copy(update={"jwt_cache_seconds": 3600}))
    exp = datetime.now(UTC) + timedelta(seconds=30)
    token = signed(claims(exp=exp))
    await verifier.verify(token)
    checks = counted_decodes(monkeypatch)
    monkeypatch.setattr("time.time", lambda: exp.timestamp() + 1)
    await verifier.verify(token)  # PyJWT's own clock still says valid; the cache must not decide
    assert checks  # checked again


async def test_a_remembered_token_is_checked_again_after_the_cache_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier = TokenVerifier(SETTINGS.model_copy(update={"jwt_cache_seconds": 60}))
    token = signed(claims(exp=datetime.now(UTC) + timedelta(hours=1)))
    await verifier.verify(token)
    checks = counted_decodes(monkeypatch)
    await verifier.verify(token)
    assert checks == []  # within the cache time: the signature is not checked again
    later = datetime.now(UTC).timestamp() + 61
    monkeypatch.setattr("time.time", lambda: later)
    await verifier.verify(token)
    assert checks  # checked again


async def test_a_refused_token_is_never_remembered() -> None:
    verifier = TokenVerifier(SETTINGS)
    forged = signed(claims(), secret="another-secret-of-at-least-32-bytes")
    for _ in range(2):
        with pytest.raises(Problem):
            await verifier.verify(forged)


async def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TokenVerifier, "CACHE_SIZE", 3)
    verifier = TokenVerifier(SETTINGS)
    tokens = [signed(claims(sub=f"rt-{i}")) for i in range(5)]
    for token in tokens:
        await verifier.verify(token)
    assert len(verifier._verified) == 3
    assert list(verifier._verified) == tokens[2:]  # the least recently used went first
