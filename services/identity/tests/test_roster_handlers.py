"""The roster import's logic on the memory store: dry run, idempotence, batches, resuming after
a crash, conflicts with the accounts there are, and a number taken while a batch is made."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from sipokat.events.envelope import Role
from sipokat.events.store.base import Effect, ViewStore
from sipokat.events.store.memory import MemoryDatabase
from sipokat.events.testing import RerunEffectsDatabase
from sipokat.identity import handlers
from sipokat.identity.adapters.passwords import Argon2Parameters, PasswordHasher
from sipokat.identity.handlers import IdentityContext
from sipokat.identity.handlers.roster import RosterChanged, RosterRefused, import_roster
from sipokat.identity.queries import ACCOUNTS, PHONES
from sipokat.identity.settings import OWASP_MEMORY_KIB, OWASP_TIME_COST, IdentitySettings
from sipokat.wilayah import load_default_directory

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RTS = [f"16.73.02.1019/{n:03d}" for n in range(1, 9)]
HASHER = PasswordHasher(Argon2Parameters(OWASP_MEMORY_KIB, OWASP_TIME_COST, 1))


def roster(count: int = 5, first_phone: int = 10) -> bytes:
    rows = [f"{RTS[n]},Ketua RT {n + 1},0812-0000-{first_phone + n:04d}" for n in range(count)]
    return ("rt,nama,telepon\n" + "\n".join(rows) + "\n").encode()


def context_of(
    database: Any = None, hasher: PasswordHasher = HASHER, **settings: Any
) -> IdentityContext:
    return IdentityContext(
        settings=IdentitySettings(**settings),
        clock=lambda: NOW,
        database=database or MemoryDatabase(),
        hasher=hasher,
        level_of=load_default_directory().level_of,
    )


async def count(context: IdentityContext, collection: str) -> int:
    return await context.database.views.count(collection)


async def test_a_dry_run_says_what_would_happen_and_writes_nothing() -> None:
    context = context_of()
    result = await import_roster(context, roster(), dry_run=True)
    assert result.dry_run and not result.complete
    assert [(row.line, row.status) for row in result.rows] == [(n, "create") for n in range(2, 7)]
    assert all(row.activation_code is None for row in result.rows)
    assert await count(context, ACCOUNTS) == await count(context, PHONES) == 0


async def test_an_import_creates_each_holder_once_and_a_second_changes_nothing() -> None:
    context = context_of()
    first = await import_roster(context, roster(), dry_run=False)
    assert first.complete and first.count("created") == 5
    codes = {row.activation_code for row in first.rows}
    assert len(codes) == 5 and None not in codes
    accounts = await context.database.views.find(ACCOUNTS, limit=100)
    assert sorted(a["post"]["wilayah"] for a in accounts) == RTS[:5]
    assert all(a["post"]["role"] == "ketua_rt" and a["password_hash"] is None for a in accounts)
    assert all(str(code) not in str(accounts) for code in codes)  # kept as hashes only

    again = await import_roster(context, roster(), dry_run=False)
    assert again.complete and again.count("unchanged") == 5 and again.count("created") == 0
    assert [row.account for row in again.rows] == [row.account for row in first.rows]
    assert all(row.activation_code is None and row.activated is False for row in again.rows)
    assert await count(context, ACCOUNTS) == await count(context, PHONES) == 5


async def test_a_new_account_is_the_document_create_account_writes() -> None:
    context = context_of()
    await import_roster(context, roster(1), dry_run=False)
    made = await handlers.create_account(
        context,
        name="Siti",
        raw_phone="081299990000",
        email=None,
        role=Role.KETUA_RT,
        wilayah=RTS[5],
    )
    (imported,) = [
        a
        for a in await context.database.views.find(ACCOUNTS, limit=10)
        if a["id"] != made.account["id"]
    ]
    assert set(imported) == set(made.account)
    assert imported["post"].keys() == made.account["post"].keys()
    assert await context.database.views.get(PHONES, imported["phone"]) == {
        "account": imported["id"]
    }


async def test_a_large_roster_goes_in_batches_the_same_file_sent_again_goes_on() -> None:
    context = context_of(roster_accounts_per_request=2)
    seen: list[tuple[int, int, bool]] = []
    codes: set[str | None] = set()
    for _ in range(4):
        result = await import_roster(context, roster(5), dry_run=False)
        seen.append((result.count("created"), result.count("pending"), result.complete))
        codes |= {row.activation_code for row in result.rows if row.status == "created"}
    assert seen == [(2, 3, False), (2, 1, False), (1, 0, True), (0, 0, True)]
    assert len(codes) == 5
    assert await count(context, ACCOUNTS) == 5


class CrashOnWrite:
    """A views store that fails its `nth` write (a process dying mid-import)."""

    def __init__(self, inner: ViewStore, nth: int) -> None:
        self.inner, self.nth, self.writes = inner, nth, 0

    async def apply_once(self, event_id: UUID, effect: Effect) -> bool:
        self.writes += 1
        if self.writes == self.nth:
            raise ConnectionError("the store went away")
        return await self.inner.apply_once(event_id, effect)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Crashing:
    def __init__(self, inner: MemoryDatabase, nth: int) -> None:
        self.events = inner.events
        self.views = CrashOnWrite(inner.views, nth)


async def test_a_rerun_after_a_crash_mid_import_completes_the_rest_without_duplicates() -> None:
    memory = MemoryDatabase()
    # The third write: the first batch, the drop of its sent post events, then the second batch.
    crashing = context_of(Crashing(memory, nth=3), roster_accounts_per_request=2)
    first = await import_roster(crashing, roster(5), dry_run=False)
    assert first.count("created") == 2
    with pytest.raises(ConnectionError):
        await import_roster(crashing, roster(5), dry_run=False)
    assert await count(crashing, ACCOUNTS) == 2  # the failed batch left nothing half-way

    context = context_of(memory, roster_accounts_per_request=10)
    rerun = await import_roster(context, roster(5), dry_run=False)
    assert rerun.complete
    assert (rerun.count("unchanged"), rerun.count("created")) == (2, 3)
    assert await count(context, ACCOUNTS) == await count(context, PHONES) == 5


async def test_every_write_is_safe_when_the_store_runs_its_effect_again() -> None:
    memory = MemoryDatabase()
    context = context_of(RerunEffectsDatabase(memory.handle()), roster_accounts_per_request=3)
    for _ in range(3):
        await import_roster(context, roster(5), dry_run=False)
    assert await count(context, ACCOUNTS) == await count(context, PHONES) == 5
    assert context.database.views.reruns.rehearsed > 0  # type: ignore[attr-defined]


async def test_an_rt_held_by_another_or_a_number_of_another_account_refuses_the_whole_file() -> (
    None
):
    context = context_of()
    holder = await handlers.create_account(
        context,
        name="Pak Lama",
        raw_phone="081388887777",
        email=None,
        role=Role.KETUA_RT,
        wilayah=RTS[0],
    )
    lurah = await handlers.create_account(
        context,
        name="Bu Lurah",
        raw_phone="0812-0000-0011",
        email=None,
        role=Role.LURAH,
        wilayah="16.73.02.1019",
    )
    for dry_run in (True, False):
        with pytest.raises(RosterRefused) as refused:
            await import_roster(context, roster(3), dry_run=dry_run)
        assert refused.value.conflict
        assert [(e.line, e.field, e.code) for e in refused.value.errors] == [
            (2, "rt", "rt_held"),
            (3, "phone", "phone_taken"),
        ]
        held, taken = refused.value.errors
        assert held.params["account"] == holder.account["id"]
        assert held.params["since"] == "2026-12-07"
        assert taken.params["account"] == lurah.account["id"]
    assert await count(context, ACCOUNTS) == 2


async def test_a_holder_created_by_hand_is_unchanged_and_an_ended_post_frees_the_rt() -> None:
    context = context_of()
    same = await handlers.create_account(
        context,
        name="Ketua RT 1",
        raw_phone="+62 812 0000 0010",
        email=None,
        role=Role.KETUA_RT,
        wilayah=RTS[0],
    )
    old = await handlers.create_account(
        context,
        name="Pak Lama",
        raw_phone="081388887777",
        email=None,
        role=Role.KETUA_RT,
        wilayah=RTS[1],
    )
    with pytest.raises(RosterRefused):
        await import_roster(context, roster(3), dry_run=True)
    await handlers.end_post(context, old.account["id"])
    result = await import_roster(context, roster(3), dry_run=False)
    assert result.rows[0].account == same.account["id"]
    assert [row.status for row in result.rows] == ["unchanged", "created", "created"]

    # The former holder's number, now for another RT: that account holds no post; no new
    # post is handed to it here.
    moved = b"rt,nama,telepon\n16.73.02.1019/008,Pak Lama,081388887777\n"
    with pytest.raises(RosterRefused) as refused:
        await import_roster(context, moved, dry_run=True)
    assert [e.code for e in refused.value.errors] == ["phone_taken"]


async def test_bad_rows_refuse_the_file_and_write_nothing() -> None:
    context = context_of()
    bad = roster(3) + b"16.73.02.1019/999,Siapa,0812-0000-0099\n"
    with pytest.raises(RosterRefused) as refused:
        await import_roster(context, bad, dry_run=False)
    assert not refused.value.conflict
    assert [(e.line, e.code) for e in refused.value.errors] == [(5, "rt_unknown")]
    with pytest.raises(RosterRefused) as empty:
        await import_roster(context, b"rt,nama,telepon\n", dry_run=True)
    assert [e.code for e in empty.value.errors] == ["empty"]
    assert await count(context, ACCOUNTS) == 0


class Meanwhile(PasswordHasher):
    """Hashes as the real one, and on the first hash lets `act` run: another admin at work."""

    def __init__(self, act: Callable[[], Awaitable[None]]) -> None:
        super().__init__(Argon2Parameters(OWASP_MEMORY_KIB, OWASP_TIME_COST, 1))
        self.act: Callable[[], Awaitable[None]] | None = act

    async def hash(self, secret: str) -> str:
        if self.act is not None:
            act, self.act = self.act, None
            await act()
        return await super().hash(secret)


async def test_a_number_taken_while_the_batch_is_made_stops_the_batch() -> None:
    database = MemoryDatabase()

    async def another_admin() -> None:
        await handlers.create_account(
            context_of(database),
            name="Cepat",
            raw_phone="081200000012",
            email=None,
            role=Role.KETUA_RT,
            wilayah=RTS[7],
        )

    context = context_of(database, Meanwhile(another_admin))
    with pytest.raises(RosterChanged):
        await import_roster(context, roster(3), dry_run=False)
    assert await count(context, ACCOUNTS) == 1  # only the other admin's
    with pytest.raises(RosterRefused) as refused:  # sent again: the conflict is told
        await import_roster(context, roster(3), dry_run=True)
    assert [(e.line, e.code) for e in refused.value.errors] == [(4, "phone_taken")]
