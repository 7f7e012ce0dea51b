"""Kill and rerun, bounded for CI (bench/kill_rerun.py runs the full 20): the unattended install
killed with SIGKILL at three seeded moments spread over its run, then run again to the end;
each rerun exits 0, takes over the dead run's lock at once (saying so), and leaves the
namespace as a clean install does."""

from __future__ import annotations

import pytest

from sandbox.kill_rerun import KillRerun, kill_moments
from tests.apply.support import cleanup_cluster_scoped  # noqa: F401 - fixture

SEED, KILLS = 15, 3

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")


def test_every_rerun_after_a_kill_converges_to_a_clean_install(sandbox_kube, tmp_path):
    trial = KillRerun(sandbox_kube, tmp_path)
    names = ["kr-clean"] + [f"kr-{i}" for i in range(KILLS)]
    try:
        clean = trial.clean()
        outcomes = [trial.kill_then_rerun(f"kr-{i}", at) for i, at in enumerate(kill_moments(SEED, KILLS, clean))]
    finally:
        trial.delete_namespaces(names)
    report = "\n".join(o.describe() for o in outcomes)
    assert all(o.converged for o in outcomes), report
    assert all(o.lock_wait is not None for o in outcomes), report
    for o in outcomes:  # a lock the killed run held is taken over, and the rerun says whose
        if o.took_over:
            assert o.took_over.endswith("its process on this machine has ended"), report


def test_kill_moments_are_seeded_and_spread_over_the_run():
    moments = kill_moments(15, 20, 40.0)
    assert moments == kill_moments(15, 20, 40.0) and moments != kill_moments(16, 20, 40.0)
    assert all(2 * i < m < 2 * (i + 1) for i, m in enumerate(moments))
