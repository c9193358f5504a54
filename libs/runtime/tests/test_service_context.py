"""The one hook by which a service hands its code a typed context, and the one dependency by
which routes read it (docs/architecture.md)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends

from sipokat.events.store import Database
from sipokat.runtime.health import CheckResult
from sipokat.runtime.service import ServiceRuntime, context_of, create_service_app
from sipokat.runtime.settings import ServiceSettings
from sipokat.runtime.testing import service_client


@dataclass(frozen=True)
class ProbeContext:
    database: Database
    greeting: str
    opened: list[str]  # what the context's resource saw: "opened", then "closed"


Probe = Annotated[ProbeContext, Depends(context_of(ProbeContext))]
router = APIRouter()


@router.get("/greeting")
async def greeting(context: Probe) -> dict[str, Any]:
    await context.database.ping()  # the runtime's database, open by the time routes run
    return {"greeting": context.greeting, "opened": context.opened}


def probe_runtime(
    tmp_path: Path,
    opened: list[str],
    kind: type[ServiceRuntime[ProbeContext]] = ServiceRuntime,
) -> ServiceRuntime[ProbeContext]:
    @contextlib.asynccontextmanager
    async def context(runtime: ServiceRuntime[ProbeContext]) -> AsyncIterator[ProbeContext]:
        opened.append("opened")
        try:
            yield ProbeContext(runtime.database, "halo", opened)
        finally:
            opened.append("closed")

    return kind("probe", ServiceSettings(data_dir=tmp_path), context=context)


async def test_routes_read_the_context_the_bootstrap_built_and_its_resources_close(
    tmp_path: Path,
) -> None:
    opened: list[str] = []
    runtime = probe_runtime(tmp_path, opened)
    checked: list[str] = []

    async def probe_check() -> CheckResult:
        checked.append(runtime.context.greeting)
        return CheckResult("pass")

    runtime.add_check("probe:reachable", probe_check)
    app = create_service_app(runtime, [router], title="probe")
    async with service_client(app) as client:
        answer = (await client.get("/greeting")).json()
        assert answer == {"greeting": "halo", "opened": ["opened"]}
        ready = (await client.get("/health/ready")).json()
        assert ready["checks"]["probe:reachable"] == [{"status": "pass"}]
        assert checked == ["halo"]
    assert opened == ["opened", "closed"]
    with pytest.raises(RuntimeError, match="not started"):
        runtime.context  # noqa: B018


async def test_a_start_that_fails_closes_what_the_context_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    runtime = probe_runtime(tmp_path, opened)

    async def store_away() -> None:
        raise ConnectionError("the store went away")

    monkeypatch.setattr(runtime, "_keep_folds_current", store_away)
    with pytest.raises(ConnectionError):
        await runtime.start()
    assert opened == ["opened", "closed"]
    with pytest.raises(RuntimeError, match="not started"):
        runtime.database  # noqa: B018


async def test_a_route_asking_for_another_context_fails_loudly(tmp_path: Path) -> None:
    other = APIRouter()

    @other.get("/other")
    async def read_other(
        context: Annotated[str, Depends(context_of(str))],
    ) -> str:  # pragma: no cover - never reached
        return context

    app = create_service_app(probe_runtime(tmp_path, []), [other], title="probe")
    async with service_client(app) as client:
        with pytest.raises(TypeError, match="not <class 'str'>"):
            await client.get("/other")


async def test_routes_read_the_context_on_the_event_loop_not_a_worker_thread(
    tmp_path: Path,
) -> None:
    """FastAPI runs a plain-function dependency on its thread pool: a hop to another thread and
    back for every request, through a pool every such request shares."""
    readers: list[int] = []

    class Watched(ServiceRuntime[ProbeContext]):
        @property
        def context(self) -> ProbeContext:
            readers.append(threading.get_ident())
            return super().context

    runtime = probe_runtime(tmp_path, [], Watched)
    async with service_client(create_service_app(runtime, [router], title="probe")) as client:
        assert (await client.get("/greeting")).status_code == 200
    assert readers == [threading.get_ident()]
