"""A supervised broker session: connect, work, and on any loss reconnect with backoff.

We supervise plain connections ourselves instead of relying on aio-pika's robust connection:
every reconnect re-declares the topology and restarts consuming from scratch, which is simple to
reason about and is what the broker-restart tests exercise.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import aio_pika
import aiormq
import structlog

log = structlog.get_logger(__name__)

# aiormq lets 10 frames wait for its socket writer; a publisher that finds them waiting queues
# behind the writer task, one event-loop turn per message. In a service whose loop also serves
# HTTP, a turn takes milliseconds, and a relay batch of 500 publishes took seconds (the relay
# fell minutes behind intake at 250 reports/s). Room for two whole relay batches (3 frames a
# message) keeps publishing as fast as the socket takes it; it only bounds memory, and a few
# thousand small frames are a few megabytes.
aiormq.Connection.FRAME_BUFFER_SIZE = 4096

Session = Callable[[aio_pika.abc.AbstractConnection], Coroutine[Any, Any, None]]

HEARTBEAT_SECONDS = 10


async def connect(url: str, name: str) -> aio_pika.abc.AbstractConnection:
    return await aio_pika.connect(
        url,
        client_properties={"connection_name": name},
        heartbeat=HEARTBEAT_SECONDS,
        timeout=10,
    )


class BrokerLink:
    """Runs `session` on a fresh connection, again and again, until `stop` is set."""

    def __init__(
        self,
        url: str,
        name: str,
        session: Session,
        *,
        min_backoff: float = 0.2,
        max_backoff: float = 5.0,
    ) -> None:
        self.url = url
        self.name = name
        self._session = session
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self.connected = asyncio.Event()
        self.reconnects = 0

    async def run(self, stop: asyncio.Event) -> None:
        backoff = self._min_backoff
        while not stop.is_set():
            try:
                connection = await connect(self.url, self.name)
            except Exception as exc:
                log.warning("broker.connect_failed", link=self.name, error=str(exc))
            else:
                backoff = self._min_backoff
                await self._run_session(connection, stop)
            if stop.is_set():
                return
            self.reconnects += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def _run_session(
        self, connection: aio_pika.abc.AbstractConnection, stop: asyncio.Event
    ) -> None:
        # `connection.closed()` completes only when *we* close the connection (aio-pika 10.2): a
        # connection the broker or the network dropped stays "open" there. Its close callbacks
        # do run on every close, so they tell us.
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_close(*_: Any) -> None:
            if not closed.done():
                closed.set_result(None)

        connection.close_callbacks.add(on_close)
        self.connected.set()
        log.info("broker.connected", link=self.name)
        work = asyncio.create_task(self._session(connection))
        stopping = asyncio.create_task(stop.wait())
        try:
            waiting: set[asyncio.Future[Any]] = {work, closed, stopping}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if work.done() and not work.cancelled() and work.exception() is not None:
                log.warning("broker.session_failed", link=self.name, error=repr(work.exception()))
        finally:
            self.connected.clear()
            for task in (work, closed, stopping):
                task.cancel()
            with contextlib.suppress(BaseException):
                await work
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)
            log.info("broker.disconnected", link=self.name)
