"""The one way to the cluster: kubeconfig and context resolution, API clients, and a thin
dict-in dict-out request layer. Checks, apply, rollout and the wizard all use it.

    api = kube.connect(answers, base_dir)      # KubeconfigError when no cluster can be named
    k = Kube(api, timeout=10)
"""

from wbinstall.kube.client import KINDS, Kube, KubeError, Obj, Ref, collection_path, describe, object_path
from wbinstall.kube.config import Kubeconfig, KubeconfigError, api_client, connect, context_names

__all__ = ["KINDS", "Kube", "KubeError", "Kubeconfig", "KubeconfigError", "Obj", "Ref", "api_client",
           "collection_path", "connect", "context_names", "describe", "object_path"]
