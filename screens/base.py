"""The shape every step shares: title, form, field errors, live checks, Next / Back / Skip.

Checks start in a background run when the answers they need change (debounced); a newer run
supersedes an older one. Results come back as RunEvent messages (screens/bridge.py); the UI
thread never waits on I/O.
"""

from __future__ import annotations

from functools import cached_property

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from wbinstall.checklist import for_step
from wbinstall.checks.result import Result
from wbinstall.screens.bridge import RunEvent, runs
from wbinstall.screens.services import Services
from wbinstall.screens.state import Key, WizardState
from wbinstall.screens.widgets.checks import CheckPanel
from wbinstall.screens.widgets.fields import AnswerInput, SecretRefInput, SecretValueInput, parse_ref
from wbinstall.screens.widgets.skip import SkipModal
from wbinstall.session.runs import RunDone


class StepScreen(Screen):
    STEP = ""
    HEADING = ""
    INTRO = ""
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

    @cached_property
    def check_ids(self) -> tuple[str, ...]:
        return for_step(self.STEP)  # as declared in assets/checks.yaml

    def __init__(self, state: WizardState, services: Services):
        super().__init__(classes="step")
        self.state = state
        self.services = services
        self.running: set[str] = set()
        self.checks = runs(self, self._on_check_event)
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
            if self.check_ids:
                yield Static("Live checks", classes="section-title")
                yield CheckPanel(self.check_ids, id="checks")
        if not self.DEFER_FOOTER:
            yield Footer()

    def compose_form(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        if self.DEFER_FOOTER:
            self.call_after_refresh(self._mount_footer)
        if self.check_ids:
            self.refresh_checks()
            self.set_interval(1.0, self.refresh_checks)
            if self._needs_met() and any(i not in self.state.results for i in self.check_ids):
                self.start_checks()

    async def _mount_footer(self) -> None:
        await self.mount(Footer())
        self.refresh_bindings()  # a Footer mounted late fills in on the next bindings update

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("skip", "recheck"):
            return bool(self.check_ids)
        return True

    # ---- answers from the widgets -------------------------------------------------------
    def on_answer_input_answered(self, event: AnswerInput.Answered) -> None:
        if isinstance(event.control, SecretRefInput):
            ref = parse_ref(event.text)
            if isinstance(ref, str) or self.state.get(event.key) == ref:
                return  # an unfinished reference is shown on Next; keep the last good one meanwhile
            self.state.set(event.key, ref)
        else:
            if str(self.state.get(event.key) or "") == event.text.strip():
                return
            self.state.set(event.key, self.convert(event.key, event.text))
        self.answers_changed()

    def on_secret_value_input_typed(self, event: SecretValueInput.Typed) -> None:
        if self.state.typed.get(event.key, "") == event.value:
            return
        self.state.typed[event.key] = event.value
        self.answers_changed()

    def on_run_event(self, event: RunEvent) -> None:
        if event.current:
            event.handle(event.event)

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
        if self.check_ids:
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
        if not self.check_ids or not self._needs_met():
            return
        try:
            answers = self.state.answers_for_checks()
        except ValueError:
            return  # an invalid field: Next shows it; nothing sensible to check yet
        self.running = set(self.check_ids)
        self.refresh_checks()
        state, run_checks, ids = self.state, self.services.run_checks, self.check_ids
        self.checks.start(lambda emit, cancel: run_checks(answers, state.secrets_for_checks(), state.base_dir,
                                                          ids, emit), name="checks")

    def _on_check_event(self, event: Result | RunDone) -> None:
        if isinstance(event, RunDone):
            self.running.clear()
        else:
            self.state.record(event, self.services.clock())
            self.running.discard(event.id)
        self.refresh_checks()

    def refresh_checks(self) -> None:
        if not self.check_ids:
            return
        results = {i: (r.result, r.at) for i, r in self.state.results.items()}
        self.query_one(CheckPanel).show(results, self.running, self.services.clock(), self.state.skips())

    def failing(self) -> list[Result]:
        skips = self.state.skips()
        return [r.result for i in self.check_ids if (r := self.state.results.get(i))
                and r.result.status == "fail" and i not in skips]

    # ---- actions ----------------------------------------------------------------------
    def action_recheck(self) -> None:
        self.start_checks()

    def action_skip(self, then_next: bool = False) -> None:
        failing = self.failing()
        if not failing:
            self.notify("No failed check to skip.", timeout=3)
            return
        if why := self.state.cannot_skip(failing[0].id):
            self.notify(why, severity="error", timeout=8)
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
        for inp in self.query(SecretRefInput):
            if not all(node.display for node in inp.ancestors_with_self):
                continue  # a field this step does not show now (another provider's key)
            if isinstance(msg := inp.reference(), str):
                problems.append(f"{'.'.join(inp.key)}: {msg}")
            elif msg is None and self.state.typed.get(inp.key):
                problems.append(f"{'.'.join(inp.key)}: the typed value is not saved; give env:VARIABLE or file:PATH "
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
