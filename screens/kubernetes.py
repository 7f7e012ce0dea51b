"""Kubernetes: kubeconfig, context (from the kubeconfig), namespace; live k8s.* checks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Select

from wbinstall.screens.base import StepScreen
from wbinstall.screens.bridge import runs
from wbinstall.screens.widgets.fields import Row, field
from wbinstall.session.runs import RunDone


TIMEOUT_KEY = ("checks", "timeout")
DEFAULT_TIMEOUT, MAX_TIMEOUT = 10.0, 600.0  # the answers model's default and bound


def more_time(screen: StepScreen) -> bool:
    """Ctrl-T: double checks.timeout (the time each probe may take; saved with the answers)
    and check again. A large cluster's node list may need more than the default 10 s."""
    now = float(screen.state.get(TIMEOUT_KEY) or DEFAULT_TIMEOUT)
    if now >= MAX_TIMEOUT:
        screen.notify(f"Checks already have the most time: {MAX_TIMEOUT:g} s each (checks.timeout).", timeout=4)
        return False
    new = min(MAX_TIMEOUT, now * 2)
    screen.state.set(TIMEOUT_KEY, new)
    screen.app.save_progress(screen.STEP)
    screen.notify(f"Checks may now take {new:g} s each (checks.timeout).", timeout=4)
    screen.start_checks()
    return True


class KubernetesScreen(StepScreen):
    STEP, HEADING = "kubernetes", "Kubernetes"
    BINDINGS = [*StepScreen.BINDINGS, Binding("ctrl+t", "more_time", "More time")]
    INTRO = "The cluster W&B goes into. Empty kubeconfig: $KUBECONFIG or ~/.kube/config."
    OWNS = (("kubernetes",),)

    def compose_form(self) -> ComposeResult:
        k = ("kubernetes",)
        yield field("Kubeconfig", "kubernetes.kubeconfig", self.state.get((*k, "kubeconfig")),
                    placeholder="~/.kube/config")
        context = self.state.get((*k, "context"))
        options = [(context, context)] if context else []
        yield Row("Context", Select(options, prompt="(its current context)", value=context or Select.NULL,
                                    id="kubernetes-context", compact=True))
        yield field("Namespace", "kubernetes.namespace", self.state.get((*k, "namespace")), placeholder="wandb")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.contexts = runs(self, self._show_contexts)

    def action_more_time(self) -> None:
        more_time(self)

    def on_mount(self) -> None:
        self._load_contexts(self.state.get(("kubernetes", "kubeconfig")))

    def answers_changed(self) -> None:
        super().answers_changed()
        self._load_contexts(self.state.get(("kubernetes", "kubeconfig")))

    def _load_contexts(self, kubeconfig: str | None) -> None:
        kube_contexts, base_dir = self.services.kube_contexts, self.state.base_dir
        self.contexts.start(lambda emit, cancel: kube_contexts(kubeconfig, base_dir), name="contexts")

    def _show_contexts(self, done: RunDone) -> None:
        names = list(done.value or [])
        select = self.query_one("#kubernetes-context", Select)
        current = self.state.get(("kubernetes", "context"))
        if current and current not in names:
            names = [*names, current]
        select.set_options([(n, n) for n in names])
        if current:
            select.value = current

    def on_select_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        if self.state.get(("kubernetes", "context")) == value:
            return
        self.state.set(("kubernetes", "context"), value)
        super().answers_changed()
