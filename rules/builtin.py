"""Rules made from settings (targets, degradation bounds, autonomy, methodology).

Their numbers come from the rule files; these are only their names and meanings.
"""

from __future__ import annotations

GAP_EXCEEDS = "gap-exceeds-threshold"
METRIC_WORSENED = "metric-worsened"
UNKNOWN_PARAMETER = "unknown-parameter"
NEVER_CHANGE = "never-change"
BELOW_MINIMUM = "below-minimum"
ABOVE_MAXIMUM = "above-maximum"
STEP_TOO_LARGE = "step-too-large"
FROZEN_FACTOR = "frozen-factor"
PARAMETER_BUSY = "parameter-busy"
TOO_MANY_EXPERIMENTS = "too-many-experiments"
ONE_FACTOR_PER_CYCLE = "one-factor-per-cycle"
MAX_CYCLES = "max-cycles-per-experiment"
NEEDS_APPROVAL = "needs-approval"
CAMPAIGN_NEEDS_APPROVAL = "campaign-needs-approval"
FOUR_EYES = "four-eyes"

DESCRIPTIONS = {
    GAP_EXCEEDS: "a target's gap is greater than its threshold (targets)",
    METRIC_WORSENED: "a metric worsened against the baseline by more than its relative bound (degradation)",
    UNKNOWN_PARAMETER: "the parameter is not in the autonomy table (autonomy.parameters)",
    NEVER_CHANGE: "the parameter's autonomy level is never",
    BELOW_MINIMUM: "the proposed value is below the parameter's minimum",
    ABOVE_MAXIMUM: "the proposed value is above the parameter's maximum",
    STEP_TOO_LARGE: "the change is larger than the parameter's max_step",
    FROZEN_FACTOR: "the campaign forbids changing this factor",
    PARAMETER_BUSY: "another experiment on the parameter is running (autonomy.one_running_experiment_per_parameter)",
    TOO_MANY_EXPERIMENTS: "as many experiments run as autonomy.max_parallel_experiments allows",
    ONE_FACTOR_PER_CYCLE: "a factor already changed this cycle (methodology.one_factor_per_cycle)",
    MAX_CYCLES: "the experiment used methodology.max_cycles_per_experiment cycles",
    NEEDS_APPROVAL: "the parameter's autonomy level is approval",
    CAMPAIGN_NEEDS_APPROVAL: "the campaign's autonomy asks for a reviewer",
    FOUR_EYES: "the approver proposed the change (autonomy.four_eyes)",
}

NAMES = frozenset(DESCRIPTIONS)
