"""A small TCP proxy between the services and RabbitMQ that can delay, stall and cut the link.

    proxy = await LinkProxy.start("127.0.0.1", broker_port)   # proxy.url(...) to connect to
    proxy.latency = 0.05      # every chunk, both ways, 50 ms late (order kept)
    proxy.stall()             # nothing moves (new connections neither); sockets stay open
    proxy.resume()
    proxy.cut()               # every open connection is reset; new ones are accepted again
    await proxy.close()

It runs on the test's event loop: each connection is two pumps, one each way.
"""

from __future__ import annotations

import asyncio
import contextlib


class LinkProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.latency = 0.0
        self.connections = 0  # accepted so far
        self.cuts = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._pumps: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @classmethod
    async def start(cls, upstream_host: str, upstream_port: int) -> LinkProxy:
        proxy = cls(upstream_host, upstream_port)
        proxy._server = await asyncio.start_server(proxy._accept, "127.0.0.1", 0)
        proxy.port = proxy._server.sockets[0].getsockname()[1]
        return proxy

    def url(self, user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/"

    @property
    def open_connections(self) -> int:
        return len(self._writers) // 2

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def cut(self) -> None:
        """Reset every open connection, both sides, as a failing network path would."""
        self.cuts += 1
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.resume()
        self.cut()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await self._flowing.wait()  # a stalled link does not even connect
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        pair = [
            asyncio.create_task(self._pump(reader, up_writer, writer)),
            asyncio.create_task(self._pump(up_reader, writer, up_writer)),
        ]
        self._pumps.update(pair)
        for task in pair:
            task.add_done_callback(self._pumps.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        source_writer: asyncio.StreamWriter,
    ) -> None:
        try:
            while chunk := await source.read(65536):
                if self.latency:
                    await asyncio.sleep(self.latency)
                await self._flowing.wait()
                sink.write(chunk)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # One side closed (or was cut): close the other, as a TCP proxy does.
            for side in (sink, source_writer):
                self._writers.discard(side)
                side.transport.abort()
