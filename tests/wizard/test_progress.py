"""Progress survives a dropped connection: saved as you go (0600, no secrets), resumed on start."""

from __future__ import annotations

import stat

import yaml
from textual.widgets import Button, Input

from tests.wizard.support import wizard
from wbinstall.screens import progress


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def reach_database(pilot) -> None:
    await pilot.press("enter")  # Start
    await settle(pilot)
    await pilot.press("ctrl+n")  # workload: Models
    await settle(pilot)
    pilot.app.screen.query_one("#license", Input).focus()
    await pilot.press(*"env:WB_LICENSE", "ctrl+n")
    await settle(pilot)
    await pilot.press("ctrl+n", "ctrl+n")  # cloud, kubernetes
    await settle(pilot)
    assert pilot.app.screen.STEP == "database"


async def test_a_rerun_offers_to_resume_where_the_user_was(state_dir):
    first = wizard(state_dir)
    async with first.run_test(size=(80, 24)) as pilot:
        await reach_database(pilot)
        pilot.app.screen.query_one("#mysql-host", Input).focus()
        await pilot.press(*"db.internal")
        await settle(pilot)
    # The connection dropped here; the next start finds the progress.

    second = wizard(state_dir)
    async with second.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert second.focused is second.screen.query_one("#resume", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert second.screen.STEP == "database"
        assert second.screen.query_one("#mysql-host", Input).value == "db.internal"
        await pilot.press("escape")  # the earlier steps are on the stack again
        await settle(pilot)
        assert second.screen.STEP == "kubernetes"


async def test_start_over_forgets_the_saved_progress(state_dir):
    progress.save(state_dir, "storage", {"apiVersion": "wbinstall/v1", "workload": "weave"})
    app = wizard(state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "enter")  # "Start over"
        await settle(pilot)
        assert app.screen.STEP == "workload"
        assert app.state.get(("workload",)) == "models"


async def test_progress_file_is_private_and_holds_references_only(state_dir):
    app = wizard(state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await reach_database(pilot)
        pilot.app.screen.query_one("#mysql-password-value", Input).focus()
        await pilot.press(*"typed-db-Secret-77")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
    path = state_dir / progress.FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "typed-db-Secret-77" not in text
    saved = yaml.safe_load(text)
    assert saved["answers"]["license"] == {"env": "WB_LICENSE"}


def test_prefilled_wizard_does_not_offer_resume(state_dir):
    from tests.wizard.support import loaded_answers

    progress.save(state_dir, "storage", {"apiVersion": "wbinstall/v1"})
    app = wizard(state_dir, loaded=loaded_answers())
    assert app.prefilled


def test_state_dir_honours_the_environment(tmp_path, monkeypatch):
    from wbinstall.paths import state_dir

    monkeypatch.setenv("WBINSTALL_STATE_DIR", str(tmp_path / "s"))
    assert state_dir() == tmp_path / "s"
