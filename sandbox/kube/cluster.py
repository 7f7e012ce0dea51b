"""A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (fake kubelets) as separate processes on free ports.

    cluster = KubeCluster().start()   # + 3 r6i.xlarge nodes, ingress and storage stand-ins
    cluster.admin_kubeconfig        # context sandbox-admin (system:masters)
    cluster.restricted_kubeconfig   # context sandbox-restricted (read-only in one namespace)
    cluster.add_node("n1")          # a kwok-managed node that looks like an r6i.xlarge
    cluster.start_operator_standin(apply_crd=True)   # W&B operator stand-in (thread)
    old = cluster.start_old_apiserver()   # a second apiserver reporting v1.28.15
    cluster.stop()

Addresses are chosen so that no component ever sends traffic off the machine: pod IPs are
loopback (the apiserver refuses to proxy to them), nodes' InternalIPs are loopback, and the
apiserver resolves webhook/aggregated-API services to endpoints rather than ClusterIPs.
The price: Endpoints/EndpointSlices may not hold loopback addresses, so their controllers
are off and Services have no endpoints.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from kubernetes import client

from ..procs import ManagedProcess, free_port
from . import access, ingress_standin, nodes, operator_standin, storage_standin
from .binaries import TRAEFIK, ensure_binaries
from .certs import ClusterPKI
from .client import api_client_from_kubeconfig
from .health import http_ok, wait_healthy
from .kubeconfig import KubeUser, write_kubeconfig

ADMIN_USER = "sandbox-admin"
RESTRICTED_USER = "sandbox-restricted"
RESTRICTED_NAMESPACE = "sandbox-restricted"
ADMIN_CONTEXT = "sandbox-admin"
ADMIN_TOKEN_CONTEXT = "sandbox-admin-token"
RESTRICTED_CONTEXT = "sandbox-restricted"
SERVICE_CIDR = "10.0.0.0/24"        # allocation range only; nothing routes to it
POD_CIDR = "127.10.0.0/16"          # loopback on purpose, see module docstring
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node=fake"
KWOK_STAGES = Path(__file__).with_name("kwok-stages.yaml")
# What a small cloud cluster W&B fits on looks like: three memory-optimised nodes, one per zone.
DEFAULT_NODES = tuple({"name": f"sandbox-node-{i}", "instance_type": "r6i.xlarge",
                       "zone": f"us-east-1{zone}"} for i, zone in enumerate("abc"))


class KubeApiServer:
    """One kube-apiserver process (the cluster's, or an old one beside it)."""

    def __init__(self, binary: Path, workdir: Path, pki: ClusterPKI, etcd_url: str,
                 etcd_prefix: str, tokens_file: Path, name: str):
        self.name = name
        self.port = free_port()
        self.server = f"https://127.0.0.1:{self.port}"
        self.pki = pki
        cert_dir = workdir / f"{name}-certs"
        cert_dir.mkdir(parents=True, exist_ok=True)
        self.process = ManagedProcess(name, [
            binary,
            f"--etcd-servers={etcd_url}", f"--etcd-prefix={etcd_prefix}",
            "--bind-address=127.0.0.1", f"--secure-port={self.port}", f"--cert-dir={cert_dir}",
            f"--tls-cert-file={pki.serving_cert_file}",
            f"--tls-private-key-file={pki.serving_key_file}",
            f"--client-ca-file={pki.ca_file}", f"--token-auth-file={tokens_file}",
            "--authorization-mode=RBAC",
            f"--service-account-issuer={self.server}",
            f"--service-account-key-file={pki.sa_pub_file}",
            f"--service-account-signing-key-file={pki.sa_key_file}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allow-privileged=true",
            # Webhooks/aggregated APIs are called at endpoint IPs (loopback here), never at a
            # ClusterIP that would be routed off the machine.
            "--enable-aggregator-routing=true",
            # Else it publishes this machine's own address (eth0) as the endpoint of Service
            # default/kubernetes: nothing here would use it, but the sandbox gives out no
            # address outside 127.0.0.0/8 (tests/sandbox/test_loopback_only.py).
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        ], log_path=workdir / "logs" / f"{name}.log")

    def start(self) -> "KubeApiServer":
        self.process.start()
        return self

    def wait_ready(self, timeout: float) -> None:
        wait_healthy(self.process,
                     lambda: http_ok(f"{self.server}/readyz", cafile=self.pki.ca_file), timeout)

    def stop(self) -> None:
        self.process.stop()


class KubeCluster:
    def __init__(self, workdir: str | Path | None = None, bin_dir: str | Path | None = None,
                 *, nodes: tuple[dict, ...] | None = DEFAULT_NODES, with_standins: bool = True,
                 ingress_address: str = "127.0.0.1", keep_workdir: bool = False):
        """nodes: node_body() keyword sets to create at start (None/() = no nodes).
        with_standins: run the ingress controller and volume provisioner stand-ins (threads
        in this process) with their IngressClass and default StorageClass."""
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="wbinstall-kube-"))
        self.bin_dir = Path(bin_dir) if bin_dir else None
        self.default_nodes = tuple(nodes or ())
        self.with_standins = with_standins
        self.ingress_address = ingress_address
        self.keep_workdir = keep_workdir
        self.standins: list = []        # running PollingControllers, stopped by stop()
        self.processes: dict[str, ManagedProcess] = {}
        self.apiserver: KubeApiServer | None = None
        self.old_apiservers: list[KubeApiServer] = []
        self._api: client.ApiClient | None = None
        self.admin_token = secrets.token_hex(16)
        self.restricted_token = secrets.token_hex(16)
        self.restricted_namespace = RESTRICTED_NAMESPACE
        self.startup_seconds: float | None = None

    # ----- lifecycle -------------------------------------------------------------------
    def start(self, timeout: float = 90) -> "KubeCluster":
        t0 = time.monotonic()
        atexit.register(self.stop)      # an interrupted run still removes the work directory
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _start(self, timeout: float) -> None:
        self.bin_dir = self.bin_dir or ensure_binaries("run")
        self.pki = ClusterPKI(self.workdir / "pki")
        self.tokens_file = self.workdir / "pki" / "tokens.csv"
        self.tokens_file.write_text(
            f'{self.admin_token},{ADMIN_USER},uid-admin,"system:masters"\n'
            f"{self.restricted_token},{RESTRICTED_USER},uid-restricted\n")
        self.tokens_file.chmod(0o600)

        etcd_port, etcd_peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{etcd_port}"
        etcd = self._add(ManagedProcess("etcd", [
            self.bin_dir / "etcd", "--name=sandbox", f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={self.etcd_url}", f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-cluster=sandbox=http://127.0.0.1:{etcd_peer}",
            "--unsafe-no-fsync", "--log-level=warn",
        ], log_path=self._log("etcd")))
        etcd.start()
        wait_healthy(etcd, lambda: http_ok(f"{self.etcd_url}/health"), timeout)

        self.apiserver = KubeApiServer(self.bin_dir / "kube-apiserver", self.workdir, self.pki,
                                       self.etcd_url, "/registry", self.tokens_file,
                                       "kube-apiserver")
        self._add(self.apiserver.process)
        self.apiserver.start().wait_ready(timeout)
        self.server = self.apiserver.server
        self._write_kubeconfigs()
        access.grant_namespace_read(self.api, self.restricted_namespace, RESTRICTED_USER)

        kubeconfig = self.admin_kubeconfig
        common = [f"--kubeconfig={kubeconfig}", f"--authentication-kubeconfig={kubeconfig}",
                  f"--authorization-kubeconfig={kubeconfig}", "--bind-address=127.0.0.1",
                  # Trust our CA directly instead of polling the apiserver's
                  # extension-apiserver-authentication ConfigMap (noisy while it is created).
                  "--authentication-skip-lookup=true", f"--client-ca-file={self.pki.ca_file}",
                  "--leader-elect=false", "--profiling=false"]
        kcm_port, sched_port = free_port(), free_port()
        kcm = self._add(ManagedProcess("kube-controller-manager", [
            self.bin_dir / "kube-controller-manager", *common, f"--secure-port={kcm_port}",
            f"--cert-dir={self.workdir / 'kcm-certs'}",
            f"--service-account-private-key-file={self.pki.sa_key_file}",
            f"--root-ca-file={self.pki.ca_file}",
            # Pod IPs are loopback (see module docstring), which Endpoints/EndpointSlices
            # reject; without these controllers Services simply have no endpoints instead of
            # collecting FailedToUpdateEndpointSlices warnings.
            "--controllers=*,-endpoints-controller,-endpointslice-controller,"
            "-endpointslice-mirroring-controller",
        ], log_path=self._log("kube-controller-manager")))
        sched = self._add(ManagedProcess("kube-scheduler", [
            self.bin_dir / "kube-scheduler", *common, f"--secure-port={sched_port}",
            f"--cert-dir={self.workdir / 'scheduler-certs'}",
        ], log_path=self._log("kube-scheduler")))
        kwok_port = free_port()
        kwok_home = self.workdir / "kwok"     # KWOK_WORKDIR: ignore any ~/.kwok config
        kwok_home.mkdir(exist_ok=True)
        kwok = self._add(ManagedProcess("kwok", [
            self.bin_dir / "kwok", f"--kubeconfig={kubeconfig}", f"--config={KWOK_STAGES}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}",
            "--manage-nodes-with-label-selector=",
            f"--cidr={POD_CIDR}", "--node-ip=127.0.0.1",
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{kwok_port}",
        ], log_path=self._log("kwok"), env={"KWOK_WORKDIR": str(kwok_home)}))
        waits = [(kcm, kcm_port), (sched, sched_port), (kwok, kwok_port)]
        for proc, _ in waits:
            proc.start()
        for proc, port in waits:
            scheme = "http" if proc.name == "kwok" else "https"
            # Their serving certs are self-signed into --cert-dir; only liveness matters here.
            wait_healthy(proc, lambda: http_ok(f"{scheme}://127.0.0.1:{port}/healthz",
                                               insecure=True), timeout)

        if self.with_standins:
            ingress_standin.ensure_ingress_class(self.api)
            ingress_standin.ensure_controller_service(self.api, self.ingress_address)
            storage_standin.ensure_storage_class(self.api)
            self.standins += [
                ingress_standin.IngressStandIn(self.api, self.ingress_address).start(),
                storage_standin.StorageStandIn(self.api).start()]
        for spec in self.default_nodes:
            self.add_node(**spec)

    def stop(self) -> None:
        """Stop stand-ins and every process (reverse start order); remove the work directory.
        Safe to call more than once."""
        atexit.unregister(self.stop)
        for standin in self.standins:
            standin.stop()
        self.standins.clear()
        for server in self.old_apiservers:
            server.stop()
        for proc in reversed(list(self.processes.values())):
            proc.stop()
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._own_workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "KubeCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _add(self, proc: ManagedProcess) -> ManagedProcess:
        self.processes[proc.name] = proc
        return proc

    def _log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    # ----- access ----------------------------------------------------------------------
    def _write_kubeconfigs(self) -> None:
        admin_cert = self.pki.client_cert(ADMIN_USER, ("system:masters",))
        restricted_cert = self.pki.client_cert(RESTRICTED_USER)
        self.admin_user = KubeUser(ADMIN_USER, admin_cert.cert_pem, admin_cert.key_pem)
        self.admin_token_user = KubeUser(f"{ADMIN_USER}-token", token=self.admin_token)
        self.restricted_user = KubeUser(RESTRICTED_USER, restricted_cert.cert_pem,
                                        restricted_cert.key_pem)
        kdir = self.workdir / "kubeconfigs"
        kdir.mkdir(exist_ok=True)
        self.admin_kubeconfig = self.kubeconfig_for(
            kdir / "admin.yaml", {ADMIN_CONTEXT: (self.admin_user, "default")}, self.server)
        self.restricted_kubeconfig = self.kubeconfig_for(
            kdir / "restricted.yaml",
            {RESTRICTED_CONTEXT: (self.restricted_user, self.restricted_namespace)}, self.server)
        # One file with every context, as a user with several clusters/users would have.
        self.kubeconfig = self.kubeconfig_for(kdir / "all.yaml", {
            ADMIN_CONTEXT: (self.admin_user, "default"),
            ADMIN_TOKEN_CONTEXT: (self.admin_token_user, "default"),
            RESTRICTED_CONTEXT: (self.restricted_user, self.restricted_namespace),
        }, self.server)

    def kubeconfig_for(self, path: Path, contexts: dict, server: str) -> Path:
        return write_kubeconfig(path, "sandbox", server, self.pki.ca_pem, contexts,
                                current=next(iter(contexts)))

    @property
    def api(self) -> client.ApiClient:
        """A shared admin ApiClient (do not close it)."""
        if self._api is None:
            self._api = api_client_from_kubeconfig(self.admin_kubeconfig)
        return self._api

    def api_client(self, kubeconfig: str | Path | None = None,
                   context: str | None = None) -> client.ApiClient:
        """A new ApiClient (caller closes it); admin unless told otherwise."""
        return api_client_from_kubeconfig(kubeconfig or self.admin_kubeconfig, context)

    # ----- a second, old API server ---------------------------------------------------
    def start_old_apiserver(self, timeout: float = 90) -> "OldApiServer":
        """Start kube-apiserver-old (a real v1.28.15 build) on its own port, sharing etcd
        under a separate key prefix: an empty second cluster (no controllers, no nodes)
        reachable with the same credentials."""
        binary = self.bin_dir / "kube-apiserver-old"
        if not os.access(binary, os.X_OK):  # the demo's set lacks it: build the tests' set
            binary = ensure_binaries("test") / "kube-apiserver-old"
        server = KubeApiServer(binary, self.workdir, self.pki,
                               self.etcd_url, f"/registry-old-{len(self.old_apiservers)}",
                               self.tokens_file, f"kube-apiserver-old-{len(self.old_apiservers)}")
        self.old_apiservers.append(server)
        server.start().wait_ready(timeout)
        kubeconfig = self.kubeconfig_for(
            self.workdir / "kubeconfigs" / f"{server.name}.yaml",
            {"sandbox-old-admin": (self.admin_user, "default")}, server.server)
        return OldApiServer(server, kubeconfig)

    # ----- nodes (see nodes.py) --------------------------------------------------------
    def add_node(self, name: str, **kwargs) -> client.V1Node:
        return nodes.add_node(self.api, name, **kwargs)

    def add_arm_node(self, name: str, **kwargs) -> client.V1Node:
        return nodes.add_arm_node(self.api, name, **kwargs)

    def add_small_node(self, name: str, **kwargs) -> client.V1Node:
        return nodes.add_small_node(self.api, name, **kwargs)

    def remove_node(self, name: str) -> None:
        nodes.remove_node(self.api, name)

    def remove_all_nodes(self) -> None:
        nodes.remove_all_nodes(self.api)

    def reset_nodes(self, specs: tuple[dict, ...] | list[dict] | None = None) -> None:
        """Replace every sandbox node by `specs` (default: the nodes the cluster started with)."""
        nodes.remove_all_nodes(self.api, wait=True)
        for spec in (self.default_nodes if specs is None else specs):
            self.add_node(**spec)

    # ----- the W&B operator stand-in --------------------------------------------------
    def apply_wandb_crd(self) -> None:
        operator_standin.apply_wandb_crd(self.api)

    def delete_wandb_crd(self) -> None:
        operator_standin.delete_wandb_crd(self.api)

    def start_operator_standin(self, namespace: str | None = None, apply_delay: float = 1.0,
                               apply_crd: bool = False, app_backend: tuple[str, int] | None = None,
                               ) -> operator_standin.OperatorStandIn:
        """Run the operator stand-in (thread) until its stop() or the cluster's. It waits for
        the CRD to appear (an installer creates it, as the operator chart does) unless
        apply_crd creates the minimal one now. app_backend: (127.x address, port) the app's
        Service points at (ExternalName), for a request through Traefik to reach."""
        if apply_crd:
            self.apply_wandb_crd()
        op = operator_standin.OperatorStandIn(self.api, namespace, apply_delay, app_backend).start()
        self.standins.append(op)
        return op

    def start_traefik(self, default_cert: tuple[Path, Path] | None = None) -> "SandboxTraefik":
        """Traefik (sandbox/kube/traefik.py), a real ingress controller for Ingresses of class
        `traefik`, until its stop() or the cluster's."""
        from .traefik import SandboxTraefik

        traefik = SandboxTraefik(self.bin_dir / TRAEFIK, self.admin_kubeconfig, self.workdir / "traefik",
                                 self.api, default_cert, log_path=self._log("traefik")).start()
        self.standins.append(traefik)
        return traefik


class OldApiServer:
    """.server (URL), .admin_kubeconfig (context sandbox-old-admin), .process, .stop()."""

    def __init__(self, server: KubeApiServer, admin_kubeconfig: Path):
        self._server = server
        self.server = server.server
        self.admin_kubeconfig = admin_kubeconfig
        self.process = server.process

    def stop(self) -> None:
        self._server.stop()

