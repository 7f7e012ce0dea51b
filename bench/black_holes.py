"""Benchmark: `wbinstall check --timeout T` as a whole process against loopback black holes.

    .venv/bin/python bench/black_holes.py [--timeout 3] [--rounds 1]

For every endpoint wbinstall talks to (Kubernetes API, MySQL, S3-compatible, GCS, Azure Blob, the
DNS server, the TLS address) and every kind of black hole that applies (a listener that accepts
and never answers; one whose backlog is full, so connect never completes; a UDP port that
swallows queries), plus every endpoint black-holed at once in one full `check`. Reports per
run the wall time from exec to exit, whether it was within T + 1 s, whether the verdict says
"no answer" and names the address; then k/N within bound. The baseline, measured in the same
run, is the same process against endpoints that refuse at once (DNS skipped): its time is start-up and exit,
and (run time - baseline) / T says how much of the bound the waiting itself takes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox.black_holes import LOOPBACK, SECRET_ENV, BlackHoles, answers, cases, run_check  # noqa: E402
from sandbox.procs import free_port  # noqa: E402


def _check_process(data: dict, workdir: Path, timeout: float) -> tuple[float, int, list[dict]]:
    path = workdir / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "wbinstall", "check", "--answers", str(path), "--timeout",
                           f"{timeout:g}", "--output", "json"], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **SECRET_ENV}, timeout=timeout + 60)
    elapsed = time.monotonic() - started
    try:
        results = json.loads(done.stdout)["results"]
    except (ValueError, KeyError):
        results = []
    return elapsed, done.returncode, results


def all_at_once(timeout: float, workdir: Path) -> dict:
    """One full `check` with every endpoint a silent listener (DNS: a swallowing UDP port)."""
    with BlackHoles() as holes:
        data, _ = answers("kubernetes", holes.silent(), workdir)
        data["mysql"]["port"] = holes.silent()
        data["storage"]["endpoint"] = f"http://{LOOPBACK}:{holes.silent()}"
        data["checks"]["dns"]["nameservers"] = [f"{LOOPBACK}:{holes.udp()}"]
        data["checks"]["tls"]["address"] = f"{LOOPBACK}:{holes.silent()}"
        elapsed, code, results = _check_process(data, workdir, timeout)
    failed = {r["id"] for r in results if r["status"] == "fail"}
    said = all("no answer" in r["summary"] for r in results if r["id"] in
               ("k8s.connect", "mysql.connect", "storage.access", "dns.a-record", "tls.certificate"))
    return {"endpoint": "all at once", "kind": "silent/udp", "elapsed": elapsed, "exit": code,
            "named": said and {"k8s.connect", "mysql.connect", "storage.access", "tls.certificate"} <= failed}


def baseline(timeout: float, workdir: Path) -> float:
    """The same full `check`, every endpoint refusing at once: start-up, judging and exit. Not
    DNS: a UDP port that nothing listens on is silent too, to a resolver's unconnected socket."""
    data, _ = answers("kubernetes", free_port(), workdir)
    data["mysql"]["port"] = free_port()
    data["storage"]["endpoint"] = f"http://{LOOPBACK}:{free_port()}"
    data["checks"]["tls"]["address"] = f"{LOOPBACK}:{free_port()}"
    data["checks"]["skip"] = [{"id": "dns.a-record", "reason": "a refused UDP port looks like a black hole"}]
    return _check_process(data, workdir, timeout)[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    bound = args.timeout + 1.0
    rows = []
    with tempfile.TemporaryDirectory(prefix="wbinstall-bench-holes-") as tmp:
        work = Path(tmp)
        bases = []
        for i in range(3):
            (work / f"base-{i}").mkdir()
            bases.append(baseline(args.timeout, work / f"base-{i}"))
        base = statistics.median(bases)
        for r in range(args.rounds):
            for endpoint, kind in cases():
                seen = run_check(endpoint, kind, args.timeout, work / f"{r}-{endpoint}-{kind}")
                result = seen["result"] or {}
                named = "no answer" in result.get("summary", "") and seen["address"] in result.get("summary", "")
                rows.append({"endpoint": endpoint, "kind": kind, "elapsed": seen["elapsed"], "exit": seen["exit"],
                             "named": named})
            (work / f"{r}-all").mkdir()
            rows.append(all_at_once(args.timeout, work / f"{r}-all"))

    print(f"wbinstall check --timeout {args.timeout:g} against black holes (bound: T + 1 s = {bound:g} s); "
          f"baseline (everything refuses at once): {base:.2f} s")
    print(f"{'endpoint':<14} {'kind':<10} {'wall s':>7} {'(wall-base)/T':>13}  exit  within  says 'no answer' + address")
    for row in rows:
        print(f"{row['endpoint']:<14} {row['kind']:<10} {row['elapsed']:7.2f} {(row['elapsed'] - base) / args.timeout:13.2f}"
              f"  {row['exit']:>4}  {'yes' if row['elapsed'] <= bound else 'NO':>6}  {'yes' if row['named'] else 'NO'}")
    within = sum(row["elapsed"] <= bound for row in rows)
    named = sum(row["named"] and row["exit"] == 1 for row in rows)
    print(f"within T + 1 s: {within}/{len(rows)}; verdict names the endpoint, exit 1: {named}/{len(rows)}; "
          f"slowest {max(r['elapsed'] for r in rows):.2f} s")
    return 0 if within == named == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
