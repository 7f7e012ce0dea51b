"""A latency injector: TCP and UDP proxies on 127.0.0.1 that delay every chunk.

Used by the benchmarks to put ~200 ms of round-trip latency in front of each sandbox server,
the way a server in another region would feel. Each direction adds half the delay.

close() ends every connection and forward in flight and waits for them before it stops and
closes the loop: nothing is left pending (asyncio's "Task was destroyed but it is pending!").
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass


@dataclass
class Proxy:
    port: int
    target: tuple[str, int]


class LatencyProxies:
    """Runs proxies in one background event loop; `tcp()`/`udp()` return the listening port."""

    def __init__(self, delay_s: float = 0.2):
        self.half = delay_s / 2
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="latency-proxies", daemon=True)
        self._thread.start()
        self._closers: list = []
        self._servers: list[asyncio.Server] = []

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def tcp(self, host: str, port: int) -> int:
        async def start() -> int:
            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                try:
                    await asyncio.sleep(self.half)  # the connection's own round trip
                    try:
                        up_reader, up_writer = await asyncio.open_connection(host, port)
                    except OSError:
                        writer.close()
                        return
                    await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
                except asyncio.CancelledError:
                    # close() ends this connection. Return rather than end cancelled: Python 3.11's
                    # streams call exception() on a cancelled connection task and log the error.
                    writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            self._servers.append(server)
            return server.sockets[0].getsockname()[1]

        return self._call(start())

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await asyncio.sleep(self.half)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except RuntimeError:
                pass

    def udp(self, host: str, port: int) -> int:
        proxy = self

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport):
                self.transport = transport

            def datagram_received(self, data, client):
                asyncio.ensure_future(self.forward(data, client))

            async def forward(self, data, client):
                loop = asyncio.get_running_loop()
                await asyncio.sleep(proxy.half)
                reply: asyncio.Future = loop.create_future()

                class Back(asyncio.DatagramProtocol):
                    def datagram_received(self, answer, _addr):
                        if not reply.done():
                            reply.set_result(answer)

                transport, _ = await loop.create_datagram_endpoint(Back, remote_addr=(host, port))
                try:
                    transport.sendto(data)
                    answer = await asyncio.wait_for(reply, 5)
                    await asyncio.sleep(proxy.half)
                    self.transport.sendto(answer, client)
                except asyncio.TimeoutError:
                    pass
                finally:
                    transport.close()

        async def start() -> int:
            transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(Front, local_addr=("127.0.0.1", 0))
            self._closers.append(transport.close)
            return transport.get_extra_info("sockname")[1]

        return self._call(start())

    def close(self) -> None:
        async def stop() -> None:
            for server in self._servers:
                server.close()
            for close in self._closers:
                close()
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # every one finished, none pending
            for server in self._servers:
                await server.wait_closed()

        self._call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
