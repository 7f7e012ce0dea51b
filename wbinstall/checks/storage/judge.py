"""Judge storage.access and storage.presign from what the storage probe saw. Pure.

storage.cors is judged in judge_cors.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wbinstall.checks.context import CheckInputs
from wbinstall.checks.result import Result, failed, passed, skipped
from wbinstall.checks.storage import remedies
from wbinstall.checks.storage.facts import (
    CLIENT, MISMATCH, NO_CREDENTIALS, OUT_OF_TIME, TIMEOUT, TLS, UNREACHABLE, Failure, HttpExchange, StorageFacts, Step,
)

ACCESS = "storage.access"
PRESIGN = "storage.presign"

# Store error codes that say the keys themselves are wrong (they also explain a bare 403 on HEAD).
CREDENTIAL_CODES = {
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired",
    "InvalidSecurity", "RequestTimeTooSkewed", "InvalidClientTokenId",
}
REGION_CODES = {"PermanentRedirect", "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError",
                "IllegalLocationConstraintException"}
DENIED_CODES = {"AccessDenied", "AllAccessDisabled", "Forbidden", "403"}
TRANSPORT_CODES = {UNREACHABLE, TIMEOUT, TLS, CLIENT, OUT_OF_TIME}


def unsupported(check_id: str, f: StorageFacts) -> Result:
    return skipped(check_id, f"not yet supported by wbinstall's checks for provider {f.provider}",
                   f"bucket {f.bucket}: check it by hand (round trip, presigned URLs, CORS)")


def context_evidence(f: StorageFacts, credentials: bool = True) -> list[str]:
    where = f"endpoint {f.endpoint}" + (f", region {f.region}" if f.region else "")
    return [f"bucket {f.bucket} at {where}", *([f"credentials: {f.credentials}"] if credentials else [])]


# -- storage.access --------------------------------------------------------------------------------

def access(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: StorageFacts = facts["storage"]
    if not f.supported:
        return unsupported(ACCESS, f)
    s = inputs.answers.storage
    evidence = [*context_evidence(f), *(step.describe() for step in f.access)]
    if f.step("PutObject"):
        evidence.append(f"test object: {f.object_key}")
    if f.leftover:
        evidence.append(f"could not delete what the check wrote: {', '.join(f.leftover)}")
    cleanup = f"\nRemove what the check left behind:\n{remedies.remove_objects(s, f.leftover)}" if f.leftover else ""

    bad = [step for step in f.access if not step.ok]
    if bad:
        summary, remedy = _access_failure(f, bad, inputs)
        return failed(ACCESS, summary, *evidence, remedy=remedy + cleanup)
    if not f.access:
        return failed(ACCESS, "the bucket was not tried", *evidence)
    if f.bucket_region:
        evidence.append(f"the store says the bucket is in region {f.bucket_region}")
    if f.provider == "s3" and f.bucket_region and f.region and f.bucket_region != f.region:
        return failed(ACCESS, f"bucket {f.bucket} is in region {f.bucket_region}, but storage.region is {f.region}",
                      *evidence, remedy=f"Set storage.region: {f.bucket_region} (W&B signs its URLs for that region).")
    return passed(ACCESS, f"bucket {f.bucket} answers: put, get and delete of a test object work", *evidence)


def _access_failure(f: StorageFacts, bad: list[Step], inputs: CheckInputs) -> tuple[str, str]:
    """Summary and remedy for the most telling failure: no answer at all, then bad keys (they also
    explain a bare 403 on HEAD), the region, a missing bucket, KMS, denied operations."""
    s = inputs.answers.storage
    codes = {step.failure.code for step in bad if step.failure}

    def first(wanted: set[str]) -> Step | None:
        return next((step for step in bad if step.failure and step.failure.code in wanted), None)

    if step := first(TRANSPORT_CODES | {NO_CREDENTIALS}):
        return transport_failure(step.failure, f, inputs, what=step.operation)
    if step := first(CREDENTIAL_CODES):
        return credentials_failure(step.failure, step.operation, inputs)
    if step := first(REGION_CODES):
        return region_failure(step.failure, step.operation, f)
    if "NoSuchBucket" in codes:
        where = f"region {f.region}" if f.provider == "s3" else f.endpoint
        return f"bucket {f.bucket} does not exist at {where}", remedies.create_bucket(s)
    kms = first({c for c in codes if c.startswith("KMS.")})
    put = f.step("PutObject")
    if kms is None and s.kms_key and put is not None and put.failure and put.failure.code in DENIED_CODES:
        kms = put  # with SSE-KMS, a denied put is most often the key's policy
    if kms is not None:
        return (f"{kms.operation} with KMS key {s.kms_key} failed: {kms.failure.describe()}",
                "The identity needs the KMS key's permissions as well as the bucket's. "
                + remedies.grant(s, f.credentials))
    denied = [step for step in bad if step.failure and step.failure.code in DENIED_CODES]
    if denied:
        ops = ", ".join(f"{step.operation} ({remedies.OPERATION_ACTIONS[step.operation]})" for step in denied)
        note = ""
        if [step.operation for step in denied] == ["HeadBucket"]:
            note = " A HEAD answer has no body, so a bare 403 can also mean the bucket belongs to another account."
        return f"access denied on bucket {f.bucket}: {ops}", f"W&B needs all of these.{note} " + remedies.grant(
            s, f.credentials)
    if step := first({MISMATCH}):
        return (f"the test object read back from {f.bucket} differs from what was written",
                "Something between this machine and the store changes object content (a proxy, a gateway, "
                "transparent compression): W&B needs objects returned byte for byte.")
    step = bad[0]
    return (f"{step.operation} on bucket {f.bucket} failed: {step.failure.describe()}",
            "The store refused the request for a reason wbinstall does not recognise: check its logs for it.")


def transport_failure(failure: Failure, f: StorageFacts, inputs: CheckInputs, what: str) -> tuple[str, str]:
    """No usable answer from the store at all: say why, and how to fix the path to it."""
    s = inputs.answers.storage
    endpoint = f.endpoint or s.endpoint or "the store"
    reach = ("W&B's pods, training hosts and users' browsers reach the bucket directly through presigned "
             "URLs, so this path must work for them as well as for this machine.")
    if failure.code == NO_CREDENTIALS:
        return ("no credentials: storage.accessKey/secretKey are not set and the default AWS chain found none",
                "Set storage.accessKey and storage.secretKey (as {env: VARIABLE} or {file: PATH}), or run the "
                "check where an AWS profile, environment variables or an instance role give access to "
                f"bucket {s.bucket}. W&B's pods use their own identity (node role or IRSA), not this machine's.")
    if failure.code == OUT_OF_TIME:
        return (f"{what} not tried: the check ran out of time (the store answered slowly before)",
                f"Allow more time with --timeout, or check why {endpoint} answers slowly.")
    if failure.code == TIMEOUT:
        return (f"no answer from {endpoint} within {failure.seconds or 0:.1f} s ({what})",
                f"Check that this machine can reach {endpoint} (firewall, proxy: HTTPS_PROXY / NO_PROXY, VPN), "
                f"or allow more time with --timeout. {reach}")
    if failure.code == TLS:
        return (f"TLS with {endpoint} failed: {failure.message}",
                "If the store's certificate comes from a private CA, point AWS_CA_BUNDLE at that CA for this "
                "check and give W&B the same CA (operator customCACerts); otherwise fix the certificate "
                f"(it must name the endpoint's host and be served with its full chain). {reach}")
    if failure.code == UNREACHABLE:
        fix = ("Check storage.endpoint (scheme, host and port of the S3 API, e.g. MinIO's API port, not its console)"
               if s.provider == "s3-compatible"
               else "Check this machine's network path to AWS S3 (proxy, VPC endpoint, DNS)")
        return f"cannot reach the object store at {endpoint}: {failure.message}", f"{fix}. {reach}"
    return (f"{what} failed before the store answered: {failure.message}",
            "Check storage.endpoint, storage.region and the credentials in the answers.")


def credentials_failure(failure: Failure, operation: str, inputs: CheckInputs) -> tuple[str, str]:
    s = inputs.answers.storage
    access_ref = s.access_key.describe() if s.access_key else "the default AWS chain"
    secret_ref = s.secret_key.describe() if s.secret_key else "the default AWS chain"
    code = failure.code
    if code in ("InvalidAccessKeyId", "InvalidClientTokenId"):
        return ("the store does not know the access key",
                f"Check storage.accessKey (from {access_ref}): the key may be mistyped, deactivated or deleted, "
                f"or belong to another account or store than {s.endpoint or 'AWS S3'}.")
    if code == "SignatureDoesNotMatch":
        return ("the secret key does not match the access key (SignatureDoesNotMatch)",
                f"Check storage.secretKey (from {secret_ref}): the pair must belong together; watch for a pasted "
                "trailing space or newline. Behind a proxy, make sure it does not rewrite the Host header or path.")
    if code == "RequestTimeTooSkewed":
        return ("this machine's clock is too far from the store's (RequestTimeTooSkewed)",
                "Synchronise the clock (NTP) of this machine, and of the cluster nodes: signatures are only "
                "valid within 15 minutes.")
    return (f"the credentials were refused: {failure.describe()} ({operation})",
            "Session credentials expire: renew them (or use long-lived keys for storage.accessKey/secretKey).")


def region_failure(failure: Failure, operation: str, f: StorageFacts) -> tuple[str, str]:
    if failure.bucket_region and failure.bucket_region != f.region:
        return (f"bucket {f.bucket} is in region {failure.bucket_region}, but storage.region is {f.region}",
                f"Set storage.region: {failure.bucket_region}.")
    return (f"{operation} failed: {failure.describe()}",
            f"Check storage.region ({f.region}): it must be the bucket's region.")


# -- storage.presign -------------------------------------------------------------------------------

def presign(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f: StorageFacts = facts["storage"]
    if not f.supported:
        return unsupported(PRESIGN, f)
    s = inputs.answers.storage
    exchanges = [x for x in (f.presigned_put, f.presigned_get) if x is not None]
    evidence = [*context_evidence(f), *(x.describe() for x in exchanges)]
    if f.leftover:
        evidence.append(f"could not delete what the check wrote: {', '.join(f.leftover)}")

    if (failure := f.presign_failure) is not None:
        if failure.code in TRANSPORT_CODES | {NO_CREDENTIALS}:
            summary, remedy = transport_failure(failure, f, inputs, what="signing the URLs")
        else:
            summary, remedy = f"could not create presigned URLs: {failure.describe()}", "Check the credentials."
        return failed(PRESIGN, summary, *evidence, remedy=remedy)
    for label, x in (("PUT", f.presigned_put), ("GET", f.presigned_get)):
        if x is None:
            return failed(PRESIGN, f"presigned {label} not tried: the check ran out of time", *evidence,
                          remedy="Allow more time with --timeout.")
        if not x.ok:
            return failed(PRESIGN, _presign_summary(label, x), *evidence, remedy=_presign_remedy(label, x, f, s))
    return passed(PRESIGN, "a presigned PUT and GET work over plain HTTP, as W&B's clients use them", *evidence)


def _presign_summary(label: str, x: HttpExchange) -> str:
    if x.failure is not None:
        return f"presigned {label} got no answer: {x.failure.describe()}"
    if x.body_matches is False:
        return f"presigned {label} returned other bytes than were uploaded"
    code = f" {x.error_code}" if x.error_code else ""
    message = f": {x.error_message}" if x.error_message else ""
    return f"presigned {label} refused: HTTP {x.status}{code}{message}"


def _presign_remedy(label: str, x: HttpExchange, f: StorageFacts, s: Any) -> str:
    reach = ("Presigned URLs are W&B's only way to the bucket: W&B's pods, training hosts and users' browsers "
             f"must all reach {f.endpoint} directly.")
    if x.failure is not None:
        return f"{reach} Check firewalls, proxies and DNS between them and the store."
    code, status = x.error_code, x.status or 0
    action = "s3:PutObject" if label == "PUT" else "s3:GetObject"
    if status == 405 or code == "MethodNotAllowed":
        return ("The endpoint refused the method: it is probably not the S3 API (MinIO: the API port, usually "
                "9000, not the console port), or a reverse proxy in front of it does not pass PUT, or the store "
                "expects path-style URLs (W&B uses path style for S3-compatible stores). "
                "This is the MinIO upload failure reported in wandb/server#129.")
    if code in ("SignatureDoesNotMatch",):
        return ("The store computed another signature than the one in the URL: a proxy or load balancer in front "
                "of it changes the Host header, the path or the query string. Pass requests through unchanged "
                f"to {f.endpoint}.")
    if code in REGION_CODES or status == 301:
        return f"Set storage.region to the bucket's region (now {f.region}): URLs are signed for that region."
    if code == "RequestTimeTooSkewed" or "expired" in x.error_message.lower():
        return "Synchronise this machine's clock (NTP): presigned URLs are only valid within their time window."
    if code in DENIED_CODES or status == 403:
        return (f"The identity that signs the URLs needs {action} on bucket {f.bucket}, and no bucket policy may "
                "deny query-string-signed requests (check conditions such as aws:SecureTransport, source IP or "
                f"VPC endpoint). {remedies.grant(s, f.credentials)}")
    if code == "NoSuchBucket" or status == 404:
        return ("The URL reached the store but not the bucket: check the addressing style "
                "(S3-compatible stores need path-style URLs) and any proxy path rewriting.")
    if x.body_matches is False:
        return "Something between this machine and the store changes object content: W&B needs it byte for byte."
    return f"The store refused the presigned {label}: check its logs for this request. {reach}"
