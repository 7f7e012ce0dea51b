"""Plain-text renderings for the command line (no colour, no terminal assumptions)."""

from __future__ import annotations

from wbinstall.requirements import NodeSize
from wbinstall.sizing import ENVIRONMENT_NAMES, WORKLOAD_NAMES, Recommendation


def seconds(value: float) -> str:
    """A duration in whole seconds, but to a tenth below ten: a short bound must not read "0 s"."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _size(size: NodeSize) -> str:
    return f"{size.cpu} CPU cores, {size.memory_gb} GB memory, {size.disk_gb} GB disk"


def sizing(rec: Recommendation) -> str:
    lines = [
        f"Sizing for {WORKLOAD_NAMES[rec.workload]}, {ENVIRONMENT_NAMES[rec.environment]}, {rec.cloud_name}",
        "(starting points from the W&B reference architecture; monitor and adjust)",
        "",
        f"Kubernetes, per worker node: {_size(rec.kubernetes_node)}",
    ]
    if rec.kubernetes_machine_type:
        lines.append(f"  machine type: {rec.kubernetes_machine_type}")
    lines.append(f"MySQL, per node:             {_size(rec.mysql_node)}")
    if rec.mysql_machine_type:
        lines.append(f"  machine type: {rec.mysql_machine_type}")
    if rec.managed_services:
        ms = rec.managed_services
        lines += ["", f"Managed services on {rec.cloud_name}: Kubernetes {ms.kubernetes}, MySQL {ms.mysql}, object storage {ms.object_storage}"]
    lines += ["", "Nodes must be x86-64 (amd64); ARM is not supported."]
    return "\n".join(lines)
