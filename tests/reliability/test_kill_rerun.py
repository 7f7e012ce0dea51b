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


def test_the_wizard_killed_while_deploying_then_a_rerun_converges(sandbox_kube, tmp_path):
    import os
    import signal
    import sys
    import time

    import yaml

    from sandbox.kill_rerun import ENV, REPO
    from tests.wizard.terminal import Terminal

    trial = KillRerun(sandbox_kube, tmp_path / "runs")
    namespace = "kr-wizard"
    try:
        trial.clean()
        state = tmp_path / "state"
        state.mkdir()
        answers = yaml.safe_load(trial.answers(namespace).read_text())
        (state / "progress.yaml").write_text(yaml.safe_dump({"step": "deploy", "answers": answers}))
        lease = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/wbinstall-install"
        with trial.with_operator(namespace):
            env = {**os.environ, **ENV, "WBINSTALL_STATE_DIR": str(state)}
            with Terminal([sys.executable, "-m", "wbinstall"], env=env, cwd=str(REPO)) as term:
                term.wait_for("Resume at deploy")
                term.send("\x0e")   # Ctrl+N: resume
                term.wait_for("Deploy")
                term.pump(1.0)
                term.send("\x04")   # Ctrl+D: deploy
                deadline = time.monotonic() + 60
                while trial.kube.get(lease) is None:  # it holds the lock: applying
                    assert time.monotonic() < deadline, term.text()[-2000:]
                    term.pump(0.05)
                os.killpg(term.proc.pid, signal.SIGKILL)
                term.wait(10)
            code, lines, _ = trial.run_to_end(namespace)
        out = "\n".join(text for _, text in lines)
        assert code == 0, out
        assert "taken over from" in out and "its process on this machine has ended" in out, out
        assert trial.differences(trial.objects(namespace)) == []
    finally:
        trial.delete_namespaces(["kr-clean", namespace])
