"""Sizing: the reference architecture's recommendation beside the cluster's live nodes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from wbinstall import sizing
from wbinstall.checks.k8s.capacity import cores, fit_nodes, gib
from wbinstall.screens.base import StepScreen
from wbinstall.screens.bridge import runs
from wbinstall.session.runs import RunDone


def recommendation_text(rec: sizing.Recommendation) -> str:
    k, m = rec.kubernetes_node, rec.mysql_node
    kt = f" ({rec.kubernetes_machine_type})" if rec.kubernetes_machine_type else ""
    mt = f" ({rec.mysql_machine_type})" if rec.mysql_machine_type else ""
    return (f"{sizing.WORKLOAD_NAMES[rec.workload]}, {sizing.ENVIRONMENT_NAMES[rec.environment]}, {rec.cloud_name}\n"
            f"  each worker node  {k.cpu} CPU, {k.memory_gb} GiB memory, {k.disk_gb} GB disk{kt}\n"
            f"  MySQL             {m.cpu} CPU, {m.memory_gb} GiB memory, {m.disk_gb} GB disk{mt}")


def nodes_text(rec: sizing.Recommendation, nodes) -> Text:
    text = Text()
    if isinstance(nodes, str):
        text.append(nodes, style="yellow")
        return text
    if not nodes:
        text.append("No Ready, schedulable amd64 node found.", style="red")
        return text
    fits = fit_nodes(nodes, rec.kubernetes_node, rec.kubernetes_machine_type)
    for fit in fits:
        n = fit.node
        mark, style = ("✔", "green") if fit.fits else ("✘", "red")
        kind = f" {n.instance_type}" if n.instance_type else ""
        text.append(f"{mark} ", style=f"bold {style}")
        text.append(f"{n.name}{kind}: {cores(n.cpu)} CPU / {gib(n.memory_gib)} GiB")
        if fit.verdict == "short":
            short = [f"{cores(fit.cpu_short)} CPU" if fit.cpu_short > 0 else "",
                     f"{gib(fit.memory_short_gib)} GiB" if fit.memory_short_gib > 0 else ""]
            text.append(f"  short {', '.join(s for s in short if s)}", style="red")
        elif fit.verdict != "meets":
            text.append("  fits (within system reservations)", style="dim")
        else:
            text.append("  fits", style="green")
        text.append("\n")
    ok = sum(f.fits for f in fits)
    text.append(f"{ok} of {len(fits)} nodes meet the recommendation.", style="bold")
    return text


class SizingScreen(StepScreen):
    STEP, HEADING = "sizing", "Sizing"

    def _rec(self) -> sizing.Recommendation:
        g = self.state.get
        return sizing.recommend(g(("workload",)) or "models", g(("environment",)) or "test", g(("cloud",)) or "other")

    def compose_form(self) -> ComposeResult:
        yield Static("Recommended (reference architecture)", classes="section-title")
        yield Static(recommendation_text(self._rec()), id="recommendation")
        yield Static("Your nodes (allocatable)", classes="section-title")
        yield Static(Text("reading the cluster…", style="dim"), id="nodes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nodes = runs(self, self._show_nodes)

    def on_mount(self) -> None:
        self._read_nodes()

    def action_recheck(self) -> None:
        super().action_recheck()
        self._read_nodes()

    def _read_nodes(self) -> None:
        try:
            answers = self.state.answers_for_checks()
        except ValueError as exc:  # shown, never fatal
            self.query_one("#nodes", Static).update(nodes_text(self._rec(), f"cannot read the nodes: {type(exc).__name__}"))
            return
        state, list_nodes = self.state, self.services.list_nodes
        self.nodes.start(lambda emit, cancel: list_nodes(answers, state.secrets_for_checks(), state.base_dir),
                         name="nodes")

    def _show_nodes(self, done: RunDone) -> None:
        nodes = f"cannot read the nodes: {done.error.partition(':')[0]}" if done.error else done.value
        self.query_one("#nodes", Static).update(nodes_text(self._rec(), nodes))
