"""POST /v1/accounts/roster in-process through identity's bootstrap (memory store): the dry run,
the import and its codes, the problems of a bad file in both languages, who may send one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sipokat.identity.bootstrap import create_app
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.testing import bearer, in_memory, service_client

ADMIN = {**bearer("admin", None), "Content-Type": "text/csv"}
RTS = [f"16.73.02.1019/{n:03d}" for n in range(1, 9)]
PIN = "482915"
ROUTE = "/v1/accounts/roster"

Service = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def service(tmp_path: Path) -> Service:
    @asynccontextmanager
    async def run(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        app = create_app(IdentitySettings(data_dir=tmp_path, **settings), clock=lambda: now)
        in_memory(app)
        async with service_client(app) as client:
            yield client

    return run


def roster(count: int = 3) -> bytes:
    rows = [f"{RTS[n]};Ketua RT {n + 1};0812-0000-{10 + n:04d}" for n in range(count)]
    return ("\ufeffrt;nama;telepon\r\n" + "\r\n".join(rows) + "\r\n").encode()


async def test_a_dry_run_then_the_import_then_an_rt_head_activates_with_the_code(
    service: Service,
) -> None:
    async with service() as client:
        dry = await client.post(ROUTE, content=roster(), headers=ADMIN)  # dry run by default
        assert dry.status_code == 200, dry.text
        assert dry.headers["cache-control"] == "no-store"
        body = dry.json()
        assert body["dry_run"] is True and body["complete"] is False
        assert body["counts"] == {
            "rows": 3,
            "create": 3,
            "created": 0,
            "unchanged": 0,
            "pending": 0,
        }
        assert [row["line"] for row in body["rows"]] == [2, 3, 4]
        assert body["errors"] == []

        done = await client.post(
            ROUTE, params={"dry_run": "false"}, content=roster(), headers=ADMIN
        )
        assert done.status_code == 200, done.text
        assert done.headers["cache-control"] == "no-store"
        body = done.json()
        assert body["complete"] is True and body["counts"]["created"] == 3
        first = body["rows"][0]
        assert (first["rt"], first["phone"], first["status"]) == (
            RTS[0],
            "+6281200000010",
            "created",
        )
        assert len(first["activation_code"]) == 10 and first["activation_expires"].startswith(
            "2026-12-10T09:00"
        )

        activated = await client.post(
            "/v1/auth/activate",
            json={"phone": "0812-0000-0010", "code": first["activation_code"], "password": PIN},
        )
        assert activated.status_code == 200, activated.text
        signed_in = await client.post(
            "/v1/auth/signin", json={"phone": "081200000010", "password": PIN}
        )
        assert signed_in.status_code == 200, signed_in.text

        again = await client.post(
            ROUTE, params={"dry_run": "false"}, content=roster(), headers=ADMIN
        )
        assert again.status_code == 200
        rows = again.json()["rows"]
        assert [row["status"] for row in rows] == ["unchanged"] * 3
        assert [row["activated"] for row in rows] == [True, False, False]
        assert all(row["activation_code"] is None for row in rows)


async def test_a_bad_file_is_a_problem_listing_every_row_in_the_callers_language(
    service: Service,
) -> None:
    bad = (
        "rt,nama,telepon\n"
        f"{RTS[0]},Siti,081200000010\n"
        "16.73.02.1019/999,Budi,081200000011\n"
        f"{RTS[1]},,nomor\n"
    ).encode()
    async with service() as client:
        english = await client.post(ROUTE, params={"dry_run": "false"}, content=bad, headers=ADMIN)
        indonesian = await client.post(
            ROUTE, content=bad, headers={**ADMIN, "Accept-Language": "id"}
        )
        after = await client.post(ROUTE, content=roster(1), headers=ADMIN)
    assert english.status_code == indonesian.status_code == 422
    assert english.headers["content-type"] == "application/problem+json"
    problem = english.json()
    assert problem["type"].endswith("/invalid-roster")
    assert problem["detail"] == "2 line(s) of the roster are wrong; nothing was imported"
    assert [(e["line"], e["field"], e["code"]) for e in problem["errors"]] == [
        (3, "rt", "rt_unknown"),
        (4, "name", "name_empty"),
        (4, "phone", "phone_invalid"),
    ]
    assert problem["errors"][0]["pointer"] == "/body/3/rt"
    assert problem["errors"][0]["detail"] == "RT '16.73.02.1019/999' is not in the directory"
    translated = indonesian.json()
    assert translated["title"] == "Permintaan tidak valid"
    assert translated["errors"][0]["detail"] == "RT '16.73.02.1019/999' tidak ada dalam direktori"
    assert translated["detail"].startswith("2 baris daftar salah")
    assert after.json()["counts"]["create"] == 1  # nothing of the bad file was imported


async def test_a_conflict_with_an_existing_holder_is_a_409_pointing_at_ending_the_post(
    service: Service,
) -> None:
    async with service() as client:
        created = await client.post(
            "/v1/accounts",
            json={
                "name": "Pak Lama",
                "phone": "081377776666",
                "role": "ketua_rt",
                "wilayah": RTS[1],
            },
            headers=bearer("admin", None),
        )
        holder = created.json()["account"]["id"]
        answer = await client.post(ROUTE, content=roster(), headers=ADMIN)
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["type"].endswith("/roster-conflict")
    (error,) = problem["errors"]
    assert (error["line"], error["field"], error["code"]) == (3, "rt", "rt_held")
    assert f"/v1/accounts/{holder}/posts/end" in error["detail"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (bearer("lurah", "16.73.02.1019"), 403),
        (bearer("ketua_rt", RTS[0]), 403),
        (bearer("pemkot", "16.73"), 403),
        (bearer("integrator", None), 403),
        ({}, 401),
    ],
)
async def test_only_an_admin_imports(service: Service, who: dict[str, str], status: int) -> None:
    async with service() as client:
        answer = await client.post(
            ROUTE,
            params={"dry_run": "false"},
            content=roster(),
            headers={**who, "Content-Type": "text/csv"},
        )
        assert answer.status_code == status
        dry = await client.post(ROUTE, content=roster(), headers=ADMIN)
        assert dry.json()["counts"]["create"] == 3  # nothing was created


async def test_a_roster_too_large_or_not_csv_is_refused(service: Service) -> None:
    async with service(roster_max_rows=2, roster_max_bytes=1024) as client:
        rows = await client.post(ROUTE, content=roster(3), headers=ADMIN)
        big = roster(2) + b"#" * 2000
        size = await client.post(ROUTE, content=big, headers=ADMIN)
        json_body = await client.post(
            ROUTE, json={"rt": RTS[0]}, headers={**ADMIN, "Content-Type": "application/json"}
        )
        untyped = await client.post(ROUTE, content=roster(2), headers=bearer("admin", None))
    assert rows.status_code == 413 and "at most 2 rows" in rows.json()["detail"]
    assert size.status_code == 413
    assert json_body.status_code == 415
    assert untyped.status_code == 200  # no Content-Type at all: taken as CSV


async def test_an_import_goes_in_batches(service: Service) -> None:
    async with service(roster_accounts_per_request=2) as client:
        answers = [
            (
                await client.post(
                    ROUTE, params={"dry_run": "false"}, content=roster(3), headers=ADMIN
                )
            ).json()
            for _ in range(2)
        ]
    assert [(a["counts"]["created"], a["counts"]["pending"], a["complete"]) for a in answers] == [
        (2, 1, False),
        (1, 0, True),
    ]
    assert [row["status"] for row in answers[0]["rows"]] == ["created", "created", "pending"]


async def test_the_openapi_document_says_the_body_is_csv(service: Service) -> None:
    async with service() as client:
        document = (await client.get("/openapi.json")).json()
    operation = document["paths"][ROUTE]["post"]
    assert "text/csv" in operation["requestBody"]["content"]
    assert {"409", "413", "415", "422"} <= set(operation["responses"])
    assert operation["parameters"][0]["name"] == "dry_run"
