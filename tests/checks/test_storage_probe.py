"""storage.access / storage.presign / storage.cors end to end: the real probe through the engine
against the sandbox S3 (moto), the MinIO-like front (no bucket CORS), an HTTPS front with a
private CA, and endpoints that refuse or never answer.

moto accepts any access key and never verifies a presigned URL's signature or expiry, so bad-key,
access-denied and signature paths are pinned by the judge tables (test_storage_judge_access.py).
moto matches CORS rules on the origin only; the rules themselves are judged like AWS does.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import uuid
from typing import Literal

import pytest

from sandbox.procs import free_port
from sandbox.s3 import WANDB_ORIGIN, MinioLikeS3, wandb_cors_rules
from tests.checks.support import make_answers, make_secrets, probe_context, run_checks
from wbinstall.checks import report
from wbinstall.checks.storage.client import BucketError
from wbinstall.checks.storage.facts import Failure
from wbinstall.checks.storage.probe import gather, observe
from wbinstall.checks.storage.providers.s3_client import S3Bucket


STORAGE_IDS = ["storage.access", "storage.presign", "storage.cors"]
HOST = WANDB_ORIGIN.removeprefix("https://")  # the tests' answers use this host (support.BASE)
# Distinctive values, to prove they never leak into output; moto accepts any keys.
ACCESS_KEY = "AKIAWBINSTALLLEAK0001"
SECRET_KEY = "wbinstall/leak+check/secret-0001"


def secrets(access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
    return make_secrets(**{"storage.accessKey": access_key, "storage.secretKey": secret_key})


def answers(endpoint: str, bucket: str, **storage):
    return make_answers(storage={"provider": "s3-compatible", "endpoint": endpoint, "bucket": bucket,
                                 "accessKey": {"env": "WB_S3_ACCESS_KEY"}, "secretKey": {"env": "WB_S3_SECRET_KEY"},
                                 **storage})


def check(endpoint: str, bucket: str, timeout: float = 10.0, **storage):
    return run_checks(answers(endpoint, bucket, **storage), secrets(), only=STORAGE_IDS, timeout=timeout)


def statuses(results) -> dict[str, str]:
    return {i: r.status for i, r in results.items()}


def own_bucket(s3, case: str, rules: list[dict] | None) -> str:
    """A bucket only this test uses (moto's state is shared by the whole test process)."""
    return s3.create_bucket(f"wbi-{case}-{uuid.uuid4().hex[:8]}", cors_rules=rules)


def objects(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])]


# -- pass --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["cors_ok", "cors_ok_origin"])
def test_bucket_with_wandb_cors_passes_all_three(sandbox_s3, sandbox_s3_buckets, case):
    results = check(sandbox_s3.endpoint_url, sandbox_s3_buckets[case])
    assert statuses(results) == dict.fromkeys(STORAGE_IDS, "pass"), report.text(list(results.values()))
    assert any(e.startswith("preflight OPTIONS for PUT") and "Access-Control-Allow-Origin: https://wandb.sandbox.test" in e
               for e in results["storage.cors"].evidence)


@pytest.mark.parametrize(("case", "rules", "status"), [
    ("lowercase-etag", [{**wandb_cors_rules()[0], "ExposeHeaders": ["etag"]}], "pass"),
    ("wildcard-subdomain", wandb_cors_rules("https://*.sandbox.test"), "pass"),
    # moto refuses a preflight when any rule names another origin (AWS takes the first match), so a
    # document with rules for other apps is judged in the tables; here two rules split the methods.
    ("split-rules", [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "ExposeHeaders": ["ETag"]},
                     {**wandb_cors_rules(WANDB_ORIGIN)[0], "AllowedMethods": ["PUT"]}], "pass"),
    ("content-type-only", [{**wandb_cors_rules()[0], "AllowedHeaders": ["content-type"]}], "warn"),
])
def test_more_cors_documents_on_a_real_bucket(sandbox_s3, case, rules, status):
    results = check(sandbox_s3.endpoint_url, own_bucket(sandbox_s3, case, rules))
    assert results["storage.access"].status == results["storage.presign"].status == "pass"
    assert results["storage.cors"].status == status, results["storage.cors"]


