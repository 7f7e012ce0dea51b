"""Gather what the storage checks judge: a real round trip through the bucket, presigned URLs used
over HTTP, and the bucket's CORS as configured and as answered to a preflight.

Everything the probe writes is deleted again, whatever fails on the way (try/finally). A share of
the time is kept back for that cleanup, so an object is not left behind because a slow store ate
the whole deadline.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from wbinstall.checks.context import ProbeContext
from wbinstall.checks.storage import providers, web
from wbinstall.checks.storage.client import BucketClient, BucketError
from wbinstall.checks.storage.facts import (
    CLIENT, MISMATCH, NO_CREDENTIALS, NOT_FOUND, OUT_OF_TIME, TIMEOUT, TLS, UNREACHABLE, Failure, StorageFacts, Step,
)
from wbinstall.checks.storage.providers.base import Provider

# As W&B signs them (wandb-operator.md §4.1): uploads valid 24 h, downloads 1 h.
PUT_EXPIRES = 24 * 3600
GET_EXPIRES = 3600
CONTENT_TYPE = "application/octet-stream"  # what the W&B clients upload with
PREFLIGHT_METHODS = ("PUT", "GET")
# Failure kinds after which no further call to the store can tell anything new.
_FATAL = {UNREACHABLE, TIMEOUT, TLS, NO_CREDENTIALS, CLIENT, OUT_OF_TIME, NOT_FOUND}


class Budget:
    """Seconds each call may take: what is left before the deadline, minus a reserve for cleanup."""

    def __init__(self, ctx: ProbeContext):
        self.ctx = ctx
        self.reserve = min(2.0, 0.2 * ctx.remaining())

    def step(self) -> float:
        return max(0.05, self.ctx.remaining() - self.reserve)

    def cleanup(self) -> float:
        return self.ctx.remaining()

    @property
    def spent(self) -> bool:
        return self.ctx.remaining() - self.reserve <= 0.1


def gather(ctx: ProbeContext) -> StorageFacts:
    s = ctx.answers.storage
    provider = providers.get(s.provider)
    if provider is None:
        return StorageFacts(provider=s.provider, bucket=s.bucket, supported=False, region=s.region)
    try:
        client = provider.client(ctx)
    except BucketError as exc:  # e.g. an endpoint URL the library refuses
        return StorageFacts(provider=s.provider, bucket=s.bucket, region=s.region,
                            access=(Step("HeadBucket", exc.failure),))
    try:
        return observe(client, ctx)
    finally:
        client.close()


def observe(client: BucketClient, ctx: ProbeContext) -> StorageFacts:
    """Run every step against `client`; separate from gather() so tests can wrap a real client."""
    s = ctx.answers.storage
    provider = providers.get(s.provider)
    assert provider is not None
    budget = Budget(ctx)
    key = _probe_key(s.path)
    facts: dict = dict(provider=s.provider, bucket=s.bucket, region=s.region, endpoint=client.endpoint,
                       credentials=client.credentials, origin=f"https://{ctx.answers.host}", object_key=key)
    leftover: list[str] = []

    access, bucket_region = _round_trip(client, provider, key, budget, leftover)
    facts.update(access=access, bucket_region=bucket_region)
    # The other checks wait for a working round trip (after=storage.access): no need to ask more.
    if all(step.ok for step in access):
        presigned, object_url = _presigned(client, f"{key}-presigned", budget, leftover, facts["origin"])
        facts.update(presigned)
        facts.update(_cors(client, provider, budget, object_url, facts["origin"]))
    return StorageFacts(**facts, leftover=tuple(leftover))


def _probe_key(prefix: str | None) -> str:
    name = f"wbinstall-probe-{uuid.uuid4().hex}"
    prefix = (prefix or "").strip("/")
    return f"{prefix}/{name}" if prefix else name


def _out_of_time(budget: Budget) -> Failure:
    return Failure(OUT_OF_TIME, seconds=budget.ctx.remaining())


def _round_trip(client: BucketClient, provider: Provider, key: str, budget: Budget,
                leftover: list[str]) -> tuple[tuple[Step, ...], str | None]:
    payload = f"wbinstall storage probe {uuid.uuid4()}\n".encode()
    steps: list[Step] = []
    region: str | None = None
    try:
        region = client.head_bucket(budget.step())
        steps.append(Step("HeadBucket"))
    except BucketError as exc:
        steps.append(Step("HeadBucket", exc.failure))
        region = exc.failure.bucket_region
        if provider.kind(exc.failure) in _FATAL:
            return tuple(steps), region

    if budget.spent:
        return (*steps, Step("PutObject", _out_of_time(budget))), region
    try:
        client.put_object(key, payload, budget.step())
    except BucketError as exc:
        steps.append(Step("PutObject", exc.failure))
        if exc.failure.code in (TIMEOUT, UNREACHABLE):
            _delete(client, key, budget, leftover)  # a put that got no answer may still have been stored
        return tuple(steps), region
    steps.append(Step("PutObject"))
    try:
        got = client.get_object(key, budget.step())
        steps.append(Step("GetObject", None if got == payload else Failure(
            MISMATCH, f"wrote {len(payload)} bytes, read back {len(got)} bytes that differ")))
    except BucketError as exc:
        steps.append(Step("GetObject", exc.failure))
    finally:
        steps.append(_delete(client, key, budget, leftover))
    return tuple(steps), region


def _delete(client: BucketClient, key: str, budget: Budget, leftover: list[str]) -> Step:
    try:
        client.delete_object(key, budget.cleanup())
        return Step("DeleteObject")
    except BucketError as exc:
        leftover.append(key)
        return Step("DeleteObject", exc.failure)


def _presigned(client: BucketClient, key: str, budget: Budget, leftover: list[str],
               origin: str) -> tuple[dict, str | None]:
    """PUT then GET through presigned URLs, then a GET with Origin (what a browser's download
    sends, to see which headers the store exposes). The object is deleted afterwards.
    Also returns the object's plain URL, for the CORS preflights."""
    try:
        put_url = client.presign("PUT", key, PUT_EXPIRES)
        get_url = client.presign("GET", key, GET_EXPIRES)
    except BucketError as exc:
        return {"presign_failure": exc.failure}, None
    out: dict = {}
    payload = f"wbinstall presigned probe {uuid.uuid4()}\n".encode()
    context = client.ssl_context()
    try:
        headers = {"Content-Type": CONTENT_TYPE, **client.upload_headers()}
        put, _ = web.request("presigned PUT", "PUT", put_url, body=payload, headers=headers,
                             timeout=budget.step(), context=context, redact=client.redact)
        out["presigned_put"] = put
        if not put.ok:
            return out, web.without_query(get_url)
        get, body = web.request("presigned GET", "GET", get_url, timeout=budget.step(), context=context,
                                redact=client.redact)
        out["presigned_get"] = replace(get, body_matches=body == payload) if get.ok else get
        if not budget.spent:
            out["cors_get"], _ = web.request("GET with Origin", "GET", get_url, headers={"Origin": origin},
                                             timeout=budget.step(), context=context, redact=client.redact)
    finally:
        # Whatever the PUT answered (even nothing), the object may exist now.
        _delete(client, key, budget, leftover)
    return out, web.without_query(get_url)


def _cors(client: BucketClient, provider: Provider, budget: Budget, object_url: str | None, origin: str) -> dict:
    out: dict = {}
    if budget.spent:
        return {"cors_step": Step("GetBucketCors", _out_of_time(budget))}
    try:
        out["cors_rules"] = client.get_cors(budget.step())
        out["cors_step"] = Step("GetBucketCors")
    except BucketError as exc:
        out["cors_step"] = Step("GetBucketCors", exc.failure)
    if object_url is None:
        return out
    context = client.ssl_context()
    preflights = []
    for method in PREFLIGHT_METHODS:
        if budget.spent:
            break
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        if provider.requested_headers(method):
            headers["Access-Control-Request-Headers"] = ", ".join(provider.requested_headers(method))
        exchange, _ = web.request(f"preflight OPTIONS for {method}", "OPTIONS", object_url, headers=headers,
                                  timeout=budget.step(), context=context, redact=client.redact)
        preflights.append(replace(exchange, preflight_for=method))
    out["preflights"] = tuple(preflights)
    return out
