"""S3 on 127.0.0.1: moto's server with real bucket CORS, plus a MinIO-like front that has none.

    with SandboxS3() as s3:
        s3.create_bucket("wandb-ok", cors_rules=wandb_cors_rules())
        s3.create_bucket("wandb-no-put", cors_rules=wrong_cors_rules("missing_put"))
        s3.create_bucket("wandb-no-cors")
        client = s3.client()                       # boto3, path-style, s3.endpoint_url
        with MinioLikeS3(s3) as minio:            # same buckets, bucket-CORS API -> NotImplemented
            ...

Moto keeps its state per Python process: every SandboxS3 (and every MinioLikeS3 in front of one)
in a process sees the same buckets; `reset()` empties them.

Moto quirks that checks meet here (moto 5.2.5): a bucket without CORS answers a preflight with
200 and no Access-Control headers (AWS: 403); CORS rules are matched on origin only, not on
method or requested headers (a rule without PUT still answers a PUT preflight with 200 - read
Access-Control-Allow-Methods); with AllowedOrigins "*" the request's Origin is echoed (AWS: "*");
a refused preflight (403) still carries Access-Control-Allow-Methods; presigned URLs are
accepted without checking signature or expiry.
"""

from __future__ import annotations

import http.client
import logging
import os
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

# Read by moto.settings at import time: without it moto's global flask-cors wildcard masks bucket CORS.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from sandbox.procs import LOOPBACK, ServedInThread  # noqa: E402

REGION = "us-east-1"
ACCESS_KEY = "SANDBOXACCESSKEY0001"
SECRET_KEY = "sandbox-secret-key-not-a-secret"
WANDB_ORIGIN = "https://wandb.sandbox.test"


