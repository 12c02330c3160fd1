"""Lifecycle state machines: experiment, learning cycle, campaign, task (DESIGN "Lifecycles").

Each lifecycle wraps one store record: ``ExperimentLifecycle(record, save=store.update,
approved=hook)``; triggers are methods (``lc.start()``) or ``lc.trigger("start")``.
"""

from state_machines.campaign import CAMPAIGN_TERMINAL, CAMPAIGN_TRANSIENT, CampaignLifecycle
from state_machines.cycle import CYCLE_TERMINAL, CYCLE_TRANSIENT, CycleLifecycle
from state_machines.definition import Guard, LifecycleDefinition, Move
from state_machines.diagram import mermaid
from state_machines.errors import GuardFailed, InvalidTransition, LifecycleError, UnknownState
from state_machines.experiment import EXPERIMENT_TERMINAL, EXPERIMENT_TRANSIENT, ExperimentLifecycle
from state_machines.lifecycle import Lifecycle
from state_machines.machines import LIFECYCLES, MACHINES
from state_machines.task import TASK_TERMINAL, TASK_TRANSIENT, TaskLifecycle

__all__ = [
    "CAMPAIGN_TERMINAL",
    "CAMPAIGN_TRANSIENT",
    "CYCLE_TERMINAL",
    "CYCLE_TRANSIENT",
    "EXPERIMENT_TERMINAL",
    "EXPERIMENT_TRANSIENT",
    "LIFECYCLES",
    "MACHINES",
    "TASK_TERMINAL",
    "TASK_TRANSIENT",
    "CampaignLifecycle",
    "CycleLifecycle",
    "ExperimentLifecycle",
    "Guard",
    "GuardFailed",
    "InvalidTransition",
    "Lifecycle",
    "LifecycleDefinition",
    "LifecycleError",
    "Move",
    "TaskLifecycle",
    "UnknownState",
    "mermaid",
]
