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
