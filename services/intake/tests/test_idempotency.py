"""Idempotency-Key on POST /v1/reports: retries get the first answer and make no second report,
even across a restart of the service."""

from __future__ import annotations

import time
from datetime import date
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from sipokat.events.catalogue import ReportContent
from sipokat.events.envelope import Actor, Role
from sipokat.events.store import Database, ViewTransaction
from sipokat.events.testing import RerunEffects, Reruns
from sipokat.intake.adapters.idempotency import (
    KEYS,
    Claim,
    Decision,
    IdempotencyKeys,
    doc_key,
    fingerprint,
    legacy_key,
)
from sipokat.intake.bootstrap import create_app
from sipokat.intake.settings import IntakeSettings
from sipokat.runtime.auth import mint_token
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import bearer, runtime_of_app, service_client

pytestmark = pytest.mark.broker

RT = "16.73.02.1019/007"


def body(title: str = "Rapat warga RT 007") -> dict[str, object]:
    return {
        "kind": "usulan",
        "bidang": "pembangunan",
        "title": title,
        "description": "Usulan perbaikan jalan lingkungan sepanjang 120 m.",
        "activity_date": date.today().isoformat(),
    }


def with_key(key: str, rt: str = RT) -> dict[str, str]:
    return {**bearer("ketua_rt", rt), "Idempotency-Key": f'"{key}"'}


async def stored_reports(app: FastAPI) -> int:
    return await runtime_of_app(app).database.events.last_position()


