"""DNS probes: the host's A record (probe `dns`) and the ingress load balancer's address
(probe `ingress-address`). All I/O; every wait is bounded by the probe's deadline.

Note: this package is `wbinstall.checks.dns`, but `import dns.resolver` below is dnspython
(absolute imports never resolve to this package). Imports are inside functions: startup time.
"""

from __future__ import annotations

import re
import threading

from wbinstall import requirements
from wbinstall.answers.addresses import parse_nameserver  # noqa: F401 - also the model's
from wbinstall.checks.context import ProbeContext
from wbinstall.checks.dns.facts import IngressAddress, LoadBalancer, Lookup

# A Service of type LoadBalancer counts as an ingress controller's when its name or its
# app.kubernetes.io/name label contains one of these (ingress-nginx-controller,
# istio-ingressgateway, traefik, envoy-gateway, ...). Deliberately simple: the W&B Ingress's
# own status, when it exists, is preferred and exact.
INGRESS_SERVICE_HINTS = ("ingress", "traefik", "gateway")
_PER_TRY = 2.0  # seconds per resolver attempt (dnspython's default); the whole lookup has the deadline


def gather_dns(ctx: ProbeContext) -> Lookup:
    return lookup(ctx, ctx.answers.host, requirements.load().network.dns_record)


def gather_ingress_address(ctx: ProbeContext) -> IngressAddress:
    """Runs the cluster part in a thread we can abandon: kubeconfig exec plugins (aws, gcloud)
    run subprocesses with no timeout, and this probe must return by its deadline."""
    box: dict[str, IngressAddress] = {}

    def work() -> None:
        try:
            box["facts"] = _discover(ctx)
        except _ClusterError as exc:
            box["facts"] = IngressAddress(unknown_reason=f"cannot read the cluster: {exc}")
        except Exception as exc:  # noqa: BLE001 - any failure just means "address unknown"
            box["facts"] = IngressAddress(unknown_reason=f"cannot read the cluster: {_short(exc)}")

    thread = threading.Thread(target=work, name="probe-ingress-address-kube", daemon=True)
    thread.start()
    thread.join(ctx.remaining())
    return box.get("facts") or IngressAddress(unknown_reason="the cluster did not answer in time")


# ---- DNS --------------------------------------------------------------------------------------


def lookup(ctx: ProbeContext, name: str, rdtype: str) -> Lookup:
    import dns.exception  # dnspython (absolute import), not wbinstall.checks.dns
    import dns.resolver

    # A little under what is left: dnspython may overrun its lifetime by one backoff sleep.
    left = ctx.remaining()
    lifetime = max(0.05, left - min(0.25, left * 0.1))
    try:
        resolver, asked = _resolver(ctx.answers.checks.dns.nameservers)
    except ValueError as exc:
        return Lookup(name, rdtype, tuple(ctx.answers.checks.dns.nameservers), "error", detail=str(exc))
    except dns.resolver.NoResolverConfiguration as exc:
        return Lookup(name, rdtype, ("system",), "unreachable", detail=f"no system resolver configured: {exc}")
    resolver.lifetime = lifetime
    resolver.timeout = min(_PER_TRY, lifetime)
    base = {"name": name, "rdtype": rdtype, "nameservers": asked, "seconds": round(lifetime, 1)}
    try:
        answer = resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN as exc:
        chain = ()
        for response in exc.responses().values():
            chain = _chain(response)
        return Lookup(**base, outcome="nxdomain", cname_chain=chain, detail=str(exc))
    except dns.exception.Timeout as exc:
        return Lookup(**base, outcome="timeout", detail=str(exc))
    except dns.resolver.NoNameservers as exc:
        return Lookup(**base, **_no_nameservers(exc, name))
    except dns.exception.DNSException as exc:
        return Lookup(**base, outcome="error", detail=f"{type(exc).__name__}: {exc}")
    chain = _chain(answer.response)
    if answer.rrset is None:
        return Lookup(**base, outcome="no-answer", cname_chain=chain)
    return Lookup(**base, outcome="answer", addresses=tuple(sorted(r.address for r in answer.rrset)), cname_chain=chain)


