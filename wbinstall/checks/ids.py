"""Stable check ids. Users skip checks by these names, so an id is never renamed."""

CHECK_IDS: tuple[str, ...] = (
    "license.valid",
    "k8s.connect",
    "k8s.version",
    "k8s.arch",
    "k8s.ingress",
    "k8s.storage",
    "k8s.rbac",
    "k8s.capacity",
    "mysql.connect",
    "mysql.version",
    "mysql.settings",
    "mysql.charset",
    "mysql.grants",
    "mysql.operations",
    "storage.access",
    "storage.presign",
    "storage.cors",
    "dns.a-record",
    "tls.certificate",
)
