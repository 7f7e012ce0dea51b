"""License check: the W&B license is a JWT that has not expired (read, not verified; no network)."""

from wbinstall.checks.license import judge, probe
from wbinstall.checks.registry import Check, Probe, check
from wbinstall.checks.registry import probe as register_probe

register_probe(Probe("license", probe.gather))
check(Check(judge.CHECK_ID, "The W&B license is valid and not about to expire", probes=("license",),
            judge=judge.license_valid))
