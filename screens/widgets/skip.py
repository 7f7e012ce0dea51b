"""Skip a failed check, with the reason recorded in the answers' checks.skip."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from wbinstall.checks.result import Result


class SkipModal(ModalScreen[str | None]):
    """Dismisses with the reason, or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, result: Result):
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        with Vertical(id="skip-box"):
            yield Label(f"Skip {self.result.id}?", classes="modal-title")
            yield Static(f"It failed: {self.result.summary}", classes="modal-text")
            yield Static("Continue only if you know why. The reason is saved in the answers (checks.skip).",
                         classes="modal-text")
            yield Input(placeholder="reason, e.g. firewall opens at go-live", id="skip-reason", compact=True)
            yield Label("", id="skip-error", classes="field-error")
            yield Static("Enter: skip   Esc: cancel", classes="modal-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if not reason:
            self.query_one("#skip-error", Label).update("a reason is required")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
