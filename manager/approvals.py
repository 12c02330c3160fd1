"""Approvals (seed 4.4): a named reviewer, the four-eyes rule, void when the proposal changed."""

from __future__ import annotations

from manager import journal
from manager.context import Context, EngineEvent
from manager.experiments import apply, reject
from store.models import Approval, Experiment


class ApprovalRefused(RuntimeError):
    """The approval cannot be taken: wrong state, changed proposal, or policy."""


def approve(ctx: Context, experiment_id: str, proposal_hash: str, approver: str) -> str:
    exp = ctx.store.get(Experiment, experiment_id)
    if exp.state != "awaiting_approval":
        raise ApprovalRefused(f"{exp.id} is {exp.state}, not awaiting approval")
    if proposal_hash != exp.proposal_hash:
        raise ApprovalRefused(
            f"approval void: the proposal of {exp.id} changed since it was seen "
            f"(seen {proposal_hash or 'nothing'}, now {exp.proposal_hash})")
    decision = ctx.rules.evaluator.check_approval({"approver": approver, "proposer": exp.proposed_by})
    if not decision.allowed:
        ctx.store.append_log(journal.entry(
            "approval", f"{exp.id}: approval by {approver} refused", reason="; ".join(decision.reasons),
            initiator="manual", actor=approver, campaign_id=exp.campaign_id, experiment_id=exp.id,
            fired=decision.fired))
        raise ApprovalRefused("; ".join(decision.reasons))
    with ctx.store.transaction():
        ctx.store.insert(Approval(experiment_id=exp.id, proposal_hash=exp.proposal_hash or "",
                                  decision="approve", approver=approver))
        ctx.store.append_log(journal.entry(
            "approval", f"{exp.id} approved by {approver}", initiator="manual", actor=approver,
            campaign_id=exp.campaign_id, experiment_id=exp.id, fired=decision.fired,
            proposal_hash=exp.proposal_hash))
    return apply(ctx, exp, initiator="manual", actor=approver)


def reject_proposal(ctx: Context, experiment_id: str, reason: str, reviewer: str) -> str:
    exp = ctx.store.get(Experiment, experiment_id)
    if exp.state != "awaiting_approval":
        raise ApprovalRefused(f"{exp.id} is {exp.state}, not awaiting approval")
    if not reason.strip():
        raise ApprovalRefused("a rejection needs a reason")
    with ctx.store.transaction():
        ctx.store.insert(Approval(experiment_id=exp.id, proposal_hash=exp.proposal_hash or "",
                                  decision="reject", approver=reviewer, reason=reason))
        outcome = reject(ctx, exp, f"rejected by {reviewer}: {reason}", initiator="manual", actor=reviewer)
    ctx.emit(EngineEvent("experiment", f"{exp.title} rejected by {reviewer}", exp.campaign_id, exp.id))
    return outcome
