"""What a check concludes: status, one-line summary, the evidence seen, and a remedy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skip")


@dataclass(frozen=True)
class Result:
    id: str
    status: Status
    summary: str
    # What was seen, verbatim where possible (the exact version string, the header received).
    evidence: tuple[str, ...] = field(default_factory=tuple)
    # What to do, in the user's own terms (their database name, their bucket, their host).
    remedy: str | None = None
    # Everything seen, for tools (the JSON report): e.g. every node, where `evidence` groups
    # them into lines a person reads. Not compared: a result is its verdict and its words.
    data: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "status": self.status, "summary": self.summary,
                                  "evidence": list(self.evidence), "remedy": self.remedy}
        if self.data is not None:
            out["data"] = self.data
        return out


def passed(id: str, summary: str, *evidence: str) -> Result:
    return Result(id, "pass", summary, tuple(evidence))


def warned(id: str, summary: str, *evidence: str, remedy: str | None = None) -> Result:
    return Result(id, "warn", summary, tuple(evidence), remedy)


def failed(id: str, summary: str, *evidence: str, remedy: str | None = None) -> Result:
    return Result(id, "fail", summary, tuple(evidence), remedy)


def skipped(id: str, summary: str, *evidence: str) -> Result:
    return Result(id, "skip", summary, tuple(evidence))
