"""Google Cloud Storage: error reasons, bucket CORS the GCS way, remedies in `gcloud` terms.

A GCS CORS entry has only origin, method, responseHeader and maxAgeSeconds (JSON API bucket
resource `cors[]`). An origin matches exactly or by `*`; responseHeader is both the request
headers a preflight may ask for and the response headers the page may read, so ETag must be in
it (or `*`): GCS has no exposeHeaders key, though W&B's docs' GCS example uses one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wbinstall.checks.storage.facts import (
    BAD_CREDENTIALS, CLOCK_SKEW, DENIED, NO_SIGNER, NOT_FOUND, WRONG_REGION, CorsRule, Failure, HttpExchange,
    StorageFacts,
)
from wbinstall.checks.storage.providers.base import Provider
from wbinstall.checks.storage.remedy_text import to_json

if TYPE_CHECKING:
    from wbinstall.answers.model import StorageAnswers
    from wbinstall.checks.context import ProbeContext
    from wbinstall.checks.storage.client import BucketClient
    from wbinstall.requirements import CorsReq

TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.iam\.gserviceaccount\.com")


class GCS(Provider):
    name = "gcs"
    label = "Google Cloud Storage"
    KINDS = {
        # JSON API error reasons
        "notFound": NOT_FOUND,
        **dict.fromkeys(("forbidden", "insufficientPermissions", "accountDisabled", "userProjectAccountProblem",
                         "AccessDenied", "UserProjectMissing", "usageLimits"), DENIED),
        **dict.fromkeys(("required", "authError", "invalid_grant", "InvalidKeyFile", "RefreshError",
                         "SignatureDoesNotMatch", "AuthenticationRequired", "MalformedSecurityHeader",
                         "InvalidAuthentication"), BAD_CREDENTIALS),
        "ExpiredToken": CLOCK_SKEW,
        "RequestTimeTooSkewed": CLOCK_SKEW,
        "PermanentRedirect": WRONG_REGION,
        "CannotSign": NO_SIGNER,
        "NoSuchBucket": NOT_FOUND,
    }
    STATUS_KINDS = {401: BAD_CREDENTIALS, 403: DENIED, 404: NOT_FOUND}
    WARN_NARROW_HEADERS = False
    PERMISSIONS = {
        "HeadBucket": "storage.buckets.get", "PutObject": "storage.objects.create",
        "GetObject": "storage.objects.get", "DeleteObject": "storage.objects.delete",
        "GetBucketCors": "storage.buckets.get",
    }

    def kind(self, failure: Failure | None) -> str:
        kind = super().kind(failure)
        if failure is not None and kind == DENIED and "signBlob" in failure.message:
            return NO_SIGNER  # IAM refused to sign for the service account
        return kind

    def client(self, ctx: ProbeContext) -> BucketClient:
        from wbinstall.checks.storage.providers.gcs_client import GCSBucket

        s = ctx.answers.storage
        return GCSBucket(bucket=s.bucket, endpoint=s.endpoint, key_file=ctx.secrets.get(("storage", "serviceAccountKey")),
                         timeout=max(0.5, ctx.remaining() * 0.5))

    # -- CORS semantics --------------------------------------------------------------------------

    def origin_allowed(self, rule: CorsRule, origin: str) -> bool:
        return any(o == "*" or o == origin for o in rule.allowed_origins)

    def method_allowed(self, rule: CorsRule, method: str) -> bool:
        return method in rule.allowed_methods

    def headers_allowed(self, rule: CorsRule, headers: Iterable[str]) -> bool:
        allowed = {h.lower() for h in rule.allowed_headers}
        return "*" in allowed or all(h.lower() in allowed for h in headers)

    def exposes(self, rule: CorsRule, header: str) -> bool:
        return any(h == "*" or h.lower() == header.lower() for h in rule.expose_headers)

    def expose_field(self) -> str:
        return "responseHeader"

    def allowed_headers_field(self) -> str:
        return "responseHeader"

    def expose_note(self, rules: tuple[CorsRule, ...]) -> str:
        return ("GCS has no exposeHeaders key (W&B's docs' GCS example sets one; GCS keeps only origin, method, "
                "responseHeader and maxAgeSeconds): ETag must be listed in responseHeader, or responseHeader be *.")

    def preflight_unsupported(self, x: HttpExchange) -> bool:
        # storage.googleapis.com answers every OPTIONS (200, with or without CORS headers); a 404/405/501
        # without Access-Control headers is an endpoint that has no preflight at all (an emulator).
        return x.answered and x.status in (404, 405, 501) and x.header("Access-Control-Allow-Origin") is None

    def cors_rule_line(self, i: int, r: CorsRule) -> str:
        parts = [f"origin {', '.join(r.allowed_origins) or '-'}", f"method {', '.join(r.allowed_methods) or '-'}",
                 f"responseHeader {', '.join(r.allowed_headers) or '-'}"]
        if r.max_age_seconds is not None:
            parts.append(f"maxAgeSeconds {r.max_age_seconds}")
        return f"CORS entry {i}: " + "; ".join(parts)

    # -- texts -----------------------------------------------------------------------------------

    def endpoint_of(self, f: StorageFacts, s: StorageAnswers) -> str:
        return f.endpoint or s.endpoint or "https://storage.googleapis.com"

    def no_credentials(self, s: StorageAnswers) -> tuple[str, str]:
        return ("no credentials: storage.serviceAccountKey is not set and Application Default Credentials found none",
                "Set storage.serviceAccountKey to the service account's key file (as {file: key.json}), or run the "
                "check where Application Default Credentials find one (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth "
                "application-default login, workload identity) with access to bucket "
                f"{s.bucket}. W&B's pods use their own identity (workload identity, or the key as a Secret).")

    def unreachable_fix(self, s: StorageAnswers) -> str:
        return ("Check this machine's network path to storage.googleapis.com (proxy, Private Google Access, DNS)"
                if not s.endpoint else f"Check storage.endpoint ({s.endpoint})")

    def credentials_failure(self, failure: Failure, operation: str, kind: str, s: StorageAnswers) -> tuple[str, str]:
        ref = s.service_account_key.describe() if s.service_account_key else "Application Default Credentials"
        if failure.code == "InvalidKeyFile":
            return (failure.message, f"storage.serviceAccountKey (from {ref}) must be the JSON key file of a service "
                                     "account (gcloud iam service-accounts keys create key.json --iam-account ...).")
        if failure.code in ("invalid_grant", "RefreshError"):
            return (f"Google refused the service-account key ({failure.code}: {failure.message})",
                    f"Check storage.serviceAccountKey (from {ref}): the key may have been deleted or disabled, or the "
                    "service account removed (gcloud iam service-accounts keys list --iam-account <email>); "
                    "a skewed clock (NTP) makes every key look invalid too.")
        if kind == CLOCK_SKEW:
            return (f"the request's time was refused ({failure.code})",
                    "Synchronise this machine's clock (NTP): signatures are only valid within their time window.")
        return (f"the credentials were refused: {failure.describe()} ({operation})",
                f"Check the credentials ({ref}): they must belong to a service account that can use bucket {s.bucket}.")

    def not_found(self, f: StorageFacts, s: StorageAnswers) -> tuple[str, str]:
        return (f"bucket {s.bucket} does not exist",
                f"Create it, or correct storage.bucket:\ngcloud storage buckets create gs://{s.bucket} "
                "--location <region> --uniform-bucket-level-access")

    def grant(self, s: StorageAnswers, credentials: str) -> str:
        email = _email(credentials)
        return (f"W&B needs objects read, written and deleted, and the bucket's CORS and versioning read (W&B "
                f"documents roles/storage.admin on the bucket). Grant it to the service account in use:\n"
                f"gcloud storage buckets add-iam-policy-binding gs://{s.bucket} --member=serviceAccount:{email} "
                f"--role=roles/storage.admin")

    def remove_objects(self, s: StorageAnswers, keys: Iterable[str]) -> str:
        return "\n".join(f"gcloud storage rm gs://{s.bucket}/{key}" for key in keys)

    def signing_failure(self, failure: Failure, s: StorageAnswers) -> tuple[str, str]:
        if failure.code == "CannotSign":
            return (f"cannot sign URLs: {failure.message}",
                    "V4 signed URLs need a service account: set storage.serviceAccountKey to its key file, or run "
                    "as the service account W&B uses (workload identity) with the role Service Account Token "
                    f"Creator ({TOKEN_CREATOR}) on itself.")
        if self.kind(failure) in (NO_SIGNER, DENIED):
            return (f"cannot sign URLs: the credentials are tokens only and IAM refused signBlob: {failure.describe()}",
                    "Without a private key, signing needs iam.serviceAccounts.signBlob on the service account itself "
                    f"(the role Service Account Token Creator, {TOKEN_CREATOR}); terraform-google-wandb grants it:\n"
                    "gcloud iam service-accounts add-iam-policy-binding <sa-email> "
                    f"--member=serviceAccount:<sa-email> --role={TOKEN_CREATOR}")
        return f"could not create signed URLs: {failure.describe()}", "Check storage.serviceAccountKey."

    def presign_remedy(self, label: str, x: HttpExchange, f: StorageFacts, s: StorageAnswers) -> str | None:
        if x.error_code == "SignatureDoesNotMatch":
            return ("GCS computed another signature than the one in the URL: the upload must send exactly the signed "
                    "headers (Content-Type application/octet-stream), and a proxy in front of the endpoint must not "
                    "change the Host header, path or query string.")
        return None

    def put_cors(self, s: StorageAnswers, host: str, req: CorsReq, existing: Iterable[CorsRule] = ()) -> str:
        wanted = {"origin": [f"https://{host}"], "method": list(req.allowed_methods),
                  "responseHeader": ["*"] if "*" in req.allowed_headers else
                  [*req.allowed_headers, *req.expose_headers], "maxAgeSeconds": req.max_age_seconds}
        keep = [_document(r) for r in existing]
        keep = [r for r in keep if r != wanted]
        note = (f"\n(--cors-file replaces the bucket's whole CORS configuration: your {len(keep)} existing entr"
                f"{'y is' if len(keep) == 1 else 'ies are'} kept after W&B's.)" if keep else "")
        return (f"Save this as cors.json (W&B's entry for https://{host}; an origin of \"*\" works too; GCS has no "
                "exposeHeaders key: responseHeader * covers ETag):\n"
                f"{to_json([wanted, *keep])}\n"
                f"then apply it:\ngcloud storage buckets update gs://{s.bucket} --cors-file=cors.json{note}")

    def cors_read_denied(self, s: StorageAnswers, credentials: str) -> str:
        return f"W&B reads them too (storage.buckets.get). {self.grant(s, credentials)}"


def _email(credentials: str) -> str:
    m = _EMAIL.search(credentials)
    return m.group(0) if m else "<service-account-email>"


def _document(r: CorsRule) -> dict[str, object]:
    doc: dict[str, object] = {"origin": list(r.allowed_origins), "method": list(r.allowed_methods)}
    if r.allowed_headers:
        doc["responseHeader"] = list(r.allowed_headers)
    if r.max_age_seconds is not None:
        doc["maxAgeSeconds"] = r.max_age_seconds
    return doc


PROVIDER = GCS()
