"""The wizard app: one Screen per step on the screen stack (Next pushes, Esc pops).

    app = make_app(loaded, clock=FixedClock(), run_checks=fake, state_dir=tmp)

The factory lets tests inject the clock (check ages), the check runner and the state
directory; production uses the real engine and the XDG state directory.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from wbinstall.screens import flow, progress
from wbinstall.screens.services import RunChecks, Services
from wbinstall.screens.state import WizardState, from_loaded

CSS = Path(__file__).resolve().parent.parent / "assets" / "wizard.tcss"


class WizardApp(App[int]):
    TITLE = "wbinstall"
    CSS_PATH = str(CSS)
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, state: WizardState, services: Services, *, prefilled: bool = False):
        super().__init__()
        self.theme = "textual-dark"
        self.state = state
        self.services = services
        self.prefilled = prefilled
        self._saved: tuple[str, dict] | None = None
        self.crashed: str | None = None  # the line for the user, after a bug (_handle_exception)

    @property
    def state_dir(self) -> Path:
        if self.services.state_dir is None:
            from wbinstall.paths import state_dir

            self.services.state_dir = state_dir()
        return self.services.state_dir

    def on_mount(self) -> None:
        resume_step = None
        if not self.prefilled:
            self._saved = progress.load(self.state_dir)
            if self._saved and self._saved[0] in flow.STEPS and self._saved[0] != "welcome":
                resume_step = self._saved[0]
        self.push_screen(flow.screen_class("welcome")(self.state, self.services, resume_step=resume_step))

    def push_step(self, step: str) -> None:
        self.state.step = step
        self.push_screen(flow.screen_class(step)(self.state, self.services))

    def advance(self, step: str) -> None:
        nxt = flow.after(step)
        if nxt is None:
            return
        self.save_progress(nxt)
        self.push_step(nxt)

    def resume(self) -> None:
        if not self._saved:
            return self.advance("welcome")
        step, data = self._saved
        self.state.data = data
        self.state.record_overrides()
        for name in flow.STEPS[1: flow.STEPS.index(step) + 1]:
            self.push_step(name)

    def start_fresh(self) -> None:
        progress.clear(self.state_dir)
        self._saved = None
        self.advance("welcome")

    def save_progress(self, step: str | None = None) -> None:
        try:
            progress.save(self.state_dir, step or self.state.step, self.state.data)
        except OSError:
            pass  # progress is a convenience; never stop the wizard for it

    def run_in_terminal(self) -> None:
        """Run until the user quits; a dropped SSH session (SIGHUP) or SIGTERM saves progress
        and releases the install lock first (wbinstall.session.hangup)."""
        from wbinstall import exitcodes
        from wbinstall.session.hangup import hangups

        def quit() -> None:  # SIGTERM: leave through Textual, which gives the terminal back
            import asyncio

            try:
                asyncio.get_running_loop().call_soon(self.exit, exitcodes.INTERRUPTED)
            except RuntimeError:
                raise KeyboardInterrupt from None

        with hangups(self.save_progress, quit):
            # No mouse: over SSH it only adds traffic, and everything is keyboard-reachable.
            self.run(mouse=False)
        if self.crashed:
            print(self.crashed, file=sys.stderr)

    def _handle_exception(self, error: Exception) -> None:
        """A bug in the wizard (Textual's hook for any exception it did not expect). Textual
        would print a traceback with every frame's locals, a typed secret among them. Instead
        the traceback goes to the log with the secrets taken out, and the user reads one line,
        as from the command line (exit code 4); the progress saved at the last Next stays."""
        import traceback

        from wbinstall import exitcodes, redact
        from wbinstall.paths import append_to_log

        try:
            redact.remember(self.state.secrets_for_checks().values())  # typed, or from env / file
        except Exception:  # noqa: BLE001 - the log is still cleared of what is known
            pass
        where = append_to_log(f"wbinstall: the wizard crashed\n{''.join(traceback.format_exception(error))}")
        # What Textual's own handler does, but its traceback: keep the error (a pilot test
        # re-raises it), set the code, leave.
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._return_code = exitcodes.INTERNAL_ERROR
        # Printed once the terminal is given back (run_in_terminal), by print: Rich would
        # break the log's path across lines.
        self.crashed = f"wbinstall: internal error ({type(error).__name__}); {where}. Please report it."
        self._close_messages_no_wait()

    def pop_screen(self):
        result = super().pop_screen()
        step = getattr(self.screen, "STEP", None)
        if step:
            self.state.step = step
        return result


def make_app(loaded=None, *, clock: Callable[[], float] = time.monotonic, run_checks: RunChecks | None = None,
             state_dir: Path | None = None, services: Services | None = None, debounce: float | None = None,
             strict_overrides: tuple[str, ...] = ()) -> WizardApp:
    services = services or Services()
    services = replace(services, clock=clock, state_dir=state_dir if state_dir is not None else services.state_dir)
    if run_checks is not None:
        services.run_checks = run_checks
    if debounce is not None:
        services.debounce = debounce
    state = from_loaded(loaded) if loaded is not None else WizardState()
    state.strict_overrides = tuple(strict_overrides)
    state.record_overrides()
    return WizardApp(state, services, prefilled=loaded is not None)
