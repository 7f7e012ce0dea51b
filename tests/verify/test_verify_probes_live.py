"""The verify probes against real servers: `web` through a real HTTPS listener answering as a
working or a misconfigured ingress would (tests/verify/proxy_standin.py), `installed` against
the sandbox's kube-apiserver with the operator stand-in. Each path is judged too."""

from __future__ import annotations

import base64
import socket
import time

import pytest
from kubernetes import client

from sandbox.kube.operator_standin import GROUP, PLURAL, VERSION, wandb_cr
from sandbox.procs import free_port
from tests.checks.support import inputs, make_answers, probe_context
from tests.verify.proxy_standin import ProxyStandIn
from wbinstall.checks.verify import judge
from wbinstall.checks.verify.probe import HEALTH_PATH, UPLOAD_BYTES, gather_installed, gather_web

HOST = "wandb.sandbox.test"


def web_answers(port: int, ca_bundle=None):
    tls = {"address": f"127.0.0.1:{port}"}
    if ca_bundle:
        tls["caBundle"] = str(ca_bundle)
    return make_answers(host=HOST, checks={"tls": tls})


def through(proxy: ProxyStandIn, ca_bundle=None):
    answers = web_answers(proxy.port, ca_bundle)
    facts = gather_web(probe_context(answers, timeout=30))
    return facts, {name: check({"web": facts, "installed": _no_cluster()}, inputs(answers))
                   for name, check in (("app", judge.app), ("upload", judge.upload))}


def _no_cluster():
    from wbinstall.checks.verify.facts import InstalledFacts

    return InstalledFacts("wandb", "wandb", ingress_controller="k8s.io/ingress-nginx")


@pytest.fixture
def pair(sandbox_ca):
    return sandbox_ca.issue(HOST)


def test_a_working_ingress_passes_app_and_upload(sandbox_ca, pair, tmp_path):
    with ProxyStandIn(pair, tmp_path, hosts={HOST}) as proxy:
        facts, r = through(proxy, sandbox_ca.bundle_path)
    assert facts.verified
    assert [(x.method, x.path, x.status) for x in facts.exchanges] == [
        ("GET", "/", 200), ("GET", HEALTH_PATH, 200), ("POST", "/", 200)]
    upload = facts.get("POST", "/")
    assert upload.sent == UPLOAD_BYTES and upload.body == f"read {UPLOAD_BYTES} bytes"
    assert (r["app"].status, r["upload"].status) == ("pass", "pass"), r


def test_a_body_limit_is_a_413_fail_named_with_the_controllers_fix(sandbox_ca, pair, tmp_path):
    with ProxyStandIn(pair, tmp_path, hosts={HOST}, body_limit=1_000_000) as proxy:
        facts, r = through(proxy, sandbox_ca.bundle_path)
    upload = facts.get("POST", "/")
    assert upload.status == 413 and upload.sent < UPLOAD_BYTES  # stopped sending when the answer came
    assert r["upload"].status == "fail" and "HTTP 413, proxy-stand-in" in r["upload"].summary
    assert 'proxy-body-size: "0"' in r["upload"].remedy
    assert r["app"].status == "pass"


def test_a_hang_up_mid_body_fails_upload(sandbox_ca, pair, tmp_path):
    with ProxyStandIn(pair, tmp_path, hosts={HOST}, cut_after=2_000_000) as proxy:
        facts, r = through(proxy, sandbox_ca.bundle_path)
    upload = facts.get("POST", "/")
    assert upload.trouble is not None and upload.status is None, upload
    assert r["upload"].status == "fail", r["upload"]


def test_no_route_for_the_host_fails_app(sandbox_ca, pair, tmp_path):
    with ProxyStandIn(pair, tmp_path, hosts={"other.sandbox.test"}) as proxy:
        _, r = through(proxy, sandbox_ca.bundle_path)
    assert r["app"].status == "fail" and f"no route for {HOST}" in r["app"].summary


def test_a_backend_that_is_down_fails_app(sandbox_ca, pair, tmp_path):
    with ProxyStandIn(pair, tmp_path, hosts={HOST}, statuses={"/": 503, HEALTH_PATH: 503}) as proxy:
        _, r = through(proxy, sandbox_ca.bundle_path)
    assert r["app"].status == "fail" and "HTTP 503" in r["app"].summary


