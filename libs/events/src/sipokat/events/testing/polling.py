"""Waiting in tests: poll until a condition holds, run relays and consumers alongside."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T: ...


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a polling deadline, not a cancel scope
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> T:
    """Call `check` (sync or async) until it returns something truthy, and return that.

    Fails the test with `message` (or the last falsy value / exception) after `timeout` seconds.
    An exception raised by `check` counts as "not yet".
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            last = result
        except Exception as exc:  # not yet: keep polling, report it if it never passes
            last = exc
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(
                f"not true after {timeout}s: {text or 'condition'} (last result: {last!r})"
            )
        await asyncio.sleep(interval)


class Runnable(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


@contextlib.asynccontextmanager
async def running(*runners: Runnable, stop_timeout: float = 20.0) -> AsyncIterator[asyncio.Event]:
    """Run relays and consumers (anything with `run(stop)`) until the block ends.

    Yields the shared stop event. On exit it is set and every runner must return within
    `stop_timeout`; a runner that crashed makes the test fail with its exception.
    """
    stop = asyncio.Event()
    tasks = [asyncio.create_task(runner.run(stop)) for runner in runners]
    try:
        yield stop
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=stop_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            raise AssertionError(f"{len(pending)} runner(s) did not stop within {stop_timeout}s")
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise AssertionError("a runner crashed") from task.exception()