def test_objects_go_under_the_answers_path_prefix_and_are_removed(sandbox_s3):
    bucket = own_bucket(sandbox_s3, "prefix", wandb_cors_rules())
    results = check(sandbox_s3.endpoint_url, bucket, path="/team/wandb/")
    assert results["storage.access"].status == "pass"
    assert any(e.startswith("test object: team/wandb/wbinstall-probe-") for e in results["storage.access"].evidence)
    assert objects(sandbox_s3, bucket) == []


# -- fail --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("case", "summary"), [
    ("missing_put", "do not allow PUT from https://wandb.sandbox.test"),
    ("other_origin", "allow no request from https://wandb.sandbox.test (allowed origins: https://other.example.test)"),
    ("no_expose_etag", "do not expose ETag"),
])
def test_wrong_cors_fails_with_the_fix_for_that_bucket(sandbox_s3, sandbox_s3_buckets, case, summary):
    bucket = sandbox_s3_buckets[case]
    results = check(sandbox_s3.endpoint_url, bucket)
    assert statuses(results) == {"storage.access": "pass", "storage.presign": "pass", "storage.cors": "fail"}
    cors = results["storage.cors"]
    assert summary in cors.summary
    assert f"put-bucket-cors --bucket {bucket} --cors-configuration file://cors.json --endpoint-url " \
           f"{sandbox_s3.endpoint_url}" in cors.remedy
    assert '"AllowedOrigins": ["https://wandb.sandbox.test"]' in cors.remedy


def test_bucket_without_cors_fails(sandbox_s3, sandbox_s3_buckets):
    results = check(sandbox_s3.endpoint_url, sandbox_s3_buckets["no_cors"])
    cors = results["storage.cors"]
    assert cors.status == "fail"
    assert cors.summary.startswith(f"bucket {sandbox_s3_buckets['no_cors']} has no CORS configuration")
    assert "GetBucketCors: HTTP 404 NoSuchCORSConfiguration: The CORS configuration does not exist" in cors.evidence


def test_missing_bucket_fails_access_and_skips_the_others(sandbox_s3):
    results = check(sandbox_s3.endpoint_url, "wandb-no-such-bucket")
    access = results["storage.access"]
    assert access.status == "fail"
    assert access.summary == f"bucket wandb-no-such-bucket does not exist at {sandbox_s3.endpoint_url}"
    assert f"aws s3api create-bucket --bucket wandb-no-such-bucket --endpoint-url {sandbox_s3.endpoint_url}" in access.remedy
    for dependent in ("storage.presign", "storage.cors"):
        assert results[dependent].status == "skip"
        assert results[dependent].summary == "not run: storage.access failed"


def test_endpoint_nobody_listens_on_fails(sandbox_s3):
    endpoint = f"http://127.0.0.1:{free_port()}"
    access = check(endpoint, "wandb-bucket")["storage.access"]
    assert access.status == "fail"
    assert access.summary == f"cannot reach the object store at {endpoint}: connection refused"


@pytest.fixture
def silent_endpoint():
    """A listening socket that accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_endpoint_that_never_answers_returns_with_a_timeout(silent_endpoint):
    results = check(silent_endpoint, "wandb-bucket", timeout=1.5)
    access = results["storage.access"]
    assert access.status == "fail"
    assert access.summary.startswith(f"no answer from {silent_endpoint} within ")
    assert "--timeout" in access.remedy
    assert results["storage.presign"].status == results["storage.cors"].status == "skip"


def test_untrusted_tls_certificate_fails_access(sandbox_tls):
    listener = sandbox_tls["self_signed"]
    access = check(f"https://{listener.host}:{listener.port}", "wandb-bucket")["storage.access"]
    assert access.status == "fail"
    assert access.summary == (f"TLS with https://{listener.host}:{listener.port} failed: "
                              "certificate verify failed: self-signed certificate")
    assert "AWS_CA_BUNDLE" in access.remedy


def test_no_credentials_anywhere_fails_access(sandbox_s3, sandbox_s3_buckets, monkeypatch, tmp_path):
    isolate_aws_config(monkeypatch, tmp_path)
    a = make_answers(storage={"provider": "s3-compatible", "endpoint": sandbox_s3.endpoint_url,
                              "bucket": sandbox_s3_buckets["cors_ok"]})
    access = run_checks(a, make_secrets(), only=["storage.access"])["storage.access"]
    assert access.status == "fail"
    assert access.summary.startswith("no credentials")


def isolate_aws_config(monkeypatch, tmp_path) -> None:
    """No AWS keys from this machine, and never a call to the instance metadata service."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# -- MinIO-like: no bucket CORS ------------------------------------------------------------------------

