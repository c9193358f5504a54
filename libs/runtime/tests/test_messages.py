"""Every problem the shared runtime answers, in Indonesian under `Accept-Language: id` and in
English by default: 401, 403, 413, 429 and validation (enum choices included)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import httpx
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from sipokat.events.catalogue import Bidang
from sipokat.events.envelope import Role
from sipokat.runtime.auth import Principal, TokenVerifier, mint_token, require_roles
from sipokat.runtime.limits import (
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    TokenBuckets,
    client_address,
)
from sipokat.runtime.messages import TITLES_ID, negotiate, validation_message
from sipokat.runtime.problems import install_problem_handlers
from sipokat.runtime.settings import ServiceSettings

SETTINGS = ServiceSettings()
ID = {"Accept-Language": "id"}


class Body(BaseModel):
    bidang: Bidang
    decision: Literal["approve", "reject"]


def app_of() -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(SETTINGS)
    install_problem_handlers(app)

    @app.post("/things")
    async def things(
        body: Body,
        principal: Annotated[Principal, Depends(require_roles(Role.LURAH))],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, str]:
        return {"ok": "yes"}

    return app


def bearer(role: Role) -> dict[str, str]:
    token = mint_token(SETTINGS, subject="s", role=role, wilayah="16.73.02.1019/007")
    return {"Authorization": f"Bearer {token}"}


async def post(app: object, headers: dict[str, str], **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        return await client.post("/things", headers=headers, **kwargs)  # type: ignore[arg-type]


VALID = {"bidang": "ekonomi", "decision": "approve"}


async def test_authentication_and_roles_answer_in_indonesian() -> None:
    app = app_of()
    none = await post(app, ID, json=VALID)
    assert (none.status_code, none.json()["title"]) == (401, "Tidak terautentikasi")
    assert none.json()["detail"] == "token bearer wajib dikirim"
    assert none.headers["content-language"] == "id"
    expired = mint_token(SETTINGS, subject="s", role=Role.LURAH, ttl=timedelta(hours=-1))
    old = await post(app, {**ID, "Authorization": f"Bearer {expired}"}, json=VALID)
    assert old.json()["detail"].startswith("token tidak valid: masa berlakunya habis"), old.text
    rt = await post(app, {**ID, **bearer(Role.KETUA_RT)}, json=VALID)
    assert (rt.status_code, rt.json()["title"]) == (403, "Akses ditolak")
    assert rt.json()["detail"].startswith("peran ketua_rt tidak boleh melakukan ini")
    english = await post(app, bearer(Role.KETUA_RT), json=VALID)
    assert english.json()["title"] == "Forbidden"
    assert english.headers["content-language"] == "en"


async def test_validation_speaks_indonesian_down_to_the_enum_choices() -> None:
    answer = await post(
        app_of(),
        {**ID, **bearer(Role.LURAH)},
        json={"bidang": "olahraga", "decision": "maybe", "extra": 1},
        params={"limit": "0"},
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["title"] == "Permintaan tidak valid"
    details = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert details["/body/bidang"].startswith("harus salah satu dari 'pemerintahan'")
    assert details["/body/bidang"].endswith("atau 'ekonomi'"), details
    assert details["/body/decision"] == "harus salah satu dari 'approve' atau 'reject'"
    assert details["/query/limit"] == "harus lebih besar atau sama dengan 1"
    assert " or " not in problem["detail"]
    broken = await post(
        app_of(), {**ID, **bearer(Role.LURAH), "content-type": "application/json"}, content=b"{"
    )
    assert (broken.status_code, broken.json()["title"]) == (400, "JSON rusak")


async def test_the_edge_limits_answer_in_indonesian() -> None:
    too_large = BodySizeLimitMiddleware(app_of(), default_max_bytes=10)
    answer = await post(too_large, ID, content=b"x" * 100)
    assert (answer.status_code, answer.json()["title"]) == (413, "Isi permintaan terlalu besar")
    assert answer.json()["detail"] == "isi permintaan paling banyak 10 byte"
    assert answer.headers["content-language"] == "id"
    limited = RateLimitMiddleware(app_of(), TokenBuckets(0.001, 1), client_address)
    await post(limited, ID, json=VALID)
    refused = await post(limited, ID, json=VALID)
    assert (refused.status_code, refused.json()["title"]) == (429, "Terlalu banyak permintaan")
    assert refused.json()["detail"].startswith("terlalu cepat")
    english = await post(limited, {}, json=VALID)
    assert english.json()["title"] == "Too many requests"


def test_english_is_the_default_and_unknown_titles_pass_through() -> None:
    assert negotiate(None) == negotiate("fr") == "en"
    assert all(indonesian and indonesian != english for english, indonesian in TITLES_ID.items())
    enum = {"type": "enum", "msg": "Input should be 'a' or 'b'", "ctx": {"expected": "'a' or 'b'"}}
    assert validation_message(enum, "id") == "harus salah satu dari 'a' atau 'b'"
    assert validation_message(enum, "en") == "Input should be 'a' or 'b'"
