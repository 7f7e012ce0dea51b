"""The checks as declared once in assets/checks.yaml (id, wizard step, probes, judge,
dependencies). Data only, so that the answers model and the screens can name them without
importing check code: CHECK_IDS (report order), for_step(step), strict_ids(), needed_by(id),
declared() for the engine."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    gather: str      # "area.module:function" under wbinstall.checks
    timeout: float


@dataclass(frozen=True)
class CheckSpec:
    id: str
    step: str
    probes: tuple[str, ...]
    judge: str       # "area.module:function" under wbinstall.checks
    after: tuple[str, ...] = ()
    # A hard requirement of the reference architecture: checks.skip cannot skip it, and only
    # `--override-strict ID` on the command line lets a run go past its failure.
    strict: bool = False


@dataclass(frozen=True)
class Declared:
    checks: tuple[CheckSpec, ...]
    probes: dict[str, ProbeSpec]


class DeclarationError(ValueError):
    """assets/checks.yaml contradicts itself: a bug in wbinstall, caught by its tests."""


@cache
def declared() -> Declared:
    from wbinstall import data  # imports PyYAML: not before it is needed

    raw = data.load("checks.yaml")
    probes = {name: ProbeSpec(name, p["gather"], float(p["timeout"])) for name, p in raw["probes"].items()}
    checks: list[CheckSpec] = []
    for c in raw["checks"]:
        spec = CheckSpec(c["id"], c["step"], tuple(c["probes"]), c["judge"], tuple(c.get("after") or ()),
                         bool(c.get("strict", False)))
        seen = {s.id for s in checks}
        if spec.id in seen:
            raise DeclarationError(f"{spec.id} is declared twice")
        if missing := [d for d in spec.after if d not in seen]:
            raise DeclarationError(f"{spec.id}: after {missing} must be declared above it")
        if missing := [p for p in spec.probes if p not in probes]:
            raise DeclarationError(f"{spec.id}: unknown probes {missing}")
        checks.append(spec)
    return Declared(tuple(checks), probes)


def __getattr__(name: str) -> tuple[str, ...]:
    # CHECK_IDS reads the YAML on first use, not at import (the CLI's start-up stays fast).
    if name == "CHECK_IDS":
        return tuple(c.id for c in declared().checks)
    raise AttributeError(name)


def for_step(step: str) -> tuple[str, ...]:
    return tuple(c.id for c in declared().checks if c.step == step)


def strict_ids() -> tuple[str, ...]:
    return tuple(c.id for c in declared().checks if c.strict)


def needed_by(check_id: str) -> tuple[str, ...]:
    """The checks that depend on `check_id`, directly or through others (report order)."""
    users: set[str] = {check_id}
    for c in declared().checks:  # declared order: a dependency always comes first
        if users & set(c.after):
            users.add(c.id)
    return tuple(c.id for c in declared().checks if c.id in users and c.id != check_id)
