"""Deploy: the objects an install applies (secrets redacted), then the install itself.

Deploy (ctrl+d or the button) runs `services.follow(answers, secrets, base_dir, on_event, cancel)`
(lock -> apply -> rollout, wbinstall.apply.install.deploy) in a thread worker; each event comes
back through call_from_thread into a DeployView, which draws the apply and rollout progress,
each resource with its state and reason, and the outcome. Esc while it runs stops following
(between two objects while applying): the cluster keeps what was applied, whole, and the
install lock is released. The checks ran on the earlier steps; they are not rerun here.

On opening, `services.attach` follows an install already in the cluster (another run holding
the lock, e.g. this wizard before its SSH session dropped, or a past install's resource)
without applying anything; Deploy supersedes it.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Log, Static
from textual.worker import Worker, get_current_worker

from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.rollout import DeployView


class DeployScreen(StepScreen):
    STEP, HEADING = "deploy", "Deploy"
    BINDINGS = [*StepScreen.BINDINGS, Binding("ctrl+d", "deploy", "Deploy")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.view: DeployView | None = None
        self._worker: Worker | None = None
        self._deploying = False
        self._generation = 0
        self._begun = 0          # the generation whose progress the screen shows
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

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _prepare(self) -> None:
        answers = self.state.answers()
        secrets = self.state.secrets_for_checks()
        try:
            text = self.services.render_preview(answers, secrets, self.state.base_dir)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            text = f"cannot render the objects: {type(exc).__name__}: {exc}"
        try:
            self.app.call_from_thread(self._show_preview, text)
        except Exception:  # noqa: BLE001 - the app or this screen has closed
            pass

    def _show_preview(self, text: str) -> None:
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
        self._generation += 1
        self._begin(answers, self._generation)
        self._worker = self._deploy(answers, self._generation, self.services.follow)

    def _follow_existing(self) -> None:
        """On opening: follow an install already in the cluster, if there is one. The view
        appears with its first event; until then Deploy stays free (and supersedes this)."""
        try:
            answers = self.state.answers()
        except ValueError:
            return
        self._generation += 1
        self._worker = self._deploy(answers, self._generation, self.services.attach, quiet=True)

    def _begin(self, answers, generation: int, following: bool = False) -> None:
        """The screen switches from the preview to the install's progress (`following`: an
        install already in the cluster, which this screen did not start)."""
        self._begun, self._following = generation, following
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

    @work(thread=True, exclusive=True, group="deploy", exit_on_error=False)
    def _deploy(self, answers, generation: int, run, quiet: bool = False) -> None:
        """`run` is services.follow (lock -> apply -> rollout) or services.attach (follow only);
        `quiet`: an error is not shown (attaching is an offer, not something the user asked)."""
        worker = get_current_worker()
        secrets = self.state.secrets_for_checks()

        def deliver(event) -> None:
            try:
                self.app.call_from_thread(self._got_event, event, generation, answers)
            except Exception:  # noqa: BLE001 - the app or this screen has closed
                pass

        try:
            # Cancelling the worker (Esc, leaving the screen, quitting) sets cancelled_event.
            run(answers, secrets, self.state.base_dir, deliver, worker.cancelled_event)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            from wbinstall.apply.install import ApplyError

            if not quiet:
                deliver(ApplyError(f"{type(exc).__name__}: {exc}"))
        finally:
            try:
                self.app.call_from_thread(self._deploy_done, generation)
            except Exception:  # noqa: BLE001
                pass

    def _got_event(self, event, generation: int, answers) -> None:
        if generation != self._generation:
            return
        if self._begun != generation:   # the first event of an attach
            self._begin(answers, generation, following=True)
        text = self.view.take(event)
        self._last_event_at = self.services.clock()
        if text:
            self.query_one(Log).write_lines(text.splitlines())
        self._redraw()

    def _deploy_done(self, generation: int) -> None:
        if generation != self._generation or self._begun != generation:
            return  # superseded, or an attach that found nothing to follow
        self._deploying = False
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
        self.query_one("#deploy-resources", Static).update(view.resources())
        result = self.query_one("#deploy-result", Static)
        result.update(view.result())
        result.display = view.finished

    # ---- leaving ----------------------------------------------------------------------
    def action_back(self) -> None:
        if self._deploying and self._worker is not None:
            self._worker.cancel()  # the install stops following within half a second
            self.notify("Stopping: the cluster keeps what was applied; Esc again goes back.", timeout=4)
            return
        super().action_back()

    def on_unmount(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def action_next(self) -> None:
        pass