async def test_a_retry_gets_the_first_answer_and_makes_no_second_report(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await client.post("/v1/reports", json=body(), headers=with_key("k-1"))
    retry = await client.post("/v1/reports", json=body(), headers=with_key("k-1"))
    assert first.status_code == retry.status_code == 202
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert await stored_reports(app) == 1


async def test_the_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.post("/v1/reports", json=body(), headers=with_key("k-2"))
    other = await client.post("/v1/reports", json=body("Lain"), headers=with_key("k-2"))
    assert other.status_code == 422
    assert other.json()["title"] == "Idempotency key reused"
    assert await stored_reports(app) == 1


async def test_keys_are_scoped_per_client(client: httpx.AsyncClient, app: FastAPI) -> None:
    mine = await client.post("/v1/reports", json=body(), headers=with_key("shared"))
    theirs = await client.post(
        "/v1/reports", json=body(), headers=with_key("shared", "16.73.02.1019/003")
    )
    assert theirs.status_code == 202
    assert theirs.json()["report_id"] != mine.json()["report_id"]
    assert await stored_reports(app) == 2


def shared_subject(rt: str, key: str) -> dict[str, str]:
    """An RT's token whose `sub` another RT's token carries too (an identity provider that
    reuses subjects, or a forged pair): the principal is subject, role and wilayah together."""
    token = mint_token(ServiceSettings(), subject="rt-shared", role="ketua_rt", wilayah=rt)
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": f'"{key}"'}


async def test_keys_are_scoped_per_principal_not_per_subject(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    other_rt = "16.73.02.1019/003"
    mine = await client.post("/v1/reports", json=body(), headers=shared_subject(RT, "k-sub"))
    theirs = await client.post(
        "/v1/reports", json=body(), headers=shared_subject(other_rt, "k-sub")
    )
    assert mine.status_code == theirs.status_code == 202, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["report_id"] != mine.json()["report_id"]
    assert await stored_reports(app) == 2
    stored = await runtime_of_app(app).database.events.read_from(0, 10)
    owners = {
        str(e.envelope.data.report_id): e.envelope.data.wilayah.rt_code  # type: ignore[attr-defined]
        for e in stored
    }
    assert owners == {mine.json()["report_id"]: RT, theirs.json()["report_id"]: other_rt}
    # Each still replays its own answer.
    again = await client.post("/v1/reports", json=body(), headers=shared_subject(other_rt, "k-sub"))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == theirs.json()


async def test_a_record_of_the_old_keying_is_replayed_to_its_principal_only(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await client.post("/v1/reports", json=body(), headers=shared_subject(RT, "k-old"))
    # Make it a record of the version before: keyed by (subject, key), no principal in it.
    views = runtime_of_app(app).database.views
    rt = Actor(subject="rt-shared", role=Role.KETUA_RT, wilayah=RT)
    record = await views.get(KEYS, doc_key(rt, "k-old"))
    assert record is not None
    record.pop("principal")

    async def downgrade(tx: ViewTransaction) -> None:
        await tx.delete(KEYS, doc_key(rt, "k-old"))
        await tx.put(KEYS, legacy_key("rt-shared", "k-old"), record)

    await views.apply_once(uuid4(), downgrade)

    retry = await client.post("/v1/reports", json=body(), headers=shared_subject(RT, "k-old"))
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    other = await client.post(
        "/v1/reports", json=body(), headers=shared_subject("16.73.02.1019/003", "k-old")
    )
    assert other.status_code == 202
    assert "idempotent-replayed" not in other.headers
    assert other.json()["report_id"] != first.json()["report_id"]
    assert await stored_reports(app) == 2


async def test_a_retry_while_the_first_is_in_flight_is_409(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    keys: IdempotencyKeys = runtime_of_app(app).context.idempotency_keys
    content_json = ReportContent.model_validate(body()).model_dump_json()
    # The first request has claimed the key and is still running (here: we hold the claim).
    rt = Actor(subject=f"ketua_rt-{RT}", role=Role.KETUA_RT, wilayah=RT)
    await keys.claim(rt, "k-3", fingerprint("POST /v1/reports", content_json))
    retry = await client.post("/v1/reports", json=body(), headers=with_key("k-3"))
    assert retry.status_code == 409, retry.text
    assert retry.headers["retry-after"] == "1"
    assert await stored_reports(app) == 0


async def test_a_refused_request_releases_its_key(client: httpx.AsyncClient, app: FastAPI) -> None:
    refused = await client.post(
        "/v1/reports", json={**body(), "activity_date": "2999-01-01"}, headers=with_key("k-4")
    )
    assert refused.status_code == 422
    fixed = await client.post("/v1/reports", json=body(), headers=with_key("k-4"))
    assert fixed.status_code == 202
    assert await stored_reports(app) == 1


async def test_a_bad_key_is_400(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/reports", json=body(), headers={**bearer("ketua_rt", RT), "Idempotency-Key": "a b"}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["pointer"] == "/header/Idempotency-Key"


async def test_the_first_answer_survives_a_restart(settings: IntakeSettings) -> None:
    first_app = create_app(settings)
    async with service_client(first_app) as client:
        first = await client.post("/v1/reports", json=body(), headers=with_key("k-5"))
    assert first.status_code == 202
    second_app = create_app(settings)
    async with service_client(second_app) as client:
        retry = await client.post("/v1/reports", json=body(), headers=with_key("k-5"))
        assert retry.json() == first.json()
        assert await stored_reports(second_app) == 1


async def test_a_retry_after_a_crash_between_storing_and_answering_makes_no_second_report(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys: IdempotencyKeys = runtime_of_app(app).context.idempotency_keys

    async def process_dies(*args: object) -> None:
        raise SystemExit("killed after the report was stored, before the key was completed")

    monkeypatch.setattr(keys, "complete", process_dies)
    with pytest.raises(SystemExit):
        await client.post("/v1/reports", json=body(), headers=with_key("k-crash"))
    assert await stored_reports(app) == 1  # stored; the client never got its answer
    stored = await runtime_of_app(app).database.events.read_from(0, 10)
    monkeypatch.undo()

    later = time.time() + keys.lease + 1  # the dead request's lease has lapsed
    monkeypatch.setattr(keys, "clock", lambda: later)
    retry = await client.post("/v1/reports", json=body(), headers=with_key("k-crash"))
    assert retry.status_code == 202, retry.text
    assert retry.json()["report_id"] == str(stored[0].envelope.data.report_id)  # type: ignore[attr-defined]
    assert await stored_reports(app) == 1
    again = await client.post("/v1/reports", json=body(), headers=with_key("k-crash"))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == retry.json()


async def test_idempotency_problems_answer_in_indonesian_when_asked(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/v1/reports", json=body(), headers=with_key("k-id"))
    other = await client.post(
        "/v1/reports", json=body("Lain"), headers={**with_key("k-id"), "Accept-Language": "id"}
    )
    assert (other.status_code, other.json()["title"]) == (422, "Idempotency-Key dipakai ulang")
    assert other.json()["detail"].startswith("Idempotency-Key ini sudah dipakai")
    bad = await client.post(
        "/v1/reports",
        json=body(),
        headers={**bearer("ketua_rt", RT), "Idempotency-Key": "a b", "Accept-Language": "id"},
    )
    assert bad.json()["errors"][0]["detail"].startswith("Idempotency-Key harus 1 sampai 255")
    enum = await client.post(
        "/v1/reports",
        json={**body(), "bidang": "olahraga"},
        headers={**bearer("ketua_rt", RT), "Accept-Language": "id"},
    )
    detail = enum.json()["errors"][0]["detail"]
    assert detail.startswith("harus salah satu dari") and detail.endswith("atau 'ekonomi'")


async def test_with_every_effect_run_again_a_retry_still_gets_the_first_answer(
    rerun_effects: Reruns, client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Every claim, completion and photo record runs once into an aborted transaction, then for
    real (MongoDB's with_transaction may): one report, and the retry gets its answer."""
    first = await client.post("/v1/reports", json=body(), headers=with_key("k-again"))
    retry = await client.post("/v1/reports", json=body(), headers=with_key("k-again"))
    assert first.status_code == retry.status_code == 202, first.text
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert await stored_reports(app) == 1
    assert rerun_effects.rehearsed >= 2


async def test_a_claim_run_again_after_another_request_took_the_key_is_in_flight(
    sqlite_database: Database,
) -> None:
    """The claim runs, is aborted, and the same request (a retry on another replica) claims
    the key before it runs again: the second run sees that claim, and does not proceed."""
    rt = Actor(subject=f"ketua_rt-{RT}", role=Role.KETUA_RT, wilayah=RT)
    request = fingerprint("POST /v1/reports", "{}")
    there = IdempotencyKeys(sqlite_database.views, ttl_seconds=600, lease_seconds=60)
    claims: list[Claim] = []

    async def other_replica_claims() -> None:
        if not claims:
            claims.append(await there.claim(rt, "k-race", request))

    here = IdempotencyKeys(
        RerunEffects(sqlite_database.views, between=other_replica_claims),
        ttl_seconds=600,
        lease_seconds=60,
    )
    claim = await here.claim(rt, "k-race", request)
    assert claims[0].decision is Decision.PROCEED and claims[0].ids is not None
    assert claim.decision is Decision.IN_FLIGHT
    stored = await sqlite_database.views.get(KEYS, doc_key(rt, "k-race"))
    assert stored is not None and stored["ids"] == claims[0].ids.to_doc()
