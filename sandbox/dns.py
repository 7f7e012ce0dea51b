"""An authoritative DNS server on 127.0.0.1 (UDP and TCP on one free port) with records set at run time.

    with SandboxDNS() as dns:
        dns.set_a("wandb.sandbox.test", "127.0.0.1")
        dns.set_cname("www.sandbox.test", "lb.sandbox.test")
        dns.set_a("lb.sandbox.test", "127.0.0.2")
        # dnspython: r = dns.resolver.Resolver(configure=False); r.nameservers = [dns.host]; r.port = dns.port

Answers like a real authoritative server: CNAME chains are followed within the server's own
records (every CNAME plus the final A records in the answer); a name that is not set is NXDOMAIN,
and so is a chain whose last target is not set;
a set name asked for another type (AAAA, MX, ...) is NOERROR with an empty answer (dnslib's
ZoneResolver would say NXDOMAIN there).
"""

from __future__ import annotations

import logging
import socket
import threading

from dnslib import CNAME, QTYPE, RCODE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from sandbox.procs import LOOPBACK

TTL = 60
_MAX_CHAIN = 8  # longer CNAME chains are cut, like resolvers that give up on loops


def _key(name: str) -> str:
    return name.rstrip(".").lower() + "."


class _RecordResolver(BaseResolver):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        # name -> ("A", [ip, ...]) or ("CNAME", target)
        self.records: dict[str, tuple[str, object]] = {}

    def resolve(self, request: DNSRecord, handler) -> DNSRecord:
        reply = request.reply()  # sets QR, RD/RA flags and copies the question
        reply.header.aa = 1
        qname = str(request.q.qname)
        qtype = request.q.qtype
        with self.lock:
            records = dict(self.records)
        name = _key(qname)
        if name not in records:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for _ in range(_MAX_CHAIN):
            kind, value = records.get(name, (None, None))
            if kind == "CNAME":
                reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME(value), ttl=TTL))
                if qtype == QTYPE.CNAME:
                    break
                name = value
            elif kind == "A":
                if qtype in (QTYPE.A, QTYPE.ANY):
                    for ip in value:
                        reply.add_answer(RR(name, QTYPE.A, rdata=A(ip), ttl=TTL))
                break
            else:
                # Dangling chain: NXDOMAIN for the final name, with the CNAMEs (RFC 6604).
                reply.header.rcode = RCODE.NXDOMAIN
                break
        return reply


def _bind_udp_and_tcp(resolver: BaseResolver, logger: DNSLogger) -> tuple[DNSServer, DNSServer]:
    """UDP on a free port, then TCP on the same number (retried if that TCP port is taken)."""
    for _ in range(10):
        udp = DNSServer(resolver, address=LOOPBACK, port=0, logger=logger)
        try:
            return udp, DNSServer(resolver, address=LOOPBACK, port=udp.server.server_address[1], tcp=True, logger=logger)
        except OSError:
            udp.server.server_close()
    raise OSError("no port free for both UDP and TCP on 127.0.0.1")


def _log_error(request, client_address) -> None:
    logging.getLogger("sandbox.dns").exception("error answering %s", client_address)


class SandboxDNS:
    """DNS server on `host`:`port` (UDP+TCP). Records can change while it runs."""

    def __init__(self) -> None:
        self._resolver = _RecordResolver()
        # Only errors (a malformed request ...), and to the log: dnslib prints to stdout by default.
        errors = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-data", prefix=False,
                           logf=logging.getLogger("sandbox.dns").warning)
        self._udp, self._tcp = _bind_udp_and_tcp(self._resolver, errors)
        self.host, self.port = self._udp.server.server_address[:2]
        self._threads: list[threading.Thread] = []

    def set_a(self, name: str, ips: str | list[str]) -> None:
        """Sets the A record(s) of `name`, replacing whatever it had (A or CNAME)."""
        ips = [ips] if isinstance(ips, str) else list(ips)
        for ip in ips:
            socket.inet_aton(ip)  # fail here, not inside the server thread
        with self._resolver.lock:
            self._resolver.records[_key(name)] = ("A", ips)

    def set_cname(self, name: str, target: str) -> None:
        """Makes `name` a CNAME for `target`, replacing whatever it had."""
        with self._resolver.lock:
            self._resolver.records[_key(name)] = ("CNAME", _key(target))

    def remove(self, name: str) -> None:
        """Removes `name`; it then answers NXDOMAIN. Removing an unknown name is fine."""
        with self._resolver.lock:
            self._resolver.records.pop(_key(name), None)

    def records(self) -> dict[str, tuple[str, object]]:
        """A snapshot: fully-qualified lower-case name -> ("A", [ips]) or ("CNAME", target)."""
        with self._resolver.lock:
            return dict(self._resolver.records)

    def start(self) -> SandboxDNS:
        for server in (self._udp, self._tcp):
            server.server.handle_error = _log_error  # socketserver would print to stderr
            thread = threading.Thread(
                target=server.server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"dns-{self.port}"
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            if self._threads:
                server.server.shutdown()
            server.server.server_close()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def __enter__(self) -> SandboxDNS:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxDNS({self.host}:{self.port}, {len(self.records())} names)"
