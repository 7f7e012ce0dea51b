"""The storage judges' tables, run for every provider: each row is a neutral situation, given as
the error each store really sends for it (its codes, statuses and messages), and each provider
must reach the same verdict with its own remedy. Then real-world CORS documents per provider:
W&B's documented rules and those of W&B's Terraform modules.

Pinned here rather than live: what the emulators cannot produce (GCS IAM denials and preflights,
Azure clock skew, S3 signatures; see the live tests' docstrings).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.storage import providers
from wbinstall.checks.storage.facts import (
    MISMATCH, NO_CREDENTIALS, TIMEOUT, TLS, UNREACHABLE, CorsRule, Failure, HttpExchange, StorageFacts, Step,
)
from wbinstall.checks.storage.judge import access, presign
from wbinstall.checks.storage.judge_cors import cors_check

HOST = "wandb.example.com"
ORIGIN = f"https://{HOST}"
KEY = "wbinstall-probe-0123456789abcdef"
PROVIDERS = ["s3", "gcs", "azure"]
STORE = {
    "s3": dict(storage={"provider": "s3", "bucket": "wandb-bucket", "region": "us-east-1",
                        "accessKey": {"env": "WB_S3_ACCESS_KEY"}, "secretKey": {"env": "WB_S3_SECRET_KEY"}},
               endpoint="https://s3.us-east-1.amazonaws.com", credentials="accessKey/secretKey from the answers",
               url="https://wandb-bucket.s3.us-east-1.amazonaws.com/"),
    "gcs": dict(storage={"provider": "gcs", "bucket": "wandb-bucket", "region": None,
                         "serviceAccountKey": {"file": "wandb-sa.json"}},
                endpoint="https://storage.googleapis.com",
                credentials="service-account key storage.serviceAccountKey (wandb@acme-ml.iam.gserviceaccount.com)",
                url="https://storage.googleapis.com/wandb-bucket/"),
    "azure": dict(storage={"provider": "azure", "bucket": "wandb-bucket", "region": None, "account": "acmewandb",
                           "accountKey": {"env": "WB_AZURE_KEY"}},
                  endpoint="https://acmewandb.blob.core.windows.net",
                  credentials="storage.accountKey from the answers (Shared Key)",
                  url="https://acmewandb.blob.core.windows.net/wandb-bucket/"),
}
OK = (Step("HeadBucket"), Step("PutObject"), Step("GetObject"), Step("DeleteObject"))


def answers(provider: str, host: str = HOST, **storage):
    return make_answers(host=host, storage={**STORE[provider]["storage"], **storage})


def facts(provider: str, *steps: Step, **kw) -> StorageFacts:
    store = STORE[provider]
    url = store["url"] + KEY + "-presigned"
    base = dict(provider=provider, bucket="wandb-bucket", endpoint=store["endpoint"],
                region="us-east-1" if provider == "s3" else None, credentials=store["credentials"], origin=ORIGIN,
                object_key=KEY, access=steps or OK,
                presigned_put=HttpExchange("presigned PUT", "PUT", url, 201 if provider == "azure" else 200),
                presigned_get=HttpExchange("presigned GET", "GET", url, 200, body_matches=True))
    base.update(kw)
    return StorageFacts(**base)


def fail(code: str, message: str = "", status: int | None = None, **kw) -> Failure:
    return Failure(code, message, status, **kw)


# -- storage.access: one situation, three stores ---------------------------------------------------

ACCESS_ROWS = {
    # situation: {provider: (steps, in summary, in remedy)}
    "bucket missing": {
        "s3": ((Step("HeadBucket", fail("NoSuchBucket", "Not Found", 404)),),
               "bucket wandb-bucket does not exist at region us-east-1", "aws s3api create-bucket --bucket wandb-bucket"),
        "gcs": ((Step("HeadBucket", fail("notFound", "The specified bucket does not exist.", 404)),),
                "bucket wandb-bucket does not exist", "gcloud storage buckets create gs://wandb-bucket"),
        "azure": ((Step("HeadBucket", fail("ContainerNotFound", "The specified container does not exist.", 404)),),
                  "container wandb-bucket does not exist in storage account acmewandb",
                  "az storage container create --name wandb-bucket --account-name acmewandb"),
    },
    "keys refused": {
        "s3": ((Step("HeadBucket", fail("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in "
                                        "our records.", 403)),),
               "the store does not know the access key", "storage.accessKey (from environment variable WB_S3_ACCESS_KEY)"),
        "gcs": ((Step("HeadBucket", fail("invalid_grant", "Invalid JWT Signature.", kind="bad-credentials")),),
                "Google refused the service-account key (invalid_grant: Invalid JWT Signature.)",
                "storage.serviceAccountKey (from file wandb-sa.json)"),
        "azure": ((Step("HeadBucket", fail("AuthenticationFailed", "Server failed to authenticate the request. Make "
                                           "sure the value of Authorization header is formed correctly including the "
                                           "signature.", 403)),),
                  "the storage account did not accept the account key (AuthenticationFailed)",
                  "storage.accountKey (from environment variable WB_AZURE_KEY)"),
    },
    "put denied": {
        "s3": ((Step("HeadBucket"), Step("PutObject", fail("AccessDenied", "Access Denied", 403))),
               "access denied on bucket wandb-bucket: PutObject (s3:PutObject)", '"arn:aws:s3:::wandb-bucket/*"'),
        "gcs": ((Step("HeadBucket"), Step("PutObject", fail(
                    "forbidden", "wandb@acme-ml.iam.gserviceaccount.com does not have storage.objects.create access to "
                    "the Google Cloud Storage object.", 403))),
                "access denied on bucket wandb-bucket: PutObject (storage.objects.create)",
                "--member=serviceAccount:wandb@acme-ml.iam.gserviceaccount.com --role=roles/storage.admin"),
        "azure": ((Step("HeadBucket"), Step("PutObject", fail(
                      "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation "
                      "using this permission.", 403))),
                  "access denied on container wandb-bucket: PutObject (Microsoft.Storage/storageAccounts/blobServices/"
                  "containers/blobs/write", 'az role assignment create --role "Storage Blob Data Contributor"'),
    },
    "clock skewed": {
        "s3": ((Step("HeadBucket", fail("RequestTimeTooSkewed", "", 403)),), "clock is too far", "NTP"),
        "gcs": ((Step("HeadBucket"), Step("PutObject", fail("ExpiredToken", "Invalid argument.", 400))),
                "the request's time was refused (ExpiredToken)", "NTP"),
        "azure": ((Step("HeadBucket", fail("AuthenticationFailed", "Request date header too old: 'Wed, 02 Dec 2026 "
                                           "05:00:00 GMT'", 403)),),
                  "the storage account refused the request's time", "NTP"),
    },
    "no credentials": {
        "s3": ((Step("HeadBucket", fail(NO_CREDENTIALS, "Unable to locate credentials")),),
               "no credentials: storage.accessKey/secretKey are not set and the default AWS chain found none", "IRSA"),
        "gcs": ((Step("HeadBucket", fail(NO_CREDENTIALS, "Your default credentials were not found.")),),
                "Application Default Credentials found none", "workload identity"),
        "azure": ((Step("HeadBucket", fail(NO_CREDENTIALS, "DefaultAzureCredential failed to retrieve a token")),),
                  "DefaultAzureCredential found none", "az login"),
    },
    "connection refused": {
        p: ((Step("HeadBucket", fail(UNREACHABLE, "connection refused")),),
            f"cannot reach the object store at {STORE[p]['endpoint']}: connection refused",
            {"s3": "AWS S3", "gcs": "storage.googleapis.com", "azure": "privatelink.blob.core.windows.net"}[p])
        for p in PROVIDERS
    },
    "no answer": {
        p: ((Step("HeadBucket", fail(TIMEOUT, "", seconds=8.0)),),
            f"no answer from {STORE[p]['endpoint']} within 8.0 s (HeadBucket)", "--timeout") for p in PROVIDERS
    },
    "private CA": {
        p: ((Step("HeadBucket", fail(TLS, "certificate verify failed: self-signed certificate in certificate chain")),),
            f"TLS with {STORE[p]['endpoint']} failed: certificate verify failed",
            "AWS_CA_BUNDLE" if p == "s3" else "SSL_CERT_FILE") for p in PROVIDERS
    },
    "content changed": {
        p: ((*OK[:2], Step("GetObject", fail(MISMATCH, "wrote 10 bytes, read back 12 bytes that differ")), OK[3]),
            "differs from what was written", "byte for byte") for p in PROVIDERS
    },
    "round trip works": {
        p: (OK, "answers: put, get and delete of a test object work", None) for p in PROVIDERS
    },
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("situation", list(ACCESS_ROWS))
def test_access_judge_reaches_the_same_verdict_for_every_provider(situation, provider):
    steps, summary, remedy = ACCESS_ROWS[situation][provider]
    result = access({"storage": facts(provider, *steps)}, inputs(answers(provider)))
    assert result.status == ("pass" if situation == "round trip works" else "fail"), result
    assert summary in result.summary
    if remedy is not None:
        assert remedy in result.remedy
    noun = "container" if provider == "azure" else "bucket"
    assert result.evidence[0] == f"{noun} wandb-bucket at endpoint {STORE[provider]['endpoint']}" + \
        (", region us-east-1" if provider == "s3" else "")


def test_every_provider_maps_every_row():
    assert all(set(rows) == set(PROVIDERS) for rows in ACCESS_ROWS.values())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_leftover_objects_are_removed_with_the_providers_cli(provider):
    steps = (*OK[:3], Step("DeleteObject", fail("AccessDenied" if provider == "s3" else "forbidden"
                                                if provider == "gcs" else "AuthorizationPermissionMismatch", "", 403)))
    result = access({"storage": facts(provider, *steps, leftover=(KEY,))}, inputs(answers(provider)))
    expected = {"s3": f"aws s3 rm s3://wandb-bucket/{KEY} --region us-east-1",
                "gcs": f"gcloud storage rm gs://wandb-bucket/{KEY}",
                "azure": f"az storage blob delete --account-name acmewandb --container-name wandb-bucket --name {KEY}"}
    assert expected[provider] in result.remedy


# -- storage.presign -------------------------------------------------------------------------------

def put(provider: str, status, code="", message="", **kw) -> HttpExchange:
    return HttpExchange("presigned PUT", "PUT", STORE[provider]["url"] + KEY, status, error_code=code,
                        error_message=message, **kw)


PRESIGN_ROWS = {
    "signed PUT denied": {
        "s3": (put("s3", 403, "AccessDenied", "Access Denied"), "HTTP 403 AccessDenied", "needs s3:PutObject"),
        "gcs": (put("gcs", 403, "AccessDenied", "Access denied."), "HTTP 403 AccessDenied",
                "needs storage.objects.create on bucket wandb-bucket"),
        "azure": (put("azure", 403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this "
                      "operation using this permission."), "HTTP 403 AuthorizationPermissionMismatch",
                  "create and write (sp=cw)"),
    },
    "signature refused": {
        "s3": (put("s3", 403, "SignatureDoesNotMatch", "The request signature we calculated does not match"),
               "SignatureDoesNotMatch", "changes the Host header"),
        "gcs": (put("gcs", 403, "SignatureDoesNotMatch", "Access denied. The request signature we calculated does not "
                    "match the signature you provided."), "SignatureDoesNotMatch", "exactly the signed headers"),
        "azure": (put("azure", 403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the "
                      "value of Authorization header is formed correctly including the signature."),
                  "AuthenticationFailed", "refused the SAS signature"),
    },
    "no answer": {
        p: (put(p, None, failure=fail(UNREACHABLE, "host name not resolved")), "presigned PUT got no answer",
            f"must all reach {STORE[p]['endpoint']} directly") for p in PROVIDERS
    },
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("situation", list(PRESIGN_ROWS))
def test_presign_judge_for_every_provider(situation, provider):
    exchange, summary, remedy = PRESIGN_ROWS[situation][provider]
    f = replace(facts(provider), presigned_put=exchange, presigned_get=None)
    result = presign({"storage": f}, inputs(answers(provider)))
    assert result.status == "fail", result
    assert summary in result.summary
    assert remedy in result.remedy


def test_azure_put_without_the_blob_type_header():
    f = replace(facts("azure"), presigned_put=put("azure", 400, "MissingRequiredHeader",
                                                  "An HTTP header that's mandatory for this request is not specified."),
                presigned_get=None)
    result = presign({"storage": f}, inputs(answers("azure")))
    assert result.status == "fail" and "x-ms-blob-type: BlockBlob" in result.remedy


@pytest.mark.parametrize(("failure", "summary", "remedy"), [
    (fail("CannotSign", "these credentials hold no private key and name no service account (user credentials from "
          "gcloud cannot sign URLs)", kind="no-signer"),
     "cannot sign URLs: these credentials hold no private key", "Service Account Token Creator"),
    # workload identity: tokens only, and IAM refuses signBlob for the service account
    (fail("forbidden", "Permission 'iam.serviceAccounts.signBlob' denied on resource (or it may not exist).", 403),
     "the credentials are tokens only and IAM refused signBlob", "roles/iam.serviceAccountTokenCreator"),
])
def test_gcs_signing_without_a_private_key(failure, summary, remedy):
    f = replace(facts("gcs"), presign_failure=failure, presigned_put=None, presigned_get=None)
    result = presign({"storage": f}, inputs(answers("gcs", serviceAccountKey=None)))
    assert result.status == "fail"
    assert summary in result.summary and remedy in result.remedy


def test_azure_signing_with_entra_id_needs_the_delegation_key():
    failure = fail("AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using "
                   "this permission.", 403, kind="no-signer")
    f = replace(facts("azure"), presign_failure=failure, presigned_put=None, presigned_get=None)
    result = presign({"storage": f}, inputs(answers("azure", accountKey=None)))
    assert result.status == "fail" and "user delegation key" in result.summary
    assert "generateUserDelegationKey" in result.remedy


# -- storage.cors: real-world documents per provider -----------------------------------------------

def as_answered(provider: str, rules: tuple[CorsRule, ...], method: str, http_method: str = "OPTIONS") -> HttpExchange:
    """What the provider's store answers a request from ORIGIN under `rules` (first matching rule)."""
    p = providers.get(provider)
    url = STORE[provider]["url"] + KEY
    label = f"preflight OPTIONS for {method}" if http_method == "OPTIONS" else "GET with Origin"
    for_ = method if http_method == "OPTIONS" else ""
    applied = p.matching_rule(rules, ORIGIN, method)
    if applied is None:
        return HttpExchange(label, http_method, url, 403, error_code="CorsPreflightFailure" if provider == "azure"
                            else "AccessForbidden", preflight_for=for_)
    headers = [("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Methods", method)]
    if p.requested_headers(method):
        headers.append(("Access-Control-Allow-Headers", ",".join(p.requested_headers(method))))
    if applied.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ",".join(applied.expose_headers)))
    return HttpExchange(label, http_method, url, 200, tuple(headers), preflight_for=for_)


