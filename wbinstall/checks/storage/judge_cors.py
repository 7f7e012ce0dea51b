"""Judge storage.cors: the bucket's rules let W&B's web UI upload and download from https://<host>,
expose ETag, and a real preflight agrees. Pure.

The rules are what the store promises; the preflight is what a browser actually gets (a proxy or
CDN in front of the store can differ). Both must agree for a pass. Required methods and exposed
headers come from requirements (objectStorage.cors); how a rule matches is the provider's
(providers/: S3 wildcards, Azure's header prefixes, GCS's responseHeader).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.result import Result, failed, passed, warned
from wbinstall.checks.storage import cors
from wbinstall.checks.storage.facts import CORS_NOT_SET, CORS_UNSUPPORTED, DENIED, CorsRule, HttpExchange, StorageFacts
from wbinstall.checks.storage.judge import TRANSPORT_KINDS, context_evidence, provider_of, transport_failure, unsupported
from wbinstall.checks.storage.providers.base import Provider

CORS = "storage.cors"


def cors_check(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: StorageFacts = facts["storage"]
    p = provider_of(f)
    if p is None:
        return unsupported(CORS, f)
    s, req, host = inputs.answers.storage, inputs.requirements.object_storage.cors, inputs.answers.host
    origin = f.origin or f"https://{host}"
    # An endpoint that answers no preflight at all (an emulator) cannot confirm or refute the rules.
    unconfirmed = [x for x in f.preflights if p.preflight_unsupported(x)]
    refusals = _preflight_refusals(p, f, origin)
    live = [_exchange_line(x) for x in (*f.preflights, *([f.cors_get] if f.cors_get else []))]
    evidence = context_evidence(f, credentials=False)
    owner = p.rules_owner(f, s)

    step = f.cors_step
    if step is None or f.cors_rules is None:
        failure = step.failure if step is not None else None
        evidence += [step.describe() if step else "GetBucketCors: not tried", *live]
        if failure is None:
            return failed(CORS, f"the {p.noun}'s CORS rules were not read", *evidence,
                          remedy="Allow more time with --timeout.")
        kind = p.cors_read_kind(failure)
        if kind == CORS_UNSUPPORTED:
            return _server_wide(p, f, origin, refusals, evidence, inputs)
        if kind == CORS_NOT_SET:
            return failed(CORS, f"{owner} has no CORS configuration: browsers cannot upload to it from "
                                f"{origin}", *evidence, remedy=p.put_cors(s, host, req))
        if kind == DENIED:
            return _rules_unreadable(p, f, failure, origin, refusals, evidence, inputs)
        if kind in TRANSPORT_KINDS:
            summary, remedy = transport_failure(failure, f, inputs, what="GetBucketCors")
            return failed(CORS, summary, *evidence, remedy=remedy)
        return failed(CORS, f"reading the CORS rules of {owner} failed: {failure.describe()}", *evidence,
                      remedy=p.put_cors(s, host, req))

    rules = f.cors_rules
    evidence += [p.cors_rule_line(i, r) for i, r in enumerate(rules, 1)] or [f"{owner} has no CORS rules"]
    evidence += live
    problems = _rule_problems(p, rules, origin, req.allowed_methods, req.expose_headers)
    if problems:
        note = p.expose_note(rules) if any("do not expose" in x for x in problems) else ""
        return failed(CORS, f"the CORS rules of {owner} {problems[0]}", *evidence,
                      *(f"also: the rules {x}" for x in problems[1:]), *([note] if note else []),
                      remedy=p.put_cors(s, host, req, rules))
    if unconfirmed:
        evidence.append(f"a real preflight could not confirm the rules: {p.endpoint_of(f, s)} answers no CORS "
                        f"preflight (HTTP {unconfirmed[0].status}), as an emulator does")
        refusals = _preflight_refusals(p, f, origin, skip=unconfirmed)
    if refusals:
        return failed(CORS, f"the CORS rules of {owner} are right, but the store refused a real "
                            f"preflight: {refusals[0]}", *evidence,
                      remedy=f"Something in front of the store (a proxy, CDN or gateway) answers OPTIONS itself or "
                             f"drops Access-Control-* headers: let them through unchanged to {f.endpoint}. If the "
                             "rules were changed a moment ago, run the check again in a minute.")
    narrower = _narrower_headers(p, rules, origin, req.allowed_methods, req.allowed_headers) \
        if p.WARN_NARROW_HEADERS else ""
    if narrower:
        return warned(CORS, f"the CORS rules of {owner} allow fewer request headers than W&B documents "
                            f"({narrower})", *evidence, remedy=p.put_cors(s, host, req, rules))
    # An endpoint without preflights (an emulator) sends no CORS headers on a GET either.
    unexposed = [] if unconfirmed else _not_exposed_live(f, req.expose_headers)
    if unexposed:
        return warned(CORS, f"the rules expose {', '.join(unexposed)}, but the store's answer to a GET with Origin "
                            "did not", *evidence,
                      remedy="Something in front of the store drops Access-Control-Expose-Headers; without ETag "
                             "the browser cannot finish multipart uploads.")
    agrees = "the preflight could not be confirmed here" if unconfirmed else "a real preflight agrees"
    return passed(CORS, f"CORS allows {', '.join(req.allowed_methods)} from {origin} and exposes "
                        f"{', '.join(req.expose_headers)}; {agrees}", *evidence)


def _server_wide(p: Provider, f: StorageFacts, origin: str, refusals: list[str], evidence: list[str],
                 inputs: CheckInputs) -> Result:
    """A store without bucket CORS (MinIO community): only the live answers can tell."""
    remedy = p.cors_unsupported(inputs.answers.storage, inputs.answers.host)
    if not f.preflights:
        return failed(CORS, "the store has no bucket CORS (NotImplemented) and no preflight could be sent", *evidence,
                      remedy=remedy)
    if refusals:
        return failed(CORS, f"the store has no bucket CORS (NotImplemented) and refused a preflight from {origin}: "
                            f"{refusals[0]}", *evidence, remedy=remedy)
    seen = "; ETag is not exposed" if _unexposed(f, inputs) else ""
    return warned(CORS, f"the store has no bucket CORS (NotImplemented, as MinIO community answers); a real "
                        f"preflight from {origin} was allowed{seen}", *evidence,
                  remedy=f"wbinstall can only try this store's CORS setting, not read it; the preflight went "
                         f"through. To set it, or to narrow it to W&B's origin:\n{remedy}")


def _rules_unreadable(p: Provider, f: StorageFacts, failure: Any, origin: str, refusals: list[str],
                      evidence: list[str], inputs: CheckInputs) -> Result:
    """Reading the rules was denied. Where W&B reads them itself (S3, GCS) that alone fails; where
    only account-level rights can (Azure's Blob service properties), the preflight decides."""
    s, host, req = inputs.answers.storage, inputs.answers.host, inputs.requirements.object_storage.cors
    summary = f"cannot read the CORS rules of {p.rules_owner(f, s)}: {failure.describe()}"
    why = p.cors_read_denied(s, f.credentials)
    if p.WANDB_READS_CORS:
        return failed(CORS, summary, *evidence, remedy=why)
    if not f.preflights:
        return failed(CORS, f"{summary}, and no preflight could be sent", *evidence, remedy=why)
    if refusals:
        return failed(CORS, f"{summary}, and the store refused a real preflight from {origin}: {refusals[0]}",
                      *evidence, remedy=f"{p.put_cors(s, host, req)}\n{why}")
    seen = "; ETag is not exposed" if _unexposed(f, inputs) else ""
    return warned(CORS, f"{summary}; a real preflight from {origin} was allowed{seen}", *evidence,
                  remedy=f"The rules themselves could not be checked. {why}")


def _unexposed(f: StorageFacts, inputs: CheckInputs) -> list[str]:
    return [h for h in inputs.requirements.object_storage.cors.expose_headers
            if not any(cors.exposed_in(x, h) for x in _answers(f))]


def _preflight_refusals(p: Provider, f: StorageFacts, origin: str,
                        skip: list[HttpExchange] | None = None) -> list[str]:
    out = []
    for x in f.preflights:
        if skip and x in skip:
            continue
        why = cors.preflight_refusal(x, origin, x.preflight_for, p.requested_headers)
        if why:
            out.append(f"{x.preflight_for}: {why}")
    return out


def _rule_problems(p: Provider, rules: tuple[CorsRule, ...], origin: str, methods: tuple[str, ...],
                   expose: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    for_origin = [r for r in rules if p.origin_allowed(r, origin)]
    if not for_origin:
        allowed = sorted({o for r in rules for o in r.allowed_origins})
        return [f"allow no request from {origin}" + (f" (allowed origins: {', '.join(allowed)})" if allowed else "")]
    missing = [m for m in methods if not any(p.method_allowed(r, m) for r in for_origin)]
    if missing:
        problems.append(f"do not allow {', '.join(missing)} from {origin}")
    refused = [m for m in methods if m not in missing and p.matching_rule(rules, origin, m) is None]
    if refused:
        headers = sorted({h for m in refused for h in p.requested_headers(m)})
        problems.append(f"do not allow the header {', '.join(headers)} on {', '.join(refused)} from {origin}")
    for header in expose:
        applied = [p.matching_rule(rules, origin, m) for m in methods]
        if any(r is not None and not p.exposes(r, header) for r in applied):
            problems.append(f"do not expose {header} ({p.expose_field()}) to {origin}")
    return problems


def _narrower_headers(p: Provider, rules: tuple[CorsRule, ...], origin: str, methods: tuple[str, ...],
                      wanted: tuple[str, ...]) -> str:
    """W&B documents AllowedHeaders `*`: an upload rule that allows only some headers may refuse others."""
    if "*" not in wanted:
        return ""
    applied = [p.matching_rule(rules, origin, m) for m in methods if p.requested_headers(m)]
    narrow = [r for r in applied if r is not None and "*" not in r.allowed_headers]
    if not narrow:
        return ""
    return (f"{p.allowed_headers_field()} {', '.join(sorted({h for r in narrow for h in r.allowed_headers}))} "
            "instead of *")


def _answers(f: StorageFacts) -> list[HttpExchange]:
    """The live answers that went through: preflights and the GET with Origin."""
    return [x for x in (*f.preflights, *([f.cors_get] if f.cors_get else [])) if x.ok]


def _not_exposed_live(f: StorageFacts, expose: tuple[str, ...]) -> list[str]:
    seen = _answers(f)
    if f.cors_get is None or not f.cors_get.ok:
        return []  # no actual answer to judge by
    return [h for h in expose if not any(cors.exposed_in(x, h) for x in seen)]


def _exchange_line(x: HttpExchange) -> str:
    headers = "; ".join(f"{k}: {v}" for k, v in x.cors_headers)
    if x.answered and not headers:
        headers = "no Access-Control-* headers"
    return x.describe() + (f"; {headers}" if headers else "")
