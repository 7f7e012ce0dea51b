"""Table tests of the storage.cors judge: bucket CORS documents and live answers -> results.

Unless a row says otherwise, the live answers are those AWS S3 gives for the rules in the row
(first matching rule; 403 AccessForbidden when none matches), so a row pins the rules' verdict.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.storage import cors
from wbinstall.checks.storage.facts import TIMEOUT, CorsRule, Failure, HttpExchange, StorageFacts, Step
from wbinstall.checks.storage.judge_cors import cors_check

HOST = "wandb.example.com"
ORIGIN = f"https://{HOST}"
URL = "https://wandb-bucket.s3.us-east-1.amazonaws.com/wbinstall-probe-0123-presigned"


def rule(origins=("*",), methods=("GET", "HEAD", "PUT"), headers=("*",), expose=("ETag",), max_age=3000) -> CorsRule:
    return CorsRule(tuple(origins), tuple(methods), tuple(headers), tuple(expose), max_age)


WANDB = (rule(),)  # the rule W&B documents for S3


def as_s3_answers(rules: tuple[CorsRule, ...], method: str, label: str, http_method: str = "OPTIONS") -> HttpExchange:
    """What AWS S3 answers a request from ORIGIN under `rules`."""
    applied = cors.matching_rule(rules, ORIGIN, method, cors.requested_headers(method))
    if applied is None:
        return HttpExchange(label, http_method, URL, 403, error_code="AccessForbidden",
                            error_message="CORSResponse: This CORS request is not allowed.",
                            preflight_for=method if http_method == "OPTIONS" else "")
    headers = [("Access-Control-Allow-Origin", "*" if applied.allowed_origins == ("*",) else ORIGIN),
               ("Access-Control-Allow-Methods", ", ".join(applied.allowed_methods)),
               *([("Access-Control-Allow-Headers", "content-type")] if cors.requested_headers(method) else [])]
    if applied.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ", ".join(applied.expose_headers)))
    return HttpExchange(label, http_method, URL, 200, tuple(headers),
                        preflight_for=method if http_method == "OPTIONS" else "")


def facts(rules: tuple[CorsRule, ...] | None = WANDB, step: Step | None = None, **kw) -> StorageFacts:
    live = rules if rules is not None else WANDB
    base = dict(
        provider="s3", bucket="wandb-bucket", endpoint="https://s3.us-east-1.amazonaws.com", region="us-east-1",
        credentials="accessKey/secretKey from the answers", origin=ORIGIN, object_key="wbinstall-probe-0123",
        access=(Step("HeadBucket"), Step("PutObject"), Step("GetObject"), Step("DeleteObject")),
        cors_step=step or Step("GetBucketCors"), cors_rules=rules,
        preflights=(as_s3_answers(live, "PUT", "preflight OPTIONS for PUT"),
                    as_s3_answers(live, "GET", "preflight OPTIONS for GET")),
        cors_get=as_s3_answers(live, "GET", "GET with Origin", "GET"),
    )
    base.update(kw)
    return StorageFacts(**base)


def judge(f: StorageFacts, **storage):
    answers = make_answers(host=HOST, storage=storage)
    return cors_check({"storage": f}, inputs(answers))


CORS_DOCUMENTS = [
    # (name, rules, status, in summary)
    ("W&B's documented rule, origin *", WANDB, "pass", "CORS allows GET, HEAD, PUT from https://wandb.example.com"),
    ("exact W&B origin", (rule(origins=(ORIGIN,)),), "pass", "a real preflight agrees"),
    ("wildcard subdomain", (rule(origins=("https://*.example.com",)),), "pass", "exposes ETag"),
    ("lowercase etag", (rule(expose=("etag",)),), "pass", "exposes ETag"),
    ("methods in another order, extra POST", (rule(methods=("PUT", "POST", "HEAD", "GET")),), "pass", "agrees"),
    ("several origins listed", (rule(origins=("https://other.example.com", ORIGIN)),), "pass", "agrees"),
    ("other origin only", (rule(origins=("https://other.example.com",)),), "fail",
     "allow no request from https://wandb.example.com (allowed origins: https://other.example.com)"),
    ("http origin instead of https", (rule(origins=(f"http://{HOST}",)),), "fail", "allow no request from"),
    ("wildcard of another domain", (rule(origins=("https://*.example.org",)),), "fail", "allow no request from"),
    ("missing PUT", (rule(methods=("GET", "HEAD")),), "fail", "do not allow PUT from https://wandb.example.com"),
    ("missing HEAD", (rule(methods=("GET", "PUT")),), "fail", "do not allow HEAD"),
    ("no ExposeHeaders", (rule(expose=()),), "fail", "do not expose ETag (ExposeHeaders)"),
    ("exposes other headers only", (rule(expose=("x-amz-request-id",)),), "fail", "do not expose ETag"),
    ("content-type not allowed", (rule(headers=("x-amz-*",)),), "fail", "do not allow the header content-type on PUT"),
    ("no headers allowed at all", (rule(headers=()),), "fail", "do not allow the header content-type on PUT from"),
    ("downloads need no allowed headers", (rule(methods=("GET", "HEAD"), headers=()), rule(methods=("PUT",))),
     "pass", "agrees"),
    ("only content-type allowed", (rule(headers=("Content-Type",)),), "warn",
     "allow fewer request headers than W&B documents (AllowedHeaders Content-Type instead of *)"),
    ("split rules that together work", (rule(methods=("GET", "HEAD")), rule(origins=(ORIGIN,), methods=("PUT",))),
     "pass", "agrees"),
    ("first matching rule lacks ETag", (rule(origins=(ORIGIN,), methods=("GET",), expose=()), rule()),
     "fail", "do not expose ETag"),
    ("other app's rule first, W&B's second", (rule(origins=("https://app.example.net",), methods=("GET",)), rule()),
     "pass", "agrees"),
    ("empty rule set", (), "fail", "allow no request from https://wandb.example.com"),
]


@pytest.mark.parametrize(("rules", "status", "summary"), [row[1:] for row in CORS_DOCUMENTS],
                         ids=[row[0] for row in CORS_DOCUMENTS])
def test_cors_documents(rules, status, summary):
    result = judge(facts(rules))
    assert result.status == status, result
    assert summary in result.summary


def test_several_problems_are_all_named():
    result = judge(facts((rule(methods=("GET",), expose=()),)))
    assert result.summary == "the CORS rules of bucket wandb-bucket do not allow HEAD, PUT from https://wandb.example.com"
    assert "also: the rules do not expose ETag (ExposeHeaders) to https://wandb.example.com" in result.evidence


def test_cors_evidence_shows_rules_and_live_answers_verbatim():
    result = judge(facts())
    assert "CORS rule 1: origins *; methods GET, HEAD, PUT; headers *; expose ETag; max age 3000" in result.evidence
    assert any(e.startswith(f"preflight OPTIONS for PUT {URL}: HTTP 200; Access-Control-Allow-Origin: *") for e in result.evidence)
    assert any(e.startswith(f"GET with Origin {URL}: HTTP 200") and "Expose-Headers: ETag" in e for e in result.evidence)


def remedy_document(remedy: str) -> dict:
    return json.loads(re.search(r"^\{.*^\}", remedy, re.S | re.M).group(0))


def test_remedy_is_the_exact_cors_json_and_command_for_the_users_bucket():
    result = judge(facts((rule(methods=("GET", "HEAD")),)))
    assert remedy_document(result.remedy) == {"CORSRules": [
        {"AllowedHeaders": ["*"], "AllowedMethods": ["GET", "HEAD", "PUT"], "AllowedOrigins": [ORIGIN],
         "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000},
        # the user's own rule is kept, after W&B's
        {"AllowedHeaders": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
         "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000},
    ]}
    assert ("aws s3api put-bucket-cors --bucket wandb-bucket --cors-configuration file://cors.json --region us-east-1"
            in result.remedy)


def test_remedy_for_s3_compatible_points_the_cli_at_the_endpoint():
    f = facts(step=Step("GetBucketCors", Failure("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404)),
              rules=None, provider="s3-compatible")
    result = judge(f, provider="s3-compatible", endpoint="https://s3.storage.example.com", accessKey="a1b2c3d4",
                   secretKey="s3cr3t-s3cr3t")
    assert result.status == "fail"
    assert result.summary == ("bucket wandb-bucket has no CORS configuration: browsers cannot upload to it from "
                              "https://wandb.example.com")
    assert "--cors-configuration file://cors.json --endpoint-url https://s3.storage.example.com" in result.remedy
    assert len(remedy_document(result.remedy)["CORSRules"]) == 1


NOT_IMPLEMENTED = Step("GetBucketCors", Failure("NotImplemented", "A header you provided implies functionality "
                                                                  "that is not implemented", 501))


def minio_preflight(method: str, allow: bool = True) -> HttpExchange:
    label = f"preflight OPTIONS for {method}"
    if not allow:
        return HttpExchange(label, "OPTIONS", URL, 403, error_message="CORS origin not allowed", preflight_for=method)
    return HttpExchange(label, "OPTIONS", URL, 204, (
        ("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Methods", method),
        ("Access-Control-Allow-Headers", "content-type"), ("Access-Control-Allow-Credentials", "true")),
        preflight_for=method)


MINIO = dict(provider="s3-compatible", endpoint="https://minio.example.com:9000", accessKey="a1b2c3d4", secretKey="s3cr3t-s3cr3t")


def test_store_without_bucket_cors_warns_and_explains_the_server_wide_setting():
    f = facts(rules=None, step=NOT_IMPLEMENTED, preflights=(minio_preflight("PUT"), minio_preflight("GET")))
    result = judge(f, **MINIO)
    assert result.status == "warn"
    assert "no bucket CORS (NotImplemented" in result.summary and "preflight from https://wandb.example.com was allowed" in result.summary
    assert "mc admin config set <alias> api cors_allow_origin=https://wandb.example.com" in result.remedy
    assert "GetBucketCors: HTTP 501 NotImplemented: A header you provided implies functionality that is not implemented" in result.evidence


def test_store_without_bucket_cors_says_when_etag_is_not_exposed():
    f = facts(rules=None, step=NOT_IMPLEMENTED, preflights=(minio_preflight("PUT"), minio_preflight("GET")),
              cors_get=HttpExchange("GET with Origin", "GET", URL, 200, (("Access-Control-Allow-Origin", ORIGIN),)))
    result = judge(f, **MINIO)
    assert result.status == "warn"
    assert result.summary.endswith("; ETag is not exposed")


def test_store_without_bucket_cors_fails_when_the_preflight_is_refused():
    f = facts(rules=None, step=NOT_IMPLEMENTED, preflights=(minio_preflight("PUT", False), minio_preflight("GET", False)))
    result = judge(f, **MINIO)
    assert result.status == "fail"
    assert result.summary.endswith("refused a preflight from https://wandb.example.com: PUT: HTTP 403")
    assert "cors_allow_origin=https://wandb.example.com" in result.remedy


def test_rules_right_but_preflight_refused_fails_with_the_header_seen():
    stripped = HttpExchange("preflight OPTIONS for PUT", "OPTIONS", URL, 200, preflight_for="PUT")  # a CDN answering
    f = facts(preflights=(stripped, facts().preflights[1]))
    result = judge(f)
    assert result.status == "fail"
    assert result.summary == ("the CORS rules of bucket wandb-bucket are right, but the store refused a real preflight: "
                              "PUT: no Access-Control-Allow-Origin header")
    assert "proxy, CDN or gateway" in result.remedy


def test_rules_right_but_preflight_unanswered_fails():
    lost = HttpExchange("preflight OPTIONS for PUT", "OPTIONS", URL, failure=Failure(TIMEOUT, "", seconds=1.0),
                        preflight_for="PUT")
    result = judge(facts(preflights=(lost,)))
    assert result.status == "fail"
    assert "PUT: no answer: Timeout" in result.summary


def test_rules_expose_etag_but_the_live_answer_does_not_warns():
    bare = HttpExchange("GET with Origin", "GET", URL, 200, (("Access-Control-Allow-Origin", "*"),))
    pre = tuple(replace(p, cors_headers=tuple(h for h in p.cors_headers if "Expose" not in h[0]))
                for p in facts().preflights)
    result = judge(facts(cors_get=bare, preflights=pre))
    assert result.status == "warn"
    assert "the rules expose ETag, but the store's answer to a GET with Origin did not" in result.summary


@pytest.mark.parametrize(("failure", "status", "summary", "remedy"), [
    (Failure("AccessDenied", "Access Denied", 403), "fail", "cannot read the CORS rules of bucket wandb-bucket: HTTP 403 AccessDenied",
     "s3:GetBucketCORS"),
    (Failure(TIMEOUT, "", seconds=2.5), "fail", "no answer from https://s3.us-east-1.amazonaws.com within 2.5 s (GetBucketCors)",
     "--timeout"),
    (Failure("InternalError", "We encountered an internal error.", 500), "fail",
     "reading the CORS rules of bucket wandb-bucket failed: HTTP 500 InternalError", "put-bucket-cors"),
])
def test_cors_read_failures(failure, status, summary, remedy):
    result = judge(facts(rules=None, step=Step("GetBucketCors", failure)))
    assert result.status == status
    assert summary in result.summary
    assert remedy in result.remedy