def cors_facts(provider: str, rules: tuple[CorsRule, ...] | None, step: Step | None = None, **kw) -> StorageFacts:
    live = rules or ()
    answered = dict(preflights=(as_answered(provider, live, "PUT"), as_answered(provider, live, "GET")),
                    cors_get=as_answered(provider, live, "GET", "GET"))
    return facts(provider, cors_step=step or Step("GetBucketCors"), cors_rules=rules, **{**answered, **kw})


def gcs(origin=("*",), method=("GET", "HEAD", "PUT"), response_header=("*",), max_age=3000) -> CorsRule:
    """A GCS cors entry as the client reads it: responseHeader is both allowed and exposed."""
    return CorsRule(tuple(origin), tuple(method), tuple(response_header), tuple(response_header), max_age)


def azure(origins=("*",), methods=("GET", "HEAD", "PUT"), headers=("*",), exposed=("*",), max_age=3000) -> CorsRule:
    return CorsRule(tuple(origins), tuple(methods), tuple(headers), tuple(exposed), max_age)


CORS_DOCUMENTS = [
    # (provider, name, rules, status, in summary)
    ("gcs", "terraform-google-wandb (responseHeader *)", (gcs(),), "pass", "a real preflight agrees"),
    ("gcs", "W&B docs: responseHeader Content-Type, exposeHeaders ETag (not a GCS key)",
     (gcs(response_header=("Content-Type",)),), "fail", "do not expose ETag (responseHeader)"),
    ("gcs", "W&B host only, Content-Type and ETag", (gcs(origin=(ORIGIN,), response_header=("Content-Type", "ETag")),),
     "pass", "exposes ETag"),
    ("gcs", "ETag but not Content-Type", (gcs(response_header=("ETag",)),), "fail",
     "do not allow the header content-type on PUT"),
    ("gcs", "no PUT", (gcs(method=("GET", "HEAD")),), "fail", "do not allow PUT"),
    ("gcs", "partial wildcard origin (GCS has none)", (gcs(origin=("https://*.example.com",)),), "fail",
     "allow no request from https://wandb.example.com"),
    ("gcs", "other app's entry, then W&B's", (gcs(origin=("https://app.example.net",)), gcs()), "pass", "agrees"),
    ("azure", "W&B docs (portal): *, GET HEAD PUT, headers *, exposed *, 3000", (azure(),), "pass",
     "a real preflight agrees"),
    ("azure", "terraform-azurerm-wandb (max age 3600)", (azure(max_age=3600),), "pass", "agrees"),
    ("azure", "W&B host only, exposes etag in lower case", (azure(origins=(ORIGIN,), exposed=("etag",)),), "pass",
     "agrees"),
    ("azure", "several origins, W&B's among them", (azure(origins=("https://other.example.com", ORIGIN)),), "pass",
     "agrees"),
    ("azure", "metadata headers only", (azure(headers=("x-ms-meta*",)),), "fail",
     "do not allow the header content-type, x-ms-blob-type on PUT"),
    ("azure", "exactly the upload headers", (azure(headers=("content-type", "x-ms-blob-type")),), "warn",
     "allow fewer request headers than W&B documents (AllowedHeaders content-type, x-ms-blob-type instead of *)"),
    ("azure", "prefix headers that cover the uploads", (azure(headers=("content-*", "x-ms-*")),), "warn",
     "allow fewer request headers"),
    ("azure", "exposes x-ms-* only", (azure(exposed=("x-ms-*",)),), "fail", "do not expose ETag (ExposedHeaders)"),
    ("azure", "other origin", (azure(origins=("https://other.example.com",)),), "fail",
     "allow no request from https://wandb.example.com (allowed origins: https://other.example.com)"),
    ("azure", "no PUT", (azure(methods=("GET", "HEAD")),), "fail", "do not allow PUT"),
]


