"""Canary secrets through every command face, then a search of everything they leave.

The license, the MySQL password and the bucket keys are canary values. The commands:
validate; check as text, JSON and JUnit against a real MySQL that refuses the password and a
real S3 endpoint (whose presigned URLs carry the access key); render; --dry-run; the
unattended install. The kubeconfig authenticates through an `exec` plugin, a process
wbinstall starts, which records its own argv and environment. Searched: every command's
stdout and stderr, every file in the state directory (log, progress), every Kubernetes object
the install left that is not a Secret (namespaced and cluster-scoped), the plugin's argv and
environment, and wbinstall's own /proc/<pid>/cmdline and environ while it installs (its
environ only for the secret given as a file: one given as {env: ...} is there by the user's
choice), and the sandbox's own logs: every record its servers logged during the test (MySQL,
S3 with its request lines, the stand-ins) and the Kubernetes binaries' log files. The wizard's
masked fields, typed in a real terminal: tests/reliability/test_secrets_wizard_terminal.py.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from sandbox.kube.kubeconfig import kubeconfig_dict
from tests.apply.support import LAB, NOT_KUBE_CHECKS, REPO, cleanup_cluster_scoped, kube_for  # noqa: F401

pytestmark = pytest.mark.usefixtures("cleanup_cluster_scoped")
pytest_plugins = ["sandbox.fixtures_net"]

CANARY = {"license": "canary-LICENSE-5b1e9f", "mysql": "canary-MYSQLPW-77a2c0", "access": "CANARYACCESSKEY4D2E",
          "secret": "canary-BUCKETSECRET-0e93aa"}
ENV = {"WB_CANARY_LICENSE": CANARY["license"], "WB_CANARY_ACCESS": CANARY["access"],
       "WB_CANARY_SECRET": CANARY["secret"], "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
CLUSTER_KINDS = ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/weightsandbiases.apps.wandb.com",
                 "/apis/rbac.authorization.k8s.io/v1/clusterroles/wandb-manager-role",
                 "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/wandb-manager-rolebinding")
NAMESPACED = ("/api/v1/namespaces/{ns}/configmaps", "/api/v1/namespaces/{ns}/services",
              "/api/v1/namespaces/{ns}/serviceaccounts", "/api/v1/namespaces/{ns}/events",
              "/apis/apps/v1/namespaces/{ns}/deployments", "/apis/apps/v1/namespaces/{ns}/statefulsets",
              "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
              "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
              "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
              "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
              "/apis/apps.wandb.com/v1/namespaces/{ns}/weightsandbiases")


def recording_plugin(tmp_path: Path, token: str) -> tuple[Path, Path]:
    """An exec plugin that hands out the cluster's token and appends its argv and environment
    to a file each time it runs."""
    record = tmp_path / "plugin-record.jsonl"
    plugin = tmp_path / "record-plugin"
    plugin.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, os, sys
        with open({str(record)!r}, "a") as f:
            f.write(json.dumps({{"argv": sys.argv, "environ": dict(os.environ)}}) + "\\n")
        print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                          "status": {{"token": {token!r}}}}}))
        """))
    plugin.chmod(0o700)
    return plugin, record


def plugin_kubeconfig(tmp_path: Path, cluster, namespace: str) -> Path:
    """tmp_path/kubeconfig, whose user authenticates through the recording exec plugin; returns
    the plugin's record (a JSON line per run)."""
    plugin, record = recording_plugin(tmp_path, cluster.admin_token)
    kc = kubeconfig_dict("c", cluster.server, cluster.pki.ca_pem, {"ctx": (_user(), namespace)}, "ctx")
    kc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
                                       "args": ["token"], "interactiveMode": "Never"}}
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(kc))
    return record


def setup(tmp_path: Path, cluster, namespace: str, mysql, s3) -> tuple[Path, Path]:
    record = plugin_kubeconfig(tmp_path, cluster, namespace)
    password = tmp_path / "mysql-password"
    password.write_text(CANARY["mysql"] + "\n")
    password.chmod(0o600)
    answers = canary_answers(tmp_path / "answers.yaml", namespace, mysql, mysql.user, s3, "canary-bucket",
                             {"license": "{env: WB_CANARY_LICENSE}", "mysql": "{file: mysql-password}",
                              "access": "{env: WB_CANARY_ACCESS}", "secret": "{env: WB_CANARY_SECRET}"},
                             timeout=10)
    return answers, record


def canary_answers(path: Path, namespace: str, mysql, user: str, s3, bucket: str, refs: dict[str, str],
                   timeout: float | None = None) -> Path:
    """The sweeps' answers file: the sandbox's servers, every secret a reference (`refs`: license,
    mysql, access, secret), no DNS server or TLS listener (their checks skipped)."""
    timeout_line = f"\n  timeout: {timeout:g}" if timeout is not None else ""
    path.write_text(textwrap.dedent(f"""\
        apiVersion: wbinstall/v1
        workload: models
        environment: test
        cloud: other
        host: wandb.sandbox.test
        license: {refs["license"]}
        kubernetes: {{kubeconfig: kubeconfig, namespace: {namespace}}}
        mysql: {{host: {mysql.host}, port: {mysql.port}, user: {user}, database: {mysql.database},
                password: {refs["mysql"]}}}
        storage: {{provider: s3-compatible, bucket: {bucket}, endpoint: "{s3.endpoint_url}",
                  accessKey: {refs["access"]}, secretKey: {refs["secret"]}}}
        checks:""") + timeout_line + (
        "\n  skip:"
        "\n    - {id: dns.a-record, reason: no DNS server in this test}"
        "\n    - {id: tls.certificate, reason: no TLS listener in this test}\n"))
    return path


