"""The one core module that imports Textual: it starts the wizard app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wbinstall import exitcodes

if TYPE_CHECKING:
    from wbinstall.answers import LoadedAnswers


def run(loaded: LoadedAnswers | None = None, strict_overrides: tuple[str, ...] = ()) -> int:
    from wbinstall.screens.app import make_app

    app = make_app(loaded, strict_overrides=strict_overrides)
    app.run_in_terminal()
    return app.return_code or exitcodes.OK
