"""The S3 bucket client's addressing, signing and failure naming, and the probe's time budget.

Presigned URLs are made locally (no request), so AWS addressing is checked here without talking
to AWS; the failure names come from real sockets on 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.s3 import wandb_cors_rules
from tests.checks.support import inputs, make_answers, make_secrets, probe_context
from wbinstall.checks.storage import web
from wbinstall.checks.storage.facts import OUT_OF_TIME, TIMEOUT, TLS, UNREACHABLE
from wbinstall.checks.storage.judge import access
from wbinstall.checks.storage.probe import Budget, observe
from wbinstall.checks.storage.providers.s3_client import S3Bucket



def aws(bucket: str = "wandb-bucket", region: str = "eu-west-1") -> S3Bucket:
    return S3Bucket(bucket=bucket, region=region, endpoint_url=None, path_style=False,
                    access_key="AKIAEXAMPLEEXAMPLE01", secret_key="example-secret-example-secret")


@pytest.mark.parametrize(("region", "host"), [
    ("eu-west-1", "wandb-bucket.s3.eu-west-1.amazonaws.com"),
    ("us-east-1", "wandb-bucket.s3.amazonaws.com"),
    ("cn-north-1", "wandb-bucket.s3.cn-north-1.amazonaws.com.cn"),
])
def test_aws_presigned_urls_are_virtual_host_style_sigv4_for_the_region(region, host):
    client = aws(region=region)
    try:
        url = urlsplit(client.presign("PUT", "team/obj", 86400))
    finally:
        client.close()
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", host, "/team/obj")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["86400"]
    assert f"/{region}/s3/aws4_request" in query["X-Amz-Credential"][0]


def test_a_dotted_aws_bucket_goes_by_path_to_fit_the_certificate():
    client = aws(bucket="wandb.example.com")
    try:
        url = urlsplit(client.presign("GET", "k", 3600))
    finally:
        client.close()
    assert (url.netloc, url.path) == ("s3.eu-west-1.amazonaws.com", "/wandb.example.com/k")


def test_s3_compatible_goes_by_path_to_the_given_endpoint():
    client = S3Bucket(bucket="wandb", region=None, endpoint_url="https://minio.example.com:9000", path_style=True,
                      access_key="minioadmin", secret_key="minioadmin-secret")
    try:
        url = urlsplit(client.presign("GET", "k", 3600))
    finally:
        client.close()
    assert (client.endpoint, url.netloc, url.path) == ("https://minio.example.com:9000", "minio.example.com:9000", "/wandb/k")


def test_presigned_urls_are_shown_without_their_query():
    assert web.without_query("https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F&X-Amz-Signature=ab") == \
        "https://b.s3.amazonaws.com/k"


@pytest.mark.parametrize(("exc", "code", "message"), [
    (ConnectionRefusedError(111, "Connection refused"), UNREACHABLE, "connection refused"),
    (socket.gaierror(-2, "Name or service not known"), UNREACHABLE, "host name not resolved (Name or service not known)"),
    (TimeoutError("timed out"), TIMEOUT, ""),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), TLS, ""),
])
def test_socket_failures_get_names_a_user_can_act_on(exc, code, message):
    failure = web.classify(exc, 2.0)
    assert failure.code == code
    assert failure.message.startswith(message)


def test_plain_http_to_a_tls_endpoint_is_a_tls_failure(sandbox_tls):
    listener = sandbox_tls["valid"]
    exchange, _ = web.request("presigned GET", "GET", f"https://{listener.host}:{listener.port}/k",
                              timeout=5, context=ssl.create_default_context(), redact=str)
    assert exchange.failure is not None and exchange.failure.code == TLS


class SlowHead:
    """A real client whose HeadBucket takes all of the check's time but the cleanup reserve."""

    def __init__(self, inner: S3Bucket, budget_of):
        self.inner, self.budget_of = inner, budget_of
        self.written: list[str] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def head_bucket(self, timeout):
        budget = self.budget_of()
        while not budget.spent:
            time.sleep(0.02)
        return self.inner.head_bucket(budget.cleanup())

    def put_object(self, key, data, timeout):
        self.written.append(key)
        return self.inner.put_object(key, data, timeout)


def test_a_slow_store_stops_the_probe_before_it_writes_what_it_could_not_delete(sandbox_s3):
    bucket = sandbox_s3.create_bucket("wbi-slow-head", cors_rules=wandb_cors_rules())
    answers = make_answers(storage={"provider": "s3-compatible", "endpoint": sandbox_s3.endpoint_url, "bucket": bucket,
                                    "accessKey": "SANDBOXACCESSKEY0001", "secretKey": "sandbox-secret-key"})
    ctx = probe_context(answers, make_secrets(), timeout=1.0)
    inner = S3Bucket(bucket=bucket, region="us-east-1", endpoint_url=sandbox_s3.endpoint_url, path_style=True,
                     access_key="SANDBOXACCESSKEY0001", secret_key="sandbox-secret-key")
    client = SlowHead(inner, lambda: Budget(ctx))
    # Budget(ctx) made now keeps the same reserve the probe's own budget keeps.
    facts = observe(client, ctx)
    inner.close()
    assert facts.step("HeadBucket").ok
    assert facts.step("PutObject").failure.code == OUT_OF_TIME
    assert client.written == []
    result = access({"storage": facts}, inputs(answers))
    assert result.status == "fail"
    assert result.summary == "PutObject not tried: the check ran out of time (the store answered slowly before)"
