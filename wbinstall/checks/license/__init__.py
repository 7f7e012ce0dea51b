"""License check: the W&B license is a JWT that has not expired (read, not verified; no network;
declared in assets/checks.yaml)."""
