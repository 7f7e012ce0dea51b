"""Table tests of the storage.access and storage.presign judges: facts as real stores answer -> results.

moto accepts any credentials and never checks a presigned signature, so the credential, denial,
region and signature paths are pinned here with the error codes AWS and MinIO really send.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.storage.facts import (
    MISMATCH, NO_CREDENTIALS, TIMEOUT, TLS, UNREACHABLE, Failure, HttpExchange, StorageFacts, Step,
)
from wbinstall.checks.storage.judge import access, presign

KEY = "wandb/wbinstall-probe-0123456789abcdef"
ENDPOINT = "https://s3.us-east-1.amazonaws.com"
URL = f"https://wandb-bucket.s3.us-east-1.amazonaws.com/{KEY}-presigned"
OK = (Step("HeadBucket"), Step("PutObject"), Step("GetObject"), Step("DeleteObject"))
KEYS = {"accessKey": {"env": "WB_S3_ACCESS_KEY"}, "secretKey": {"env": "WB_S3_SECRET_KEY"}}


def facts(*steps: Step, **kw) -> StorageFacts:
    base = dict(provider="s3", bucket="wandb-bucket", endpoint=ENDPOINT, region="us-east-1",
                credentials="accessKey/secretKey from the answers", origin="https://wandb.sandbox.test",
                object_key=KEY, access=steps or OK, bucket_region="us-east-1",
                presigned_put=HttpExchange("presigned PUT", "PUT", URL, 200),
                presigned_get=HttpExchange("presigned GET", "GET", URL, 200, body_matches=True))
    base.update(kw)
    return StorageFacts(**base)


def fail(code: str, message: str = "", status: int | None = None, **kw) -> Failure:
    return Failure(code, message, status, **kw)


def judge(check, f: StorageFacts, **storage):
    """Judge `f` with answers that have `storage` overrides; the facts follow the answers' store."""
    answers = make_answers(storage={**KEYS, **storage})
    if "provider" in storage or "region" in storage:
        s = answers.storage
        f = replace(f, provider=s.provider, region=s.region, endpoint=s.endpoint or f.endpoint)
    return check({"storage": f}, inputs(answers))


# -- storage.access --------------------------------------------------------------------------------

