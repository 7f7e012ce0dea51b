"""Judge storage.cors: the bucket's rules let W&B's web UI upload and download from https://<host>,
expose ETag, and a real preflight agrees. Pure.

The rules are what the store promises; the preflight is what a browser actually gets (a proxy or
CDN in front of the store can differ). Both must agree for a pass. Required methods and exposed
headers come from requirements (objectStorage.cors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.result import Result, failed, passed, warned
from wbinstall.checks.storage import cors, remedies
from wbinstall.checks.storage.facts import CorsRule, HttpExchange, StorageFacts
from wbinstall.checks.storage.judge import (
    DENIED_CODES, TRANSPORT_CODES, context_evidence, transport_failure, unsupported,
)

CORS = "storage.cors"
NOT_IMPLEMENTED = {"NotImplemented", "501"}


def cors_check(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: StorageFacts = facts["storage"]
    if not f.supported:
        return unsupported(CORS, f)
    s, req = inputs.answers.storage, inputs.requirements.object_storage.cors
    origin = f.origin or f"https://{inputs.answers.host}"
    refusals = _preflight_refusals(f, origin)
    live = [_exchange_line(x) for x in (*f.preflights, *([f.cors_get] if f.cors_get else []))]
    evidence = context_evidence(f, credentials=False)

    step = f.cors_step
    if step is None or f.cors_rules is None:
        failure = step.failure if step is not None else None
        evidence += [step.describe() if step else "GetBucketCors: not tried", *live]
        if failure is None:
            return failed(CORS, "the bucket's CORS rules were not read", *evidence,
                          remedy="Allow more time with --timeout.")
        if failure.code in NOT_IMPLEMENTED or failure.http_status == 501:
            return _server_wide(f, origin, refusals, evidence, inputs)
        if failure.code == "NoSuchCORSConfiguration":
            return failed(CORS, f"bucket {f.bucket} has no CORS configuration: browsers cannot upload to it from "
                                f"{origin}", *evidence, remedy=remedies.put_cors(s, inputs.answers.host, req))
        if failure.code in DENIED_CODES:
            return failed(CORS, f"cannot read the CORS rules of bucket {f.bucket}: {failure.describe()}", *evidence,
                          remedy=f"W&B reads them too and needs s3:GetBucketCORS. {remedies.grant(s, f.credentials)}")
        if failure.code in TRANSPORT_CODES:
            summary, remedy = transport_failure(failure, f, inputs, what="GetBucketCors")
            return failed(CORS, summary, *evidence, remedy=remedy)
        return failed(CORS, f"reading the CORS rules of bucket {f.bucket} failed: {failure.describe()}", *evidence,
                      remedy=remedies.put_cors(s, inputs.answers.host, req))

    rules = f.cors_rules
    evidence += [_rule_line(i, r) for i, r in enumerate(rules, 1)] or ["the bucket has no CORS rules"]
    evidence += live
    problems = _rule_problems(rules, origin, req.allowed_methods, req.expose_headers)
    if problems:
        return failed(CORS, f"the CORS rules of bucket {f.bucket} {problems[0]}", *evidence,
                      *(f"also: the rules {p}" for p in problems[1:]),
                      remedy=remedies.put_cors(s, inputs.answers.host, req, rules))
    if refusals:
        return failed(CORS, f"the CORS rules of bucket {f.bucket} are right, but the store refused a real preflight: "
                            f"{refusals[0]}", *evidence,
                      remedy=f"Something in front of the store (a proxy, CDN or gateway) answers OPTIONS itself or "
                             f"drops Access-Control-* headers: let them through unchanged to {f.endpoint}. If the "
                             "rules were changed a moment ago, run the check again in a minute.")
    narrower = _narrower_headers(rules, origin, req.allowed_methods, req.allowed_headers)
    if narrower:
        return warned(CORS, f"the CORS rules of bucket {f.bucket} allow fewer request headers than W&B documents "
                            f"({narrower})", *evidence, remedy=remedies.put_cors(s, inputs.answers.host, req, rules))
    unexposed = _not_exposed_live(f, req.expose_headers)
    if unexposed:
        return warned(CORS, f"the rules expose {', '.join(unexposed)}, but the store's answer to a GET with Origin "
                            "did not", *evidence,
                      remedy="Something in front of the store drops Access-Control-Expose-Headers; without ETag "
                             "the browser cannot finish multipart uploads.")
    return passed(CORS, f"CORS allows {', '.join(req.allowed_methods)} from {origin} and exposes "
                        f"{', '.join(req.expose_headers)}; a real preflight agrees", *evidence)


def _server_wide(f: StorageFacts, origin: str, refusals: list[str], evidence: list[str], inputs: CheckInputs) -> Result:
    """A store without bucket CORS (MinIO community): only the live answers can tell."""
    s = inputs.answers.storage
    remedy = remedies.server_wide_cors(s, inputs.answers.host)
    if not f.preflights:
        return failed(CORS, "the store has no bucket CORS (NotImplemented) and no preflight could be sent", *evidence,
                      remedy=remedy)
    if refusals:
        return failed(CORS, f"the store has no bucket CORS (NotImplemented) and refused a preflight from {origin}: "
                            f"{refusals[0]}", *evidence, remedy=remedy)
    etag = [h for h in inputs.requirements.object_storage.cors.expose_headers
            if not any(cors.exposed_in(x, h) for x in _answers(f))]
    seen = "; ETag is not exposed" if etag else ""
    return warned(CORS, f"the store has no bucket CORS (NotImplemented, as MinIO community answers); a real "
                        f"preflight from {origin} was allowed{seen}", *evidence,
                  remedy=f"wbinstall can only try this store's CORS setting, not read it; the preflight went "
                         f"through. To set it, or to narrow it to W&B's origin:\n{remedy}")


def _preflight_refusals(f: StorageFacts, origin: str) -> list[str]:
    out = []
    for x in f.preflights:
        why = cors.preflight_refusal(x, origin, x.preflight_for)
        if why:
            out.append(f"{x.preflight_for}: {why}")
    return out


def _rule_problems(rules: tuple[CorsRule, ...], origin: str, methods: tuple[str, ...],
                   expose: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    for_origin = [r for r in rules if cors.origin_allowed(r, origin)]
    if not for_origin:
        allowed = sorted({o for r in rules for o in r.allowed_origins})
        return [f"allow no request from {origin}" + (f" (allowed origins: {', '.join(allowed)})" if allowed else "")]
    missing = [m for m in methods if not any(cors.method_allowed(r, m) for r in for_origin)]
    if missing:
        problems.append(f"do not allow {', '.join(missing)} from {origin}")
    refused = [m for m in methods if m not in missing and _applied(rules, origin, m) is None]
    if refused:
        headers = sorted({h for m in refused for h in cors.requested_headers(m)})
        problems.append(f"do not allow the header {', '.join(headers)} on {', '.join(refused)} from {origin}")
    for header in expose:
        applied = [_applied(rules, origin, m) for m in methods]
        if any(r is not None and not cors.exposes(r, header) for r in applied):
            problems.append(f"do not expose {header} (ExposeHeaders) to {origin}")
    return problems


def _applied(rules: tuple[CorsRule, ...], origin: str, method: str) -> CorsRule | None:
    """The rule S3 applies to W&B's request with `method` from `origin`."""
    return cors.matching_rule(rules, origin, method, cors.requested_headers(method))


