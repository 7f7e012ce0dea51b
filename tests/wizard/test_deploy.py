"""The Deploy step: Deploy runs the install in a thread worker and draws its events.

Snapshots are fed by ScriptedRollout (fixed events, no clock, no cluster); the pilot test
at the end deploys into the sandbox cluster for real."""

from __future__ import annotations

import pytest
from tests.wizard.support import FakeClock, ScriptedRollout, attach_events, loaded_answers, wizard
from tests.wizard.test_snapshots import SIZES, at_step
from wbinstall.screens import flow


async def steady(pilot) -> None:
    """The activity log scrolled to its end once its size is known: the same picture every run."""
    await pilot.pause()
    pilot.app.screen.query_one("#deploy-log").scroll_end(animate=False, immediate=True)
    await pilot.pause()


async def until(pilot, predicate, timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the deploy screen never got there")


async def open_deploy(pilot) -> None:
    """Walk to Review (its workers settled), then open Deploy: its attach may still run."""
    await at_step("review", FakeClock())(pilot)
    pilot.app.push_step("deploy")
    await pilot.pause()


def deploying(app, rollout: ScriptedRollout):
    """Deploy pressed; every in-progress event drawn."""
    async def run_before(pilot) -> None:
        await at_step("deploy", FakeClock())(pilot)
        await pilot.press("ctrl+d")
        await until(pilot, lambda: app.screen.view is not None
                    and ("StatefulSet", "wandb-redis-master") in app.screen.view.rows)
        await steady(pilot)

    return run_before


def deployed(app):
    async def run_before(pilot) -> None:
        await at_step("deploy", FakeClock())(pilot)
        await pilot.press("ctrl+d")
        await until(pilot, lambda: not app.screen._deploying and app.screen.view is not None)
        await pilot.app.workers.wait_for_complete()
        await steady(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_deploy_in_progress(snap_compare, state_dir, size):
    rollout = ScriptedRollout(hold=True)
    app = wizard(state_dir, loaded=loaded_answers(), rollout=rollout)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=deploying(app, rollout))
    finally:
        rollout.release.set()


@pytest.mark.parametrize("size", SIZES)
def test_deploy_finished_ready(snap_compare, state_dir, size):
    app = wizard(state_dir, loaded=loaded_answers())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=deployed(app))


def test_deploy_timed_out_shows_what_is_not_ready_and_next_commands(snap_compare, state_dir):
    from wbinstall.rollout.events import Finished, Outcome
    from wbinstall.rollout.follow import next_commands
    from wbinstall.rollout.judge import CustomResourceState, ResourceState

    stuck = ResourceState("Deployment", "wandb-app-bc", 0, 1, "progressing",
                          "Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.")
    cr = CustomResourceState("wandb", "Completed", "ready")
    timeout = Finished(Outcome("timeout", "workloads", 1200, 1200, (stuck,), cr,
                               "not ready within 1200 s (3/3: workloads)",
                               tuple(next_commands("wandb", [stuck], cr, "wandb-controller-manager"))))
    app = wizard(state_dir, loaded=loaded_answers(), rollout=ScriptedRollout(finish=[timeout]))
    assert snap_compare(app, run_before=deployed(app))


async def test_deploy_is_a_footer_key_and_a_button_and_esc_stops_following(state_dir):
    rollout = ScriptedRollout(hold=True)
    app = wizard(state_dir, loaded=loaded_answers(), rollout=rollout)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await at_step("deploy", FakeClock())(pilot)
            screen = app.screen
            shown = {a.binding.key: a.binding.description for a in screen.active_bindings.values()
                     if a.binding.show and a.enabled}
            assert shown.get("ctrl+d") == "Deploy", shown
            await pilot.click("#deploy-button")
            await until(pilot, lambda: screen.view is not None and screen.view.phase == "workloads")
            assert screen._deploying and len(rollout.calls) == 1
            assert rollout.calls[0].kubernetes.namespace == "wandb"

            await pilot.press("escape")  # stops following, stays on the screen
            await until(pilot, lambda: not screen._deploying)
            assert rollout.cancelled and app.screen is screen
            assert "Stopped following" in str(screen.query_one("#deploy-result").render())

            await pilot.press("escape")  # now back to Review
            await pilot.pause()
            assert app.screen.STEP == "review"
    finally:
        rollout.release.set()


def test_opening_deploy_while_an_install_is_under_way_follows_it(snap_compare, state_dir):
    attach = ScriptedRollout(hold=True, events=attach_events())
    rollout = ScriptedRollout()
    app = wizard(state_dir, loaded=loaded_answers(), rollout=rollout, attach=attach)

    async def run_before(pilot) -> None:
        await open_deploy(pilot)   # no key pressed on Deploy
        await until(pilot, lambda: app.screen.view is not None
                    and ("StatefulSet", "wandb-redis-master") in app.screen.view.rows)
        await steady(pilot)

    try:
        assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=run_before)
        assert len(attach.calls) == 1 and rollout.calls == []   # followed, applied nothing
    finally:
        attach.release.set()


