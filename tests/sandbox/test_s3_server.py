"""S3 (moto) and the MinIO-like front: objects, presigned URLs over HTTP, bucket CORS and preflights."""

import http.client
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from sandbox.s3 import WANDB_ORIGIN, wandb_cors_rules

EVIL_ORIGIN = "https://evil.example.test"


def preflight(endpoint, bucket, origin, method="PUT"):
    """What a browser sends before a presigned PUT; returns (status, access-control headers)."""
    conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=10)
    try:
        conn.request("OPTIONS", f"/{bucket}/some/object", headers={
            "Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        })
        response = conn.getresponse()
        response.read()
        headers = {k.lower(): v for k, v in response.getheaders() if k.lower().startswith("access-control-")}
        return response.status, headers
    finally:
        conn.close()


def presigned_round_trip(client, bucket, data):
    key = f"presigned/{uuid.uuid4().hex}"
    put_url = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    request = urllib.request.Request(put_url, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    get_url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    with urllib.request.urlopen(get_url, timeout=10) as response:
        return response.read()


def test_endpoint_is_loopback_with_fixed_test_credentials(sandbox_s3):
    assert sandbox_s3.endpoint_url.startswith("http://127.0.0.1:")
    assert (sandbox_s3.region, sandbox_s3.access_key) == ("us-east-1", "SANDBOXACCESSKEY0001")


def test_put_get_delete_object(sandbox_s3, sandbox_s3_buckets):
    client = sandbox_s3.client()
    bucket = sandbox_s3_buckets["cors_ok"]
    client.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello sandbox")
    assert client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello sandbox"
    client.delete_object(Bucket=bucket, Key="hello.txt")
    with pytest.raises(ClientError, match="NoSuchKey"):
        client.get_object(Bucket=bucket, Key="hello.txt")


def test_presigned_put_then_get_over_http(sandbox_s3, sandbox_s3_buckets):
    data = b"written through a presigned URL"
    assert presigned_round_trip(sandbox_s3.client(), sandbox_s3_buckets["cors_ok"], data) == data


def test_missing_bucket_is_reported(sandbox_s3):
    with pytest.raises(ClientError) as failure:
        sandbox_s3.client().head_bucket(Bucket="wandb-does-not-exist")
    assert failure.value.response["Error"]["Code"] in ("404", "NoSuchBucket")


def test_bucket_cors_reads_back_as_configured(sandbox_s3, sandbox_s3_buckets):
    rules = sandbox_s3.client().get_bucket_cors(Bucket=sandbox_s3_buckets["cors_ok_origin"])["CORSRules"]
    [rule] = rules
    assert rule["AllowedOrigins"] == [WANDB_ORIGIN]
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD", "PUT"]
    assert rule["ExposeHeaders"] == ["ETag"]


def test_bucket_without_cors_has_no_cors_configuration(sandbox_s3, sandbox_s3_buckets):
    with pytest.raises(ClientError) as failure:
        sandbox_s3.client().get_bucket_cors(Bucket=sandbox_s3_buckets["no_cors"])
    assert failure.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"


@pytest.mark.parametrize("case", ["cors_ok", "cors_ok_origin"])
def test_preflight_from_allowed_origin_gets_cors_headers(sandbox_s3, sandbox_s3_buckets, case):
    status, headers = preflight(sandbox_s3, sandbox_s3_buckets[case], WANDB_ORIGIN)
    assert status == 200
    assert headers["access-control-allow-origin"] == WANDB_ORIGIN
    assert "PUT" in headers["access-control-allow-methods"]
    assert headers["access-control-expose-headers"] == "ETag"
    assert headers["access-control-max-age"] == "3000"


@pytest.mark.parametrize("case", ["cors_ok_origin", "other_origin"])
def test_preflight_from_other_origin_is_refused(sandbox_s3, sandbox_s3_buckets, case):
    origin = EVIL_ORIGIN if case == "cors_ok_origin" else WANDB_ORIGIN
    status, headers = preflight(sandbox_s3, sandbox_s3_buckets[case], origin)
    assert status == 403
    assert "access-control-allow-origin" not in headers


def test_preflight_on_bucket_without_cors_allows_nothing(sandbox_s3, sandbox_s3_buckets):
    status, headers = preflight(sandbox_s3, sandbox_s3_buckets["no_cors"], WANDB_ORIGIN)
    assert "access-control-allow-origin" not in headers  # moto answers 200 here; AWS 403


def test_wrong_rules_show_in_the_preflight_answer(sandbox_s3, sandbox_s3_buckets):
    _, missing_put = preflight(sandbox_s3, sandbox_s3_buckets["missing_put"], WANDB_ORIGIN)
    assert "PUT" not in missing_put["access-control-allow-methods"]
    _, no_etag = preflight(sandbox_s3, sandbox_s3_buckets["no_expose_etag"], WANDB_ORIGIN)
    assert "access-control-expose-headers" not in no_etag


def test_minio_like_refuses_bucket_cors_with_not_implemented(sandbox_s3_minio_like, sandbox_s3_buckets):
    client = sandbox_s3_minio_like.client()
    with pytest.raises(ClientError) as put_failure:
        client.put_bucket_cors(Bucket=sandbox_s3_buckets["no_cors"],
                               CORSConfiguration={"CORSRules": wandb_cors_rules()})
    assert put_failure.value.response["Error"]["Code"] == "NotImplemented"
    assert put_failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    with pytest.raises(ClientError) as get_failure:
        client.get_bucket_cors(Bucket=sandbox_s3_buckets["cors_ok"])
    assert get_failure.value.response["Error"]["Code"] == "NotImplemented"


def test_minio_like_passes_objects_and_presigned_urls_through(sandbox_s3_minio_like, sandbox_s3, sandbox_s3_buckets):
    bucket = sandbox_s3_buckets["no_cors"]
    client = sandbox_s3_minio_like.client()
    client.put_object(Bucket=bucket, Key="through-proxy.txt", Body=b"via the MinIO-like endpoint")
    assert sandbox_s3.client().get_object(Bucket=bucket, Key="through-proxy.txt")["Body"].read() == \
        b"via the MinIO-like endpoint"
    assert client.head_object(Bucket=bucket, Key="through-proxy.txt")["ContentLength"] == 27
    assert presigned_round_trip(client, bucket, b"presigned via proxy") == b"presigned via proxy"


def test_minio_like_answers_preflight_from_its_global_policy(sandbox_s3_minio_like, sandbox_s3_buckets):
    status, headers = preflight(sandbox_s3_minio_like, sandbox_s3_buckets["no_cors"], WANDB_ORIGIN)
    assert status == 204
    assert headers["access-control-allow-origin"] == WANDB_ORIGIN
    assert headers["access-control-allow-methods"] == "PUT"


def test_minio_like_missing_object_error_passes_through(sandbox_s3_minio_like, sandbox_s3_buckets):
    with pytest.raises(ClientError, match="NoSuchKey"):
        sandbox_s3_minio_like.client().get_object(Bucket=sandbox_s3_buckets["no_cors"], Key="nope")
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(f"{sandbox_s3_minio_like.endpoint_url}/wandb-no-such-bucket/x", timeout=10)
    assert failure.value.code in (403, 404)
