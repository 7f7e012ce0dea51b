"""The checks as declared once in assets/checks.yaml (id, wizard step, probes, judge,
dependencies). Data only, so that the answers model and the screens can name them without
importing check code: CHECK_IDS (report order), for_step(step), strict_ids(), needed_by(id),
declared() for the engine; VERIFY_IDS, the checks after the install (`verify:`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    gather: str      # "area.module:function" under wbinstall.checks
    timeout: float
    # Libraries the probe imports on first use, imported once before the probes' threads start
    # (a package imported for the first time from several threads at once can deadlock).
    imports: tuple[str, ...] = ()


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
    checks: tuple[CheckSpec, ...]  # preflight: before anything is applied
    probes: dict[str, ProbeSpec]
    verify: tuple[CheckSpec, ...] = ()  # after the install (wbinstall verify)


class DeclarationError(ValueError):
    """assets/checks.yaml contradicts itself: a bug in wbinstall, caught by its tests."""


@cache
def declared() -> Declared:
    from wbinstall import data  # imports PyYAML: not before it is needed

    raw = data.load("checks.yaml")
    probes = {name: ProbeSpec(name, p["gather"], float(p["timeout"]), tuple(p.get("imports") or ()))
              for name, p in raw["probes"].items()}
    lists: dict[str, list[CheckSpec]] = {"checks": [], "verify": []}
    for key, checks in lists.items():
        for c in raw.get(key) or ():
            spec = CheckSpec(c["id"], c["step"], tuple(c["probes"]), c["judge"], tuple(c.get("after") or ()),
                             bool(c.get("strict", False)))
            if spec.id in {s.id for specs in lists.values() for s in specs}:
                raise DeclarationError(f"{spec.id} is declared twice")
            if missing := [d for d in spec.after if d not in {s.id for s in checks}]:
                raise DeclarationError(f"{spec.id}: after {missing} must be declared above it, in {key}")
            if missing := [p for p in spec.probes if p not in probes]:
                raise DeclarationError(f"{spec.id}: unknown probes {missing}")
            if key == "verify" and spec.strict:
                raise DeclarationError(f"{spec.id}: a verify check cannot be strict (nothing follows it)")
            checks.append(spec)
    return Declared(tuple(lists["checks"]), probes, tuple(lists["verify"]))


def __getattr__(name: str) -> tuple[str, ...]:
    # CHECK_IDS reads the YAML on first use, not at import (the CLI's start-up stays fast).
    if name == "CHECK_IDS":  # the preflight checks
        return tuple(c.id for c in declared().checks)
    if name == "VERIFY_IDS":  # the checks after the install
        return tuple(c.id for c in declared().verify)
    if name == "SKIPPABLE_IDS":  # what checks.skip may name
        return tuple(c.id for c in (*declared().checks, *declared().verify))
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
