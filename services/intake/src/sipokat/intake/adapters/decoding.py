"""Where photos are decoded: on a few threads of their own, within a budget of memory.

A decoded photo holds its pixels in memory (a 40-megapixel PNG of 150 KB is 160 MB decoded), so
the number of uploads does not bound memory; the bytes their decodes hold do. Each decode
reserves what it will hold at its peak (`images.decode_cost`, from the header) before it starts
and gives it back when done; one that does not fit waits. The decodes run on threads of their
own, as many as the machine has cores (the work is CPU-bound).

Freed pixels are handed back to the system after each decode (`malloc_trim`, where the C library
has it: glibc). Pillow frees an image in blocks of 16 MiB; glibc then raises its mmap threshold
past that size, later blocks come from its per-thread arenas, and what an arena once held stays
resident. bench/photo_memory.py, six 40 MP PNGs at once: without the budget 2,839 MiB peak; with
it, on the shared executor's threads, about 475 MiB (326 MiB still held afterwards); on two
threads of their own 240 to 350 MiB; with the trim 240 MiB, and 84 MiB afterwards as at the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sipokat.intake.adapters import images
from sipokat.intake.domain import CleanPhoto

T = TypeVar("T")


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: its allocator returns memory its own way
        return None
    return trim


_MALLOC_TRIM = _malloc_trim()


def _clean(data: bytes, max_pixels: int) -> CleanPhoto:
    try:
        return images.clean(data, max_pixels)
    finally:
        if _MALLOC_TRIM is not None:
            _MALLOC_TRIM(0)


class PhotoDecoding:
    def __init__(self, budget_bytes: int, threads: int) -> None:
        self.budget = MemoryBudget(budget_bytes)
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="photo-decode")

    async def clean(self, data: bytes, max_pixels: int) -> CleanPhoto:
        """`images.clean`, once the memory it will hold is free."""
        cost = await self._run(images.decode_cost, data, max_pixels)
        async with self.budget.reserve(cost):
            return await self._run(_clean, data, max_pixels)

    async def _run(self, work: Callable[[bytes, int], T], data: bytes, max_pixels: int) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, work, data, max_pixels
        )

    async def aclose(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


class MemoryBudget:
    """Bytes that concurrent work may hold at once. Waiters are served in arrival order, so a
    large photo is not starved by a stream of small ones; one larger than the whole budget waits
    until it runs alone."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least one byte")
        self.capacity = capacity
        self.free = capacity
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @contextlib.asynccontextmanager
    async def reserve(self, cost: int) -> AsyncIterator[None]:
        """Hold `cost` bytes (at most the whole budget) for the duration of the block."""
        held = await self._acquire(min(max(cost, 0), self.capacity))
        try:
            yield
        finally:
            self._release(held)

    async def _acquire(self, cost: int) -> int:
        if not self._waiters and cost <= self.free:
            self.free -= cost
            return cost
        granted = asyncio.get_running_loop().create_future()
        entry = (cost, granted)
        self._waiters.append(entry)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release(cost)  # granted just as the caller gave up
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(entry)
                self._grant()  # the one behind it may fit now
            raise
        return cost

    def _release(self, cost: int) -> None:
        self.free += cost
        self._grant()

    def _grant(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.free:
            cost, granted = self._waiters.popleft()
            if granted.done():  # cancelled; its waiter removes nothing more
                continue
            self.free -= cost
            granted.set_result(None)
