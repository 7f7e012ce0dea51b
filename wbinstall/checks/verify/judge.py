"""Judges of verify.*: pure functions of the facts the probes saw (and the preflight probes
they share: dns, ingress-address, tls, storage)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.dns.facts import IngressAddress
from wbinstall.checks.result import Result, failed, passed, warned
from wbinstall.checks.verify.facts import Exchange, InstalledFacts, WebFacts
from wbinstall.checks.verify.probe import HEALTH_PATH

DNS, TLS, APP, UPLOAD, BUCKET, OPERATOR = ("verify.dns", "verify.tls", "verify.app", "verify.upload",
                                           "verify.bucket", "verify.operator")
# Phases of the v1 operator that mean it gave up on the resource (wandb-operator.md §2).
_FAILED_PHASES = ("Invalid Config", "Failed", "Error")


def _as(check_id: str, result: Result) -> Result:
    return replace(result, id=check_id)


def _kubectl(inputs: CheckInputs, what: str) -> str:
    return f"kubectl -n {inputs.answers.kubernetes.namespace} {what}"


# ----- verify.dns ------------------------------------------------------------------------------

def dns(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    """The host resolves to the address W&B's own Ingress carries: what the install's users reach."""
    from wbinstall.checks.dns.judge import a_record

    lb: IngressAddress = facts["ingress-address"]
    host = inputs.answers.host
    own = tuple(b for b in lb.balancers if b.source.startswith("Ingress "))
    if not own:
        seen = [*lb.notes, *(f"{b.source}: {', '.join((*b.ips, *b.hostnames))}" for b in lb.balancers)]
        return failed(DNS, f"no Ingress for {host} carries a load-balancer address", *seen,
                      remedy="The ingress controller has not published an address for W&B's Ingress: check that "
                             f"its class is served ({_kubectl(inputs, 'get ingress')}; kubectl get ingressclass) "
                             "and that the controller's pods are running.")
    return _as(DNS, a_record({**facts, "ingress-address": replace(lb, balancers=own)}, inputs))


# ----- verify.tls ------------------------------------------------------------------------------

def tls(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    """The ingress presents a trusted certificate for the host, and it is the one in the Secret
    W&B's Ingress names (a controller that cannot load the Secret serves its own default)."""
    from wbinstall.checks.tls.judge import certificate

    installed: InstalledFacts = facts["installed"]
    served = facts["tls"]
    result = _as(TLS, certificate({"tls": served}, inputs))
    secret = installed.tls
    if secret is None or served.leaf is None:
        return result
    mine = f"the certificate in Secret {secret.secret}"
    if secret.trouble is not None:
        return failed(TLS, f"could not compare the served certificate with {mine}: {secret.trouble.detail}",
                      *result.evidence, remedy=f"{_kubectl(inputs, 'get secret ' + secret.secret.split('/')[-1])}: "
                                                "W&B's Ingress names it for TLS; create it (type kubernetes.io/tls) "
                                                "or let the installer create it from ingress.certFile.")
    if served.leaf.sha256 != secret.sha256:
        return failed(TLS, f"the ingress serves {served.leaf.subject} (issued by {served.leaf.issuer}), not {mine} "
                           f"({secret.subject})",
                      *result.evidence, f"Secret {secret.secret}: {secret.subject}, sha256 {secret.sha256[:16]}…",
                      remedy="The ingress controller does not serve the Secret W&B's Ingress names: check spec.tls "
                             f"({_kubectl(inputs, 'get ingress -o yaml')}), that the Secret is in that namespace with "
                             "type kubernetes.io/tls, and the controller's log (it serves its default certificate "
                             "when it cannot load the Secret).")
    return replace(result, evidence=(*result.evidence, f"the same certificate as in Secret {secret.secret}"))


# ----- verify.app ------------------------------------------------------------------------------

