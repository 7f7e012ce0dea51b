"""Traefik, the sandbox's real ingress controller, with the stand-in W&B backend behind it:
loopback only (its entry points, every server it can route to, no phoning home), and
`wbinstall verify` through it: pass, a body-size limit (413) and the wrong certificate served;
and, beside it on the same lab, verify.dns (the record vs Traefik's address) and verify.bucket
(CORS refused) against the real DNS and S3 servers."""

from __future__ import annotations

import base64
import ipaddress
import json
import subprocess
import sys
import textwrap
from urllib.parse import urlparse

import pytest
import yaml
from kubernetes import client

from sandbox import s3 as sandbox_s3
from sandbox.dns import SandboxDNS
from sandbox.kube import operator_standin as op
from sandbox.kube import traefik as tk
from sandbox.kube.cluster import KubeCluster
from sandbox.procs import wait_until
from sandbox.tls import SandboxCA
from sandbox.wandb_backend import WandbBackend
from tests.apply.support import REPO

HOST, NS, SECRET = "wandb.sandbox.test", "wandb", "wandb-tls"


@pytest.fixture(scope="module")
def lab(tmp_path_factory, sandbox_kube_binaries):
    """A cluster of its own (Traefik's IngressClass and Service stay out of the shared one), Traefik
    with a default certificate for the host, the operator stand-in leading the app to the backend,
    and W&B "installed": its CR (Completed), Ingress of class traefik, TLS Secret."""
    work = tmp_path_factory.mktemp("traefik")
    ca = SandboxCA(work / "ca")
    pair = ca.issue(HOST)
    cert, key = work / "tls.crt", work / "tls.key"
    cert.write_bytes(b"".join(pair.chain_pem))
    key.write_bytes(pair.key_pem)
    with KubeCluster(bin_dir=sandbox_kube_binaries) as cluster, WandbBackend() as app, SandboxDNS() as dns, \
            sandbox_s3.SandboxS3() as s3:
        dns.set_a(HOST, "127.0.0.1")       # Traefik's published address
        s3.create_bucket("wandb-cors", cors_rules=sandbox_s3.wandb_cors_rules(f"https://{HOST}"))
        s3.create_bucket("wandb-no-cors")
        traefik = cluster.start_traefik(default_cert=(cert, key))
        cluster.apply_wandb_crd()
        cluster.start_operator_standin(namespace=NS, apply_delay=0, app_backend=(app.address, app.port))
        core = client.CoreV1Api(cluster.api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        core.create_namespaced_secret(NS, tls_secret(SECRET, pair))
        cr = op.wandb_cr("wandb", NS, {"global": {"host": f"https://{HOST}"},
                                       "ingress": {"class": tk.CLASS_NAME,
                                                   "tls": [{"hosts": [HOST], "secretName": SECRET}]}})
        client.CustomObjectsApi(cluster.api).create_namespaced_custom_object(op.GROUP, op.VERSION, NS, op.PLURAL, cr)
        net = client.NetworkingV1Api(cluster.api)
        assert wait_until(lambda: net.read_namespaced_ingress("wandb", NS).status.load_balancer.ingress, 30), \
            traefik.process.log_tail()
        assert wait_until(traefik.server_urls, 30), traefik.process.log_tail()   # its routing table too
        yield {"cluster": cluster, "traefik": traefik, "app": app, "ca": ca, "pair": pair, "work": work,
               "dns": dns, "s3": s3}


def tls_secret(name, pair) -> client.V1Secret:
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name), type="kubernetes.io/tls", data={
        "tls.crt": base64.b64encode(b"".join(pair.chain_pem)).decode(),
        "tls.key": base64.b64encode(pair.key_pem).decode()})