def _narrower_headers(rules: tuple[CorsRule, ...], origin: str, methods: tuple[str, ...],
                      wanted: tuple[str, ...]) -> str:
    """W&B documents AllowedHeaders `*`: an upload rule that allows only some headers may refuse others."""
    if "*" not in wanted:
        return ""
    applied = [_applied(rules, origin, m) for m in methods if cors.requested_headers(m)]
    narrow = [r for r in applied if r is not None and "*" not in r.allowed_headers]
    if not narrow:
        return ""
    return f"AllowedHeaders {', '.join(sorted({h for r in narrow for h in r.allowed_headers}))} instead of *"


def _answers(f: StorageFacts) -> list[HttpExchange]:
    """The live answers that went through: preflights and the GET with Origin."""
    return [x for x in (*f.preflights, *([f.cors_get] if f.cors_get else [])) if x.ok]


def _not_exposed_live(f: StorageFacts, expose: tuple[str, ...]) -> list[str]:
    seen = _answers(f)
    if f.cors_get is None or not f.cors_get.ok:
        return []  # no actual answer to judge by
    return [h for h in expose if not any(cors.exposed_in(x, h) for x in seen)]


def _rule_line(i: int, r: CorsRule) -> str:
    parts = [f"origins {', '.join(r.allowed_origins) or '-'}", f"methods {', '.join(r.allowed_methods) or '-'}",
             f"headers {', '.join(r.allowed_headers) or '-'}", f"expose {', '.join(r.expose_headers) or '-'}"]
    if r.max_age_seconds is not None:
        parts.append(f"max age {r.max_age_seconds}")
    return f"CORS rule {i}: " + "; ".join(parts)


def _exchange_line(x: HttpExchange) -> str:
    headers = "; ".join(f"{k}: {v}" for k, v in x.cors_headers)
    if x.answered and not headers:
        headers = "no Access-Control-* headers"
    return x.describe() + (f"; {headers}" if headers else "")