def app(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    web: WebFacts = facts["web"]
    host = web.host
    root, health = web.get("GET", "/"), web.get("GET", HEALTH_PATH)
    evidence = [_line(web, x) for x in (root, health) if x is not None]
    if not web.verified:
        evidence.append(f"sent without certificate verification ({web.verify_error}): see verify.tls")
    for x in (root, health):
        if x is None:
            continue
        if x.trouble is not None:
            return failed(APP, f"https://{host}{x.path} did not answer through {web.address}: {x.trouble.detail}",
                          *evidence, remedy=_unreached(web, x, inputs))
        if x.status == 404 and x is root:
            return failed(APP, f"the ingress at {web.address} has no route for {host} (HTTP 404"
                               f"{', ' + x.server if x.server else ''})", *evidence,
                          remedy=f"W&B's Ingress must name the host {host} and the class the controller serves: "
                                 f"{_kubectl(inputs, 'get ingress -o wide')}.")
        if x.status in (502, 503, 504):
            return failed(APP, f"the ingress answered HTTP {x.status} for https://{host}{x.path}: W&B's app is not "
                               "serving behind it", *evidence,
                          remedy=f"Check W&B's pods and Service: {_kubectl(inputs, 'get pods,svc,endpointslices')}; "
                                 f"{_kubectl(inputs, 'logs deploy/wandb-app-bc')}.")
    assert root is not None and health is not None
    if not _answers(root):
        return failed(APP, f"https://{host}/ answered HTTP {root.status} {root.reason}", *evidence,
                      remedy=f"Check W&B's app: {_kubectl(inputs, 'logs deploy/wandb-app-bc')}.")
    if health.status != 200:
        return failed(APP, f"W&B's health endpoint https://{host}{HEALTH_PATH} answered HTTP {health.status} "
                           f"{health.reason}", *evidence,
                      remedy=f"The app is up but not healthy: {_kubectl(inputs, 'logs deploy/wandb-app-bc')} "
                             "(it cannot reach MySQL, Redis or the bucket?).")
    return passed(APP, f"https://{host}/ answers HTTP {root.status} and {HEALTH_PATH} HTTP 200 through the ingress "
                       f"at {web.address}", *evidence)


def _answers(x: Exchange) -> bool:
    # The app's front page, a redirect to its login, or a login challenge: W&B is there.
    return x.status is not None and (200 <= x.status < 400 or x.status in (401, 403))


def _line(web: WebFacts, x: Exchange) -> str:
    what = f"{x.method} https://{web.host}{x.path} via {web.address}"
    if x.method == "POST":
        what += f" ({x.sent / 1e6:.1f} MB of {web.upload_bytes / 1e6:.0f} MB sent)"
    if x.trouble is not None:
        return f"{what}: {x.trouble.detail} after {x.seconds:.1f} s"
    server = f", Server: {x.server}" if x.server else ""
    body = f": {x.body[:80]}" if x.body else ""
    return f"{what}: HTTP {x.status} {x.reason}{server}{body}"


def _unreached(web: WebFacts, x: Exchange, inputs: CheckInputs) -> str:
    assert x.trouble is not None
    if x.trouble.kind == "tls":
        return "The TLS handshake failed: see verify.tls."
    if x.trouble.kind == "timeout":
        return (f"Something at {web.address} accepts connections but does not answer: a firewall or a load "
                "balancer without healthy targets? Check the ingress controller's Service and pods.")
    return (f"Nothing answers at {web.address}: check the ingress controller's LoadBalancer Service "
            "(kubectl get svc -A | grep LoadBalancer) and that checks.tls.address (if set) is its HTTPS port.")


# ----- verify.upload ---------------------------------------------------------------------------

def upload(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    """A 10 MB request body passes the ingress (W&B's artifact and file uploads are larger)."""
    web: WebFacts = facts["web"]
    installed: InstalledFacts = facts["installed"]
    x = web.get("POST", "/")
    assert x is not None
    size = f"{web.upload_bytes / 1e6:.0f} MB"
    evidence = [_line(web, x)]
    if x.status == 413:
        return failed(UPLOAD, f"the ingress refused a {size} request body (HTTP 413"
                              f"{', ' + x.server if x.server else ''}): W&B's large uploads would fail", *evidence,
                      remedy=_body_limit_remedy(installed, inputs))
    if x.trouble is not None:
        if x.trouble.kind == "closed" and x.sent < web.upload_bytes:
            return failed(UPLOAD, f"the connection was closed after {x.sent / 1e6:.1f} MB of a {size} body", *evidence,
                          remedy=_body_limit_remedy(installed, inputs))
        return failed(UPLOAD, f"a {size} upload through {web.address} got no answer: {x.trouble.detail}", *evidence,
                      remedy=_unreached(web, x, inputs))
    if x.status in (502, 503, 504):
        return warned(UPLOAD, f"could not tell whether the ingress takes a {size} body: it answered HTTP {x.status} "
                              "(W&B's app is not serving behind it; see verify.app)", *evidence)
    if x.sent < web.upload_bytes:  # answered from the headers alone: not a size refusal, but say so
        return passed(UPLOAD, f"the ingress did not refuse a {size} request body: HTTP {x.status} came after "
                              f"{x.sent / 1e6:.1f} MB, without reading the rest (413 is a size refusal)", *evidence)
    return passed(UPLOAD, f"the ingress let a {size} request body through (the app answered HTTP {x.status})",
                  *evidence)


def _body_limit_remedy(installed: InstalledFacts, inputs: CheckInputs) -> str:
    from wbinstall.checks.k8s.judge import _known_controller

    known = _known_controller(installed.ingress_controller) if installed.ingress_controller else {}
    if known.get("fix"):
        return " ".join(str(known["fix"]).split())
    if installed.ingress_controller == "k8s.io/ingress-nginx":
        return ("W&B's Ingress must carry nginx.ingress.kubernetes.io/proxy-body-size: \"0\" (the installer renders "
                f"it for class nginx): {_kubectl(inputs, 'get ingress -o yaml')}; or set proxy-body-size: \"0\" in "
                "the controller's ConfigMap.")
    name = f" ({known['name']})" if known.get("name") else ""
    return (f"Raise the request body limit of the proxy in front of W&B{name}, or of any load balancer or WAF before "
            "it, to at least a few GB (or no limit).")


# ----- verify.bucket ---------------------------------------------------------------------------

def bucket(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    """A browser at https://<host> may use the bucket (CORS preflight), and pre-signed PUT and
    GET work from this machine: what W&B's UI and clients do with it."""
    from wbinstall.checks.storage.judge import access, presign
    from wbinstall.checks.storage.judge_cors import cors_check

    first = access(facts, inputs)
    if first.status == "fail":
        return _as(BUCKET, first)
    parts = [presign(facts, inputs), cors_check(facts, inputs)]
    evidence = tuple(dict.fromkeys(e for r in parts for e in r.evidence))
    for status in ("fail", "warn"):
        if bad := [r for r in parts if r.status == status]:
            return replace(bad[0], id=BUCKET, summary="; ".join(r.summary for r in bad), evidence=evidence,
                           remedy="\n".join(r.remedy for r in bad if r.remedy) or None)
    return passed(BUCKET, f"a browser at https://{inputs.answers.host} may upload to the bucket (CORS preflight "
                          "answered), and pre-signed PUT and GET work from this machine", *evidence)


# ----- verify.operator -------------------------------------------------------------------------

def operator(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: InstalledFacts = facts["installed"]
    what = f"WeightsAndBiases {f.namespace}/{f.resource}"
    describe = f"kubectl -n {f.namespace} describe weightsandbiases {f.resource}"
    if f.trouble is not None:
        return failed(OPERATOR, f"could not read {what}: {f.trouble.detail}",
                      remedy="Check the kubeconfig and context in the answers (k8s.connect says more).")
    if not f.found:
        return failed(OPERATOR, f"{what} does not exist", remedy="Install first: wbinstall --answers FILE "
                                                                  "(or the wizard's Deploy step).")
    seen = f"status.phase: {f.phase or '(not set)'}"
    if f.phase == "Completed":
        return passed(OPERATOR, f"the operator reports {what} Completed", seen)
    if f.phase in _FAILED_PHASES:
        return failed(OPERATOR, f"the operator reports {what} {f.phase}", seen,
                      remedy=f"{describe} shows the operator's event saying why; fix the values, then install again.")
    return warned(OPERATOR, f"the operator has not finished with {what} ({seen})", seen,
                  remedy=f"Wait, then run wbinstall verify again; {describe} shows what it is doing.")
