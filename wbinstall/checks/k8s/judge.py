"""Judges for the k8s.* checks: pure functions of the k8s probes' facts and the inputs.

Node lines are grouped (os/arch, machine type, allocatable, verdict) so that a report stays
readable at 5,000 nodes; offenders are named (the first few, then a count), and each
result's `data` keeps every node for the JSON report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from wbinstall import sizing, text
from wbinstall.checks.context import CheckInputs
from wbinstall.checks.k8s.capacity import NODE_OS, NodeFit, cores, first_names, fit_nodes, gib, group_fits, runnable
from wbinstall.checks.k8s.facts import Access, KubeFacts, Listing, Node
from wbinstall.checks.k8s.needs import APPLY_VERBS, INSTALL_NEEDS
from wbinstall.checks.k8s.versions import parse_minimum, parse_server_version
from wbinstall.checks.result import Result, failed, passed, skipped, warned

PROBE, NODES, CLASSES, ACCESS = "k8s", "k8s-nodes", "k8s-classes", "k8s-access"
GROUP_LINES = 10  # node groups shown in a report before "and N more kinds"
# W&B's images are Linux images; requirements.yaml lists the architectures.
ANONYMOUS = "system:anonymous"

_GET_CREDENTIALS = {
    "aws": "aws eks update-kubeconfig --name <cluster> --region <region>",
    "gcp": "gcloud container clusters get-credentials <cluster> --region <region>",
    "azure": "az aks get-credentials --resource-group <resource-group> --name <cluster>",
}


def _kube(facts: Mapping[str, Any]) -> KubeFacts:
    """The connection's facts with the listings of whichever other k8s probes the check reads."""
    f: KubeFacts = facts[PROBE]
    more: dict[str, Any] = {}
    if (nodes := facts.get(NODES)) is not None:
        more["nodes"] = nodes
    if (classes := facts.get(CLASSES)) is not None:
        more.update(ingress_classes=classes.ingress_classes, storage_classes=classes.storage_classes,
                    serving=classes.serving)
    if (access := facts.get(ACCESS)) is not None:
        more["access"] = access
    return replace(f, **more) if more else f


def _names(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit:,} more" if len(items) > limit else "")


def _unread(check_id: str, what: str, listing: Listing[Any], f: KubeFacts, inputs: CheckInputs) -> Result:
    """A read the check needs failed: it cannot judge, so it says why (never a silent pass)."""
    p = listing.problem
    assert p is not None
    remedy = (f"Give {f.user or 'this identity'} read access to {what}, or run with a cluster-admin context "
              "(the install needs cluster-wide rights anyway)." if p.kind in ("forbidden", "unauthorized")
              else f"Check the connection to the cluster and run the checks again ({inputs.more_time} allows more time).")
    return warned(check_id, f"could not read {what}: {p.kind}", p.detail, remedy=remedy)


def _not_connected(check_id: str, f: KubeFacts) -> Result | None:
    # The engine skips these checks when k8s.connect fails; this guards direct calls.
    return skipped(check_id, "not run: no connection to the cluster") if f.problem or f.version is None else None


# ----- k8s.connect -------------------------------------------------------------------------

