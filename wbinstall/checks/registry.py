"""The checks wbinstall knows: each names the probe that gathers its facts and a pure judge.

A probe runs once per check run however many checks read its facts (one MySQL connection for
all mysql.* checks). Probes do I/O only and bound every call by the deadline they are given;
judges are pure functions of (facts, inputs) so that real-world cases are cheap to test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wbinstall.checks.context import CheckInputs, ProbeContext
from wbinstall.checks.result import Result

# facts by probe name -> inputs -> result
Judge = Callable[[Mapping[str, Any], CheckInputs], Result]


@dataclass(frozen=True)
class Probe:
    name: str
    gather: Callable[[ProbeContext], Any]
    # Seconds; the run's --timeout overrides it.
    timeout: float = 10.0


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    probes: tuple[str, ...]
    judge: Judge
    # Checks whose failure makes this one meaningless: it then reports `skip` with the cause.
    after: tuple[str, ...] = ()


PROBES: dict[str, Probe] = {}
CHECKS: dict[str, Check] = {}


def probe(p: Probe) -> Probe:
    PROBES[p.name] = p
    return p


def check(c: Check) -> Check:
    CHECKS[c.id] = c
    return c