def _resolver(nameservers: list[str]):
    import dns.nameserver  # dnspython
    import dns.resolver

    if not nameservers:
        resolver = dns.resolver.Resolver()  # /etc/resolv.conf
        return resolver, (f"system ({', '.join(str(n) for n in resolver.nameservers)})",)
    servers = []
    for text in nameservers:
        try:
            servers.append(parse_nameserver(text))
        except ValueError as exc:
            raise ValueError(f"checks.dns.nameservers: {exc}") from None
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in servers]
    return resolver, tuple(f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip, port in servers)


def _chain(response) -> tuple[str, ...]:
    """The CNAMEs the answer walked through, as "alias -> target" (trailing dots dropped)."""
    try:
        cnames = response.resolve_chaining().cnames
    except Exception:  # noqa: BLE001 - a malformed chain is still an answer to report
        return ()
    return tuple(f"{_plain(rrset.name)} -> {_plain(rrset[0].target)}" for rrset in cnames)


def _no_nameservers(exc, name: str) -> dict:
    """Every resolver failed: SERVFAIL (or another rcode) when one answered, else unreachable.
    A CNAME chain that dnspython gave up on is a loop (named) or a chain too long, not a
    resolver that could not be asked."""
    import dns.message  # dnspython

    errors = exc.kwargs.get("errors") or []
    for _server, _tcp, _port, err, *rest in errors:
        if isinstance(err, dns.message.ChainTooLong):
            response = rest[0] if rest else None
            links = _cname_links(response)
            loop = cname_loop(links, name)
            if loop:
                return {"outcome": "cname-loop", "cname_chain": loop,
                        "detail": "the CNAME records form a loop: " + " -> ".join([loop[0].split(" -> ")[0],
                                                                                  *(x.split(" -> ")[1] for x in loop)])}
            return {"outcome": "error", "cname_chain": (),
                    "detail": "the CNAME chain is longer than a resolver follows (16 aliases)"}
    said = [f"{server}:{port} {err}" for server, _tcp, port, err, *_ in errors]
    rcodes = [err for _s, _t, _p, err, *_ in errors if isinstance(err, str)]
    if "SERVFAIL" in rcodes:
        outcome = "servfail"
    elif rcodes:
        outcome = "error"  # REFUSED, NOTIMP, ...: the server answered, but not with data
    else:
        outcome = "unreachable"
    return {"outcome": outcome, "detail": "; ".join(dict.fromkeys(said)) or str(exc)}


def _cname_links(response) -> dict[str, str]:
    """alias -> target for every CNAME in a response's answer section (lower case, no dot)."""
    import dns.rdatatype  # dnspython

    links: dict[str, str] = {}
    for rrset in getattr(response, "answer", None) or []:
        if rrset.rdtype == dns.rdatatype.CNAME and len(rrset):
            links[_plain(rrset.name).lower()] = _plain(rrset[0].target).lower()
    return links


def cname_loop(links: dict[str, str], start: str) -> tuple[str, ...]:
    """The CNAMEs followed from `start` as "alias -> target", when they come back to a name
    already seen (a loop); () when the chain ends. Pure."""
    path, seen, name = [], set(), start.lower().rstrip(".")
    while name in links:
        if name in seen:
            return tuple(path)
        seen.add(name)
        path.append(f"{name} -> {links[name]}")
        name = links[name]
    return ()


def _plain(name) -> str:
    return str(name).rstrip(".")


# ---- the cluster's ingress address ------------------------------------------------------------


def _discover(ctx: ProbeContext) -> IngressAddress:
    api = _step("loading the kubeconfig", _api_client, ctx)
    try:
        balancers, notes = _step(f"listing Ingresses in {ctx.answers.kubernetes.namespace}", _from_ingresses, api, ctx)
        if not balancers:
            balancers, more = _step("listing Services in all namespaces", _from_services, api, ctx)
            notes += more
    finally:
        api.close()
    if not balancers:
        return IngressAddress(unknown_reason=" ".join(notes) or "no load balancer address found", notes=tuple(notes))
    names = tuple(dict.fromkeys(h for b in balancers for h in b.hostnames))
    lookups = tuple(lookup(ctx, h, "A") for h in names)
    return IngressAddress(balancers=tuple(balancers), hostname_lookups=lookups, notes=tuple(notes))


