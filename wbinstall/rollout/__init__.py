"""Follow the rollout of an install by watching the namespace; progress as plain events.

    from wbinstall.rollout import follow, Limits
    outcome = follow(api, namespace, on_event=callback, cancel=threading.Event(),
                     limits=Limits(operator=300, resource=600, workloads=1200))

Core: never imports Textual; kubernetes is loaded only when a client is made.
"""

from wbinstall.rollout.events import (PHASES, CustomResourceChanged, Event, Finished, Limits, Outcome,
                                      PhaseDone, PhaseStarted, ResourceChanged)
from wbinstall.rollout.follow import Follower, follow, next_commands
from wbinstall.rollout.judge import CustomResourceState, ResourceState, judge_custom_resource, judge_workload

__all__ = ["PHASES", "CustomResourceChanged", "CustomResourceState", "Event", "Finished", "Follower", "Limits",
           "Outcome", "PhaseDone", "PhaseStarted", "ResourceChanged", "ResourceState", "follow",
           "judge_custom_resource", "judge_workload", "next_commands"]
