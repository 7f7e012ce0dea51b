"""Fakes for wizard tests: a settable clock, a scripted check runner, canned cluster facts."""

from __future__ import annotations

import threading
from pathlib import Path

from wbinstall.answers import parse
from wbinstall.checks.k8s.capacity import NodeCapacity
from wbinstall.checks.result import Result
from wbinstall.screens.app import make_app
from wbinstall.screens.services import Services, render_preview

ANSWERS = """\
apiVersion: wbinstall/v1
workload: models
environment: production
cloud: aws
host: wandb.example.com
license: {env: WB_TEST_LICENSE}
kubernetes: {context: prod-eks, namespace: wandb}
ingress: {class: nginx, tlsSecret: wandb-tls}
mysql: {host: db.example.com, database: wandb_local, user: wandb, password: {env: WB_TEST_MYSQL_PASSWORD}}
storage: {provider: s3, bucket: my-wandb-bucket, region: us-east-1}
checks:
  skip: [{id: storage.cors, reason: CORS is managed by the platform team}]
"""

# One scripted outcome per check: pass, warn and fail all appear on the step panels.
OUTCOMES: dict[str, Result] = {
    "license.valid": Result("license.valid", "pass", "the license expires on 2027-06-30 (in 210 days)"),
    "k8s.connect": Result("k8s.connect", "pass", "connected to prod-eks as admin"),
    "k8s.version": Result("k8s.version", "pass", "Kubernetes v1.31.2 (≥ 1.29)"),
    "k8s.arch": Result("k8s.arch", "warn", "1 of 4 nodes is arm64: ip-10-0-3-7",
                       remedy="Taint or cordon the arm64 node; W&B images are amd64 only."),
    "k8s.ingress": Result("k8s.ingress", "pass", "IngressClass nginx (k8s.io/ingress-nginx)"),
    "k8s.storage": Result("k8s.storage", "pass", "default StorageClass gp3 (ebs.csi.aws.com)"),
    "k8s.rbac": Result("k8s.rbac", "pass", "may create every object the install needs"),
    "k8s.capacity": Result("k8s.capacity", "warn", "1 of 3 nodes are below the recommended 8 CPU / 64 GiB",
                           remedy="Use r6i.2xlarge worker nodes."),
    "mysql.connect": Result("mysql.connect", "pass", "connected to db.example.com:3306 as wandb"),
    "mysql.version": Result("mysql.version", "pass", "MySQL Community Server 8.0.36"),
    "mysql.settings": Result("mysql.settings", "fail", "binlog_format is STATEMENT, W&B needs ROW",
                             remedy="SET PERSIST binlog_format = 'ROW'; then reconnect."),
    "mysql.charset": Result("mysql.charset", "pass", "wandb_local uses utf8mb4 / utf8mb4_general_ci"),
    "mysql.grants": Result("mysql.grants", "pass", "wandb has ALL PRIVILEGES on wandb_local.*"),
    "mysql.operations": Result("mysql.operations", "warn", "advisories: backups, monitoring",
                               remedy="Enable automated backups and a standby."),
    "storage.access": Result("storage.access", "pass", "put/get/delete in my-wandb-bucket worked"),
    "storage.presign": Result("storage.presign", "pass", "pre-signed PUT and GET work over HTTPS"),
    "storage.cors": Result("storage.cors", "fail", "no CORS rule allows PUT from https://wandb.example.com",
                           remedy="Add W&B's CORS rule to my-wandb-bucket (GET, PUT, HEAD; expose ETag)."),
    "dns.a-record": Result("dns.a-record", "pass", "wandb.example.com → 203.0.113.10, the ingress address"),
    "tls.certificate": Result("tls.certificate", "warn", "certificate expires in 12 days",
                              remedy="Renew the certificate in Secret wandb-tls before it expires."),
}

NODES = [
    NodeCapacity.parse("ip-10-0-1-5", "7910m", "63901308Ki", "r6i.2xlarge"),
    NodeCapacity.parse("ip-10-0-2-9", "7910m", "63901308Ki", "r6i.2xlarge"),
    NodeCapacity.parse("ip-10-0-3-7", "3920m", "15896348Ki", "r6i.large"),
]


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class ScriptedChecks:
    """A check runner that answers from OUTCOMES (or given overrides) and records each call.

    With `hold`, it waits for `release` first: a check in flight, for as long as a test wants.
    """

    def __init__(self, outcomes: dict[str, Result] | None = None, *, hold: bool = False):
        self.outcomes = {**OUTCOMES, **(outcomes or {})}
        self.calls: list[tuple[tuple[str, ...], object, object]] = []
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, answers, secrets, base_dir, only, on_result):
        only = tuple(only)
        self.calls.append((only, answers, secrets))
        self.release.wait(10)
        out = []
        for check_id in only:
            result = self.outcomes[check_id]
            on_result(result)
            out.append(result)
        return out


def _rollout_events(ns: str = "wandb"):
    """A fixed install: 11 objects applied, then the three phases with a resource stuck a while."""
    from wbinstall.session.install import ApplyStarted, LockTaken, ObjectApplied
    from wbinstall.apply.run import Applied

    objects = [("Namespace", ns), ("CustomResourceDefinition", "weightsandbiases.apps.wandb.com"),
               ("ServiceAccount", "wandb-manager"), ("ClusterRole", "wandb-manager-role"),
               ("ClusterRoleBinding", "wandb-manager-rolebinding"), ("Role", "wandb-leader-election-role"),
               ("RoleBinding", "wandb-leader-election-rolebinding"), ("Deployment", "wandb-controller-manager"),
               ("Secret", "wandb-license"), ("Secret", "wandb-mysql"), ("WeightsAndBiases", "wandb")]
    progress = [ApplyStarted(ns, len(objects)), LockTaken(ns, "jump-host/4242/alice")]
    for i, (kind, name) in enumerate(objects, 1):
        progress.append(ObjectApplied(Applied(kind, name, ns, "unchanged" if i == 1 else "created"), i, len(objects)))
    progress += _rollout_progress()
    return progress, _rollout_finish()


