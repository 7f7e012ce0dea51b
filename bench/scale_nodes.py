"""Benchmark (not a test): the node checks on a large cluster, against reading the nodes once.

    .venv/bin/python bench/scale_nodes.py [--nodes 5000] [--pairs 3]

Starts the sandbox (real kube-apiserver and etcd), adds N kwok nodes of three shapes
(sandbox/kube/nodes.py FLEET_SHAPES), waits until they are Ready, then stops kwok and
kube-controller-manager so that 5,000 fake kubelets' heartbeats do not load the machine while
it measures (the nodes stay Ready: nothing is left to mark them otherwise). In one run:

  baseline  a Python process that reads the nodes once: GET /api/v1/nodes through the
            kubernetes ApiClient (as wbinstall connects) and json.loads of the whole answer
  check     `wbinstall check --only k8s.connect k8s.arch k8s.capacity` (--timeout 120), its
            own process: wall, CPU, peak memory (max RSS), and the lines of its text output
  ratio     check / baseline wall, pair by pair (median of --pairs pairs), target <= 1.0;
            peak memory target <= 250 MB
  default   the same check with the default timeout (10 s): do the lists finish in time?
  wizard    how long the wizard's Kubernetes step takes to show all its check results, and
            the Sizing step its nodes (real services, headless, 80x24, its own process)
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.kube import nodes as sandbox_nodes  # noqa: E402
from sandbox.kube.cluster import KubeCluster  # noqa: E402

WBINSTALL = str(Path(sys.executable).with_name("wbinstall"))
ENV = {**os.environ, "WB_BENCH_LICENSE": "bench-license", "WB_BENCH_MYSQL_PASSWORD": "bench-password",
       "NO_COLOR": "1"}

BASELINE = """
import json, sys
from kubernetes import client, config
cfg = client.Configuration()
cfg.retries = False
api = config.new_client_from_config(config_file=sys.argv[1], persist_config=False, client_configuration=cfg)
resp = api.call_api("/api/v1/nodes", "GET", header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
                    _request_timeout=300)
print(len(json.loads(resp.data)["items"]))
"""

WIZARD = """
import asyncio, json, sys, time
sys.path.insert(0, {root!r})
from wbinstall.answers.loader import load
from wbinstall.checklist import for_step
from wbinstall.screens.app import make_app

async def main():
    loaded = load(sys.argv[1])
    app = make_app(loaded, state_dir=__import__("pathlib").Path(sys.argv[2]), debounce=0.0)
    out = {{}}
    async with app.run_test(size=(80, 24)) as pilot:
        for step in ("workload", "environment", "cloud"):
            app.push_step(step)
            await pilot.pause()
        t0 = time.perf_counter()
        app.push_step("kubernetes")
        await pilot.pause()
        ids = for_step("kubernetes")
        while not all(i in app.state.results for i in ids):
            await asyncio.sleep(0.02)
        out["kubernetes_s"] = time.perf_counter() - t0
        out["kubernetes"] = {{i: app.state.results[i].result.status for i in ids}}
        for step in ("database", "storage", "network"):
            app.push_step(step)
            await pilot.pause()
        t0 = time.perf_counter()
        app.push_step("sizing")
        await pilot.pause()
        nodes = app.screen.query_one("#nodes")
        while "reading the cluster" in str(nodes.render()) or "k8s.capacity" not in app.state.results:
            await asyncio.sleep(0.02)
        out["sizing_s"] = time.perf_counter() - t0
        out["sizing_lines"] = len(str(nodes.render()).splitlines())
        out["sizing_text"] = str(nodes.render())
        out["capacity"] = app.state.results["k8s.capacity"].result.summary
    print(json.dumps(out))

asyncio.run(main())
"""


def answers_file(directory: Path, kubeconfig: Path, timeout: float | None) -> Path:
    checks = f"checks: {{timeout: {timeout:g}}}\n" if timeout else ""
    path = directory / f"answers-{timeout or 'default'}.yaml"
    path.write_text(f"""apiVersion: wbinstall/v1
workload: models
environment: production
cloud: aws
host: wandb.bench.test
license: {{env: WB_BENCH_LICENSE}}
kubernetes: {{kubeconfig: {kubeconfig}}}
mysql: {{host: 127.0.0.1, password: {{env: WB_BENCH_MYSQL_PASSWORD}}}}
storage: {{provider: s3, bucket: bench-bucket, region: us-east-1}}
{checks}""")
    return path


# Measures one command from a small Python process: a child forked from the bench itself would
# count the bench's own resident pages (before exec) in its peak RSS.
MEASURE = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"), stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, code]))
"""


