"""Benchmark: the rollout watcher against a poll-every-2-seconds baseline, in one run.

    .venv/bin/python bench/rollout_watch.py [--deployments 20] [--ready-after 30] [--spread 45]
                                            [--wait 90] [--rounds 20] [--interval 2]

Against the sandbox cluster (real kube-apiserver, kube-controller-manager, kwok pods). A
representative rollout lasts over a minute: kwok starts pods at once, so each Deployment
sets minReadySeconds (30 s, plus up to --spread more, staggered) and its replicas turn
available late, one Deployment after another, as W&B's do while images pull and probes warm.
Reports:
  requests  HTTP requests to the API server while the Deployments roll out, watch vs poll
  waiting   requests per minute while a rollout waits (a Deployment that never schedules),
            counted from the follower's start, initial lists included
  latency   API status change -> progress event (median, p95), watch vs poll
Targets (issue 12): both request ratios watch/poll <= 0.1.
Requests are counted by wrapping the ApiClient's REST client (a watch is one long request).
The poller judges exactly as the watcher does (same Follower, same judges); only how it
learns about changes differs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.kube.cluster import KubeCluster  # noqa: E402
from sandbox.kube.operator_standin import apply_wandb_crd, wandb_cr  # noqa: E402
from wbinstall.kube import Kube, api_client, collection_path  # noqa: E402
from wbinstall.rollout import CustomResourceChanged, Follower, Limits  # noqa: E402
from wbinstall.rollout.events import PHASES  # noqa: E402

NS = "bench"
INSTANCE = {"app.kubernetes.io/instance": "wandb"}
LONG = Limits(operator=600, resource=600, workloads=600)


class CountingKube(Kube):
    def __init__(self, kubeconfig: str):
        super().__init__(api_client(kubeconfig, None, None))
        self.requests = 0
        self._lock = threading.Lock()
        real = self.api.rest_client.request

        def counted(*args, **kwargs):
            with self._lock:
                self.requests += 1
            return real(*args, **kwargs)

        self.api.rest_client.request = counted


class PollingFollower(Follower):
    """The baseline: list every collection every `interval` seconds instead of watching."""

    def __init__(self, *args, interval: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.interval = interval

    def run(self):
        started = self.clock()
        while not self.cancel.is_set():
            for w in self.watchers:   # their paths and selectors; never started
                listing = self.kube.list(w.path, **w.query)
                items = {}
                for o in listing["items"]:
                    o.setdefault("kind", w.kind)
                    items[o["metadata"]["uid"]] = o
                self.store[w.source] = items
                self.synced.add(w.source)
            self._report(PHASES[-1], self.clock() - started, LONG.workloads)
            if all(self._phase_done(p) for p in PHASES):
                return
            self.cancel.wait(self.interval)


def deployment(name: str, cpu: str = "10m", labels: dict | None = None, min_ready: int = 0) -> dict:
    sel = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS, "labels": {**INSTANCE, **(labels or {})}},
            "spec": {"replicas": 1, "selector": {"matchLabels": sel}, "minReadySeconds": min_ready,
                     "template": {"metadata": {"labels": sel}, "spec": {"containers": [
                         {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": cpu}}}]}}}}


def setup(kube: Kube, cluster: KubeCluster) -> None:
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    apply_wandb_crd(cluster.api)
    controller = deployment("wandb-controller-manager")
    controller["metadata"]["labels"] = {}
    kube.create(controller)
    kube.create(wandb_cr("wandb", NS))
    set_phase(kube, "Completed")


def set_phase(kube: Kube, phase: str) -> None:
    kube.request("PATCH", f"/apis/apps.wandb.com/v1/namespaces/{NS}/weightsandbiases/wandb/status",
                 body={"status": {"phase": phase}}, content_type="application/merge-patch+json")


def rollout(kube_factory, follower_cls, n: int, ready_after: int, spread: int, **kw) -> tuple[int, float]:
    """Create n Deployments that turn available late and follow until all are ready:
    (requests, seconds)."""
    kube = kube_factory()
    admin = kube_factory()
    for i in range(n):
        late = ready_after + (spread * i // max(1, n - 1))
        admin.create(deployment(f"wandb-w{i:02d}", min_ready=late))
    start = time.perf_counter()
    follower = follower_cls(kube, NS, limits=LONG, **kw)
    follower.run()
    seconds = time.perf_counter() - start
    for i in range(n):
        admin.delete(f"{collection_path('apps/v1', 'Deployment', NS)}/wandb-w{i:02d}")
    return kube.requests, seconds


def latency(kube_factory, follower_cls, rounds: int, wait: float, **kw) -> tuple[list[float], int, float]:
    """Seconds from a CR status change (the PATCH sent) to the progress event showing it;
    and the requests the follower made over `wait` seconds (a rollout that waits)."""
    kube, admin = kube_factory(), kube_factory()
    admin.create(deployment("wandb-blocker", cpu="1000"))    # never schedulable: following never ends
    seen: dict[str, threading.Event] = {}
    times: dict[str, float] = {}

    def on_event(e):
        if isinstance(e, CustomResourceChanged) and e.state.phase in seen:
            times.setdefault(e.state.phase, time.perf_counter())
            seen[e.state.phase].set()

    cancel = threading.Event()
    follower = follower_cls(kube, NS, limits=LONG, on_event=on_event, cancel=cancel, **kw)
    worker = threading.Thread(target=follower.run, daemon=True)
    start_requests, start = kube.requests, time.perf_counter()   # the initial lists count too
    worker.start()
    time.sleep(3)  # initial list done
    rng = random.Random(6)
    gap = max(0.0, (wait - 3) / rounds - 0.1)
    out = []
    for i in range(rounds):
        phase = f"Round{i}"
        seen[phase] = threading.Event()
        t0 = time.perf_counter()
        set_phase(admin, phase)
        if not seen[phase].wait(30):
            raise SystemExit(f"bench: no event for {phase}")
        out.append(times[phase] - t0)
        time.sleep(rng.uniform(0, 2 * gap))  # out of step with any poll interval
    time.sleep(max(0.0, start + wait - time.perf_counter()))
    requests, seconds = kube.requests - start_requests, time.perf_counter() - start
    cancel.set()
    worker.join(10)
    set_phase(admin, "Completed")
    admin.delete(f"{collection_path('apps/v1', 'Deployment', NS)}/wandb-blocker")
    return out, requests, seconds


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deployments", type=int, default=20)
    ap.add_argument("--ready-after", type=int, default=30, help="minReadySeconds of the first Deployment")
    ap.add_argument("--spread", type=int, default=45, help="the last one turns ready this much later")
    ap.add_argument("--wait", type=float, default=90, help="seconds of a waiting rollout to count")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--interval", type=float, default=2.0)
    args = ap.parse_args()
    with KubeCluster() as cluster:
        factory = lambda: CountingKube(str(cluster.admin_kubeconfig))  # noqa: E731
        setup(factory(), cluster)
        poll = {"interval": args.interval}

        shape = (args.deployments, args.ready_after, args.spread)
        w_req, w_sec = rollout(factory, Follower, *shape)
        time.sleep(3)
        p_req, p_sec = rollout(factory, PollingFollower, *shape, **poll)
        w_lat, w_wait_req, w_wait_sec = latency(factory, Follower, args.rounds, args.wait)
        p_lat, p_wait_req, p_wait_sec = latency(factory, PollingFollower, args.rounds, args.wait, **poll)

    print(f"rollout of {args.deployments} Deployments turning ready after {args.ready_after}-"
          f"{args.ready_after + args.spread} s (until all ready)")
    print(f"  watch: {w_req:4d} requests in {w_sec:5.1f} s")
    print(f"  poll:  {p_req:4d} requests in {p_sec:5.1f} s  (every {args.interval:g} s)")
    print(f"  requests watch/poll: {w_req / p_req:.3f}x (target <= 0.1)")
    print(f"latency API status change -> progress event ({args.rounds} rounds)")
    print(f"  watch: median {statistics.median(w_lat) * 1000:6.1f} ms  p95 {p95(w_lat) * 1000:6.1f} ms")
    print(f"  poll:  median {statistics.median(p_lat) * 1000:6.1f} ms  p95 {p95(p_lat) * 1000:6.1f} ms")
    print(f"  poll/watch: median {statistics.median(p_lat) / statistics.median(w_lat):.1f}x  "
          f"p95 {p95(p_lat) / p95(w_lat):.1f}x")
    w_rate, p_rate = w_wait_req / w_wait_sec * 60, p_wait_req / p_wait_sec * 60
    print(f"requests per minute while a rollout waits ({w_wait_sec:.0f} s and {p_wait_sec:.0f} s, "
          "from the follower's start)")
    print(f"  watch: {w_rate:6.1f}/min ({w_wait_req} requests)   poll: {p_rate:6.1f}/min ({p_wait_req} requests)")
    print(f"  requests per minute watch/poll: {w_rate / p_rate:.3f}x (target <= 0.1)")


if __name__ == "__main__":
    main()
