"""STAND-IN W&B backend (not the W&B server): what answers behind the sandbox's real ingress
(Traefik) once the operator stand-in has "installed" W&B. Plain HTTP on a loopback address, as
the app's Service would be inside a cluster: `GET /` a page, `GET /healthz` 200 (the W&B
server's health endpoint), any `POST`/`PUT` read to its end and answered 200 with the byte
count, so a 10 MB upload through the ingress is seen to arrive whole.

    with WandbBackend() as app:      # 127.0.0.1, a free port
        app.address, app.port, app.received   # received: the body sizes it was sent
"""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sandbox.procs import LOOPBACK, ServedInThread

_log = logging.getLogger("sandbox.wandb_backend")
PAGE = b"<!doctype html><title>Weights & Biases (sandbox stand-in)</title>\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wandb-stand-in"
    server: "_Server"

    def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.seen.append(("GET", self.path, 0))
        if self.path.split("?")[0] == "/healthz":
            self._answer(200, b"ok\n")
        else:
            self._answer(200, PAGE, "text/html")

    def _upload(self) -> None:
        left, got = int(self.headers.get("Content-Length") or 0), 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left, got = left - len(chunk), got + len(chunk)
        self.server.seen.append((self.command, self.path, got))
        self._answer(200, f"received {got} bytes\n".encode())

    do_POST = do_PUT = _upload  # noqa: N815

    def log_message(self, format, *args) -> None:  # noqa: A002 - to the log, not stderr
        _log.info("%s " + format, self.client_address[0], *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: str, port: int) -> None:
        self.seen: list[tuple[str, str, int]] = []
        super().__init__((address, port), _Handler)


class WandbBackend(ServedInThread):
    _thread_name = "wandb-backend"
    _log_name = "sandbox.wandb_backend"

    def __init__(self, address: str = LOOPBACK, port: int = 0) -> None:
        if not address.startswith("127."):
            raise ValueError(f"the stand-in backend listens on loopback only, not {address}")
        self._server = _Server(address, port)
        self.address, self.port = self._server.server_address[:2]

    @property
    def received(self) -> list[int]:
        """The body sizes of the uploads it was sent, in order."""
        return [n for method, _, n in self._server.seen if method in ("POST", "PUT")]
