"""The Deploy step's picture of an install, as text: what it tells a user in a few edge cases."""

from __future__ import annotations

import getpass
import socket
from datetime import datetime, timezone

from wbinstall.apply.lock import Holder
from wbinstall.rollout.events import Finished, Outcome
from wbinstall.screens.widgets.rollout import DeployView
from wbinstall.session.install import Attached

NOW = datetime(2026, 12, 2, 9, 15, 0, tzinfo=timezone.utc)


def view_after(*events) -> DeployView:
    view = DeployView("wandb.example.com", "wandb")
    for e in events:
        view.take(e)
    return view


def test_a_lock_held_by_this_users_other_process_here_says_it_may_be_their_own_and_when_it_frees():
    mine = Holder(f"{socket.gethostname()}/4242/{getpass.getuser()}", NOW, NOW, 30)
    text = view_after(Attached("wandb", mine)).status().plain
    assert "perhaps your own earlier session" in text and "frees at 09:15:30 UTC" in text


def test_a_colleagues_lock_is_not_called_yours():
    theirs = Holder("jump-host/4242/alice", NOW, NOW, 30)
    text = view_after(Attached("wandb", theirs)).status().plain
    assert "jump-host/4242/alice" in text and "your own" not in text


def test_after_esc_the_text_says_deploy_applies_again_not_that_it_only_follows():
    cancelled = Outcome(status="cancelled", phase="workloads", message="stopped following")
    text = view_after(Finished(cancelled)).result().plain
    assert "Deploy applies your answers again" in text and "follow it again" not in text


def test_a_ready_rollout_is_not_called_ready_until_verify_is_done():
    """The rollout's end arrives a moment before the lock is given back and verify.* starts:
    that moment says "verifying", not "W&B is ready" (the screen once flashed ready first)."""
    from wbinstall.checks.result import Result
    from wbinstall.session.verify import VerifyDone, VerifyStarted

    ready = Finished(Outcome(status="ready", phase=None, message="everything is ready"))
    assert "verifying" in view_after(ready).result().plain
    assert "verifying" in view_after(ready, VerifyStarted(90)).result().plain
    done = VerifyDone((Result("verify.operator", "pass", "the operator applied W&B"),))
    text = view_after(ready, VerifyStarted(90), done).result().plain
    assert "W&B is ready at https://wandb.example.com" in text and "verifying" not in text


def test_a_ready_rollout_whose_run_ended_without_verify_says_ready():
    """Esc right at the rollout's end: verify.* never runs, and the run's end is the last word."""
    view = view_after(Finished(Outcome(status="ready", phase=None, message="everything is ready")))
    view.run_over = True
    assert "W&B is ready at" in view.result().plain
