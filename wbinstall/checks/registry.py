"""The checks, bound: each declaration of assets/checks.yaml (wbinstall.checklist) with its
probe and judge functions.

A probe runs once per check run however many checks read its facts (one MySQL connection for
all mysql.* checks). Probes do I/O only and bound every call by the deadline they are given;
judges are pure functions of (facts, inputs) so that real-world cases are cheap to test.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wbinstall.checklist import declared
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
    imports: tuple[str, ...] = ()  # see checklist.ProbeSpec


@dataclass(frozen=True)
class Check:
    id: str
    probes: tuple[str, ...]
    judge: Judge
    # Checks whose failure makes this one meaningless: it then reports `skip` with the cause.
    after: tuple[str, ...] = ()
    strict: bool = False  # a hard requirement: see wbinstall.checklist.CheckSpec


def function(ref: str) -> Callable[..., Any]:
    """'area.module:name' under wbinstall.checks -> the function."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"wbinstall.checks.{module}"), name)


def _bind() -> tuple[dict[str, Probe], dict[str, Check]]:
    d = declared()
    probes = {n: Probe(n, function(p.gather), p.timeout, p.imports) for n, p in d.probes.items()}
    checks = {c.id: Check(c.id, c.probes, function(c.judge), c.after, c.strict) for c in (*d.checks, *d.verify)}
    return probes, checks


PROBES, CHECKS = _bind()  # CHECKS: the preflight checks, then verify.*
# The ids each phase runs, in report order.
PHASES: dict[str, tuple[str, ...]] = {"preflight": tuple(c.id for c in declared().checks),
                                      "verify": tuple(c.id for c in declared().verify)}