def test_an_untrusted_certificate_still_lets_the_requests_through_and_says_so(pair, tmp_path):
    with ProxyStandIn(pair, tmp_path, hosts={HOST}) as proxy:
        facts, r = through(proxy)  # no caBundle: the sandbox CA is not trusted
    assert not facts.verified and "certificate" in facts.verify_error
    assert r["app"].status == "pass" and any("see verify.tls" in e for e in r["app"].evidence)


def test_nothing_listening_fails_app_and_upload():
    answers = web_answers(free_port())
    facts = gather_web(probe_context(answers, timeout=10))
    r = judge.app({"web": facts}, inputs(answers))
    assert r.status == "fail" and "connection refused" in r.summary and "Nothing answers at" in r.remedy
    assert judge.upload({"web": facts, "installed": _no_cluster()}, inputs(answers)).status == "fail"


def test_a_silent_listener_is_a_bounded_timeout():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (backlog), never answers
        answers = web_answers(silent.getsockname()[1])
        facts = gather_web(probe_context(answers, timeout=3))
    r = judge.app({"web": facts}, inputs(answers))
    assert r.status == "fail" and facts.exchanges[0].trouble.kind == "timeout", facts


# ----- installed -----------------------------------------------------------------------------

def kube_answers(cluster, ns: str, **kw):
    return make_answers(host=HOST, kubernetes={"kubeconfig": str(cluster.admin_kubeconfig), "namespace": ns}, **kw)


def _tls_secret(api, ns: str, name: str, pem: bytes) -> None:
    client.CoreV1Api(api).create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name=name), type="kubernetes.io/tls",
        data={"tls.crt": base64.b64encode(pem).decode(), "tls.key": base64.b64encode(b"not read").decode()}))


def _wait_phase(api, ns: str, want: str, timeout: float = 30) -> None:
    custom = client.CustomObjectsApi(api)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        obj = custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "wandb")
        if (obj.get("status") or {}).get("phase") == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"phase {want} not reached")


def test_installed_reads_the_phase_the_controller_and_the_tls_secret(sandbox_kube, sandbox_kube_operator,
                                                                      sandbox_ca, pair):
    ns, api = sandbox_kube_operator.namespace, sandbox_kube.api
    sandbox_kube.apply_wandb_crd()
    answers = kube_answers(sandbox_kube, ns, ingress={"tlsSecret": "wandb-tls"})
    before = gather_installed(probe_context(answers))
    assert not before.found and before.trouble is None
    assert judge.operator({"installed": before}, inputs(answers)).status == "fail"

    client.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, wandb_cr(namespace=ns))
    _wait_phase(api, ns, "Completed")
    _tls_secret(api, ns, "wandb-tls", pair.leaf_pem)
    f = gather_installed(probe_context(answers))
    assert (f.found, f.phase) == (True, "Completed")
    assert f.ingress_controller  # the sandbox's default class
    assert f.tls.trouble is None and HOST in f.tls.dns_names and len(f.tls.sha256) == 64
    assert judge.operator({"installed": f}, inputs(answers)).status == "pass"


def test_installed_names_a_missing_tls_secret_and_a_failed_phase(sandbox_kube, sandbox_kube_operator):
    ns, api = sandbox_kube_operator.namespace, sandbox_kube.api
    sandbox_kube.apply_wandb_crd()
    client.CustomObjectsApi(api).create_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, wandb_cr(namespace=ns, annotations={"sandbox.wbinstall/simulate": "invalid-config"}))
    _wait_phase(api, ns, "Invalid Config")
    answers = kube_answers(sandbox_kube, ns, ingress={"tlsSecret": "nowhere-tls"})
    f = gather_installed(probe_context(answers))
    assert f.tls.trouble.kind == "not-found" and f"{ns}/nowhere-tls" in f.tls.trouble.detail
    r = judge.operator({"installed": f}, inputs(answers))
    assert r.status == "fail" and "Invalid Config" in r.summary


def test_installed_without_a_cluster_is_a_fail_not_a_crash(tmp_path):
    answers = make_answers(host=HOST, kubernetes={"kubeconfig": str(tmp_path / "missing"), "namespace": "wandb"})
    f = gather_installed(probe_context(answers))
    assert f.trouble is not None
    assert judge.operator({"installed": f}, inputs(answers)).status == "fail"
