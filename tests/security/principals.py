"""Who knocks: the callers of the matrix (a role in its own area and outside it) and the tokens
every service must refuse.

The report under test belongs to RT 16.73.02.1019/007 (kelurahan Pelita Jaya, kecamatan
Lubuk Linggau Barat I 16.73.02, Kota Lubuk Linggau 16.73). Each role appears once with that
report in its jurisdiction and once without it (another RT, kelurahan, kecamatan, Kota Kediri).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings

RT = "16.73.02.1019/007"
KELURAHAN = "16.73.02.1019"
KECAMATAN = "16.73.02"
KOTA = "16.73"


@dataclass(frozen=True)
class Caller:
    name: str  # the matrix column
    role: str
    wilayah: str | None
    subject: str
    about: str  # for the legend in docs/security.md

    def headers(self) -> dict[str, str]:
        token = mint_token(
            ServiceSettings(), subject=self.subject, role=self.role, wilayah=self.wilayah
        )
        return {"Authorization": f"Bearer {token}"}


def _caller(name: str, role: str, wilayah: str | None, about: str) -> Caller:
    return Caller(name, role, wilayah, f"{name}-{wilayah or 'all'}", about)


CALLERS: tuple[Caller, ...] = (
    _caller("rt", "ketua_rt", RT, "the RT that made the report"),
    _caller("rt_other", "ketua_rt", "16.73.02.1019/001", "another RT of the same kelurahan"),
    _caller("lurah", "lurah", KELURAHAN, "lurah of the report's kelurahan"),
    _caller("lurah_other", "lurah", "16.73.02.1001", "lurah of another kelurahan, same kecamatan"),
    _caller("lurah_kediri", "lurah", "35.71.01.1001", "lurah of a kelurahan in Kota Kediri"),
    _caller("camat", "camat", KECAMATAN, "camat of the report's kecamatan"),
    _caller("camat_other", "camat", "16.73.01", "camat of another kecamatan, same kota"),
    _caller("pemkot", "pemkot", KOTA, "Pemkot Lubuk Linggau"),
    _caller("pemkot_kediri", "pemkot", "35.71", "Pemkot Kediri"),
    _caller("admin", "admin", None, "an admin"),
    _caller("integrator", "integrator", None, "the integrator owning the webhook subscription"),
    _caller("integrator_other", "integrator", None, "another integrator"),
)
BY_NAME = {caller.name: caller for caller in CALLERS}
# Who may see the report of RT 007 (and its photo): decisions.md's "404 for everyone else".
COVER_THE_REPORT = frozenset({"rt", "lurah", "camat", "pemkot", "admin"})


def _claims(**changes: Any) -> dict[str, Any]:
    settings = ServiceSettings()
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "lurah-attacker",
        "role": "lurah",
        "wilayah": KELURAHAN,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict[str, Any], secret: str | None = None, algorithm: str = "HS256") -> str:
    key = secret or ServiceSettings().jwt_secret.get_secret_value()
    return jwt.encode(claims, key, algorithm=algorithm)


def _unsigned(claims: dict[str, Any]) -> str:
    """alg "none": PyJWT refuses to make one, so it is put together by hand."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def bad_authorizations() -> dict[str, str | None]:
    """Authorization header values that must get 401 everywhere (None: no header at all)."""
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    return {
        "no token": None,
        "alg none": f"Bearer {_unsigned(_claims())}",
        "alg HS512 (not allowed)": f"Bearer {_signed(_claims(), algorithm='HS512')}",
        "expired": f"Bearer {_signed(_claims(exp=past))}",
        "wrong audience": f"Bearer {_signed(_claims(aud='another-app'))}",
        "wrong issuer": f"Bearer {_signed(_claims(iss='someone-else'))}",
        "wrong signature": f"Bearer {_signed(_claims(), secret='not-the-secret-' * 3)}",
        "missing exp": f"Bearer {_signed(_claims(exp=None))}",
        "missing sub": f"Bearer {_signed(_claims(sub=None))}",
        "unknown role": f"Bearer {_signed(_claims(role='bupati'))}",
        "kelurahan not in the directory": f"Bearer {_signed(_claims(wilayah='16.73.02.9999'))}",
        "RT not in the directory": (
            f"Bearer {_signed(_claims(role='ketua_rt', wilayah='16.73.02.1019/999'))}"
        ),
        "a lurah of a whole kota": f"Bearer {_signed(_claims(wilayah=KOTA))}",
        # Claims no event could carry (sipokat.events.bounds): each was a 500 where one is made.
        "empty sub": f"Bearer {_signed(_claims(sub=''))}",
        "sub of 201 characters": f"Bearer {_signed(_claims(sub='x' * 201))}",
        "sub with a control character": f"Bearer {_signed(_claims(sub='lurah' + chr(27)))}",
        "RT wilayah with a trailing newline": (
            f"Bearer {_signed(_claims(role='ketua_rt', wilayah='16.73.02.1019/007' + chr(10)))}"
        ),
        "garbage": "Bearer this-is.not-a.jwt",
        "not bearer": "Basic Z3Vlc3Q6Z3Vlc3Q=",
    }
