"""The verify.* judges on their pass, warn and fail paths: facts in, results out (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tests.checks.support import inputs, make_answers
from tests.checks.test_storage_judge_cors import URL, facts as storage_facts, rule
from tests.checks.test_tls_judge import HOST, LEAF, NOW, R11, ok
from wbinstall.checks.dns.facts import IngressAddress, LoadBalancer, Lookup
from wbinstall.checks.storage.facts import HttpExchange
from wbinstall.checks.tls.facts import TlsFacts
from wbinstall.checks.verify import judge
from wbinstall.checks.verify.facts import Exchange, InstalledFacts, SecretCert, Trouble, WebFacts
from wbinstall.checks.verify.probe import HEALTH_PATH, UPLOAD_BYTES

ADDRESS = "203.0.113.10:443"
NS = ("127.0.0.1:53",)


def answers(**kw):
    return make_answers(host=HOST, kubernetes={"namespace": "wandb"}, **kw)


def installed(**kw) -> InstalledFacts:
    base = dict(namespace="wandb", resource="wandb", found=True, phase="Completed", ingress_class="nginx",
                ingress_controller="k8s.io/ingress-nginx",
                tls=SecretCert("wandb/wandb-tls", LEAF.sha256, LEAF.subject, (HOST,)))
    base.update(kw)
    return InstalledFacts(**base)


def web(root=Exchange("GET", "/", 200, "OK", "nginx"), health=Exchange("GET", HEALTH_PATH, 200, "OK", "nginx"),
        upload=Exchange("POST", "/", 405, "Not Allowed", "nginx", sent=UPLOAD_BYTES), verified=True) -> WebFacts:
    return WebFacts(HOST, ADDRESS, verified, "" if verified else "unable to get local issuer certificate",
                    tuple(x for x in (root, health, upload) if x is not None), UPLOAD_BYTES)


def run(check, answers_=None, **facts):
    return check(facts, inputs(answers_ or answers()))


# ----- verify.operator -------------------------------------------------------------------------

@pytest.mark.parametrize("f, status, summary", [
    (installed(), "pass", "the operator reports WeightsAndBiases wandb/wandb Completed"),
    (installed(phase="Loading"), "warn", "has not finished with WeightsAndBiases wandb/wandb (status.phase: Loading)"),
    (installed(phase=""), "warn", "status.phase: (not set)"),
    (installed(phase="Invalid Config"), "fail", "reports WeightsAndBiases wandb/wandb Invalid Config"),
    (installed(found=False, phase=""), "fail", "WeightsAndBiases wandb/wandb does not exist"),
    (installed(trouble=Trouble("forbidden", "HTTP 403: forbidden")), "fail", "could not read"),
])
def test_operator(f, status, summary):
    r = run(judge.operator, installed=f)
    assert (r.id, r.status) == ("verify.operator", status) and summary in r.summary, r
    assert status == "pass" or r.remedy


# ----- verify.dns ------------------------------------------------------------------------------

def lookup(*addresses: str) -> Lookup:
    return Lookup(HOST, "A", NS, "answer", addresses=addresses)


W_AND_B_INGRESS = LoadBalancer("Ingress wandb/wandb", ("203.0.113.10",))
CONTROLLER = LoadBalancer("Service ingress-nginx/ingress-nginx-controller", ("203.0.113.10",))


@pytest.mark.parametrize("seen, lb, status, summary", [
    (lookup("203.0.113.10"), IngressAddress((W_AND_B_INGRESS,)), "pass", "the ingress load balancer's address"),
    (lookup("198.51.100.7"), IngressAddress((W_AND_B_INGRESS,)), "fail", "198.51.100.7"),
    # Before the controller publishes an address on W&B's Ingress, its Service's does not count.
    (lookup("203.0.113.10"), IngressAddress((CONTROLLER,), notes=(
        f"Ingress wandb/wandb names {HOST} but has no load balancer address yet.",)), "fail",
     f"no Ingress for {HOST} carries a load-balancer address"),
    (Lookup(HOST, "A", NS, "nxdomain"), IngressAddress((W_AND_B_INGRESS,)), "fail", HOST),
])
def test_dns(seen, lb, status, summary):
    r = run(judge.dns, dns=seen, **{"ingress-address": lb})
    assert (r.id, r.status) == ("verify.dns", status) and summary in r.summary, r
    if status == "fail":
        assert r.remedy


def test_dns_without_an_ingress_address_shows_what_was_seen():
    lb = IngressAddress((CONTROLLER,), notes=(f"Ingress wandb/wandb names {HOST} but has no load balancer address yet.",))
    r = run(judge.dns, dns=lookup("203.0.113.10"), **{"ingress-address": lb})
    assert any("has no load balancer address yet" in e for e in r.evidence)
    assert "kubectl -n wandb get ingress" in r.remedy


# ----- verify.tls ------------------------------------------------------------------------------

def served(*chain, verified=True) -> TlsFacts:
    v = ok(*chain) if verified else None
    return TlsFacts(HOST, ADDRESS, NOW, system=v, served=chain, tls_version="TLSv1.3")


DEFAULT_CERT = replace(LEAF, subject="CN=TRAEFIK DEFAULT CERT", issuer="CN=TRAEFIK DEFAULT CERT",
                       dns_names=("1a2b.traefik.default",), self_signed=True, sha256="traefik-default")


def test_tls_passes_when_the_trusted_certificate_served_is_the_secrets():
    r = run(judge.tls, tls=served(LEAF, R11), installed=installed())
    assert (r.id, r.status) == ("verify.tls", "pass"), r
    assert "the same certificate as in Secret wandb/wandb-tls" in r.evidence


def test_tls_fails_when_the_ingress_serves_another_certificate_than_the_secret():
    r = run(judge.tls, tls=served(DEFAULT_CERT, verified=False), installed=installed())
    assert r.status == "fail"
    assert "serves CN=TRAEFIK DEFAULT CERT" in r.summary and "not the certificate in Secret wandb/wandb-tls" in r.summary
    assert "default certificate" in r.remedy


def test_tls_fails_when_the_secret_is_missing():
    r = run(judge.tls, tls=served(LEAF, R11), installed=installed(
        tls=SecretCert("wandb/wandb-tls", trouble=Trouble("not-found", "Secret wandb/wandb-tls does not exist"))))
    assert r.status == "fail" and "Secret wandb/wandb-tls does not exist" in r.summary


def test_tls_without_a_secret_judges_the_certificate_alone():
    # TLS ends at a cloud load balancer (e.g. ACM on an ALB): no Secret to compare with.
    r = run(judge.tls, tls=served(LEAF, R11), installed=installed(tls=None))
    assert r.status == "pass" and not any("Secret" in e for e in r.evidence)
    expiring = replace(LEAF, not_after=NOW + dt.timedelta(days=5))
    r = run(judge.tls, tls=served(expiring, R11), installed=installed(tls=None))
    assert r.status == "warn" and "expires" in r.summary


# ----- verify.app ------------------------------------------------------------------------------

@pytest.mark.parametrize("facts, status, summary", [
    (web(), "pass", f"https://{HOST}/ answers HTTP 200 and {HEALTH_PATH} HTTP 200 through the ingress at {ADDRESS}"),
    (web(root=Exchange("GET", "/", 302, "Found")), "pass", "answers HTTP 302"),
    (web(root=Exchange("GET", "/", 404, "Not Found", "traefik", body="404 page not found")), "fail",
     f"has no route for {HOST} (HTTP 404, traefik)"),
    (web(root=Exchange("GET", "/", 503, "Service Unavailable")), "fail", "W&B's app is not serving behind it"),
    (web(health=Exchange("GET", HEALTH_PATH, 500, "Internal Server Error")), "fail",
     f"health endpoint https://{HOST}{HEALTH_PATH} answered HTTP 500"),
    (web(root=Exchange("GET", "/", trouble=Trouble("unreachable", "connection refused"))), "fail",
     "did not answer through"),
    (web(root=Exchange("GET", "/", 418, "I'm a teapot")), "fail", "answered HTTP 418"),
])
def test_app(facts, status, summary):
    r = run(judge.app, web=facts)
    assert (r.id, r.status) == ("verify.app", status) and summary in r.summary, r
    assert status == "pass" or r.remedy


def test_app_says_when_it_could_not_verify_the_certificate():
    r = run(judge.app, web=web(verified=False))
    assert r.status == "pass" and any("see verify.tls" in e for e in r.evidence)


# ----- verify.upload ---------------------------------------------------------------------------

@pytest.mark.parametrize("upload, controller, status, summary, remedy", [
    (Exchange("POST", "/", 405, "Not Allowed", sent=UPLOAD_BYTES), "k8s.io/ingress-nginx", "pass",
     "let a 10 MB request body through (the app answered HTTP 405)", None),
    (Exchange("POST", "/", 413, "Request Entity Too Large", "nginx", sent=1 << 20), "k8s.io/ingress-nginx", "fail",
     "refused a 10 MB request body (HTTP 413, nginx)", 'proxy-body-size: "0"'),
    (Exchange("POST", "/", 413, "Request Entity Too Large", "nginx"), "nginx.org/ingress-controller", "fail",
     "HTTP 413", "client-max-body-size"),
    (Exchange("POST", "/", 413, "Payload Too Large"), "traefik.io/ingress-controller", "fail", "HTTP 413",
     "(maxRequestBodyBytes): remove it from the Ingress's traefik.ingress.kubernetes.io/router.middlewares"),
    (Exchange("POST", "/", 413, "Payload Too Large"), "ingress.k8s.aws/alb", "fail", "HTTP 413",
     "Raise the request body limit of the proxy in front of W&B (AWS Load Balancer Controller)"),
    (Exchange("POST", "/", sent=3_000_000, trouble=Trouble("closed", "closed")), "", "fail",
     "closed after 3.0 MB of a 10 MB body", "Raise the request body limit"),
    (Exchange("POST", "/", 503, "Service Unavailable", sent=UPLOAD_BYTES), "", "warn", "could not tell", None),
    (Exchange("POST", "/", 501, "Unsupported method"), "", "pass", "did not refuse a 10 MB request body", None),
])
def test_upload(upload, controller, status, summary, remedy):
    r = run(judge.upload, web=web(upload=upload), installed=installed(ingress_controller=controller))
    assert (r.id, r.status) == ("verify.upload", status) and summary in r.summary, r
    if remedy:
        assert remedy in r.remedy


# ----- verify.bucket ---------------------------------------------------------------------------

PUT = HttpExchange("presigned PUT", "PUT", URL, 200)
GET = HttpExchange("presigned GET", "GET", URL, 200)


def test_bucket_passes_with_presigned_urls_and_cors():
    r = run(judge.bucket, storage=storage_facts(presigned_put=PUT, presigned_get=GET))
    assert (r.id, r.status) == ("verify.bucket", "pass"), r
    assert "presigned PUT" in " ".join(r.evidence) and "preflight" in " ".join(r.evidence)


def test_bucket_fails_when_the_browser_is_refused():
    r = run(judge.bucket, storage=storage_facts((rule(origins=("https://other.example.com",)),),
                                                presigned_put=PUT, presigned_get=GET))
    assert r.status == "fail" and "allow no request from https://wandb.example.com" in r.summary and r.remedy


def test_bucket_fails_when_a_presigned_put_is_refused():
    refused = HttpExchange("presigned PUT", "PUT", URL, 403, error_code="SignatureDoesNotMatch")
    r = run(judge.bucket, storage=storage_facts(presigned_put=refused, presigned_get=GET))
    assert r.status == "fail" and "PUT" in r.summary


def test_bucket_warns_as_cors_does():
    r = run(judge.bucket, storage=storage_facts((rule(headers=("Content-Type",)),), presigned_put=PUT,
                                                presigned_get=GET))
    assert r.status == "warn" and "fewer request headers" in r.summary
