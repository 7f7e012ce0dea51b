"""sandbox.latency: the benchmarks' latency proxies delay traffic and close without leaving a
task pending. bench/checks_latency.py used to end with asyncio's "Task was destroyed but it is
pending!", "_GatheringFuture exception was never retrieved" and "Exception in callback ...
CancelledError": close() cancelled the proxies' tasks and stopped the loop before they had
finished, and asyncio reported them as they were collected. So the scenario runs in its own interpreter,
whose whole stderr, exit included, must stay empty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCENARIO = r'''
import socket, socketserver, threading, time
from sandbox.latency import LatencyProxies

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)

tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
tcp.daemon_threads = True
threading.Thread(target=tcp.serve_forever, daemon=True).start()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
def udp_echo():
    while True:
        data, peer = udp.recvfrom(65536)
        udp.sendto(data, peer)
threading.Thread(target=udp_echo, daemon=True).start()

def run():  # as the bench does: the proxies are a local, collected when it returns
    proxies = LatencyProxies(delay_s=0.05)
    tcp_port = proxies.tcp(*tcp.server_address)
    udp_port = proxies.udp(*udp.getsockname())
    conn = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
    conn.sendall(b"ping")
    assert conn.recv(4) == b"ping"                      # through the proxy and back
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(5)
    client.sendto(b"dns?", ("127.0.0.1", udp_port))
    assert client.recvfrom(100)[0] == b"dns?"
    client.sendto(b"in flight", ("127.0.0.1", udp_port))  # still being delayed when close() comes
    # Connections at every stage when close() comes: just accepted (in the proxy's own delay),
    # with a chunk on its way, and open and idle (conn).
    more = [socket.create_connection(("127.0.0.1", tcp_port), timeout=5) for _ in range(20)]
    for c in more[::2]:
        c.sendall(b"x")
    time.sleep(0.02)
    proxies.close()
    print("loop closed" if proxies.loop.is_closed() else "loop left open")

run()
import gc; gc.collect()
'''


def test_close_with_a_connection_open_and_a_datagram_in_flight_is_silent():
    result = subprocess.run([sys.executable, "-c", SCENARIO], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.returncode == 0 and result.stdout == "loop closed\n"
