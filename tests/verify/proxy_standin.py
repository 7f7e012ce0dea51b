"""STAND-IN for the answers a misconfigured ingress gives, on a real HTTPS listener (127.0.0.1,
free port, a sandbox CA certificate): what Traefik in the sandbox cannot be made to do without
its CRDs. An nginx-like body limit (413 as soon as the headers are read, the body unread), a
proxy that hangs up mid-body, a host it has no route for (404), a backend that is down (503).

    with ProxyStandIn(pair, workdir, hosts={"wandb.sandbox.test"}, body_limit=1_000_000) as p:
        p.port
"""

from __future__ import annotations

import logging
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sandbox.procs import ServedInThread
from sandbox.tls import CertPair, TLSOnAccept, server_context


class _Server(TLSOnAccept, ThreadingHTTPServer):
    daemon_threads = True
    accept_timeout = 10

    def __init__(self, context: ssl.SSLContext, proxy: "ProxyStandIn") -> None:
        self.ssl_context, self.proxy = context, proxy
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "proxy-stand-in"

    def _answer(self, status: int, body: bytes = b"", close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> bool:
        p = self.server.proxy
        host = (self.headers.get("Host") or "").split(":")[0]
        if host not in p.hosts:
            self._answer(404, b"404 page not found\n")
            return False
        if self.path in p.statuses:
            self._answer(p.statuses[self.path], b"backend down\n")
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self._route():
            self._answer(200, b"ok\n")

    def do_POST(self) -> None:  # noqa: N802
        p = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        if p.body_limit is not None and length > p.body_limit:
            # As nginx: refused from the headers, the body never read.
            self._answer(413, b"<html><head><title>413 Request Entity Too Large</title></head></html>\n", close=True)
            self._linger()
            return
        if p.cut_after is not None:
            self.rfile.read(min(length, p.cut_after))
            self.close_connection = True
            self.connection.close()  # a hang-up mid-body, no answer
            return
        got = 0
        while got < length:
            chunk = self.rfile.read(min(1 << 16, length - got))
            if not chunk:
                break
            got += len(chunk)
        if self._route():
            self._answer(200, f"read {got} bytes\n".encode())

    def _linger(self) -> None:
        """nginx's lingering close: read and drop what the client still sends for a moment, so
        that closing does not reset the connection before the client has read the answer."""
        self.wfile.flush()
        self.connection.settimeout(0.5)
        try:
            while self.connection.recv(1 << 16):
                pass
        except OSError:
            pass

    def log_message(self, format, *args) -> None:  # noqa: A002
        logging.getLogger("tests.proxy-stand-in").debug(format, *args)


class ProxyStandIn(ServedInThread):
    def __init__(self, pair: CertPair, workdir: Path, *, hosts: set[str], body_limit: int | None = None,
                 cut_after: int | None = None, statuses: dict[str, int] | None = None) -> None:
        self.hosts, self.body_limit, self.cut_after = hosts, body_limit, cut_after
        self.statuses = statuses or {}
        self._server = _Server(server_context(pair, workdir), self)
        self.port = self._server.server_address[1]
        self._thread_name = "proxy-stand-in"
        self._log_name = "tests.proxy-stand-in"
