"""Typed view of assets/requirements.yaml: the numbers every check and recommendation uses."""

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wbinstall import data
from wbinstall.choices import CLOUDS, ENVIRONMENTS, WORKLOADS, Cloud, Environment, Workload  # noqa: F401 - re-exported


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class VersionAdvice(_Data):
    """Newer advice than the floor: a version under min_version passes with a warning."""

    id: str
    min_version: str = Field(alias="minVersion")
    says: str
    source: str
    date: str  # when the advice was read from its source (YYYY-MM-DD)
    applies_to: Literal["kubernetes", "mysql", "aurora"] = Field(default="kubernetes", alias="appliesTo")

    def cited(self) -> str:
        return f"{self.says} (source: {self.source}, read {self.date})"


class KubernetesReq(_Data):
    min_version: str = Field(alias="minVersion")
    advice: tuple[VersionAdvice, ...] = ()
    architectures: tuple[str, ...]
    needs: tuple[str, ...]


class MysqlDatabaseReq(_Data):
    charset: str
    collation: str


class Advice(_Data):
    id: str
    advice: str


class MysqlReq(_Data):
    min_version: str = Field(alias="minVersion")
    first_ga: str = Field(alias="firstGa")
    newest_stated_series: str = Field(alias="newestStatedSeries")
    advice: tuple[VersionAdvice, ...] = ()
    database: MysqlDatabaseReq
    settings: dict[str, str | int]
    operations: tuple[Advice, ...]


class CorsReq(_Data):
    allowed_methods: tuple[str, ...] = Field(alias="allowedMethods")
    allowed_headers: tuple[str, ...] = Field(alias="allowedHeaders")
    expose_headers: tuple[str, ...] = Field(alias="exposeHeaders")
    max_age_seconds: int = Field(alias="maxAgeSeconds")


class ObjectStorageReq(_Data):
    needs: tuple[str, ...]
    providers: tuple[str, ...]
    cors: CorsReq


class TlsReq(_Data):
    expiry_warning_days: int = Field(alias="expiryWarningDays")
    self_signed_or_private_ca: str = Field(alias="selfSignedOrPrivateCa")


class NetworkReq(_Data):
    dns_record: str = Field(alias="dnsRecord")
    tls: TlsReq


class LicenseReq(_Data):
    expiry_warning_days: int = Field(alias="expiryWarningDays")


class NodeSize(_Data):
    cpu: int
    memory_gb: int = Field(alias="memoryGB")
    disk_gb: int = Field(alias="diskGB")


class SizingRow(_Data):
    kubernetes: NodeSize
    mysql: NodeSize


class ManagedServices(_Data):
    kubernetes: str
    mysql: str
    object_storage: str = Field(alias="objectStorage")


class MachineTypes(_Data):
    models: str
    weave: str
    models_and_weave: str = Field(alias="models-and-weave")
    mysql: str

    def for_workload(self, workload: Workload) -> str:
        return {"models": self.models, "weave": self.weave, "models-and-weave": self.models_and_weave}[workload]


class CloudData(_Data):
    name: str
    managed_services: ManagedServices | None = Field(default=None, alias="managedServices")
    machine_types: dict[Environment, MachineTypes] | None = Field(default=None, alias="machineTypes")


class Requirements(_Data):
    source: str
    kubernetes: KubernetesReq
    mysql: MysqlReq
    object_storage: ObjectStorageReq = Field(alias="objectStorage")
    network: NetworkReq
    license: LicenseReq
    sizing: dict[Workload, dict[Environment, SizingRow]]
    clouds: dict[Cloud, CloudData]


@cache
def load() -> Requirements:
    return Requirements.model_validate(data.load("requirements.yaml"))
