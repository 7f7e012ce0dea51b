"""Kubernetes checks: four probes (connect; nodes, in pages; classes; access reviews), each
within its own time, and seven judges that read them (declared in assets/checks.yaml)."""
