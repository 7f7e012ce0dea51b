"""Deploy: the objects an install applies (secrets redacted) and the command that applies them.

When the rollout work lands, `services.follow(answers, secrets, base_dir, on_event)` runs in a
thread worker here and each event is written to the log as it arrives.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import Log, Static

from wbinstall.screens.base import StepScreen


class DeployScreen(StepScreen):
    STEP, HEADING = "deploy", "Deploy"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("next", "skip", "recheck")

    def compose_form(self) -> ComposeResult:
        saved = self.state.save_path()
        if self.services.follow is None:
            yield Static("Apply these objects (server-side) with:", classes="section-title")
            yield Static(f"  wbinstall render --answers {saved} \\\n"
                         f"    | kubectl apply --server-side -f -", id="command")
        else:
            yield Static("Rollout", classes="section-title")
        yield Log(id="deploy-log", auto_scroll=False)

    def on_mount(self) -> None:
        self._prepare()

    @work(thread=True, exclusive=True, group="deploy", exit_on_error=False)
    def _prepare(self) -> None:
        answers = self.state.answers()
        secrets = self.state.secrets_for_checks()
        if self.services.follow is not None:
            def on_event(event) -> None:
                try:
                    self.app.call_from_thread(self.query_one(Log).write_line, str(event))
                except RuntimeError:
                    pass

            self.services.follow(answers, secrets, self.state.base_dir, on_event)
            return
        try:
            text = self.services.render_preview(answers, secrets, self.state.base_dir)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            text = f"cannot render the objects: {type(exc).__name__}: {exc}"
        try:
            self.app.call_from_thread(self.query_one(Log).write_lines, text.splitlines())
        except RuntimeError:
            pass

    def action_next(self) -> None:
        pass
