"""Benchmark: all checks against the sandbox with ~200 ms of latency in front of each server.

    .venv/bin/python bench/checks_latency.py [--rounds 3] [--delay 0.2]

Reports, from one run on this machine (no absolute targets: ratios against baselines measured
in the same run):
  total / slowest single probe   (target <= 1.2: probes really run concurrently)
  total / sum of singles         (how much concurrency saves)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.__main__ import running  # noqa: E402
from sandbox.latency import LatencyProxies  # noqa: E402
from sandbox.logs import ServerLogs  # noqa: E402
from wbinstall import answers as answers_mod  # noqa: E402
from wbinstall.checks import engine  # noqa: E402
from wbinstall.checks.registry import CHECKS  # noqa: E402


def with_latency(answers_path: Path, proxies: LatencyProxies) -> Path:
    """A copy of the sandbox answers whose every address goes through a latency proxy."""
    data = yaml.safe_load(answers_path.read_text())
    data["mysql"]["port"] = proxies.tcp(data["mysql"]["host"], data["mysql"]["port"])
    host, port = data["storage"]["endpoint"].removeprefix("http://").split(":")
    data["storage"]["endpoint"] = f"http://127.0.0.1:{proxies.tcp(host, int(port))}"
    host, port = data["checks"]["dns"]["nameservers"][0].split(":")
    data["checks"]["dns"]["nameservers"] = [f"127.0.0.1:{proxies.udp(host, int(port))}"]
    host, port = data["checks"]["tls"]["address"].split(":")
    data["checks"]["tls"]["address"] = f"127.0.0.1:{proxies.tcp(host, int(port))}"
    kubeconfig = yaml.safe_load(Path(data["kubernetes"]["kubeconfig"]).read_text())
    for cluster in kubeconfig["clusters"]:
        host, port = cluster["cluster"]["server"].removeprefix("https://").split(":")
        cluster["cluster"]["server"] = f"https://127.0.0.1:{proxies.tcp(host, int(port))}"
    slow_kubeconfig = answers_path.with_name("kubeconfig-slow.yaml")
    slow_kubeconfig.write_text(yaml.safe_dump(kubeconfig))
    data["kubernetes"]["kubeconfig"] = str(slow_kubeconfig)
    out = answers_path.with_name("answers-slow.yaml")
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def timed_run(loaded, secrets, only=None) -> float:
    start = time.perf_counter()
    results = engine.run(loaded.answers, secrets, loaded.base_dir, only=only, timeout=30)
    elapsed = time.perf_counter() - start
    bad = [r for r in results if r.status == "fail"]
    if bad:
        raise SystemExit(f"bench: unexpected failures: {[(r.id, r.summary) for r in bad]}")
    return elapsed


def measure(loaded, secrets, rounds: int) -> tuple[list[float], dict[tuple[str, ...], list[float]]]:
    """Whole runs and, as baselines, one run per probe set (its checks only), `rounds` times each."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for check_id, check in CHECKS.items():
        groups.setdefault(check.probes, []).append(check_id)
    timed_run(loaded, secrets)  # warm-up: imports, first connections
    totals: list[float] = []
    singles: dict[tuple[str, ...], list[float]] = {g: [] for g in groups}
    for _ in range(rounds):
        totals.append(timed_run(loaded, secrets))
        for group, ids in groups.items():
            singles[group].append(timed_run(loaded, secrets, only=ids))
    return totals, singles


def report(heading: str, totals: list[float], singles: dict[tuple[str, ...], list[float]]) -> None:
    total = statistics.median(totals)
    single = {"+".join(g): statistics.median(v) for g, v in singles.items()}
    slowest = max(single.values())
    print(heading)
    for name, seconds in sorted(single.items(), key=lambda kv: -kv[1]):
        print(f"  probe {name:<22} alone: {seconds:6.2f} s")
    print(f"  all checks together:        {total:6.2f} s")
    print(f"total / slowest single probe: {total / slowest:.2f}   (target <= 1.2)")
    print(f"total / sum of singles:       {total / sum(single.values()):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    # The servers' logs go to files in the temporary run directory; the report to the terminal.
    with (tempfile.TemporaryDirectory() as tmp, ServerLogs(Path(tmp) / "logs") as logs,
          running(Path(tmp), logs) as answers_path):
        proxies = LatencyProxies(args.delay)
        try:
            loaded = answers_mod.load(with_latency(answers_path, proxies))
            totals, singles = measure(loaded, answers_mod.resolve_secrets(loaded), args.rounds)
        finally:
            proxies.close()
    report(f"latency per round trip: {args.delay * 1000:.0f} ms; rounds: {args.rounds} (medians)", totals, singles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