async def test_opening_deploy_with_nothing_in_the_cluster_waits_for_deploy(state_dir):
    app = wizard(state_dir, loaded=loaded_answers())   # attach finds nothing
    async with app.run_test(size=(80, 24)) as pilot:
        await at_step("deploy", FakeClock())(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert screen.view is None and not screen._deploying
        assert str(screen.query_one("#deploy-button").label) == "Deploy"
        assert "objects, applied in this order" in "\n".join(screen.query_one("#deploy-log").lines)


async def test_deploy_pressed_while_attaching_takes_over(state_dir):
    attach = ScriptedRollout(hold=True, events=attach_events())
    rollout = ScriptedRollout()
    app = wizard(state_dir, loaded=loaded_answers(), rollout=rollout, attach=attach)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_deploy(pilot)
            screen = app.screen
            await until(pilot, lambda: screen.view is not None and screen.view.attached)
            await pilot.press("ctrl+d")
            await until(pilot, lambda: screen.view is not None and screen.view.finished and not screen._deploying)
            await until(pilot, lambda: attach.cancelled)      # the attach worker was cancelled
            assert len(rollout.calls) == 1 and screen.view.outcome.ok
            assert not screen.view.attached and screen.view.done == 11
    finally:
        attach.release.set()


def test_deploy_is_the_last_step():
    assert flow.STEPS[-1] == "deploy"


# ----- for real: the sandbox cluster with the operator stand-in ------------------------------
from tests.apply.support import LAB, answers_file, cleanup_cluster_scoped, kube_for  # noqa: E402,F401 - fixture


async def test_deploy_installs_into_the_sandbox_and_reaches_ready(sandbox_kube, sandbox_kube_operator,
                                                                   cleanup_cluster_scoped, state_dir, tmp_path,
                                                                   monkeypatch):
    from wbinstall.answers import load
    from wbinstall.apply.lock import LEASE_NAME, InstallLock
    from wbinstall.screens.app import make_app

    monkeypatch.setenv("WB_TEST_LICENSE", "test-license-0001")
    monkeypatch.setenv("WB_TEST_MYSQL_PASSWORD", "test-mysql-password")
    ns = sandbox_kube_operator.namespace
    overrides = tuple(LAB[1].split(","))  # the skipped strict checks' servers are not started here
    loaded = load(answers_file(tmp_path, sandbox_kube, ns), overrides)   # the checks ran on the earlier steps
    app = make_app(loaded, clock=FakeClock(), state_dir=state_dir, debounce=0,   # the real installer
                   strict_overrides=overrides)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_step("deploy")
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+d")
        await until(pilot, lambda: screen.view is not None and screen.view.finished and not screen._deploying,
                    timeout=240)
        view = screen.view
        assert view.outcome is not None and view.outcome.ok, (view.error, view.outcome)
        result = str(screen.query_one("#deploy-result").render())
        assert "https://wandb.sandbox.test" in result and "wandb verify" in result
        assert view.applied.get("created", 0) >= 10
        assert all(s.status == "ready" for s in view.rows.values())
        log = "\n".join(screen.query_one("Log").lines)
        assert "apply: WeightsAndBiases wandb: created" in log
        assert "test-license-0001" not in log + result
        kube = kube_for(sandbox_kube)
        assert kube.get(f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{LEASE_NAME}") is None  # released
        assert kube.get(f"/apis/apps.wandb.com/v1/namespaces/{ns}/weightsandbiases/wandb") is not None

        # Another install holds the lock: Deploy again applies nothing and follows its rollout.
        with InstallLock(kube, ns, who="jump-host/4242/alice"):
            await pilot.press("ctrl+d")
            await until(pilot, lambda: screen.view is not view and screen.view.finished and not screen._deploying,
                        timeout=120)
        again = screen.view
        assert again.outcome is not None and again.outcome.ok, (again.error, again.outcome)
        assert again.refused.startswith("jump-host/4242/alice since ") and not again.applied
        status = str(screen.query_one("#deploy-status").render())
        assert "another install holds the lock: jump-host/4242/alice since" in status
        assert "following that install's rollout" in "\n".join(screen.query_one("Log").lines)

        # A restarted wizard (the SSH session dropped) opens Deploy: it follows, applying nothing.
        for note, holder in (("W&B is already installed here", None), ("an install is under way", "bob")):
            await pilot.press("escape")
            await pilot.pause()
            lock = InstallLock(kube, ns, who="jump-host/4343/bob") if holder else None
            try:
                if lock:
                    lock.acquire()
                app.push_step("deploy")
                await until(pilot, lambda: app.screen.STEP == "deploy" and app.screen.view is not None
                            and app.screen.view.finished and not app.screen._deploying, timeout=120)
            finally:
                if lock:
                    lock.release()
            view = app.screen.view
            assert view.outcome is not None and view.outcome.ok, (view.error, view.outcome)
            assert view.attached.startswith(note) and not view.applied and view.count == 0
            if holder:
                assert "jump-host/4343/bob since" in view.attached
            assert "attach: " in "\n".join(app.screen.query_one("Log").lines)