@pytest.mark.parametrize(("provider", "rules", "status", "summary"), [row[:1] + row[2:] for row in CORS_DOCUMENTS],
                         ids=[f"{row[0]}: {row[1]}" for row in CORS_DOCUMENTS])
def test_cors_documents_per_provider(provider, rules, status, summary):
    result = cors_check({"storage": cors_facts(provider, rules)}, inputs(answers(provider)))
    assert result.status == status, result
    assert summary in result.summary


def test_gcs_remedy_is_the_json_and_gcloud_command_for_the_users_host():
    result = cors_check({"storage": cors_facts("gcs", (gcs(method=("GET",)),))}, inputs(answers("gcs")))
    assert '"origin": ["https://wandb.example.com"]' in result.remedy
    assert '"responseHeader": ["*"]' in result.remedy
    assert "gcloud storage buckets update gs://wandb-bucket --cors-file=cors.json" in result.remedy


def test_gcs_says_there_is_no_expose_headers_key():
    result = cors_check({"storage": cors_facts("gcs", (gcs(response_header=("Content-Type",)),))},
                        inputs(answers("gcs")))
    assert any(e.startswith("GCS has no exposeHeaders key") for e in result.evidence)


def test_gcs_endpoint_without_preflights_passes_on_the_rules_and_says_so():
    emulator = tuple(HttpExchange(f"preflight OPTIONS for {m}", "OPTIONS", STORE["gcs"]["url"] + KEY, 501,
                                  error_message="<!DOCTYPE HTML>", preflight_for=m) for m in ("PUT", "GET"))
    bare_get = HttpExchange("GET with Origin", "GET", STORE["gcs"]["url"] + KEY, 200)
    result = cors_check({"storage": cors_facts("gcs", (gcs(),), preflights=emulator, cors_get=bare_get)},
                        inputs(answers("gcs")))
    assert result.status == "pass"
    assert result.summary.endswith("the preflight could not be confirmed here")
    assert any("answers no CORS preflight (HTTP 501)" in e for e in result.evidence)


