"""Kill and rerun, full: an install against the sandbox, killed with SIGKILL at N seeded moments
spread over a clean run's duration, each then run again to the end (the unattended install).

    .venv/bin/python bench/kill_rerun.py [--kills 20] [--seed 15] [--face unattended|wizard|both]

Two faces are killed: the unattended install (moments from its start), and the wizard's Deploy
in a real pty (moments from Ctrl+D, spread over a clean wizard deploy; the whole process group
is killed). Reports per kill: when, what the killed run had printed last (the wizard: its Apply
and Rollout status), whether it left its Lease, the rerun's exit code and duration, when it
held the lock (and whose stale lock it took over), and whether the namespace equals the clean
install's (kinds and names, the WeightsAndBiases spec, the controller Deployment). Then per
face k/N converged, and the rerun's time against the clean install's, as a ratio measured in
the same run. A failure replays with the same --seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.kill_rerun import KillRerun, Outcome, kill_moments  # noqa: E402
from sandbox.kube.cluster import KubeCluster  # noqa: E402


def face(name: str, moments: list[float], run) -> list[Outcome]:
    """Kill at each moment (run(index, at) -> Outcome), a line per kill as it ends."""
    print(f"{name}: {len(moments)} kills at {moments}", flush=True)
    outcomes = []
    for i, at in enumerate(moments):
        outcomes.append(run(i, at))
        print(outcomes[-1].describe(), flush=True)
    return outcomes


def summary(name: str, outcomes: list[Outcome], clean_install: float, clean_face: float | None = None) -> bool:
    converged = sum(o.converged for o in outcomes)
    waits = [o.lock_wait for o in outcomes if o.lock_wait is not None]
    held = sum(o.held_lease for o in outcomes)
    taken = sum(o.took_over is not None for o in outcomes)
    print(f"{name}: converged: {converged}/{len(outcomes)}; killed holding the Lease: {held}; stale lock taken "
          f"over at once: {taken} (the others were killed before taking it, or after releasing it)")
    if waits:
        print(f"{name}: rerun held the lock after: median {statistics.median(waits):.2f} s, max {max(waits):.2f} s "
              f"(a lease left to expire would cost up to 30 s)")
    rerun = statistics.median(o.rerun_seconds for o in outcomes)
    versus = f"; / clean wizard deploy ({clean_face:.1f} s): {rerun / clean_face:.2f}" if clean_face else ""
    print(f"{name}: rerun time / clean install time ({clean_install:.1f} s): median "
          f"{rerun / clean_install:.2f}{versus}")
    return converged == len(outcomes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--face", choices=("unattended", "wizard", "both"), default="both")
    args = parser.parse_args()
    faces = ("unattended", "wizard") if args.face == "both" else (args.face,)
    results: dict[str, list[Outcome]] = {}
    cluster = KubeCluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="wbinstall-bench-kill-") as tmp:
            trial = KillRerun(cluster, Path(tmp))
            clean = trial.clean()  # the reference for both faces
            print(f"clean install: {clean:.1f} s (seed {args.seed})", flush=True)
            if "unattended" in faces:
                results["unattended"] = face("unattended", kill_moments(args.seed, args.kills, clean),
                                             lambda i, at: trial.kill_then_rerun(f"kr-{i:02d}", at))
            if "wizard" in faces:
                deploy = trial.clean_wizard()
                print(f"clean wizard deploy (Ctrl+D until W&B is ready): {deploy:.1f} s", flush=True)
                results["wizard"] = face("wizard", kill_moments(args.seed, args.kills, deploy),
                                         lambda i, at: trial.kill_wizard_then_rerun(f"krw-{i:02d}", at))
    finally:
        cluster.stop()
    ok = True
    for name, outcomes in results.items():
        ok = summary(name, outcomes, clean, deploy if name == "wizard" else None) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
