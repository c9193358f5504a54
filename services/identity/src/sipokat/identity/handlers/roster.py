"""The roster import: the city's RT heads from a CSV, checked whole, then created in batches.

- All or nothing: a file with any bad row, or any row in conflict with the accounts there are
  (the RT has another holder; the number belongs to an account that does not hold this RT),
  creates nothing. The dry run answers the same checks and what the import would do.
- Idempotent: a row whose number has an account holding that RT now is unchanged; sending
  the same file again creates nothing. A post is never taken from its holder here: an RT
  held by someone else is a conflict, and the admin ends that post first.
- Batches: one request creates at most `roster_accounts_per_request` accounts, in one
  transaction, and says how many rows remain; the same file sent again goes on where it
  stopped. A crash mid-import loses no batch half-way, and a re-run completes the rest.

Each new account is what `create_account` makes (the same document, a phone entry per number)
with its one-time activation code, hashed with Argon2id on threads, a few at a time, so that
sign-ins of other people keep their share of the machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import uuid4

import structlog

from sipokat.events.envelope import Actor, Role
from sipokat.events.store.base import Document, ViewTransaction
from sipokat.identity.domain import Post
from sipokat.identity.domain.roster import (
    Roster,
    RosterRow,
    RosterTooLarge,
    RowError,
    parse_roster,
)
from sipokat.identity.handlers.accounts import new_code
from sipokat.identity.handlers.context import IdentityContext, write
from sipokat.identity.handlers.post_events import (
    IDENTITY,
    new_accounts_started,
    send_after_commit,
)
from sipokat.identity.queries import (
    ACCOUNTS,
    PHONES,
    account_document,
    current_post,
)

__all__ = [
    "RosterChanged",
    "RosterRefused",
    "RosterResult",
    "RosterTooLarge",
    "RowOutcome",
    "Status",
    "import_roster",
]
log = structlog.get_logger(__name__)

# Argon2 hashes of codes at once: the import's share of a small machine's cores (the default
# thread pool has more threads, for the sign-ins that come meanwhile).
HASHES_AT_ONCE = 2
# Every account is read once per roster request to find each RT's holder (posts are inside
# the account document, which `find` cannot filter on); a city has thousands at most.
ACCOUNTS_READ = 1_000_000

Status = Literal["create", "created", "unchanged", "pending"]


@dataclass(frozen=True)
class RowOutcome:
    """What happens to a row: `create` (dry run: would be created), `created` (now, with its
    code shown this once), `unchanged` (its holder has the post already), `pending` (left for
    the next request of the same file)."""

    line: int
    rt: str
    name: str
    phone: str
    status: Status
    account: str | None = None
    activated: bool | None = None
    activation_code: str | None = None
    activation_expires: datetime | None = None


@dataclass(frozen=True)
class RosterResult:
    dry_run: bool
    rows: list[RowOutcome]
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def complete(self) -> bool:
        """Every row's holder has an account: nothing left to create."""
        return all(row.status in ("created", "unchanged") for row in self.rows)


class RosterRefused(Exception):
    """Bad rows (`conflict` False) or rows in conflict with the accounts there are: nothing
    was created."""

    def __init__(self, errors: Sequence[RowError], *, conflict: bool = False) -> None:
        super().__init__(f"{len(errors)} row problem(s)")
        self.errors = list(errors)
        self.conflict = conflict


class RosterChanged(Exception):
    """An account for one of the batch's numbers appeared while the batch was being made (an
    admin at work elsewhere): the batch was not written; the same file sent again decides
    anew."""


async def import_roster(
    context: IdentityContext, data: bytes, *, dry_run: bool, by: Actor = IDENTITY
) -> RosterResult:
    """`RosterTooLarge` past the rows allowed, `RosterRefused` for bad or conflicting rows,
    `RosterChanged` when a number was taken while the batch was made."""
    roster = parse_roster(data, context.level_of, max_rows=context.settings.roster_max_rows)
    if roster.errors:
        raise RosterRefused(roster.errors)
    if not roster.rows:
        raise RosterRefused([RowError(1, None, "empty")])
    outcomes = await _plan(context, roster)
    if dry_run:
        return RosterResult(True, outcomes, roster.ignored_columns)
    batch = [row for row in outcomes if row.status == "create"]
    batch = batch[: context.settings.roster_accounts_per_request]
    created = await _create(context, roster, batch, by)
    final = [
        created.get(row.line) or (replace(row, status="pending") if row.status == "create" else row)
        for row in outcomes
    ]
    result = RosterResult(False, final, roster.ignored_columns)
    log.info(
        "identity.roster_imported",
        created=len(created),
        unchanged=result.count("unchanged"),
        pending=result.count("pending"),
    )
    return result


