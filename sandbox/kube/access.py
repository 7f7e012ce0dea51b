"""RBAC for the sandbox's restricted user: read-only in one namespace, nothing cluster-wide,
so SelfSubjectAccessReviews for creating CRDs, ClusterRoles or Deployments say no."""

from __future__ import annotations

from kubernetes import client
from kubernetes.client.rest import ApiException

READ_VERBS = ["get", "list", "watch"]


def grant_namespace_read(api: client.ApiClient, namespace: str, user: str) -> None:
    """Create `namespace` and a Role/RoleBinding letting `user` only read in it."""
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    _create_ok_if_exists(core.create_namespace,
                         client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    role = client.V1Role(
        metadata=client.V1ObjectMeta(name="sandbox-read-only", namespace=namespace),
        rules=[
            client.V1PolicyRule(api_groups=[""], verbs=READ_VERBS,
                                resources=["pods", "services", "configmaps", "events",
                                           "persistentvolumeclaims"]),
            client.V1PolicyRule(api_groups=["apps"], verbs=READ_VERBS,
                                resources=["deployments", "statefulsets", "replicasets"]),
        ])
    binding = client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="sandbox-read-only", namespace=namespace),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role",
                                  name="sandbox-read-only"),
        subjects=[client.RbacV1Subject(api_group="rbac.authorization.k8s.io", kind="User",
                                       name=user)])
    _create_ok_if_exists(rbac.create_namespaced_role, namespace, role)
    _create_ok_if_exists(rbac.create_namespaced_role_binding, namespace, binding)


def _create_ok_if_exists(create, *args) -> None:
    try:
        create(*args)
    except ApiException as e:
        if e.status != 409:
            raise