def measured_rusage(argv: list[str]) -> tuple[float, float, float, str, int]:
    """(wall s, CPU s, peak RSS MB, stdout, exit code) of one command."""
    with tempfile.NamedTemporaryFile("r", suffix=".out") as out:
        done = subprocess.run([sys.executable, "-c", MEASURE, out.name, *argv], env=ENV, text=True,
                              capture_output=True, check=True)
        wall, cpu, rss, code = json.loads(done.stdout)
        return wall, cpu, rss, out.read(), code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wbinstall-bench-scale-"))
    with KubeCluster(nodes=()) as cluster:
        t0 = time.perf_counter()
        sandbox_nodes.add_nodes(cluster.api, sandbox_nodes.fleet_specs(args.nodes), parallel=8)
        sandbox_nodes.wait_nodes_ready(cluster.api, args.nodes, timeout=900)
        print(f"{args.nodes:,} kwok nodes created and Ready in {time.perf_counter() - t0:.0f} s", flush=True)
        for name in ("kube-controller-manager", "kwok"):
            cluster.processes[name].stop()
        kubeconfig = cluster.admin_kubeconfig
        long_answers = answers_file(work, kubeconfig, 120)
        default_answers = answers_file(work, kubeconfig, None)
        check = [WBINSTALL, "check", "--answers", str(long_answers), "--only", "k8s.connect", "k8s.arch",
                 "k8s.capacity"]
        baseline = [sys.executable, "-c", BASELINE, str(kubeconfig)]

        measured_rusage(baseline)  # warm caches (.pyc, the apiserver's watch cache)
        measured_rusage(check)
        pairs = []
        for _ in range(args.pairs):
            b = measured_rusage(baseline)
            c = measured_rusage(check)
            if b[3].strip() != str(args.nodes):
                raise SystemExit(f"bench: baseline read {b[3].strip()} nodes")
            pairs.append((b, c))
        ratios = [c[0] / b[0] for b, c in pairs]
        b_wall = statistics.median(b[0] for b, _ in pairs)
        c_wall = statistics.median(c[0] for _, c in pairs)
        c_cpu = statistics.median(c[1] for _, c in pairs)
        c_rss = max(c[2] for _, c in pairs)
        b_rss = max(b[2] for b, _ in pairs)
        text = pairs[-1][1][3]
        json_out = measured_rusage([*check, "--output", "json"])[3]
        nodes_in_json = {r["id"]: len((r.get("data") or {}).get("nodes") or ()) for r in json.loads(json_out)["results"]}
        d_wall, _, _, d_text, _ = measured_rusage([WBINSTALL, "check", "--answers", str(default_answers), "--only",
                                                   "k8s.connect", "k8s.arch", "k8s.capacity"])
        wizard = json.loads(measured_rusage([sys.executable, "-c", WIZARD.format(root=str(ROOT)),
                                             str(default_answers), str(work / "state")])[3])

    b_cpu = statistics.median(b[1] for b, _ in pairs)
    print(f"reading {args.nodes:,} nodes once (baseline process): {b_wall:.2f} s wall, {b_cpu:.2f} s CPU, "
          f"peak {b_rss:.0f} MB")
    print(f"wbinstall check --only k8s.connect k8s.arch k8s.capacity --timeout 120: {c_wall:.2f} s wall, "
          f"{c_cpu:.2f} s CPU, peak {c_rss:.0f} MB (target <= 250 MB)")
    print(f"  ratio check/baseline, pair by pair: {', '.join(f'{r:.2f}' for r in ratios)}; median "
          f"{statistics.median(ratios):.2f}x (target <= 1.0)")
    print(f"  text output: {len(text.splitlines())} lines; JSON keeps {nodes_in_json} nodes")
    print("  " + "\n  ".join(text.splitlines()))
    print(f"with the default timeout (10 s): {d_wall:.2f} s wall")
    print("  " + "\n  ".join(line for line in d_text.splitlines() if line[:4] in ("PASS", "WARN", "FAIL", "SKIP")))
    print(f"wizard (default checks.timeout): Kubernetes step results in {wizard['kubernetes_s']:.2f} s "
          f"{wizard['kubernetes']}; Sizing nodes in {wizard['sizing_s']:.2f} s, {wizard['sizing_lines']} lines:")
    print("  " + "\n  ".join(wizard["sizing_text"].splitlines()))
    print(f"  k8s.capacity: {wizard['capacity']}")
    ok = statistics.median(ratios) <= 1.0 and c_rss <= 250
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
