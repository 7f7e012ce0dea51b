"""Where the real control-plane binaries come from: sandbox/build-binaries.sh builds them
once from the Go module proxy into a cache outside the repository and prints the bin
directory on its last stdout line (instant when they are already there)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "build-binaries.sh"
NAMES = ("kube-apiserver", "kube-apiserver-old", "kube-controller-manager",
         "kube-scheduler", "etcd", "kwok")


class BuildFailed(RuntimeError):
    pass


@functools.lru_cache(maxsize=None)
def ensure_binaries() -> Path:
    """Build if needed; returns the directory holding all of NAMES.
    WBINSTALL_SANDBOX_BIN, when set, points at an existing directory instead."""
    override = os.environ.get("WBINSTALL_SANDBOX_BIN")
    if override:
        bin_dir = Path(override)
    else:
        # A first build takes many minutes; its output goes to a log file that a
        # developer can tail (the path is printed), and into the error on failure.
        log_path = Path(tempfile.gettempdir()) / "wbinstall-sandbox-build.log"
        print(f"sandbox: ensuring Kubernetes binaries (log: {log_path})", file=sys.stderr)
        with open(log_path, "w") as log:
            result = subprocess.run(["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE,
                                    stderr=log, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
            raise BuildFailed(f"{BUILD_SCRIPT} exited {result.returncode}:\n{tail}")
        bin_dir = Path(result.stdout.strip().splitlines()[-1])
    missing = [n for n in NAMES if not os.access(bin_dir / n, os.X_OK)]
    if missing:
        raise BuildFailed(f"missing in {bin_dir}: {', '.join(missing)}")
    return bin_dir
