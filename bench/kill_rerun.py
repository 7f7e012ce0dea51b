"""Kill and rerun, full: the unattended install against the sandbox, killed with SIGKILL at N
seeded moments spread over a clean install's duration, each then run again to the end.

    .venv/bin/python bench/kill_rerun.py [--kills 20] [--seed 15]

Reports per kill: when, what the killed run had printed last, the rerun's exit code and
duration, when it held the lock (and whose stale lock it took over), and whether the namespace
equals the clean install's (kinds and names, the WeightsAndBiases spec, the controller
Deployment). Then k/N converged, and the rerun's time against the clean install's, as a ratio
measured in the same run. A failure replays with the same --seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.kill_rerun import KillRerun, kill_moments  # noqa: E402
from sandbox.kube.cluster import KubeCluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    cluster = KubeCluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="wbinstall-bench-kill-") as tmp:
            trial = KillRerun(cluster, Path(tmp))
            clean = trial.clean()
            moments = kill_moments(args.seed, args.kills, clean)
            print(f"clean install: {clean:.1f} s; {args.kills} kills (seed {args.seed}) at {moments}", flush=True)
            outcomes = []
            for i, at in enumerate(moments):
                outcome = trial.kill_then_rerun(f"kr-{i:02d}", at)
                outcomes.append(outcome)
                print(outcome.describe(), flush=True)
    finally:
        cluster.stop()
    converged = sum(o.converged for o in outcomes)
    waits = [o.lock_wait for o in outcomes if o.lock_wait is not None]
    taken = sum(o.took_over is not None for o in outcomes)
    print(f"converged: {converged}/{len(outcomes)}; stale lock taken over at once: {taken} "
          f"(the others were killed before taking it, or after releasing it)")
    if waits:
        print(f"rerun held the lock after: median {statistics.median(waits):.2f} s, max {max(waits):.2f} s "
              f"(a lease left to expire would cost up to 30 s)")
    print(f"rerun time / clean install time: median {statistics.median(o.rerun_seconds for o in outcomes) / clean:.2f}")
    return 0 if converged == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
