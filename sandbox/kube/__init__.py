"""Kubernetes half of the wbinstall local sandbox: a real control plane (etcd,
kube-apiserver, kube-controller-manager, kube-scheduler) with kwok fake nodes, plus
plainly named stand-ins for what cannot run here (ingress controller, volume
provisioner, the W&B operator)."""

from .cluster import KubeCluster, OldApiServer

__all__ = ["KubeCluster", "OldApiServer"]
