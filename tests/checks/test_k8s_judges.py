"""Judge tables for the k8s.* checks: facts as real clusters present them -> results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.checks.support import inputs, make_answers
from wbinstall.checks.k8s import judge
from wbinstall.checks.k8s.facts import (
    Access,
    BalancerService,
    CSINodeSeen,
    IngressClass,
    IngressSeen,
    KubeFacts,
    Kubeconfig,
    Listing,
    Node,
    Problem,
    ServerVersion,
    ServingFacts,
    StorageClass,
    Taint,
)
from wbinstall.checks.k8s.needs import APPLY_VERBS, INSTALL_NEEDS

SERVER = "https://ABCDEF0123.gr7.us-east-1.eks.amazonaws.com"
KUBECONFIG = Kubeconfig(("/home/ops/.kube/config",), ("prod", "staging"), "prod", "prod",
                        "arn:aws:eks:us-east-1:111122223333:cluster/prod", SERVER)
CONTROL_PLANE = Taint("node-role.kubernetes.io/control-plane", "NoSchedule")


def amd64(name: str, cpu: str = "7910m", memory: str = "63Gi", instance_type: str | None = "r6i.2xlarge", **kw: Any) -> Node:
    return Node(name, "amd64", "amd64", "linux", instance_type, cpu, memory, ready=True, **kw)


def arm64(name: str, instance_type: str = "m7g.2xlarge", **kw: Any) -> Node:
    return Node(name, "arm64", "arm64", "linux", instance_type, "7910m", "30Gi", ready=True, **kw)


def review_all(allowed: bool = True, deny: set[str] = frozenset(), namespace: str = "wandb") -> tuple[Access, ...]:
    return tuple(Access(verb, n.group, n.resource, namespace if n.namespaced else None,
                        allowed and n.resource not in deny)
                 for n in INSTALL_NEEDS for verb in APPLY_VERBS)


NODES = ("ip-10-0-1-10.ec2.internal", "ip-10-0-2-11.ec2.internal")
# The classes at work: an ALB Ingress with its address, ingress-nginx's Service, the EBS CSI driver on both nodes.
SERVING = ServingFacts(
    ingresses=Listing((IngressSeen("shop/web", "alb", ("k8s-shop-web-1a2b3c.us-east-1.elb.amazonaws.com",)),)),
    services=Listing((BalancerService("ingress-nginx/ingress-nginx-controller", "ingress-nginx", ("203.0.113.10",)),)),
    csi_drivers=Listing(("ebs.csi.aws.com",)),
    csi_nodes=Listing(tuple(CSINodeSeen(n, ("ebs.csi.aws.com",)) for n in NODES)),
    bound_volumes=Listing(()))


def kube(**kw: Any) -> KubeFacts:
    """A healthy, connected EKS cluster unless told otherwise."""
    base = KubeFacts(
        KUBECONFIG, None, ServerVersion("v1.30.4-eks-a737599", "1", "30+", "linux/amd64"),
        "arn:aws:iam::111122223333:role/admin", ("system:authenticated",),
        Listing((amd64("ip-10-0-1-10.ec2.internal"), amd64("ip-10-0-2-11.ec2.internal"))),
        Listing((IngressClass("alb", "ingress.k8s.aws/alb", True),)),
        Listing((StorageClass("gp3", "ebs.csi.aws.com", True, "WaitForFirstConsumer", "2024-05-01T10:00:00+00:00"),)),
        Listing(review_all()),
    )
    return replace(base, **{"serving": SERVING, **kw})


def run(judge_fn, facts: KubeFacts, **answers: Any):
    answers.setdefault("cloud", "aws")
    return judge_fn({"k8s": facts}, inputs(make_answers(**answers)))


def unconnected(kind: str, detail: str, **kubeconfig: Any) -> KubeFacts:
    kc = replace(KUBECONFIG, **kubeconfig)
    return KubeFacts(kc, Problem(kind, detail))  # type: ignore[arg-type]


# ----- k8s.connect -------------------------------------------------------------------------

def test_connect_passes_with_server_context_and_user():
    r = run(judge.judge_connect, kube())
    assert r.status == "pass"
    assert r.summary == f"connected to {SERVER} (context prod) as arn:aws:iam::111122223333:role/admin"
    assert "kubeconfig: /home/ops/.kube/config" in r.evidence


def test_connect_passes_without_a_user_name_on_servers_older_than_1_28():
    assert run(judge.judge_connect, kube(user=None, groups=())).summary == f"connected to {SERVER} (context prod)"


@pytest.mark.parametrize(("kind", "detail", "summary", "remedy_has"), [
    ("refused", "[Errno 111] Connection refused", f"connection refused by {SERVER}", "Nothing accepts connections"),
    ("dns", "[Errno -2] Name or service not known", "cannot resolve abcdef0123.gr7.us-east-1.eks.amazonaws.com",
     "private cluster endpoint"),
    ("timeout", "_ssl.c:989: The handshake operation timed out", f"no answer from {SERVER} in time", "--timeout"),
    ("unreachable", "[Errno 113] No route to host", f"cannot reach {SERVER}", "HTTPS_PROXY"),
    ("tls-untrusted", "unable to get local issuer certificate",
     f"the certificate of {SERVER} is not trusted by the kubeconfig's CA", "TLS-inspecting proxy"),
    ("tls-hostname", "Hostname mismatch, certificate is not valid for 'abcdef0123.gr7.us-east-1.eks.amazonaws.com'.",
     f"the certificate of {SERVER} is not valid for abcdef0123.gr7.us-east-1.eks.amazonaws.com", "tls-server-name"),
    ("tls", "[SSL: WRONG_VERSION_NUMBER] wrong version number", f"TLS with {SERVER} failed", "https"),
    ("unauthorized", "Unauthorized", f"{SERVER} rejected the credentials of context prod (401 Unauthorized)",
     "aws eks update-kubeconfig"),
    ("forbidden", "forbidden: User \"x\" cannot get path \"/version\"", "(403 Forbidden)", "cluster-admin"),
])
def test_connect_failures_have_distinct_messages(kind, detail, summary, remedy_has):
    r = run(judge.judge_connect, unconnected(kind, detail))
    assert r.status == "fail"
    assert summary in r.summary
    assert detail in r.evidence
    assert remedy_has in (r.remedy or "")


def test_connect_other_http_status_is_quoted():
    facts = KubeFacts(KUBECONFIG, Problem("http", "503 Service Unavailable", 503))
    r = run(judge.judge_connect, facts)
    assert r.status == "fail" and r.summary == f"{SERVER} answered 503"


def test_connect_unknown_context_lists_the_contexts_there_are():
    facts = unconnected("unknown-context", "no context named 'prd'", context=None, cluster=None, server=None)
    r = run(judge.judge_connect, facts, kubernetes={"context": "prd"})
    assert r.status == "fail"
    assert r.summary == "context 'prd' is not in the kubeconfig"
    assert "contexts in the kubeconfig: prod, staging" in r.evidence
    assert r.remedy == "Set kubernetes.context to one of: prod, staging"


def test_connect_without_current_context_asks_for_one():
    facts = unconnected("no-context", "the kubeconfig sets no current-context", context=None, current_context=None)
    r = run(judge.judge_connect, facts)
    assert r.status == "fail" and r.summary.startswith("no context to use")
    assert "prod, staging" in (r.remedy or "")


@pytest.mark.parametrize(("cloud", "command"), [
    ("aws", "aws eks update-kubeconfig"), ("gcp", "gcloud container clusters get-credentials"),
    ("azure", "az aks get-credentials"), ("other", None),
])
def test_connect_without_kubeconfig_says_how_to_get_one_for_the_cloud(cloud, command):
    facts = KubeFacts(Kubeconfig(("/root/.kube/config",)), Problem("no-kubeconfig", "no kubeconfig file at the default /root/.kube/config"))
    r = run(judge.judge_connect, facts, cloud=cloud)
    assert r.status == "fail"
    assert r.summary == "no kubeconfig: no kubeconfig file at the default /root/.kube/config"
    assert "kubernetes.kubeconfig" in (r.remedy or "")
    assert (command in (r.remedy or "")) if command else "To write one" not in (r.remedy or "")


def test_connect_broken_kubeconfig_quotes_the_loader():
    facts = KubeFacts(Kubeconfig(("/tmp/kc",), ("a",), "a", "a"),
                      Problem("bad-kubeconfig", "exec: process returned 1\nStderr: aws: command not found"))
    r = run(judge.judge_connect, facts)
    assert r.status == "fail" and r.summary == "the kubeconfig could not be loaded"
    assert "kubectl --kubeconfig /tmp/kc config view" in (r.remedy or "")


def test_connect_as_anonymous_fails():
    r = run(judge.judge_connect, kube(user="system:anonymous", groups=()))
    assert r.status == "fail" and "anonymous" in r.summary


# ----- k8s.version -------------------------------------------------------------------------

@pytest.mark.parametrize(("git", "major", "minor", "status", "shown"), [
    # 1.29-1.33 meet the reference architecture's floor; W&B's current docs ask for 1.34: warn.
    ("v1.29.4-eks-036c24b", "1", "29+", "warn", "1.29.4 meets the minimum 1.29; W&B's current docs ask for "
                                                "Kubernetes 1.34"),
    ("v1.30.2-gke.1587003", "1", "30", "warn", "1.30.2"),
    ("v1.29.7", "1", "29", "warn", "1.29.7"),
    ("v1.29.8+f10c92d", "1", "29", "warn", "1.29.8"),
    ("v1.30.4+rke2r1", "1", "30", "warn", "1.30.4"),
    ("v1.33.5", "1", "33", "warn", "1.33.5"),
    ("v1.34.1-eks-113cf36", "1", "34+", "pass", "1.34.1 meets the minimum 1.29"),
    ("v1.35.4", "1", "35", "pass", "1.35.4"),
    ("v1.28.9+k3s1", "1", "28", "fail", "1.28.9"),
    ("v1.28.15", "1", "28", "fail", "1.28.15"),
    ("v1.27.16+03a907c", "1", "27", "fail", "1.27.16"),
    ("v1.31.0-rc.1", "1", "31", "warn", "1.31.0-rc.1"),
    ("v0.0.0-master+$Format:%H$", "1", "29+", "warn", "1.29"),
    ("v0.0.0-master+$Format:%H$", "", "", "warn", None),
])
def test_version_against_the_minimum(git, major, minor, status, shown):
    r = run(judge.judge_version, kube(version=ServerVersion(git, major, minor)))
    assert r.status == status
    assert r.evidence[0] == f"gitVersion {git!r} (major {major!r}, minor {minor!r})"
    if shown:
        assert shown in r.summary


def test_newer_advice_warns_with_its_source_and_date_and_a_remedy():
    r = run(judge.judge_version, kube(version=ServerVersion("v1.31.2-eks-7f9249a", "1", "31+")))
    assert r.status == "warn"
    assert r.evidence[1].startswith("advice: W&B's current docs ask for Kubernetes 1.34 or newer (source: ")
    assert "self-managed-version-requirements.mdx" in r.evidence[1] and "read 2026-" in r.evidence[1]
    assert "1.31 -> 1.32 -> 1.33 -> 1.34" in (r.remedy or "")


def test_old_version_remedy_walks_minor_versions_and_names_the_managed_service():
    r = run(judge.judge_version, kube(version=ServerVersion("v1.27.16-eks-2f46c53", "1", "27+")))
    assert r.summary == "Kubernetes 1.27.16 is older than the required 1.29"
    assert "(EKS)" in (r.remedy or "")
    assert "1.27 -> 1.28 -> 1.29" in (r.remedy or "")


# ----- k8s.arch ----------------------------------------------------------------------------

def test_arch_passes_when_every_schedulable_node_is_amd64_and_ignores_tainted_arm_and_control_plane():
    nodes = (amd64("w1"), amd64("w2"), arm64("a1", taints=(Taint("kubernetes.io/arch", "NoSchedule", "arm64"),)),
             Node("cp1", "arm64", "arm64", "linux", None, "2", "4Gi", taints=(CONTROL_PLANE,), ready=True))
    r = run(judge.judge_arch, kube(nodes=Listing(nodes)))
    assert r.status == "pass" and r.summary == "all 2 schedulable nodes are linux/amd64"
    assert "not schedulable, ignored: a1 (kubernetes.io/arch=arm64:NoSchedule)" in r.evidence
    assert "not schedulable, ignored: cp1 (node-role.kubernetes.io/control-plane:NoSchedule)" in r.evidence


def test_arch_fails_on_mixed_nodes_naming_the_arm_ones_and_suggesting_a_taint():
    r = run(judge.judge_arch, kube(nodes=Listing((amd64("w1"), arm64("g1"), arm64("g2")))))
    assert r.status == "fail"
    assert r.summary == "2 of 3 schedulable nodes are not linux/amd64: g1 (linux/arm64), g2 (linux/arm64)"
    assert "kubectl taint nodes g1 g2 kubernetes.io/arch=arm64:NoSchedule" in (r.remedy or "")


def test_arch_fails_on_an_arm_only_cluster_recommending_amd64_machines():
    r = run(judge.judge_arch, kube(nodes=Listing((arm64("g1"),))), workload="models", environment="production")
    assert r.status == "fail"
    assert "ARM is not supported" in (r.remedy or "") and "r6i.2xlarge" in (r.remedy or "")


def test_arch_cordoned_arm_node_does_not_count():
    r = run(judge.judge_arch, kube(nodes=Listing((amd64("w1"), arm64("g1", unschedulable=True)))))
    assert r.status == "pass"
    assert "not schedulable, ignored: g1 (cordoned)" in r.evidence


def test_arch_prefer_no_schedule_taint_still_counts_as_schedulable():
    soft = arm64("g1", taints=(Taint("dedicated", "PreferNoSchedule", "batch"),))
    assert run(judge.judge_arch, kube(nodes=Listing((amd64("w1"), soft)))).status == "fail"


def test_arch_windows_nodes_are_not_linux_amd64():
    win = Node("akswin000000", "amd64", "amd64", "windows", "Standard_D4s_v5", "3860m", "12Gi", ready=True)
    r = run(judge.judge_arch, kube(nodes=Listing((amd64("aks-nodepool1-0"), win))))
    assert r.status == "fail" and "akswin000000 (windows/amd64)" in r.summary
    assert "kubernetes.io/os=windows:NoSchedule" in (r.remedy or "")


def test_arch_uses_what_the_kubelet_reports_over_the_label():
    lying = Node("n1", "amd64", "arm64", "linux", None, "4", "16Gi", ready=True)
    assert run(judge.judge_arch, kube(nodes=Listing((lying,)))).status == "fail"


def test_arch_node_without_architecture_warns():
    r = run(judge.judge_arch, kube(nodes=Listing((amd64("w1"), Node("odd", None, None, None, None, "4", "16Gi")))))
    assert r.status == "warn" and "odd" in r.summary


def test_arch_fails_without_nodes():
    r = run(judge.judge_arch, kube(nodes=Listing(())))
    assert r.status == "fail" and r.summary == "the cluster has no nodes"


def test_arch_fails_when_no_node_is_schedulable():
    r = run(judge.judge_arch, kube(nodes=Listing((amd64("w1", unschedulable=True), amd64("cp", taints=(CONTROL_PLANE,))))))
    assert r.status == "fail" and r.summary.startswith("none of the 2 nodes accepts W&B's pods")


def test_arch_warns_when_nodes_cannot_be_read():
    denied = Problem("forbidden", 'nodes is forbidden: User "dev" cannot list resource "nodes"', 403)
    r = run(judge.judge_arch, kube(nodes=Listing(problem=denied), user="dev"))
    assert r.status == "warn" and r.summary == "could not read the nodes: forbidden"
    assert denied.detail in r.evidence and "Give dev read access" in (r.remedy or "")


# ----- k8s.ingress -------------------------------------------------------------------------

NGINX = IngressClass("nginx", "k8s.io/ingress-nginx", False, "ingress-nginx")
ALB = IngressClass("alb", "ingress.k8s.aws/alb", False)


@pytest.mark.parametrize(("classes", "chosen", "status", "summary"), [
    ((replace(NGINX, default=True),), None, "pass", "the default IngressClass nginx will serve W&B (controller k8s.io/ingress-nginx)"),
    ((NGINX, ALB), "alb", "pass", "IngressClass alb exists (controller ingress.k8s.aws/alb)"),
    ((replace(NGINX, default=True), ALB), "alb", "pass", "IngressClass alb exists (controller ingress.k8s.aws/alb)"),
    ((NGINX, ALB), "traefik", "fail", "ingress.class 'traefik' is not an IngressClass here"),
    ((NGINX, ALB), None, "warn", "no IngressClass is the default: set ingress.class to one of: nginx, alb"),
    ((replace(NGINX, default=True), replace(ALB, default=True)), None, "fail", "2 IngressClasses are marked default: nginx, alb"),
    ((replace(NGINX, default=True), replace(ALB, default=True)), "nginx", "pass", "IngressClass nginx exists"),
    ((), None, "fail", "the cluster has no IngressClass: nothing would expose W&B"),
    ((), "nginx", "fail", "the cluster has no IngressClass: nothing would expose W&B"),
])
def test_ingress_class(classes, chosen, status, summary):
    r = run(judge.judge_ingress, kube(ingress_classes=Listing(classes)), ingress={"class": chosen})
    assert r.status == status
    assert r.summary.startswith(summary)


def test_ingress_missing_choice_lists_the_classes_there_are():
    r = run(judge.judge_ingress, kube(ingress_classes=Listing((NGINX, ALB))), ingress={"class": "traefik"})
    assert r.remedy == "Set ingress.class to one of: nginx, alb (or install the controller for 'traefik')."
    assert "IngressClass nginx: controller k8s.io/ingress-nginx" in r.evidence


def test_ingress_unreadable_warns():
    r = run(judge.judge_ingress, kube(ingress_classes=Listing(problem=Problem("timeout", "Read timed out."))))
    assert r.status == "warn" and "--timeout" in (r.remedy or "")


# ----- k8s.storage -------------------------------------------------------------------------

GP3 = StorageClass("gp3", "ebs.csi.aws.com", False, "WaitForFirstConsumer", "2024-05-01T10:00:00+00:00")
GP2 = StorageClass("gp2", "kubernetes.io/aws-ebs", False, "WaitForFirstConsumer", "2023-01-01T10:00:00+00:00")
LOCAL = StorageClass("local-storage", "kubernetes.io/no-provisioner", False, "WaitForFirstConsumer", "2024-01-01T00:00:00+00:00")


@pytest.mark.parametrize(("classes", "status", "summary"), [
    ((replace(GP3, default=True),), "pass", "the default StorageClass gp3 provisions W&B's volumes (ebs.csi.aws.com)"),
    ((replace(GP2, default=True), GP3), "warn", "the default StorageClass gp2 provisions W&B's volumes "
     "(kubernetes.io/aws-ebs), but nothing shows the provisioner at work"),  # in-tree, no volume bound yet
    ((replace(GP2, default=True), replace(GP3, default=True)), "warn",
     "2 StorageClasses are marked default; the newest, gp3, is used"),
    ((GP2, GP3), "fail", "no StorageClass is the default: W&B's volume claims would stay Pending"),
    ((replace(LOCAL, default=True),), "warn", "the default StorageClass local-storage provisions nothing"),
    ((), "fail", "the cluster has no StorageClass"),
])
def test_storage_class(classes, status, summary):
    r = run(judge.judge_storage, kube(storage_classes=Listing(classes)))
    assert r.status == status
    assert r.summary.startswith(summary)


FORBIDDEN = Problem("forbidden", "forbidden", 403)


@pytest.mark.parametrize(("serving", "status", "summary", "seen"), [
    (SERVING, "pass", "the default StorageClass gp3 provisions W&B's volumes (ebs.csi.aws.com)",
     "CSIDriver ebs.csi.aws.com registered on 2 of 2 schedulable nodes: ip-10-0-1-10.ec2.internal, "
     "ip-10-0-2-11.ec2.internal"),
    (replace(SERVING, csi_drivers=Listing(), csi_nodes=Listing(), bound_volumes=Listing(("gp3", "gp3", "other"))),
     "pass", "the default StorageClass gp3 provisions", "2 PersistentVolumes of class gp3 bound"),
    (replace(SERVING, csi_nodes=Listing()), "warn",
     "the default StorageClass gp3 provisions W&B's volumes (ebs.csi.aws.com), but its CSI driver runs on no "
     "schedulable node", "CSIDriver ebs.csi.aws.com registered on 0 of 2 schedulable nodes"),
    (replace(SERVING, csi_drivers=Listing(), csi_nodes=Listing()), "warn",
     "the default StorageClass gp3 provisions W&B's volumes (ebs.csi.aws.com), but nothing shows the provisioner "
     "at work", "no CSIDriver named ebs.csi.aws.com"),
    (replace(SERVING, csi_drivers=Listing(problem=FORBIDDEN), bound_volumes=Listing(problem=FORBIDDEN)), "warn",
     "the default StorageClass gp3 provisions W&B's volumes (ebs.csi.aws.com), but nothing shows",
     "could not list CSI drivers or CSINodes: forbidden"),
])
def test_storage_says_which_evidence_shows_the_provisioner_at_work(serving, status, summary, seen):
    r = run(judge.judge_storage, kube(serving=serving))
    assert (r.status, r.summary[:len(summary)]) == (status, summary)
    assert seen in r.evidence, r.evidence
    if status == "warn":
        assert "kubectl get csidrivers,csinodes" in (r.remedy or "") or "kubectl get csinodes" in (r.remedy or "")


@pytest.mark.parametrize(("chosen", "serving", "status", "summary", "seen"), [
    ("alb", SERVING, "pass", "IngressClass alb exists (controller ingress.k8s.aws/alb); it serves on "
     "k8s-shop-web-1a2b3c.us-east-1.elb.amazonaws.com",
     "Ingress shop/web of class alb has the address k8s-shop-web-1a2b3c.us-east-1.elb.amazonaws.com"),
    ("nginx", SERVING, "pass", "IngressClass nginx exists (controller k8s.io/ingress-nginx); it serves on 203.0.113.10",
     "Service ingress-nginx/ingress-nginx-controller (type LoadBalancer, app.kubernetes.io/name=ingress-nginx): "
     "address 203.0.113.10"),
    ("nginx", replace(SERVING, services=Listing((BalancerService("ingress-nginx/c", "ingress-nginx"),))), "warn",
     "IngressClass nginx exists (controller k8s.io/ingress-nginx), but nothing shows its controller at work",
     "Service ingress-nginx/c (type LoadBalancer, app.kubernetes.io/name=ingress-nginx): no address yet"),
    ("nginx", ServingFacts(), "warn", "IngressClass nginx exists (controller k8s.io/ingress-nginx), but nothing shows",
     "no LoadBalancer Service labelled app.kubernetes.io/name=ingress-nginx"),
    ("nginx", ServingFacts(ingresses=Listing(problem=FORBIDDEN), services=Listing(problem=FORBIDDEN)), "warn",
     "IngressClass nginx exists (controller k8s.io/ingress-nginx), but nothing shows",
     "could not list LoadBalancer Services: forbidden"),
    ("f5", replace(SERVING, services=Listing((BalancerService("nginx/nginx-ingress", "nginx-ingress", ("198.51.100.7",)),))),
     "warn", "IngressClass f5 exists (controller nginx.org/ingress-controller); it serves on 198.51.100.7, but its "
     "defaults refuse W&B's large uploads (413)",
     "uploads through NGINX Ingress Controller (F5): its default client-max-body-size is 1m, and W&B's Ingress sets "
     "no nginx.org/ annotation"),
])
def test_ingress_says_what_shows_its_controller_at_work(chosen, serving, status, summary, seen):
    classes = (NGINX, ALB, IngressClass("f5", "nginx.org/ingress-controller", False))
    r = run(judge.judge_ingress, kube(ingress_classes=Listing(classes), serving=serving), ingress={"class": chosen})
    assert (r.status, r.summary[:len(summary)]) == (status, summary)
    assert seen in r.evidence, r.evidence


def test_ingress_nginx_says_why_large_uploads_pass():
    r = run(judge.judge_ingress, kube(ingress_classes=Listing((NGINX,)), serving=SERVING), ingress={"class": "nginx"})
    assert any(e.startswith("uploads through ingress-nginx: its default proxy-body-size is 1m, but W&B's Ingress "
                            "carries nginx.ingress.kubernetes.io/proxy-body-size") for e in r.evidence), r.evidence


def test_storage_without_default_shows_the_patch_for_a_class_there_is():
    r = run(judge.judge_storage, kube(storage_classes=Listing((GP2, GP3))))
    assert "kubectl patch storageclass gp2" in (r.remedy or "")
    assert "storageclass.kubernetes.io/is-default-class" in (r.remedy or "")
    assert "StorageClass gp3: provisioner ebs.csi.aws.com, volumeBindingMode WaitForFirstConsumer" in r.evidence


def test_storage_several_defaults_says_which_to_unmark():
    r = run(judge.judge_storage, kube(storage_classes=Listing((replace(GP2, default=True), replace(GP3, default=True)))))
    assert "from gp2" in (r.remedy or "")


# ----- k8s.rbac ----------------------------------------------------------------------------

def test_rbac_passes_when_every_review_allows():
    r = run(judge.judge_rbac, kube())
    assert r.status == "pass"
    assert r.summary == "arn:aws:iam::111122223333:role/admin may apply everything the install creates"


def test_rbac_lists_denied_kinds_and_a_clusterrole_for_them():
    facts = kube(access=Listing(review_all(deny={"customresourcedefinitions", "clusterroles"}, namespace="wb-prod")),
                 user="dev@example.com", namespace="wb-prod")
    r = run(judge.judge_rbac, facts, kubernetes={"namespace": "wb-prod"})
    assert r.status == "fail"
    assert r.summary == "dev@example.com may not apply 2 of the 10 kinds the install creates"
    assert r.evidence == (
        "denied: create/patch customresourcedefinitions.apiextensions.k8s.io cluster-wide (the WeightsAndBiases CRD)",
        "denied: create/patch clusterroles.rbac.authorization.k8s.io cluster-wide (the operator's ClusterRole)",
    )
    remedy = r.remedy or ""
    assert ("kubectl create clusterrole wbinstall-installer --verb=create,patch "
            "--resource=customresourcedefinitions.apiextensions.k8s.io,clusterroles.rbac.authorization.k8s.io") in remedy
    assert "--user=dev@example.com" in remedy and "cluster-admin" in remedy


def test_rbac_namespaced_denials_name_the_namespace():
    facts = kube(access=Listing(review_all(deny={"secrets"}, namespace="wb-prod")), namespace="wb-prod")
    r = run(judge.judge_rbac, facts)
    assert r.evidence == ("denied: create/patch secrets in namespace wb-prod (license, MySQL and bucket Secrets)",)


def test_rbac_only_patch_denied_is_reported_per_verb():
    rows = tuple(replace(a, allowed=not (a.resource == "deployments" and a.verb == "patch")) for a in review_all())
    r = run(judge.judge_rbac, kube(access=Listing(rows)))
    assert r.evidence == ("denied: patch deployments.apps in namespace wandb (the operator's Deployment)",)
    assert "--verb=patch " in (r.remedy or "")


def test_rbac_unknown_user_gets_a_placeholder():
    r = run(judge.judge_rbac, kube(access=Listing(review_all(allowed=False)), user=None))
    assert r.summary == "this identity may not apply 10 of the 10 kinds the install creates"
    assert "--user=<your user>" in (r.remedy or "")


def test_rbac_reviews_that_could_not_be_made_warn():
    r = run(judge.judge_rbac, kube(access=Listing(problem=Problem("timeout", "Read timed out."))))
    assert r.status == "warn"


# ----- k8s.capacity ------------------------------------------------------------------------

def test_capacity_passes_when_every_node_meets_the_recommendation():
    r = run(judge.judge_capacity, kube(), workload="models", environment="production")
    assert r.status == "pass"
    assert r.summary == "all 2 nodes meet the recommended 8 CPU / 64 GiB"
    assert r.evidence[0] == "recommended: Models, production: 8 CPU / 64 GB per node (GB read as GiB), AWS machine type r6i.2xlarge"
    assert "meets it (the recommended machine type" in r.evidence[1]


def test_capacity_warns_when_some_nodes_are_short():
    nodes = (amd64("big"), amd64("node-a", cpu="4", memory="15.2Gi", instance_type="m5.xlarge"))
    r = run(judge.judge_capacity, kube(nodes=Listing(nodes)), workload="models", environment="production")
    assert r.status == "warn"
    assert r.summary == "1 of 2 nodes are below the recommended 8 CPU / 64 GiB: node-a 4 CPU / 15.2 GiB"
    assert "1 × m5.xlarge linux/amd64: 4 CPU / 15.2 GiB, short 4 CPU, 48.8 GiB: node-a" in r.evidence
    assert "r6i.2xlarge" in (r.remedy or "") and "node-a" in (r.remedy or "")


def test_capacity_fails_when_no_node_meets_it():
    nodes = (amd64("a", cpu="3920m", memory="15Gi", instance_type="m5.xlarge"),)
    r = run(judge.judge_capacity, kube(nodes=Listing(nodes)), workload="weave", environment="production", cloud="gcp")
    assert r.status == "fail"
    assert r.summary.startswith("no node meets the recommended 12 CPU / 96 GiB")
    assert "GCP machine type n2-highmem-16" in r.evidence[0]


def test_capacity_only_counts_ready_schedulable_amd64_nodes():
    nodes = (amd64("w1"), arm64("g1"), amd64("cp", cpu="2", memory="4Gi", taints=(CONTROL_PLANE,)),
             replace(amd64("sick", cpu="1", memory="1Gi"), ready=False))
    r = run(judge.judge_capacity, kube(nodes=Listing(nodes)), workload="models", environment="production")
    assert r.status == "pass" and r.summary == "all 1 nodes meet the recommended 8 CPU / 64 GiB"
    assert "not Ready, ignored: sick" in r.evidence


def test_capacity_without_other_cloud_machine_type_shows_no_type():
    r = run(judge.judge_capacity, kube(), cloud="other", workload="models", environment="test")
    assert r.evidence[0] == "recommended: Models, test / dev: 2 CPU / 16 GB per node (GB read as GiB)"


def test_capacity_fails_without_a_usable_node():
    r = run(judge.judge_capacity, kube(nodes=Listing((arm64("g1"),))))
    assert r.status == "fail" and r.summary == "no Ready, schedulable amd64 node to run W&B"


def test_capacity_ignores_a_node_without_allocatable():
    nodes = (amd64("w1"), Node("new", "amd64", "amd64", "linux", None, None, None, ready=True))
    r = run(judge.judge_capacity, kube(nodes=Listing(nodes)), workload="models", environment="production")
    assert r.status == "pass"
    assert any(e.startswith("no allocatable resources reported, ignored: new") for e in r.evidence)


# ----- large clusters: grouped, bounded, every node in `data`, a list cut short ------------

def fleet(count: int, prefix: str, make=amd64, **kw: Any) -> tuple[Node, ...]:
    return tuple(make(f"{prefix}-{i:04d}", **kw) for i in range(count))


def big_cluster() -> tuple[Node, ...]:
    return (fleet(4812, "r6i", cpu="4", memory="32Gi", instance_type="r6i.xlarge")
            + fleet(150, "m5", cpu="4", memory="16Gi", instance_type="m5.xlarge")
            + fleet(38, "arm", arm64, taints=(Taint("kubernetes.io/arch", "NoSchedule", "arm64"),)))


def test_capacity_groups_5000_nodes_by_kind_and_names_the_first_offenders():
    r = run(judge.judge_capacity, kube(nodes=Listing(big_cluster())), workload="weave", environment="test")
    assert r.status == "warn"
    assert r.summary == ("150 of 4,962 nodes are below the recommended 4 CPU / 32 GiB: m5-0000 4 CPU / 16 GiB, "
                         "m5-0001 4 CPU / 16 GiB, m5-0002 4 CPU / 16 GiB and 147 more")
    assert r.evidence[1:] == (
        "150 × m5.xlarge linux/amd64: 4 CPU / 16 GiB, short 16 GiB: m5-0000, m5-0001, m5-0002 and 147 more",
        "4,812 × r6i.xlarge linux/amd64: 4 CPU / 32 GiB, meets it")
    assert len(r.data["nodes"]) == 4962  # the JSON report keeps every node
    assert {"name": "m5-0149", "instanceType": "m5.xlarge", "platform": "linux/amd64", "cpu": 4.0, "memoryGiB": 16.0,
            "verdict": "short", "cpuShort": 0.0, "memoryShortGiB": 16.0} in r.data["nodes"]
    assert "m5-0000, m5-0001, m5-0002 and 147 more" in (r.remedy or "")


def test_arch_groups_nodes_by_platform_and_type():
    r = run(judge.judge_arch, kube(nodes=Listing(big_cluster())))
    assert r.status == "pass" and r.summary == "all 4,962 schedulable nodes are linux/amd64"
    assert r.evidence == ("4,812 × r6i.xlarge linux/amd64", "150 × m5.xlarge linux/amd64",
                          "not schedulable, ignored: arm-0000, arm-0001, arm-0002 and 35 more "
                          "(kubernetes.io/arch=arm64:NoSchedule)")
    assert len(r.data["nodes"]) == 5000


def test_arch_names_the_first_arm_nodes_and_taints_a_large_pool_by_label():
    nodes = fleet(100, "x86") + fleet(40, "arm", arm64)
    r = run(judge.judge_arch, kube(nodes=Listing(nodes)))
    assert r.status == "fail"
    assert r.summary.startswith("40 of 140 schedulable nodes are not linux/amd64: arm-0000 (linux/arm64), ")
    assert r.summary.endswith("and 32 more")
    assert r.evidence[0] == "40 × m7g.2xlarge linux/arm64: arm-0000, arm-0001, arm-0002 and 37 more"
    assert ("kubectl taint nodes -l kubernetes.io/arch=arm64 kubernetes.io/arch=arm64:NoSchedule   # 40 nodes"
            in (r.remedy or ""))


def test_many_kinds_of_node_are_bounded_to_ten_lines():
    nodes = tuple(amd64(f"n{i}", cpu=str(8 + i), memory="64Gi", instance_type=f"type-{i}") for i in range(30))
    r = run(judge.judge_capacity, kube(nodes=Listing(nodes)), workload="models", environment="production")
    assert len(r.evidence) == 1 + judge.GROUP_LINES
    assert r.evidence[-1] == "and 21 more kinds of node (21 nodes)"


def test_node_list_cut_short_warns_with_the_count_and_how_to_allow_more_time():
    listing = Listing(fleet(3500, "r6i", cpu="4", memory="32Gi", instance_type="r6i.xlarge"),
                      complete=False, seconds=10.02, pages=7)
    for judge_fn in (judge.judge_arch, judge.judge_capacity):
        r = run(judge_fn, kube(nodes=listing), workload="weave", environment="test")
        assert r.status == "warn"
        assert r.summary.startswith("listed 3,500 nodes in 10 s, not all; ")
        assert r.evidence[0] == "listed 3,500 nodes in 10 s, not all"
        assert (r.remedy or "").startswith("Allow more time with --timeout SECONDS: ")
        assert r.data["complete"] is False


def test_node_list_cut_short_still_fails_on_an_arm_node_it_saw():
    listing = Listing(fleet(10, "x86") + fleet(2, "arm", arm64), complete=False, seconds=3.0)
    r = run(judge.judge_arch, kube(nodes=listing))
    assert r.status == "fail" and r.evidence[0] == "listed 12 nodes in 3.0 s, not all"
    assert "Allow more time with" in (r.remedy or "")


def test_no_node_listed_in_time_warns_not_fails():
    listing = Listing((), complete=False, seconds=10.0)
    for judge_fn in (judge.judge_arch, judge.judge_capacity):
        r = run(judge_fn, kube(nodes=listing))
        assert r.status == "warn" and "listed 0 nodes in 10 s, not all" in r.summary


def test_remedies_name_the_faces_way_to_more_time():
    from tests.checks.support import inputs as make_inputs

    listing = Listing(fleet(5, "x86"), complete=False, seconds=10.0)
    wizard = replace(make_inputs(make_answers(cloud="aws")), more_time="Ctrl-T (more time)")
    r = judge.judge_arch({"k8s": kube(nodes=listing)}, wizard)
    assert "Allow more time with Ctrl-T (more time)" in (r.remedy or "") and "--timeout" not in (r.remedy or "")
    r = judge.judge_connect({"k8s": unconnected("timeout", "timed out")}, wizard)
    assert "Ctrl-T (more time)" in (r.remedy or "") and "--timeout" not in (r.remedy or "")


def test_the_probes_listings_are_merged_into_the_facts_a_judge_reads():
    from wbinstall.checks.k8s.facts import ClassFacts

    connected = kube(nodes=Listing(), ingress_classes=Listing(), storage_classes=Listing(), access=Listing())
    facts = {"k8s": connected, "k8s-nodes": Listing(fleet(3, "x86")),
             "k8s-classes": ClassFacts(kube().ingress_classes, kube().storage_classes, SERVING),
             "k8s-access": Listing(review_all())}
    answers = inputs(make_answers(cloud="aws"))
    assert judge.judge_arch(facts, answers).summary == "all 3 schedulable nodes are linux/amd64"
    assert judge.judge_ingress(facts, answers).status == "pass"
    assert judge.judge_rbac(facts, answers).status == "pass"


# ----- every dependent judge ---------------------------------------------------------------

@pytest.mark.parametrize("judge_fn", [judge.judge_version, judge.judge_arch, judge.judge_ingress, judge.judge_storage,
                                      judge.judge_rbac, judge.judge_capacity])
def test_dependent_judges_skip_without_a_connection(judge_fn):
    assert run(judge_fn, unconnected("refused", "[Errno 111] Connection refused")).status == "skip"
