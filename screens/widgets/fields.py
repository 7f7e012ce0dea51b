"""A labelled one-line field, and a secret field that keeps only a reference.

A secret is entered as a reference (`env:VARIABLE` or `file:PATH`), which is what gets saved,
plus optionally its value, typed masked, used in memory for the live checks only.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label


class Row(Horizontal):
    """`label  [widget]` on one line."""

    def __init__(self, label: str, *widgets, **kwargs):
        super().__init__(**kwargs)
        self._label = label
        self._widgets = widgets

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label")
        yield from self._widgets


def field(label: str, key: str, value: object = None, placeholder: str = "", **kwargs) -> Row:
    inp = Input("" if value is None else str(value), placeholder=placeholder, id=key.replace(".", "-"),
                compact=True, **kwargs)
    inp.answer_key = tuple(key.split("."))  # type: ignore[attr-defined]
    return Row(label, inp)


def ref_text(ref: object) -> str:
    if isinstance(ref, dict):
        if ref.get("env"):
            return f"env:{ref['env']}"
        if ref.get("file"):
            return f"file:{ref['file']}"
    return ""


def parse_ref(text: str) -> dict[str, str] | None | str:
    """'env:NAME' -> {env: NAME}; 'file:PATH' -> {file: PATH}; '' -> None; otherwise an error text."""
    text = text.strip()
    if not text:
        return None
    kind, _, rest = text.partition(":")
    if kind in ("env", "file") and rest.strip():
        return {kind: rest.strip()}
    return "give env:VARIABLE or file:PATH (the value itself is never saved)"


def secret_field(label: str, key: str, ref: object, env_hint: str) -> Row:
    ref_input = Input(ref_text(ref), placeholder=f"env:{env_hint}", id=key.replace(".", "-"), compact=True,
                      classes="secret-ref")
    ref_input.answer_key = tuple(key.split("."))  # type: ignore[attr-defined]
    ref_input.is_secret_ref = True  # type: ignore[attr-defined]
    value = Input(password=True, placeholder="value (checks only)", id=key.replace(".", "-") + "-value",
                  compact=True, classes="secret-value")
    value.secret_key = tuple(key.split("."))  # type: ignore[attr-defined]
    return Row(label, ref_input, value)
