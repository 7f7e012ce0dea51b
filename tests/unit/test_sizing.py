"""Sizing reproduces the reference architecture's tables exactly, for every row and cloud."""

import itertools

import pytest

from wbinstall import sizing
from wbinstall.requirements import CLOUDS, ENVIRONMENTS, WORKLOADS

# The seed's tables (shared/reference/requirements.md), written out independently of assets/.
# (workload, environment) -> (k8s cpu, memory GB, disk GB, mysql cpu, memory GB, disk GB)
TABLE = {
    ("models", "test"): (2, 16, 100, 2, 16, 100),
    ("models", "production"): (8, 64, 100, 8, 64, 500),
    ("weave", "test"): (4, 32, 100, 2, 16, 100),
    ("weave", "production"): (12, 96, 100, 8, 64, 500),
    ("models-and-weave", "test"): (4, 32, 100, 2, 16, 100),
    ("models-and-weave", "production"): (16, 128, 100, 8, 64, 500),
}
MACHINES = {  # (cloud, environment) -> (models, weave, models-and-weave, mysql)
    ("aws", "test"): ("r6i.large", "r6i.xlarge", "r6i.xlarge", "db.r6g.large"),
    ("aws", "production"): ("r6i.2xlarge", "r6i.4xlarge", "r6i.4xlarge", "db.r6g.2xlarge"),
    ("gcp", "test"): ("n2-highmem-2", "n2-highmem-4", "n2-highmem-4", "db-n1-highmem-2"),
    ("gcp", "production"): ("n2-highmem-8", "n2-highmem-16", "n2-highmem-16", "db-n1-highmem-8"),
    ("azure", "test"): ("Standard_E2_v5", "Standard_E4_v5", "Standard_E4_v5", "MO_Standard_E2ds_v4"),
    ("azure", "production"): ("Standard_E8_v5", "Standard_E16_v5", "Standard_E16_v5", "MO_Standard_E8ds_v4"),
}
SERVICES = {
    "aws": ("EKS", "RDS Aurora", "S3"),
    "gcp": ("GKE", "Cloud SQL for MySQL", "Google Cloud Storage"),
    "azure": ("AKS", "Azure Database for MySQL", "Azure Blob Storage"),
}


@pytest.mark.parametrize("workload, environment, cloud", list(itertools.product(WORKLOADS, ENVIRONMENTS, CLOUDS)))
def test_recommendation_matches_the_reference_tables(workload, environment, cloud):
    rec = sizing.recommend(workload, environment, cloud)
    k, m = rec.kubernetes_node, rec.mysql_node
    assert (k.cpu, k.memory_gb, k.disk_gb, m.cpu, m.memory_gb, m.disk_gb) == TABLE[(workload, environment)]
    if cloud == "other":
        assert rec.kubernetes_machine_type is None and rec.mysql_machine_type is None and rec.managed_services is None
        return
    machines = MACHINES[(cloud, environment)]
    assert rec.kubernetes_machine_type == machines[WORKLOADS.index(workload)]
    assert rec.mysql_machine_type == machines[3]
    ms = rec.managed_services
    assert (ms.kubernetes, ms.mysql, ms.object_storage) == SERVICES[cloud]


def test_the_json_form_carries_every_number():
    d = sizing.recommend("weave", "production", "gcp").to_dict()
    assert d["kubernetesNode"] == {"cpuCores": 12, "memoryGB": 96, "diskGB": 100, "machineType": "n2-highmem-16"}
    assert d["mysqlNode"] == {"cpuCores": 8, "memoryGB": 64, "diskGB": 500, "machineType": "db-n1-highmem-8"}
    assert d["managedServices"] == {"kubernetes": "GKE", "mysql": "Cloud SQL for MySQL", "objectStorage": "Google Cloud Storage"}
