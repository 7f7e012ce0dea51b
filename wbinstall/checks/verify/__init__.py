"""verify.*: after an install, W&B as its users reach it — through DNS, the ingress's TLS, the
app's pages and health endpoint, a large upload, the bucket from a browser's point of view,
and the operator's own verdict. Run by `wbinstall verify`, the last step of Deploy and last in
an unattended install. Declared in assets/checks.yaml (`verify:`), like the preflight checks."""
