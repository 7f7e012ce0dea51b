"""k8s.connect against the sandbox's real kube-apiserver: kubeconfig lookup, network, TLS, auth."""

from __future__ import annotations

import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from sandbox.kube.cluster import ADMIN_CONTEXT, RESTRICTED_CONTEXT
from sandbox.kube.kubeconfig import KubeUser, kubeconfig_dict
from sandbox.procs import free_port
from tests.checks.support import inputs, make_answers, probe_context, run_checks
from wbinstall.checklist import CHECK_IDS
from wbinstall.checks.k8s import judge, probe

K8S = [i for i in CHECK_IDS if i.startswith("k8s.")]


def k8s(kubeconfig: Path | str | None, timeout: float = 10.0, **answers: Any) -> dict:
    kube = {"kubeconfig": str(kubeconfig) if kubeconfig else None, **answers.pop("kubernetes", {})}
    return run_checks(make_answers(kubernetes=kube, **answers), only=K8S, timeout=timeout)


def write_kubeconfig(path: Path, server: str, ca_pem: bytes, user: KubeUser | None,
                     tls_server_name: str | None = None) -> Path:
    """A one-context kubeconfig ("t"); user None = no credentials at all."""
    data = kubeconfig_dict("t-cluster", server, ca_pem, {"t": (user or KubeUser("nobody"), "default")}, "t")
    if user is None:
        data["users"][0]["user"] = {}
    if tls_server_name:
        data["clusters"][0]["cluster"]["tls-server-name"] = tls_server_name
    path.write_text(yaml.safe_dump(data))
    return path


def assert_only_connect_ran(results: dict) -> None:
    assert {i: r.status for i, r in results.items() if i != "k8s.connect"} == {i: "skip" for i in K8S[1:]}


# ----- pass ------------------------------------------------------------------------------

def test_admin_context_connects_and_names_the_user(sandbox_kube):
    r = k8s(sandbox_kube.admin_kubeconfig)["k8s.connect"]
    assert r.status == "pass"
    assert r.summary == f"connected to {sandbox_kube.server} (context {ADMIN_CONTEXT}) as sandbox-admin"
    assert f"kubeconfig: {sandbox_kube.admin_kubeconfig}" in r.evidence


def test_chosen_context_of_a_multi_context_kubeconfig_is_used(sandbox_kube):
    r = k8s(sandbox_kube.kubeconfig, kubernetes={"context": RESTRICTED_CONTEXT})["k8s.connect"]
    assert r.status == "pass" and r.summary.endswith(f"(context {RESTRICTED_CONTEXT}) as sandbox-restricted")


def test_token_user_connects(sandbox_kube):
    r = k8s(sandbox_kube.kubeconfig, kubernetes={"context": "sandbox-admin-token"})["k8s.connect"]
    assert r.status == "pass" and r.summary.endswith("as sandbox-admin")


def test_relative_kubeconfig_is_read_from_the_answers_directory(sandbox_kube, tmp_path):
    (tmp_path / "kube").mkdir()
    shutil.copy(sandbox_kube.admin_kubeconfig, tmp_path / "kube" / "config.yaml")
    answers = make_answers(kubernetes={"kubeconfig": "kube/config.yaml"})
    facts = probe.gather(probe_context(answers, base_dir=tmp_path))
    assert facts.kubeconfig.paths == (str(tmp_path / "kube" / "config.yaml"),)
    assert judge.judge_connect({"k8s": facts}, inputs(answers, tmp_path)).status == "pass"


def test_kubeconfig_env_list_is_merged_like_kubectl(sandbox_kube, tmp_path, monkeypatch):
    missing = tmp_path / "missing.yaml"
    monkeypatch.setenv("KUBECONFIG", f"{missing}:{sandbox_kube.admin_kubeconfig}:{sandbox_kube.restricted_kubeconfig}")
    results = k8s(None, kubernetes={"context": RESTRICTED_CONTEXT})
    assert results["k8s.connect"].status == "pass"
    assert results["k8s.connect"].summary.endswith("as sandbox-restricted")


