"""Fake nodes that kwok manages and that look like a cloud cluster's worker nodes.

kwok keeps the capacity, labels and nodeInfo given here and only fills in what is missing
(conditions, heartbeat leases); the scheduler and kube-controller-manager treat the nodes
like real ones. Nodes' InternalIPs are loopback addresses, so an apiserver request that
would reach a kubelet (logs, exec) is refused instead of leaving the machine.
"""

from __future__ import annotations

import time

from kubernetes import client
from kubernetes.client.rest import ApiException

KWOK_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
SANDBOX_LABEL = "sandbox.wbinstall/node"       # marks nodes made here (for cleanup)
KUBELET_VERSION = "v1.35.4"

# name -> (cpu, memory, architecture); EC2 sizes of the families a W&B install is sized for.
INSTANCE_TYPES: dict[str, tuple[str, str, str]] = {
    "r6i.xlarge": ("4", "32Gi", "amd64"),
    "r6i.2xlarge": ("8", "64Gi", "amd64"),
    "m5.xlarge": ("4", "16Gi", "amd64"),
    "m6g.xlarge": ("4", "16Gi", "arm64"),
    "r6g.xlarge": ("4", "32Gi", "arm64"),
    "t3.small": ("2", "2Gi", "amd64"),
    "t3.medium": ("2", "4Gi", "amd64"),
}


def node_body(name: str, *, instance_type: str = "r6i.xlarge", cpu: str | None = None,
              memory: str | None = None, pods: str = "110", arch: str | None = None,
              zone: str = "us-east-1a", region: str | None = None,
              kubelet_version: str = KUBELET_VERSION, os_image: str = "Amazon Linux 2023",
              labels: dict | None = None, taints: list | None = None,
              ip: str = "127.0.0.1") -> client.V1Node:
    default_cpu, default_mem, default_arch = INSTANCE_TYPES.get(instance_type, ("4", "16Gi", "amd64"))
    cpu, memory, arch = cpu or default_cpu, memory or default_mem, arch or default_arch
    region = region or zone[:-1]
    all_labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": arch,
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/zone": zone,
        "topology.kubernetes.io/region": region,
        "type": "kwok",
        SANDBOX_LABEL: "true",
        **(labels or {}),
    }
    resources = {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"}
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels=all_labels,
                                     annotations={KWOK_ANNOTATION[0]: KWOK_ANNOTATION[1],
                                                  "node.alpha.kubernetes.io/ttl": "0"}),
        spec=client.V1NodeSpec(taints=taints, provider_id=f"kwok://{name}"),
        status=client.V1NodeStatus(
            allocatable=resources, capacity=resources,
            addresses=[client.V1NodeAddress(type="InternalIP", address=ip),
                       client.V1NodeAddress(type="Hostname", address=name)],
            node_info=client.V1NodeSystemInfo(
                architecture=arch, operating_system="linux", kubelet_version=kubelet_version,
                kube_proxy_version=kubelet_version, os_image=os_image,
                container_runtime_version="containerd://1.7.27", kernel_version="6.1.0",
                boot_id="", machine_id="", system_uuid="")))


def add_node(api: client.ApiClient, name: str, *, wait_ready: bool = True,
             timeout: float = 30, **kwargs) -> client.V1Node:
    """Create a kwok-managed node (see node_body for options) and wait until it is Ready."""
    core = client.CoreV1Api(api)
    node = core.create_node(node_body(name, **kwargs))
    if wait_ready:
        node = wait_node_ready(api, name, timeout)
    return node


def add_arm_node(api: client.ApiClient, name: str, **kwargs) -> client.V1Node:
    """An arm64 (Graviton-like) node."""
    kwargs.setdefault("instance_type", "r6g.xlarge")
    kwargs.setdefault("arch", "arm64")
    return add_node(api, name, **kwargs)


def add_small_node(api: client.ApiClient, name: str, **kwargs) -> client.V1Node:
    """A node too small for W&B's app/parquet/weave pods (2 CPU / 2 GiB)."""
    kwargs.setdefault("instance_type", "t3.small")
    return add_node(api, name, **kwargs)


