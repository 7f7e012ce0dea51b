"""Addresses written in the answers (checks.dns.nameservers, checks.tls.address). Pure parsing,
shared by the model (refused at `validate` time) and the probes (which connect to them)."""

from __future__ import annotations

import ipaddress
import re

_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?$")


def _port(text: str, what: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{what}: the port '{text}' is not a number")
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(f"{what}: the port {port} is out of range (1-65535)")
    return port


def parse_nameserver(text: str) -> tuple[str, int]:
    """"IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address -> (ip, port); ValueError says why not."""
    value = text.strip()
    host, port = value, 53
    if value.startswith("["):
        host, closed, rest = value[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError(f"'{text}' is not IP or IP:PORT")
        if rest:
            port = _port(rest[1:], f"'{text}' is not IP or IP:PORT")
    elif value.count(":") == 1:
        host, port_text = value.split(":")
        port = _port(port_text, f"'{text}' is not IP or IP:PORT")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"'{text}' is not IP or IP:PORT: {host or 'nothing'} is not an IP address "
                         "(a resolver is named by its address)") from None
    return host, port


def parse_host_port(address: str, default_host: str, default_port: int = 443) -> tuple[str, int]:
    """"HOST:PORT", "[IPv6]:PORT", "HOST" or an IP -> (host, port)."""
    text = address.strip()
    if not text:
        return default_host, default_port
    if text.startswith("["):
        name, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError(f"'{address}' is not HOST:PORT")
        port_text = rest[1:] if rest else str(default_port)
        _ip(name, address)
    elif text.count(":") == 1:
        name, port_text = text.split(":")
    elif ":" in text:  # a bare IPv6 address
        name, port_text = _ip(text, address), str(default_port)
    else:
        name, port_text = text, str(default_port)
    if not name:
        raise ValueError(f"'{address}' is not HOST:PORT: no host")
    if not _is_ip(name) and not _HOST_NAME.match(name):
        raise ValueError(f"'{address}' is not HOST:PORT: '{name}' is not a host name or IP address")
    return name, _port(port_text, f"'{address}' is not HOST:PORT")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ip(text: str, address: str) -> str:
    if not _is_ip(text):
        raise ValueError(f"'{address}' is not HOST:PORT: '{text}' is not an IP address")
    return text
