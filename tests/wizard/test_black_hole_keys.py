"""The wizard stays responsive while a real check waits on a black hole (the engine, not a
scripted stand-in): keys move focus and Esc leaves the step while the probe still waits."""

from __future__ import annotations

import yaml

from sandbox.black_holes import SECRET_ENV, BlackHoles, answers
from tests.wizard.support import FakeClock, loaded_answers
from wbinstall.screens.app import make_app


async def test_keys_answer_while_the_database_check_waits_on_a_silent_server(tmp_path, state_dir, monkeypatch):
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    with BlackHoles() as holes:
        data, _ = answers("mysql", holes.silent(), tmp_path)
        data["checks"]["timeout"] = 30  # far longer than the test: the probe is still waiting at the end
        app = make_app(loaded_answers(yaml.safe_dump(data)), clock=FakeClock(), state_dir=state_dir, debounce=0)
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_step("database")
            await pilot.pause(0.5)
            assert app.screen.running and app.screen.STEP == "database"
            before = app.focused
            await pilot.press("tab")
            await pilot.pause(0.1)
            assert app.focused is not before  # the key was handled while the probe waits
            await pilot.press("escape")
            await pilot.pause(0.2)
            assert app.screen.STEP != "database"  # left the step; the probe is abandoned, not awaited
