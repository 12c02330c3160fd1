"""The change log, filtered and paged: never more than a page in memory per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from manager.journal import KINDS
from store.models import ChangeLogEntry

PERIODS: tuple[tuple[str, timedelta | None], ...] = (
    ("any time", None),
    ("last hour", timedelta(hours=1)),
    ("last 24 h", timedelta(days=1)),
    ("last 7 days", timedelta(days=7)),
    ("last 30 days", timedelta(days=30)),
)
INITIATORS = ("auto", "manual")
LOG_KINDS = KINDS


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LogFilter:
    campaign_id: str | None = None
    experiment_id: str | None = None
    kind: str | None = None
    initiator: str | None = None
    period: str = "any time"

    def query(self, now: Callable[[], datetime] = utc_now) -> dict[str, Any]:
        span = dict(PERIODS).get(self.period)
        return {
            "campaign_id": self.campaign_id,
            "experiment_id": self.experiment_id,
            "kind": self.kind,
            "initiator": self.initiator,
            "since": (now() - span) if span is not None else None,
        }

    @property
    def is_empty(self) -> bool:
        return self == LogFilter()


def when(at: datetime) -> str:
    """Log times in UTC, to the second, so every reader sees the same clock."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def log_page(
    store: Any, where: LogFilter, offset: int, limit: int, now: Callable[[], datetime] = utc_now
) -> list[ChangeLogEntry]:
    """Entries newest first."""
    return store.log(**where.query(now), offset=offset, limit=limit, reverse=True)


def log_total(store: Any, where: LogFilter) -> int | None:
    """How many entries match; known cheaply only without a filter."""
    return store.log_count() if where.is_empty else None
