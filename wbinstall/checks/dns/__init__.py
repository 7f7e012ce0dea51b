"""DNS checks: the W&B host name has an A record, pointing at the ingress load balancer."""

from wbinstall.checks.dns import judge, probe
from wbinstall.checks.registry import Check, Probe, check
from wbinstall.checks.registry import probe as register_probe

register_probe(Probe("dns", probe.gather_dns))
# Our own small view of the cluster (not the k8s area's facts): just the load balancer address.
register_probe(Probe("ingress-address", probe.gather_ingress_address))
check(Check(judge.CHECK_ID, "The host name resolves to the ingress load balancer",
            probes=("dns", "ingress-address"), judge=judge.a_record))
