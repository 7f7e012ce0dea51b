"""The bucket client for Google Cloud Storage, on google-cloud-storage and google-auth.

Credentials: the service-account key file of the answers (storage.serviceAccountKey), else
Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials,
workload identity / the metadata server). V4 signed URLs are signed with the key's private key;
credentials that are only tokens sign through the IAM signBlob API
(iam.serviceAccounts.signBlob, role Service Account Token Creator on the service account), and
user credentials cannot sign at all. Retries are off; every call has a (connect, read) timeout.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal


from wbinstall.checks.storage import web
from wbinstall.checks.storage.client import BucketError
from wbinstall.checks.storage.facts import (
    BAD_CREDENTIALS, CLIENT, CORS_NOT_SET, NO_CREDENTIALS, NO_SIGNER, TIMEOUT, TLS, UNREACHABLE, CorsRule, Failure,
)

CONNECT_CAP = 3.0
SCOPES = ("https://www.googleapis.com/auth/devstorage.read_write",)
GOOGLE_ENDPOINT = "https://storage.googleapis.com"
CONTENT_TYPE = "application/octet-stream"  # signed into the PUT URL: the upload must send the same


class GCSBucket:
    def __init__(self, *, bucket: str, endpoint: str | None, key_file: str | None, timeout: float):
        self.bucket = bucket
        self.endpoint = (endpoint or GOOGLE_ENDPOINT).rstrip("/")
        self._secrets: list[str] = [key_file] if key_file else []
        self._ssl: ssl.SSLContext | None = None
        self._credentials, project, self.credentials = self._load(key_file, timeout)
        from google.cloud import storage

        options = {"api_endpoint": self.endpoint} if endpoint else None
        try:
            self._client = storage.Client(project=project or "-", credentials=self._credentials,
                                          client_options=options)
        except ValueError as exc:
            raise BucketError(Failure(CLIENT, self.redact(f"{self.endpoint}: {exc}"))) from None
        self._bucket = self._client.bucket(bucket)

    def _load(self, key_file: str | None, timeout: float) -> tuple[Any, str | None, str]:
        if key_file:
            from google.oauth2 import service_account

            try:
                info = json.loads(key_file)
                creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            except (ValueError, KeyError, TypeError) as exc:
                raise BucketError(Failure("InvalidKeyFile", f"storage.serviceAccountKey is not a service-account key "
                                          f"file: {self.redact(_short(exc))}", kind=BAD_CREDENTIALS)) from None
            self._secrets += [v for v in (info.get("private_key"), info.get("private_key_id")) if v]
            self._secrets += [line for line in str(info.get("private_key", "")).splitlines() if len(line) >= 16]
            return creds, info.get("project_id"), (f"service-account key storage.serviceAccountKey "
                                                    f"({info.get('client_email', 'no client_email')})")
        creds, project, how = _default_credentials(timeout)
        return creds, project, how

    # -- the BucketClient interface ------------------------------------------------------------

    def head_bucket(self, timeout: float) -> str | None:
        self._call(timeout, lambda t: self._bucket.reload(timeout=t, retry=None))
        return None

    def put_object(self, key: str, data: bytes, timeout: float) -> None:
        blob = self._bucket.blob(key)
        self._call(timeout, lambda t: blob.upload_from_string(data, content_type=CONTENT_TYPE, timeout=t, retry=None))

    def get_object(self, key: str, timeout: float) -> bytes:
        blob = self._bucket.blob(key)
        return self._call(timeout, lambda t: blob.download_as_bytes(timeout=t, retry=None))

    def delete_object(self, key: str, timeout: float) -> None:
        blob = self._bucket.blob(key)
        self._call(timeout, lambda t: blob.delete(timeout=t, retry=None))

    def presign(self, method: Literal["GET", "PUT"], key: str, expires: int) -> str:
        from google.auth import credentials as gcreds

        blob = self._bucket.blob(key)
        extra: dict[str, Any] = {"content_type": CONTENT_TYPE} if method == "PUT" else {}
        if not isinstance(self._credentials, gcreds.Signing):
            # Tokens only (workload identity, metadata server, impersonation): sign with IAM signBlob.
            email = getattr(self._credentials, "service_account_email", None)
            if not email or email == "default":
                raise BucketError(Failure(
                    "CannotSign", "these credentials hold no private key and name no service account "
                    "(user credentials from gcloud cannot sign URLs)", kind=NO_SIGNER))
            extra.update(service_account_email=email, access_token=self._token())
        try:
            return blob.generate_signed_url(version="v4", expiration=timedelta(seconds=expires), method=method,
                                            api_access_endpoint=self.endpoint, **extra)
        except Exception as exc:  # noqa: BLE001 - _failure sorts out what is expected
            failure = self._failure(exc, CONNECT_CAP)
            raise BucketError(Failure(failure.code, failure.message, failure.http_status, failure.seconds,
                                      kind=failure.kind or NO_SIGNER)) from None

    def get_cors(self, timeout: float) -> tuple[CorsRule, ...]:
        self._call(timeout, lambda t: self._bucket.reload(timeout=t, retry=None))
        entries = list(self._bucket.cors or [])
        if not entries:
            raise BucketError(Failure("NoCorsConfiguration", "the bucket resource has no cors entries",
                                      kind=CORS_NOT_SET))
        return tuple(_rule(r) for r in entries)

    def upload_headers(self) -> dict[str, str]:
        return {}

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import certifi

            # google-cloud-storage talks through requests: REQUESTS_CA_BUNDLE, else certifi's bundle.
            self._ssl = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE") or certifi.where())
        return self._ssl

    def redact(self, text: str) -> str:
        token = getattr(getattr(self, "_credentials", None), "token", None)
        for value in [*self._secrets, *([token] if token and len(token) >= 8 else [])]:
            text = text.replace(value, "<redacted>")
        return text

    def close(self) -> None:
        self._client.close()

    # -- google-cloud-storage ------------------------------------------------------------------

    def _token(self) -> str:
        from google.auth.transport.requests import Request

        try:
            if not self._credentials.valid:
                self._credentials.refresh(Request())
        except Exception as exc:  # noqa: BLE001
            raise BucketError(self._failure(exc, CONNECT_CAP)) from None
        return self._credentials.token

    def _call(self, timeout: float, operation: Callable[[tuple[float, float]], Any]) -> Any:
        limits = (min(timeout, CONNECT_CAP), timeout)
        try:
            return operation(limits)
        except Exception as exc:  # noqa: BLE001 - _failure sorts out what is expected
            raise BucketError(self._failure(exc, limits[1])) from None

    def _failure(self, exc: BaseException, timeout: float) -> Failure:
        from google.api_core import exceptions as gx
        from google.auth import exceptions as ax

        if isinstance(exc, ax.TransportError | ax.RefreshError) and "signBlob" in str(exc):
            # Token-only credentials sign through IAM (google-auth's iam.Signer): it was refused.
            return Failure("SignBlobRefused", self.redact(_short(exc)), kind=NO_SIGNER)
        if isinstance(exc, gx.GoogleAPICallError):
            reason = next((e.get("reason") for e in (exc.errors or []) if isinstance(e, dict) and e.get("reason")), "")
            status = exc.code if isinstance(exc.code, int) else None
            return Failure(reason or str(status or type(exc).__name__), self.redact(_short(exc.message or exc)), status)
        if isinstance(exc, ax.RefreshError):
            # The token endpoint refused the key (deleted, disabled, wrong project) or the grant.
            first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            return Failure("invalid_grant" if "invalid_grant" in first else "RefreshError",
                           self.redact(_short(first.removeprefix("invalid_grant: "))), kind=BAD_CREDENTIALS)
        if isinstance(exc, ax.DefaultCredentialsError):
            return Failure(NO_CREDENTIALS, self.redact(_short(exc)))
        cause = web.find_cause(exc, web.TELLING)
        if cause is not None:
            seen = web.classify(cause, timeout)
            return Failure(seen.code, self.redact(seen.message), seconds=seen.seconds)
        text = f"{type(exc).__name__}: {exc}"
        if "Timeout" in type(exc).__name__ or "timed out" in str(exc):
            return Failure(TIMEOUT, "", seconds=timeout)
        if "SSL" in text:
            return Failure(TLS, self.redact(_short(exc)))
        if isinstance(exc, ax.TransportError) or "ConnectionError" in type(exc).__name__:
            return Failure(UNREACHABLE, self.redact(_short(exc)))
        if isinstance(exc, ax.GoogleAuthError | OSError | ValueError | TypeError):
            return Failure(CLIENT, self.redact(text[:300]))
        raise exc


def _default_credentials(timeout: float) -> tuple[Any, str | None, str]:
    """google.auth.default(), bounded: off Google Cloud it asks the metadata server, which may not answer."""
    import google.auth

    out: dict[str, Any] = {}

    def find() -> None:
        try:
            out["value"] = google.auth.default(scopes=SCOPES)
        except Exception as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    worker = threading.Thread(target=find, name="wbinstall-gcs-adc", daemon=True)
    worker.start()
    worker.join(max(0.1, min(timeout, 10.0)))
    if "value" not in out:
        error = out.get("error")
        message = _short(error) if error else f"no credentials found within {timeout:.1f} s"
        raise BucketError(Failure(NO_CREDENTIALS, message))
    creds, project = out["value"]
    return creds, project, f"Application Default Credentials ({_describe(creds)})"


def _describe(creds: Any) -> str:
    kind = type(creds).__module__ + "." + type(creds).__name__
    if "compute_engine" in kind:
        return "the metadata server: workload identity or the VM's service account"
    if "service_account" in kind:
        return f"service-account key file {os.environ.get('GOOGLE_APPLICATION_CREDENTIALS', '')}".strip()
    if kind.endswith("oauth2.credentials.Credentials"):
        return "user credentials from gcloud auth application-default login"
    if "impersonated" in kind:
        return "an impersonated service account"
    return type(creds).__name__


def _short(exc: Any) -> str:
    text = str(exc)
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:300]


def _rule(r: dict[str, Any]) -> CorsRule:
    # GCS's responseHeader is both what a preflight lets the page send and what the browser may read
    # (it plays AllowedHeaders and ExposeHeaders at once). GCS has no exposeHeaders key: ignored.
    headers = tuple(r.get("responseHeader") or ())
    return CorsRule(allowed_origins=tuple(r.get("origin") or ()), allowed_methods=tuple(r.get("method") or ()),
                    allowed_headers=headers, expose_headers=headers, max_age_seconds=r.get("maxAgeSeconds"))