def _rollout_progress():
    from wbinstall.rollout.events import CustomResourceChanged, PhaseDone, PhaseStarted, ResourceChanged
    from wbinstall.rollout.judge import CustomResourceState, ResourceState

    controller = ResourceState("Deployment", "wandb-controller-manager", 1, 1, "ready")
    app_stuck = ResourceState("Deployment", "wandb-app-bc", 0, 1, "progressing",
                              "Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.")
    redis = ResourceState("StatefulSet", "wandb-redis-master", 0, 1, "progressing", "ContainerCreating")
    return [
        PhaseStarted("operator", 300),
        ResourceChanged(controller, "operator", 4, 300),
        PhaseDone("operator", 4, 300),
        PhaseStarted("resource", 600),
        CustomResourceChanged(CustomResourceState("wandb", "Completed", "ready"), "resource", 9, 600),
        PhaseDone("resource", 9, 600),
        PhaseStarted("workloads", 1200),
        ResourceChanged(app_stuck, "workloads", 37, 1200),
        ResourceChanged(ResourceState("Deployment", "wandb-parquet-bc", 2, 2, "ready"), "workloads", 37, 1200),
        ResourceChanged(redis, "workloads", 37, 1200),
    ]


def _rollout_finish():
    from wbinstall.rollout.events import Finished, Outcome, PhaseDone, ResourceChanged
    from wbinstall.rollout.judge import ResourceState

    app_ready = ResourceState("Deployment", "wandb-app-bc", 1, 1, "ready")
    return [
        ResourceChanged(app_ready, "workloads", 61, 1200),
        ResourceChanged(ResourceState("StatefulSet", "wandb-redis-master", 1, 1, "ready"), "workloads", 62, 1200),
        PhaseDone("workloads", 62, 1200),
        Finished(Outcome("ready", None, 62, 0)),
    ]


# Another install holds the lock, since a fixed time (no clock in snapshots).
HOLDER = ("jump-host/4242/alice", (2026, 11, 30, 9, 15, 0))


def attach_events(ns: str = "wandb", holder: bool = True):
    """What `attach` emits: Attached (a live holder, or a past install's resource), the rollout."""
    from datetime import datetime, timezone

    from wbinstall.session.install import Attached
    from wbinstall.apply.lock import Holder

    since = datetime(*HOLDER[1], tzinfo=timezone.utc)
    who = Holder(HOLDER[0], since, since, 30) if holder else None
    return [Attached(ns, who), *_rollout_progress()], _rollout_finish()


class ScriptedRollout:
    """A `Services.follow` (or `attach`, with `events=attach_events()`) that emits fixed
    events: the in-progress part at once, the rest when `release` is set (at once unless
    `hold`). Records each call's answers."""

    def __init__(self, *, hold: bool = False, finish: list | None = None, events: tuple | None = None):
        self.progress, self.finish = events or _rollout_events()
        if finish is not None:
            self.finish = finish
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.calls: list = []
        self.cancelled = False

    def __call__(self, answers, secrets, base_dir, on_event, cancel=None):
        self.calls.append(answers)
        for event in self.progress:
            on_event(event)
        while not self.release.wait(0.05):
            if cancel is not None and cancel.is_set():
                from wbinstall.rollout.events import Finished, Outcome

                self.cancelled = True
                on_event(Finished(Outcome("cancelled", "workloads", 37, 1200,
                                          message="cancelled; the install continues in the cluster")))
                return None
        for event in self.finish:
            on_event(event)
        return None


def nothing_to_attach(answers, secrets, base_dir, on_event, cancel=None):
    """A cluster with no install in it: attach emits nothing."""
    return None


def fake_services(checks: ScriptedChecks | None = None, **kwargs) -> Services:
    kwargs.setdefault("follow", ScriptedRollout())
    kwargs.setdefault("attach", nothing_to_attach)
    return Services(
        run_checks=checks or ScriptedChecks(),
        list_nodes=lambda answers, secrets, base_dir: list(NODES),
        kube_contexts=lambda kubeconfig, base_dir: ["dev-kind", "prod-eks"],
        render_preview=render_preview,
        **kwargs,
    )


def loaded_answers(text: str = ANSWERS, base_dir: Path | None = None):
    return parse(text, filename="answers.yaml", base_dir=base_dir or Path.cwd())


def wizard(state_dir: Path, *, loaded=None, checks: ScriptedChecks | None = None, clock: FakeClock | None = None,
           debounce: float = 0.0, rollout: ScriptedRollout | None = None, attach=None,
           strict_overrides: tuple[str, ...] = ()):
    """The app with fakes injected; prefilled from `loaded` when given."""
    checks = checks or ScriptedChecks()
    services = fake_services(checks, follow=rollout or ScriptedRollout(), attach=attach or nothing_to_attach)
    return make_app(loaded, clock=clock or FakeClock(), state_dir=state_dir, services=services, debounce=debounce,
                    strict_overrides=strict_overrides)
