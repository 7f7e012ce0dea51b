"""STAND-IN volume provisioner (no disk is created): a default StorageClass whose
provisioner is this module. kube-controller-manager's PV controller marks each pending PVC
of that class with `volume.kubernetes.io/storage-provisioner`; the stand-in then creates a
PersistentVolume pre-bound to the claim, as an external (CSI) provisioner would, and the
real PV controller completes the binding. It registers itself as a CSI driver does: a
CSIDriver object, and on every node a CSINode entry (a real driver's node plugin does that
through the kubelet), which is what k8s.storage looks for.

    python -m sandbox.kube.storage_standin --kubeconfig F
"""

from __future__ import annotations

from kubernetes import client
from kubernetes.client.rest import ApiException

from .controller import PollingController, main_for

CLASS_NAME = "sandbox-standard"
PROVISIONER = "volume-stand-in.sandbox.wbinstall"  # a CSI driver's name: a DNS subdomain
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
PROVISIONER_ANNOTATIONS = ("volume.kubernetes.io/storage-provisioner",
                           "volume.beta.kubernetes.io/storage-provisioner")
SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node"


def ensure_storage_class(api: client.ApiClient, name: str = CLASS_NAME, default: bool = True,
                         binding_mode: str = "Immediate") -> client.V1StorageClass:
    """Create the stand-in's StorageClass (binding_mode may be WaitForFirstConsumer)."""
    storage = client.StorageV1Api(api)
    body = client.V1StorageClass(
        metadata=client.V1ObjectMeta(
            name=name, annotations={DEFAULT_CLASS_ANNOTATION: "true" if default else "false"}),
        provisioner=PROVISIONER, reclaim_policy="Delete", volume_binding_mode=binding_mode,
        allow_volume_expansion=True)
    try:
        return storage.create_storage_class(body)
    except ApiException as e:
        if e.status != 409:
            raise
        return storage.read_storage_class(name)


class ProvisionerStandIn(PollingController):
    name = "volume-stand-in"

    def __init__(self, api: client.ApiClient):
        super().__init__(api)
        self.core = client.CoreV1Api(api)

    def reconcile(self) -> None:
        for pvc in self.core.list_persistent_volume_claim_for_all_namespaces().items:
            ann = pvc.metadata.annotations or {}
            wanted = any(ann.get(a) == PROVISIONER for a in PROVISIONER_ANNOTATIONS)
            if not wanted or pvc.spec.volume_name or pvc.status.phase != "Pending":
                continue
            self._provision(pvc, ann.get(SELECTED_NODE_ANNOTATION))

    def _provision(self, pvc: client.V1PersistentVolumeClaim, node: str | None) -> None:
        name = f"pvc-{pvc.metadata.uid}"
        affinity = None
        if node:  # WaitForFirstConsumer: the scheduler chose a node; pin the volume to it
            affinity = client.V1VolumeNodeAffinity(required=client.V1NodeSelector(
                node_selector_terms=[client.V1NodeSelectorTerm(match_expressions=[
                    client.V1NodeSelectorRequirement(key="kubernetes.io/hostname",
                                                     operator="In", values=[node])])]))
        pv = client.V1PersistentVolume(
            metadata=client.V1ObjectMeta(
                name=name, annotations={"pv.kubernetes.io/provisioned-by": PROVISIONER}),
            spec=client.V1PersistentVolumeSpec(
                capacity={"storage": pvc.spec.resources.requests["storage"]},
                access_modes=pvc.spec.access_modes,
                storage_class_name=pvc.spec.storage_class_name,
                persistent_volume_reclaim_policy="Delete",
                volume_mode=pvc.spec.volume_mode,
                # Only a placeholder source: kwok's fake kubelets never mount anything.
                host_path=client.V1HostPathVolumeSource(path=f"/sandbox-volumes/{name}"),
                node_affinity=affinity,
                claim_ref=client.V1ObjectReference(
                    kind="PersistentVolumeClaim", api_version="v1",
                    namespace=pvc.metadata.namespace, name=pvc.metadata.name,
                    uid=pvc.metadata.uid)))
        try:
            self.core.create_persistent_volume(pv)
            self.log.info("provisioned %s for %s/%s", name, pvc.metadata.namespace,
                          pvc.metadata.name)
        except ApiException as e:
            if e.status != 409:
                raise


