"""Object storage checks: the bucket answers a round trip, presigned URLs work over HTTP, CORS
lets W&B's web UI upload. One probe (`storage`) gathers everything; three pure judges read it
(declared in assets/checks.yaml)."""
