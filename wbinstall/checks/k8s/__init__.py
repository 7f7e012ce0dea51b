"""Kubernetes checks: one `k8s` probe reads the cluster once; seven judges read its facts
(declared in assets/checks.yaml)."""
