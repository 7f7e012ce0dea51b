"""End to end, as `python -m sandbox wizard` runs it: the whole sandbox, the real check engine,
every step walked by keyboard from the sandbox's answers file to the deploy preview."""

from __future__ import annotations

import pytest

from tests.wizard.support import FakeClock
from tests.wizard.test_live_mysql import finished
from wbinstall.answers import load
from wbinstall.checklist import CHECK_IDS
from wbinstall.screens import flow
from wbinstall.screens.app import make_app


@pytest.fixture(scope="module")
def sandbox_answers(tmp_path_factory):
    from sandbox.__main__ import running

    with running(tmp_path_factory.mktemp("sandbox")) as answers:
        yield answers


async def test_walk_every_step_against_the_sandbox(sandbox_answers, state_dir):
    loaded = load(sandbox_answers)
    app = make_app(loaded, clock=FakeClock(), state_dir=state_dir, debounce=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await finished(pilot)
        await pilot.press("enter")  # Start
        for name in flow.STEPS[1:-1]:
            await finished(pilot)
            assert app.screen.STEP == name
            await pilot.press("ctrl+n")  # nothing fails in the sandbox: no skip is asked for
        await finished(pilot)
        assert app.screen.STEP == "deploy"
        assert "kind: WeightsAndBiases" in "\n".join(app.screen.query_one("Log").lines)

    statuses = {i: app.state.results[i].result.status for i in CHECK_IDS}
    assert "fail" not in statuses.values(), statuses
    assert statuses["tls.certificate"] == "warn"  # the sandbox's private CA is not recommended
    saved = load(sandbox_answers.parent / "wbinstall-answers.yaml")
    assert saved.answers.model_dump() == loaded.answers.model_dump()
