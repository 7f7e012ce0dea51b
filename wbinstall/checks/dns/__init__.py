"""dns checks (being written)."""
