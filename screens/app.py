"""The wizard app. A placeholder until the wizard's screens land: it shows the welcome step."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class WelcomeScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "wbinstall takes you from an empty Kubernetes cluster to a running W&B deployment.\n\n"
            "The step-by-step wizard is being built. Today you can use the command line:\n"
            "  wbinstall init -o answers.yaml      write an answers template\n"
            "  wbinstall validate --answers FILE   check it\n"
            "  wbinstall sizing --workload models --environment production --cloud aws\n"
            "  wbinstall render --answers FILE     the objects an install applies\n\n"
            "Press q to quit.",
            id="welcome",
        )
        yield Footer()


class WizardApp(App[int]):
    TITLE = "wbinstall"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("ctrl+c", "quit", "Quit", show=False, priority=True)]

    def __init__(self, loaded=None):
        super().__init__()
        self.loaded = loaded

    def on_mount(self) -> None:
        self.push_screen(WelcomeScreen())
