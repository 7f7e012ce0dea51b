"""Kill and rerun: an install killed with SIGKILL at seeded random moments, then run again to the
end; the namespace must converge to what a clean install leaves. Two faces are killed: the
unattended install, and the wizard's Deploy (in a real pty, from Ctrl+D); the rerun is the
unattended install either way.

    trial = KillRerun(cluster, workdir)
    clean = trial.clean()                       # a clean install: its duration; its objects the reference
    for i, at in enumerate(kill_moments(seed, n, clean)):
        outcome = trial.kill_then_rerun(f"kr-{i}", at)
    deploy = trial.clean_wizard()               # the wizard's Deploy, clean: seconds from Ctrl+D
    for i, at in enumerate(kill_moments(seed, n, deploy)):
        outcome = trial.kill_wizard_then_rerun(f"krw-{i}", at)

Each install runs in its own namespace with the operator stand-in reconciling there. The checks
that need servers this harness does not start are skipped (strict ones with the lab flag).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sandbox.terminal import Terminal
from wbinstall.apply.lock import LEASE_NAME

REPO = Path(__file__).resolve().parents[1]
SKIPPED = ("license.valid", "mysql.connect", "mysql.version", "mysql.settings", "mysql.charset", "mysql.grants",
           "mysql.operations", "storage.access", "storage.presign", "storage.cors", "dns.a-record", "tls.certificate",
           # after the install: all but verify.operator need a DNS server, an ingress that serves, a bucket
           "verify.dns", "verify.tls", "verify.app", "verify.upload", "verify.bucket")
LAB = ("--override-strict", "mysql.version,storage.presign")
ENV = {"WB_KR_LICENSE": "kill-rerun-license", "WB_KR_MYSQL_PASSWORD": "kill-rerun-password", "NO_COLOR": "1",
       "PYTHONUNBUFFERED": "1"}
# What an install leaves in its namespace, compared by kind and name (the operator's too).
NAMESPACED = {"ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
              "Secret": "/api/v1/namespaces/{ns}/secrets",
              "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
              "Service": "/api/v1/namespaces/{ns}/services",
              "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
              "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets",
              "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
              "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
              "Ingress": "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
              "Lease": "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
              "WeightsAndBiases": "/apis/apps.wandb.com/v1/namespaces/{ns}/weightsandbiases"}
CONTROLLER = "wandb-controller-manager"
# The wizard's Deploy screen (screens/deploy.py, screens/widgets/rollout.py): its hint before a
# deploy, the result once the rollout is ready and verify.* done, and the results that are not.
DEPLOY_HINT = "applies the objects below and follows the rollout"
READY = "W&B is ready at"
NOT_READY = ("Deploy failed", "Not ready in time", "The rollout failed", "not reachable as its users",
             "Stopped before the install finished", "Stopped after", "Stopped following the rollout")
WIZARD_VERIFY = 120  # seconds the wizard's verify.* may add after the rollout (verifyWait 90 s, then a round)


def kill_moments(seed: int, count: int, seconds: float) -> list[float]:
    """`count` moments spread over a run of `seconds` (one per equal slice, at a seeded place in it)."""
    rng = random.Random(seed)
    width = seconds / count
    return [round(i * width + rng.uniform(0.05, 0.95) * width, 2) for i in range(count)]


@dataclass
class Outcome:
    namespace: str
    killed_at: float
    killed_after: str          # the last line the killed run printed
    rerun_exit: int
    rerun_seconds: float
    lock_wait: float | None    # seconds from the rerun's first apply until it held the lock (None: never)
    took_over: str | None      # the rerun's takeover message, if it took a stale lock over
    converged: bool
    differences: list[str] = field(default_factory=list)
    held_lease: bool = False   # the killed run's Lease was left in the cluster (it held the lock)
    rerun_tail: list[str] = field(default_factory=list)  # the rerun's last lines, shown when it did not converge

    def describe(self) -> str:
        wait = f"{self.lock_wait:.2f} s" if self.lock_wait is not None else "-"
        return (f"{self.namespace:<10} kill at {self.killed_at:5.1f} s (after: {self.killed_after[:48]:<48}) "
                f"{'Lease left' if self.held_lease else 'no Lease  '}, "
                f"rerun exit {self.rerun_exit} in {self.rerun_seconds:5.1f} s, lock after {wait:>6}, "
                + ("converged" if self.converged else
                   f"DID NOT CONVERGE: {'; '.join(self.differences)[:200] or 'same objects'}; the rerun's last lines:\n"
                   + "\n".join(f"    {line}" for line in self.rerun_tail)))


class KillRerun:
    def __init__(self, cluster, workdir: Path, rollout_timeout: float = 120):
        self.cluster, self.workdir = cluster, Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.rollout_timeout = rollout_timeout
        from wbinstall.kube import Kube, api_client

        self.kube = Kube(api_client(str(cluster.admin_kubeconfig), None, None))
        self.reference: dict | None = None

    # -- one install --------------------------------------------------------------------------
    def answers(self, namespace: str) -> Path:
        skips = "".join(f"\n    - {{id: {i}, reason: no such server in this harness}}" for i in SKIPPED)
        path = self.workdir / f"{namespace}.yaml"
        path.write_text(textwrap.dedent(f"""\
            apiVersion: wbinstall/v1
            workload: models
            environment: test
            cloud: other
            host: wandb.sandbox.test
            license: {{env: WB_KR_LICENSE}}
            kubernetes: {{kubeconfig: {self.cluster.admin_kubeconfig}, namespace: {namespace}}}
            mysql: {{host: 127.0.0.1, port: 3306, password: {{env: WB_KR_MYSQL_PASSWORD}}}}
            storage: {{provider: s3, bucket: wandb-bucket, region: us-east-1}}
            checks:
              timeout: 5
              skip:""") + skips + "\n")
        return path

    def _start(self, namespace: str) -> subprocess.Popen:
        argv = [sys.executable, "-m", "wbinstall", *LAB, "--answers", str(self.answers(namespace)),
                "--timeout-rollout", str(self.rollout_timeout)]
        return subprocess.Popen(argv, cwd=REPO, env={**os.environ, **ENV}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def run_to_end(self, namespace: str) -> tuple[int, list[tuple[float, str]], float]:
        """Exit code, (seconds, line) of its output, duration."""
        start = time.monotonic()
        proc = self._start(namespace)
        lines = [(time.monotonic() - start, line.rstrip("\n")) for line in proc.stdout]
        code = proc.wait(timeout=self.rollout_timeout * 4)
        return code, lines, time.monotonic() - start

    def with_operator(self, namespace: str):
        return _Operator(self.cluster, namespace)

    # -- the suite ------------------------------------------------------------------------
    def clean(self, namespace: str = "kr-clean") -> float:
        """A clean install: its duration; its objects become the reference."""
        with self.with_operator(namespace):
            code, lines, seconds = self.run_to_end(namespace)
        if code != 0:
            raise RuntimeError("the clean install failed:\n" + "\n".join(text for _, text in lines[-30:]))
        self.reference = self.objects(namespace)
        self.discard(namespace)
        return seconds

    def kill_then_rerun(self, namespace: str, at: float) -> Outcome:
        """The unattended install SIGKILLed `at` seconds after its start, then rerun to the end."""
        with self.with_operator(namespace) as operator:
            proc = self._start(namespace)
            last = _Tail(proc)
            time.sleep(max(0.0, at - (time.monotonic() - last.started)))
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            last.join()
            rerun = self._rerun(namespace, operator)
        return self._outcome(namespace, at, last.line or "(nothing yet)", *rerun)

    # -- the wizard's Deploy ----------------------------------------------------------------
    def clean_wizard(self, namespace: str = "krw-clean") -> float:
        """The wizard's Deploy, clean: seconds from Ctrl+D until it shows W&B ready. The namespace
        must then hold what the clean install (`clean()`, run first if it has not been) left."""
        if self.reference is None:
            self.clean()
        with self.with_operator(namespace):
            with self._wizard_at_deploy(namespace) as term:
                started = self._press_deploy(term)
                shown = _until_shown(term, (READY, *NOT_READY), self.rollout_timeout * 2 + WIZARD_VERIFY)
                if shown != READY:
                    raise RuntimeError(f"the clean wizard deploy did not finish ready (shows {shown!r}):\n"
                                       + term.text()[-3000:])
                # "ready" shows as the rollout ends, a moment before the lock is given back and
                # verify.* runs: the deploy is over when the screen says ready with no Lease left.
                self._until_finished(term, namespace)
                seconds = time.monotonic() - started
            # the wizard was SIGKILLed on leaving the `with`: what a deploy leaves must not need it
            differences = self.differences(self.objects(namespace))
        self.discard(namespace)
        if differences:
            raise RuntimeError(f"the clean wizard deploy left other objects than the clean install: {differences}")
        return seconds

    def _until_finished(self, term, namespace: str, timeout: float = WIZARD_VERIFY) -> None:
        lease = f"{NAMESPACED['Lease'].format(ns=namespace)}/{LEASE_NAME}"
        term.wait_screen(lambda rows: READY in "\n".join(rows) and "verifying" not in "\n".join(rows)
                         and self.kube.get(lease) is None,
                         "the clean wizard deploy: ready, verified, its Lease given back", timeout)

    def kill_wizard_then_rerun(self, namespace: str, at: float) -> Outcome:
        """The wizard's Deploy SIGKILLed (its whole process group) `at` seconds after Ctrl+D, then
        the unattended install run to the end. `killed_after` is what the wizard's screen showed
        last (its Apply and Rollout status)."""
        with self.with_operator(namespace) as operator:
            with self._wizard_at_deploy(namespace) as term:
                started = self._press_deploy(term)
                term.pump(max(0.0, at - (time.monotonic() - started)))
                os.killpg(term.proc.pid, signal.SIGKILL)
                term.wait(30)
                term.pump(0.1)  # what it had written before it died
                shown = _wizard_state(term.text())
            rerun = self._rerun(namespace, operator)
        return self._outcome(namespace, at, shown, *rerun)

    @contextmanager
    def _wizard_at_deploy(self, namespace: str):
        """`python -m wbinstall` in a pty, its progress saved at Deploy with this namespace's
        answers, resumed (Ctrl+N) and showing Deploy. The Terminal kills its group on leaving."""
        state = self.workdir / f"{namespace}-state"
        state.mkdir(exist_ok=True)
        answers = yaml.safe_load(self.answers(namespace).read_text())
        (state / "progress.yaml").write_text(yaml.safe_dump({"step": "deploy", "answers": answers}))
        env = {**os.environ, **ENV, "WBINSTALL_STATE_DIR": str(state)}
        with Terminal([sys.executable, "-m", "wbinstall"], env=env, cwd=str(REPO)) as term:
            term.wait_for("Resume at deploy")
            term.send("\x0e")  # Ctrl+N: resume
            term.wait_for(DEPLOY_HINT)
            term.pump(1.0)     # the screen settles (its preview renders) before the key
            yield term

    @staticmethod
    def _press_deploy(term) -> float:
        """Ctrl+D, not followed by Terminal.send's pump (a kill may come sooner): when it was sent."""
        os.write(term.master, b"\x04")
        return time.monotonic()

    # -- after a kill ---------------------------------------------------------------------
    def _rerun(self, namespace: str, operator) -> tuple[bool, int, list[tuple[float, str]], float, str]:
        """Inside the operator's `with`, the killed run dead: whether it left its Lease, then the
        rerun to the end (exit code, lines, seconds), and how the operator stand-in fared."""
        held = self.kube.get(f"{NAMESPACED['Lease'].format(ns=namespace)}/{LEASE_NAME}") is not None
        code, lines, seconds = self.run_to_end(namespace)
        alive = operator._thread is not None and operator._thread.is_alive()
        return held, code, lines, seconds, (f"operator stand-in: {'running' if alive else 'NOT RUNNING'}, "
                                            f"last error: {operator.last_error!r}")

    def _outcome(self, namespace: str, at: float, killed_after: str, held: bool, code: int,
                 lines: list[tuple[float, str]], seconds: float, operator: str) -> Outcome:
        """The rerun's lock wait and takeover, the namespace against the reference; then the
        namespace is discarded (the sandbox's nodes hold a few installs' pods, not twenty)."""
        lock = next(((t, text) for t, text in lines if text.startswith("lock: holding")), None)
        began = next((t for t, text in lines if text.startswith("apply: ") and " objects into " in text), None)
        took_over = re.search(r"\(taken over from (.*)\)$", lock[1])[1] if lock and "taken over" in lock[1] else None
        differences = self.differences(self.objects(namespace))
        tail = [text for _, text in lines[-25:]]
        if code != 0 or differences:  # what the cluster says, for the report
            cr = self.kube.get(f"{NAMESPACED['WeightsAndBiases'].format(ns=namespace)}/wandb") or {}
            tail += [f"WeightsAndBiases status: {json.dumps(cr.get('status'))}", operator]
        self.discard(namespace)
        wait = lock[0] - began if lock and began is not None else None
        return Outcome(namespace, at, killed_after, code, seconds, wait, took_over, code == 0 and not differences,
                       differences, held, tail)

    # -- comparing ------------------------------------------------------------------------
    def objects(self, namespace: str) -> dict:
        """Kinds and names of the namespace's objects, the resource's spec and the controller's
        containers, with the namespace's name taken out so two installs compare."""
        seen: dict = {"names": {}}
        for kind, path in NAMESPACED.items():
            items = (self.kube.get(path.format(ns=namespace)) or {}).get("items") or []
            names = sorted(i["metadata"]["name"] for i in items if not _generated(kind, i))
            seen["names"][kind] = names
        cr = self.kube.get(f"{NAMESPACED['WeightsAndBiases'].format(ns=namespace)}/wandb") or {}
        seen["spec"] = _without(cr.get("spec"), namespace)
        deployment = self.kube.get(f"{NAMESPACED['Deployment'].format(ns=namespace)}/{CONTROLLER}") or {}
        containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")
        seen["controller"] = _without(containers, namespace)
        return seen

    def differences(self, seen: dict) -> list[str]:
        ref = self.reference or {}
        out = []
        for kind, names in ref.get("names", {}).items():
            got = seen["names"].get(kind, [])
            if got != names:
                out.append(f"{kind}: {got} != {names}")
        for key in ("spec", "controller"):
            if seen.get(key) != ref.get(key):
                out.append(f"{key} differs")
        return out

    def discard(self, namespace: str, timeout: float = 120) -> None:
        """Delete the namespace and wait until it is gone (its pods free the nodes)."""
        path = f"/api/v1/namespaces/{namespace}"
        self.kube.delete(path)
        deadline = time.monotonic() + timeout
        while self.kube.get(path) is not None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"namespace {namespace} still there after {timeout:.0f} s")
            time.sleep(0.5)

    def delete_namespaces(self, names: list[str]) -> None:
        """Best effort, for a test's cleanup after a failure."""
        for name in names:
            self.kube.delete(f"/api/v1/namespaces/{name}")


