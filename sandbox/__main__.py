"""The local sandbox as a demo: every server wbinstall talks to, on 127.0.0.1.

    python -m sandbox up        start it, write .sandbox/answers.yaml, wait for Ctrl-C
    python -m sandbox wizard    start it and open the wizard prefilled (what `./dev run` does)
    python -m sandbox check     start it and run `wbinstall check` against it
    ... --storage s3|gcs|azure  the bucket on moto's S3 (default), gcp-storage-emulator or Azurite

A real Kubernetes control plane with kwok nodes (three r6i.xlarge), a real ingress controller
(Traefik, on 127.0.0.1) and a volume stand-in, the W&B operator stand-in, whose app Service
leads Traefik to a stand-in W&B backend; a MySQL-8 server tuned as W&B documents; an S3 bucket
with W&B's CORS rules; a DNS server that points the host at the ingress. The host's certificate
comes from the sandbox's own CA (so tls.certificate warns: a private CA is not recommended): the
answers' ingress.certFile, which the install puts in W&B's TLS Secret, and Traefik's default
certificate until then. Secrets are written to files (mode 0600) and referenced from the answers.

No server writes to the terminal: each logs to its own file in <dir>/logs (mysql.log, s3.log,
dns.log, wandb.log for the stand-in backend, kube.log for the stand-ins, sandbox.log for
anything else) and the Kubernetes binaries and Traefik to <dir>/kube/logs; the terminal is the
wizard's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from sandbox.logs import ServerLogs

HOST = "wandb.sandbox.test"
NAMESPACE = "wandb"


def _secret_file(directory: Path, name: str, value: str) -> str:
    path = directory / name
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return name


@contextlib.contextmanager
def running(directory: Path, logs: ServerLogs | None = None, bin_dir: Path | None = None, storage: str = "s3"):
    """Start everything; yield the answers file; stop everything (also on Ctrl-C). With `logs`
    (entered), status lines go to the terminal through it and the servers' output to their log
    files; without (pytest, which captures output itself), status lines go to stderr."""
    def say(message: str) -> None:
        if logs is not None:
            logs.say(message)
        else:
            print(message, file=sys.stderr)

    from sandbox import mysql_mimic_server as mm
    from sandbox.dns import SandboxDNS
    from sandbox.kube.cluster import ADMIN_CONTEXT, KubeCluster
    from sandbox.kube.traefik import CLASS_NAME
    from sandbox.license import valid_license
    from sandbox.tls import SandboxCA
    from sandbox.wandb_backend import WandbBackend

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.ExitStack() as stack:
        say("sandbox: starting Kubernetes (etcd, kube-apiserver, controller-manager, scheduler, kwok) ...")
        kube_dir = directory / "kube"  # a fresh cluster each time; its logs stay until the next start
        shutil.rmtree(kube_dir, ignore_errors=True)
        cluster = KubeCluster(workdir=kube_dir, bin_dir=bin_dir, ingress_address="127.0.0.1").start()
        stack.callback(cluster.stop)
        app = stack.enter_context(WandbBackend())
        cluster.start_operator_standin(namespace=NAMESPACE, app_backend=(app.address, app.port))
        ca = SandboxCA(directory / "ca")
        pair = ca.issue(HOST)
        cert_file, key_file = directory / "wandb-tls.crt", directory / "wandb-tls.key"
        cert_file.write_bytes(b"".join(pair.chain_pem))
        _secret_file(directory, key_file.name, pair.key_pem.decode().strip())
        traefik = cluster.start_traefik(default_cert=(cert_file, key_file))

        mysql = mm.MimicMySQL(mm.preset("mysql-8.4.8", variables=mm.WANDB_RECOMMENDED)).start()  # what W&B asks today
        stack.callback(mysql.stop)
        store = _bucket(storage, stack, directory)
        dns = stack.enter_context(SandboxDNS())
        dns.set_a(HOST, "127.0.0.1")

        answers = {
            "apiVersion": "wbinstall/v1",
            "workload": "models",
            "environment": "test",
            "cloud": "aws",
            "host": HOST,
            "license": {"file": _secret_file(directory, "license.txt", valid_license())},
            "kubernetes": {"kubeconfig": str(cluster.kubeconfig), "context": ADMIN_CONTEXT, "namespace": NAMESPACE},
            "ingress": {"class": CLASS_NAME, "certFile": str(cert_file), "keyFile": str(key_file)},
            "mysql": {"host": mysql.host, "port": mysql.port, "database": mm.DEFAULT_DATABASE, "user": mm.DEFAULT_USER,
                      "password": {"file": _secret_file(directory, "mysql-password.txt", mm.DEFAULT_PASSWORD)}},
            "storage": store,
            "checks": {"dns": {"nameservers": [f"{dns.host}:{dns.port}"]},
                       "tls": {"address": traefik.https_address, "caBundle": str(ca.bundle_path)}},
        }
        path = directory / "answers.yaml"
        path.write_text("# Written by `python -m sandbox`: answers for the local sandbox.\n"
                        + yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
        where = f"; server logs: {logs.directory}" if logs is not None else ""
        say(f"sandbox: ready in {cluster.startup_seconds:.0f} s; answers: {path}{where}")
        yield path


def _bucket(storage: str, stack: contextlib.ExitStack, directory: Path) -> dict:
    """A bucket with W&B's CORS rules for the host, on the chosen store: its `storage` answers."""
    origin = f"https://{HOST}"
    if storage == "gcs":
        from sandbox.gcs import SandboxGCS, wandb_cors

        gcs = stack.enter_context(SandboxGCS(directory / "gcs"))
        bucket = gcs.create_bucket("wandb-sandbox", cors=wandb_cors(origin))
        return {"provider": "gcs", "bucket": bucket, "endpoint": gcs.endpoint,
                "serviceAccountKey": {"file": _secret_file(directory, "gcs-key.json", gcs.service_account_key())}}
    if storage == "azure":
        from sandbox.azurite import ACCOUNTS, SandboxAzurite, wandb_cors_rules

        account = ACCOUNTS[0]
        az = stack.enter_context(SandboxAzurite(directory / "azurite", accounts=(account,)))
        az.set_cors(account, wandb_cors_rules(origin))
        return {"provider": "azure", "account": account, "bucket": az.create_container(account, "wandb"),
                "endpoint": az.endpoint(account),
                "accountKey": {"file": _secret_file(directory, "azure-account-key.txt", az.account_key(account))}}
    from sandbox.s3 import ACCESS_KEY, REGION, SECRET_KEY, SandboxS3, wandb_cors_rules

    s3 = stack.enter_context(SandboxS3())
    bucket = s3.create_bucket("wandb-sandbox", cors_rules=wandb_cors_rules(origin))
    return {"provider": "s3-compatible", "bucket": bucket, "region": REGION, "endpoint": s3.endpoint_url,
            "accessKey": {"file": _secret_file(directory, "s3-access-key.txt", ACCESS_KEY)},
            "secretKey": {"file": _secret_file(directory, "s3-secret-key.txt", SECRET_KEY)}}


