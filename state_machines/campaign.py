"""Campaign (learning goal) lifecycle (seed 1.3, 1.4 p.4.1).

draft → active ⇄ paused; active → completed when the targets are met (the Manager's
rules decide that); abandoned by a person; failed when the campaign cannot go on.
"""

from __future__ import annotations

from state_machines.definition import LifecycleDefinition, Move
from state_machines.lifecycle import Lifecycle, named_trigger
from store.models import Campaign

CAMPAIGN = LifecycleDefinition(
    name="campaign",
    record_type=Campaign,
    states=("draft", "active", "paused", "completed", "abandoned", "failed"),
    initial="draft",
    moves=(
        Move("activate", ("draft",), "active"),
        Move("pause", ("active",), "paused"),
        Move("resume", ("paused",), "active"),
        Move("complete", ("active",), "completed"),
        Move("abandon", ("draft", "active", "paused"), "abandoned"),
        Move("fail", ("active", "paused"), "failed"),
    ),
    # an active campaign has cycles to drive after a restart
    transient=frozenset({"active"}),
)

CAMPAIGN_TERMINAL = CAMPAIGN.terminal
CAMPAIGN_TRANSIENT = CAMPAIGN.transient


class CampaignLifecycle(Lifecycle):
    """A campaign record under its lifecycle."""

    definition = CAMPAIGN
    __slots__ = ()

    activate = named_trigger("activate", "draft → active: the goal is translated; cycles may run.")
    pause = named_trigger("pause", "active → paused: no new cycles until resumed.")
    resume = named_trigger("resume", "paused → active.")
    complete = named_trigger("complete", "active → completed: the targets are met.")
    abandon = named_trigger("abandon", "draft | active | paused → abandoned: a person gave the goal up.")
    fail = named_trigger("fail", "active | paused → failed: the campaign cannot go on.")
