"""Deploy: the objects an install applies (secrets redacted), then the install itself.

Deploy (ctrl+d or the button) runs `services.follow(answers, secrets, base_dir, on_event, cancel)`
(lock -> apply -> rollout, wbinstall.session.install) in a background run; each event comes
back as a RunEvent message (screens/bridge.py) into a DeployView, which draws the apply and rollout progress,
each resource with its state and reason, and the outcome. Esc while it runs stops following
(between two objects while applying): the cluster keeps what was applied, whole, and the
install lock is released. The checks ran on the earlier steps; they are not rerun here.

On opening, `services.attach` follows an install already in the cluster (another run holding
the lock, e.g. this wizard before its SSH session dropped, or a past install's resource)
without applying anything; Deploy supersedes it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Log, Static

from wbinstall.screens.base import StepScreen
from wbinstall.screens.bridge import runs
from wbinstall.screens.widgets.checks import HangingLines
from wbinstall.screens.widgets.rollout import DeployView
from wbinstall.session.install import ApplyError
from wbinstall.session.runs import RunDone


class DeployScreen(StepScreen):
    STEP, HEADING = "deploy", "Deploy"
    BINDINGS = [*StepScreen.BINDINGS, Binding("ctrl+d", "deploy", "Deploy")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.view: DeployView | None = None
        self.preview = runs(self, self._show_preview)
        self.installs = runs(self, self._got_event)   # a deploy, or an attach on opening
        self._deploying = False
        self._answers = None
        self._begun = 0          # the run whose progress the screen shows
        self._quiet = False      # the current run is an attach: an offer, its errors unshown
        self._following = False  # ... and it follows an install it did not start
        self._last_event_at = 0.0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "deploy":
            if self.services.follow is None:
                return False
            return None if self._deploying and not self._following else True
        return action not in ("next", "skip", "recheck")

    def compose_form(self) -> ComposeResult:
        saved = self.state.save_path()
        if self.services.follow is None:
            yield Static("Apply these objects (server-side) with:", classes="section-title")
            yield Static(f"  wbinstall render --answers {saved} \\\n"
                         f"    | kubectl apply --server-side -f -", id="command")
        else:
            with Horizontal(id="deploy-actions"):
                yield Button("Deploy", id="deploy-button", variant="primary", compact=True)
                yield Static("applies the objects below and follows the rollout", id="deploy-hint")
            yield Static(id="deploy-result")
            yield Static(id="deploy-status")
            yield Static("Resources", classes="section-title deploy-progress")
            yield Static(id="deploy-resources", classes="deploy-progress")
        yield Log(id="deploy-log", auto_scroll=False)

    def on_mount(self) -> None:
        for widget in self.query(".deploy-progress, #deploy-result, #deploy-status"):
            widget.display = False
        self._prepare()
        if self.services.follow is not None and self.services.attach is not None:
            self._follow_existing()
        self.set_interval(1.0, self._tick)

    def _prepare(self) -> None:
        answers = self.state.answers()
        state, render_preview = self.state, self.services.render_preview
        self.preview.start(lambda emit, cancel: render_preview(answers, state.secrets_for_checks(), state.base_dir),
                           name="preview")

    def _show_preview(self, done: RunDone) -> None:
        text = done.value if done.error is None else f"cannot render the objects: {done.error}"
        if self.view is None:  # a deploy started meanwhile: its activity owns the log
            self.query_one(Log).write_lines(text.splitlines())

    # ---- the install ------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "deploy-button":
            event.stop()
            self.action_deploy()

    def action_deploy(self) -> None:
        # Deploy supersedes following an install already there (its worker is cancelled).
        if (self._deploying and not self._following) or self.services.follow is None:
            return
        try:
            answers = self.state.answers()
        except ValueError as exc:  # pydantic's ValidationError: Review shows the details
            self.show_errors(f"Cannot deploy: the answers are incomplete ({exc.__class__.__name__}); "
                             "Esc back to Review.")
            return
        self.show_errors("")
        self._start(answers, self.services.follow, quiet=False)
        self._begin(following=False)

    def _follow_existing(self) -> None:
        """On opening: follow an install already in the cluster, if there is one. The view
        appears with its first event; until then Deploy stays free (and supersedes this)."""
        try:
            answers = self.state.answers()
        except ValueError:
            return
        self._start(answers, self.services.attach, quiet=True)

    def _start(self, answers, run, quiet: bool) -> None:
        """`run` is services.follow (lock -> apply -> rollout) or services.attach (follow only),
        in a background run that supersedes the one before; `quiet`: an error is not shown
        (attaching is an offer, not something the user asked for)."""
        state = self.state
        self._answers, self._quiet = answers, quiet
        self.installs.start(lambda emit, cancel: run(answers, state.secrets_for_checks(), state.base_dir, emit, cancel),
                            name="deploy")

    def _begin(self, following: bool) -> None:
        """The screen switches from the preview to the install's progress (`following`: an
        install already in the cluster, which this screen did not start)."""
        self._begun, self._following = self.installs.current, following
        answers = self._answers
        self.view = DeployView(answers.host, answers.kubernetes.namespace)
        self._deploying = True
        self._last_event_at = self.services.clock()
        log = self.query_one(Log)
        log.clear()
        log.auto_scroll = True
        for widget in self.query(".deploy-progress, #deploy-result, #deploy-status"):
            widget.display = True
        button = self.query_one("#deploy-button", Button)
        button.disabled, button.label = not following, "Deploy" if following else "Deploying…"
        self.query_one("#deploy-hint", Static).update(
            "following the install in the cluster; Deploy applies yours" if following
            else "Esc stops following; the cluster keeps what is applied")
        self._redraw()
        self.refresh_bindings()

    def _got_event(self, event) -> None:
        if isinstance(event, RunDone):
            if event.error and not self._quiet:
                self._got_event(ApplyError(event.error))
            self._deploy_done()
            return
        if self._begun != self.installs.current:   # the first event of an attach
            self._begin(following=True)
        text = self.view.take(event)
        self._last_event_at = self.services.clock()
        if text:
            self.query_one(Log).write_lines(text.splitlines())
        self._redraw()

    def _deploy_done(self) -> None:
        if self._begun != self.installs.current:
            return  # an attach that found nothing to follow
        self._deploying = False
        if self.view is not None:
            self.view.run_over = True
        if self.view is not None and not self.view.finished:
            self.view.stopped = "Stopped before the install finished. Deploy again continues where it left off."
        button = self.query_one("#deploy-button", Button)
        button.disabled = False
        button.label = "Deploy again"
        self.query_one("#deploy-hint", Static).update("re-applies (a no-op when unchanged), follows the rollout")
        self._redraw()
        self.refresh_bindings()
        result = self.query_one("#deploy-result")
        self.call_after_refresh(result.scroll_visible, animate=False)

    def _tick(self) -> None:
        if self._deploying and self.view is not None:
            self.query_one("#deploy-status", Static).update(
                self.view.status(self.services.clock() - self._last_event_at))

    def _redraw(self) -> None:
        view = self.view
        if view is None:
            return
        self.query_one("#deploy-status", Static).update(view.status(self.services.clock() - self._last_event_at))
        # Wrapped reasons stay under their own column at 80 columns.
        self.query_one("#deploy-resources", Static).update(HangingLines.of(view.resources()))
        result = self.query_one("#deploy-result", Static)
        result.update(HangingLines.of(view.result()))
        result.display = view.finished

    # ---- leaving ----------------------------------------------------------------------
    def action_back(self) -> None:
        if self._deploying:
            self.installs.cancel()  # the install stops following within half a second
            self.notify("Stopping: the cluster keeps what was applied; Esc again goes back.", timeout=4)
            return
        super().action_back()

    def on_unmount(self) -> None:
        self.installs.drop()  # asks it to stop too: the lock is released

    def action_next(self) -> None:
        pass
