"""The live check panel: one line per check (running, pass, warn, fail, skip), its age, and for
a warn or fail the remedy. It renders what it is given; the screen runs the checks.

Text that wraps keeps its column (a hanging indent): a summary continues under the summary, not
under the status glyph, and a remedy under the remedy, at whatever width the panel has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.widgets import Static

from wbinstall.checks.result import Result

ICONS = {"pass": ("✔", "green"), "warn": ("!", "yellow"), "fail": ("✘", "red"), "skip": ("-", "dim")}
ID_WIDTH = 17
DETAIL_INDENT = "    "  # evidence lines and the remedy arrow


def age(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s ago"
    if s < 3600:
        return f"{s // 60}m ago"
    return f"{s // 3600}h ago"


@dataclass
class HangingLines:
    """Rows of (lead, body): the body wraps to the width given, each continuation line indented
    by the lead's width. str() is the unwrapped plain text, one row a line."""

    rows: list[tuple[Text, Text]] = field(default_factory=list)

    @classmethod
    def of(cls, text: Text) -> HangingLines:
        """Each line of `text` wrapped under its own indentation (its leading spaces)."""
        out = cls()
        for line in text.split("\n"):
            n = len(line.plain) - len(line.plain.lstrip(" "))
            out.add(line[:n], line[n:])
        return out

    def add(self, lead: Text | str, body: Text | str) -> None:
        self.rows.append((Text(lead) if isinstance(lead, str) else lead,
                          Text(body) if isinstance(body, str) else body))

    def __str__(self) -> str:
        return "\n".join(lead.plain + body.plain for lead, body in self.rows)

    @property
    def plain(self) -> str:
        return str(self)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for lead, body in self.rows:
            indent = min(lead.cell_len, max(width - 10, 0))  # a very narrow panel still shows text
            lines = body.wrap(console, max(width - indent, 1), overflow="fold")
            for i, line in enumerate(lines or [Text()]):
                line.rstrip()
                yield Text.assemble(lead if i == 0 else " " * indent, line, end="\n", no_wrap=True,
                                    overflow="crop")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((lead.cell_len + body.cell_len for lead, body in self.rows), default=1)
        return Measurement(min(20, longest), min(longest, options.max_width))


def render_results(ids: Iterable[str], results: Mapping[str, tuple[Result, float]], running: set[str],
                   now: float, skips: Mapping[str, str], *, evidence: bool = False) -> HangingLines:
    out = HangingLines()

    def head(mark: str, style: str) -> Text:
        return Text.assemble((f"{mark} ", style), (f"{check_id:<{ID_WIDTH}}", "bold"))

    for check_id in ids:
        got = results.get(check_id)
        if check_id in skips and (got is None or got[0].status == "fail"):
            out.add(head("-", "dim"), Text(f"skipped: {skips[check_id]}", style="dim"))
            continue
        if got is None:
            mark, style = ("…", "cyan") if check_id in running else ("·", "dim")
            out.add(head(mark, style), Text("checking…" if check_id in running else "not run yet", style="dim"))
            continue
        result, at = got
        mark, style = ICONS[result.status]
        summary = Text(result.summary)
        summary.append(f" ({'rechecking' if check_id in running else age(now - at)})", style="dim")
        out.add(head(mark, f"bold {style}"), summary)
        if evidence:
            for line in result.evidence:
                out.add(DETAIL_INDENT, Text(line, style="dim"))
        if result.status in ("warn", "fail") and result.remedy:
            out.add(Text(f"{DETAIL_INDENT}→ ", style=style), result.remedy)
    return out


class CheckPanel(Static):
    """Shows `ids`; call show() with the current results whenever they change."""

    DEFAULT_CSS = "CheckPanel { height: auto; } CheckPanel:focus { background: $boost; }"
    can_focus = True  # so Tab reaches it and scrolls it into view at 80x24

    def __init__(self, ids: Iterable[str], **kwargs):
        super().__init__("", **kwargs)
        self.ids = tuple(ids)
        self.lines = HangingLines()

    def show(self, results, running: set[str], now: float, skips: Mapping[str, str]) -> None:
        self.lines = render_results(self.ids, results, running, now, skips)
        self.update(self.lines)

    def render(self):
        # The rows themselves (str() is their text), wrapped by Textual at the panel's width.
        return self.lines
