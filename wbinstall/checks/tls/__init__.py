"""TLS check: the endpoint users reach presents a valid, trusted, complete chain for the host
(declared in assets/checks.yaml)."""
