"""tls checks (being written)."""