def test_default_kubeconfig_in_home_is_used(sandbox_kube, tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".kube").mkdir()
    shutil.copy(sandbox_kube.admin_kubeconfig, tmp_path / ".kube" / "config")
    assert k8s(None)["k8s.connect"].status == "pass"


# ----- kubeconfig problems -------------------------------------------------------------------

def test_unknown_context_lists_the_available_ones(sandbox_kube):
    results = k8s(sandbox_kube.kubeconfig, kubernetes={"context": "sandbox-prod"})
    r = results["k8s.connect"]
    assert r.status == "fail"
    assert r.summary == "context 'sandbox-prod' is not in the kubeconfig"
    assert r.remedy == "Set kubernetes.context to one of: sandbox-admin, sandbox-admin-token, sandbox-restricted"
    assert_only_connect_ran(results)


def test_missing_kubeconfig_file_fails(tmp_path):
    r = k8s(tmp_path / "nope.yaml", cloud="aws")["k8s.connect"]
    assert r.status == "fail"
    assert r.summary == f"no kubeconfig: no kubeconfig file at kubernetes.kubeconfig: {tmp_path / 'nope.yaml'}"
    assert "aws eks update-kubeconfig" in (r.remedy or "")


def test_no_kubeconfig_anywhere_names_the_default_place(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    r = k8s(None)["k8s.connect"]
    assert r.status == "fail" and str(tmp_path / ".kube" / "config") in r.summary


def test_kubeconfig_without_current_context_asks_for_one(sandbox_kube, tmp_path):
    data = yaml.safe_load(Path(sandbox_kube.kubeconfig).read_text())
    data.pop("current-context")
    path = tmp_path / "kc.yaml"
    path.write_text(yaml.safe_dump(data))
    r = k8s(path)["k8s.connect"]
    assert r.status == "fail" and r.summary.startswith("no context to use")


def test_kubeconfig_that_is_not_yaml_fails_as_unloadable(tmp_path):
    path = tmp_path / "kc.yaml"
    path.write_text("apiVersion: v1\nclusters: [\n")
    r = k8s(path)["k8s.connect"]
    assert r.status == "fail" and r.summary == "the kubeconfig could not be loaded"


def test_kubeconfig_whose_user_entry_is_missing_fails_as_unloadable(sandbox_kube, tmp_path):
    data = yaml.safe_load(Path(sandbox_kube.admin_kubeconfig).read_text())
    data["clusters"] = []
    path = tmp_path / "kc.yaml"
    path.write_text(yaml.safe_dump(data))
    r = k8s(path)["k8s.connect"]
    assert r.status == "fail" and r.summary == "the kubeconfig could not be loaded"


# ----- network -------------------------------------------------------------------------------

def test_closed_port_is_refused(sandbox_kube, tmp_path):
    server = f"https://127.0.0.1:{free_port()}"
    kc = write_kubeconfig(tmp_path / "kc.yaml", server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user)
    results = k8s(kc)
    r = results["k8s.connect"]
    assert r.status == "fail"
    assert r.summary == f"connection refused by {server}"
    assert any("Connection refused" in e for e in r.evidence)
    assert_only_connect_ran(results)


@pytest.fixture
def silent_port():
    """A listening socket that never accepts: TCP connects, TLS never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def test_never_answering_server_returns_a_timeout_result(sandbox_kube, tmp_path, silent_port):
    server = f"https://127.0.0.1:{silent_port}"
    kc = write_kubeconfig(tmp_path / "kc.yaml", server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user)
    results = k8s(kc, timeout=1.0)
    r = results["k8s.connect"]
    assert r.status == "fail"
    assert r.summary.startswith("no answer")
    assert_only_connect_ran(results)


def test_never_answering_server_is_a_timeout_in_the_probe_facts(sandbox_kube, tmp_path, silent_port):
    server = f"https://127.0.0.1:{silent_port}"
    kc = write_kubeconfig(tmp_path / "kc.yaml", server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user)
    facts = probe.gather(probe_context(make_answers(kubernetes={"kubeconfig": str(kc)}), timeout=1.0))
    assert facts.problem is not None and facts.problem.kind == "timeout"


@pytest.fixture
def hangup_port():
    """Accepts every connection and closes it at once, like a load balancer without backends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    sock.close()


def test_server_that_hangs_up_is_unreachable(sandbox_kube, tmp_path, hangup_port):
    server = f"https://127.0.0.1:{hangup_port}"
    kc = write_kubeconfig(tmp_path / "kc.yaml", server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user)
    r = k8s(kc)["k8s.connect"]
    assert r.status == "fail" and r.summary == f"cannot reach {server}"


# ----- TLS -----------------------------------------------------------------------------------

@pytest.fixture
def plain_http_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_plain_http_server_fails_the_tls_handshake(sandbox_kube, tmp_path, plain_http_port):
    server = f"https://127.0.0.1:{plain_http_port}"
    kc = write_kubeconfig(tmp_path / "kc.yaml", server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user)
    r = k8s(kc)["k8s.connect"]
    assert r.status == "fail" and r.summary == f"TLS with {server} failed"


def test_certificate_from_another_ca_is_untrusted(sandbox_kube, tmp_path):
    other_ca = trustme.CA().cert_pem.bytes()
    kc = write_kubeconfig(tmp_path / "kc.yaml", sandbox_kube.server, other_ca, sandbox_kube.admin_user)
    r = k8s(kc)["k8s.connect"]
    assert r.status == "fail"
    assert r.summary == f"the certificate of {sandbox_kube.server} is not trusted by the kubeconfig's CA"
    assert any("certificate" in e or "issuer" in e for e in r.evidence)


def test_certificate_for_another_name_is_a_hostname_mismatch(sandbox_kube, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc.yaml", sandbox_kube.server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user,
                          tls_server_name="api.prod.example.com")
    r = k8s(kc)["k8s.connect"]
    assert r.status == "fail"
    assert "is not valid for" in r.summary
    assert any("api.prod.example.com" in e for e in r.evidence)


# ----- authentication ------------------------------------------------------------------------

def test_rejected_token_is_unauthorized(sandbox_kube, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc.yaml", sandbox_kube.server, sandbox_kube.pki.ca_pem,
                          KubeUser("expired", token="0123456789abcdef-not-valid"))
    results = k8s(kc, cloud="gcp")
    r = results["k8s.connect"]
    assert r.status == "fail"
    assert r.summary == f"{sandbox_kube.server} rejected the credentials of context t (401 Unauthorized)"
    assert "gcloud container clusters get-credentials" in (r.remedy or "")
    # The token itself never shows.
    assert "0123456789abcdef" not in repr(results)


def test_kubeconfig_without_credentials_is_seen_as_anonymous(sandbox_kube, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc.yaml", sandbox_kube.server, sandbox_kube.pki.ca_pem, None)
    r = k8s(kc)["k8s.connect"]
    assert r.status == "fail" and "anonymous" in r.summary


def test_an_expired_client_certificate_is_named_with_its_date(sandbox_kube, tmp_path):
    cert = sandbox_kube.pki.client_cert("wandb-admin", ("system:masters",), expired=True)
    kc = write_kubeconfig(tmp_path / "kc.yaml", sandbox_kube.server, sandbox_kube.pki.ca_pem,
                          KubeUser("old-admin", cert.cert_pem, cert.key_pem))
    r = k8s(kc, cloud="aws")["k8s.connect"]
    assert r.status == "fail"
    assert r.summary.startswith("the client certificate of context t expired on 20")
    assert r.summary.endswith(f"(1 day ago): {sandbox_kube.server} answered 401 Unauthorized")
    assert "aws eks update-kubeconfig" in (r.remedy or "")


def test_a_valid_client_certificate_is_not_called_expired(sandbox_kube, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc.yaml", sandbox_kube.server, sandbox_kube.pki.ca_pem, sandbox_kube.admin_user)
    r = k8s(kc)["k8s.connect"]
    assert r.status == "pass" and not any("expired" in e for e in r.evidence)
