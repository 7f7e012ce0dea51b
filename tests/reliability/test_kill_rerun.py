"""Kill and rerun, bounded for CI (bench/kill_rerun.py runs the full 20 per face): the unattended
install, and the wizard's Deploy, each killed with SIGKILL at three seeded moments spread over
its run, then run again to the end (the unattended install); each rerun exits 0, takes over
the dead run's lock at once (saying so), and leaves the namespace as a clean install does."""

from __future__ import annotations

import pytest

from sandbox.kill_rerun import KillRerun, kill_moments
from tests.apply.support import cleanup_cluster_scoped  # noqa: F401 - fixture

SEED, KILLS, WIZARD_KILLS = 15, 3, 3

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


def test_the_wizard_killed_at_seeded_moments_of_its_deploy_then_a_rerun_converges(sandbox_kube, tmp_path):
    # The wizard in a real pty, resumed at Deploy: Ctrl+D, its process group SIGKILLed at seeded
    # moments spread over a clean wizard deploy (from Ctrl+D until W&B is ready), then the
    # unattended install run to the end.
    trial = KillRerun(sandbox_kube, tmp_path)
    names = ["kr-clean", "krw-clean"] + [f"krw-{i}" for i in range(WIZARD_KILLS)]
    try:
        trial.clean()
        deploy = trial.clean_wizard()
        outcomes = [trial.kill_wizard_then_rerun(f"krw-{i}", at)
                    for i, at in enumerate(kill_moments(SEED, WIZARD_KILLS, deploy))]
    finally:
        trial.delete_namespaces(names)
    report = f"clean wizard deploy {deploy:.1f} s\n" + "\n".join(o.describe() for o in outcomes)
    assert all(o.rerun_exit == 0 for o in outcomes), report
    assert all(o.converged for o in outcomes), report
    for o in outcomes:  # the Lease a killed wizard held is taken over at once, and the rerun says whose
        if o.held_lease:
            assert o.took_over and o.took_over.endswith("its process on this machine has ended"), report
