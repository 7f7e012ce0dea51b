"""mysql checks (being written)."""
