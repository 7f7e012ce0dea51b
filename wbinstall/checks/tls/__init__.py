"""TLS check: the endpoint users reach presents a valid, trusted, complete chain for the host."""

from wbinstall.checks.registry import Check, Probe, check
from wbinstall.checks.registry import probe as register_probe
from wbinstall.checks.tls import judge, probe

register_probe(Probe("tls", probe.gather))
check(Check(judge.CHECK_ID, "The host presents a valid TLS certificate", probes=("tls",), judge=judge.certificate))
