"""The Database step running the real mysql.* checks against a sandbox MySQL server."""

from __future__ import annotations

from textual.widgets import Input

from sandbox.mysql_mimic_server import DEFAULT_PASSWORD, WANDB_RECOMMENDED
from tests.wizard.support import FakeClock, loaded_answers
from wbinstall.screens.app import make_app
from wbinstall.checklist import for_step

MYSQL_IDS = for_step("database")

pytest_plugins = ["sandbox.fixtures_net"]


async def finished(pilot) -> None:
    """Real I/O: wait until the newest check run has delivered every result."""
    await pilot.pause(0.1)
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if not pilot.app.screen.running:
            return
    raise AssertionError("checks did not finish")


async def test_database_step_checks_a_real_server(sandbox_mysql, state_dir):
    db = sandbox_mysql("mysql-8.4.8", variables=WANDB_RECOMMENDED)
    answers = loaded_answers(
        "apiVersion: wbinstall/v1\nworkload: models\nenvironment: test\ncloud: other\nhost: wandb.sandbox.test\n"
        "license: {env: WB_TEST_LICENSE}\n"
        f"mysql: {{host: '{db.host}', port: {db.port}, database: {db.database}, user: {db.user}, "
        "password: {env: WB_TEST_MYSQL_PASSWORD}}\n"
        "storage: {provider: s3, bucket: b, region: us-east-1}\n")
    app = make_app(answers, clock=FakeClock(), state_dir=state_dir, debounce=0)  # the real check engine
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_step("database")
        await finished(pilot)
        # $WB_TEST_MYSQL_PASSWORD is not set: the server turns the login down.
        assert app.state.results["mysql.connect"].result.status == "fail"

        app.screen.query_one("#mysql-password-value", Input).focus()
        await pilot.press(*DEFAULT_PASSWORD)
        await finished(pilot)
        statuses = {i: app.state.results[i].result.status for i in MYSQL_IDS}
        assert statuses == {i: "pass" for i in MYSQL_IDS}
        assert "8.4.8" in app.state.results["mysql.version"].result.summary
        shown = str(app.screen.query_one("#checks").render())
        assert "✔ mysql.connect" in shown and DEFAULT_PASSWORD not in shown
