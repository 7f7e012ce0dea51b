"""sandbox/build-binaries.sh: what `./dev run` and `./dev test` build, given what is in the cache.

Nothing here compiles. `--plan` says what would be built; the build itself is exercised with a
stand-in for the Go tool (FAKE_GO below: it writes a placeholder where `go build -o` would put the
binary, or fails on request), so the script's bookkeeping — what it builds, in what order, the
progress lines, the build log, a failure's report — is tested in seconds, not 20 minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "sandbox" / "build-binaries.sh"
# The cache key of the pinned versions: changing it would make every machine rebuild (~17 min).
KEY = "k8s-1.35.4_etcd-3.6.14_kwok-0.8.0_old-1.28.15"
TRAEFIK = "traefik-3.6.12"  # named by its version: a new one is built beside the rest, which stay
DEMO = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok", TRAEFIK]
ALL = DEMO + ["kube-apiserver-old"]

FAKE_GO = r"""#!/bin/sh
# Stand-in for the Go tool (tests only): "builds" by writing a placeholder at -o / into $GOBIN.
echo "fake go: $*"
case "$*" in *"$FAKE_GO_FAIL"*) [ -n "$FAKE_GO_FAIL" ] && { echo "fake go: compile error in $FAKE_GO_FAIL"; exit 1; } ;; esac
out=""; prev=""; last=""
for a in "$@"; do [ "$prev" = "-o" ] && out=$a; prev=$a; last=$a; done
case "$1" in
  build) printf '#!/bin/sh\n' > "$out"; chmod +x "$out" ;;
  install) name=$(basename "$last" | cut -d@ -f1); printf '#!/bin/sh\n' > "$GOBIN/$name"; chmod +x "$GOBIN/$name" ;;
  mod) [ "$2" = init ] && echo "module $3" > go.mod
       if [ "$2" = download ]; then  # a module's source, as `go mod download -json` names it
         d="$HOME/fake-mod/src"; mkdir -p "$d"; echo "module fake" > "$d/go.mod"
         printf '{\n\t"Path": "fake",\n\t"Dir": "%s",\n\t"Sum": "h1:x"\n}\n' "$d"
       fi ;;
