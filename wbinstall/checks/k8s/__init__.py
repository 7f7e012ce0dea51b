"""Kubernetes checks: one `k8s` probe reads the cluster once; seven judges read its facts."""

from wbinstall.checks.k8s import judge, probe
from wbinstall.checks.registry import Check, Probe
from wbinstall.checks.registry import check as _check
from wbinstall.checks.registry import probe as _probe

_probe(Probe(judge.PROBE, probe.gather, timeout=10.0))

_AFTER = ("k8s.connect",)
_check(Check("k8s.connect", "Cluster reachable with the chosen kubeconfig context", (judge.PROBE,), judge.judge_connect))
_check(Check("k8s.version", "Kubernetes version", (judge.PROBE,), judge.judge_version, after=_AFTER))
_check(Check("k8s.arch", "Node architecture (amd64 only)", (judge.PROBE,), judge.judge_arch, after=_AFTER))
_check(Check("k8s.ingress", "IngressClass for W&B", (judge.PROBE,), judge.judge_ingress, after=_AFTER))
_check(Check("k8s.storage", "Default StorageClass for W&B's volumes", (judge.PROBE,), judge.judge_storage, after=_AFTER))
_check(Check("k8s.rbac", "Rights to apply the install", (judge.PROBE,), judge.judge_rbac, after=_AFTER))
_check(Check("k8s.capacity", "Node CPU and memory vs the sizing recommendation", (judge.PROBE,), judge.judge_capacity,
             after=_AFTER))