# The node controller creates a node with these taints and lifts them a few seconds after the
# node turns Ready, as on a real cluster; until then the node rightly counts as unschedulable.
TRANSIENT_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def wait_node_ready(api: client.ApiClient, name: str, timeout: float = 30) -> client.V1Node:
    """Wait until the node is Ready and schedulable (its transient taints lifted)."""
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while True:
        node = core.read_node(name)
        if is_ready(node) and not any(t.key in TRANSIENT_TAINTS for t in node.spec.taints or []):
            return node
        if time.monotonic() > deadline:
            raise TimeoutError(f"node {name} not Ready after {timeout} s: {node.status.conditions}")
        time.sleep(0.2)


def is_ready(node: client.V1Node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))


def remove_node(api: client.ApiClient, name: str) -> None:
    """Delete the node. Pods bound to it are removed by kube-controller-manager's pod GC."""
    try:
        client.CoreV1Api(api).delete_node(name)
    except ApiException as e:
        if e.status != 404:
            raise


def remove_all_nodes(api: client.ApiClient, wait: bool = True, timeout: float = 30) -> None:
    """Delete every node this module created (and wait until they are gone)."""
    core = client.CoreV1Api(api)
    selector = f"{SANDBOX_LABEL}=true"
    for node in core.list_node(label_selector=selector).items:
        remove_node(api, node.metadata.name)
    deadline = time.monotonic() + timeout
    while wait and core.list_node(label_selector=selector).items:
        if time.monotonic() > deadline:
            raise TimeoutError("sandbox nodes still present after delete")
        time.sleep(0.2)


# ----- many nodes at once (large-cluster tests and bench/scale_nodes.py) -------------------

# A large shared cluster of three shapes: mostly r6i.xlarge, some r6i.2xlarge, a few m5.xlarge.
FLEET_SHAPES: tuple[tuple[str, float], ...] = (("r6i.xlarge", 0.6), ("r6i.2xlarge", 0.3), ("m5.xlarge", 0.1))


def fleet_specs(count: int, prefix: str = "fleet") -> list[dict]:
    """node_body() keyword sets for `count` nodes in FLEET_SHAPES' proportions, spread over
    three zones; names fleet-<shape>-<n> so that a report's offenders are recognisable."""
    specs: list[dict] = []
    left = count
    for i, (shape, share) in enumerate(FLEET_SHAPES):
        n = left if i == len(FLEET_SHAPES) - 1 else min(left, round(count * share))
        left -= n
        short = shape.replace(".", "-")
        specs += [{"name": f"{prefix}-{short}-{j:05d}", "instance_type": shape, "zone": f"us-east-1{'abc'[j % 3]}"}
                  for j in range(n)]
    return specs


def add_nodes(api: client.ApiClient, specs: list[dict], *, parallel: int = 8) -> None:
    """Create many kwok-managed nodes concurrently, without waiting (see wait_nodes_ready)."""
    from concurrent.futures import ThreadPoolExecutor

    core = client.CoreV1Api(api)
    with ThreadPoolExecutor(parallel, thread_name_prefix="add-nodes") as pool:
        for f in [pool.submit(core.create_node, node_body(**spec)) for spec in specs]:
            f.result()


def wait_nodes_ready(api: client.ApiClient, count: int, timeout: float = 300, page: int = 500) -> None:
    """Wait until `count` sandbox nodes are Ready and schedulable (transient taints lifted).
    Reads the nodes in pages of plain JSON (no model objects: thousands of nodes)."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        ready = total = 0
        token = None
        while True:
            query = [("labelSelector", f"{SANDBOX_LABEL}=true"), ("limit", page)] + ([("continue", token)] if token else [])
            resp = api.call_api("/api/v1/nodes", "GET", query_params=query, header_params={"Accept": "application/json"},
                                auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True)
            listing = json.loads(resp.data)
            for n in listing.get("items") or []:
                total += 1
                conditions = (n.get("status") or {}).get("conditions") or []
                taints = (n.get("spec") or {}).get("taints") or []
                if (any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
                        and not any(t.get("key") in TRANSIENT_TAINTS for t in taints)):
                    ready += 1
            token = (listing.get("metadata") or {}).get("continue")
            if not token:
                break
        if ready >= count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{ready} of {count} nodes Ready and schedulable after {timeout} s ({total} exist)")
        time.sleep(min(5.0, 0.5 + count / 1000))  # each look lists them all
