"""Loopback black holes: addresses where a server seems to be and never answers.

    with BlackHoles() as holes:
        port = holes.silent()      # accepts TCP connections, reads, never writes a byte
        port = holes.full()        # listens with a full backlog: a connect never completes
        port = holes.udp()         # a UDP port that swallows every datagram

The three ways a firewall, a hung server or a dead VIP look to a client: a connection that is
made and then silent; SYNs dropped, so no connection at all; UDP queries that vanish. All on
127.0.0.1; everything is closed on exit.
"""

from __future__ import annotations

import errno
import select
import socket
import threading
import time

from sandbox.procs import free_port  # free now, nothing listens: it refuses at once

LOOPBACK = "127.0.0.1"
KINDS = ("silent", "full", "udp")


class BlackHoles:
    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "BlackHoles":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def port(self, kind: str) -> int:
        return {"silent": self.silent, "full": self.full, "udp": self.udp}[kind]()

    def silent(self) -> int:
        """A listener that accepts and reads whatever is sent, and never answers."""
        server = self._keep(socket.create_server((LOOPBACK, 0), backlog=64))
        server.settimeout(0.2)
        self._thread(self._swallow_connections, server)
        return server.getsockname()[1]

    def full(self) -> int:
        """A listener whose accept queue is full: the kernel drops further SYNs, so a client's
        connect hangs until its own timeout (as behind a firewall that drops packets)."""
        server = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        server.bind((LOOPBACK, 0))
        server.listen(0)
        address = server.getsockname()
        for _ in range(16):  # the queue holds backlog+1 connections; fill it until one hangs
            client = self._keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            client.setblocking(False)
            if client.connect_ex(address) not in (0, errno.EINPROGRESS):
                break
            if not select.select([], [client], [], 0.3)[1]:
                return address[1]  # this one did not complete: the queue is full
        raise RuntimeError("could not fill the listen backlog")

    def udp(self) -> int:
        """A UDP port that reads every datagram and answers none."""
        sock = self._keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.bind((LOOPBACK, 0))
        sock.settimeout(0.2)
        self._thread(self._swallow_datagrams, sock)
        return sock.getsockname()[1]

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        for s in self._sockets:
            s.close()
        self._sockets.clear()

    def _keep(self, sock: socket.socket) -> socket.socket:
        self._sockets.append(sock)
        return sock

    def _thread(self, target, sock: socket.socket) -> None:
        t = threading.Thread(target=target, args=(sock,), name="black-hole", daemon=True)
        self._threads.append(t)
        t.start()

    def _swallow_connections(self, server: socket.socket) -> None:
        accepted: list[socket.socket] = []
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                    conn.setblocking(False)
                    accepted.append(conn)
                except (socket.timeout, OSError):
                    pass
                for conn in list(accepted):  # drain what clients send, so they never block on a full buffer
                    try:
                        if conn.recv(65536) == b"":
                            accepted.remove(conn)
                            conn.close()
                    except BlockingIOError:
                        pass
                    except OSError:
                        accepted.remove(conn)
                time.sleep(0.01)
        finally:
            for conn in accepted:
                conn.close()

    def _swallow_datagrams(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                sock.recvfrom(65536)
            except (socket.timeout, OSError):
                pass


# -- answers that aim one endpoint of `wbinstall check` at a black hole ----------------------------

# endpoint -> (the check that talks to it, the black-hole kinds that apply to it)
ENDPOINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kubernetes": ("k8s.connect", ("silent", "full")),
    "mysql": ("mysql.connect", ("silent", "full")),
    "s3-compatible": ("storage.access", ("silent", "full")),
    "gcs": ("storage.access", ("silent", "full")),
    "azure": ("storage.access", ("silent", "full")),
    "dns": ("dns.a-record", ("udp",)),
    "tls": ("tls.certificate", ("silent", "full")),
}
# The secrets the answers name, by environment variable (values for a run; never real).
SECRET_ENV = {"WB_HOLE_LICENSE": "hole-license-0001", "WB_HOLE_MYSQL_PASSWORD": "hole-mysql-password",
              "WB_HOLE_ACCESS_KEY": "hole-access-key", "WB_HOLE_SECRET_KEY": "hole-secret-key",
              "WB_HOLE_AZURE_KEY": "aG9sZS1henVyZS1rZXk="}


