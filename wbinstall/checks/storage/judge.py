"""Judge storage.access and storage.presign from what the storage probe saw. Pure.

The judges read neutral failure kinds (facts.py); the provider module (providers/) says which
kind each of its store's error codes is, and writes the remedies in its own tools' terms.
storage.cors is judged in judge_cors.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.result import Result, failed, passed, skipped
from wbinstall.checks.storage import providers
from wbinstall.checks.storage.facts import (
    BAD_CREDENTIALS, CLIENT, CLOCK_SKEW, DENIED, MISMATCH, NO_CREDENTIALS, NOT_FOUND, OUT_OF_TIME, TIMEOUT,
    TLS, UNREACHABLE, WRONG_REGION, Failure, HttpExchange, StorageFacts, Step,
)
from wbinstall.checks.storage.providers.base import Provider

ACCESS = "storage.access"
PRESIGN = "storage.presign"

TRANSPORT_KINDS = {UNREACHABLE, TIMEOUT, TLS, CLIENT, OUT_OF_TIME}


def provider_of(f: StorageFacts) -> Provider | None:
    return providers.get(f.provider) if f.supported else None


def unsupported(check_id: str, f: StorageFacts) -> Result:
    return skipped(check_id, f"not supported by wbinstall's checks for provider {f.provider}",
                   f"bucket {f.bucket}: check it by hand (round trip, presigned URLs, CORS)")


def context_evidence(f: StorageFacts, credentials: bool = True) -> list[str]:
    p = providers.get(f.provider)
    noun = p.noun if p else "bucket"
    where = f"endpoint {f.endpoint}" + (f", region {f.region}" if f.region else "")
    return [f"{noun} {f.bucket} at {where}", *([f"credentials: {f.credentials}"] if credentials else [])]


# -- storage.access --------------------------------------------------------------------------------

def access(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: StorageFacts = facts["storage"]
    p = provider_of(f)
    if p is None:
        return unsupported(ACCESS, f)
    s = inputs.answers.storage
    evidence = [*context_evidence(f), *(step.describe() for step in f.access)]
    if f.step("PutObject"):
        evidence.append(f"test object: {f.object_key}")
    if f.leftover:
        evidence.append(f"could not delete what the check wrote: {', '.join(f.leftover)}")
    cleanup = f"\nRemove what the check left behind:\n{p.remove_objects(s, f.leftover)}" if f.leftover else ""

    bad = [step for step in f.access if not step.ok]
    if bad:
        summary, remedy = _access_failure(p, f, bad, inputs)
        return failed(ACCESS, summary, *evidence, remedy=remedy + cleanup)
    if not f.access:
        return failed(ACCESS, f"the {p.noun} was not tried", *evidence)
    if f.bucket_region:
        evidence.append(f"the store says the bucket is in region {f.bucket_region}")
    if wrong := p.after_round_trip(f):
        return failed(ACCESS, wrong[0], *evidence, remedy=wrong[1])
    return passed(ACCESS, f"{p.noun} {f.bucket} answers: put, get and delete of a test object work", *evidence)


def _access_failure(p: Provider, f: StorageFacts, bad: list[Step], inputs: CheckInputs) -> tuple[str, str]:
    """Summary and remedy for the most telling failure: no answer at all, then bad keys (they also
    explain a bare 403 on HEAD), the region, a missing bucket, the provider's own (KMS), denied
    operations."""
    s = inputs.answers.storage

    def first(wanted: set[str]) -> Step | None:
        return next((step for step in bad if p.kind(step.failure) in wanted), None)

    if step := first(TRANSPORT_KINDS | {NO_CREDENTIALS}):
        return transport_failure(step.failure, f, inputs, what=step.operation)
    if step := first({BAD_CREDENTIALS, CLOCK_SKEW}):
        return p.credentials_failure(step.failure, step.operation, p.kind(step.failure), s)
    if step := first({WRONG_REGION}):
        return p.region_failure(step.failure, step.operation, f)
    if first({NOT_FOUND}):
        return p.not_found(f, s)
    if special := p.access_special(f, bad, s):
        return special
    denied = [step for step in bad if p.kind(step.failure) == DENIED]
    if denied:
        ops = ", ".join(f"{step.operation} ({p.permission(step.operation)})" for step in denied)
        note = p.head_denied_note() if [step.operation for step in denied] == ["HeadBucket"] else ""
        return f"access denied on {p.noun} {f.bucket}: {ops}", f"W&B needs all of these.{note} " + p.grant(
            s, f.credentials)
    if first({MISMATCH}):
        return (f"the test object read back from {f.bucket} differs from what was written",
                "Something between this machine and the store changes object content (a proxy, a gateway, "
                "transparent compression): W&B needs objects returned byte for byte.")
    step = bad[0]
    return (f"{step.operation} on {p.noun} {f.bucket} failed: {step.failure.describe()}",
            "The store refused the request for a reason wbinstall does not recognise: check its logs for it.")


def transport_failure(failure: Failure, f: StorageFacts, inputs: CheckInputs, what: str) -> tuple[str, str]:
    """No usable answer from the store at all: say why, and how to fix the path to it."""
    s = inputs.answers.storage
    p = providers.get(f.provider)
    assert p is not None
    endpoint = p.endpoint_of(f, s)
    kind = p.kind(failure)
    reach = (f"W&B's pods, training hosts and users' browsers reach the {p.noun} directly through presigned "
             "URLs, so this path must work for them as well as for this machine.")
    if kind == NO_CREDENTIALS:
        return p.no_credentials(s)
    if kind == OUT_OF_TIME:
        return (f"{what} not tried: the check ran out of time (the store answered slowly before)",
                f"Allow more time with --timeout, or check why {endpoint} answers slowly.")
    if kind == TIMEOUT:
        return (f"no answer from {endpoint} within {failure.seconds or 0:.1f} s ({what})",
                f"Check that this machine can reach {endpoint} (firewall, proxy: HTTPS_PROXY / NO_PROXY, VPN), "
                f"or allow more time with --timeout. {reach}")
    if kind == TLS:
        return f"TLS with {endpoint} failed: {failure.message}", f"{p.tls_fix(s)} {reach}"
    if kind == UNREACHABLE:
        return f"cannot reach the object store at {endpoint}: {failure.message}", f"{p.unreachable_fix(s)}. {reach}"
    return (f"{what} failed before the store answered: {failure.message}",
            "Check storage.endpoint, storage.region and the credentials in the answers.")


# -- storage.presign -------------------------------------------------------------------------------

def presign(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: StorageFacts = facts["storage"]
    p = provider_of(f)
    if p is None:
        return unsupported(PRESIGN, f)
    s = inputs.answers.storage
    exchanges = [x for x in (f.presigned_put, f.presigned_get) if x is not None]
    evidence = [*context_evidence(f), *(x.describe() for x in exchanges)]
    if f.leftover:
        evidence.append(f"could not delete what the check wrote: {', '.join(f.leftover)}")

    if (failure := f.presign_failure) is not None:
        kind = p.kind(failure)
        if kind in TRANSPORT_KINDS | {NO_CREDENTIALS}:
            summary, remedy = transport_failure(failure, f, inputs, what="signing the URLs")
        else:
            summary, remedy = p.signing_failure(failure, s)
        return failed(PRESIGN, summary, *evidence, remedy=remedy)
    for label, x in (("PUT", f.presigned_put), ("GET", f.presigned_get)):
        if x is None:
            return failed(PRESIGN, f"presigned {label} not tried: the check ran out of time", *evidence,
                          remedy="Allow more time with --timeout.")
        if not x.ok:
            return failed(PRESIGN, _presign_summary(label, x), *evidence, remedy=_presign_remedy(p, label, x, f, s))
    return passed(PRESIGN, "a presigned PUT and GET work over plain HTTP, as W&B's clients use them", *evidence)


def _presign_summary(label: str, x: HttpExchange) -> str:
    if x.failure is not None:
        return f"presigned {label} got no answer: {x.failure.describe()}"
    if x.body_matches is False:
        return f"presigned {label} returned other bytes than were uploaded"
    code = f" {x.error_code}" if x.error_code else ""
    message = f": {x.error_message}" if x.error_message else ""
    return f"presigned {label} refused: HTTP {x.status}{code}{message}"


def _presign_remedy(p: Provider, label: str, x: HttpExchange, f: StorageFacts, s: Any) -> str:
    reach = ("Presigned URLs are W&B's only way to the bucket: W&B's pods, training hosts and users' browsers "
             f"must all reach {f.endpoint} directly.")
    if x.failure is not None:
        return f"{reach} Check firewalls, proxies and DNS between them and the store."
    if own := p.presign_remedy(label, x, f, s):
        return own
    kind = p.exchange_kind(x)
    if kind == CLOCK_SKEW:
        return "Synchronise this machine's clock (NTP): presigned URLs are only valid within their time window."
    if kind in (DENIED, BAD_CREDENTIALS):
        operation = "PutObject" if label == "PUT" else "GetObject"
        return (f"The identity that signs the URLs needs {p.permission(operation)} on {p.noun} {f.bucket}. "
                f"{p.grant(s, f.credentials)}")
    if x.body_matches is False:
        return "Something between this machine and the store changes object content: W&B needs it byte for byte."
    return f"The store refused the presigned {label}: check its logs for this request. {reach}"

