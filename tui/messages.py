"""Messages that carry domain updates into the UI (posted from any thread)."""

from __future__ import annotations

from textual.message import Message


class StoreChanged(Message):
    """The store moved to a new generation (a commit by this or any other process)."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


class EngineActivity(Message):
    """An event of the in-process engine (``manager.context.EngineEvent``)."""

    def __init__(self, kind: str, text: str, campaign_id: str | None = None,
                 experiment_id: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.text = text
        self.campaign_id = campaign_id
        self.experiment_id = experiment_id

    def can_replace(self, message: Message) -> bool:
        # a burst of progress ticks collapses to the latest one
        return self.kind == "progress" and isinstance(message, EngineActivity) and message.kind == "progress"


class EngineModeChanged(Message):
    """The engine started here, another process holds it, it stopped, or it failed."""

    def __init__(self, mode: str, detail: str = "") -> None:
        super().__init__()
        self.mode = mode
        self.detail = detail
