"""Radio buttons and checkboxes whose state shows without colour (NO_COLOR, monochrome terminals)."""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton


class Choice(RadioButton):
    def render(self):
        self.BUTTON_INNER = "●" if self.value else " "
        return super().render()


class Tick(Checkbox):
    def render(self):
        self.BUTTON_INNER = "X" if self.value else " "
        return super().render()
