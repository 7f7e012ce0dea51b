"""The demo end to end: `wbinstall --answers` against `python -m sandbox`'s answers checks
(dns.a-record passing before anything is installed: the host points at Traefik's published
address), installs, and verifies W&B through the real ingress to the stand-in backend."""

from __future__ import annotations

import os
import subprocess
import sys

from sandbox.__main__ import running
from tests.apply.support import REPO


def test_the_demo_install_checks_installs_and_verifies_through_traefik(tmp_path, sandbox_kube_binaries):
    with running(tmp_path / "demo", bin_dir=sandbox_kube_binaries) as answers:
        env = {**os.environ, "WBINSTALL_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1"}
        done = subprocess.run([sys.executable, "-m", "wbinstall", "--answers", str(answers)], capture_output=True,
                              text=True, cwd=REPO, env=env, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    checks, _, verified = out.partition("PASS  verify.")
    assert "PASS  dns.a-record" in checks and "PASS  k8s.ingress" in checks   # before the install
    for check_id in ("operator", "dns", "app", "upload", "bucket"):
        assert f"PASS  verify.{check_id}" in out, out
    assert "WARN  verify.tls" in out and "private CA" in out   # the sandbox's own CA, as tls.certificate says
    assert "5 passed, 1 warned, 0 failed" in out