def _generated(kind: str, item: dict) -> bool:
    """Objects Kubernetes itself makes in every namespace (not the install's to compare)."""
    name = item["metadata"]["name"]
    return (kind == "ServiceAccount" and name == "default") or (kind == "ConfigMap" and name == "kube-root-ca.crt")


def _without(value, namespace: str):
    """The value with the namespace's name replaced, so installs into two namespaces compare."""
    return json.loads(json.dumps(value).replace(namespace, "<ns>")) if value is not None else None


def _until_shown(term, texts: tuple[str, ...], timeout: float) -> str | None:
    """Read the terminal until one of `texts` is on it (the first found), the program exits, or
    `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and term.proc.poll() is None:
        term.pump(0.05)
        screen = term.text()
        found = next((t for t in texts if t in screen), None)
        if found:
            return found
    return None


_STATUS = re.compile(r"Apply {5}(?:(\d+ of \d+) objects|(waiting|refused|nothing applied))|"
                     r"Rollout {3}(\d/\d|not started)|(Verify) {4}")


def _wizard_state(screen: str) -> str:
    """What the wizard's Deploy showed last, from its status lines: e.g. "applied 11 of 11,
    rollout 2/3" (phase 2 of 3 under way), "..., verifying", or "W&B ready"."""
    apply = rollout = verify = None
    for m in _STATUS.finditer(screen):
        apply = f"applied {m[1]}" if m[1] else f"apply {m[2]}" if m[2] else apply
        rollout, verify = m[3] or rollout, m[4] or verify
    if READY in screen:
        return "W&B ready"
    if apply is None:
        return "(Deploy not begun)"
    return ", ".join([apply] + [f"rollout {rollout}"] * bool(rollout) + ["verifying"] * bool(verify))


class _Tail:
    """Reads a process's output in a thread; keeps its last line."""

    def __init__(self, proc: subprocess.Popen):
        import threading

        self.started = time.monotonic()
        self.line = ""
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            if line.strip():
                self.line = line.strip()

    def join(self) -> None:
        self._thread.join(timeout=10)


class _Operator:
    """The operator stand-in reconciling one namespace for the length of a `with`."""

    def __init__(self, cluster, namespace: str):
        self.cluster, self.namespace = cluster, namespace

    def __enter__(self):
        self.op = self.cluster.start_operator_standin(namespace=self.namespace)
        return self.op

    def __exit__(self, *exc: object) -> None:
        self.op.stop()
        self.cluster.standins.remove(self.op)
