"""A bug in the wizard, in a real terminal: the user sees one line naming the log, never a
traceback (Textual's own shows every frame's locals, a secret among them), and the log holds
the traceback with every secret the wizard knew taken out. Exit code 4, progress kept."""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox.terminal import Terminal
from tests.wizard.support import ANSWERS
from tests.wizard.test_hangup import CANARIES, CTRL_N, REPO, env_for, progress
from wbinstall import exitcodes

# Saving progress (on Next, the UI thread) crashes with a secret in a local and in the message.
CRASHING = """
import os, sys
import wbinstall.cli as cli
import wbinstall.screens.progress as progress

def save(state_dir, step, data):
    if step != "environment":
        return real(state_dir, step, data)
    license = os.environ["WB_TEST_LICENSE"]  # a frame's local that holds a secret
    raise RuntimeError("the progress could not be saved for " + license)

real, progress.save = progress.save, save
raise SystemExit(cli.main(["--answers", sys.argv[1], "--interactive"]))
"""


def test_a_crash_shows_one_line_and_logs_the_traceback_without_secrets(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    state_dir = tmp_path / "state"
    with Terminal([sys.executable, "-c", CRASHING, str(answers)], env=env_for(state_dir), cwd=str(REPO)) as term:
        term.wait_for("Welcome")
        term.send(CTRL_N)  # to workload: saved
        term.wait_for("step 2 of 11")
        term.send(CTRL_N)  # to environment: the save crashes
        code = term.wait(20)
        term.pump(0.5)
        shown = term.text()

    assert code == exitcodes.INTERNAL_ERROR, shown[-2000:]
    assert "wbinstall: internal error (RuntimeError)" in shown and f"details in {state_dir / 'wbinstall.log'}" in shown
    assert "Traceback" not in shown and "Error" not in shown.replace("internal error (RuntimeError)", "")
    for canary in CANARIES.values():
        assert canary not in shown
    log = (state_dir / "wbinstall.log").read_text()
    assert "RuntimeError: the progress could not be saved for <redacted>" in log and "Traceback" in log
    for canary in CANARIES.values():
        assert canary not in log
    assert progress(state_dir)[0]["step"] == "workload"  # what was saved before the crash stays
