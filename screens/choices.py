"""Workload, environment (with the license) and cloud: one choice each, from the requirements."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RadioSet, Static

from wbinstall import sizing
from wbinstall.checklist import for_step
from wbinstall.requirements import CLOUDS, ENVIRONMENTS, WORKLOADS
from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.fields import secret_field
from wbinstall.screens.widgets.toggles import Choice, Choices


class ChoiceScreen(StepScreen):
    KEY = ""
    OPTIONS: tuple[tuple[str, str], ...] = ()

    def compose_form(self) -> ComposeResult:
        current = self.state.get((self.KEY,)) or self.OPTIONS[0][0]
        self.state.set((self.KEY,), current)
        with Choices(id=self.KEY):
            for value, label in self.OPTIONS:
                yield Choice(label, value=value == current, name=value)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if self.state.get((self.KEY,)) == event.pressed.name:
            return
        self.state.set((self.KEY,), event.pressed.name)
        for check_id in for_step("sizing"):  # judged against the old sizing: ask again
            self.state.results.pop(check_id, None)
        self.app.save_progress(self.STEP)
        self.choice_changed()

    def choice_changed(self) -> None:
        pass


# What each workload is, one line each beside its name on the Workload step.
WORKLOAD_MEANINGS = {
    "models": "experiment tracking, artifacts, model registry",
    "weave": "tracing and evaluating LLM applications",
    "models-and-weave": "both products on one deployment",
}
assert set(WORKLOAD_MEANINGS) == set(WORKLOADS)


def workload_effect() -> str:
    """What the choice changes, with the reference architecture's production node sizes."""
    nodes = [sizing.recommend(w, "production", "other").kubernetes_node for w in WORKLOADS]
    cpu = _listed(str(n.cpu) for n in nodes)
    memory = _listed(str(n.memory_gb) for n in nodes)
    return (f"The choice sets each worker node's size on the Sizing step: in production {cpu} CPU "
            f"and {memory} GiB, in the order above.")


def _listed(items) -> str:
    items = list(items)
    return ", ".join(items[:-1]) + f" or {items[-1]}" if len(items) > 1 else "".join(items)


class WorkloadScreen(ChoiceScreen):
    STEP, HEADING, KEY = "workload", "Workload", "workload"
    INTRO = "What will this W&B deployment run? (↑/↓ to choose, ctrl+n for Next)"
    OPTIONS = tuple((w, f"{sizing.WORKLOAD_NAMES[w]:<18}{WORKLOAD_MEANINGS[w]}") for w in WORKLOADS)
    OWNS = (("workload",),)

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        yield Static(workload_effect(), id="workload-effect", classes="hint")


class EnvironmentScreen(ChoiceScreen):
    STEP, HEADING, KEY = "environment", "Environment and license", "environment"
    INTRO = "Is this a test / dev deployment or production? Production sizing is larger."
    OPTIONS = tuple((e, sizing.ENVIRONMENT_NAMES[e]) for e in ENVIRONMENTS)
    OWNS = (("environment",), ("license",))
    NEEDS = (("license",),)  # license.valid waits for a license to read

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        yield Static("W&B license: where it comes from (env:VARIABLE or file:PATH); only that is saved.",
                     classes="hint")
        yield secret_field("License", "license", self.state.get(("license",)), "WANDB_LICENSE")


class CloudScreen(ChoiceScreen):
    STEP, HEADING, KEY = "cloud", "Cloud", "cloud"
    INTRO = "Where does the cluster run? The managed services recommended there:"
    OPTIONS = tuple((c, n) for c, n in (("aws", "AWS"), ("gcp", "GCP"), ("azure", "Azure"), ("other", "Other / on-premises")))
    OWNS = (("cloud",),)
    assert {c for c, _ in OPTIONS} == set(CLOUDS)

    def compose_form(self) -> ComposeResult:
        yield from super().compose_form()
        yield Static(self._services(), id="services")

    def choice_changed(self) -> None:
        self.query_one("#services", Static).update(self._services())

    def _services(self) -> str:
        s = self.state
        rec = sizing.recommend(s.get(("workload",)) or "models", s.get(("environment",)) or "test",
                               s.get(("cloud",)) or "other")
        ms = rec.managed_services
        lines = []
        if ms:
            lines += [f"Kubernetes      {ms.kubernetes}", f"MySQL           {ms.mysql}",
                      f"Object storage  {ms.object_storage}"]
        else:
            lines.append("Any conformant Kubernetes, MySQL 8 and S3-compatible storage.")
        if rec.kubernetes_machine_type:
            lines.append(f"Worker nodes    {rec.kubernetes_machine_type}; database {rec.mysql_machine_type}")
        return "\n".join(lines)
