"""What the storage probe saw: each bucket operation's outcome, the presigned requests, CORS.

Nothing here ever holds a credential: presigned URLs are kept without their query string (it
carries the access key id and the signature) and every message is redacted before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

# Codes the probe gives failures that are not the store's own error codes.
UNREACHABLE = "EndpointUnreachable"  # refused, no route, name not resolved
TIMEOUT = "Timeout"  # connected (or tried to) and got no answer in time
TLS = "TLSError"  # handshake or certificate verification failed
NO_CREDENTIALS = "NoCredentials"  # no keys in the answers and none in the provider's default chain
MISMATCH = "ContentMismatch"  # read back other bytes than were written
OUT_OF_TIME = "OutOfTime"  # not tried: the probe's deadline came first
CLIENT = "ClientError"  # anything else on our side, in the library's words

# Neutral failure kinds: what the judges reason about. The codes above double as kinds (a
# transport failure is the same whatever the provider); each provider module maps its store's
# error codes onto the rest (providers/<name>.py KINDS); a code it does not know is OTHER.
BAD_CREDENTIALS = "bad-credentials"  # the store does not accept the keys (unknown key, bad signature, expired)
CLOCK_SKEW = "clock-skew"  # the request's time is outside the store's window
DENIED = "denied"  # the identity is known but not allowed this operation
NOT_FOUND = "not-found"  # no such bucket / container
WRONG_REGION = "wrong-region"  # the bucket lives elsewhere than the answers say (region or endpoint)
CORS_NOT_SET = "cors-not-set"  # the bucket (or account) has no CORS configuration
CORS_UNSUPPORTED = "cors-unsupported"  # the store has no per-bucket CORS at all (MinIO community)
ENCRYPTION = "encryption"  # the encryption key refused the operation (AWS KMS)
NO_SIGNER = "no-signer"  # the credentials cannot sign URLs (GCS tokens without iam.serviceAccounts.signBlob)
OTHER = "other"


@dataclass(frozen=True)
class Failure:
    """Why one operation did not work, in the store's own words where it gave any."""

    code: str  # the store's error code (NoSuchBucket, AccessDenied, ...) or one of the codes above
    message: str = ""
    http_status: int | None = None
    seconds: float | None = None  # the time allowed, for TIMEOUT
    bucket_region: str | None = None  # where the store says the bucket lives (S3: x-amz-bucket-region)
    kind: str = ""  # one of KINDS when the client knew it; else the provider maps `code` (providers.kind)

    def describe(self) -> str:
        status = f"HTTP {self.http_status} " if self.http_status else ""
        text = f"{status}{self.code}"
        if self.code == OUT_OF_TIME:
            return "not tried: the check ran out of time"
        if self.code == TIMEOUT and self.seconds is not None:
            text += f" (no answer within {self.seconds:.1f} s)"
        return f"{text}: {self.message}" if self.message else text


@dataclass(frozen=True)
class Step:
    """One bucket operation through the provider's API (HeadBucket, PutObject, ...)."""

    operation: str
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def describe(self) -> str:
        return f"{self.operation}: " + ("ok" if self.failure is None else self.failure.describe())


@dataclass(frozen=True)
class HttpExchange:
    """A request the probe made itself over HTTP, as a browser or a training host would."""

    label: str  # "presigned PUT", "preflight OPTIONS for PUT", ...
    method: str
    url: str  # scheme://host/path only: never the query string of a presigned URL
    status: int | None = None
    # Access-Control-* response headers, verbatim (name as sent, value).
    cors_headers: tuple[tuple[str, str], ...] = ()
    error_code: str = ""  # <Code> of an XML error body (S3, Azure, GCS XML API)
    error_message: str = ""  # <Message> of it, or the start of a non-XML body
    failure: Failure | None = None  # set when no HTTP answer came at all
    body_matches: bool | None = None  # for a GET of what was PUT
    preflight_for: str = ""  # for a preflight: the Access-Control-Request-Method it asked about

    @property
    def answered(self) -> bool:
        return self.failure is None and self.status is not None

    @property
    def ok(self) -> bool:
        return self.answered and 200 <= (self.status or 0) < 300 and self.body_matches is not False

    def header(self, name: str) -> str | None:
        for key, value in self.cors_headers:
            if key.lower() == name.lower():
                return value
        return None

    def describe(self) -> str:
        if self.failure is not None:
            return f"{self.label} {self.url}: {self.failure.describe()}"
        text = f"{self.label} {self.url}: HTTP {self.status}"
        if self.error_code:
            text += f" {self.error_code}"
        if self.error_message:
            text += f": {self.error_message}"
        if self.body_matches is False:
            text += " (the bytes read back differ from those written)"
        return text


@dataclass(frozen=True)
class CorsRule:
    """One bucket CORS rule, as the store returned it."""

    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None

    def to_document(self) -> dict[str, object]:
        """The rule in the JSON shape `aws s3api put-bucket-cors` takes (other providers: their module)."""
        doc: dict[str, object] = {}
        if self.allowed_headers:
            doc["AllowedHeaders"] = list(self.allowed_headers)
        doc["AllowedMethods"] = list(self.allowed_methods)
        doc["AllowedOrigins"] = list(self.allowed_origins)
        if self.expose_headers:
            doc["ExposeHeaders"] = list(self.expose_headers)
        if self.max_age_seconds is not None:
            doc["MaxAgeSeconds"] = self.max_age_seconds
        return doc


@dataclass(frozen=True)
class StorageFacts:
    provider: str
    bucket: str
    # False for a provider the checks cannot probe: nothing else is set then.
    supported: bool = True
    endpoint: str = ""  # the API endpoint used, e.g. https://s3.us-east-1.amazonaws.com
    region: str | None = None
    credentials: str = ""  # where the keys came from, never the keys
    origin: str = ""  # the W&B origin the CORS checks used: https://<host>
    object_key: str = ""  # the probe object's key (deleted again)

    # HeadBucket, PutObject, GetObject, DeleteObject, in the order tried; stops at a transport failure.
    access: tuple[Step, ...] = ()
    bucket_region: str | None = None  # x-amz-bucket-region, when the store said
    leftover: tuple[str, ...] = ()  # keys the probe wrote but could not delete

    # Presigned URLs, generated then really used; None when not reached.
    presign_failure: Failure | None = None  # generating the URLs failed
    presigned_put: HttpExchange | None = None
    presigned_get: HttpExchange | None = None

    # Bucket CORS (Azure: the account's Blob service CORS): the rules (None if reading them failed: see
    # cors_step) and what the store answered live.
    cors_step: Step | None = None
    cors_rules: tuple[CorsRule, ...] | None = None
    preflights: tuple[HttpExchange, ...] = ()  # OPTIONS for PUT, then for GET
    cors_get: HttpExchange | None = None  # a GET with Origin: shows Access-Control-Expose-Headers

    def step(self, operation: str) -> Step | None:
        return next((s for s in self.access if s.operation == operation), None)
