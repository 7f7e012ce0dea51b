"""The answers: one typed model for everything the wizard asks.

Field names (the YAML keys) are a contract with external tooling: add fields, rename none.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from wbinstall.answers import addresses
from wbinstall.answers.files import FilePath
from wbinstall.answers.secrets import Secret
from wbinstall.checklist import SKIPPABLE_IDS
from wbinstall.choices import Provider
from wbinstall.requirements import Cloud, Environment, Workload

API_VERSION = "wbinstall/v1"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_FQDN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")


def _fqdn(value: str) -> str:
    value = value.strip().rstrip(".")
    if "://" in value or "/" in value:
        raise ValueError("give the host name only, without https:// or a path (e.g. wandb.example.com)")
    if ":" in value:
        raise ValueError("give the host name only, without a port (users reach W&B on port 443)")
    if not _FQDN.match(value):
        raise ValueError("must be a fully qualified domain name such as wandb.example.com")
    return value.lower()


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError("must be a lowercase DNS label: letters, digits and '-', at most 63 characters")
    return value


def _url(value: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be a URL starting with https:// or http://, e.g. https://minio.example.com:9000")
    return value


FQDN = Annotated[str, AfterValidator(_fqdn)]
Url = Annotated[str, AfterValidator(_url)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        # A section whose children are all commented out (`ingress:`) is YAML null: treat it
        # as "all defaults", as a reader of the file would.
        if isinstance(data, dict):
            optional = {(f.alias or n) for n, f in cls.model_fields.items() if f.default_factory is not None}
            return {k: v for k, v in data.items() if not (v is None and k in optional)}
        return data


class KubernetesAnswers(_Section):
    kubeconfig: FilePath | None = Field(default=None, description="Path to a kubeconfig; default: $KUBECONFIG or ~/.kube/config")
    context: str | None = Field(default=None, description="Context in the kubeconfig; default: its current context")
    namespace: DnsLabel = Field(default="wandb", description="Namespace for the operator and W&B")


class IngressAnswers(_Section):
    class_: str | None = Field(default=None, alias="class", description="IngressClass; default: the cluster's default class")
    tls_secret: str | None = Field(default=None, alias="tlsSecret", description="An existing kubernetes.io/tls Secret in the namespace")
    cert_file: FilePath | None = Field(default=None, alias="certFile", description="PEM certificate chain to create the TLS Secret from")
    key_file: FilePath | None = Field(default=None, alias="keyFile", description="PEM private key for certFile")


class MysqlAnswers(_Section):
    host: str = Field(description="MySQL host name or address")
    port: Port = 3306
    database: str = "wandb_local"
    user: str = "wandb"
    password: Secret
    tls: bool = Field(default=False, description="Connect with TLS")
    ca_file: FilePath | None = Field(default=None, alias="caFile", description="CA bundle (PEM) that signs the server's certificate, e.g. the RDS bundle")


class StorageAnswers(_Section):
    provider: Provider
    bucket: str = Field(description="Bucket name (Azure: the container)")
    region: str | None = None
    endpoint: Url | None = Field(default=None, description=(
        "API endpoint URL: required for s3-compatible (e.g. https://minio.example.com:9000); optional for gcs "
        "(default https://storage.googleapis.com) and azure (default https://<account>.blob.core.windows.net)"))
    path: str | None = Field(default=None, description="Prefix inside the bucket")
    kms_key: str | None = Field(default=None, alias="kmsKey", description="AWS KMS key ARN (S3 only)")
    account: str | None = Field(default=None, description="Azure storage account name (Azure only)")
    access_key: Secret | None = Field(default=None, alias="accessKey", description="S3 access key id (s3, s3-compatible)")
    secret_key: Secret | None = Field(default=None, alias="secretKey", description="S3 secret access key (s3, s3-compatible)")
    account_key: Secret | None = Field(default=None, alias="accountKey", description=(
        "Azure storage account key (Azure only); leave out for a SAS token or DefaultAzureCredential"))
    sas_token: Secret | None = Field(default=None, alias="sasToken", description=(
        "Azure SAS token for the container or account (Azure only, checks only: W&B needs the account key)"))
    service_account_key: Secret | None = Field(default=None, alias="serviceAccountKey", description=(
        "GCS service-account key file (JSON), e.g. {file: key.json} (gcs only); leave out for Application "
        "Default Credentials / workload identity"))


class AirgapAnswers(_Section):
    registry: str | None = Field(default=None, description="Private registry that mirrors W&B's images and charts")


class OperatorAnswers(_Section):
    image: str | None = Field(default=None, description="Controller image, e.g. wandb/controller:1.20.0")
    chart_version: str | None = Field(default=None, alias="chartVersion", description="Pin the operator-wandb chart version")
    airgap: AirgapAnswers = Field(default_factory=AirgapAnswers)


def _known_check(value: str) -> str:
    if value not in SKIPPABLE_IDS:
        near = difflib.get_close_matches(value, SKIPPABLE_IDS, n=1)
        hint = f"did you mean '{near[0]}'?" if near else f"known ids: {', '.join(SKIPPABLE_IDS)}"
        raise ValueError(f"unknown check id '{value}'; {hint}")
    return value


def _strict_check(value: str) -> str:
    from wbinstall.checklist import strict_ids

    _known_check(value)
    if value not in strict_ids():
        raise ValueError(f"{value} is not a strict check (strict: {', '.join(strict_ids())})")
    return value


class SkippedCheck(_Section):
    id: Annotated[str, AfterValidator(_known_check)]
    reason: Text


def _nameserver(value: str) -> str:
    addresses.parse_nameserver(value)
    return value.strip()


def _host_port(value: str) -> str:
    addresses.parse_host_port(value, "")
    return value.strip()


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Nameserver = Annotated[str, AfterValidator(_nameserver)]
HostPort = Annotated[str, AfterValidator(_host_port)]
Text = Annotated[str, AfterValidator(_text)]


class DnsCheckSettings(_Section):
    nameservers: list[Nameserver] = Field(default_factory=list, description="Resolvers to ask, as IP or IP:PORT; default: the system's")


class TlsCheckSettings(_Section):
    address: HostPort | None = Field(default=None, description="Where to connect, HOST:PORT; default: the host on port 443")
    ca_bundle: FilePath | None = Field(default=None, alias="caBundle", description="Extra CA certificates (PEM) to trust")


class ChecksAnswers(_Section):
    skip: list[SkippedCheck] = Field(default_factory=list)
    # A record, never a permission: strict checks a run went past with --override-strict. A
    # file that lists one is honoured only with the same flag on the command line (loader).
    strict_overrides: list[Annotated[str, AfterValidator(_strict_check)]] = Field(
        default_factory=list, alias="strictOverrides",
        description="Strict checks let past with --override-strict (written by wbinstall; needs that flag)")
    timeout: Annotated[float, Field(gt=0, le=600)] = Field(default=10.0, description="Seconds each probe may take")
    verify_wait: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=90.0, alias="verifyWait",
        description="After an install: seconds during which failed verify.* checks are tried again while the "
                    "ingress and its load balancer catch up (0: once)")
    dns: DnsCheckSettings = Field(default_factory=DnsCheckSettings)
    tls: TlsCheckSettings = Field(default_factory=TlsCheckSettings)


class Answers(_Section):
    api_version: Literal["wbinstall/v1"] = Field(alias="apiVersion")
    workload: Workload
    environment: Environment
    cloud: Cloud
    host: FQDN = Field(description="The FQDN users open, e.g. wandb.example.com")
    license: Secret
    kubernetes: KubernetesAnswers = Field(default_factory=KubernetesAnswers)
    ingress: IngressAnswers = Field(default_factory=IngressAnswers)
    mysql: MysqlAnswers
    storage: StorageAnswers
    operator: OperatorAnswers = Field(default_factory=OperatorAnswers)
    checks: ChecksAnswers = Field(default_factory=ChecksAnswers)
