"""Where the real control-plane binaries come from: sandbox/build-binaries.sh builds them
once from the Go module proxy into a cache outside the repository and prints the bin
directory on its last stdout line (instant when they are already there).

Two sets: `run`, what the demo starts (`python -m sandbox`), and `test`, which adds the old
apiserver only the version check's fail path needs."""

from __future__ import annotations

import collections
import functools
import os
import re
import subprocess
import sys
from pathlib import Path

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "build-binaries.sh"
# Traefik's binary is named by its version (the cache key is not): the one the script pins.
TRAEFIK_VERSION = os.environ.get("WBINSTALL_TRAEFIK_VERSION") or re.search(
    r"TRAEFIK_VERSION=\$\{WBINSTALL_TRAEFIK_VERSION:-([^}]+)\}", BUILD_SCRIPT.read_text()).group(1)
TRAEFIK = f"traefik-{TRAEFIK_VERSION}"
DEMO_NAMES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok", TRAEFIK)
NAMES = (*DEMO_NAMES, "kube-apiserver-old")
TARGETS = {"run": DEMO_NAMES, "test": NAMES}


class BuildFailed(RuntimeError):
    pass


@functools.lru_cache(maxsize=None)
def ensure_binaries(target: str = "test") -> Path:
    """Build what `target` ("run" or "test") needs if missing; returns the bin directory.
    WBINSTALL_SANDBOX_BIN, when set, points at an existing directory instead."""
    names = TARGETS[target]
    override = os.environ.get("WBINSTALL_SANDBOX_BIN")
    if override:
        bin_dir = Path(override)
    else:
        # The script's progress lines pass through to stderr as they come (a first build takes
        # many minutes); the Go tool's output is in the build log it names.
        tail: collections.deque[str] = collections.deque(maxlen=40)
        with subprocess.Popen(["bash", str(BUILD_SCRIPT), target], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL) as proc:
            for line in proc.stderr:
                sys.stderr.write(line)
                tail.append(line.rstrip("\n"))
            out = proc.stdout.read()
        if proc.returncode != 0:
            raise BuildFailed(f"{BUILD_SCRIPT} {target} exited {proc.returncode}:\n" + "\n".join(tail))
        bin_dir = Path(out.strip().splitlines()[-1])
    missing = [n for n in names if not os.access(bin_dir / n, os.X_OK)]
    if missing:
        raise BuildFailed(f"missing in {bin_dir}: {', '.join(missing)}")
    return bin_dir
