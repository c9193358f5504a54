"""Group commit: the appends that arrive while a commit runs go into the next one, together.

One transaction per append would cost a BEGIN and a COMMIT each (in SQLite), or abort and retry
on the position counter for every append but one (in MongoDB, where concurrent transactions
that update one document conflict); under load the appends of all concurrent requests of a
process share one transaction instead. Every backend's `append` goes through this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Commits a group: one outcome per item, in order, an exception for an item that failed alone
# (it must have left nothing behind). Raising fails every item of the group.
CommitGroup = Callable[[list[Item]], Awaitable[list[Result | BaseException]]]


class GroupCommit(Generic[Item, Result]):
    """Items submitted while a group commits wait and commit together in the next group, at
    most `most` to a group. One item's failure reaches only its own caller."""

    def __init__(self, commit: CommitGroup[Item, Result], *, most: int | None = None) -> None:
        self._commit = commit
        self._most = most
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._committing = False

    async def submit(self, item: Item) -> Result:
        outcome: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, outcome))
        if not self._committing:
            self._committing = True
            # A task of its own: the group must commit even if this caller is cancelled.
            asyncio.get_running_loop().create_task(self._commit_all())
        return await outcome

    async def _commit_all(self) -> None:
        try:
            while self._waiting:
                cut = len(self._waiting) if self._most is None else self._most
                group, self._waiting = self._waiting[:cut], self._waiting[cut:]
                try:
                    results = await self._commit([item for item, _ in group])
                except BaseException as exc:  # the whole group failed: tell every caller
                    results = [exc] * len(group)
                for (_, outcome), result in zip(group, results, strict=True):
                    if outcome.done():
                        continue  # its caller went away; the item stands (or failed) anyway
                    if isinstance(result, BaseException):
                        outcome.set_exception(result)
                    else:
                        outcome.set_result(result)
        finally:
            self._committing = False
