"""The live check panel: one line per check (running, pass, warn, fail, skip), its age, and for
a warn or fail the remedy. It renders what it is given; the screen runs the checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.widgets import Static

from wbinstall.checks.result import Result

ICONS = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"), "skip": ("-", "dim")}


def age(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s ago"
    if s < 3600:
        return f"{s // 60}m ago"
    return f"{s // 3600}h ago"


def render_results(ids: Iterable[str], results: Mapping[str, tuple[Result, float]], running: set[str],
                   now: float, skips: Mapping[str, str], *, evidence: bool = False) -> Text:
    text = Text()
    for check_id in ids:
        if text:
            text.append("\n")
        got = results.get(check_id)
        if check_id in skips and (got is None or got[0].status == "fail"):
            text.append("- ", style="dim")
            text.append(f"{check_id:<17}", style="bold")
            text.append(f"skipped: {skips[check_id]}", style="dim")
            continue
        if got is None:
            icon = ("…", "cyan") if check_id in running else ("·", "dim")
            text.append(f"{icon[0]} ", style=icon[1])
            text.append(f"{check_id:<17}", style="bold")
            text.append("checking…" if check_id in running else "not run yet", style="dim")
            continue
        result, at = got
        mark, style = ICONS[result.status]
        text.append(f"{mark} ", style=f"bold {style}")
        text.append(f"{check_id:<17}", style="bold")
        text.append(result.summary)
        text.append(f" ({'rechecking' if check_id in running else age(now - at)})", style="dim")
        if evidence:
            for line in result.evidence:
                text.append(f"\n    {line}", style="dim")
        if result.status in ("warn", "fail") and result.remedy:
            text.append("\n    → ", style=style)
            text.append(result.remedy)
    return text


class CheckPanel(Static):
    """Shows `ids`; call show() with the current results whenever they change."""

    DEFAULT_CSS = "CheckPanel { height: auto; } CheckPanel:focus { background: $boost; }"
    can_focus = True  # so Tab reaches it and scrolls it into view at 80x24

    def __init__(self, ids: Iterable[str], **kwargs):
        super().__init__("", **kwargs)
        self.ids = tuple(ids)

    def show(self, results, running: set[str], now: float, skips: Mapping[str, str]) -> None:
        self.update(render_results(self.ids, results, running, now, skips))