def test_gcs_preflight_answered_without_cors_headers_is_a_refusal():
    # storage.googleapis.com answers an OPTIONS no entry matches with 200 and no Access-Control headers
    refused = tuple(HttpExchange(f"preflight OPTIONS for {m}", "OPTIONS", STORE["gcs"]["url"] + KEY, 200,
                                 preflight_for=m) for m in ("PUT", "GET"))
    result = cors_check({"storage": cors_facts("gcs", (gcs(),), preflights=refused)}, inputs(answers("gcs")))
    assert result.status == "fail"
    assert "refused a real preflight: PUT: no Access-Control-Allow-Origin header" in result.summary


def test_azure_remedy_is_the_az_command_for_the_users_account_and_host():
    result = cors_check({"storage": cors_facts("azure", (azure(methods=("GET",)),))}, inputs(answers("azure")))
    assert ("az storage cors add --services b --methods GET HEAD PUT --origins https://wandb.example.com "
            "--allowed-headers '*' --exposed-headers '*' --max-age 3000 --account-name acmewandb") in result.remedy
    assert "$AZURE_STORAGE_KEY" in result.remedy and "acmewandb" in result.summary


@pytest.mark.parametrize(("provider", "status", "in_remedy"), [
    ("s3", "fail", "s3:GetBucketCORS"),
    ("gcs", "fail", "storage.buckets.get"),
    ("azure", "warn", "Storage Account Contributor"),  # W&B does not read them; the preflight decides
])
def test_cors_rules_unreadable(provider, status, in_remedy):
    code = {"s3": "AccessDenied", "gcs": "forbidden", "azure": "AuthorizationPermissionMismatch"}[provider]
    step = Step("GetBucketCors", fail(code, "denied", 403))
    f = replace(cors_facts(provider, (azure(),) if provider == "azure" else (gcs(),)), cors_step=step, cors_rules=None)
    result = cors_check({"storage": f}, inputs(answers(provider)))
    assert result.status == status, result
    assert "cannot read the CORS rules" in result.summary
    assert in_remedy in result.remedy


