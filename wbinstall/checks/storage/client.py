"""The bucket operations the storage checks need, as one small interface per provider.

Implemented per provider in providers/ (S3 and S3-compatible on boto3, GCS on google-cloud-storage,
Azure Blob on azure-storage-blob): a put/get/delete round trip, presigned (signed, SAS) URLs and
the CORS rules that apply to the bucket.

Every method that talks to the store takes the seconds it may use; expected failures (not found,
refused, timeout, bad keys) are raised as BucketError carrying a Failure, never anything else.
"""

from __future__ import annotations

import ssl
from typing import Literal, Protocol

from wbinstall.checks.storage.facts import CorsRule, Failure


class BucketError(Exception):
    def __init__(self, failure: Failure):
        super().__init__(failure.describe())
        self.failure = failure


class BucketClient(Protocol):
    endpoint: str  # the API endpoint in use, shown to the user
    credentials: str  # where the keys come from, never the keys

    def head_bucket(self, timeout: float) -> str | None:
        """Checks the bucket exists and answers; returns its region when the store says."""

    def put_object(self, key: str, data: bytes, timeout: float) -> None: ...

    def get_object(self, key: str, timeout: float) -> bytes: ...

    def delete_object(self, key: str, timeout: float) -> None: ...

    def presign(self, method: Literal["GET", "PUT"], key: str, expires: int) -> str:
        """A URL that lets anyone holding it do `method` on `key` until it expires."""

    def get_cors(self, timeout: float) -> tuple[CorsRule, ...]: ...

    def upload_headers(self) -> dict[str, str]:
        """Headers a client of the store must send with a presigned PUT (Azure: x-ms-blob-type)."""

    def ssl_context(self) -> ssl.SSLContext:
        """The trust the client's own API calls use, for the probe's plain HTTP requests."""

    def redact(self, text: str) -> str:
        """`text` without any credential value the client holds (given or found in a default chain)."""

    def close(self) -> None: ...
