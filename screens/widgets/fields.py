"""A labelled one-line field, and a secret field that keeps only a reference.

A secret is entered as a reference (`env:VARIABLE` or `file:PATH`), which is what gets saved,
plus optionally its value, typed masked, used in memory for the live checks only.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

Key = tuple[str, ...]


class AnswerInput(Input):
    """The text of one answer, at `key` in the answers file."""

    class Answered(Message):
        """The answer's text changed (posted to the screen; `text` as typed)."""

        def __init__(self, input: AnswerInput, text: str) -> None:
            super().__init__()
            self.input, self.key, self.text = input, input.key, text

        @property
        def control(self) -> AnswerInput:
            return self.input

    def __init__(self, key: Key, value: str = "", **kwargs) -> None:
        super().__init__(value, **kwargs)
        self.key = key

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Answered(self, event.value))


class SecretRefInput(AnswerInput):
    """Where a secret comes from: `env:VARIABLE` or `file:PATH` (all that is ever saved)."""

    def reference(self) -> dict[str, str] | None | str:
        return parse_ref(self.value)


class SecretValueInput(Input):
    """A secret's value, typed masked: memory only, for the live checks."""

    class Typed(Message):
        def __init__(self, key: Key, value: str) -> None:
            super().__init__()
            self.key, self.value = key, value

    def __init__(self, key: Key, **kwargs) -> None:
        super().__init__(password=True, **kwargs)
        self.key = key

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Typed(self.key, event.value))


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
    return Row(label, AnswerInput(tuple(key.split(".")), "" if value is None else str(value), placeholder=placeholder,
                                  id=key.replace(".", "-"), compact=True, **kwargs))


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
    path = tuple(key.split("."))
    ref_input = SecretRefInput(path, ref_text(ref), placeholder=f"env:{env_hint}", id=key.replace(".", "-"),
                               compact=True, classes="secret-ref")
    value = SecretValueInput(path, placeholder="value (checks only)", id=key.replace(".", "-") + "-value",
                             compact=True, classes="secret-value")
    return Row(label, ref_input, value)
