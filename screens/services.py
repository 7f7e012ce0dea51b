"""What the screens ask of the core, behind plain callables that tests replace. No Textual here.

Every function here may do I/O: the screens call them only from background runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wbinstall.checks.result import Result

# (answers, secrets, base_dir, only ids, on_result) -> results
RunChecks = Callable[[Any, Any, Path, Iterable[str], Callable[[Result], None]], list[Result]]

# How the wizard gives the probes more time, as remedies name it (the Kubernetes and Sizing
# steps' key doubles checks.timeout).
MORE_TIME = "Ctrl-T (more time, on the Kubernetes and Sizing steps)"


def run_checks(answers, secrets, base_dir: Path, only: Iterable[str], on_result: Callable[[Result], None]) -> list[Result]:
    from wbinstall.checks import engine

    return engine.run(answers, secrets, base_dir, only=list(only), on_result=on_result,
                      timeout=answers.checks.timeout, more_time=MORE_TIME)


def list_nodes(answers, secrets, base_dir: Path) -> list[Any] | tuple[list[Any], str] | str:
    """The nodes W&B can run on as capacity.NodeCapacity (the k8s.capacity judge's own filter),
    with a note when the list was cut short (nodes, note); or why they could not be read.
    Reads the nodes only (the k8s-nodes probe), in pages, within checks.timeout."""
    from wbinstall import requirements
    from wbinstall.checks.context import ProbeContext
    from wbinstall.checks.k8s import probe
    from wbinstall.checks.k8s.capacity import runnable

    ctx = ProbeContext(answers, secrets, base_dir, deadline=time.monotonic() + answers.checks.timeout)
    nodes = probe.gather_nodes(ctx)
    if nodes.problem:
        return f"cannot list the nodes: {nodes.problem.detail}"
    measured = runnable(nodes.items, requirements.load().kubernetes.architectures)[0]
    if not nodes.complete:
        return measured, f"listed {len(nodes.items):,} nodes in {nodes.seconds:.0f} s, not all"
    return measured


def kube_contexts(kubeconfig: str | None, base_dir: Path) -> list[str]:
    """Context names in the kubeconfig the answers point at (or $KUBECONFIG, ~/.kube/config)."""
    from wbinstall.kube import context_names

    return context_names(kubeconfig, base_dir)


def render_preview(answers, secrets, base_dir: Path) -> str:
    """The objects an install applies, secrets redacted (a missing secret renders as a stand-in)."""
    from wbinstall.answers.fields import given_secrets
    from wbinstall.answers.loader import Secrets
    from wbinstall.manifests import render, to_yaml

    values = {k: secrets.get(k, "not-resolved") for k in given_secrets(answers)}
    objects = render(answers, Secrets(values), base_dir)
    head = [f"# {len(objects)} objects, applied in this order (Secret values redacted):"]
    for obj in objects:
        meta = obj.get("metadata", {})
        where = f"{meta['namespace']}/" if meta.get("namespace") else ""
        head.append(f"#   {obj.get('kind')} {where}{meta.get('name', '')}")
    return "\n".join(head) + "\n" + to_yaml(objects)


def deploy(answers, secrets, base_dir: Path, on_event: Callable[[Any], None], cancel=None) -> Any:
    """Lock -> apply -> rollout; once ready, verify.* (their events follow the rollout's)."""
    from wbinstall.session.install import install

    result = install(answers, secrets, base_dir, on_event=on_event, cancel=cancel)
    return _verified(result, answers, secrets, base_dir, on_event, cancel)


def attach(answers, secrets, base_dir: Path, on_event: Callable[[Any], None], cancel=None) -> Any:
    from wbinstall.session.install import follow_existing

    result = follow_existing(answers, base_dir, on_event=on_event, cancel=cancel)
    return _verified(result, answers, secrets, base_dir, on_event, cancel)


def _verified(result, answers, secrets, base_dir: Path, on_event: Callable[[Any], None], cancel) -> Any:
    if result is not None and result.status == "ready" and not (cancel is not None and cancel.is_set()):
        from wbinstall.session.verify import verify_after

        verify_after(answers, secrets, base_dir, on_event, cancel)
    return result


@dataclass
class Services:
    """Everything a screen needs from outside: injected by make_app, replaced in tests."""

    run_checks: RunChecks = run_checks
    list_nodes: Callable[..., list[Any] | str] = list_nodes
    kube_contexts: Callable[[str | None, Path], list[str]] = kube_contexts
    render_preview: Callable[..., str] = render_preview
    clock: Callable[[], float] = time.monotonic
    debounce: float = 0.6  # seconds of quiet typing before checks start
    # Lock -> apply -> rollout (wbinstall.session.install.install), in a background run.
    follow: Callable[..., Any] | None = deploy
    # Follow-only, when Deploy opens (wbinstall.session.install.follow_existing).
    attach: Callable[..., Any] | None = attach
    state_dir: Path | None = None
