"""The bucket client for Amazon S3 and S3-compatible stores (MinIO, Ceph, StorageGRID...), on boto3.

One boto3 client per run, so that keep-alive saves a TLS handshake per call against a distant
store. Each call's read timeout is set per request (botocore reads `read_timeout` from the
request context), so no call outlives the time it was given; the connect timeout is fixed when
the client is made and the client is remade when less time than that is left.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

from wbinstall.checks.storage import web
from wbinstall.checks.storage.client import BucketError
from wbinstall.checks.storage.facts import CLIENT, NO_CREDENTIALS, TIMEOUT, TLS, UNREACHABLE, CorsRule, Failure

# A connect that takes longer than this is not going to work (a firewall dropping packets).
CONNECT_CAP = 3.0
# HEAD answers carry no body, so botocore names the error after the status code.
_HEAD_CODES = {"404": "NoSuchBucket", "403": "AccessDenied", "400": "BadRequest", "301": "PermanentRedirect"}
_OPERATIONS = {"GET": "get_object", "PUT": "put_object"}
# Errors under botocore's connection errors that say what went wrong (web.classify names them).
_TELLING = (ssl.SSLError, ConnectionRefusedError, ConnectionResetError, socket.gaierror, TimeoutError)


class S3Bucket:
    def __init__(self, *, bucket: str, region: str | None, endpoint_url: str | None, path_style: bool,
                 access_key: str | None, secret_key: str | None, kms_key: str | None = None):
        import boto3
        import botocore.session

        self.bucket = bucket
        self._endpoint_url = endpoint_url
        # Virtual-host style is what AWS serves (and gives regional presigned URLs); S3-compatible
        # stores are reached by path, as W&B does (forcePathStyle). A dotted bucket name does not
        # fit AWS's wildcard certificate, so it goes by path too.
        self._style = "path" if path_style or "." in bucket else "virtual"
        self._kms_key = kms_key
        self._core = botocore.session.Session()
        self._core.register_component("data_loader", _loader())
        # The default chain may ask the instance metadata service: keep that short too.
        self._core.set_config_variable("metadata_service_timeout", 1)
        self._core.set_config_variable("metadata_service_num_attempts", 1)
        self._session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                              region_name=region or "us-east-1", botocore_session=self._core)
        self._secrets = [v for v in (access_key, secret_key) if v and len(v) >= 4]
        self.credentials = (
            "accessKey/secretKey from the answers" if access_key
            else "the default AWS credential chain of this machine (profile, environment, instance role)")
        self._client: Any = None
        self._ssl: ssl.SSLContext | None = None
        self._connect = 0.0
        self._read = 1.0
        try:
            self.endpoint = self._api(CONNECT_CAP).meta.endpoint_url
        except ValueError as exc:  # botocore: "Invalid endpoint: ..."
            raise BucketError(Failure(CLIENT, str(exc))) from None

    # -- the BucketClient interface ------------------------------------------------------------

    def head_bucket(self, timeout: float) -> str | None:
        try:
            answer = self._api(timeout).head_bucket(Bucket=self.bucket)
        except Exception as exc:  # noqa: BLE001 - _failure sorts out what is expected
            failure = self._failure(exc, timeout)
            raise BucketError(Failure(_HEAD_CODES.get(failure.code, failure.code), failure.message,
                                      failure.http_status, failure.seconds, failure.bucket_region)) from None
        return answer.get("BucketRegion") or _region_header(answer)

    def put_object(self, key: str, data: bytes, timeout: float) -> None:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key} if self._kms_key else {}
        self._call(timeout, lambda c: c.put_object(Bucket=self.bucket, Key=key, Body=data, **extra))

    def get_object(self, key: str, timeout: float) -> bytes:
        return self._call(timeout, lambda c: c.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def delete_object(self, key: str, timeout: float) -> None:
        self._call(timeout, lambda c: c.delete_object(Bucket=self.bucket, Key=key))

    def presign(self, method: Literal["GET", "PUT"], key: str, expires: int) -> str:
        return self._call(CONNECT_CAP, lambda c: c.generate_presigned_url(
            _OPERATIONS[method], Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires))

    def get_cors(self, timeout: float) -> tuple[CorsRule, ...]:
        answer = self._call(timeout, lambda c: c.get_bucket_cors(Bucket=self.bucket))
        return tuple(
            CorsRule(
                allowed_origins=tuple(r.get("AllowedOrigins", ())),
                allowed_methods=tuple(r.get("AllowedMethods", ())),
                allowed_headers=tuple(r.get("AllowedHeaders", ())),
                expose_headers=tuple(r.get("ExposeHeaders", ())),
                max_age_seconds=r.get("MaxAgeSeconds"),
            )
            for r in answer.get("CORSRules", ())
        )

    def upload_headers(self) -> dict[str, str]:
        return {}

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            from botocore.httpsession import get_cert_path

            # The same trust boto3 uses: AWS_CA_BUNDLE / ca_bundle in ~/.aws/config, else its bundle.
            cafile = self._core.get_config_variable("ca_bundle") or get_cert_path(True)
            self._ssl = ssl.create_default_context(cafile=cafile)
        return self._ssl

    def redact(self, text: str) -> str:
        for value in self._secret_values():
            text = text.replace(value, "<redacted>")
        return text

    def _secret_values(self) -> list[str]:
        if not self._secrets:
            # Keys from the default chain: already resolved (and cached) when the client was made.
            try:
                creds = self._core.get_credentials()
                frozen = creds.get_frozen_credentials() if creds else None
            except Exception:  # noqa: BLE001 - nothing resolved means nothing to hide
                frozen = None
            if frozen is not None:
                self._secrets = [v for v in (frozen.access_key, frozen.secret_key, frozen.token) if v and len(v) >= 4]
        return self._secrets

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- boto3 ---------------------------------------------------------------------------------

    def _api(self, timeout: float) -> Any:
        if self._client is None or timeout < self._connect:
            from botocore.config import Config

            self.close()
            self._connect = min(timeout, CONNECT_CAP)
            self._client = self._session.client(
                "s3",
                endpoint_url=self._endpoint_url,
                config=Config(
                    connect_timeout=self._connect,
                    read_timeout=timeout,
                    # One attempt: a retry would double the wait on a dead endpoint.
                    retries={"total_max_attempts": 1},
                    signature_version="s3v4",
                    s3={"addressing_style": self._style},
                ),
            )
            self._client.meta.events.register("before-send.s3", self._set_read_timeout)
        self._read = timeout
        return self._client

    def _set_read_timeout(self, request: Any, **_: Any) -> None:
        request.context["read_timeout"] = self._read

    def _call(self, timeout: float, operation: Callable[[Any], Any]) -> Any:
        try:
            return operation(self._api(timeout))
        except Exception as exc:  # noqa: BLE001 - _failure sorts out what is expected
            raise BucketError(self._failure(exc, timeout)) from None

    def _failure(self, exc: BaseException, timeout: float) -> Failure:
        from botocore import exceptions as bx

        if isinstance(exc, bx.ClientError):
            error = exc.response.get("Error", {})
            meta = exc.response.get("ResponseMetadata", {})
            status = meta.get("HTTPStatusCode")
            region = meta.get("HTTPHeaders", {}).get("x-amz-bucket-region") or error.get("Region")
            return Failure(str(error.get("Code") or status or "Unknown"), self.redact(str(error.get("Message") or "")),
                           status, bucket_region=region)
        if isinstance(exc, bx.ConnectTimeoutError):
            return Failure(TIMEOUT, "could not connect", seconds=self._connect)
        if isinstance(exc, bx.ReadTimeoutError):
            return Failure(TIMEOUT, "", seconds=timeout)
        if isinstance(exc, bx.SSLError | bx.EndpointConnectionError | bx.ConnectionClosedError
                      | bx.ProxyConnectionError):
            # urllib3 wraps the socket or ssl error that says what happened a few layers down.
            cause = web.find_cause(exc, _TELLING)
            if cause is not None:
                seen = web.classify(cause, timeout)
                return Failure(seen.code, self.redact(seen.message), seconds=seen.seconds)
            return Failure(TLS if isinstance(exc, bx.SSLError) else UNREACHABLE, self.redact(str(exc)))
        if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
            return Failure(NO_CREDENTIALS, str(exc))
        if isinstance(exc, bx.BotoCoreError | OSError):
            return Failure(CLIENT, self.redact(f"{type(exc).__name__}: {exc}"))
        raise exc


@cache
def _loader() -> Any:
    """One botocore data loader per process: it caches the S3 model (~0.4 s of JSON parsing) for
    every later run, while each run still gets a fresh session (credentials, env, config)."""
    from botocore.loaders import create_loader

    return create_loader()


def _region_header(answer: dict[str, Any]) -> str | None:
    return answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