ACCESS_ROWS = [
    # (name, steps, storage answers, status, in summary, in remedy)
    ("round trip works", OK, {}, "pass", "put, get and delete of a test object work", None),
    ("bucket missing (HEAD 404)", (Step("HeadBucket", fail("NoSuchBucket", "Not Found", 404)),), {},
     "fail", "bucket wandb-bucket does not exist at region us-east-1",
     "aws s3api create-bucket --bucket wandb-bucket --region us-east-1"),
    ("bucket missing outside us-east-1 needs a location", (Step("HeadBucket", fail("NoSuchBucket", "", 404)),),
     {"region": "eu-west-1"}, "fail", "does not exist at region eu-west-1",
     "--region eu-west-1 --create-bucket-configuration LocationConstraint=eu-west-1"),
    ("bucket missing on MinIO", (Step("HeadBucket", fail("NoSuchBucket", "Not Found", 404)),),
     {"provider": "s3-compatible", "endpoint": "https://minio.example.com:9000"}, "fail",
     "does not exist at https://minio.example.com:9000",
     "--endpoint-url https://minio.example.com:9000\n(MinIO: mc mb <alias>/wandb-bucket)"),
    ("put denied", (Step("HeadBucket"), Step("PutObject", fail("AccessDenied", "Access Denied", 403))), {},
     "fail", "access denied on bucket wandb-bucket: PutObject (s3:PutObject)", '"arn:aws:s3:::wandb-bucket/*"'),
    ("HEAD denied only: no ListBucket", (Step("HeadBucket", fail("AccessDenied", "Forbidden", 403)), *OK[1:]), {},
     "fail", "HeadBucket (s3:ListBucket)", "bucket belongs to another account"),
    ("get and delete denied", (Step("HeadBucket"), Step("PutObject"), Step("GetObject", fail("AccessDenied", "", 403)),
                               Step("DeleteObject", fail("AccessDenied", "", 403))), {},
     "fail", "GetObject (s3:GetObject), DeleteObject (s3:DeleteObject)", "s3:GetBucketCORS"),
    ("unknown access key: HEAD 403 explained by the put", (
        Step("HeadBucket", fail("AccessDenied", "Forbidden", 403)),
        Step("PutObject", fail("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403))),
     {}, "fail", "the store does not know the access key", "storage.accessKey (from environment variable WB_S3_ACCESS_KEY)"),
    ("wrong secret key", (Step("HeadBucket", fail("AccessDenied", "Forbidden", 403)), Step("PutObject", fail(
        "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", 403))),
     {}, "fail", "the secret key does not match the access key", "storage.secretKey (from environment variable WB_S3_SECRET_KEY)"),
    ("clock skew", (Step("HeadBucket", fail("RequestTimeTooSkewed", "", 403)),), {}, "fail",
     "clock is too far from the store's", "NTP"),
    ("expired session token", (Step("HeadBucket"), Step("PutObject", fail("ExpiredToken", "The provided token has expired.", 400))),
     {}, "fail", "the credentials were refused: HTTP 400 ExpiredToken", "renew them"),
    ("no credentials anywhere", (Step("HeadBucket", fail(NO_CREDENTIALS, "Unable to locate credentials")),), {"accessKey": None, "secretKey": None},
     "fail", "no credentials", "W&B's pods use their own identity"),
    ("endpoint refuses connections", (Step("HeadBucket", fail(UNREACHABLE, "connection refused")),),
     {"provider": "s3-compatible", "endpoint": "http://127.0.0.1:9"}, "fail",
     "cannot reach the object store at http://127.0.0.1:9: connection refused", "not its console"),
    ("endpoint does not answer", (Step("HeadBucket", fail(TIMEOUT, "", seconds=8.0)),), {}, "fail",
     f"no answer from {ENDPOINT} within 8.0 s (HeadBucket)", "--timeout"),
    ("private CA not trusted", (Step("HeadBucket", fail(TLS, "certificate verify failed: self-signed certificate in certificate chain")),),
     {}, "fail", "TLS with https://s3.us-east-1.amazonaws.com failed: certificate verify failed: self-signed", "AWS_CA_BUNDLE"),
    ("wrong region (redirect)", (Step("HeadBucket", fail("PermanentRedirect", "", 301, bucket_region="eu-central-1")),), {},
     "fail", "bucket wandb-bucket is in region eu-central-1, but storage.region is us-east-1", "storage.region: eu-central-1"),
    ("wrong region without a hint", (Step("HeadBucket"), Step("PutObject", fail(
        "AuthorizationHeaderMalformed", "the region 'us-east-1' is wrong; expecting 'eu-west-1'", 400))), {},
     "fail", "PutObject failed: HTTP 400 AuthorizationHeaderMalformed", "Check storage.region (us-east-1)"),
    ("content changed on the way", (*OK[:2], Step("GetObject", fail(MISMATCH, "wrote 10 bytes, read back 12 bytes that differ")), OK[3]),
     {}, "fail", "read back from wandb-bucket differs", "byte for byte"),
    ("KMS key refused", (Step("HeadBucket"), Step("PutObject", fail("AccessDenied", "Access Denied", 403))),
     {"kmsKey": "arn:aws:kms:us-east-1:111122223333:key/1234"}, "fail",
     "PutObject with KMS key arn:aws:kms:us-east-1:111122223333:key/1234 failed", "kms:GenerateDataKey*"),
    ("KMS error code", (Step("HeadBucket"), Step("PutObject", fail("KMS.DisabledException", "key is disabled", 400))),
     {"kmsKey": "arn:aws:kms:us-east-1:111122223333:key/1234"}, "fail", "KMS.DisabledException", "kms:Decrypt"),
    ("a code wbinstall does not know", (Step("HeadBucket", fail("SlowDown", "Please reduce your request rate.", 503)),), {},
     "fail", "HeadBucket on bucket wandb-bucket failed: HTTP 503 SlowDown: Please reduce your request rate.", "logs"),
]


@pytest.mark.parametrize(("steps", "storage", "status", "summary", "remedy"),
                         [row[1:] for row in ACCESS_ROWS], ids=[row[0] for row in ACCESS_ROWS])
def test_access_judge(steps, storage, status, summary, remedy):
    result = judge(access, facts(*steps), **storage)
    assert result.status == status, result
    assert summary in result.summary
    if remedy is not None:
        assert remedy in (result.remedy or "")
    assert result.evidence[0].startswith("bucket wandb-bucket at endpoint")


def test_access_evidence_lists_every_step_verbatim():
    steps = (Step("HeadBucket"), Step("PutObject", fail("AccessDenied", "Access Denied", 403)))
    result = judge(access, facts(*steps))
    assert "HeadBucket: ok" in result.evidence
    assert "PutObject: HTTP 403 AccessDenied: Access Denied" in result.evidence
    assert f"test object: {KEY}" in result.evidence


def test_access_names_and_removes_what_it_could_not_delete():
    steps = (*OK[:3], Step("DeleteObject", fail("AccessDenied", "Access Denied", 403)))
    result = judge(access, facts(*steps, leftover=(KEY,)))
    assert result.status == "fail"
    assert "DeleteObject (s3:DeleteObject)" in result.summary
    assert f"aws s3 rm s3://wandb-bucket/{KEY} --region us-east-1" in result.remedy
    assert any(KEY in e and "could not delete" in e for e in result.evidence)


def test_access_fails_when_an_aws_bucket_lives_in_another_region():
    # botocore follows the redirect, so the round trip works; W&B's URLs would be signed for the wrong region.
    result = judge(access, facts(bucket_region="eu-west-1"))
    assert result.status == "fail"
    assert result.summary == "bucket wandb-bucket is in region eu-west-1, but storage.region is us-east-1"
    assert result.remedy.startswith("Set storage.region: eu-west-1")


def test_access_does_not_hold_an_s3_compatible_region_header_against_the_user():
    f = facts(provider="s3-compatible", bucket_region="minio-default")
    result = judge(access, f, provider="s3-compatible", endpoint="https://minio.example.com")
    assert result.status == "pass"
    assert "the store says the bucket is in region minio-default" in result.evidence


def test_access_policy_uses_the_partition_of_the_region():
    steps = (Step("HeadBucket"), Step("PutObject", fail("AccessDenied", "", 403)))
    result = judge(access, facts(*steps), region="cn-north-1")
    assert '"arn:aws-cn:s3:::wandb-bucket"' in result.remedy


def test_access_policy_for_s3_compatible_says_how_to_attach_it_with_mc():
    steps = (Step("HeadBucket"), Step("PutObject", fail("AccessDenied", "Access Denied.", 403)))
    result = judge(access, facts(*steps), provider="s3-compatible", endpoint="https://minio.example.com")
    assert "mc admin policy attach <alias> wandb" in result.remedy


# -- storage.presign -------------------------------------------------------------------------------

def put(status, code="", message="", **kw) -> HttpExchange:
    return HttpExchange("presigned PUT", "PUT", URL, status, error_code=code, error_message=message, **kw)


def get(status, code="", message="", **kw) -> HttpExchange:
    return HttpExchange("presigned GET", "GET", URL, status, error_code=code, error_message=message, **kw)


PRESIGN_ROWS = [
    # (name, facts changes, status, in summary, in remedy)
    ("PUT and GET work", {}, "pass", "a presigned PUT and GET work over plain HTTP", None),
    ("MinIO console port / no path style: 405", {"presigned_put": put(405, "MethodNotAllowed",
     "The specified method is not allowed against this resource."), "presigned_get": None},
     "fail", "presigned PUT refused: HTTP 405 MethodNotAllowed", "wandb/server#129"),
    ("405 with an HTML body from a proxy", {"presigned_put": put(405, "", "<html><head><title>405 Not Allowed</title>"),
     "presigned_get": None}, "fail", "presigned PUT refused: HTTP 405", "not the S3 API"),
    ("PUT denied", {"presigned_put": put(403, "AccessDenied", "Access Denied"), "presigned_get": None},
     "fail", "presigned PUT refused: HTTP 403 AccessDenied: Access Denied", "needs s3:PutObject on bucket wandb-bucket"),
    ("proxy rewrites the Host header", {"presigned_put": put(403, "SignatureDoesNotMatch",
     "The request signature we calculated does not match the signature you provided."), "presigned_get": None},
     "fail", "HTTP 403 SignatureDoesNotMatch", "changes the Host header"),
    ("URL signed for the wrong region", {"presigned_put": put(400, "AuthorizationQueryParametersError",
     "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'eu-west-1'"),
     "presigned_get": None}, "fail", "AuthorizationQueryParametersError", "Set storage.region"),
    ("expired on arrival: clock", {"presigned_put": put(403, "AccessDenied", "Request has expired"), "presigned_get": None},
     "fail", "Request has expired", "clock"),
    ("GET denied", {"presigned_get": get(403, "AccessDenied", "Access Denied")},
     "fail", "presigned GET refused: HTTP 403 AccessDenied", "needs s3:GetObject"),
    ("GET finds no object: addressing", {"presigned_get": get(404, "NoSuchKey", "The specified key does not exist.")},
     "fail", "presigned GET refused: HTTP 404 NoSuchKey", "path-style"),
    ("GET returns other bytes", {"presigned_get": get(200, body_matches=False)},
     "fail", "presigned GET returned other bytes than were uploaded", "byte for byte"),
    ("PUT gets no answer", {"presigned_put": put(None, failure=fail(UNREACHABLE, "host name not resolved")),
     "presigned_get": None}, "fail", "presigned PUT got no answer: EndpointUnreachable: host name not resolved",
     "must all reach https://s3.us-east-1.amazonaws.com directly"),
    ("URLs cannot be signed", {"presign_failure": fail(NO_CREDENTIALS, "Unable to locate credentials"),
     "presigned_put": None, "presigned_get": None}, "fail", "no credentials", "storage.accessKey"),
    ("ran out of time before the GET", {"presigned_get": None}, "fail", "presigned GET not tried", "--timeout"),
    ("store error", {"presigned_put": put(500, "InternalError", "We encountered an internal error."), "presigned_get": None},
     "fail", "HTTP 500 InternalError", "check its logs"),
]


@pytest.mark.parametrize(("changes", "status", "summary", "remedy"),
                         [row[1:] for row in PRESIGN_ROWS], ids=[row[0] for row in PRESIGN_ROWS])
def test_presign_judge(changes, status, summary, remedy):
    result = judge(presign, replace(facts(), **changes))
    assert result.status == status, result
    assert summary in result.summary
    if remedy is not None:
        assert remedy in (result.remedy or "")


def test_presign_evidence_shows_each_request_without_its_query_string():
    result = judge(presign, replace(facts(), presigned_get=get(403, "AccessDenied", "Access Denied")))
    assert f"presigned PUT {URL}: HTTP 200" in result.evidence
    assert f"presigned GET {URL}: HTTP 403 AccessDenied: Access Denied" in result.evidence
    assert not any("X-Amz-" in e for e in result.evidence)
