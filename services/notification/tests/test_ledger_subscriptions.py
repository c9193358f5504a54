"""The ledger's subscriptions, read on every event: scanned again only after one changed."""

from __future__ import annotations

from sipokat.events.store import ViewTransaction
from sipokat.events.testing import DatabaseFactory
from sipokat.notification.adapters import ledger as L


def subscription(subscription_id: str, status: str = "active") -> dict[str, str]:
    return {"id": subscription_id, "status": status, "url": "https://example.test/hook"}


async def put(ledger: L.Ledger, doc: dict[str, str]) -> None:
    async def effect(tx: ViewTransaction) -> None:
        await L.put_subscription(tx, doc["id"], doc)

    await ledger.write(effect)


async def test_a_change_in_this_replica_or_another_is_seen_on_the_next_read(
    database_factory: DatabaseFactory,
) -> None:
    here = L.Ledger(await database_factory())
    there = L.Ledger(await database_factory())  # another replica's handle on the same ledger
    assert await here.subscriptions() == []

    await put(here, subscription("a"))
    assert [s["id"] for s in await here.subscriptions()] == ["a"]
    await put(there, subscription("b"))
    assert [s["id"] for s in await here.subscriptions()] == ["a", "b"]
    await put(there, subscription("a", status="paused"))
    statuses = {s["id"]: s["status"] for s in await here.subscriptions()}
    assert statuses == {"a": "paused", "b": "active"}


async def test_unchanged_subscriptions_are_not_scanned_again(
    database_factory: DatabaseFactory,
) -> None:
    ledger = L.Ledger(await database_factory())
    await put(ledger, subscription("a"))
    first = await ledger.subscriptions()
    assert await ledger.subscriptions() is first  # the same list: no second scan
    await put(ledger, subscription("b"))
    assert await ledger.subscriptions() is not first