class _ClusterError(Exception):
    pass


def _step(what: str, fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - reported as "unknown", with what was being done
        raise _ClusterError(f"{what}: {_short(exc)}") from exc


def _api_client(ctx: ProbeContext):
    from wbinstall.kube import connect

    return connect(ctx.answers, ctx.base_dir, ctx.remaining() - 0.4)  # time left to report it


def _timeout(ctx: ProbeContext) -> tuple[float, float]:
    left = ctx.remaining()
    return (left, left)


def _from_ingresses(api, ctx: ProbeContext) -> tuple[list[LoadBalancer], list[str]]:
    """Ingresses in the W&B namespace whose rules or tls name the host, with their published address."""
    from kubernetes import client

    ns, host = ctx.answers.kubernetes.namespace, ctx.answers.host
    found, notes = [], []
    for ing in client.NetworkingV1Api(api).list_namespaced_ingress(ns, _request_timeout=_timeout(ctx)).items:
        spec = ing.spec
        named = [r.host for r in (spec.rules or []) if r.host] + [h for t in (spec.tls or []) for h in (t.hosts or [])]
        if not any(_host_matches(pattern, host) for pattern in named):
            continue
        source = f"Ingress {ns}/{ing.metadata.name}"
        lb = _balancer(source, ing.status.load_balancer if ing.status else None)
        if lb:
            found.append(lb)
        else:
            notes.append(f"{source} names {host} but has no load balancer address yet.")
    return found, notes


def _from_services(api, ctx: ProbeContext) -> tuple[list[LoadBalancer], list[str]]:
    from kubernetes import client

    found = []
    for svc in client.CoreV1Api(api).list_service_for_all_namespaces(_request_timeout=_timeout(ctx)).items:
        if svc.spec.type != "LoadBalancer":
            continue
        label = (svc.metadata.labels or {}).get("app.kubernetes.io/name", "")
        if not any(hint in svc.metadata.name or hint in label for hint in INGRESS_SERVICE_HINTS):
            continue
        source = f"Service {svc.metadata.namespace}/{svc.metadata.name}"
        lb = _balancer(source, svc.status.load_balancer if svc.status else None)
        if lb:
            found.append(lb)
    notes = [] if found else ["No Ingress for the host has an address, and no ingress controller Service of "
                              "type LoadBalancer publishes one."]
    return found, notes


def _balancer(source: str, status) -> LoadBalancer | None:
    entries = (status.ingress if status else None) or []
    ips = tuple(e.ip for e in entries if e.ip)
    names = tuple(e.hostname for e in entries if e.hostname)
    return LoadBalancer(source, ips, names) if ips or names else None


def _host_matches(pattern: str, host: str) -> bool:
    """Kubernetes Ingress host rules: exact, or "*.example.com" for exactly one more label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.count(".") == pattern.count(".") and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def _short(exc: BaseException) -> str:
    """One readable line from kubernetes/urllib3 errors, which can be pages long and name objects."""
    from wbinstall.kube import KubeconfigError

    if isinstance(exc, KubeconfigError) and exc.kind == "no-kubeconfig":
        return f"{', '.join(exc.seen.paths)} does not exist"
    status, reason = getattr(exc, "status", None), getattr(exc, "reason", None)
    if isinstance(status, int) and reason:
        return f"HTTP {status} {reason}"
    seen: BaseException | None = exc
    for _ in range(6):  # the OS error underneath says it best ("Connection refused")
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        if "timed out" in str(seen).lower():
            return "timed out"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"<[\w.]+ object at 0x[0-9a-f]+>: ", "", text)
    return text if len(text) <= 200 else text[:197] + "..."
