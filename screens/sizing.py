"""Sizing: the reference architecture's recommendation beside the cluster's live nodes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from wbinstall import sizing
from textual.binding import Binding

from wbinstall.checks.k8s.capacity import first_names, fit_nodes, group_fits
from wbinstall.screens.base import StepScreen
from wbinstall.screens.bridge import runs
from wbinstall.screens.kubernetes import more_time
from wbinstall.session.runs import RunDone


def recommendation_text(rec: sizing.Recommendation) -> str:
    k, m = rec.kubernetes_node, rec.mysql_node
    kt = f" ({rec.kubernetes_machine_type})" if rec.kubernetes_machine_type else ""
    mt = f" ({rec.mysql_machine_type})" if rec.mysql_machine_type else ""
    return (f"{sizing.WORKLOAD_NAMES[rec.workload]}, {sizing.ENVIRONMENT_NAMES[rec.environment]}, {rec.cloud_name}\n"
            f"  each worker node  {k.cpu} CPU, {k.memory_gb} GiB memory, {k.disk_gb} GB disk{kt}\n"
            f"  MySQL             {m.cpu} CPU, {m.memory_gb} GiB memory, {m.disk_gb} GB disk{mt}")


SCREEN_GROUPS = 4  # kinds of node shown before "and N more kinds": one 80x24 screen at any size


def nodes_text(rec: sizing.Recommendation, nodes, note: str = "") -> Text:
    """The nodes grouped by what matters to the sizing (machine type, os/arch, allocatable,
    fits or short by how much): a few lines for 3 nodes or 5,000; offenders named."""
    text = Text()
    if isinstance(nodes, str):
        text.append(nodes, style="yellow")
        return text
    if note:
        text.append(f"{note}: Ctrl-T allows more time\n", style="yellow")
    if not nodes:
        text.append("No Ready, schedulable amd64 node found.", style="red")
        return text
    fits = fit_nodes(nodes, rec.kubernetes_node, rec.kubernetes_machine_type)
    groups = group_fits(fits)
    for g in groups[:SCREEN_GROUPS]:
        mark, style = ("✔", "green") if g.fits else ("✘", "red")
        text.append(f"{mark} ", style=f"bold {style}")
        # No os/arch: the runnable filter leaves only linux nodes of an allowed architecture.
        text.append(f"{len(g.names):,} × {g.instance_type or 'nodes'}: {g.cpu} CPU / {g.memory_gib} GiB")
        if not g.fits:
            text.append(f"  short {g.shortfall}", style="red")
            text.append(f"\n    {first_names(g.names)}", style="dim")
        elif g.verdict != "meets":
            text.append("  fits (within reserve)", style="dim")
        else:
            text.append("  fits", style="green")
        text.append("\n")
    if len(groups) > SCREEN_GROUPS:
        rest = groups[SCREEN_GROUPS:]
        text.append(f"  and {len(rest):,} more kinds of node ({sum(len(g.names) for g in rest):,} nodes, "
                    f"{sum(len(g.names) for g in rest if not g.fits):,} short)\n", style="dim")
    ok = sum(f.fits for f in fits)
    text.append(f"{ok:,} of {len(fits):,} nodes meet the recommendation.", style="bold")
    return text


class SizingScreen(StepScreen):
    STEP, HEADING = "sizing", "Sizing"
    BINDINGS = [*StepScreen.BINDINGS, Binding("ctrl+t", "more_time", "More time")]

    def _rec(self) -> sizing.Recommendation:
        g = self.state.get
        return sizing.recommend(g(("workload",)) or "models", g(("environment",)) or "test", g(("cloud",)) or "other")

    def compose_form(self) -> ComposeResult:
        yield Static("Recommended (reference architecture)", classes="section-title")
        yield Static(recommendation_text(self._rec()), id="recommendation")
        yield Static("Your nodes (allocatable; Ready, schedulable, linux/amd64)", classes="section-title")
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

    def action_more_time(self) -> None:
        if more_time(self):
            self._read_nodes()

    def _show_nodes(self, done: RunDone) -> None:
        nodes = f"cannot read the nodes: {done.error.partition(':')[0]}" if done.error else done.value
        note = ""
        if isinstance(nodes, tuple):  # (nodes, why the list is incomplete)
            nodes, note = nodes
        self.query_one("#nodes", Static).update(nodes_text(self._rec(), nodes, note))
