"""Amazon S3 and S3-compatible stores (MinIO, Ceph, StorageGRID...): error codes, CORS, remedies.

The client is boto3 (s3_client.py), imported only when a probe runs. CORS is matched the S3 way
(cors.py: `*` wildcards in origins and headers, first matching rule applies); remedies are
`aws s3api` commands (and `mc` for MinIO) with the user's bucket, region or endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wbinstall.checks.storage.facts import (
    BAD_CREDENTIALS, CLOCK_SKEW, CORS_NOT_SET, CORS_UNSUPPORTED, DENIED, ENCRYPTION, NOT_FOUND, WRONG_REGION, CorsRule,
    Failure, HttpExchange, StorageFacts,
)
from wbinstall.checks.storage.providers.base import Provider
from wbinstall.checks.storage.remedy_text import cors_rule, to_json

if TYPE_CHECKING:
    from wbinstall.answers.model import StorageAnswers
    from wbinstall.checks.context import ProbeContext
    from wbinstall.checks.storage.client import BucketClient
    from wbinstall.requirements import CorsReq

# What the identity that signs W&B's URLs needs on the bucket (wandb-operator.md §4.3).
BUCKET_ACTIONS = (
    "s3:GetObject*", "s3:GetEncryptionConfiguration", "s3:ListBucket", "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions", "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject", "s3:GetBucketCORS",
    "s3:GetBucketLocation", "s3:GetBucketVersioning",
)
KMS_ACTIONS = ("kms:Decrypt", "kms:Describe*", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
# The action each probe operation needs, to name what was refused.
OPERATION_ACTIONS = {
    "HeadBucket": "s3:ListBucket", "PutObject": "s3:PutObject", "GetObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject", "GetBucketCors": "s3:GetBucketCORS",
}

_CREDENTIAL_CODES = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                     "TokenRefreshRequired", "InvalidSecurity", "InvalidClientTokenId")
_REGION_CODES = ("PermanentRedirect", "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError",
                 "IllegalLocationConstraintException")


class S3(Provider):
    name = "s3"
    label = "AWS S3"
    KINDS = {
        **dict.fromkeys(_CREDENTIAL_CODES, BAD_CREDENTIALS),
        "RequestTimeTooSkewed": CLOCK_SKEW,
        **dict.fromkeys(_REGION_CODES, WRONG_REGION),
        **dict.fromkeys(("AccessDenied", "AllAccessDisabled", "Forbidden", "403"), DENIED),
        "NoSuchBucket": NOT_FOUND,
        "NoSuchCORSConfiguration": CORS_NOT_SET,
        **dict.fromkeys(("NotImplemented", "501"), CORS_UNSUPPORTED),
    }
    STATUS_KINDS = {501: CORS_UNSUPPORTED}
    PERMISSIONS = OPERATION_ACTIONS

    def code_kind(self, code: str, status: int | None = None) -> str:
        if code.startswith("KMS."):
            return ENCRYPTION
        return super().code_kind(code, status)

    def client(self, ctx: ProbeContext) -> BucketClient:
        from wbinstall.checks.storage.providers.s3_client import S3Bucket

        s = ctx.answers.storage
        compatible = s.provider == "s3-compatible"
        return S3Bucket(
            bucket=s.bucket, region=s.region, endpoint_url=s.endpoint if compatible else None, path_style=compatible,
            access_key=ctx.secrets.get(("storage", "accessKey")), secret_key=ctx.secrets.get(("storage", "secretKey")),
            kms_key=s.kms_key if s.provider == "s3" else None,
        )

    # -- texts -----------------------------------------------------------------------------------

    def no_credentials(self, s: StorageAnswers) -> tuple[str, str]:
        return ("no credentials: storage.accessKey/secretKey are not set and the default AWS chain found none",
                "Set storage.accessKey and storage.secretKey (as {env: VARIABLE} or {file: PATH}), or run the "
                "check where an AWS profile, environment variables or an instance role give access to "
                f"bucket {s.bucket}. W&B's pods use their own identity (node role or IRSA), not this machine's.")

    def unreachable_fix(self, s: StorageAnswers) -> str:
        if s.provider == "s3-compatible":
            return "Check storage.endpoint (scheme, host and port of the S3 API, e.g. MinIO's API port, not its console)"
        return "Check this machine's network path to AWS S3 (proxy, VPC endpoint, DNS)"

    def tls_fix(self, s: StorageAnswers) -> str:
        return ("If the store's certificate comes from a private CA, point AWS_CA_BUNDLE at that CA for this "
                "check and give W&B the same CA (operator customCACerts); otherwise fix the certificate "
                "(it must name the endpoint's host and be served with its full chain).")

    def credentials_failure(self, failure: Failure, operation: str, kind: str, s: StorageAnswers) -> tuple[str, str]:
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
        if kind == CLOCK_SKEW:
            return ("this machine's clock is too far from the store's (RequestTimeTooSkewed)",
                    "Synchronise the clock (NTP) of this machine, and of the cluster nodes: signatures are only "
                    "valid within 15 minutes.")
        return (f"the credentials were refused: {failure.describe()} ({operation})",
                "Session credentials expire: renew them (or use long-lived keys for storage.accessKey/secretKey).")

    def region_failure(self, failure: Failure, operation: str, f: StorageFacts) -> tuple[str, str]:
        if failure.bucket_region and failure.bucket_region != f.region:
            return (f"bucket {f.bucket} is in region {failure.bucket_region}, but storage.region is {f.region}",
                    f"Set storage.region: {failure.bucket_region}.")
        return (f"{operation} failed: {failure.describe()}",
                f"Check storage.region ({f.region}): it must be the bucket's region.")

    def not_found(self, f: StorageFacts, s: StorageAnswers) -> tuple[str, str]:
        where = f"region {f.region}" if f.provider == "s3" else f.endpoint
        return f"bucket {f.bucket} does not exist at {where}", create_bucket(s)

    def access_special(self, f: StorageFacts, bad: list[Any], s: StorageAnswers) -> tuple[str, str] | None:
        kms = next((step for step in bad if step.failure and self.kind(step.failure) == ENCRYPTION), None)
        put = f.step("PutObject")
        if kms is None and s.kms_key and put is not None and put.failure and self.kind(put.failure) == DENIED:
            kms = put  # with SSE-KMS, a denied put is most often the key's policy
        if kms is None:
            return None
        return (f"{kms.operation} with KMS key {s.kms_key} failed: {kms.failure.describe()}",
                "The identity needs the KMS key's permissions as well as the bucket's. " + self.grant(s, f.credentials))

    def after_round_trip(self, f: StorageFacts) -> tuple[str, str] | None:
        if f.provider == "s3" and f.bucket_region and f.region and f.bucket_region != f.region:
            return (f"bucket {f.bucket} is in region {f.bucket_region}, but storage.region is {f.region}",
                    f"Set storage.region: {f.bucket_region} (W&B signs its URLs for that region).")
        return None

    def head_denied_note(self) -> str:
        return " A HEAD answer has no body, so a bare 403 can also mean the bucket belongs to another account."

    def grant(self, s: StorageAnswers, credentials: str) -> str:
        if s.provider == "s3-compatible":
            how = ("Give the access key a policy with these actions on the bucket (MinIO: mc admin policy create "
                   "<alias> wandb policy.json, then mc admin policy attach <alias> wandb --user <user>):")
        else:
            how = f"Attach this policy to the IAM identity in use ({credentials}) and to the one W&B runs as:"
        return f"{how}\n{iam_policy(s)}"

    def remove_objects(self, s: StorageAnswers, keys: Iterable[str]) -> str:
        return "\n".join(f"aws s3 rm s3://{s.bucket}/{key}{cli_flags(s)}" for key in keys)

    def signing_failure(self, failure: Failure, s: StorageAnswers) -> tuple[str, str]:
        return f"could not create presigned URLs: {failure.describe()}", "Check the credentials."

    def presign_remedy(self, label: str, x: HttpExchange, f: StorageFacts, s: StorageAnswers) -> str | None:
        code, status = x.error_code, x.status or 0
        action = self.permission("PutObject" if label == "PUT" else "GetObject")
        if status == 405 or code == "MethodNotAllowed":
            return ("The endpoint refused the method: it is probably not the S3 API (MinIO: the API port, usually "
                    "9000, not the console port), or a reverse proxy in front of it does not pass PUT, or the store "
                    "expects path-style URLs (W&B uses path style for S3-compatible stores). "
                    "This is the MinIO upload failure reported in wandb/server#129.")
        if code == "SignatureDoesNotMatch":
            return ("The store computed another signature than the one in the URL: a proxy or load balancer in front "
                    "of it changes the Host header, the path or the query string. Pass requests through unchanged "
                    f"to {f.endpoint}.")
        if code in _REGION_CODES or status == 301:
            return f"Set storage.region to the bucket's region (now {f.region}): URLs are signed for that region."
        if code == "RequestTimeTooSkewed" or "expired" in x.error_message.lower():
            return "Synchronise this machine's clock (NTP): presigned URLs are only valid within their time window."
        if self.code_kind(code, status) == DENIED or status == 403:
            return (f"The identity that signs the URLs needs {action} on bucket {f.bucket}, and no bucket policy may "
                    "deny query-string-signed requests (check conditions such as aws:SecureTransport, source IP or "
                    f"VPC endpoint). {self.grant(s, f.credentials)}")
        if code == "NoSuchBucket" or status == 404:
            return ("The URL reached the store but not the bucket: check the addressing style "
                    "(S3-compatible stores need path-style URLs) and any proxy path rewriting.")
        return None

    def put_cors(self, s: StorageAnswers, host: str, req: CorsReq, existing: Iterable[CorsRule] = ()) -> str:
        wanted = cors_rule(host, req)
        keep = [r for r in existing if r != wanted]
        document = to_json({"CORSRules": [r.to_document() for r in (wanted, *keep)]})
        note = (f"\n(put-bucket-cors replaces the whole configuration: your {len(keep)} existing rule(s) are kept "
                "after the W&B rule, which comes first because the first matching rule applies.)" if keep else "")
        return (f"Save this as cors.json (W&B's rule for https://{host}; an AllowedOrigins of \"*\" works too):\n"
                f"{document}\n"
                f"then apply it:\n"
                f"aws s3api put-bucket-cors --bucket {s.bucket} --cors-configuration file://cors.json{cli_flags(s)}"
                f"{note}")

    def cors_read_denied(self, s: StorageAnswers, credentials: str) -> str:
        return f"W&B reads them too and needs s3:GetBucketCORS. {self.grant(s, credentials)}"

    def cors_unsupported(self, s: StorageAnswers, host: str) -> str:
        return (f"This store has no per-bucket CORS (MinIO community edition answers NotImplemented): CORS is one "
                f"server-wide setting. With mc, where <alias> points at {s.endpoint}:\n"
                f"mc admin config set <alias> api cors_allow_origin=https://{host}\n"
                f"mc admin service restart <alias>\n"
                f"Other S3-compatible stores: allow GET, PUT and HEAD from https://{host} and expose ETag "
                f"as their documentation describes.")


def _partition(region: str | None) -> str:
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def cli_flags(s: StorageAnswers) -> str:
    """The aws CLI flags that point it at the user's store."""
    if s.provider == "s3-compatible":
        return f" --endpoint-url {s.endpoint}"
    return f" --region {s.region}" if s.region else ""


def iam_policy(s: StorageAnswers) -> str:
    arn = f"arn:{_partition(s.region)}:s3:::{s.bucket}"
    statements: list[dict[str, object]] = [
        {"Effect": "Allow", "Action": list(BUCKET_ACTIONS), "Resource": [arn, f"{arn}/*"]},
    ]
    if s.kms_key:
        statements.append({"Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": s.kms_key})
    return to_json({"Version": "2012-10-17", "Statement": statements})


def create_bucket(s: StorageAnswers) -> str:
    if s.provider == "s3-compatible":
        return (f"Create it, or correct storage.bucket:\n"
                f"aws s3api create-bucket --bucket {s.bucket}{cli_flags(s)}\n"
                f"(MinIO: mc mb <alias>/{s.bucket})")
    location = "" if (s.region or "us-east-1") == "us-east-1" else \
        f" --create-bucket-configuration LocationConstraint={s.region}"
    return (f"Create it, or correct storage.bucket / storage.region:\n"
            f"aws s3api create-bucket --bucket {s.bucket}{cli_flags(s)}{location}")


PROVIDER = S3()
