"""Review: every answer, every check result (skipped ones with their reasons); save the file."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, Static

from wbinstall.checklist import CHECK_IDS
from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.checks import render_results
from wbinstall.screens.widgets.fields import Row


def answers_text(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=76).rstrip()


HEADER = "# Written by the wbinstall wizard. Secrets are references: provide them before running.\n"


class ReviewScreen(StepScreen):
    STEP, HEADING = "review", "Review and save"
    BINDINGS = [*StepScreen.BINDINGS[:2], Binding("ctrl+s", "save", "Save")]

    def compose_form(self) -> ComposeResult:
        # Not an answer: a plain Input, so the step's answer handling leaves it alone.
        yield Row("Save to", Input(self.state.save_path(), id="review-path", compact=True))
        yield Label("", id="saved")
        yield Static("Checks", classes="section-title")
        yield Static(id="all-checks")
        yield Static("Answers (secrets are references only)", classes="section-title")
        yield Static(Text(answers_text(self.state.data)), id="answers")

    def on_mount(self) -> None:
        self.refresh_review()

    def on_screen_resume(self) -> None:
        self.refresh_review()

    def refresh_checks(self) -> None:
        self.refresh_review()

    def refresh_review(self) -> None:
        results = {i: (r.result, r.at) for i, r in self.state.results.items()}
        self.query_one("#all-checks", Static).update(
            render_results(CHECK_IDS, results, set(), self.services.clock(), self.state.skips()))
        self.query_one("#answers", Static).update(Text(answers_text(self.state.data)))

    def action_save(self) -> bool:
        from pydantic import ValidationError

        from wbinstall.answers.dump import dump
        from wbinstall.answers.loader import validation_problems

        text = self.query_one("#review-path", Input).value.strip() or self.state.save_path()
        path = Path(text).expanduser()
        try:
            answers = self.state.answers(path.parent)
        except ValidationError as exc:
            problems = [f"{p.path}: {p.message}" for p in validation_problems(exc)]
            self.show_errors("Cannot save yet:\n" + "\n".join(problems))
            return False
        if not self._may_write(path, text):
            self.show_errors(f"{text} exists and was not written by wbinstall: Ctrl-S again to overwrite it, "
                             "or give another path.")
            return False
        try:
            path.write_text(HEADER + dump(answers), encoding="utf-8")
        except OSError as exc:
            self.show_errors(f"Cannot write {text}: {exc.strerror or exc}")
            return False
        self.state.saved_to = text
        self.show_errors("")
        self.query_one("#saved", Label).update(f"Saved to {text}")
        return True

    def _may_write(self, path: Path, text: str) -> bool:
        """A new file, ours, or one the user said twice to overwrite (it once was a kubeconfig)."""
        confirmed, self._overwrite = getattr(self, "_overwrite", None) == text, text
        if confirmed or text == self.state.saved_to or not path.exists():
            return True
        try:
            with path.open(encoding="utf-8", errors="replace") as f:
                return f.readline() == HEADER.splitlines(keepends=True)[0]
        except OSError:
            return True  # unreadable: the write reports it

    def action_next(self) -> None:
        if not self.action_save():
            return
        skips = self.state.skips()
        failed = [i for i, r in self.state.results.items() if r.result.status == "fail" and i not in skips]
        if failed:
            self.show_errors(
                f"Saved, but not deployable yet: {', '.join(failed)} failed. Esc back to that step to fix "
                "the cause, or skip the check there with a reason.")
            return
        self.app.advance(self.STEP)
