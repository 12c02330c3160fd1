"""Every lifecycle by name."""

from __future__ import annotations

from state_machines.campaign import CAMPAIGN, CampaignLifecycle
from state_machines.cycle import CYCLE, CycleLifecycle
from state_machines.definition import LifecycleDefinition
from state_machines.experiment import EXPERIMENT, ExperimentLifecycle
from state_machines.lifecycle import Lifecycle
from state_machines.task import TASK, TaskLifecycle

MACHINES: dict[str, LifecycleDefinition] = {d.name: d for d in (EXPERIMENT, CYCLE, CAMPAIGN, TASK)}

LIFECYCLES: dict[str, type[Lifecycle]] = {
    cls.definition.name: cls for cls in (ExperimentLifecycle, CycleLifecycle, CampaignLifecycle, TaskLifecycle)
}