def test_store_without_bucket_cors_warns_with_the_preflight_as_evidence(sandbox_s3_minio_like, sandbox_s3_buckets):
    results = check(sandbox_s3_minio_like.endpoint_url, sandbox_s3_buckets["cors_ok"])
    assert statuses(results) == {"storage.access": "pass", "storage.presign": "pass", "storage.cors": "warn"}
    cors = results["storage.cors"]
    assert "NotImplemented" in cors.summary and "was allowed" in cors.summary
    assert "mc admin config set <alias> api cors_allow_origin=https://wandb.sandbox.test" in cors.remedy
    assert any(e.startswith("preflight OPTIONS for PUT") and "HTTP 204" in e for e in cors.evidence)


def test_store_without_bucket_cors_that_refuses_the_origin_fails(sandbox_s3, sandbox_s3_buckets):
    with MinioLikeS3(sandbox_s3, allow_origin="https://other.example.test") as minio:
        results = check(minio.endpoint_url, sandbox_s3_buckets["cors_ok"])
    cors = results["storage.cors"]
    assert cors.status == "fail"
    assert "refused a preflight from https://wandb.sandbox.test: PUT: HTTP 403" in cors.summary


# -- HTTPS with a private CA ------------------------------------------------------------------------

class TlsFront:
    """HTTPS on 127.0.0.1 in front of the sandbox S3: TLS ends here, bytes go on to moto unchanged."""

    def __init__(self, upstream, context: ssl.SSLContext):
        self.upstream = (upstream.host, upstream.port)
        self.context = context
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.endpoint_url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            t = threading.Thread(target=self._relay, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _relay(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return  # the client did not trust us: what the untrusted case expects
        with tls, socket.create_connection(self.upstream, timeout=10) as up:
            peers = {tls: up, up: tls}
            while not self._stop.is_set():
                ready = [tls] if tls.pending() else select.select([tls, up], [], [], 0.1)[0]
                for source in ready:
                    try:
                        data = source.recv(65536)
                    except (ssl.SSLError, OSError):
                        return
                    if not data:
                        return
                    peers[source].sendall(data)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self.sock.close()


@pytest.fixture
def https_s3(sandbox_s3, sandbox_ca):
    front = TlsFront(sandbox_s3, sandbox_ca.server_context(sandbox_ca.issue("127.0.0.1")))
    yield front
    front.close()


def test_https_store_with_private_ca_passes_when_aws_ca_bundle_trusts_it(https_s3, sandbox_s3_buckets, sandbox_ca,
                                                                         monkeypatch):
    # The presigned requests and preflights must trust exactly what boto3 trusts.
    monkeypatch.setenv("AWS_CA_BUNDLE", str(sandbox_ca.bundle_path))
    results = check(https_s3.endpoint_url, sandbox_s3_buckets["cors_ok"])
    assert statuses(results) == dict.fromkeys(STORAGE_IDS, "pass"), report.text(list(results.values()))


def test_https_store_with_private_ca_fails_tls_without_it(https_s3, sandbox_s3_buckets, monkeypatch):
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    access = check(https_s3.endpoint_url, sandbox_s3_buckets["cors_ok"])["storage.access"]
    assert access.status == "fail"
    assert access.summary == (f"TLS with {https_s3.endpoint_url} failed: "
                              "certificate verify failed: unable to get local issuer certificate")


# -- cleanup -------------------------------------------------------------------------------------------

class Failing:
    """A real S3 client with one operation made to fail, to prove cleanup runs whatever fails."""

    def __init__(self, inner: S3Bucket, fail: Literal["get_object", "presigned_get"]):
        self.inner, self.fail = inner, fail
        self.written: list[str] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def put_object(self, key, data, timeout):
        self.written.append(key)
        return self.inner.put_object(key, data, timeout)

    def get_object(self, key, timeout):
        if self.fail == "get_object":
            raise BucketError(Failure("InternalError", "injected by the test", 500))
        return self.inner.get_object(key, timeout)

    def presign(self, method, key, expires):
        self.written.append(key)
        url = self.inner.presign(method, key, expires)
        return url.replace("-presigned?", "-elsewhere?") if self.fail == "presigned_get" and method == "GET" else url


def s3_client(s3, bucket: str) -> S3Bucket:
    return S3Bucket(bucket=bucket, region="us-east-1", endpoint_url=s3.endpoint_url, path_style=True,
                    access_key=ACCESS_KEY, secret_key=SECRET_KEY)


def test_probe_object_is_deleted_when_the_read_back_fails(sandbox_s3):
    bucket = own_bucket(sandbox_s3, "cleanup-get", wandb_cors_rules())
    client = Failing(s3_client(sandbox_s3, bucket), "get_object")
    facts = observe(client, probe_context(answers(sandbox_s3.endpoint_url, bucket), secrets()))
    client.close()
    assert facts.step("GetObject").failure.code == "InternalError"
    assert facts.step("DeleteObject").ok and facts.leftover == ()
    assert client.written and objects(sandbox_s3, bucket) == []


def test_presigned_object_is_deleted_when_the_presigned_get_fails(sandbox_s3):
    bucket = own_bucket(sandbox_s3, "cleanup-presign", wandb_cors_rules())
    client = Failing(s3_client(sandbox_s3, bucket), "presigned_get")
    facts = observe(client, probe_context(answers(sandbox_s3.endpoint_url, bucket), secrets()))
    client.close()
    assert facts.presigned_put.ok and facts.presigned_get.status == 404
    assert any(k.endswith("-presigned") for k in client.written)
    assert objects(sandbox_s3, bucket) == []


def test_nothing_is_left_after_a_full_run(sandbox_s3):
    bucket = own_bucket(sandbox_s3, "cleanup-full", wandb_cors_rules())
    assert statuses(check(sandbox_s3.endpoint_url, bucket)) == dict.fromkeys(STORAGE_IDS, "pass")
    assert objects(sandbox_s3, bucket) == []


# -- secrets -------------------------------------------------------------------------------------------

def assert_no_key_in(text: str, *values: str) -> None:
    for value in values:
        assert value not in text
    assert "X-Amz-Credential" not in text and "X-Amz-Signature" not in text


@pytest.mark.parametrize("case", ["cors_ok", "missing_put", "no_cors", "missing-bucket", "minio", "refused"])
def test_keys_never_appear_in_facts_results_or_reports(sandbox_s3, sandbox_s3_buckets, sandbox_s3_minio_like, case):
    endpoint = {"minio": sandbox_s3_minio_like.endpoint_url, "refused": f"http://127.0.0.1:{free_port()}"}.get(
        case, sandbox_s3.endpoint_url)
    bucket = sandbox_s3_buckets.get(case, sandbox_s3_buckets["cors_ok"]) if case != "missing-bucket" else "wandb-gone"
    a = answers(endpoint, bucket)
    facts = gather(probe_context(a, secrets()))
    results = list(run_checks(a, secrets(), only=STORAGE_IDS).values())
    for text in (repr(facts), report.text(results), report.to_json(results), report.junit(results)):
        assert_no_key_in(text, ACCESS_KEY, SECRET_KEY)


def test_keys_from_the_default_chain_never_appear_either(sandbox_s3, sandbox_s3_buckets, monkeypatch, tmp_path):
    isolate_aws_config(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-the-environment")
    a = make_answers(storage={"provider": "s3-compatible", "endpoint": sandbox_s3.endpoint_url,
                              "bucket": sandbox_s3_buckets["missing_put"]})
    facts = gather(probe_context(a, make_secrets()))
    results = list(run_checks(a, make_secrets(), only=STORAGE_IDS).values())
    assert [r.status for r in results] == ["pass", "pass", "fail"]
    assert "credentials: the default AWS credential chain" in results[0].evidence[1]
    for text in (repr(facts), report.text(results), report.to_json(results), report.junit(results)):
        assert_no_key_in(text, "AKIAFROMTHEENVIRONMENT", "secret-from-the-environment")


def test_redaction_covers_what_a_store_might_echo(sandbox_s3, sandbox_s3_buckets):
    client = s3_client(sandbox_s3, sandbox_s3_buckets["cors_ok"])
    try:
        assert client.redact(f"<AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId> {SECRET_KEY}") == \
            "<AWSAccessKeyId><redacted></AWSAccessKeyId> <redacted>"
    finally:
        client.close()
