"""Wires the identity service: its own store, the password hasher, the signing keys, the
routes. It publishes the post events (its relay, and the job that sends what a request could
not) and consumes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from sipokat.events.envelope import utc_now
from sipokat.identity import handlers
from sipokat.identity.adapters.passwords import Argon2Parameters, PasswordHasher
from sipokat.identity.entrypoints import (
    accounts,
    auth,
    ended_posts,
    firstrun,
    keys,
    resets,
    roster,
)
from sipokat.identity.handlers import Clock, IdentityContext
from sipokat.identity.settings import IdentitySettings
from sipokat.runtime.service import ServiceRuntime, create_service_app
from sipokat.wilayah import configured_directory


def create_app(settings: IdentitySettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """`clock` is injectable so tests can age codes, locks and keys without waiting."""
    settings = settings or IdentitySettings()
    directory = configured_directory(settings.wilayah_file)

    @contextlib.asynccontextmanager
    async def context(runtime: ServiceRuntime[IdentityContext]) -> AsyncIterator[IdentityContext]:
        hasher = PasswordHasher(
            Argon2Parameters(
                memory_kib=settings.argon2_memory_kib,
                time_cost=settings.argon2_time_cost,
                parallelism=settings.argon2_parallelism,
            )
        )
        identity = IdentityContext(
            settings=settings,
            clock=clock,
            database=runtime.database,
            hasher=hasher,
            level_of=directory.level_of,
            append=runtime.append,
        )
        await handlers.signing_key(identity)  # the first start makes the first key
        yield identity

    runtime = ServiceRuntime(
        "identity",
        settings,
        context=context,
        publishes=True,
        background=[ended_posts.post_event_sender],
    )
    return create_service_app(
        runtime,
        [
            auth.router,
            resets.router,
            roster.router,
            accounts.router,
            keys.router,
            ended_posts.router,
            firstrun.router,
        ],
        title="Sipokat identity",
        description="Accounts and their posts, sign-in by phone number, the signing keys.",
        body_limits=[("/v1/accounts/roster", settings.roster_max_bytes)],
    )
