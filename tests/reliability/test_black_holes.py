"""`wbinstall check` against loopback black holes, as a whole process: for every endpoint it
talks to, a listener that accepts and never answers, one whose backlog is full (connect never
completes) and, for DNS, a UDP port that swallows queries. Each run ends with exit 1 and a
verdict that says "no answer" and names the address. How close each run stays to T + 1 s is
bench/black_holes.py's figure (a time, so not asserted here); the subprocess timeout in
run_check is the hang guard."""

from __future__ import annotations

import pytest

from sandbox.black_holes import cases, run_check

TIMEOUT = 2.0


@pytest.mark.parametrize("endpoint, kind", cases())
def test_a_black_hole_is_reported_as_no_answer_naming_the_endpoint(endpoint, kind, tmp_path):
    seen = run_check(endpoint, kind, TIMEOUT, tmp_path)

    assert seen["exit"] == 1, seen["stderr"]
    result = seen["result"]
    assert result["status"] == "fail", result
    assert "no answer" in result["summary"] and seen["address"] in result["summary"], result["summary"]
    assert "Traceback" not in seen["stderr"]
