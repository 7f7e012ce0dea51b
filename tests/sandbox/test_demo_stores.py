"""`python -m sandbox check --storage gcs|azure`: the demo's bucket on each store, every storage
check passing against it (as `python -m sandbox wizard --storage ...` shows them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("storage", ["gcs", "azure"])
def test_the_demo_brings_up_its_bucket_on_each_store(tmp_path, sandbox_kube_binaries, storage):
    env = {**os.environ, "WBINSTALL_SANDBOX_BIN": str(sandbox_kube_binaries), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "sandbox", "check", "--storage", storage, "--dir", str(tmp_path)],
                          cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr + done.stdout
    for check_id in ("storage.access", "storage.presign", "storage.cors"):  # the report is the wizard's terminal
        assert f"PASS  {check_id}" in done.stdout, done.stdout
    assert f"provider: {storage}" in (tmp_path / "answers.yaml").read_text()