def wandb_cors_rules(origin: str = "*") -> list[dict]:
    """The CORS rule W&B documents for S3 (GET/HEAD/PUT, all headers, ETag exposed, max age 3000)."""
    return [
        {
            "AllowedOrigins": [origin],
            "AllowedMethods": ["GET", "HEAD", "PUT"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3000,
        }
    ]


WRONG_CORS_KINDS = ("missing_put", "other_origin", "no_expose_etag")


def wrong_cors_rules(kind: str, origin: str = "*") -> list[dict]:
    """A rule that is wrong for W&B in one way: 'missing_put', 'other_origin' (allows only
    https://other.example.test) or 'no_expose_etag'."""
    [rule] = wandb_cors_rules(origin)
    if kind == "missing_put":
        rule["AllowedMethods"] = ["GET", "HEAD"]
    elif kind == "other_origin":
        rule["AllowedOrigins"] = ["https://other.example.test"]
    elif kind == "no_expose_etag":
        del rule["ExposeHeaders"]
    else:
        raise ValueError(f"unknown wrong-CORS kind {kind!r}; known: {', '.join(WRONG_CORS_KINDS)}")
    return [rule]


class _S3Endpoint:
    """What a check needs to reach an S3 endpoint: URL, fixed test credentials, region, a client."""

    host: str
    port: int
    region = REGION
    access_key = ACCESS_KEY
    secret_key = SECRET_KEY

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, **config):
        """A boto3 S3 client for this endpoint, path-style addressing, explicit test credentials."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
        )

    def create_bucket(self, name: str, cors_rules: list[dict] | None = None) -> str:
        """Creates `name` (no CORS unless `cors_rules` is given) and returns it."""
        client = self.client()
        client.create_bucket(Bucket=name)
        if cors_rules is not None:
            client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors_rules})
        return name


class SandboxS3(_S3Endpoint):
    """moto's ThreadedMotoServer on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        from moto import settings
        from moto.server import ThreadedMotoServer

        if not settings.DISABLE_GLOBAL_CORS:
            raise RuntimeError("moto was imported before sandbox.s3 set MOTO_DISABLE_GLOBAL_CORS=true")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        self.host, self.port = LOOPBACK, 0

    def start(self) -> SandboxS3:
        self._server.start()
        self.host, self.port = self._server.get_host_and_port()
        return self

    def stop(self) -> None:
        if self.port:
            self._server.stop()
            self._server._server.server_close()  # stop() leaves the listening socket open
            self.port = 0

    def reset(self) -> None:
        """Deletes every bucket (moto's reset API; all moto state in this process)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("POST", "/moto-api/reset")
            conn.getresponse().read()
        finally:
            conn.close()

    def __enter__(self) -> SandboxS3:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class MinioLikeS3(ServedInThread, _S3Endpoint):
    """A stand-in for MinIO community edition's CORS behaviour, NOT MinIO: a small HTTP reverse
    proxy in front of a SandboxS3.

    - Get/Put/DeleteBucketCors (`?cors`) answer 501 NotImplemented, as MinIO does.
    - Preflight OPTIONS is answered by a global policy, like MinIO's `cors_allow_origin`
      (default "*"): 204 with the Origin, method and headers echoed; an origin not allowed gets
      403. Actual requests with an allowed Origin get Allow-Origin and Expose-Headers (incl. ETag).
    - Everything else is passed to moto unchanged.
    """

    def __init__(self, upstream: SandboxS3, allow_origin: str = "*") -> None:
        self.upstream = upstream
        self.allow_origin = allow_origin
        self._server = _ProxyServer(self)
        self.host, self.port = self._server.server_address[:2]
        self._thread_name = f"minio-like-{self.port}"
        self._log_name = "sandbox.s3"

    def origin_allowed(self, origin: str) -> bool:
        return self.allow_origin == "*" or origin in [o.strip() for o in self.allow_origin.split(",")]



# Headers that belong to one hop, not to the request/response being relayed.
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "expect", "content-length",
}
# Approximates MinIO's list of exposed headers; what matters to a check is that ETag is in it.
_EXPOSED = (
    "Date, ETag, Server, Connection, Accept-Ranges, Content-Range, Content-Encoding, Content-Length, "
    "Content-Type, Content-Disposition, Last-Modified, Content-Language, Cache-Control, Retry-After, "
    "X-Amz-Bucket-Region, Expires, X-Amz*, x-amz*, *"
)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = False  # joined by server_close(); handler timeouts bound the wait

    def __init__(self, front: MinioLikeS3) -> None:
        self.front = front
        super().__init__((LOOPBACK, 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue for boto3's PUTs
    timeout = 10
    server: _ProxyServer

    def do_OPTIONS(self) -> None:  # noqa: N802
        origin = self.headers.get("Origin")
        if not origin or not self.headers.get("Access-Control-Request-Method"):
            return self._relay()
        if not self.server.front.origin_allowed(origin):
            return self._send(403, {"Content-Type": "text/plain"}, b"CORS origin not allowed\n")
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": self.headers["Access-Control-Request-Method"],
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }
        if self.headers.get("Access-Control-Request-Headers"):
            headers["Access-Control-Allow-Headers"] = self.headers["Access-Control-Request-Headers"]
        self._send(204, headers, b"")

    def do_GET(self) -> None:  # noqa: N802
        self._relay()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def _relay(self) -> None:
        body = self._read_body()
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        if "cors" in query:
            return self._not_implemented()
        upstream = self.server.front.upstream
        conn = http.client.HTTPConnection(upstream.host, upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP}
            if self.command == "HEAD" and resp.getheader("Content-Length"):
                out["Content-Length"] = resp.getheader("Content-Length")
        finally:
            conn.close()
        origin = self.headers.get("Origin")
        if origin and self.server.front.origin_allowed(origin):
            out.update({"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": _EXPOSED,
                        "Access-Control-Allow-Credentials": "true", "Vary": "Origin"})
        self._send(resp.status, out, data)

    def _not_implemented(self) -> None:
        bucket = urlsplit(self.path).path.strip("/").split("/")[0]
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code>'
            "<Message>A header you provided implies functionality that is not implemented</Message>"
            f"<BucketName>{escape(bucket)}</BucketName><Resource>/{escape(bucket)}</Resource>"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId><HostId></HostId></Error>"
        ).encode()
        self._send(501, {"Content-Type": "application/xml"}, xml)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet test output
        pass


def create_standard_buckets(endpoint: _S3Endpoint, origin: str = WANDB_ORIGIN) -> dict[str, str]:
    """One bucket per CORS case a check must judge; returns case -> bucket name:
    cors_ok (origin *), cors_ok_origin (only `origin`), missing_put, other_origin, no_expose_etag,
    no_cors. Idempotent per process (moto's state is shared)."""
    cases = {
        "cors_ok": wandb_cors_rules(),
        "cors_ok_origin": wandb_cors_rules(origin),
        **{kind: wrong_cors_rules(kind) for kind in WRONG_CORS_KINDS},
        "no_cors": None,
    }
    client = endpoint.client()
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    names = {}
    for case, rules in cases.items():
        name = "wandb-" + case.replace("_", "-")
        if name not in existing:
            endpoint.create_bucket(name, cors_rules=rules)
        names[case] = name
    return names