def _wbinstall(directory: Path, logs: ServerLogs, *args: str) -> int:
    # The demo keeps its wizard progress beside its answers, away from the user's own. The
    # wizard gets the terminal; this process's own stdout/stderr now go to sandbox.log.
    env = {**os.environ, "WBINSTALL_STATE_DIR": str(directory / "state")}
    return subprocess.call([sys.executable, "-m", "wbinstall", *args], env=env,
                           stdout=logs.terminal_out, stderr=logs.terminal_err)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "wizard", "check"))
    parser.add_argument("--dir", default=".sandbox", help="where the answers and secret files go (default: .sandbox)")
    parser.add_argument("--storage", choices=("s3", "gcs", "azure"), default="s3",
                        help="the bucket's store: moto's S3 (default), gcp-storage-emulator or Azurite")
    args = parser.parse_args(argv)
    # Ctrl-C in `up` and a SIGTERM both unwind through the ExitStack, stopping every server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from sandbox.kube.binaries import BuildFailed, ensure_binaries

    directory = Path(args.dir).resolve()
    try:
        bin_dir = ensure_binaries("run")  # before the logs take stderr: a first build's progress is for you
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with ServerLogs(directory / "logs") as logs, running(directory, logs, bin_dir, args.storage) as answers:
            if args.command == "wizard":
                return _wbinstall(directory, logs, "--answers", str(answers), "--interactive")
            if args.command == "check":
                return _wbinstall(directory, logs, "check", "--answers", str(answers))
            logs.say(f"\n  wbinstall check --answers {answers}\n  wbinstall --answers {answers} --interactive\n"
                     "\nPress Ctrl-C to stop the sandbox.")
            signal.pause()
    except KeyboardInterrupt:
        print("\nsandbox: stopped", file=sys.stderr)
    except (BuildFailed, OSError, RuntimeError, TimeoutError) as exc:  # a server that would not start
        print(f"sandbox: {exc}\nsandbox: the servers' logs are in {directory / 'logs'} and {directory / 'kube' / 'logs'}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
