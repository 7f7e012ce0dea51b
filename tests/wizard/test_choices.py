"""Choices follow the highlight: ↑/↓ and Ctrl+N alone pick the workload and environment, and the
sizing that follows is the one for what was highlighted."""

from __future__ import annotations

from textual.widgets import Static

from tests.wizard.support import ANSWERS, ScriptedChecks, loaded_answers, wizard
from wbinstall.checks.result import Result
from wbinstall.screens.widgets.toggles import Choices

# Every check passes or warns, so Ctrl+N never stops for a skip reason on the way to Sizing.
PASSING = {"mysql.settings": Result("mysql.settings", "pass", "W&B's settings are in place")}


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown_choice(app) -> tuple[str, str]:
    """(the pressed button, the highlighted button) of the step's choice list."""
    choices = app.screen.query_one(Choices)
    highlighted = choices.query(".-selected").first()
    return choices.pressed_button.name, highlighted.name


async def test_arrows_and_ctrl_n_choose_workload_environment_and_sizing(state_dir):
    app = wizard(state_dir, loaded=loaded_answers(), checks=ScriptedChecks(PASSING))  # models, production, aws
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert app.screen.STEP == "workload"
        assert shown_choice(app) == ("models", "models")
        await pilot.press("down", "down")
        await settle(pilot)
        assert shown_choice(app) == ("models-and-weave", "models-and-weave")
        await pilot.press("up")
        await settle(pilot)
        assert shown_choice(app) == ("weave", "weave")
        assert app.state.get(("workload",)) == "weave"
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert app.screen.STEP == "environment"
        assert shown_choice(app) == ("production", "production")
        await pilot.press("up")
        await settle(pilot)
        assert shown_choice(app) == ("test", "test")
        await pilot.press("ctrl+n")
        await settle(pilot)

        while app.screen.STEP != "sizing":  # cloud, kubernetes, database, storage, network
            step = app.screen.STEP
            await pilot.press("ctrl+n")
            await settle(pilot)
            assert app.screen.STEP != step, f"Ctrl+N did not leave {step}"

        shown = str(app.screen.query_one("#recommendation", Static).render())
        assert shown.startswith("Weave, test / dev, AWS")
        assert "each worker node  4 CPU, 32 GiB memory" in shown and "r6i.xlarge" in shown

    assert app.state.get(("workload",)) == "weave" and app.state.get(("environment",)) == "test"


async def test_the_highlight_starts_on_the_saved_choice(state_dir):
    # Down from a saved "weave" is "models-and-weave": the highlight did not start on the first button.
    answers = loaded_answers(ANSWERS.replace("workload: models", "workload: weave"))
    app = wizard(state_dir, loaded=answers)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert shown_choice(app) == ("weave", "weave")
        await pilot.press("down")
        await settle(pilot)
        assert shown_choice(app) == ("models-and-weave", "models-and-weave")


async def test_enter_keeps_the_choice(state_dir):
    app = wizard(state_dir, loaded=loaded_answers())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n", "down", "enter", "space")
        await settle(pilot)
        assert shown_choice(app) == ("weave", "weave")


async def test_the_workload_step_says_what_each_choice_means_and_changes(state_dir):
    app = wizard(state_dir, loaded=loaded_answers())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        labels = [str(b.label) for b in app.screen.query_one(Choices).query("Choice")]
        assert labels[0].startswith("Models ") and "experiment tracking" in labels[0]
        assert labels[1].startswith("Weave ") and "LLM applications" in labels[1]
        assert labels[2].startswith("Models and Weave ") and "both" in labels[2]
        effect = str(app.screen.query_one("#workload-effect", Static).render())
        # From assets/requirements.yaml: production worker nodes for models, weave, both.
        assert "in production 8, 12 or 16 CPU and 64, 96 or 128 GiB" in effect
