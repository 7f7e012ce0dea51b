"""The one bridge from the core's background runs (wbinstall.session.runs) to Textual.

Events are posted as RunEvent messages from the run's thread (post_message is thread-safe, a
no-op once the screen has closed) and handled on the screen's thread, where `current` drops a
late event of a superseded run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from wbinstall.session.runs import Runs


class RunEvent(Message):
    def __init__(self, runs: Runs, run_id: int, event: Any, handle: Callable[[Any], None]) -> None:
        super().__init__()
        self.runs, self.run_id, self.event, self.handle = runs, run_id, event, handle

    @property
    def current(self) -> bool:
        return self.run_id == self.runs.current


def runs(target: MessagePump, handle: Callable[[Any], None]) -> Runs:
    """Runs whose events reach `handle` on `target`'s thread (target must forward RunEvent)."""
    def deliver(run_id: int, event: Any) -> None:
        target.post_message(RunEvent(made, run_id, event, handle))

    made = Runs(deliver)
    return made
