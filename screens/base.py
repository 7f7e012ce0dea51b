"""The shape every step shares: title, form, field errors, live checks, Next / Back / Skip.

Checks start in a thread worker when the answers they need change (debounced); a newer run
supersedes an older one (exclusive worker + a generation number, since threads cannot be
killed). Results come back through call_from_thread; the UI thread never waits on I/O.
"""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from wbinstall.checks.result import Result
from wbinstall.screens.services import Services
from wbinstall.screens.state import Key, WizardState
from wbinstall.screens.widgets.checks import CheckPanel
from wbinstall.screens.widgets.fields import parse_ref
from wbinstall.screens.widgets.skip import SkipModal


def abandon_if_cancelled(worker, fn, *args):
    """Run blocking `fn` in a daemon thread; return early if the worker is cancelled.

    Threads cannot be killed: a superseded or quitting check run is abandoned (its probes end at
    their own deadlines), so neither the worker pool nor the exit waits for it.
    """
    done = threading.Event()
    out: list = []

    def run() -> None:
        try:
            out.append(fn(*args))
        finally:
            done.set()

    threading.Thread(target=run, name="wizard-io", daemon=True).start()
    while not done.wait(0.05):
        if worker.is_cancelled:
            return None
    return out[0] if out else None


class StepScreen(Screen):
    STEP = ""
    HEADING = ""
    INTRO = ""
    CHECK_IDS: tuple[str, ...] = ()
    # Answers this step owns (validated on Next) and those checks need before they start.
    OWNS: tuple[Key, ...] = ()
    NEEDS: tuple[Key, ...] = ()
    # The Footer costs ~40 ms to build; the first screen mounts it just after its first paint.
    DEFER_FOOTER = False

    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+o", "skip", "Skip check"),
        Binding("ctrl+r", "recheck", "Recheck"),
    ]

    def __init__(self, state: WizardState, services: Services):
        super().__init__(classes="step")
        self.state = state
        self.services = services
        self.running: set[str] = set()
        self._generation = 0
        self._debounce: Timer | None = None

    # ---- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from wbinstall.screens.flow import position

        number, total = position(self.STEP)
        yield Static(f"wbinstall · step {number} of {total} · {self.HEADING}", id="step-title")
        body = VerticalScroll(id="body")
        body.can_focus = False  # focus goes to the fields; the check panel takes focus to scroll
        with body:
            if self.INTRO:
                yield Static(self.INTRO, id="intro")
            yield from self.compose_form()
            yield Static("", id="errors", classes="field-error")
            if self.CHECK_IDS:
                yield Static("Live checks", classes="section-title")
                yield CheckPanel(self.CHECK_IDS, id="checks")
        if not self.DEFER_FOOTER:
            yield Footer()

    def compose_form(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        if self.DEFER_FOOTER:
            self.call_after_refresh(self._mount_footer)
        if self.CHECK_IDS:
            self.refresh_checks()
            self.set_interval(1.0, self.refresh_checks)
            if self._needs_met() and any(i not in self.state.results for i in self.CHECK_IDS):
                self.start_checks()

    async def _mount_footer(self) -> None:
        await self.mount(Footer())
        self.refresh_bindings()  # a Footer mounted late fills in on the next bindings update

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("skip", "recheck"):
            return bool(self.CHECK_IDS)
        return True

    # ---- answers from the widgets -------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        key = getattr(event.input, "answer_key", None)
        secret = getattr(event.input, "secret_key", None)
        if key is not None:
            if getattr(event.input, "is_secret_ref", False):
                ref = parse_ref(event.value)
                if isinstance(ref, str):
                    return  # shown on Next; keep the last good reference meanwhile
                if self.state.get(key) == ref:
                    return
                self.state.set(key, ref)
            else:
                if str(self.state.get(key) or "") == event.value.strip():
                    return
                self.state.set(key, self.convert(key, event.value))
        elif secret is not None:
            if self.state.typed.get(secret, "") == event.value:
                return
            self.state.typed[secret] = event.value
        else:
            return
        self.answers_changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def convert(self, key: Key, text: str) -> object:
        return text

    def show_errors(self, text: str) -> None:
        errors = self.query_one("#errors", Static)
        errors.update(text)
        errors.display = bool(text)
        if text:
            self.call_after_refresh(errors.scroll_visible, animate=False)

    def answers_changed(self) -> None:
        # Saved on every change (a few hundred bytes, local disk): a dropped SSH session loses nothing.
        self.app.save_progress(self.STEP)
        self.show_errors("")
        if self.CHECK_IDS:
            if self._debounce is not None:
                self._debounce.stop()
            if self.services.debounce > 0:
                self._debounce = self.set_timer(self.services.debounce, self.start_checks)
            else:
                self._debounce = None
                self.call_later(self.start_checks)

    # ---- live checks ------------------------------------------------------------------
    def _needs_met(self) -> bool:
        # A typed secret value is enough to check with, before its reference is chosen.
        return all(self.state.get(k) not in (None, "") or self.state.typed.get(k) for k in self.NEEDS)

    def start_checks(self) -> None:
        if not self.CHECK_IDS or not self._needs_met():
            return
        try:
            answers = self.state.answers_for_checks()
        except ValueError:
            return  # an invalid field: Next shows it; nothing sensible to check yet
        self._generation += 1
        self.running = set(self.CHECK_IDS)
        self.refresh_checks()
        self._run_checks(answers, self._generation)

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def _run_checks(self, answers, generation: int) -> None:
        worker = get_current_worker()
        secrets = self.state.secrets_for_checks()

        def deliver(result: Result) -> None:
            if worker.is_cancelled:
                return
            try:
                self.app.call_from_thread(self._got_result, result, generation)
            except RuntimeError:
                pass  # the app has closed

        try:
            abandon_if_cancelled(worker, self.services.run_checks, answers, secrets, self.state.base_dir,
                                 self.CHECK_IDS, deliver)
        finally:
            if not worker.is_cancelled:
                try:
                    self.app.call_from_thread(self._checks_done, generation)
                except RuntimeError:
                    pass

    def _got_result(self, result: Result, generation: int) -> None:
        if generation != self._generation:
            return
        self.state.record(result, self.services.clock())
        self.running.discard(result.id)
        self.refresh_checks()

    def _checks_done(self, generation: int) -> None:
        if generation == self._generation:
            self.running.clear()
            self.refresh_checks()

    def refresh_checks(self) -> None:
        if not self.CHECK_IDS:
            return
        results = {i: (r.result, r.at) for i, r in self.state.results.items()}
        self.query_one(CheckPanel).show(results, self.running, self.services.clock(), self.state.skips())

    def failing(self) -> list[Result]:
        skips = self.state.skips()
        return [r.result for i in self.CHECK_IDS if (r := self.state.results.get(i))
                and r.result.status == "fail" and i not in skips]

    # ---- actions ----------------------------------------------------------------------
    def action_recheck(self) -> None:
        self.start_checks()

    def action_skip(self, then_next: bool = False) -> None:
        failing = self.failing()
        if not failing:
            self.notify("No failed check to skip.", timeout=3)
            return

        def done(reason: str | None) -> None:
            if reason:
                self.state.skip(failing[0].id, reason)
                self.refresh_checks()
                if then_next:
                    self.action_next()

        self.app.push_screen(SkipModal(failing[0]), done)

    def action_back(self) -> None:
        self.app.pop_screen()

    def validate(self) -> list[str]:
        """Problems with this step's answers, as 'field: message' lines."""
        problems = []
        for inp in self.query(Input):
            key = getattr(inp, "answer_key", None)
            if not getattr(inp, "is_secret_ref", False):
                continue
            if isinstance(msg := parse_ref(inp.value), str):
                problems.append(f"{'.'.join(key)}: {msg}")
            elif msg is None and self.state.typed.get(key):
                problems.append(f"{'.'.join(key)}: the typed value is not saved; give env:VARIABLE or file:PATH "
                                "where it will come from")
        if self.OWNS:
            problems += self.state.problems(self.OWNS)
        return problems

    def action_next(self) -> None:
        problems = self.validate()
        if problems:
            self.show_errors("\n".join(problems))
            return
        if self.failing():
            self.action_skip(then_next=True)
            return
        self.app.advance(self.STEP)
