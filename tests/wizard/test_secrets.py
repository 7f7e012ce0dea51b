"""No secret typed into the wizard reaches a snapshot, a saved file, the progress file or a log."""

from __future__ import annotations

import logging
from pathlib import Path

from textual.widgets import Input

from tests.wizard.support import ScriptedChecks, loaded_answers, wizard
from tests.wizard.test_snapshots import TYPED_SECRET
from wbinstall.screens import flow

SNAPSHOTS = Path(__file__).resolve().parents[2] / "snapshots"
SECRETS = {
    "#license-value": "lic-Secret-0a1b2c",
    "#mysql-password-value": "db-Secret-3d4e5f",
    "#storage-accessKey-value": "ak-Secret-6a7b8c",
    "#storage-secretKey-value": "sk-Secret-9d0e1f",
}


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_typed_secrets_stay_in_memory(state_dir, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    checks = ScriptedChecks()
    app = wizard(state_dir, loaded=loaded_answers(), checks=checks)
    screens: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        for name in flow.STEPS[1:]:
            app.push_step(name)
            await settle(pilot)
            for selector, value in SECRETS.items():
                for inp in app.screen.query(selector).results(Input):
                    inp.focus()
                    await pilot.press(*value)
                    await settle(pilot)
            screens.append(app.export_screenshot())
            if name == "review":
                assert app.screen.action_save()
        await settle(pilot)
        screens.append(app.export_screenshot())

    # The values were used: the checks got them.
    last = {ids[0]: secrets for ids, _, secrets in checks.calls}
    assert last["mysql.connect"][("mysql", "password")] == SECRETS["#mysql-password-value"]
    assert last["storage.access"][("storage", "secretKey")] == SECRETS["#storage-secretKey-value"]

    out, err = capfd.readouterr()
    places = {"screen": "\n".join(screens), "log records": caplog.text, "stdout": out, "stderr": err}
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            places[str(path)] = path.read_text(errors="replace")
    assert (tmp_path / "wbinstall-answers.yaml").is_file() and (state_dir / "progress.yaml").is_file()
    for where, text in places.items():
        for value in SECRETS.values():
            assert value not in text, f"a secret leaked into {where}"


def test_no_snapshot_holds_a_typed_secret():
    svgs = list(SNAPSHOTS.rglob("*.svg"))
    assert svgs
    assert any("a_typed_secret_value_is_masked" in p.name for p in svgs)
    for path in svgs:
        text = path.read_text()
        for value in [TYPED_SECRET, *SECRETS.values()]:
            assert value not in text, path.name
