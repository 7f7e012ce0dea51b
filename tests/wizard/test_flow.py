"""The whole wizard by keyboard: forward, back, skip with a reason, save, deploy preview."""

from __future__ import annotations

from textual.widgets import Input, Log

from tests.wizard.support import ScriptedChecks, loaded_answers, wizard
from wbinstall.answers import load
from wbinstall.checks.result import Result
from wbinstall.screens.widgets.skip import SkipModal


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_into(pilot, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.pause()
    await pilot.press(*text)
    await settle(pilot)


def step(app) -> str:
    return app.screen.STEP


async def test_walk_the_whole_flow_by_keyboard(state_dir, tmp_path):
    checks = ScriptedChecks()
    app = wizard(state_dir, checks=checks)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert step(app) == "welcome"
        await pilot.press("enter")  # the Start button has focus
        await settle(pilot)

        assert step(app) == "workload"
        await pilot.press("down", "enter", "ctrl+n")  # Weave
        await settle(pilot)

        assert step(app) == "environment"
        await pilot.press("ctrl+n")  # no license yet: a field error, no step change
        await settle(pilot)
        assert step(app) == "environment"
        assert "license: is required" in str(app.screen.query_one("#errors").render())
        await type_into(pilot, "#license", "env:WB_LICENSE")
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert step(app) == "cloud"
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert step(app) == "kubernetes"
        assert app.state.results["k8s.arch"].result.status == "warn"
        await pilot.press("ctrl+n")  # a warn does not stop you
        await settle(pilot)

        assert step(app) == "database"
        await type_into(pilot, "#mysql-host", "db.internal")
        await type_into(pilot, "#mysql-password", "env:WB_DB_PASSWORD")
        assert app.state.results["mysql.settings"].result.status == "fail"
        await pilot.press("ctrl+n")  # a fail asks for a skip reason
        await settle(pilot)
        assert isinstance(app.screen, SkipModal)
        await pilot.press("enter")  # an empty reason is refused
        await settle(pilot)
        assert isinstance(app.screen, SkipModal)
        await pilot.press(*"tuned at go-live", "enter")
        await settle(pilot)

        assert step(app) == "storage"
        await pilot.press("escape")  # back: the database answers are still there
        await settle(pilot)
        assert step(app) == "database"
        assert app.screen.query_one("#mysql-host", Input).value == "db.internal"
        assert "skipped: tuned at go-live" in str(app.screen.query_one("#checks").render())
        await pilot.press("ctrl+n")  # the skip is recorded: no modal this time
        await settle(pilot)

        assert step(app) == "storage"
        await type_into(pilot, "#storage-bucket", "wandb-files")
        await type_into(pilot, "#storage-region", "us-east-1")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press(*"CORS set by the platform team", "enter")
        await settle(pilot)

        assert step(app) == "network"
        await type_into(pilot, "#host", "wandb.corp.example.com")
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert step(app) == "sizing"
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert step(app) == "review"
        await pilot.press("ctrl+n")  # saves, then shows the deploy step
        await settle(pilot)

        assert step(app) == "deploy"
        log = app.screen.query_one(Log)
        assert log.line_count > 50
        assert "kind: WeightsAndBiases" in "\n".join(log.lines)

    saved = load(tmp_path / "wbinstall-answers.yaml").answers
    assert saved.workload == "weave" and saved.cloud == "aws"
    assert saved.mysql.host == "db.internal" and saved.mysql.password.env == "WB_DB_PASSWORD"
    assert saved.license.env == "WB_LICENSE"
    assert {s.id: s.reason for s in saved.checks.skip} == {
        "mysql.settings": "tuned at go-live", "storage.cors": "CORS set by the platform team"}
    # The checks ran with each step's answers, not the placeholders of later steps.
    database_run = next(a for ids, a, _ in reversed(checks.calls) if ids[0] == "mysql.connect")
    assert database_run.mysql.host == "db.internal"


async def test_escape_in_the_skip_modal_stays_on_the_step(state_dir):
    app = wizard(state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        for name in ("workload", "environment", "cloud", "kubernetes", "database", "storage"):
            app.push_step(name)
        await settle(pilot)
        await type_into(pilot, "#storage-bucket", "b")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, SkipModal)
        await pilot.press("escape")
        await settle(pilot)
        assert step(app) == "storage"
        assert app.state.skips() == {}


async def test_typing_is_debounced_into_one_check_run(state_dir):
    checks = ScriptedChecks()
    # The debounce is Textual's timer, in real time: long enough that a loaded CI machine's gap
    # between two simulated key presses stays inside it (0.3 s once saw 8 runs for 11 keys).
    app = wizard(state_dir, checks=checks, debounce=2.0)
    async with app.run_test(size=(80, 24)) as pilot:
        for name in ("workload", "environment", "cloud", "kubernetes", "database"):
            app.push_step(name)
        await settle(pilot)
        app.screen.query_one("#mysql-password", Input).value = "env:PW"
        app.screen.query_one("#mysql-host", Input).focus()
        await pilot.press(*"db.internal")
        await pilot.pause(2.5)
        await settle(pilot)
    mysql_runs = [a for ids, a, _ in checks.calls if ids[0] == "mysql.connect"]
    assert len(mysql_runs) == 1
    assert mysql_runs[0].mysql.host == "db.internal"


async def test_no_color_is_honoured(state_dir, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = wizard(state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        assert not app.ENABLE_COMMAND_PALETTE


async def test_every_step_fits_80x24_without_horizontal_scroll(state_dir):
    from tests.wizard.support import loaded_answers
    from wbinstall.screens import flow

    app = wizard(state_dir, loaded=loaded_answers())
    async with app.run_test(size=(80, 24)) as pilot:
        for name in flow.STEPS[1:]:
            app.push_step(name)
            await settle(pilot)
            body = app.screen.query_one("#body")
            assert body.max_scroll_x == 0, name
            assert app.screen.query_one("#step-title").region.y == 0


async def test_review_saves_but_will_not_deploy_past_an_unskipped_failure(state_dir, tmp_path):
    from tests.wizard.support import loaded_answers
    from wbinstall.screens import flow

    app = wizard(state_dir, loaded=loaded_answers(base_dir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        for name in flow.STEPS[1: flow.STEPS.index("review") + 1]:
            app.push_step(name)
            await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert step(app) == "review"
        assert "mysql.settings failed" in str(app.screen.query_one("#errors").render())
    assert (tmp_path / "wbinstall-answers.yaml").is_file()


async def test_saving_elsewhere_keeps_relative_secret_files_working(state_dir, tmp_path):
    from tests.wizard.support import ANSWERS, loaded_answers
    from wbinstall.answers import resolve_secrets
    from wbinstall.screens import flow

    started = tmp_path / "from"
    started.mkdir()
    (started / "license.txt").write_text("lic\n")
    text = ANSWERS.replace("{env: WB_TEST_LICENSE}", "{file: license.txt}")
    app = wizard(state_dir, loaded=loaded_answers(text, started))
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_step("review")
        await settle(pilot)
        assert app.screen.query_one("#review-path", Input).value == str(started / "wbinstall-answers.yaml")
        app.screen.query_one("#review-path", Input).value = str(tmp_path / "elsewhere" / "a.yaml")
        (tmp_path / "elsewhere").mkdir()
        assert app.screen.action_save()
    saved = load(tmp_path / "elsewhere" / "a.yaml")
    assert saved.answers.license.file == "../from/license.txt"
    assert resolve_secrets(saved, {"WB_TEST_MYSQL_PASSWORD": "x"})[("license",)] == "lic"


async def test_quitting_does_not_wait_for_a_hung_check(state_dir):
    import time

    checks = ScriptedChecks(hold=True)  # a probe that never answers
    app = wizard(state_dir, checks=checks)
    start = time.monotonic()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_step("kubernetes")
            await pilot.pause(0.2)
            assert app.screen.running
            await pilot.press("ctrl+q")
        assert time.monotonic() - start < 3
    finally:
        checks.release.set()


async def test_a_newer_run_supersedes_an_older_one(state_dir):
    from tests.wizard.support import OUTCOMES
    from wbinstall.checks.result import Result

    older = ScriptedChecks(hold=True)
    app = wizard(state_dir, checks=older)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_step("kubernetes")
        await pilot.pause(0.2)
        assert older.calls  # the first run is in flight, held
        app.services.run_checks = ScriptedChecks({"k8s.connect": Result("k8s.connect", "fail", "newer run")})
        app.screen.action_recheck()
        await settle(pilot)
        assert app.state.results["k8s.connect"].result.summary == "newer run"
        older.release.set()  # the older run now finishes: its results must not win
        await pilot.pause(0.3)
        assert app.state.results["k8s.connect"].result.summary == "newer run"
        assert OUTCOMES["k8s.connect"].summary != "newer run"


async def test_a_typed_secret_needs_a_reference_before_next(state_dir):
    checks = ScriptedChecks()
    app = wizard(state_dir, checks=checks)
    async with app.run_test(size=(80, 24)) as pilot:
        for name in ("workload", "environment", "cloud", "kubernetes", "database"):
            app.push_step(name)
        await settle(pilot)
        await type_into(pilot, "#mysql-host", "db.internal")
        await type_into(pilot, "#mysql-password-value", "typed-only")
        # The typed value alone is enough to check with ...
        assert app.state.results["mysql.connect"].result.status == "pass"
        assert checks.calls[-1][2][("mysql", "password")] == "typed-only"
        # ... but not to go on: the answers file needs to say where it will come from.
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert step(app) == "database"
        errors = str(app.screen.query_one("#errors").render())
        assert "mysql.password: the typed value is not saved" in errors


async def test_save_asks_before_overwriting_a_file_wbinstall_did_not_write(state_dir, tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    app = wizard(state_dir, loaded=loaded_answers())
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_step("review")
        await settle(pilot)
        app.screen.query_one("#review-path", Input).value = str(kubeconfig)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert kubeconfig.read_text() == "apiVersion: v1\nkind: Config\n"
        assert "exists and was not written by wbinstall" in str(app.screen.query_one("#errors").render())
        await pilot.press("ctrl+s")      # said twice: the user means it
        await pilot.pause()
        assert kubeconfig.read_text().startswith("# Written by the wbinstall wizard")
        await pilot.press("ctrl+s")      # ours now: no question
        await pilot.pause()
        assert not str(app.screen.query_one("#errors").render())


# ---- strict checks: Ctrl-O refuses them unless the wizard was started with --override-strict ---

ARCH_FAILS = {"k8s.arch": Result("k8s.arch", "fail", "2 of 4 nodes are arm64", remedy="Use amd64 nodes.")}


async def _at_kubernetes(pilot, app):
    for name in ("workload", "environment", "cloud", "kubernetes"):
        app.push_step(name)
    await settle(pilot)
    assert step(app) == "kubernetes"


async def test_a_failed_strict_check_cannot_be_skipped(state_dir):
    app = wizard(state_dir, checks=ScriptedChecks(ARCH_FAILS))
    async with app.run_test(size=(80, 24)) as pilot:
        await _at_kubernetes(pilot, app)
        await pilot.press("ctrl+n")  # a plain failure would ask for a reason; a strict one is refused
        await settle(pilot)
        assert not isinstance(app.screen, SkipModal)
        assert step(app) == "kubernetes"
        assert app.state.skips() == {}
        assert any("k8s.arch is a strict check" in str(n.message) for n in app._notifications)


async def test_with_the_flag_a_strict_check_may_be_skipped_and_the_saved_answers_record_it(state_dir, tmp_path):
    app = wizard(state_dir, checks=ScriptedChecks(ARCH_FAILS), strict_overrides=("k8s.arch",))
    async with app.run_test(size=(80, 24)) as pilot:
        await _at_kubernetes(pilot, app)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, SkipModal)
        await pilot.press(*"lab cluster on arm", "enter")
        await settle(pilot)
        assert step(app) == "database"
    assert app.state.get(("checks", "strictOverrides")) == ["k8s.arch"]
    assert app.state.skips() == {"k8s.arch": "lab cluster on arm"}
