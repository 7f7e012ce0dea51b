"""Each check is declared once (assets/checks.yaml); everything else follows from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wbinstall import checklist, data
from wbinstall.checklist import CHECK_IDS, VERIFY_IDS, DeclarationError, declared, for_step
from wbinstall.checks import engine, registry
from wbinstall.screens import flow

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_check_belongs_to_exactly_one_step_that_shows_it():
    steps = {c.id: c.step for c in declared().checks}
    assert set(steps.values()) <= set(flow.STEPS) - {flow.STEPS[0]}  # the first screen shows none
    shown = [i for step in flow.STEPS for i in for_step(step)]
    assert sorted(shown) == sorted(CHECK_IDS)  # each once, none left out


def test_every_declared_probe_and_judge_is_bound():
    assert tuple(registry.CHECKS) == engine.CHECK_IDS == (*CHECK_IDS, *VERIFY_IDS)  # report order: as declared
    assert registry.PHASES == {"preflight": CHECK_IDS, "verify": VERIFY_IDS}
    assert all(i.startswith("verify.") for i in VERIFY_IDS) and not any(i.startswith("verify.") for i in CHECK_IDS)
    for check in registry.CHECKS.values():
        assert callable(check.judge)
        assert all(p in registry.PROBES for p in check.probes)
    assert all(callable(p.gather) for p in registry.PROBES.values())


@pytest.mark.parametrize("table, message", [
    ({"checks": [{"id": "a.one", "step": "x", "probes": ["p"], "judge": "m:f", "after": ["a.two"]},
                 {"id": "a.two", "step": "x", "probes": ["p"], "judge": "m:f"}]}, "must be declared above it"),
    ({"checks": [{"id": "a.one", "step": "x", "probes": ["p"], "judge": "m:f"},
                 {"id": "a.one", "step": "x", "probes": ["p"], "judge": "m:f"}]}, "declared twice"),
    ({"checks": [{"id": "a.one", "step": "x", "probes": ["nope"], "judge": "m:f"}]}, "unknown probes"),
])
def test_a_contradictory_declaration_is_refused(monkeypatch, table, message):
    table["probes"] = {"p": {"gather": "m:g", "timeout": 1}}
    monkeypatch.setattr(data, "load", lambda name: table)
    checklist.declared.cache_clear()
    try:
        with pytest.raises(DeclarationError, match=message):
            declared()
    finally:
        checklist.declared.cache_clear()


def test_the_readme_table_lists_the_declared_ids_in_order():
    section = README.read_text(encoding="utf-8").split("## The checks", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    ids = tuple(i for row in rows for i in re.findall(r"`([a-z0-9]+\.[a-z0-9-]+)`", row.split("|")[2]))
    assert ids == CHECK_IDS
