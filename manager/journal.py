"""The learning journal: every decision goes into the hash-chained change log (seed 1.3 p.4)."""

from __future__ import annotations

from typing import Any, Iterable

from store.models import ChangeLogEntry


def fired_dicts(fired: Iterable[Any]) -> list[dict[str, Any]]:
    """Rules that fired, as plain dicts, whatever model carried them."""
    out = []
    for item in fired:
        out.append(item.model_dump(mode="json") if hasattr(item, "model_dump") else dict(item))
    return out


def entry(
    kind: str,
    summary: str,
    *,
    reason: str = "",
    initiator: str = "auto",
    actor: str = "manager",
    campaign_id: str | None = None,
    experiment_id: str | None = None,
    fired: Iterable[Any] = (),
    **data: Any,
) -> ChangeLogEntry:
    return ChangeLogEntry(
        kind=kind,
        summary=summary,
        reason=reason,
        initiator=initiator,  # type: ignore[arg-type]
        actor=actor,
        campaign_id=campaign_id,
        experiment_id=experiment_id,
        fired=fired_dicts(fired),
        data=data,
    )


# The kinds of entry, so that filters and reports speak one language.
KINDS = (
    "campaign",        # created, activated, paused, completed, abandoned
    "cycle",           # a learning cycle evaluated (gaps, should-tune)
    "experiment",      # planned, started, verdict, rejected
    "golden",          # golden validation of a proposed change
    "change",          # a parameter change applied through the tuner
    "approval",        # a reviewer approved or rejected
    "rollback",        # a change rolled back (degradation watch or manual)
    "incident",        # degradation seen after apply
    "rules",           # rule files reloaded or refused
    "engine",          # engine start, stop, recovery
    "error",           # an adapter failed
)
