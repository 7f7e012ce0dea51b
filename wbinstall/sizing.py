"""Sizing: workload + environment + cloud -> the reference architecture's starting point. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wbinstall import requirements
from wbinstall.requirements import Cloud, Environment, ManagedServices, NodeSize, Workload

WORKLOAD_NAMES = {"models": "Models", "weave": "Weave", "models-and-weave": "Models and Weave"}
ENVIRONMENT_NAMES = {"test": "test / dev", "production": "production"}


@dataclass(frozen=True)
class Recommendation:
    workload: Workload
    environment: Environment
    cloud: Cloud
    cloud_name: str
    kubernetes_node: NodeSize  # per worker node
    mysql_node: NodeSize
    kubernetes_machine_type: str | None
    mysql_machine_type: str | None
    managed_services: ManagedServices | None

    def to_dict(self) -> dict[str, Any]:
        def node(size: NodeSize, machine: str | None) -> dict[str, Any]:
            return {"cpuCores": size.cpu, "memoryGB": size.memory_gb, "diskGB": size.disk_gb, "machineType": machine}

        services = self.managed_services
        return {
            "workload": self.workload,
            "environment": self.environment,
            "cloud": self.cloud,
            "kubernetesNode": node(self.kubernetes_node, self.kubernetes_machine_type),
            "mysqlNode": node(self.mysql_node, self.mysql_machine_type),
            "managedServices": services.model_dump(by_alias=True) if services else None,
            "source": requirements.load().source,
        }


def recommend(workload: Workload, environment: Environment, cloud: Cloud = "other") -> Recommendation:
    reqs = requirements.load()
    row = reqs.sizing[workload][environment]
    cloud_data = reqs.clouds[cloud]
    machines = (cloud_data.machine_types or {}).get(environment)
    return Recommendation(
        workload=workload,
        environment=environment,
        cloud=cloud,
        cloud_name=cloud_data.name,
        kubernetes_node=row.kubernetes,
        mysql_node=row.mysql,
        kubernetes_machine_type=machines.for_workload(workload) if machines else None,
        mysql_machine_type=machines.mysql if machines else None,
        managed_services=cloud_data.managed_services,
    )