class VolumeReaper(PollingController):
    """Deletes Released volumes of the stand-in's class (reclaim policy Delete), the
    deleter's half of a provisioner's job."""
    name = "volume-reaper"
    interval = 2.0

    def __init__(self, api: client.ApiClient):
        super().__init__(api)
        self.core = client.CoreV1Api(api)

    def reconcile(self) -> None:
        for pv in self.core.list_persistent_volume().items:
            ann = pv.metadata.annotations or {}
            if ann.get("pv.kubernetes.io/provisioned-by") == PROVISIONER and \
                    pv.status.phase == "Released":
                try:
                    self.core.delete_persistent_volume(pv.metadata.name)
                except ApiException as e:
                    if e.status != 404:
                        raise


class DriverRegistration(PollingController):
    """The CSIDriver object, and the driver in every node's CSINode (created when missing)."""
    name = "csi-registration"
    interval = 2.0

    def __init__(self, api: client.ApiClient, nodes: bool = True):
        super().__init__(api)
        self.storage, self.core, self.nodes = client.StorageV1Api(api), client.CoreV1Api(api), nodes

    def reconcile(self) -> None:
        try:
            self.storage.create_csi_driver(client.V1CSIDriver(
                metadata=client.V1ObjectMeta(name=PROVISIONER),
                spec=client.V1CSIDriverSpec(attach_required=False, pod_info_on_mount=False)))
        except ApiException as e:
            if e.status != 409:
                raise
        if not self.nodes:
            return
        registered = {n.metadata.name: n for n in self.storage.list_csi_node().items}
        for node in self.core.list_node().items:
            name = node.metadata.name
            drivers = [d.name for d in ((registered[name].spec.drivers or []) if name in registered else [])]
            if PROVISIONER in drivers:
                continue
            entry = client.V1CSINodeDriver(name=PROVISIONER, node_id=name, topology_keys=["kubernetes.io/hostname"])
            try:
                if name in registered:
                    self.storage.patch_csi_node(name, {"spec": {"drivers": [
                        *[d.to_dict() for d in registered[name].spec.drivers or []],
                        {"name": PROVISIONER, "nodeID": name, "topologyKeys": ["kubernetes.io/hostname"]}]}})
                else:
                    self.storage.create_csi_node(client.V1CSINode(
                        metadata=client.V1ObjectMeta(name=name, owner_references=[client.V1OwnerReference(
                            api_version="v1", kind="Node", name=name, uid=node.metadata.uid)]),
                        spec=client.V1CSINodeSpec(drivers=[entry])))
            except ApiException as e:
                if e.status not in (404, 409):  # the node went away, or another loop was first
                    raise


class StorageStandIn(PollingController):
    """Provisioner, reaper and CSI registration in one loop (`register`: False for a driver
    whose node plugin runs nowhere)."""
    name = "storage-stand-in"

    def __init__(self, api: client.ApiClient, register: bool = True):
        super().__init__(api)
        self.provisioner = ProvisionerStandIn(api)
        self.reaper = VolumeReaper(api)
        self.registration = DriverRegistration(api, nodes=register)
        self._registered_at = 0.0

    def reconcile(self) -> None:
        import time

        self.provisioner.reconcile()
        self.reaper.reconcile()
        if time.monotonic() - self._registered_at > self.registration.interval:  # nodes come and go
            self.registration.reconcile()
            self._registered_at = time.monotonic()


def _make(api, args):
    ensure_storage_class(api, args.class_name, binding_mode=args.binding_mode)
    return StorageStandIn(api)


_make.add_args = lambda p: (
    p.add_argument("--class-name", default=CLASS_NAME),
    p.add_argument("--binding-mode", default="Immediate",
                   choices=["Immediate", "WaitForFirstConsumer"]),
)

if __name__ == "__main__":
    main_for(_make, "Stand-in volume provisioner for the wbinstall sandbox")
