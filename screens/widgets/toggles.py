"""Radio buttons and checkboxes whose state shows without colour (NO_COLOR, monochrome terminals),
and a radio set whose choice follows the highlight."""

from __future__ import annotations

from textual.events import Mount
from textual.widgets import Checkbox, RadioButton, RadioSet


class Choice(RadioButton):
    def render(self):
        self.BUTTON_INNER = "●" if self.value else " "
        return super().render()


class Tick(Checkbox):
    def render(self):
        self.BUTTON_INNER = "X" if self.value else " "
        return super().render()


class Choices(RadioSet):
    """A RadioSet in which ↑/↓ choose: the highlighted button is the pressed one, so what the
    screen shows highlighted is what Ctrl+N continues with (Textual's RadioSet only moves the
    highlight and leaves the choice to Enter). Enter and Space change nothing more."""

    _following = False  # off while RadioSet's mount picks its first highlight

    def _on_mount(self, event: Mount) -> None:
        # Textual calls this before RadioSet's own mount handler (subclass first): act after it.
        self.call_later(self._follow)

    def _follow(self) -> None:
        if self.pressed_button is not None:  # start on the choice, not on the first button
            self._selected = self._nodes.index(self.pressed_button)
        self._following = True

    def watch__selected(self) -> None:
        super().watch__selected()
        if self._following and self._selected is not None:
            button = self._nodes[self._selected]
            if isinstance(button, RadioButton) and not button.value:
                button.value = True  # RadioSet turns the others off and posts Changed
