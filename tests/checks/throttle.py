"""A real TCP proxy on 127.0.0.1 that passes bytes through unchanged (TLS included) and sends
the server's bytes back at a limited rate per connection: a distant or busy API server, for
which small answers (/version) come quickly and large ones (a node list) slowly."""

from __future__ import annotations

import socket
import threading
import time


class ThrottlingProxy:
    def __init__(self, upstream: tuple[str, int], bytes_per_second: int, chunk: int = 2048):
        self.upstream, self.rate, self.chunk = upstream, bytes_per_second, chunk
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> "ThrottlingProxy":
        threading.Thread(target=self._accept, daemon=True, name="throttle-accept").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for s in [self.listener, *self._sockets]:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, self.rate), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, rate: int | None) -> None:
        try:
            while True:
                data = src.recv(self.chunk if rate else 65536)
                if not data:
                    break
                dst.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