def judge_connect(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    f = _kube(facts)
    kc = f.kubeconfig
    cid = "k8s.connect"
    evidence = [f"kubeconfig: {', '.join(kc.paths)}"] if kc.paths else []
    if kc.context:
        evidence.append(f"context: {kc.context} (cluster {kc.cluster}, server {kc.server})")
    p = f.problem
    if p is None:
        if f.user == ANONYMOUS:
            return failed(cid, f"{kc.server} treats this connection as anonymous: context {kc.context} sends no "
                               "credentials it accepts", *evidence, remedy=_refresh_credentials(inputs, kc.context))
        who = f" as {f.user}" if f.user else ""
        groups = f" (groups: {', '.join(f.groups)})" if f.groups else ""
        return passed(cid, f"connected to {kc.server} (context {kc.context}){who}", *evidence,
                      *([f"user: {f.user}{groups}"] if f.user else []))
    evidence.append(p.detail)
    server, host = kc.server or "the API server", urlsplit(kc.server or "").hostname or "the server's host"
    ctx = f"context {kc.context}"
    contexts = (f"contexts in the kubeconfig: {_names(kc.contexts, 20)}" if kc.contexts
                else "the kubeconfig defines no contexts")
    if p.kind == "no-kubeconfig":
        cmd = _GET_CREDENTIALS.get(inputs.answers.cloud)
        return failed(cid, f"no kubeconfig: {p.detail}", *evidence[:-1], remedy=(
            "Set kubernetes.kubeconfig to your cluster's kubeconfig file, or export KUBECONFIG."
            + (f"\nTo write one: {cmd}" if cmd else "")))
    if p.kind == "bad-kubeconfig":
        return failed(cid, "the kubeconfig could not be loaded", *evidence, remedy=(
            f"Check it with: kubectl --kubeconfig {kc.paths[0] if kc.paths else '<file>'} config view"
            " (credential plugins such as aws, gcloud or kubelogin must be installed and logged in)."))
    if p.kind in ("unknown-context", "no-context"):
        what = (f"context '{inputs.answers.kubernetes.context}' is not in the kubeconfig" if p.kind == "unknown-context"
                and inputs.answers.kubernetes.context else f"no context to use: {p.detail}")
        return failed(cid, what, *evidence[:-1], contexts, remedy=(
            f"Set kubernetes.context to one of: {_names(kc.contexts, 20)}" if kc.contexts
            else "Add the cluster's context to the kubeconfig (kubectl config get-contexts lists them)."))
    if p.kind == "refused":
        return failed(cid, f"connection refused by {server}", *evidence, remedy=(
            f"Nothing accepts connections at {server}: check the server address of {ctx}, that the cluster is "
            "running, and for a private endpoint that this machine is on its network (VPN, bastion)."))
    if p.kind == "dns":
        return failed(cid, f"cannot resolve {host}", *evidence, remedy=(
            f"{host} does not resolve from this machine: a private cluster endpoint needs the VPC's DNS "
            "(run from inside the network, or use the public endpoint)."))
    if p.kind == "timeout":
        return failed(cid, f"no answer from {server} in time", *evidence, remedy=(
            f"A firewall or security group may drop traffic to {server}, or the endpoint is private: run from a "
            f"machine that can reach it, or allow more time with {inputs.more_time}."))
    if p.kind == "unreachable":
        return failed(cid, f"cannot reach {server}", *evidence, remedy=(
            f"Check the network path to {server} (route, VPN, proxy settings HTTPS_PROXY / NO_PROXY)."))
    if p.kind == "tls-untrusted":
        return failed(cid, f"the certificate of {server} is not trusted by the kubeconfig's CA", *evidence, remedy=(
            f"{ctx}'s certificate-authority does not sign the certificate {server} presents. Fetch the "
            "kubeconfig again (the cluster's CA may have been rotated), and check that no TLS-inspecting proxy "
            "sits between this machine and the cluster."))
    if p.kind == "tls-hostname":
        return failed(cid, f"the certificate of {server} is not valid for {host}", *evidence, remedy=(
            f"Use an address the API server's certificate names, or set tls-server-name for the cluster of {ctx} "
            "to a name it does (kubectl config set-cluster <cluster> --tls-server-name=<name>)."))
    if p.kind == "tls":
        return failed(cid, f"TLS with {server} failed", *evidence, remedy=(
            f"Check that {server} is the Kubernetes API server (https) and that its certificate is valid."))
    expired = _expired(kc.client_cert_expires, f.now)
    if expired:
        evidence.append(f"client certificate of {ctx}: expired {expired}")
    if p.kind == "unauthorized":
        if expired:
            return failed(cid, f"the client certificate of {ctx} expired {expired}: {server} answered 401 Unauthorized",
                          *evidence, remedy=_refresh_credentials(inputs, kc.context))
        return failed(cid, f"{server} rejected the credentials of {ctx} (401 Unauthorized)", *evidence,
                      remedy=_refresh_credentials(inputs, kc.context))
    if p.kind == "forbidden":
        return failed(cid, f"{server} refused {ctx} access to the server version (403 Forbidden)", *evidence, remedy=(
            "The identity is known but may not read even /version: use a context with cluster-admin rights."))
    return failed(cid, f"{server} answered {p.status}", *evidence,
                  remedy=f"Check that {server} is the Kubernetes API server.")


def _expired(not_after: str | None, now) -> str | None:
    """'on 2026-01-31 10:00 UTC (3 days ago)' when that time had passed when the probe ran, else None."""
    from datetime import datetime, timezone

    from wbinstall.checks.durations import days_or_hours

    if not not_after or now is None:
        return None
    when = datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    gone = now - when
    if gone.total_seconds() <= 0:
        return None
    return f"on {when:%Y-%m-%d %H:%M} UTC ({days_or_hours(gone)} ago)"


def _refresh_credentials(inputs: CheckInputs, context: str | None) -> str:
    cmd = _GET_CREDENTIALS.get(inputs.answers.cloud)
    return (f"The token or client certificate of context {context} is missing, invalid or expired: log in again and "
            "refresh the kubeconfig" + (f" ({cmd})." if cmd else "."))


# ----- k8s.version -------------------------------------------------------------------------

def judge_version(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    cid = "k8s.version"
    f = _kube(facts)
    if (r := _not_connected(cid, f)) is not None:
        return r
    v = f.version
    assert v is not None
    minimum = parse_minimum(inputs.requirements.kubernetes.min_version)
    want = f"{minimum[0]}.{minimum[1]}"
    seen = f"gitVersion {v.git_version!r} (major {v.major!r}, minor {v.minor!r})"
    version = parse_server_version(v.git_version, v.major, v.minor)
    if version is None:
        return warned(cid, "the server reports no version that can be read", seen,
                      remedy=f"Check by hand that the cluster runs Kubernetes {want} or newer (kubectl version).")
    if version.minor_version < minimum:
        steps = " -> ".join(f"{version.major}.{m}" for m in range(version.minor, minimum[1] + 1)) \
            if version.major == minimum[0] else want
        service = _managed_kubernetes(inputs)
        return failed(cid, f"Kubernetes {version} is older than the required {want}", seen, remedy=(
            f"Upgrade the control plane{service} to {want} or newer, one minor version at a time ({steps}), "
            "then the node pools."))
    if version.prerelease:
        return warned(cid, f"Kubernetes {version} is a pre-release build", seen,
                      remedy=f"Pre-release builds are for testing: use a released Kubernetes {want} or newer for W&B.")
    # Newer advice than the reference architecture's floor: it warns, never fails (data: requirements.yaml).
    behind = [a for a in inputs.requirements.kubernetes.advice if version.minor_version < parse_minimum(a.min_version)]
    if behind:
        steps = _upgrade_steps(version, parse_minimum(behind[0].min_version))
        return warned(cid, f"Kubernetes {version} meets the minimum {want}; "
                           f"{'; '.join(a.says for a in behind)}", seen,
                      *(f"advice: {a.cited()}" for a in behind),
                      remedy=f"Plan an upgrade of the control plane{_managed_kubernetes(inputs)} to "
                             f"{behind[0].min_version} or newer, one minor version at a time ({steps}), "
                             "then the node pools.")
    return passed(cid, f"Kubernetes {version} meets the minimum {want}", seen)


def _upgrade_steps(version: Any, target: tuple[int, int]) -> str:
    if version.major != target[0]:
        return f"{target[0]}.{target[1]}"
    return " -> ".join(f"{version.major}.{m}" for m in range(version.minor, target[1] + 1))


def _managed_kubernetes(inputs: CheckInputs) -> str:
    services = inputs.requirements.clouds[inputs.answers.cloud].managed_services
    return f" ({services.kubernetes})" if services else ""


# ----- k8s.arch ----------------------------------------------------------------------------

def _platform(node: Node) -> str:
    return f"{node.os or '?'}/{node.arch or '?'}"


def _why_unschedulable(node: Node) -> str:
    reasons = (["cordoned"] if node.unschedulable else []) + [str(t) for t in node.blocking_taints]
    return ", ".join(reasons)


def judge_arch(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    cid = "k8s.arch"
    f = _kube(facts)
    if (r := _not_connected(cid, f)) is not None:
        return r
    if f.nodes.problem:
        return _unread(cid, "the nodes", f.nodes, f, inputs)
    return _partial(_judge_arch(f, inputs), f.nodes, inputs)


def _judge_arch(f: KubeFacts, inputs: CheckInputs) -> Result:
    cid = "k8s.arch"
    allowed = set(inputs.requirements.kubernetes.architectures)
    want = "/".join(sorted(allowed))
    nodes = f.nodes.items
    data = {"nodes": [_node_data(n) for n in nodes]}
    if not nodes:
        if not f.nodes.complete:
            return warned(cid, "no node listed in time")
        return failed(cid, "the cluster has no nodes", remedy=(
            f"Add a node pool of {want} nodes (W&B runs on x86 only); with an autoscaler at zero, "
            "scale it to at least one node."))
    schedulable = [n for n in nodes if n.schedulable]
    ignored = _ignored(n for n in nodes if not n.schedulable)
    if not schedulable:
        return _with(failed(cid, f"none of the {len(nodes):,} nodes accepts W&B's pods (all cordoned or tainted)",
                            *ignored, remedy=(f"Add schedulable {NODE_OS}/{want} nodes, or uncordon / untaint existing "
                                              "ones (kubectl uncordon <node>).")), data)
    # One pass (membership tests on lists of nodes would be quadratic at 5,000 nodes).
    good: list[Node] = []
    unknown: list[Node] = []
    bad: list[Node] = []
    for n in schedulable:
        (good if n.arch in allowed and n.os in (NODE_OS, None) else unknown if n.arch is None else bad).append(n)
    per_kind = _platform_groups(schedulable, offenders={id(n) for n in (*bad, *unknown)})
    if bad:
        names = _names(f"{n.name} ({_platform(n)})" for n in bad)
        summary = f"{len(bad):,} of {len(schedulable):,} schedulable nodes are not {NODE_OS}/{want}: {names}"
        if good:
            # The taint GKE puts on its Arm nodes by default; tainted nodes no longer count here.
            groups: dict[str, list[str]] = {}
            for n in bad:
                taint = f"kubernetes.io/arch={n.arch}" if n.arch not in allowed else f"kubernetes.io/os={n.os}"
                groups.setdefault(taint, []).append(n.name)
            commands = "\n".join(_taint_command(ns, t) for t, ns in groups.items())
            remedy = (f"W&B's images are {NODE_OS}/{want} only and its pods carry no node selector, so the scheduler can "
                      "place them on these nodes, where they fail. Remove those node pools, or keep W&B off the nodes "
                      f"with a taint:\n{commands}")
        else:
            remedy = (f"W&B runs on x86 ({NODE_OS}/{want}) only; ARM is not supported. Add a {want} node pool"
                      + _machine_hint(inputs) + ".")
        return _with(failed(cid, summary, *per_kind, *ignored, remedy=remedy), data)
    if unknown:
        return _with(warned(cid, f"{len(unknown):,} schedulable node(s) report no architecture: "
                                 f"{_names(n.name for n in unknown)}", *per_kind, *ignored,
                            remedy=f"Check them with: kubectl get nodes -L kubernetes.io/arch (W&B needs {want})."), data)
    return _with(passed(cid, f"all {len(good):,} schedulable nodes are {NODE_OS}/{want}", *per_kind, *ignored), data)


_TAINT_NAMES = 20  # nodes named on one kubectl taint line; beyond that, select the pool by label


def _taint_command(names: list[str], taint: str) -> str:
    if len(names) <= _TAINT_NAMES:
        return f"  kubectl taint nodes {' '.join(names)} {taint}:NoSchedule"
    # The taint's key=value is also the node's own label (kubernetes.io/arch=arm64).
    return f"  kubectl taint nodes -l {taint} {taint}:NoSchedule   # {len(names):,} nodes"


def _platform_groups(nodes: list[Node], offenders: set[int]) -> list[str]:
    """"4,812 × r6i.xlarge linux/amd64"; kinds with offenders name them, first."""
    groups: dict[tuple[str, str | None], list[Node]] = {}
    for n in nodes:
        groups.setdefault((_platform(n), n.instance_type), []).append(n)
    rows = sorted(groups.items(), key=lambda kv: (not any(id(n) in offenders for n in kv[1]), -len(kv[1]), kv[0][0]))
    lines = []
    for (platform, kind), members in rows:
        text = f"{len(members):,} × " + " ".join(p for p in (kind, platform) if p)
        if any(id(n) in offenders for n in members):
            text += f": {first_names(n.name for n in members)}"
        lines.append(text)
    return _bounded(lines, [len(m) for _, m in rows])


def _bounded(lines: list[str], sizes: list[int]) -> list[str]:
    if len(lines) <= GROUP_LINES:
        return lines
    rest = sum(sizes[GROUP_LINES - 1:])
    return [*lines[:GROUP_LINES - 1], f"and {len(lines) - GROUP_LINES + 1:,} more kinds of node ({rest:,} nodes)"]


def _ignored(nodes: Iterable[Node]) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for n in nodes:
        by_reason.setdefault(_why_unschedulable(n), []).append(n.name)
    return [f"not schedulable, ignored: {first_names(names)} ({reason})" for reason, names in by_reason.items()]


def _node_data(n: Node) -> dict[str, Any]:
    return {"name": n.name, "os": n.os, "arch": n.arch, "instanceType": n.instance_type, "cpu": n.cpu,
            "memory": n.memory, "schedulable": n.schedulable, "ready": n.ready,
            "taints": [str(t) for t in n.taints]}


def _with(result: Result, data: dict[str, Any]) -> Result:
    return replace(result, data=data)


def _partial(result: Result, nodes: Listing[Node], inputs: CheckInputs) -> Result:
    """A node list the deadline cut short: the result says so, and how to allow more time.
    What was listed still counts (an ARM node seen is a failure however many are unseen),
    but a pass becomes a warning: the nodes not read may not pass."""
    if nodes.complete:
        return result
    seen = f"listed {len(nodes.items):,} nodes in {text.seconds(nodes.seconds)} s, not all"
    remedy = (f"Allow more time with {inputs.more_time}: a large cluster's node list takes longer to read "
              "(it is read in pages of 500, as kubectl does).")
    data = {**(result.data or {}), "complete": False, "listedSeconds": round(nodes.seconds, 2)}
    if result.status in ("pass", "warn"):
        return Result(result.id, "warn", f"{seen}; {result.summary}", (seen, *result.evidence),
                      remedy + (f"\n{result.remedy}" if result.remedy else ""), data)
    return Result(result.id, result.status, result.summary, (seen, *result.evidence),
                  (result.remedy + "\n" if result.remedy else "") + remedy, data)


def _machine_hint(inputs: CheckInputs) -> str:
    rec = sizing.recommend(inputs.answers.workload, inputs.answers.environment, inputs.answers.cloud)
    return f" (e.g. {rec.kubernetes_machine_type})" if rec.kubernetes_machine_type else ""


# ----- k8s.ingress -------------------------------------------------------------------------

def judge_ingress(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    cid = "k8s.ingress"
    f = _kube(facts)
    if (r := _not_connected(cid, f)) is not None:
        return r
    if f.ingress_classes.problem:
        return _unread(cid, "the IngressClasses", f.ingress_classes, f, inputs)
    classes = f.ingress_classes.items
    seen = [f"IngressClass {c.name}: controller {c.controller}" + (" (default)" if c.default else "") for c in classes]
    chosen = inputs.answers.ingress.class_
    install = ("Install an ingress controller (ingress-nginx, Traefik, Istio, the AWS Load Balancer Controller, "
               "Azure Application Gateway, ...) so that it creates an IngressClass")
    if not classes:
        return failed(cid, "the cluster has no IngressClass: nothing would expose W&B",
                      remedy=f"{install}; kubectl get ingressclass lists them.")
    if chosen:
        match = next((c for c in classes if c.name == chosen), None)
        if match is None:
            return failed(cid, f"ingress.class '{chosen}' is not an IngressClass here", *seen,
                          remedy=f"Set ingress.class to one of: {_names(c.name for c in classes)} "
                                 f"(or install the controller for '{chosen}').")
        return _ingress_at_work(cid, match, f"IngressClass {chosen} exists (controller {match.controller})", seen, f)
    defaults = [c for c in classes if c.default]
    if len(defaults) == 1:
        only = defaults[0]
        return _ingress_at_work(cid, only, f"the default IngressClass {only.name} will serve W&B "
                                f"(controller {only.controller})", seen, f)
    names = _names(c.name for c in classes)
    if defaults:
        # The API server's admission then rejects every Ingress that names no class.
        return failed(cid, f"{len(defaults)} IngressClasses are marked default: {_names(c.name for c in defaults)}", *seen,
                      remedy=("Kubernetes refuses an Ingress without a class when several are default: "
                              f"set ingress.class to one of: {names}."))
    return warned(cid, f"no IngressClass is the default: set ingress.class to one of: {names}", *seen,
                  remedy=f"Set ingress.class to one of: {names}; an Ingress without a class is served by no controller.")


def _known_controller(controller: str) -> dict:
    from wbinstall import data

    return (data.load("ingress-controllers.yaml").get("controllers") or {}).get(controller) or {}


def _ingress_at_work(cid: str, cls: Any, summary: str, seen: list[str], f: KubeFacts) -> Result:
    """The class exists: is its controller alive? Evidence, strongest first: Ingresses of the class
    that carry an address, then the controller's LoadBalancer Service and its address (what
    dns.a-record compares the host with, from its own probe)."""
    serving = f.serving
    known = _known_controller(cls.controller)
    names = {n for n in [cls.app, *known.get("names", [])] if n}
    evidence, looked = list(seen), []
    addressed = [i for i in serving.ingresses.items if i.class_name == cls.name and i.addresses]
    if serving.ingresses.problem:
        looked.append(f"could not list Ingresses: {serving.ingresses.problem.kind}")
    elif addressed:
        evidence += [f"Ingress {i.where} of class {cls.name} has the address {', '.join(i.addresses)}" for i in addressed[:5]]
    else:
        looked.append(f"no Ingress of class {cls.name} has an address yet")
    services = [s for s in serving.services.items if s.app in names]
    if serving.services.problem:
        looked.append(f"could not list LoadBalancer Services: {serving.services.problem.kind}")
    elif services:
        evidence += [f"Service {s.where} (type LoadBalancer, app.kubernetes.io/name={s.app}): "
                     + (f"address {', '.join(s.addresses)}" if s.addresses else "no address yet") for s in services]
    else:
        looked.append("no LoadBalancer Service labelled app.kubernetes.io/name=" + (" or ".join(sorted(names)) or
                      "<none: the IngressClass has no such label>"))
    if known.get("uploads"):
        evidence.append(f"uploads through {known.get('name', cls.controller)}: {' '.join(str(known['uploads']).split())}")
    address = next((a for i in addressed for a in i.addresses), None) or next(
        (a for s in services for a in s.addresses), None)
    if address is None:
        return warned(cid, f"{summary}, but nothing shows its controller at work", *evidence, *looked, remedy=(
            f"Check that the controller for {cls.controller} runs and has an address: "
            "kubectl get pods,svc -A -l app.kubernetes.io/name=" + (sorted(names)[0] if names else "<controller>")
            + " (on a cloud, its Service of type LoadBalancer waits for the load balancer)."))
    if known.get("refuses"):
        return warned(cid, f"{summary}; it serves on {address}, but its defaults refuse W&B's large uploads (413)",
                      *evidence, remedy=" ".join(str(known.get("fix", "")).split()) or None)
    return passed(cid, f"{summary}; it serves on {address}", *evidence)


# ----- k8s.storage -------------------------------------------------------------------------

NO_PROVISIONER = "kubernetes.io/no-provisioner"


def judge_storage(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    cid = "k8s.storage"
    f = _kube(facts)
    if (r := _not_connected(cid, f)) is not None:
        return r
    if f.storage_classes.problem:
        return _unread(cid, "the StorageClasses", f.storage_classes, f, inputs)
    classes = f.storage_classes.items
    seen = [f"StorageClass {c.name}: provisioner {c.provisioner}, volumeBindingMode {c.binding_mode}"
            + (" (default)" if c.default else "") for c in classes]
    if not classes:
        return failed(cid, "the cluster has no StorageClass: W&B's volumes cannot be provisioned", remedy=(
            "Install a CSI driver with a default StorageClass (EBS CSI on EKS, the built-in ones on GKE and AKS, "
            "or e.g. Longhorn / OpenEBS on premises)."))
    defaults = sorted((c for c in classes if c.default), key=lambda c: c.created or "", reverse=True)
    if not defaults:
        # wbinstall sets no global.storageClass, so the chart's claims name no class and need a default.
        first = classes[0].name
        return failed(cid, f"no StorageClass is the default: W&B's volume claims would stay Pending", *seen, remedy=(
            f"Mark one of {_names(c.name for c in classes)} as the default, e.g.:\n"
            f"  kubectl patch storageclass {first} -p "
            "'{\"metadata\": {\"annotations\": {\"storageclass.kubernetes.io/is-default-class\": \"true\"}}}'"))
    used = defaults[0]
    if used.provisioner == NO_PROVISIONER:
        return warned(cid, f"the default StorageClass {used.name} provisions nothing ({NO_PROVISIONER})", *seen, remedy=(
            "Claims of this class wait for hand-made PersistentVolumes: create them for W&B's claims, or make a "
            "class with a dynamic provisioner the default."))
    if len(defaults) > 1:
        summary = f"{len(defaults)} StorageClasses are marked default; the newest, {used.name}, is used"
        return warned(cid, summary, *seen, remedy=(
            f"Keep one default: remove the annotation storageclass.kubernetes.io/is-default-class from "
            f"{_names(c.name for c in defaults[1:])}."))
    return _provisioner_at_work(cid, used, f"the default StorageClass {used.name} provisions W&B's volumes "
                                f"({used.provisioner})", seen, f)


def _provisioner_at_work(cid: str, cls: Any, summary: str, seen: list[str], f: KubeFacts) -> Result:
    """The default class names a provisioner: is it serving? Evidence: volumes of the class
    already bound, or (CSI) its CSIDriver and the nodes that registered it (CSINode)."""
    serving = f.serving
    evidence, looked = list(seen), []
    bound = sum(1 for c in serving.bound_volumes.items if c == cls.name)
    if serving.bound_volumes.problem:
        looked.append(f"could not list PersistentVolumes: {serving.bound_volumes.problem.kind}")
    elif bound:
        evidence.append(f"{bound} PersistentVolume{'s' if bound != 1 else ''} of class {cls.name} bound")
    else:
        looked.append(f"no PersistentVolume of class {cls.name} is bound yet")
    schedulable = {n.name for n in f.nodes.items if not n.unschedulable} if f.nodes.items else set()
    registered = sorted(n.node for n in serving.csi_nodes.items if cls.provisioner in n.drivers
                        and (not schedulable or n.node in schedulable))
    driver = cls.provisioner in serving.csi_drivers.items
    if serving.csi_drivers.problem or serving.csi_nodes.problem:
        looked.append(f"could not list CSI drivers or CSINodes: "
                      f"{(serving.csi_drivers.problem or serving.csi_nodes.problem).kind}")
    elif driver:
        of = f" of {len(schedulable)}" if schedulable else ""
        evidence.append(f"CSIDriver {cls.provisioner} registered on {len(registered)}{of} schedulable nodes"
                        + (f": {_names(registered, 5)}" if registered else ""))
    elif cls.provisioner.startswith("kubernetes.io/"):
        looked.append(f"{cls.provisioner} is an in-tree provisioner: no CSIDriver to look for")
    else:
        looked.append(f"no CSIDriver named {cls.provisioner}")
    if driver and not registered and not bound:
        return warned(cid, f"{summary}, but its CSI driver runs on no schedulable node", *evidence, *looked, remedy=(
            f"The CSIDriver {cls.provisioner} exists, yet no node registered it: check its node plugin "
            "(kubectl get pods -A | grep -i csi; kubectl get csinodes -o yaml)."))
    if not (bound or (driver and registered)):
        return warned(cid, f"{summary}, but nothing shows the provisioner at work", *evidence, *looked, remedy=(
            f"Check that the provisioner {cls.provisioner} runs: its pods, its CSIDriver and CSINode entries "
            f"(kubectl get csidrivers,csinodes), or create a test claim of class {cls.name} and see it bound."))
    return passed(cid, summary, *evidence, *looked)


# ----- k8s.rbac ----------------------------------------------------------------------------

def judge_rbac(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    cid = "k8s.rbac"
    f = _kube(facts)
    if (r := _not_connected(cid, f)) is not None:
        return r
    if f.access.problem:
        return _unread(cid, "its own access rights (SelfSubjectAccessReview)", f.access, f, inputs)
    denied = [a for a in f.access.items if not a.allowed]
    who = f.user or "this identity"
    if not denied:
        return passed(cid, f"{who} may apply everything the install creates",
                      f"allowed: {', '.join(APPLY_VERBS)} on {len(f.access.items) // len(APPLY_VERBS)} kinds "
                      f"(cluster-wide and in namespace {f.namespace})")
    lines = [_denied_line(res, [a for a in denied if a.resource_name == res]) for res in _ordered(denied)]
    kinds = len({a.resource_name for a in denied})
    return failed(cid, f"{who} may not apply {kinds} of the {len(INSTALL_NEEDS)} kinds the install creates", *lines,
                  remedy=_rbac_remedy(denied, f))


def _ordered(denied: list[Access]) -> list[str]:
    out: list[str] = []
    for a in denied:
        if a.resource_name not in out:
            out.append(a.resource_name)
    return out


def _denied_line(resource: str, rows: list[Access]) -> str:
    scope = f"in namespace {rows[0].namespace}" if rows[0].namespace else "cluster-wide"
    what = next((n.what for n in INSTALL_NEEDS if n.resource_name == resource), resource)
    return f"denied: {'/'.join(a.verb for a in rows)} {resource} {scope} ({what})"


def _rbac_remedy(denied: list[Access], f: KubeFacts) -> str:
    verbs = ",".join(sorted({a.verb for a in denied}))
    resources = ",".join(_ordered(denied))
    user = f.user or "<your user>"
    return (
        f"Run wbinstall with a cluster-admin context (set kubernetes.context), or have an administrator grant {user}:\n"
        f"  kubectl create clusterrole wbinstall-installer --verb={verbs} --resource={resources}\n"
        f"  kubectl create clusterrolebinding wbinstall-installer --clusterrole=wbinstall-installer --user={user}\n"
        "Creating the operator's ClusterRole also needs every right it grants (or the escalate verb), "
        "so cluster-admin is simplest.")


# ----- k8s.capacity ------------------------------------------------------------------------

def judge_capacity(facts: Mapping[str, Any], inputs: CheckInputs) -> Result:
    cid = "k8s.capacity"
    f = _kube(facts)
    if (r := _not_connected(cid, f)) is not None:
        return r
    if f.nodes.problem:
        return _unread(cid, "the nodes", f.nodes, f, inputs)
    return _partial(_judge_capacity(f, inputs), f.nodes, inputs)


def _judge_capacity(f: KubeFacts, inputs: CheckInputs) -> Result:
    cid = "k8s.capacity"
    a = inputs.answers
    rec = sizing.recommend(a.workload, a.environment, a.cloud)
    need = rec.kubernetes_node
    machine = rec.kubernetes_machine_type
    table = (f"{sizing.WORKLOAD_NAMES[a.workload]}, {sizing.ENVIRONMENT_NAMES[a.environment]}: "
             f"{need.cpu} CPU / {need.memory_gb} GB per node (GB read as GiB)"
             + (f", {rec.cloud_name} machine type {machine}" if machine else ""))
    measured, notes = runnable(f.nodes.items, inputs.requirements.kubernetes.architectures)
    if not measured:
        if not f.nodes.complete and not f.nodes.items:
            return warned(cid, "no node listed in time", f"recommended: {table}")
        return failed(cid, "no Ready, schedulable amd64 node to run W&B", f"recommended: {table}", *notes,
                      remedy=f"Add nodes with at least {need.cpu} CPU and {need.memory_gb} GiB each{_type_hint(machine)}.")
    fits = fit_nodes(measured, need, machine)
    short = [x for x in fits if not x.fits]
    groups = group_fits(fits)
    lines = _bounded([g.describe() for g in groups], [len(g.names) for g in groups])
    evidence = [f"recommended: {table}", *lines, *notes]
    data = {"nodes": [{"name": x.node.name, "instanceType": x.node.instance_type, "platform": x.node.platform,
                       "cpu": round(x.node.cpu, 3), "memoryGiB": round(x.node.memory_gib, 2), "verdict": x.verdict,
                       "cpuShort": round(x.cpu_short, 3), "memoryShortGiB": round(x.memory_short_gib, 2)}
                      for x in fits],
            "ignored": notes}
    if not short:
        return _with(passed(cid, f"all {len(fits):,} nodes meet the recommended {need.cpu} CPU / {need.memory_gb} GiB",
                            *evidence), data)
    remedy = _capacity_remedy(short, need.cpu, need.memory_gb, machine)
    if len(short) == len(fits):
        return _with(failed(cid, f"no node meets the recommended {need.cpu} CPU / {need.memory_gb} GiB: "
                                 f"{_shortfalls(short)}", *evidence, remedy=remedy), data)
    return _with(warned(cid, f"{len(short):,} of {len(fits):,} nodes are below the recommended {need.cpu} CPU / "
                             f"{need.memory_gb} GiB: {_shortfalls(short)}", *evidence, remedy=remedy), data)


def _shortfalls(short: list[NodeFit]) -> str:
    return _names((f"{x.node.name} {cores(x.node.cpu)} CPU / {gib(x.node.memory_gib)} GiB" for x in short), 3)


def _type_hint(machine: str | None) -> str:
    return f" (e.g. {machine})" if machine else ""


def _capacity_remedy(short: list[NodeFit], cpu: int, memory_gb: int, machine: str | None) -> str:
    return (f"Use nodes with at least {cpu} CPU and {memory_gb} GiB allocatable each{_type_hint(machine)}: add such a "
            f"node pool and drain or remove the smaller nodes ({_names((x.node.name for x in short), 3)}). The figures are "
            "the reference architecture's starting point; to accept smaller nodes knowingly, skip this check "
            "with a reason (checks.skip).")