def cases() -> list[tuple[str, str]]:
    """Every (endpoint, kind) pair of the matrix."""
    return [(endpoint, kind) for endpoint, (_, kinds) in ENDPOINTS.items() for kind in kinds]


def answers(endpoint: str, port: int, workdir) -> tuple[dict, str]:
    """Answers whose `endpoint` is 127.0.0.1:port (the others point nowhere that is slow), and the
    address a verdict must name."""
    from pathlib import Path

    import yaml

    workdir = Path(workdir)
    address = f"{LOOPBACK}:{port}"
    kubeconfig = workdir / "kubeconfig"
    # The other endpoints' cluster refuses at once (nothing listens on a just-freed port).
    server = address if endpoint == "kubernetes" else f"{LOOPBACK}:{free_port()}"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "hole",
        "clusters": [{"name": "hole", "cluster": {"server": f"https://{server}", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "hole", "user": {"token": "hole-token"}}],
        "contexts": [{"name": "hole", "context": {"cluster": "hole", "user": "hole"}}]}))
    data: dict = {
        "apiVersion": "wbinstall/v1", "workload": "models", "environment": "test", "cloud": "other",
        "host": "wandb.sandbox.test", "license": {"env": "WB_HOLE_LICENSE"},
        "kubernetes": {"kubeconfig": str(kubeconfig)},
        "mysql": {"host": LOOPBACK, "port": port, "password": {"env": "WB_HOLE_MYSQL_PASSWORD"}},
        "storage": {"provider": "s3-compatible", "bucket": "wandb", "endpoint": f"http://{address}",
                    "accessKey": {"env": "WB_HOLE_ACCESS_KEY"}, "secretKey": {"env": "WB_HOLE_SECRET_KEY"}},
        "checks": {"dns": {"nameservers": [address]}, "tls": {"address": address}},
    }
    if endpoint == "gcs":
        key = workdir / "gcs-key.json"
        key.write_text(_gcs_key(f"http://{address}/token"))
        key.chmod(0o600)
        data["storage"] = {"provider": "gcs", "bucket": "wandb", "endpoint": f"http://{address}",
                           "serviceAccountKey": {"file": str(key)}}
    elif endpoint == "azure":
        data["storage"] = {"provider": "azure", "bucket": "wandb", "account": "holeaccount",
                           "endpoint": f"http://{address}/holeaccount", "accountKey": {"env": "WB_HOLE_AZURE_KEY"}}
    return data, address


def _gcs_key(token_uri: str) -> str:
    """A service-account key file whose token endpoint is the black hole too."""
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return json.dumps({"type": "service_account", "project_id": "hole", "private_key_id": "0" * 40,
                       "private_key": pem, "client_email": "hole@hole.iam.gserviceaccount.com",
                       "client_id": "1" * 21, "token_uri": token_uri, "universe_domain": "googleapis.com"})


def run_check(endpoint: str, kind: str, timeout: float, workdir) -> dict:
    """`wbinstall check --only <its check> --timeout T --output json` (a whole process, start-up
    included) against a black hole of that kind: wall time, exit code, the check's result."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    check_id = ENDPOINTS[endpoint][0]
    with BlackHoles() as holes:
        data, address = answers(endpoint, holes.port(kind), workdir)
        path = workdir / "answers.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        argv = [sys.executable, "-m", "wbinstall", "check", "--answers", str(path), "--only", check_id,
                "--timeout", f"{timeout:g}", "--output", "json"]
        env = {**os.environ, **SECRET_ENV, "NO_COLOR": "1"}
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout + 60,
                              cwd=Path(__file__).resolve().parents[1])
        elapsed = time.monotonic() - started
    try:
        results = {r["id"]: r for r in json.loads(done.stdout)["results"]}
    except (ValueError, KeyError, TypeError):
        results = {}
    return {"endpoint": endpoint, "kind": kind, "address": address, "check": check_id, "elapsed": elapsed,
            "exit": done.returncode, "result": results.get(check_id), "stderr": done.stderr}
