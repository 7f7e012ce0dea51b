"""Remedy text for the storage checks, in the user's own terms: their bucket, region, endpoint, host. Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from wbinstall.answers.model import StorageAnswers
from wbinstall.checks.storage.facts import CorsRule
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


def to_json(document: object) -> str:
    """Indented JSON with short lists on one line, to fit a terminal and be pasted into a file."""
    text = json.dumps(document, indent=2)

    def one_line(m: re.Match[str]) -> str:
        line = "[" + ", ".join(item.strip() for item in m.group(1).split(",\n")) + "]"
        return line if len(line) <= 64 else m.group(0)

    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", one_line, text)


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


def grant(s: StorageAnswers, credentials: str) -> str:
    if s.provider == "s3-compatible":
        how = ("Give the access key a policy with these actions on the bucket (MinIO: mc admin policy create "
               "<alias> wandb policy.json, then mc admin policy attach <alias> wandb --user <user>):")
    else:
        how = f"Attach this policy to the IAM identity in use ({credentials}) and to the one W&B runs as:"
    return f"{how}\n{iam_policy(s)}"


def create_bucket(s: StorageAnswers) -> str:
    if s.provider == "s3-compatible":
        return (f"Create it, or correct storage.bucket:\n"
                f"aws s3api create-bucket --bucket {s.bucket}{cli_flags(s)}\n"
                f"(MinIO: mc mb <alias>/{s.bucket})")
    location = "" if (s.region or "us-east-1") == "us-east-1" else \
        f" --create-bucket-configuration LocationConstraint={s.region}"
    return (f"Create it, or correct storage.bucket / storage.region:\n"
            f"aws s3api create-bucket --bucket {s.bucket}{cli_flags(s)}{location}")


def remove_objects(s: StorageAnswers, keys: Iterable[str]) -> str:
    return "\n".join(f"aws s3 rm s3://{s.bucket}/{key}{cli_flags(s)}" for key in keys)


def wandb_cors_rule(host: str, req: CorsReq) -> CorsRule:
    """The rule W&B documents (requirements objectStorage.cors), for the user's own origin."""
    return CorsRule(allowed_origins=(f"https://{host}",), allowed_methods=req.allowed_methods,
                    allowed_headers=req.allowed_headers, expose_headers=req.expose_headers,
                    max_age_seconds=req.max_age_seconds)


def put_cors(s: StorageAnswers, host: str, req: CorsReq, existing: Iterable[CorsRule] = ()) -> str:
    wanted = wandb_cors_rule(host, req)
    keep = [r for r in existing if r != wanted]
    document = to_json({"CORSRules": [r.to_document() for r in (wanted, *keep)]})
    note = (f"\n(put-bucket-cors replaces the whole configuration: your {len(keep)} existing rule(s) are kept "
            "after the W&B rule, which comes first because the first matching rule applies.)" if keep else "")
    return (f"Save this as cors.json (W&B's rule for https://{host}; an AllowedOrigins of \"*\" works too):\n"
            f"{document}\n"
            f"then apply it:\n"
            f"aws s3api put-bucket-cors --bucket {s.bucket} --cors-configuration file://cors.json{cli_flags(s)}"
            f"{note}")


def server_wide_cors(s: StorageAnswers, host: str) -> str:
    return (f"This store has no per-bucket CORS (MinIO community edition answers NotImplemented): CORS is one "
            f"server-wide setting. With mc, where <alias> points at {s.endpoint}:\n"
            f"mc admin config set <alias> api cors_allow_origin=https://{host}\n"
            f"mc admin service restart <alias>\n"
            f"Other S3-compatible stores: allow GET, PUT and HEAD from https://{host} and expose ETag "
            f"as their documentation describes.")
