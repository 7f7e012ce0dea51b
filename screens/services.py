"""What the screens ask of the core, behind plain callables that tests replace. No Textual here.

Every function here may do I/O: the screens call them only from thread workers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wbinstall.checks.result import Result

# (answers, secrets, base_dir, only ids, on_result) -> results
RunChecks = Callable[[Any, Any, Path, Iterable[str], Callable[[Result], None]], list[Result]]


def run_checks(answers, secrets, base_dir: Path, only: Iterable[str], on_result: Callable[[Result], None]) -> list[Result]:
    from wbinstall.checks import engine

    return engine.run(answers, secrets, base_dir, only=list(only), on_result=on_result)


def list_nodes(answers, secrets, base_dir: Path) -> list[Any] | str:
    """Ready, schedulable amd64 nodes as capacity.NodeCapacity, or why they could not be read."""
    from wbinstall.checks.context import ProbeContext
    from wbinstall.checks.k8s import probe
    from wbinstall.checks.k8s.capacity import NodeCapacity

    ctx = ProbeContext(answers, secrets, base_dir, deadline=time.monotonic() + answers.checks.timeout)
    facts = probe.gather(ctx)
    if facts.problem:
        return f"cannot read the cluster: {facts.problem.detail}"
    if facts.nodes.problem:
        return f"cannot list the nodes: {facts.nodes.problem.detail}"
    out = []
    for n in facts.nodes.items:
        if n.schedulable and n.arch in ("amd64", None) and n.ready is not False and n.cpu and n.memory:
            try:
                out.append(NodeCapacity.parse(n.name, n.cpu, n.memory, n.instance_type))
            except ValueError:
                continue
    return out


def kube_contexts(kubeconfig: str | None, base_dir: Path) -> list[str]:
    """Context names in the kubeconfig the answers point at (or $KUBECONFIG, ~/.kube/config)."""
    import yaml

    if kubeconfig:
        p = Path(kubeconfig).expanduser()
        paths = [p if p.is_absolute() else base_dir / p]
    elif os.environ.get("KUBECONFIG"):
        paths = [Path(p).expanduser() for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
    else:
        paths = [Path("~/.kube/config").expanduser()]
    names: list[str] = []
    for path in paths:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        for c in raw.get("contexts") or []:
            if isinstance(c, dict) and c.get("name") and str(c["name"]) not in names:
                names.append(str(c["name"]))
    return names


def render_preview(answers, secrets, base_dir: Path) -> str:
    """The objects an install applies, secrets redacted (a missing secret renders as a stand-in)."""
    from wbinstall.answers.loader import Secrets
    from wbinstall.manifests import render, to_yaml

    values = {k: secrets.get(k, "not-resolved") for k in _secret_keys(answers)}
    objects = render(answers, Secrets(values), base_dir)
    head = [f"# {len(objects)} objects, applied in this order (Secret values redacted):"]
    for obj in objects:
        meta = obj.get("metadata", {})
        where = f"{meta['namespace']}/" if meta.get("namespace") else ""
        head.append(f"#   {obj.get('kind')} {where}{meta.get('name', '')}")
    return "\n".join(head) + "\n" + to_yaml(objects)


def deploy(answers, secrets, base_dir: Path, on_event: Callable[[Any], None],
           cancel: threading.Event | None = None) -> Any:
    """Lock -> apply -> follow the rollout (wbinstall.apply.install.deploy), every step sent to
    `on_event` in this thread; returns its `Deployed`. A missing secret or an unreachable
    cluster is reported as an ApplyError event, never raised."""
    from wbinstall import manifests
    from wbinstall.apply.install import APPLY_FAILED, ApplyError, Deployed
    from wbinstall.apply.install import deploy as install
    from wbinstall.apply.kube import Kube, connect_answers

    missing = [".".join(k) for k in _secret_keys(answers) if k not in secrets]
    if missing:
        on_event(ApplyError(f"no value for {', '.join(missing)}: set the environment variable or file its "
                            "reference names (or type the value on its step), then deploy again"))
        return Deployed(APPLY_FAILED)
    try:
        objects = manifests.render(answers, secrets, base_dir)
        api = connect_answers(answers, base_dir)
    except Exception as exc:  # noqa: BLE001 - a bad kubeconfig or an unreadable file: shown
        on_event(ApplyError(f"cannot start: {type(exc).__name__}: {exc}"))
        return Deployed(APPLY_FAILED)
    try:
        return install(Kube(api), objects, answers.kubernetes.namespace, on_event=on_event, cancel=cancel)
    finally:
        api.close()


def attach(answers, secrets, base_dir: Path, on_event: Callable[[Any], None],
           cancel: threading.Event | None = None) -> Any:
    """Follow an install already in the cluster (wbinstall.apply.install.attach): applies
    nothing. None when there is nothing to follow or the cluster cannot be asked: then the
    Deploy screen simply waits for Deploy, which reports any such problem itself."""
    from wbinstall.apply.install import attach as follow_existing
    from wbinstall.apply.kube import Kube, connect_answers

    try:
        api = connect_answers(answers, base_dir)
    except Exception:  # noqa: BLE001 - a bad kubeconfig: Deploy says so when pressed
        return None
    try:
        return follow_existing(Kube(api, timeout=answers.checks.timeout), answers.kubernetes.namespace,
                               on_event=on_event, cancel=cancel)
    except Exception:  # noqa: BLE001 - unreachable, forbidden: as above
        return None
    finally:
        api.close()


def _secret_keys(answers) -> list[tuple[str, ...]]:
    keys = [("license",), ("mysql", "password")]
    if answers.storage.access_key is not None:
        keys += [("storage", "accessKey"), ("storage", "secretKey")]
    return keys


@dataclass
class Services:
    """Everything a screen needs from outside: injected by make_app, replaced in tests."""

    run_checks: RunChecks = run_checks
    list_nodes: Callable[..., list[Any] | str] = list_nodes
    kube_contexts: Callable[[str | None, Path], list[str]] = kube_contexts
    render_preview: Callable[..., str] = render_preview
    clock: Callable[[], float] = time.monotonic
    debounce: float = 0.6  # seconds of quiet typing before checks start
    # Lock -> apply -> rollout: follow(answers, secrets, base_dir, on_event, cancel) in a thread.
    follow: Callable[..., Any] | None = deploy
    # Follow-only, when Deploy opens: attach(answers, secrets, base_dir, on_event, cancel) in a thread.
    attach: Callable[..., Any] | None = attach
    state_dir: Path | None = None