async def _plan(context: IdentityContext, roster: Roster) -> list[RowOutcome]:
    """Each row against the accounts there are: to create, unchanged, or a conflict."""
    now = context.clock()
    holders: dict[str, Document] = {}
    by_phone: dict[str, Document] = {}
    for account in await context.database.views.find(ACCOUNTS, limit=ACCOUNTS_READ):
        by_phone[account["phone"]] = account
        post = current_post(account, now)
        if post is not None and post.role == Role.KETUA_RT and post.wilayah:
            holders[post.wilayah] = account
    outcomes: list[RowOutcome] = []
    conflicts: list[RowError] = []
    for row in roster.rows:
        owner, holder = by_phone.get(row.phone), holders.get(row.rt)
        if owner is not None and _holds(owner, row.rt, now):
            activated = owner.get("password_hash") is not None
            outcomes.append(RowOutcome(*_said(row), "unchanged", owner["id"], activated=activated))
        elif owner is not None:
            conflicts.append(
                RowError(row.line, "phone", "phone_taken", {"account": owner["id"], "rt": row.rt})
            )
        elif holder is not None:
            since = (holder.get("post") or {}).get("start", "")[:10]
            conflicts.append(
                RowError(
                    row.line,
                    "rt",
                    "rt_held",
                    {"rt": row.rt, "account": holder["id"], "since": since},
                )
            )
        else:
            outcomes.append(RowOutcome(*_said(row), "create"))
    if conflicts:
        raise RosterRefused(conflicts, conflict=True)
    return outcomes


def _holds(account: Document, rt: str, now: datetime) -> bool:
    post = current_post(account, now)
    return post is not None and post.role == Role.KETUA_RT and post.wilayah == rt


def _said(row: RosterRow) -> tuple[int, str, str, str]:
    return row.line, row.rt, row.name, row.phone


async def _create(
    context: IdentityContext, roster: Roster, batch: list[RowOutcome], by: Actor
) -> dict[int, RowOutcome]:
    """The batch's accounts in one transaction (all or none), by line."""
    if not batch:
        return {}
    now = context.clock()
    expires = now + timedelta(hours=context.settings.activation_code_hours)
    emails = {row.line: row.email for row in roster.rows}
    codes = [new_code() for _ in batch]
    hashes = await _hashes(context, codes)
    accounts: dict[str, Document] = {}
    phones: dict[str, Document] = {}
    created: dict[int, RowOutcome] = {}
    started: dict[str, Post] = {}
    for row, code, code_hash in zip(batch, codes, hashes, strict=True):
        account_id = str(uuid4())
        started[account_id] = Post(Role.KETUA_RT, row.rt, now)
        accounts[account_id] = account_document(
            account_id,
            name=row.name,
            phone=row.phone,
            email=emails[row.line],
            post=started[account_id],
            now=now,
            activation_hash=code_hash,
            activation_expires=expires,
        )
        phones[row.phone] = {"account": account_id}
        created[row.line] = RowOutcome(
            row.line, row.rt, row.name, row.phone, "created", account_id, False, code, expires
        )

    async def effect(tx: ViewTransaction) -> bool:
        # The plan was read outside this transaction: a number taken since stops the batch.
        if await tx.get_many(PHONES, phones):
            return False
        await tx.put_many(PHONES, phones)
        await tx.put_many(ACCOUNTS, accounts)
        # Their PostStarted events, in the same transaction (handlers.post_events).
        await new_accounts_started(tx, started, by)
        return True

    if not await write(context, effect):
        raise RosterChanged
    await send_after_commit(context, None)
    return created


async def _hashes(context: IdentityContext, codes: list[str]) -> list[str]:
    gate = asyncio.Semaphore(HASHES_AT_ONCE)

    async def one(code: str) -> str:
        async with gate:
            return await context.hasher.hash(code)

    return list(await asyncio.gather(*(one(code) for code in codes)))
