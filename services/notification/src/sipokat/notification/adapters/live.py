"""Live inbox updates for open apps: a fan-out to the SSE streams this replica holds.

`publish` hands an item to `send`, which by default delivers it here; a running service sends it
to every replica (`sipokat.events.broker.broadcast`), since an app's stream may be held by a
replica other than the one that consumed the event. A listener that falls behind is cut off
rather than allowed to grow without bound; the app reconnects and re-reads its inbox, which is
the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from sipokat.events.broker.broadcast import Broadcast
from sipokat.notification.settings import NotificationSettings

Item = dict[str, Any]
# How the service reaches its other replicas: given the settings and what to do with a message
# from any replica (this one included). Tests pass one to an unreachable broker.
BroadcastFactory = Callable[[NotificationSettings, Callable[[Any], None]], Broadcast]


class Hub:
    def __init__(self, queue_size: int = 100) -> None:
        self._queue_size = queue_size
        self._listeners: dict[str, set[asyncio.Queue[Item | None]]] = {}
        self.send: Callable[[str, Item], None] = self.deliver

    @contextlib.contextmanager
    def listen(self, recipient: str) -> Iterator[asyncio.Queue[Item | None]]:
        queue: asyncio.Queue[Item | None] = asyncio.Queue(self._queue_size + 1)
        self._listeners.setdefault(recipient, set()).add(queue)
        try:
            yield queue
        finally:
            listeners = self._listeners.get(recipient, set())
            listeners.discard(queue)
            if not listeners:
                self._listeners.pop(recipient, None)

    def publish(self, recipient: str, item: Item) -> None:
        self.send(recipient, item)

    def deliver(self, recipient: str, item: Item) -> None:
        """To this replica's listeners of `recipient`."""
        for queue in self._listeners.get(recipient, set()):
            if queue.qsize() < self._queue_size:
                queue.put_nowait(item)
            elif not queue.full():
                queue.put_nowait(None)  # the one slot kept free: "you fell behind"

    def listener_count(self, recipient: str) -> int:
        return len(self._listeners.get(recipient, set()))


def encode(recipient: str, item: Item) -> dict[str, Any]:
    """An item as it travels between replicas."""
    return {"recipient": recipient, "item": item}


def deliver_encoded(hub: Hub, sent: dict[str, Any]) -> None:
    hub.deliver(sent["recipient"], sent["item"])


def replica_broadcast(settings: NotificationSettings, deliver: Callable[[Any], None]) -> Broadcast:
    return Broadcast(
        settings.rabbitmq_url,
        settings.topology,
        "notification",
        deliver,
        name=f"{settings.broker_prefix}.notification.broadcast",
    )


def shared_hub(
    settings: NotificationSettings, broadcast: BroadcastFactory
) -> tuple[Hub, Broadcast]:
    """A hub whose items go to every replica's listeners: an app's stream may be held by any
    replica, the events are consumed by one (to this one alone while it is not connected)."""
    hub = Hub()
    link = broadcast(settings, lambda sent: deliver_encoded(hub, sent))
    hub.send = lambda recipient, item: link.send(encode(recipient, item))
    return hub, link
