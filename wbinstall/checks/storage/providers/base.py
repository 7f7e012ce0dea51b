"""What a storage provider module supplies to the neutral probe and judges. Pure, no SDK imports.

A provider owns: its bucket client (made lazily, `client`), the mapping of its store's error codes
onto the neutral failure kinds (`KINDS`, `kind`), its CORS rule semantics (`matching_rule`,
`exposes`, the headers W&B's uploads send) and every remedy written in its own tools' terms. The
judges only ever ask these questions; they never look at a provider's error codes themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wbinstall.checks.storage import cors
from wbinstall.checks.storage.facts import (
    CLIENT, MISMATCH, NO_CREDENTIALS, OTHER, OUT_OF_TIME, TIMEOUT, TLS, UNREACHABLE, CorsRule, Failure, HttpExchange,
    StorageFacts,
)

if TYPE_CHECKING:
    from wbinstall.answers.model import StorageAnswers
    from wbinstall.checks.context import ProbeContext
    from wbinstall.checks.storage.client import BucketClient
    from wbinstall.requirements import CorsReq

# Kinds every provider shares: the probe sets them itself.
PROBE_KINDS = {k: k for k in (UNREACHABLE, TIMEOUT, TLS, NO_CREDENTIALS, MISMATCH, OUT_OF_TIME, CLIENT)}


class Provider:
    name = ""
    label = ""  # "Amazon S3", shown in messages
    noun = "bucket"  # what storage.bucket names at this provider (Azure: container)
    # Store error code -> neutral kind. Status codes (as strings) are the fallback for bare answers.
    KINDS: dict[str, str] = {}
    STATUS_KINDS: dict[int, str] = {}
    # The headers W&B's browser uploads send that a CORS rule must allow (beyond the safelisted ones).
    UPLOAD_HEADERS: tuple[str, ...] = cors.UPLOAD_HEADERS
    # W&B itself reads the bucket's CORS rules (S3, GCS): a denied read is a failure on its own.
    WANDB_READS_CORS = True
    # W&B documents "all headers" for uploads: warn when a rule allows only some (S3, Azure). GCS's own
    # W&B example lists only Content-Type, so there only the headers uploads really send count.
    WARN_NARROW_HEADERS = True
    # The permission each probe step needs, to name what was refused.
    PERMISSIONS: dict[str, str] = {}

    # -- the client ------------------------------------------------------------------------------

    def client(self, ctx: ProbeContext) -> BucketClient:
        raise NotImplementedError

    # -- error kinds -----------------------------------------------------------------------------

    def kind(self, failure: Failure | None) -> str:
        if failure is None:
            return ""
        if failure.kind:
            return failure.kind
        return self.code_kind(failure.code, failure.http_status)

    def code_kind(self, code: str, status: int | None = None) -> str:
        if code in PROBE_KINDS:
            return code
        if code in self.KINDS:
            return self.KINDS[code]
        return self.STATUS_KINDS.get(status or 0, OTHER)

    def cors_read_kind(self, failure: Failure) -> str:
        """The kind of a failure to read the CORS rules (after the round trip worked)."""
        return self.kind(failure)

    def exchange_kind(self, x: HttpExchange) -> str:
        """The kind of a refusal to a plain HTTP request (a presigned URL)."""
        return self.code_kind(x.error_code, x.status) if x.error_code else self.STATUS_KINDS.get(x.status or 0, OTHER)

    def permission(self, operation: str) -> str:
        return self.PERMISSIONS.get(operation, operation)

    # -- CORS semantics --------------------------------------------------------------------------

    def requested_headers(self, method: str) -> tuple[str, ...]:
        """The headers a W&B request with `method` asks to send through a preflight."""
        return () if method in cors.SAFELISTED_METHODS else self.UPLOAD_HEADERS

    def origin_allowed(self, rule: CorsRule, origin: str) -> bool:
        return cors.origin_allowed(rule, origin)

    def method_allowed(self, rule: CorsRule, method: str) -> bool:
        return cors.method_allowed(rule, method)

    def headers_allowed(self, rule: CorsRule, headers: Iterable[str]) -> bool:
        return cors.headers_allowed(rule, headers)

    def matching_rule(self, rules: Iterable[CorsRule], origin: str, method: str) -> CorsRule | None:
        """The rule the store applies to W&B's request with `method` from `origin` (first match)."""
        headers = self.requested_headers(method)
        for rule in rules:
            if (self.origin_allowed(rule, origin) and self.method_allowed(rule, method)
                    and self.headers_allowed(rule, headers)):
                return rule
        return None

    def exposes(self, rule: CorsRule, header: str) -> bool:
        return cors.exposes(rule, header)

    def expose_field(self) -> str:
        """The name of the rule field that exposes response headers, for messages."""
        return "ExposeHeaders"

    def allowed_headers_field(self) -> str:
        return "AllowedHeaders"

    def expose_note(self, rules: tuple[CorsRule, ...]) -> str:
        """Anything to add when a rule does not expose ETag (GCS: there is no exposeHeaders key)."""
        return ""

    def preflight_unsupported(self, x: HttpExchange) -> bool:
        """True when the endpoint answers no preflight at all (an emulator), so it cannot confirm."""
        return False

    # -- remedies and texts ----------------------------------------------------------------------

    def rules_owner(self, f: StorageFacts, s: StorageAnswers) -> str:
        """Whose CORS rules they are, for messages: the bucket (Azure: the account's Blob service)."""
        return f"{self.noun} {f.bucket}"

    def endpoint_of(self, f: StorageFacts, s: StorageAnswers) -> str:
        return f.endpoint or s.endpoint or "the store"

    def no_credentials(self, s: StorageAnswers) -> tuple[str, str]:
        raise NotImplementedError

    def unreachable_fix(self, s: StorageAnswers) -> str:
        return f"Check this machine's network path to {self.label} (proxy, private endpoint, DNS)"

    def tls_fix(self, s: StorageAnswers) -> str:
        return ("If the store's certificate comes from a private CA, trust that CA on this machine (SSL_CERT_FILE) "
                "and give W&B the same CA (operator customCACerts); otherwise fix the certificate "
                "(it must name the endpoint's host and be served with its full chain).")

    def credentials_failure(self, failure: Failure, operation: str, kind: str, s: StorageAnswers) -> tuple[str, str]:
        raise NotImplementedError

    def region_failure(self, failure: Failure, operation: str, f: StorageFacts) -> tuple[str, str]:
        return (f"{operation} failed: {failure.describe()}",
                "Check storage.endpoint: it must be the store's endpoint for this account.")

    def not_found(self, f: StorageFacts, s: StorageAnswers) -> tuple[str, str]:
        raise NotImplementedError

    def access_special(self, f: StorageFacts, bad: list[Any], s: StorageAnswers) -> tuple[str, str] | None:
        """A provider's own reading of failed steps before the neutral ones (S3: KMS)."""
        return None

    def after_round_trip(self, f: StorageFacts) -> tuple[str, str] | None:
        """A failure that a working round trip can still hide (S3: the bucket's region)."""
        return None

    def head_denied_note(self) -> str:
        return ""

    def grant(self, s: StorageAnswers, credentials: str) -> str:
        raise NotImplementedError

    def remove_objects(self, s: StorageAnswers, keys: Iterable[str]) -> str:
        raise NotImplementedError

    def signing_failure(self, failure: Failure, s: StorageAnswers) -> tuple[str, str]:
        return (f"could not create presigned URLs: {failure.describe()}", "Check the credentials.")

    def presign_remedy(self, label: str, x: HttpExchange, f: StorageFacts, s: StorageAnswers) -> str | None:
        """A provider's own reading of a refused presigned request; None leaves it to the neutral text."""
        return None

    def put_cors(self, s: StorageAnswers, host: str, req: CorsReq, existing: Iterable[CorsRule] = ()) -> str:
        raise NotImplementedError

    def cors_read_denied(self, s: StorageAnswers, credentials: str) -> str:
        raise NotImplementedError

    def cors_unsupported(self, s: StorageAnswers, host: str) -> str:
        return (f"This store has no per-bucket CORS: allow GET, PUT and HEAD from https://{host} and expose ETag "
                "as its documentation describes.")

    def cors_rule_line(self, i: int, r: CorsRule) -> str:
        parts = [f"origins {', '.join(r.allowed_origins) or '-'}", f"methods {', '.join(r.allowed_methods) or '-'}",
                 f"headers {', '.join(r.allowed_headers) or '-'}", f"expose {', '.join(r.expose_headers) or '-'}"]
        if r.max_age_seconds is not None:
            parts.append(f"max age {r.max_age_seconds}")
        return f"CORS rule {i}: " + "; ".join(parts)
