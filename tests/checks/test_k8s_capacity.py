"""Nodes' allocatable resources against the per-node sizing (the function the Sizing screen reuses)."""

import pytest

from wbinstall.checks.k8s.capacity import (
    NodeCapacity,
    cores,
    cpu_reserve,
    fit_node,
    fit_nodes,
    gib,
    memory_reserve_gib,
)
from wbinstall.checks.k8s.quantity import GIB, parse_quantity
from wbinstall.requirements import NodeSize
from wbinstall.sizing import recommend

MODELS_TEST = recommend("models", "test", "aws")              # 2 CPU / 16 GB, r6i.large
MODELS_PROD = recommend("models", "production", "aws")        # 8 CPU / 64 GB, r6i.2xlarge
BOTH_PROD_GCP = recommend("models-and-weave", "production", "gcp")  # 16 CPU / 128 GB, n2-highmem-16


def node(cpu: str, memory: str, instance_type: str | None = None, name: str = "node-a") -> NodeCapacity:
    return NodeCapacity.parse(name, cpu, memory, instance_type)


@pytest.mark.parametrize(("text", "value"), [
    ("4", 4.0), ("3920m", 3.92), ("1930m", 1.93), ("0.5", 0.5), ("100m", 0.1), ("250u", 0.00025),
    ("32Gi", 32 * GIB), ("15896348Ki", 15896348 * 1024.0), ("16G", 16e9), ("1e9", 1e9), ("1E3", 1000.0),
    ("128974848", 128974848.0), ("129M", 129e6), ("123Mi", 123 * 2.0**20), ("1Ti", 2.0**40), ("1k", 1000.0),
    (".5", 0.5), (7, 7.0),
])
def test_kubernetes_quantities_parse(text, value):
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "Gi", "4 cores", "1.2.3", "12KB", "-", "0x10"])
def test_malformed_quantities_are_refused(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_node_short_of_the_table_reports_both_shortfalls_in_gib():
    fit = fit_node(node("4", "15.2Gi", "m5.xlarge"), MODELS_PROD.kubernetes_node, MODELS_PROD.kubernetes_machine_type)
    assert not fit.fits and fit.verdict == "short"
    assert fit.cpu_short == pytest.approx(4)
    assert fit.memory_short_gib == pytest.approx(48.8)
    assert fit.describe() == ("node-a (m5.xlarge): 4 CPU / 15.2 GiB allocatable, needs 8 CPU / 64 GiB: "
                              "short 4 CPU, 48.8 GiB")


def test_node_at_or_above_the_table_meets_it():
    fit = fit_node(node("4", "32Gi", "r6i.xlarge"), MODELS_TEST.kubernetes_node)
    assert fit.fits and fit.verdict == "meets"
    assert fit.cpu_short == 0 and fit.memory_short_gib == 0
    assert fit.describe().endswith("needs 2 CPU / 16 GiB: meets it")


def test_gb_in_the_table_is_read_as_gib():
    # 16 decimal GB (14.9 GiB) would satisfy a decimal reading; it is still short of 16 GiB.
    fit = fit_node(node("2", "16G"), MODELS_TEST.kubernetes_node)
    assert fit.memory_short_gib == pytest.approx(16 - 16e9 / GIB)


@pytest.mark.parametrize(("cpu", "memory", "instance_type", "size", "recommended", "verdict"), [
    # The recommended machine types as the clouds report them: kubelet, kernel and eviction
    # keep back memory, yet each is what the table recommends.
    ("1930m", "15328316Ki", "r6i.large", MODELS_TEST, None, "within-reserve"),        # EKS r6i.large, ~14.6 GiB
    ("1930m", "13Gi", "n2-highmem-2", MODELS_TEST, None, "within-reserve"),           # GKE n2-highmem-2
    ("1900m", "12.7Gi", "Standard_E2_v5", MODELS_TEST, None, "within-reserve"),       # AKS (< 1.29 reservations)
    ("7910m", "60Gi", "r6i.2xlarge", MODELS_PROD, None, "within-reserve"),
    ("15890m", "118Gi", "n2-highmem-16", BOTH_PROD_GCP, None, "within-reserve"),
    # AKS >= 1.29 with maxPods 250 reserves 25 %: only the instance-type label vouches for it.
    ("1900m", "11.9Gi", "Standard_E2_v5", MODELS_TEST, None, "short"),
    ("1900m", "11.9Gi", "Standard_E2_v5", recommend("models", "test", "azure"), "Standard_E2_v5", "recommended-type"),
    ("1900m", "11.9Gi", "standard_e2_v5", recommend("models", "test", "azure"), "Standard_E2_v5", "recommended-type"),
    # Materially smaller machines stay short.
    ("2", "8Gi", "m5.large", MODELS_TEST, None, "short"),                              # half the memory
    ("1", "16Gi", "custom", MODELS_TEST, None, "short"),                               # half the CPU
    ("7", "64Gi", None, MODELS_PROD, None, "short"),                                    # a core short
    ("8", "56Gi", None, MODELS_PROD, None, "short"),                                    # 8 GiB short of 64
    ("15", "128Gi", None, BOTH_PROD_GCP, None, "short"),
    # On-premises nodes with little reserved.
    ("8", "63.5Gi", None, MODELS_PROD, None, "within-reserve"),
    ("16", "131072Mi", None, BOTH_PROD_GCP, None, "meets"),
    ("64", "512Gi", None, BOTH_PROD_GCP, None, "meets"),
])
def test_tolerance_for_what_the_system_reserves(cpu, memory, instance_type, size, recommended, verdict):
    fit = fit_node(node(cpu, memory, instance_type), size.kubernetes_node, recommended)
    assert fit.verdict == verdict
    assert fit.fits == (verdict != "short")


def test_within_reserve_is_described_as_meeting_with_its_shortfall():
    text = fit_node(node("1930m", "13Gi", "n2-highmem-2"), MODELS_TEST.kubernetes_node).describe()
    assert text == ("node-a (n2-highmem-2): 1.93 CPU / 13 GiB allocatable, needs 2 CPU / 16 GiB: meets it "
                    "(short 0.07 CPU, 3 GiB, within what the system reserves on such a machine)")


def test_recommended_type_is_described():
    text = fit_node(node("1900m", "11.9Gi", "Standard_E2_v5"), MODELS_TEST.kubernetes_node, "Standard_E2_v5").describe()
    assert "meets it (the recommended machine type" in text


def test_node_without_instance_type_is_described_by_name_only():
    assert fit_node(node("4", "32Gi"), MODELS_TEST.kubernetes_node).describe().startswith("node-a: 4 CPU / 32 GiB")


@pytest.mark.parametrize(("memory_gib", "reserve"), [
    (16, 3.6),        # 1 + 0.8 + 0.8 tiers, +1 kernel/eviction
    (32, 4.56),
    (64, 6.48),
    (128, 10.32),
    (256, 12.88),     # 2 % above 128 GiB
])
def test_memory_reserve_follows_the_kubelet_tiers(memory_gib, reserve):
    assert memory_reserve_gib(memory_gib) == pytest.approx(reserve)


def test_cpu_reserve_is_five_percent_with_a_floor():
    assert cpu_reserve(2) == pytest.approx(0.1)
    assert cpu_reserve(16) == pytest.approx(0.8)


def test_fit_nodes_keeps_the_order_given():
    fits = fit_nodes([node("4", "32Gi", name="a"), node("2", "2Gi", name="b")], NodeSize(cpu=2, memoryGB=16, diskGB=100))
    assert [(f.node.name, f.fits) for f in fits] == [("a", True), ("b", False)]


@pytest.mark.parametrize(("value", "text"), [(4.0, "4"), (3.92, "3.92"), (1.9305, "1.93"), (0.07, "0.07")])
def test_cores_text(value, text):
    assert cores(value) == text


@pytest.mark.parametrize(("value", "text"), [(32.0, "32"), (15.16, "15.2"), (48.8, "48.8"), (0.04, "0")])
def test_gib_text(value, text):
    assert gib(value) == text


def test_capacity_module_does_not_need_the_kubernetes_client():
    import subprocess
    import sys

    code = "import sys, wbinstall.checks.k8s.capacity; print('kubernetes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
