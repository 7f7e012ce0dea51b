"""A problem found in the user's input: which field, where in the file, what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    path: str  # dotted field path as written in YAML, e.g. "mysql.port"; "" for the file itself
    message: str
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    severity: Literal["error", "warning"] = "error"

    def format(self, filename: str | None = None) -> str:
        where = filename or "answers"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f"{self.path}: " if self.path else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {label}{field}{self.message}"


class AnswersError(Exception):
    """The answers cannot be used; every problem found is listed, not just the first."""

    def __init__(self, problems: list[Problem], filename: str | None = None):
        self.problems = problems
        self.filename = filename
        super().__init__(f"{len(problems)} problem(s) in {filename or 'the answers'}")

    def format(self) -> str:
        return "\n".join(p.format(self.filename) for p in self.problems)
