"""Every screen at 80x24 and 120x40, with check results in pass, warn and fail states."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.wizard.support import FakeClock, ScriptedChecks, loaded_answers, wizard
from wbinstall.checks.result import Result
from wbinstall.screens import flow

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
STEPS = [s for s in flow.STEPS if s != "welcome"]


async def settle(pilot, clock: FakeClock | None = None) -> None:
    """Workers done, results 42 s old, no blinking cursor: the same picture on every run."""
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    if clock is not None:
        clock.now += 42
    for screen in app.screen_stack:
        for inp in screen.query(Input):
            inp.cursor_blink = False
        if hasattr(screen, "refresh_checks"):
            screen.refresh_checks()
    await pilot.pause()


def at_step(step: str, clock: FakeClock):
    async def run_before(pilot) -> None:
        for name in flow.STEPS[1: flow.STEPS.index(step) + 1]:
            pilot.app.push_step(name)
            await pilot.pause()
        await settle(pilot, clock)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_welcome(snap_compare, state_dir, size):
    assert snap_compare(wizard(state_dir), terminal_size=SIZES[size], run_before=settle)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", STEPS)
def test_step_prefilled_with_live_results(snap_compare, state_dir, step, size):
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), clock=clock)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=at_step(step, clock))


def test_welcome_offers_to_resume(snap_compare, state_dir):
    from wbinstall.screens import progress

    progress.save(state_dir, "database", {"apiVersion": "wbinstall/v1", "workload": "weave"})
    assert snap_compare(wizard(state_dir), run_before=settle)


def test_field_error_for_a_url_given_as_host(snap_compare, state_dir):
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), clock=clock)

    async def run_before(pilot):
        await at_step("network", clock)(pilot)
        host = pilot.app.screen.query_one("#host", Input)
        host.value = "https://wandb.example.com/"
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(app, run_before=run_before)


def test_skip_modal_asks_for_a_reason(snap_compare, state_dir):
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), clock=clock)

    async def run_before(pilot):
        await at_step("database", clock)(pilot)
        await pilot.press("ctrl+n")  # mysql.settings failed: Next asks to skip it
        await settle(pilot)

    assert snap_compare(app, run_before=run_before)


def test_checks_in_flight_are_visible(snap_compare, state_dir):
    checks = ScriptedChecks(hold=True)
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), checks=checks, clock=clock)

    async def run_before(pilot):
        pilot.app.push_step("workload")
        pilot.app.push_step("environment")
        pilot.app.push_step("cloud")
        pilot.app.push_step("kubernetes")
        await pilot.pause()
        for inp in pilot.app.screen.query(Input):
            inp.cursor_blink = False
        await pilot.pause()

    try:
        assert snap_compare(app, run_before=run_before)
    finally:
        checks.release.set()


TYPED_SECRET = "typed-db-Secret-77"  # tests/wizard/test_secrets.py looks for it in every snapshot


def test_a_typed_secret_value_is_masked(snap_compare, state_dir):
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), clock=clock)

    async def run_before(pilot):
        await at_step("database", clock)(pilot)
        pilot.app.screen.query_one("#mysql-password-value", Input).focus()
        await pilot.press(*TYPED_SECRET)
        await settle(pilot)

    assert snap_compare(app, run_before=run_before)


def test_no_color_still_shows_every_state(snap_compare, state_dir, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # read when the App is created
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), clock=clock)
    assert snap_compare(app, run_before=at_step("database", clock))


LONG_RESULTS = {
    "dns.a-record": Result(
        "dns.a-record", "fail",
        "wandb.example.com resolves to 198.51.100.7 and 198.51.100.8, neither of which is the "
        "ingress address 203.0.113.10",
        remedy="Point the A record of wandb.example.com at 203.0.113.10 (the ingress controller's "
               "load balancer), then wait for the old records' TTL (300 s) to pass:\n"
               "  wandb.example.com. 300 IN A 203.0.113.10"),
}


def test_wrapped_check_lines_keep_their_column(snap_compare, state_dir):
    # At 80 columns the summary continues under the summary and the remedy under the remedy.
    clock = FakeClock()
    app = wizard(state_dir, loaded=loaded_answers(), checks=ScriptedChecks(LONG_RESULTS), clock=clock)

    async def run_before(pilot):
        await at_step("network", clock)(pilot)
        pilot.app.screen.query_one("#checks").focus()  # scrolls the panel into view
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
