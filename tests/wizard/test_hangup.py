"""A dropped SSH session, for real: the wizard in a pty that is its controlling terminal, and
the pty's master closed (the kernel hangs up the session). Progress is saved where the user
was (mode 0600, no secret), the next start offers to resume it, during Deploy the install
Lease is released at once (not 30 s later when it expires), and the next start re-attaches to
the rollout the dropped session began."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.apply.support import answers_file, cleanup_cluster_scoped, kube_for  # noqa: F401 - fixture
from tests.wizard.support import ANSWERS
from sandbox.terminal import Terminal
from wbinstall import exitcodes
from wbinstall.screens import flow
from wbinstall.apply.lock import LEASE_NAME
from wbinstall.kube import collection_path
from wbinstall.rollout.follow import CR_GROUP_VERSION

REPO = Path(__file__).resolve().parents[2]
CANARIES = {"WB_TEST_LICENSE": "canary-license-7Qx2", "WB_TEST_MYSQL_PASSWORD": "canary-mysql-9Zr4"}
CTRL_N, ESC = "\x0e", "\x1b"


def env_for(state_dir: Path) -> dict[str, str]:
    return {**os.environ, **CANARIES, "WBINSTALL_STATE_DIR": str(state_dir)}


def progress(state_dir: Path) -> tuple[dict, int]:
    path = state_dir / "progress.yaml"
    return yaml.safe_load(path.read_text()), stat.S_IMODE(path.stat().st_mode)


def test_a_hang_up_saves_the_step_the_user_was_on_and_the_next_start_offers_it(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    state_dir = tmp_path / "state"
    with Terminal([sys.executable, "-m", "wbinstall", "--answers", str(answers), "--interactive"],
                  env=env_for(state_dir), cwd=str(REPO)) as term:
        term.wait_for("Welcome")
        for _ in range(2):  # workload, then environment: each Next saves progress
            term.send(CTRL_N)
        term.wait_for("Environment and license")
        term.send(ESC)      # back to workload: nothing saved by going back ...
        term.wait_for("step 2 of 11")
        assert progress(state_dir)[0]["step"] == "environment"
        term.hang_up()      # ... until the connection drops
        assert term.wait(15) == exitcodes.INTERRUPTED

    saved, mode = progress(state_dir)
    assert saved["step"] == "workload"
    assert saved["answers"]["host"] == "wandb.example.com" and saved["answers"]["cloud"] == "aws"
    assert mode == 0o600
    text = (state_dir / "progress.yaml").read_text()
    assert not any(value in text for value in CANARIES.values())

    with Terminal([sys.executable, "-m", "wbinstall"], env=env_for(state_dir), cwd=str(REPO)) as again:
        again.wait_for("Resume at workload")



@pytest.mark.parametrize("step", [s for s in flow.STEPS if s not in ("welcome", "deploy")])  # deploy: below
def test_a_hang_up_at_each_step_saves_it_without_a_secret_and_the_next_start_offers_it(tmp_path, step):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    answers = yaml.safe_load(ANSWERS)
    (state_dir / "progress.yaml").write_text(yaml.safe_dump({"step": step, "answers": answers}))
    number = flow.position(step)[0]
    with Terminal([sys.executable, "-m", "wbinstall"], env=env_for(state_dir), cwd=str(REPO)) as term:
        term.wait_for(f"Resume at {step}")
        term.send(CTRL_N)
        term.wait_for(f"step {number} of 11")
        (state_dir / "progress.yaml").unlink()  # what is there next was written by the hang-up
        term.hang_up()
        assert term.wait(15) == exitcodes.INTERRUPTED

    saved, mode = progress(state_dir)
    assert saved["step"] == step and mode == 0o600
    assert saved["answers"]["host"] == "wandb.example.com"
    assert not any(value in (state_dir / "progress.yaml").read_text() for value in CANARIES.values())
    with Terminal([sys.executable, "-m", "wbinstall"], env=env_for(state_dir), cwd=str(REPO)) as again:
        again.wait_for(f"Resume at {step}")

@pytest.mark.usefixtures("cleanup_cluster_scoped")
def test_a_hang_up_during_deploy_releases_the_install_lease_at_once(sandbox_kube, sandbox_kube_namespace, tmp_path):
    # No operator runs: the install applies, then holds the Lease while it waits for the rollout.
    answers = yaml.safe_load(answers_file(tmp_path, sandbox_kube, sandbox_kube_namespace).read_text())
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "progress.yaml").write_text(yaml.safe_dump({"step": "deploy", "answers": answers}))
    kube = kube_for(sandbox_kube)
    lease = f"/apis/coordination.k8s.io/v1/namespaces/{sandbox_kube_namespace}/leases/{LEASE_NAME}"
    resource = f"{collection_path(CR_GROUP_VERSION, 'WeightsAndBiases', sandbox_kube_namespace)}/wandb"

    with Terminal([sys.executable, "-m", "wbinstall"], env=env_for(state_dir), cwd=str(REPO)) as term:
        term.wait_for("Resume at deploy")
        term.send(CTRL_N)
        term.wait_for("Deploy")
        term.pump(1.0)
        term.send("\x04")  # Ctrl+D: deploy
        deadline = time.monotonic() + 60
        while kube.get(lease) is None:
            assert time.monotonic() < deadline, term.text()[-2000:]
            term.pump(0.2)
        holder = kube.get(lease)["spec"]["holderIdentity"]
        assert holder.split("/")[1] == str(term.proc.pid)
        while kube.get(resource) is None:  # applied to the end: the rollout is under way
            assert time.monotonic() < deadline, term.text()[-2000:]
            term.pump(0.2)

        term.hang_up()
        assert term.wait(15) == exitcodes.INTERRUPTED

    assert kube.get(lease) is None  # released by the hung-up wizard itself, not left to expire
    saved, mode = progress(state_dir)
    assert saved["step"] == "deploy" and mode == 0o600

    # The next start resumes at Deploy and re-attaches to the install the dropped session began.
    with Terminal([sys.executable, "-m", "wbinstall"], env=env_for(state_dir), cwd=str(REPO)) as again:
        again.wait_for("Resume at deploy")
        again.send(CTRL_N)
        again.wait_for("following the install in the cluster", timeout=60)
        assert kube.get(lease) is None, (again.proc.pid, again.text()[-3000:])  # following takes no lock
