"""k8s checks (being written)."""
