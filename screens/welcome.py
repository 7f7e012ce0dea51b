"""Welcome: what the wizard does, and the offer to resume saved progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from wbinstall.screens.base import StepScreen

TEXT = (
    "wbinstall takes you from a Kubernetes cluster to a running Weights & Biases.\n\n"
    "It asks about your workload, cloud, cluster, MySQL, object storage and host name, checks "
    "each system live as you go, compares the recommended sizing with your nodes, and saves "
    "an answers file that `wbinstall --answers FILE` can replay.\n\n"
    "Secrets are saved only as references (env:VARIABLE or file:PATH), never as values. "
    "Progress is saved as you go: if the connection drops, run wbinstall again to resume.\n\n"
    "Keys: Tab / Shift+Tab move, ↑/↓ choose, Enter presses a button, Ctrl+N next step, Esc back, "
    "Ctrl+Q quit."
)


class WelcomeScreen(StepScreen):
    STEP, HEADING = "welcome", "Welcome"
    DEFER_FOOTER = True
    # No check is declared on this step (tests/unit/test_check_declarations.py): not reading the
    # declaration keeps PyYAML's import out of the first paint.
    check_ids: tuple[str, ...] = ()
    BINDINGS = [Binding("ctrl+n", "next", "Next"), Binding("escape", "back", "Back", show=False)]

    def __init__(self, state, services, resume_step: str | None = None):
        super().__init__(state, services)
        self.resume_step = resume_step

    def compose_form(self) -> ComposeResult:
        yield Static(TEXT, id="welcome")
        with Horizontal(id="welcome-buttons"):
            if self.resume_step:
                yield Button(f"Resume at {self.resume_step}", id="resume", variant="primary", compact=True)
                yield Button("Start over", id="fresh", compact=True)
            else:
                yield Button("Start", id="start", variant="primary", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "resume":
            self.app.resume()
        elif event.button.id == "fresh":
            self.app.start_fresh()
        else:
            self.action_next()

    def action_next(self) -> None:
        if self.resume_step:
            self.app.resume()
        else:
            self.app.advance(self.STEP)

    def action_back(self) -> None:
        pass
