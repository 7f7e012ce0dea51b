"""Judge tls.certificate from what the handshakes said and what the server sent. Pure: "now"
comes from the facts; thresholds from requirements (network.tls)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.durations import days_or_hours as _days
from wbinstall.checks.result import Result, failed, passed, warned
from wbinstall.checks.tls.facts import Cert, TlsFacts, Verification

CHECK_ID = "tls.certificate"

# OpenSSL X509_V_ERR_* codes the judge tells apart.
UNABLE_TO_GET_ISSUER, NOT_YET_VALID, EXPIRED = 2, 9, 10
SELF_SIGNED_LEAF, SELF_SIGNED_IN_CHAIN, UNKNOWN_ISSUER, HOSTNAME_MISMATCH = 18, 19, 20, 62
# OpenSSL checks the host name and the dates only once the chain reached a trusted anchor, so a
# refusal with one of these codes still means "the chain is trusted by this store".
_CHAIN_WAS_TRUSTED = {NOT_YET_VALID, EXPIRED, HOSTNAME_MISMATCH}

_CA_INJECTION = ("If you keep it, every client must trust its CA: the operator's customCACerts, the app's "
                 "global.customCACerts (or caCertsConfigMap), and each machine running the wandb SDK "
                 "(REQUESTS_CA_BUNDLE).")


def hostname_matches(host: str, names: tuple[str, ...]) -> bool:
    """RFC 6125 as browsers apply it: exact, or a wildcard that is the whole leftmost label and
    stands for exactly one label ("*.example.com" matches a.example.com, not example.com nor
    a.b.example.com); no partial wildcards ("w*.example.com"), none over a bare TLD ("*.com")."""
    host = host.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "*" not in name[2:] and name.count(".") >= 2:
            first, _, rest = host.partition(".")
            if first and rest == name[2:]:
                return True
    return False


def certificate(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: TlsFacts = facts["tls"]
    if f.ca_bundle_error:
        return failed(CHECK_ID, "checks.tls.caBundle could not be loaded", f.ca_bundle_error,
                      remedy="Give a PEM file with the CA certificate(s) to trust, or remove checks.tls.caBundle.")
    if f.error is not None:
        return _unreachable(f)
    leaf = f.leaf
    if leaf is None:
        return failed(CHECK_ID, f"{f.address} completed the TLS handshake but sent no certificate",
                      f"{f.address} (SNI {f.server_name}), {f.tls_version}")

    req = inputs.requirements.network.tls
    evidence = _evidence(f, leaf)
    problems: list[tuple[str, str]] = []  # (summary, remedy): each one fails the check
    notes: list[tuple[str, str]] = []  # each one warns
    codes = {v.verify_code for v in (f.system, f.with_bundle) if v and v.verify_code is not None}
    host = f.server_name

    problems += _date_problems(f, codes, host)
    if HOSTNAME_MISMATCH in codes or not hostname_matches(host, leaf.dns_names):
        names = ", ".join(leaf.dns_names) or "no DNS names (no subjectAltName)"
        problems.append((f"certificate is for {names}, not {host}",
                         f"Issue a certificate whose subjectAltName includes {host} "
                         f"(or *.{host.split('.', 1)[1]})."))
    missing = _missing_intermediates(f)
    if missing:
        sent = "only its own certificate" if len(f.served) == 1 else _count(len(f.served))
        problems.append((f"incomplete chain: serve the intermediate {', '.join(c.subject for c in missing)} "
                         f"(the server sends {sent})",
                         "Serve the full chain: the certificate in the TLS secret (tls.crt / ingress.certFile) must "
                         "be the leaf followed by its intermediate(s), e.g. "
                         "cat leaf.crt intermediate.crt > fullchain.crt."))

    trust = _trust(f)
    if trust == "untrusted":
        problems.append(_untrusted(f, leaf))
    elif trust in ("self-signed-untrusted", "private-root-untrusted"):
        problems.append(_untrusted_self_signed(f, trust))
    elif trust != "public" and not missing:  # a public CA's chain completed from the caBundle is not "private"
        what = {
            "private": f"certificate from a private CA ({leaf.issuer}), trusted only with checks.tls.caBundle",
            "self-signed": "self-signed certificate",
            "private-root-served": f"certificate from a private CA: the server sends its root ({f.served[-1].subject})",
        }[trust]
        notes.append((f"{what}: {req.self_signed_or_private_ca}",
                      f"Self-signed certificates and private CAs are {req.self_signed_or_private_ca}; prefer one "
                      "from a public CA (e.g. cert-manager with Let's Encrypt). " + _CA_INJECTION))

    left = leaf.not_after - f.now
    if not problems and left < dt.timedelta(days=req.expiry_warning_days):
        notes.append((f"certificate expires on {_date(leaf.not_after)}, in {_days(left)}",
                      f"Renew the certificate for {host} before {_date(leaf.not_after)} (warning from "
                      f"{req.expiry_warning_days} days before expiry)."))

    if problems:
        evidence += [f"also: {summary}" for summary, _ in notes]
        return failed(CHECK_ID, "; ".join(s for s, _ in problems), *evidence,
                      remedy="\n".join(dict.fromkeys(r for _, r in problems)))
    if notes:
        return warned(CHECK_ID, "; ".join(s for s, _ in notes), *evidence, remedy="\n".join(r for _, r in notes))
    return passed(CHECK_ID, f"valid certificate for {host}, publicly trusted, expires {_date(leaf.not_after)} "
                            f"(in {_days(left)})", *evidence)


def _trust(f: TlsFacts) -> str:
    """public | private (caBundle needed) | self-signed (trusted via the caBundle) |
    self-signed-untrusted | private-root-untrusted (the server sends a root nobody trusts) | untrusted."""
    leaf = f.leaf
    if _chain_trusted(f.system):
        return "public"
    if _chain_trusted(f.with_bundle):
        return "self-signed" if leaf.self_signed else "private"
    if leaf.self_signed or (f.system and f.system.verify_code == SELF_SIGNED_LEAF):
        return "self-signed-untrusted"
    if (f.system and f.system.verify_code == SELF_SIGNED_IN_CHAIN) or (len(f.served) > 1 and f.served[-1].self_signed):
        return "private-root-untrusted"
    return "untrusted"


def _untrusted_self_signed(f: TlsFacts, trust: str) -> tuple[str, str]:
    stores = "neither the system trust store nor checks.tls.caBundle trusts it" if f.with_bundle else \
        "the system trust store does not trust it" + ("" if f.ca_bundle else " and no checks.tls.caBundle is given")
    if trust == "self-signed-untrusted":
        what = f"self-signed certificate not trusted: {stores}"
        mine = "this certificate's own PEM file"
    else:
        what = f"certificate from a private CA not trusted: the server sends its root ({f.served[-1].subject}), and {stores}"
        mine = "that CA's PEM file"
    return (what, f"Browsers and the wandb SDK will refuse it. Serve a certificate for {f.server_name} from a public "
                  f"CA (e.g. cert-manager with Let's Encrypt); or, if it is yours and you accept the extra work, set "
                  f"checks.tls.caBundle to {mine} to check the rest (self-signed certificates and private CAs are "
                  "not recommended). " + _CA_INJECTION)


def _role(f: TlsFacts, index: int) -> str:
    cert = f.served[index]
    if index == 0:
        return "leaf"
    return "root" if cert.self_signed else "intermediate"


def _place(f: TlsFacts, index: int) -> str:
    return f"certificate {index + 1} of {len(f.served)} the server sends"


def _date_problems(f: TlsFacts, codes: set[int], host: str) -> list[tuple[str, str]]:
    """Each certificate whose own dates are wrong, named by subject and place in the chain: an
    expired intermediate is not an expired leaf, and the fix is different."""
    found: list[tuple[str, str]] = []
    for i, c in enumerate(f.served):
        role = _role(f, i)
        if f.now < c.not_before:
            if i == 0:
                found.append((f"certificate not valid before {_date(c.not_before)}",
                              f"Check the issuing system's clock and reissue the certificate for {host}."))
            else:
                found.append((f"the {role} certificate {c.subject} ({_place(f, i)}) is not valid before "
                              f"{_date(c.not_before)} (valid {_date(c.not_before)} to {_date(c.not_after)})",
                              f"Serve the {role} certificate that is valid now: get the current one from the CA "
                              f"({c.issuer}) and rebuild the chain (leaf first)."))
        if f.now > c.not_after:
            if i == 0:
                found.append((f"certificate expired on {_date(c.not_after)}",
                              f"Renew the certificate for {host} and update the ingress TLS secret with it."))
            else:
                published = f" (published at {f.served[i - 1].ca_issuers[0]})" if f.served[i - 1].ca_issuers else ""
                found.append((f"the {role} certificate {c.subject} ({_place(f, i)}) expired on {_date(c.not_after)}; "
                              f"the leaf is valid until {_date(f.served[0].not_after)}",
                              f"Replace the expired {role} {c.subject} in the served chain with its current version "
                              f"from the CA{published}: the TLS secret (tls.crt / ingress.certFile) must be the leaf "
                              "followed by the current intermediate(s). The leaf itself need not change."))
    if not found:
        # OpenSSL saw a date problem in a certificate the server does not send (a root in a store).
        if EXPIRED in codes:
            found.append(("a CA certificate in the trust path (not one the server sends) has expired",
                          "Update the trust store or checks.tls.caBundle with the CA's current root certificate."))
        elif NOT_YET_VALID in codes:
            found.append(("a CA certificate in the trust path (not one the server sends) is not valid yet",
                          "Check this machine's clock, and the CA certificates in checks.tls.caBundle."))
    return found


def _chain_trusted(v: Verification | None) -> bool:
    return v is not None and (v.ok or v.verify_code in _CHAIN_WAS_TRUSTED)


def _missing_intermediates(f: TlsFacts) -> list[Cert]:
    """CA certificates a verified chain needed that the server did not send (roots excepted:
    clients have those). Found when the system store or the caBundle holds the intermediate."""
    sent = {c.sha256 for c in f.served}
    for v in (f.system, f.with_bundle):
        if v is not None and v.ok:
            return [c for c in v.chain[1:] if not c.self_signed and c.sha256 not in sent]
    return []


def _untrusted(f: TlsFacts, leaf: Cert) -> tuple[str, str]:
    v = f.with_bundle or f.system
    stores = "neither the system trust store nor checks.tls.caBundle knows" if f.with_bundle else \
        "the system trust store does not know"
    said = f"{v.verify_code} {v.verify_message}" if v and v.verify_code is not None else "verification failed"
    if v and v.verify_code in (UNKNOWN_ISSUER, UNABLE_TO_GET_ISSUER):
        top = f.served[-1]
        sent = "only its own certificate" if len(f.served) == 1 else f"{_count(len(f.served))}"
        published = f" (published at {top.ca_issuers[0]})" if top.ca_issuers else ""
        return (f"certificate not trusted ({said}): the server sends {sent}, issued by {top.issuer}, which {stores}",
                f"If {top.issuer} is an intermediate of a public CA, the chain is incomplete: serve the leaf followed "
                f"by that intermediate{published} in the TLS secret. If it is your organisation's CA, set "
                "checks.tls.caBundle to its PEM file to check the rest (private CAs are not recommended).")
    return (f"certificate not trusted ({said})",
            f"Serve a certificate for {f.server_name} from a public CA, with its full chain.")


def _unreachable(f: TlsFacts) -> Result:
    e = f.error
    if e.kind == "files":
        return failed(CHECK_ID, "ingress.certFile and ingress.keyFile cannot be served", e.message,
                      f"ingress.certFile: {f.cert_file}", remedy=(
                          "Give the certificate chain (leaf first) in ingress.certFile and its own private key in "
                          "ingress.keyFile: openssl x509 -noout -pubkey -in CERT and openssl pkey -pubout -in KEY "
                          "print the same key."))
    target = f"{f.address} (SNI {f.server_name})"
    hint = {
        "refused": "Check that the ingress controller's load balancer listens on that port"
                   " (or set checks.tls.address to HOST:PORT).",
        "timeout": "Check firewalls and security groups between this machine and the load balancer, and that it"
                   " serves TLS on that port.",
        "unresolvable": "Fix the DNS record first (see dns.a-record), or set checks.tls.address to the load"
                        " balancer's HOST:PORT.",
        "unreachable": "Check the address (checks.tls.address, HOST:PORT) and the network route to it.",
        "not-tls": "Point checks.tls.address at the HTTPS port (443) and make the ingress terminate TLS for the host.",
        "handshake": "Check the ingress TLS configuration: a TLS secret for the host, TLS 1.2 or newer.",
    }[e.kind]
    summary = {"refused": "nothing listening", "timeout": "no answer", "unresolvable": "host name does not resolve",
               "unreachable": "cannot connect", "not-tls": "not a TLS endpoint",
               "handshake": "TLS handshake failed"}[e.kind]
    return failed(CHECK_ID, f"{summary} at {f.address}", e.message, f"connecting to {target}", remedy=hint)


def _evidence(f: TlsFacts, leaf: Cert) -> list[str]:
    names = [*(f"DNS:{n}" for n in leaf.dns_names), *(f"IP:{a}" for a in leaf.ip_addresses)]
    left = leaf.not_after - f.now
    when = f"{_days(left)} left" if left >= dt.timedelta(0) else f"expired {_days(-left)} ago"
    lines = [
        f"subject: {leaf.subject}",
        f"issuer: {leaf.issuer}",
        f"subjectAltName: {', '.join(names) or 'none'}",
        *([f"issuer certificate published at: {', '.join(leaf.ca_issuers)}"] if leaf.ca_issuers else []),
        f"notBefore: {_date(leaf.not_before)}, notAfter: {_date(leaf.not_after)} ({when})",
        f"served chain: {_count(len(f.served))}" + ("" if len(f.served) < 2 else
                                                     ": " + " <- ".join(_short_name(c) for c in f.served)),
        *(f"certificate {i + 1} ({_role(f, i)}): subject {c.subject}, issuer {c.issuer}, "
          f"notBefore {_date(c.not_before)}, notAfter {_date(c.not_after)}{_when(c, f.now)}"
          for i, c in enumerate(f.served) if i > 0),
    ]
    for v in (f.system, f.with_bundle):
        if v is None:
            continue
        store = f"system trust store ({f.system_store})" if v.trust == "system" and f.system_store else \
            "system trust store" if v.trust == "system" else f"system trust store + caBundle {f.ca_bundle}"
        lines.append(f"verified with the {store}: " +
                     ("ok" if v.ok else f"refused, {v.verify_code} {v.verify_message}"))
    if f.cert_file:  # before the install: the files, served on loopback (see the probe)
        lines.append(f"ingress.certFile {f.cert_file}: the certificate the install puts in the TLS Secret, "
                     f"checked as a client would (SNI {f.server_name}), served here before the ingress has it")
    else:
        lines.append(f"connected to {f.address} (SNI {f.server_name}), {f.tls_version}".rstrip(", "))
    return lines


def _when(cert: Cert, now: dt.datetime) -> str:
    if now > cert.not_after:
        return f" (expired {_days(now - cert.not_after)} ago)"
    if now < cert.not_before:
        return " (not valid yet)"
    return ""


def _short_name(cert: Cert) -> str:
    return cert.subject.split(",")[0] if cert.subject else "(no subject)"


def _count(n: int) -> str:
    return f"{n} certificate" + ("" if n == 1 else "s")


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")