def verify(lab, *only: str, bucket: str = "wandb-cors") -> tuple[int, dict]:
    """`wbinstall verify --output json` as a user runs it, through Traefik."""
    answers = lab["work"] / "answers.yaml"
    answers.write_text(textwrap.dedent(f"""\
        apiVersion: wbinstall/v1
        workload: models
        environment: test
        cloud: other
        host: {HOST}
        license: {{env: WB_TEST_LICENSE}}
        kubernetes: {{kubeconfig: {lab['cluster'].admin_kubeconfig}, namespace: {NS}}}
        ingress: {{class: {tk.CLASS_NAME}, tlsSecret: {SECRET}}}
        mysql: {{host: 127.0.0.1, password: {{env: WB_TEST_MYSQL_PASSWORD}}}}
        storage: {{provider: s3-compatible, bucket: {bucket}, region: {sandbox_s3.REGION},
                   endpoint: "{lab['s3'].endpoint_url}", accessKey: {{env: WB_S3_ACCESS}},
                   secretKey: {{env: WB_S3_SECRET}}}}
        checks:
          dns: {{nameservers: ["{lab['dns'].host}:{lab['dns'].port}"]}}
          tls: {{address: "{lab['traefik'].https_address}", caBundle: {lab['ca'].bundle_path}}}
        """))
    args = ["--only", *only] if only else []
    env = {"WB_TEST_LICENSE": "test-license-0001", "WB_TEST_MYSQL_PASSWORD": "test-mysql-password", "NO_COLOR": "1",
           "WB_S3_ACCESS": sandbox_s3.ACCESS_KEY, "WB_S3_SECRET": sandbox_s3.SECRET_KEY,
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "wbinstall", "verify", "--answers", str(answers), "--output", "json",
                           *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, {r["id"]: r for r in json.loads(done.stdout)["results"]}


def test_traefik_listens_routes_and_publishes_on_loopback_only(lab):
    traefik = lab["traefik"]
    entry_points = traefik.api_get("/api/entrypoints")
    assert {e["name"] for e in entry_points} == {"web", "websecure", "traefik"}
    assert all(e["address"].startswith("127.0.0.1:") for e in entry_points), entry_points
    servers = traefik.server_urls()
    assert servers == [f"http://{lab['app'].address}:{lab['app'].port}"]   # the W&B backend, nothing else
    assert all(ipaddress.ip_address(urlparse(u).hostname) in ipaddress.ip_network("127.0.0.0/8") for u in servers)
    static = yaml.safe_load((traefik.workdir / "traefik.yaml").read_text())
    assert static["global"] == {"checkNewVersion": False, "sendAnonymousUsage": False}
    # Every Service Traefik could follow: ExternalName ones point into 127.0.0.0/8; none has endpoints.
    core = client.CoreV1Api(lab["cluster"].api)
    external = [s.spec.external_name for s in core.list_service_for_all_namespaces().items
                if s.spec.type == "ExternalName"]
    assert external and all(ipaddress.ip_address(n).is_loopback for n in external)
    assert not [e for e in core.list_endpoints_for_all_namespaces().items if e.subsets
                and e.metadata.name != "kubernetes"]
    ing = client.NetworkingV1Api(lab["cluster"].api).read_namespaced_ingress("wandb", NS)
    assert [i.ip for i in ing.status.load_balancer.ingress] == ["127.0.0.1"]   # published from its Service


def test_verify_passes_through_traefik_and_the_upload_reaches_the_backend(lab):
    before = len(lab["app"].received)
    code, results = verify(lab, "verify.operator", "verify.tls", "verify.app", "verify.upload")
    assert code == 0, results
    assert {i: r["status"] for i, r in results.items()} == {
        "verify.operator": "pass", "verify.tls": "warn", "verify.app": "pass", "verify.upload": "pass"}
    assert "private CA" in results["verify.tls"]["summary"]   # the sandbox CA, trusted through caBundle only
    assert lab["app"].received[before:] == [10_000_000]          # the whole body arrived behind Traefik


def test_a_body_limit_on_the_ingress_fails_verify_upload_with_traefiks_remedy(lab):
    net = client.NetworkingV1Api(lab["cluster"].api)
    annotations = {"metadata": {"annotations": {tk.MIDDLEWARES_ANNOTATION: tk.BODY_LIMIT_MIDDLEWARE}}}
    net.patch_namespaced_ingress("wandb", NS, annotations)
    try:
        assert wait_until(lambda: any("limit-body@file" in (r.get("middlewares") or [])
                                      for r in lab["traefik"].api_get("/api/http/routers")), 20)
        code, results = verify(lab, "verify.upload", "verify.app")
        assert code == 1
        upload = results["verify.upload"]
        assert upload["status"] == "fail" and "HTTP 413" in upload["summary"], upload
        assert "maxRequestBodyBytes" in upload["remedy"] and "router.middlewares" in upload["remedy"]
        assert results["verify.app"]["status"] == "pass"     # small requests still go through
    finally:
        net.patch_namespaced_ingress("wandb", NS, {"metadata": {"annotations": {tk.MIDDLEWARES_ANNOTATION: None}}})


def test_the_wrong_certificate_served_fails_verify_tls(lab):
    """W&B's Secret holds a certificate for another name: Traefik cannot use it for the host and
    serves its default one, which is not the Secret's."""
    core = client.CoreV1Api(lab["cluster"].api)
    other = lab["ca"].issue("other.example")
    core.replace_namespaced_secret(SECRET, NS, tls_secret(SECRET, other))
    try:
        def stale() -> bool:
            code, results = verify(lab, "verify.tls")
            return results["verify.tls"]["status"] == "fail"
        assert wait_until(stale, 30, interval=1)
        code, results = verify(lab, "verify.tls")
        tls = results["verify.tls"]
        assert code == 1 and "not the certificate in Secret wandb/wandb-tls" in tls["summary"], tls
    finally:
        core.replace_namespaced_secret(SECRET, NS, tls_secret(SECRET, lab["pair"]))


def test_verify_dns_passes_on_traefiks_address_and_fails_when_the_record_points_elsewhere(lab):
    code, results = verify(lab, "verify.dns")
    assert code == 0 and results["verify.dns"]["status"] == "pass", results
    assert "127.0.0.1" in results["verify.dns"]["summary"]
    lab["dns"].set_a(HOST, "127.0.0.9")
    try:
        code, results = verify(lab, "verify.dns")
        dns = results["verify.dns"]
        assert code == 1 and dns["status"] == "fail" and "127.0.0.9" in dns["summary"], dns
        assert "127.0.0.1" in dns["remedy"]        # the record to make: Traefik's address
    finally:
        lab["dns"].set_a(HOST, "127.0.0.1")


def test_verify_bucket_passes_with_wandbs_cors_rules_and_fails_without_them(lab):
    code, results = verify(lab, "verify.bucket")
    assert code == 0 and results["verify.bucket"]["status"] == "pass", results
    code, results = verify(lab, "verify.bucket", bucket="wandb-no-cors")
    bucket = results["verify.bucket"]
    assert code == 1 and bucket["status"] == "fail" and "CORS" in bucket["summary"] + bucket["remedy"], bucket
