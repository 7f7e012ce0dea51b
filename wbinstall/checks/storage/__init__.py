"""storage checks (being written)."""
