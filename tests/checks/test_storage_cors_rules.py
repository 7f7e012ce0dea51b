"""The pure CORS evaluation: S3's rule matching, and what a browser makes of a preflight answer."""

from __future__ import annotations

import pytest

from wbinstall.checks.storage import cors
from wbinstall.checks.storage.facts import TIMEOUT, CorsRule, Failure, HttpExchange

ORIGIN = "https://wandb.example.com"


def rule(origins=("*",), methods=("GET", "HEAD", "PUT"), headers=("*",), expose=("ETag",)) -> CorsRule:
    return CorsRule(tuple(origins), tuple(methods), tuple(headers), tuple(expose), 3000)


@pytest.mark.parametrize(("pattern", "origin", "allowed"), [
    ("*", ORIGIN, True),
    (ORIGIN, ORIGIN, True),
    ("https://*.example.com", ORIGIN, True),
    ("https://*.example.com", "https://a.b.example.com", True),  # S3's * spans dots
    ("https://*.example.com", "https://example.com", False),
    ("https://*.example.com", "http://wandb.example.com", False),
    ("http://*", ORIGIN, False),
    ("https://*", ORIGIN, True),
    ("https://wandb.example.com:443", ORIGIN, False),  # the browser's origin has no default port
    ("https://other.example.com", ORIGIN, False),
    ("https://wandb.example.co", ORIGIN, False),  # a prefix is not a match
    ("wandb.example.com", ORIGIN, False),  # an origin needs its scheme
    ("https://WANDB.example.com", ORIGIN, False),  # S3 compares origins as given
])
def test_origin_patterns_follow_s3(pattern, origin, allowed):
    assert cors.origin_allowed(rule(origins=(pattern,)), origin) is allowed


@pytest.mark.parametrize(("methods", "method", "allowed"), [
    (("GET", "HEAD", "PUT"), "PUT", True),
    (("GET", "HEAD"), "PUT", False),
    (("get", "put"), "PUT", False),  # S3 methods are exact, upper case
    (("PUT",), "GET", False),
])
def test_methods_match_exactly(methods, method, allowed):
    assert cors.method_allowed(rule(methods=methods), method) is allowed


@pytest.mark.parametrize(("allowed_headers", "requested", "ok"), [
    (("*",), ("content-type",), True),
    (("Content-Type",), ("content-type",), True),  # header names compare case-insensitively
    (("content-*",), ("content-type", "content-md5"), True),
    (("x-amz-*",), ("content-type",), False),
    ((), ("content-type",), False),
    ((), (), True),  # a request asking for no headers needs none allowed
    (("Content-Type",), ("content-type", "x-amz-meta-run"), False),
])
def test_requested_headers_must_each_be_allowed(allowed_headers, requested, ok):
    assert cors.headers_allowed(rule(headers=allowed_headers), requested) is ok


def test_the_first_matching_rule_applies():
    get_only = rule(methods=("GET",), expose=())
    full = rule()
    assert cors.matching_rule([get_only, full], ORIGIN, "GET") is get_only
    assert cors.matching_rule([get_only, full], ORIGIN, "PUT") is full


def test_a_rule_for_another_origin_is_passed_over():
    other = rule(origins=("https://other.example.com",))
    mine = rule(origins=(ORIGIN,), expose=("etag",))
    assert cors.matching_rule([other, mine], ORIGIN, "PUT", ("content-type",)) is mine


def test_no_rule_matches_when_headers_are_refused():
    assert cors.matching_rule([rule(headers=("x-amz-*",))], ORIGIN, "PUT", ("content-type",)) is None


@pytest.mark.parametrize(("expose", "ok"), [
    (("ETag",), True), (("etag",), True), (("ETAG",), True), (("*",), True),
    (("x-amz-request-id",), False), ((), False), (("ETag-Extra",), False),
])
def test_etag_exposure_ignores_case(expose, ok):
    assert cors.exposes(rule(expose=expose), "ETag") is ok


def preflight(status=200, failure=None, **headers: str) -> HttpExchange:
    names = {"allow_origin": "Access-Control-Allow-Origin", "allow_methods": "Access-Control-Allow-Methods",
             "allow_headers": "Access-Control-Allow-Headers", "expose": "Access-Control-Expose-Headers"}
    return HttpExchange("preflight OPTIONS for PUT", "OPTIONS", "https://s3.example.com/b/k", status,
                        tuple((names[k], v) for k, v in headers.items()), failure=failure)


@pytest.mark.parametrize(("answer", "method", "refusal"), [
    (preflight(allow_origin=ORIGIN, allow_methods="GET, HEAD, PUT", allow_headers="content-type"), "PUT", None),
    (preflight(204, allow_origin="*", allow_methods="PUT", allow_headers="*"), "PUT", None),
    (preflight(allow_origin=ORIGIN, allow_methods="GET, HEAD", allow_headers="*"), "PUT",
     "Access-Control-Allow-Methods (GET, HEAD) does not include PUT"),
    (preflight(allow_origin=ORIGIN, allow_headers="*"), "GET", None),  # GET needs no listing
    (preflight(allow_origin=ORIGIN), "GET", None),  # and a download asks for no headers
    (preflight(allow_origin=ORIGIN, allow_methods="PUT"), "PUT",
     "Access-Control-Allow-Headers does not include content-type"),
    (preflight(), "PUT", "no Access-Control-Allow-Origin header"),
    (preflight(allow_origin="https://other.example.com", allow_methods="PUT", allow_headers="*"), "PUT",
     "Access-Control-Allow-Origin is https://other.example.com, not https://wandb.example.com"),
    (preflight(403), "PUT", "HTTP 403"),
    (preflight(None, failure=Failure(TIMEOUT, "", seconds=2.0)), "PUT", "no answer: Timeout (no answer within 2.0 s)"),
])
def test_preflight_answers_as_a_browser_reads_them(answer, method, refusal):
    assert cors.preflight_refusal(answer, ORIGIN, method) == refusal


def test_only_uploads_ask_for_the_content_type_header():
    assert cors.requested_headers("PUT") == ("content-type",)
    assert cors.requested_headers("GET") == cors.requested_headers("HEAD") == ()


def test_exposed_headers_are_read_from_the_answer():
    assert cors.exposed_in(preflight(expose="x-amz-request-id, etag"), "ETag")
    assert not cors.exposed_in(preflight(expose="x-amz-request-id"), "ETag")
    assert not cors.exposed_in(preflight(), "ETag")