def _user():
    from sandbox.kube.kubeconfig import KubeUser

    return KubeUser("plugin-user", token="unused")


def wbinstall(*args: str, state: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wbinstall", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **ENV, "WBINSTALL_STATE_DIR": str(state)}, timeout=timeout)


def test_no_canary_secret_reaches_any_output_object_or_process(sandbox_kube, sandbox_kube_namespace, sandbox_mysql,
                                                               sandbox_s3, tmp_path, caplog):
    caplog.set_level(logging.INFO)  # the sandbox's servers and stand-ins; their own detail too:
    for name in ("sandbox", "mysql_mimic", "moto"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.INFO, logger="werkzeug")  # the S3 server's request lines (quiet otherwise)
    mysql = sandbox_mysql("mysql-8.0.36")  # its user's password is not the canary: the login is refused
    answers, record = setup(tmp_path, sandbox_kube, sandbox_kube_namespace, mysql, sandbox_s3)
    state = tmp_path / "state"
    places: dict[str, str] = {}

    places["validate"] = _both(wbinstall("validate", "--answers", str(answers), state=state))
    for output in ("text", "json", "junit"):
        done = wbinstall("check", "--answers", str(answers), "--output", output, state=state)
        assert done.returncode == 1 and "mysql.connect" in done.stdout, done.stdout + done.stderr  # refused login
        places[f"check --output {output}"] = _both(done)
    assert "Access denied" in places["check --output text"]  # the server answered, and what it said is shown
    places["render"] = _both(wbinstall("render", "--answers", str(answers), state=state))
    # The install itself: past the checks that failed on purpose above (strict ones: the lab flag).
    lab = LAB
    skips = "".join(f"    - {{id: {i}, reason: failed on purpose above}}\n" for i in NOT_KUBE_CHECKS
                    if i not in ("dns.a-record", "tls.certificate"))
    lab_answers = tmp_path / "install.yaml"
    lab_answers.write_text(answers.read_text().replace("    - {id: dns.a-record", skips + "    - {id: dns.a-record"))
    places["--dry-run"] = _both(wbinstall(*lab, "--answers", str(lab_answers), "--dry-run", state=state))

    # The install, sampled while it runs (no operator: it applies, then waits for the rollout).
    proc = subprocess.Popen([sys.executable, "-m", "wbinstall", *lab, "--answers", str(lab_answers),
                             "--timeout-rollout", "4"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **ENV, "WBINSTALL_STATE_DIR": str(state)})
    cmdline = environ = b""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
        except OSError:
            break
        time.sleep(0.2)
    out, err = proc.communicate(timeout=120)
    assert "apply: WeightsAndBiases wandb: created" in out, out + err
    places["install"] = out + err
    places["wbinstall cmdline"] = cmdline.decode(errors="replace")

    kube = kube_for(sandbox_kube)
    for path in NAMESPACED:
        for item in (kube.get(path.format(ns=sandbox_kube_namespace)) or {}).get("items") or []:
            places[f"{item.get('kind', path)} {item['metadata']['name']}"] = json.dumps(item)
    for path in CLUSTER_KINDS:
        places[path] = json.dumps(kube.get(path))
    for file in sorted(state.rglob("*")):
        if file.is_file():
            places[f"state: {file.name}"] = file.read_text(errors="replace")
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert runs, "the exec plugin never ran"
    for i, run in enumerate(runs):
        places[f"exec plugin run {i}: argv"] = json.dumps(run["argv"])
        places[f"exec plugin run {i}: environ"] = json.dumps(run["environ"])

    places.update(server_logs(caplog.records, sandbox_kube.workdir / "logs", CANARY["access"]))

    leaks = [(where, name) for where, text in places.items() for name, value in CANARY.items() if value in text]
    # wbinstall's own environment: the file-given password must never be put there.
    if CANARY["mysql"].encode() in environ:
        leaks.append(("wbinstall environ", "mysql"))
    searched = len(places) + 1
    print(f"\nsecrets sweep: {searched} places searched, {len(leaks)} leaks")
    assert leaks == [], leaks
    assert len(places) >= 30  # the sweep looked at the namespace's objects, not at nothing
    assert "sandbox log: werkzeug" in places and "sandbox log file: kube-apiserver.log" in places


def _both(done: subprocess.CompletedProcess) -> str:
    return done.stdout + done.stderr


def server_logs(records: list[logging.LogRecord], kube_logs: Path, access_key: str) -> dict[str, str]:
    """The sandbox's logs as places to search: the records its in-process servers logged, by
    logger, and the Kubernetes binaries' files. An access key ID travels in every signed S3
    request (SigV4's X-Amz-Credential, in a presigned URL's query): the S3 server's request log
    may show it there, as any S3 access log does, and nowhere else."""
    by_logger: dict[str, list[str]] = {}
    for record in records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        by_logger.setdefault(record.name, []).append(text)
    places = {f"sandbox log: {name}": "\n".join(lines) for name, lines in by_logger.items()}
    if "sandbox log: werkzeug" in places:
        places["sandbox log: werkzeug"] = re.sub(rf"X-Amz-Credential={access_key}(%2F|/)", "X-Amz-Credential=",
                                                 places["sandbox log: werkzeug"])
    for file in sorted(kube_logs.glob("*.log")):
        places[f"sandbox log file: {file.name}"] = file.read_text(errors="replace")
    return places
