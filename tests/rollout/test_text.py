"""Plain progress lines and the timeout summary an unattended run prints."""

from __future__ import annotations

from wbinstall.rollout.events import Limits, Outcome, PhaseStarted, ResourceChanged
from wbinstall.rollout.follow import next_commands
from wbinstall.rollout.judge import CustomResourceState, ResourceState
from wbinstall.rollout.text import line, summary

STUCK = ResourceState("Deployment", "wandb-app-bc", 0, 1, "progressing",
                      "Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.")


def test_a_resource_line_shows_elapsed_over_limit_ready_over_desired_and_why():
    assert line(ResourceChanged(STUCK, "workloads", 42.4, 1200)) == (
        "[  42s/1200s workloads] Deployment wandb-app-bc 0/1 progressing: "
        "Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.")


def test_a_phase_line_names_the_phase_and_its_limit():
    assert line(PhaseStarted("operator", 300)) == "rollout 1/3: waiting for operator ready (limit 300 s)"


def test_the_timeout_summary_lists_what_is_not_ready_and_the_next_commands():
    cr = CustomResourceState("wandb", "Completed", "ready")
    outcome = Outcome("timeout", "workloads", 60.2, 60, (STUCK,), cr, "not ready within 60 s (3/3: workloads)",
                      tuple(next_commands("wandb", [STUCK], cr, "wandb-controller-manager")))
    assert summary(outcome, "wandb").splitlines() == [
        "rollout timeout: not ready within 60 s (3/3: workloads) [60s/60s workloads]",
        "not ready:",
        "  Deployment wandb-app-bc 0/1: Pending (insufficient CPU): 0/3 nodes are available: 3 Insufficient cpu.",
        "next:",
        "  kubectl -n wandb describe deployment wandb-app-bc",
        "  kubectl -n wandb get events --sort-by=.lastTimestamp",
    ]


def test_a_stuck_custom_resource_points_at_the_operator():
    cr = CustomResourceState("wandb", "Loading", "progressing", "operator: Loading")
    assert next_commands("ns", [], cr, "wandb-controller-manager") == [
        "kubectl -n ns describe weightsandbiases wandb",
        "kubectl -n ns logs deployment/wandb-controller-manager",
        "kubectl -n ns get events --sort-by=.lastTimestamp"]


def test_timeout_rollout_caps_every_phase():
    assert Limits.capped(None) == Limits(300, 600, 1200)
    assert Limits.capped(400) == Limits(300, 400, 400)