def test_azure_unreadable_rules_and_a_refused_preflight_fail():
    step = Step("GetBucketCors", fail("AuthorizationResourceTypeMismatch", "This request is not authorized to "
                                      "perform this operation using this resource type.", 403))
    f = replace(cors_facts("azure", ()), cors_step=step, cors_rules=None)
    result = cors_check({"storage": f}, inputs(answers("azure", accountKey=None, sasToken={"env": "WB_AZURE_SAS"})))
    assert result.status == "fail"
    assert "the store refused a real preflight from https://wandb.example.com: PUT: HTTP 403" in result.summary
    assert "az storage cors add --services b" in result.remedy and "srt=s" in result.remedy


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_cors_configuration(provider):
    code = {"s3": "NoSuchCORSConfiguration", "gcs": "NoCorsConfiguration", "azure": "NoCorsRules"}[provider]
    step = Step("GetBucketCors", fail(code, "none", 404 if provider == "s3" else None, kind="cors-not-set"))
    f = replace(cors_facts(provider, ()), cors_step=step, cors_rules=None)
    result = cors_check({"storage": f}, inputs(answers(provider)))
    owner = "storage account acmewandb (Blob service)" if provider == "azure" else "bucket wandb-bucket"
    assert result.status == "fail"
    assert result.summary == f"{owner} has no CORS configuration: browsers cannot upload to it from {ORIGIN}"
    assert {"s3": "aws s3api put-bucket-cors", "gcs": "gcloud storage buckets update",
            "azure": "az storage cors add"}[provider] in result.remedy