esac
exit 0
"""


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


def bin_dir(cache: Path) -> Path:
    return cache / KEY / "bin"


def place(cache: Path, *names: str) -> None:
    """Binaries already built (placeholders: the script only asks whether they are executable)."""
    d = bin_dir(cache)
    d.mkdir(parents=True, exist_ok=True)
    for name in names:
        (d / name).write_text("#!/bin/sh\n")
        (d / name).chmod(0o755)


def script(cache: Path, *args: str, go: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    # PATH without the real Go: only the stand-in, when given, can be found.
    tools = cache.parent / "tools"
    tools.mkdir(exist_ok=True)
    for tool in ("bash", "nproc", "date", "mkdir", "flock", "sleep", "tail", "sed", "du", "mv", "rm", "cut",
                 "basename", "chmod", "cat", "printf", "kill", "cp"):
        found = shutil.which(tool)
        if found and not (tools / tool).exists():
            (tools / tool).symlink_to(found)
    if go is not None:
        (tools / "go").write_text(FAKE_GO)
        (tools / "go").chmod(0o755)
    full_env = {"PATH": str(tools), "HOME": str(cache.parent), "WBINSTALL_SANDBOX_CACHE": str(cache), **(env or {})}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=full_env, timeout=60)


def plan(cache: Path, *args: str) -> dict[str, str]:
    result = script(cache, *args, "--plan")
    assert result.returncode == 0, result.stderr
    return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in result.stdout.splitlines())


def test_run_builds_the_demo_binaries_and_test_all_seven_on_an_empty_cache(cache):
    run, test = plan(cache, "run"), plan(cache, "test")
    assert run["build"].split() == DEMO and "kube-apiserver-old" not in run["build"]
    assert test["build"].split() == ALL
    assert int(run["estimate"].split()[0]) < int(test["estimate"].split()[0])
    assert plan(cache)["build"].split() == ALL  # test is the default


def test_the_cache_layout_and_key_stay_as_they_were(cache):
    # Binaries built before this plan existed, at this path, are found and not rebuilt.
    result = plan(cache, "run")
    assert result["bin"] == str(bin_dir(cache))
    assert result["log"] == str(cache / KEY / "build.log")


def test_with_the_demo_binaries_present_run_builds_nothing_and_test_only_the_old_apiserver(cache):
    place(cache, *DEMO)
    assert plan(cache, "run")["build"] == ""
    assert plan(cache, "run")["estimate"].startswith("0 s")
    assert plan(cache, "test")["build"] == "kube-apiserver-old"
    assert plan(cache, "test")["present"].split() == DEMO


def test_only_what_is_missing_is_built(cache):
    place(cache, "kube-apiserver", "kube-scheduler", "etcd", "kube-apiserver-old")
    assert plan(cache, "run")["build"].split() == ["kube-controller-manager", "kwok", TRAEFIK]
    (bin_dir(cache) / "etcd").chmod(0o644)  # not executable: as good as missing
    assert plan(cache, "test")["build"].split() == ["kube-controller-manager", "etcd", "kwok", TRAEFIK]


def test_the_plan_needs_no_go_and_says_so(cache):
    assert plan(cache, "run")["go"].startswith("not found")


def test_everything_present_prints_the_bin_directory_without_go(cache):
    place(cache, *ALL)
    result = script(cache, "test")
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == str(bin_dir(cache))
    assert result.stderr == ""


def test_something_to_build_without_go_is_a_clear_error(cache):
    result = script(cache, "run")
    assert result.returncode == 1 and "Go is required" in result.stderr


def test_a_wrong_argument_is_a_usage_error(cache):
    result = script(cache, "demo")
    assert result.returncode == 2 and "usage:" in result.stderr


def test_a_build_says_what_it_builds_reports_each_binary_and_keeps_go_output_in_the_log(cache):
    place(cache, "kube-apiserver", "kube-controller-manager", "kube-scheduler")
    result = script(cache, "run", go=Path("fake"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == str(bin_dir(cache))
    err = result.stderr.splitlines()
    log = cache / KEY / "build.log"
    assert err[0].startswith(f"build-binaries: building 3 of 6 binaries for `run` (etcd kwok {TRAEFIK}): about ")
    assert "on this machine's" in err[0]
    assert err[1] == f"build-binaries: the Go tool's output goes to {log}"
    assert any(line.startswith("build-binaries: [1/3] etcd: done in ") and f"2 to go (kwok {TRAEFIK})" in line
               for line in err)
    assert any(line.startswith("build-binaries: [2/3] kwok: done in ") and "1 to go" in line for line in err)
    assert any(line.startswith(f"build-binaries: [3/3] {TRAEFIK}: done in ") and "0 to go" in line for line in err)
    assert not any("fake go:" in line for line in err)  # the Go tool's chatter is in the log only
    text = log.read_text()
    assert "fake go: get -tool go.etcd.io/etcd/server/v3@v3.6.14" in text and "fake go: install" in text
    assert f"-X github.com/traefik/traefik/v3/pkg/version.Version=v3.6.12 -o {bin_dir(cache)}/.{TRAEFIK}.tmp ./cmd/traefik" in text
    assert all(os.access(bin_dir(cache) / b, os.X_OK) for b in DEMO)
    assert not (bin_dir(cache) / "kube-apiserver-old").exists()


def test_a_failed_build_shows_the_log_tail_and_leaves_no_binary(cache):
    result = script(cache, "run", go=Path("fake"), env={"FAKE_GO_FAIL": "sigs.k8s.io/kwok"})
    assert result.returncode == 1
    assert "build-binaries: [5/6] kwok: FAILED after " in result.stderr
    assert "    fake go: compile error in sigs.k8s.io/kwok" in result.stderr  # the log's tail, indented
    assert not (bin_dir(cache) / "kwok").exists() and not (bin_dir(cache) / ".kwok.tmp").exists()
    # What was built before the failure stays: the next run builds only kwok and what came after it.
    assert plan(cache, "run")["build"] == f"kwok {TRAEFIK}"


def _ensure(cache: Path, target: str) -> subprocess.CompletedProcess:
    """sandbox.kube.binaries.ensure_binaries(target) in a fresh interpreter, Go off the PATH."""
    path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "go").exists())
    env = {**os.environ, "PATH": path, "WBINSTALL_SANDBOX_CACHE": str(cache)}
    env.pop("WBINSTALL_SANDBOX_BIN", None)
    code = f"from sandbox.kube.binaries import ensure_binaries; print(ensure_binaries({target!r}))"
    return subprocess.run([sys.executable, "-c", code], cwd=SCRIPT.parents[1], env=env, capture_output=True,
                          text=True, timeout=60)


def test_ensure_binaries_for_the_demo_does_not_need_the_old_apiserver(cache):
    place(cache, *DEMO)
    result = _ensure(cache, "run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bin_dir(cache))
    failed = _ensure(cache, "test")  # the tests' set lacks kube-apiserver-old, and Go is not there
    assert failed.returncode != 0
    assert "BuildFailed" in failed.stderr and "Go is required" in failed.stderr
