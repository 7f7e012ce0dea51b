"""Database: the MySQL W&B uses; live mysql.* checks."""

from __future__ import annotations

from textual.app import ComposeResult

from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.fields import Row, field, secret_field
from wbinstall.screens.widgets.toggles import Tick


class DatabaseScreen(StepScreen):
    STEP, HEADING = "database", "Database (MySQL 8)"
    INTRO = "The MySQL server W&B stores its metadata in."
    OWNS = (("mysql",),)
    NEEDS = (("mysql", "host"), ("mysql", "password"))

    def compose_form(self) -> ComposeResult:
        get = lambda name: self.state.get(("mysql", name))  # noqa: E731
        yield field("Host", "mysql.host", get("host"), placeholder="db.example.com")
        yield field("Port", "mysql.port", get("port"), placeholder="3306")
        yield field("Database", "mysql.database", get("database"), placeholder="wandb_local")
        yield field("User", "mysql.user", get("user"), placeholder="wandb")
        yield secret_field("Password", "mysql.password", get("password"), "WANDB_MYSQL_PASSWORD")
        yield Row("", Tick("connect with TLS", bool(get("tls")), id="mysql-tls", compact=True))

    def convert(self, key, text: str) -> object:
        if key == ("mysql", "port"):
            text = text.strip()
            return int(text) if text.isdigit() else text
        return text

    def on_checkbox_changed(self, event: Tick.Changed) -> None:
        self.state.set(("mysql", "tls"), True if event.value else None)
        self.answers_changed()
