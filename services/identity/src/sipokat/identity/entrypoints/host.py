"""What an operator on the host does without the API: open identity's own store (the settings
say where: `SIPOKAT_DATA_DIR`/identity.db or MongoDB) and make an admin code. The launcher, the
`sipokat accounts first-admin` command and the demo come in here; nothing over the network can.

It may run while identity runs: every write is one transaction of the store, as a replica's is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sipokat.events.envelope import utc_now
from sipokat.events.store import open_database
from sipokat.identity.adapters.passwords import Argon2Parameters, PasswordHasher
from sipokat.identity.handlers import IdentityContext
from sipokat.identity.handlers.firstrun import (
    AdminCode,
    demo_admin_code,
    first_admin_code,
    host_admin_code,
)
from sipokat.identity.settings import IdentitySettings

T = TypeVar("T")


async def _with_context(
    settings: IdentitySettings, work: Callable[[IdentityContext], Awaitable[T]]
) -> T:
    database = await open_database(
        settings.store_backend,
        service="identity",
        data_dir=settings.data_dir,
        mongodb_url=settings.mongodb_url,
    )
    try:
        context = IdentityContext(
            settings=settings,
            clock=utc_now,
            database=database,
            hasher=PasswordHasher(
                Argon2Parameters(
                    memory_kib=settings.argon2_memory_kib,
                    time_cost=settings.argon2_time_cost,
                    parallelism=settings.argon2_parallelism,
                )
            ),
            level_of=lambda code: None,  # no post with a wilayah is made here
        )
        return await work(context)
    finally:
        await database.close()


async def first_run_code(settings: IdentitySettings) -> AdminCode | None:
    """The launcher's, at every start: a fresh first-admin code until the first admin exists."""
    return await _with_context(settings, first_admin_code)


async def operator_code(settings: IdentitySettings) -> AdminCode:
    """`sipokat accounts first-admin`: the first admin's code, or once there is one, a code
    for one more admin."""
    return await _with_context(settings, host_admin_code)


async def demo_code(settings: IdentitySettings) -> AdminCode:
    return await _with_context(settings, demo_admin_code)
