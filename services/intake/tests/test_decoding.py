"""The memory budget of photo decodes: pure asyncio logic, no I/O."""

from __future__ import annotations

import asyncio

import pytest

from sipokat.intake.adapters.decoding import MemoryBudget


async def holding(
    budget: MemoryBudget, cost: int, order: list[str], name: str, release: asyncio.Event
) -> None:
    async with budget.reserve(cost):
        order.append(name)
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_work_waits_until_its_bytes_are_free_and_is_served_in_arrival_order() -> None:
    budget = MemoryBudget(100)
    order: list[str] = []
    done = {name: asyncio.Event() for name in "abcd"}
    tasks = [
        asyncio.create_task(holding(budget, cost, order, name, done[name]))
        for name, cost in [("a", 60), ("b", 50), ("c", 10), ("d", 30)]
    ]
    await settle()
    # b does not fit beside a; c and d would, but wait behind b rather than starve it.
    assert order == ["a"]
    assert budget.waiting == 3
    done["a"].set()
    await settle()
    assert order == ["a", "b", "c", "d"]  # 50 + 10 + 30 fit together
    assert budget.free == 10
    for event in done.values():
        event.set()
    await asyncio.gather(*tasks)
    assert budget.free == 100


async def test_work_larger_than_the_budget_runs_alone() -> None:
    budget = MemoryBudget(100)
    order: list[str] = []
    small_done, large_done = asyncio.Event(), asyncio.Event()
    small = asyncio.create_task(holding(budget, 10, order, "small", small_done))
    await settle()
    large = asyncio.create_task(holding(budget, 500, order, "large", large_done))
    await settle()
    assert order == ["small"]
    small_done.set()
    await settle()
    assert order == ["small", "large"]
    assert budget.free == 0
    large_done.set()
    await asyncio.gather(small, large)
    assert budget.free == 100


async def test_a_waiter_that_gives_up_frees_its_place() -> None:
    budget = MemoryBudget(100)
    order: list[str] = []
    first_done, big_done, last_done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(holding(budget, 70, order, "first", first_done))
    await settle()
    big = asyncio.create_task(holding(budget, 90, order, "big", big_done))
    last = asyncio.create_task(holding(budget, 20, order, "last", last_done))
    await settle()
    big.cancel()  # the client went away while its upload waited
    await settle()
    assert order == ["first", "last"]  # no longer queued behind the one that left
    with pytest.raises(asyncio.CancelledError):
        await big
    first_done.set()
    last_done.set()
    await asyncio.gather(first, last)
    assert budget.free == 100 and budget.waiting == 0
