"""DNS checks: the W&B host name has an A record, pointing at the ingress load balancer
(declared in assets/checks.yaml)."""
