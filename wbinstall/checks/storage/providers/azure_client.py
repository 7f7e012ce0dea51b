"""The bucket client for Azure Blob Storage, on azure-storage-blob (+ azure-identity when no key).

`storage.bucket` is the container, `storage.account` the storage account. Credentials, in order:
the account key, a SAS token, else DefaultAzureCredential (managed or workload identity, AZURE_*
environment, `az login`). Retries are off and every call carries its own connect and read
timeouts, so no call outlives the time it was given.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import parse_qs, quote

from wbinstall.checks.storage import web
from wbinstall.checks.storage.client import BucketError
from wbinstall.checks.storage.facts import (
    BAD_CREDENTIALS, CLIENT, CORS_NOT_SET, NO_CREDENTIALS, NO_SIGNER, TIMEOUT, TLS, UNREACHABLE, CorsRule, Failure,
)

CONNECT_CAP = 3.0
_PERMISSIONS = {"PUT": "cw", "GET": "r"}


class AzureContainer:
    def __init__(self, *, account: str, container: str, endpoint: str | None, account_key: str | None,
                 sas_token: str | None):
        from azure.storage.blob import BlobServiceClient

        self.account = account
        self.bucket = container
        self.endpoint = (endpoint or f"https://{account}.blob.core.windows.net").rstrip("/")
        self._key = account_key
        self._sas = (sas_token or "").lstrip("?") or None
        self._secrets = [v for v in (account_key, self._sas) if v and len(v) >= 4]
        if self._sas:
            # The signature is the secret part; it reaches messages URL-encoded or not.
            self._secrets += [v for vs in parse_qs(self._sas).get("sig", []) for v in (vs, quote(vs, safe=""))]
        credential: Any
        if account_key:
            credential = {"account_name": account, "account_key": account_key}
            self.credentials = "storage.accountKey from the answers (Shared Key)"
        elif self._sas:
            from azure.core.credentials import AzureSasCredential

            credential = AzureSasCredential(self._sas)
            self.credentials = "storage.sasToken from the answers (SAS)"
        else:
            from azure.identity import DefaultAzureCredential

            # No browser pop-up from a terminal installer; everything else DefaultAzureCredential tries.
            credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
            self.credentials = ("DefaultAzureCredential of this machine (environment, workload or managed "
                                "identity, az login)")
        try:
            self._service = BlobServiceClient(self.endpoint, credential=credential, retry_total=0,
                                              connection_timeout=CONNECT_CAP)
        except ValueError as exc:  # e.g. "Token credential is only supported with HTTPS."
            raise BucketError(Failure(CLIENT, f"{self.endpoint}: {exc}")) from None
        self._container = self._service.get_container_client(container)
        self._ssl: ssl.SSLContext | None = None

    # -- the BucketClient interface ------------------------------------------------------------

    def head_bucket(self, timeout: float) -> str | None:
        # Listing one blob, not Get Container Properties: a container SAS (sp=l) may list, but only an
        # account-level credential may read the container's properties.
        def list_one(limits: dict[str, float]) -> None:
            next(self._container.list_blobs(results_per_page=1, **limits).by_page(), None)  # the first page is one request

        self._call(timeout, list_one)
        return None

    def put_object(self, key: str, data: bytes, timeout: float) -> None:
        self._call(timeout, lambda t: self._container.upload_blob(key, data, overwrite=True, **t))

    def get_object(self, key: str, timeout: float) -> bytes:
        return self._call(timeout, lambda t: self._container.download_blob(key, **t).readall())

    def delete_object(self, key: str, timeout: float) -> None:
        self._call(timeout, lambda t: self._container.delete_blob(key, **t))

    def presign(self, method: Literal["GET", "PUT"], key: str, expires: int) -> str:
        """A SAS URL: signed with the account key, or a user delegation key from Entra ID; with a SAS
        token in the answers, that token (it is what W&B would be given)."""
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        url = f"{self.endpoint}/{quote(self.bucket)}/{quote(key)}"
        if self._sas:
            return f"{url}?{self._sas}"
        start = datetime.now(timezone.utc) - timedelta(minutes=5)  # a little clock slack, as the SDK docs advise
        expiry = datetime.now(timezone.utc) + timedelta(seconds=expires)
        permission = BlobSasPermissions.from_string(_PERMISSIONS[method])
        if self._key:
            token = generate_blob_sas(self.account, self.bucket, key, account_key=self._key, permission=permission,
                                      expiry=expiry, start=start)
        else:
            try:
                delegation = self._call(CONNECT_CAP, lambda t: self._service.get_user_delegation_key(start, expiry, **t))
            except BucketError as exc:
                raise BucketError(Failure(exc.failure.code, exc.failure.message, exc.failure.http_status,
                                          kind=exc.failure.kind or NO_SIGNER)) from None
            token = generate_blob_sas(self.account, self.bucket, key, user_delegation_key=delegation,
                                      permission=permission, expiry=expiry, start=start)
        return f"{url}?{token}"

    def get_cors(self, timeout: float) -> tuple[CorsRule, ...]:
        props = self._call(timeout, lambda t: self._service.get_service_properties(**t))
        rules = tuple(_rule(r) for r in props.get("cors") or ())
        if not rules:
            raise BucketError(Failure("NoCorsRules", f"the Blob service of account {self.account} has no CORS rules",
                                      kind=CORS_NOT_SET))
        return rules

    def upload_headers(self) -> dict[str, str]:
        return {"x-ms-blob-type": "BlockBlob"}  # a Put Blob through a SAS URL needs it (W&B's clients send it)

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import certifi

            # The trust azure-core's requests transport uses: REQUESTS_CA_BUNDLE, else certifi's bundle.
            self._ssl = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE") or certifi.where())
        return self._ssl

    def redact(self, text: str) -> str:
        for value in self._secrets:
            text = text.replace(value, "<redacted>")
        return text

    def close(self) -> None:
        self._service.close()

    # -- azure-core ----------------------------------------------------------------------------

    def _call(self, timeout: float, operation: Callable[[dict[str, float]], Any]) -> Any:
        limits = {"connection_timeout": min(timeout, CONNECT_CAP), "read_timeout": timeout}
        try:
            return operation(limits)
        except Exception as exc:  # noqa: BLE001 - _failure sorts out what is expected
            raise BucketError(self._failure(exc, limits)) from None

    def _failure(self, exc: BaseException, limits: dict[str, float]) -> Failure:
        from azure.core import exceptions as ax

        if isinstance(exc, ax.ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
            # azure-identity: no credential in the chain produced a token (CredentialUnavailableError),
            # or the one that did was refused by Entra ID.
            unavailable = "CredentialUnavailable" in type(exc).__name__ or "failed to retrieve a token" in str(exc)
            return Failure(NO_CREDENTIALS if unavailable else "AuthenticationFailed", self.redact(_first_line(exc)),
                           kind=NO_CREDENTIALS if unavailable else BAD_CREDENTIALS)
        if isinstance(exc, ax.HttpResponseError) and getattr(exc, "status_code", None) is not None:
            code = getattr(exc.error_code, "value", exc.error_code) or _header_code(exc) or str(exc.status_code)
            return Failure(str(code), self.redact(_first_line(exc)), exc.status_code)
        if isinstance(exc, ax.ServiceRequestError | ax.ServiceResponseError):
            cause = web.find_cause(exc, web.TELLING)
            if cause is not None:
                seen = web.classify(cause, limits["read_timeout"])
                seconds = limits["connection_timeout"] if isinstance(exc, ax.ServiceRequestError) else seen.seconds
                return Failure(seen.code, self.redact(seen.message), seconds=seconds)
            text = str(exc).lower()
            if "timed out" in text or "timeout" in text:
                return Failure(TIMEOUT, "", seconds=limits["read_timeout"])
            if "ssl" in text or "certificate" in text:
                return Failure(TLS, self.redact(_first_line(exc)))
            return Failure(UNREACHABLE, self.redact(_first_line(exc)))
        if isinstance(exc, ax.AzureError | OSError | ValueError):
            return Failure(CLIENT, self.redact(f"{type(exc).__name__}: {_first_line(exc)}"))
        raise exc


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")[:300]


def _header_code(exc: Any) -> str:
    response = getattr(exc, "response", None)
    return (response.headers.get("x-ms-error-code") if response is not None else "") or ""


def _items(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(v.strip() for v in value if v and v.strip())
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _rule(r: Any) -> CorsRule:
    return CorsRule(allowed_origins=_items(r.allowed_origins), allowed_methods=_items(r.allowed_methods),
                    allowed_headers=_items(r.allowed_headers), expose_headers=_items(r.exposed_headers),
                    max_age_seconds=r.max_age_in_seconds)
