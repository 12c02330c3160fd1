"""What goes wrong with rule files and facts, said so that a policy owner can fix it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RuleError(BaseModel):
    """One problem in a rule file; ``str()`` gives ``file:line:col: message`` (1-based)."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class RuleFilesInvalid(Exception):
    """The rule files do not validate; nothing of them was used."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors) or "rule files invalid")


class FactsInvalid(ValueError):
    """A fact set the rules cannot judge (unknown metric, not a number, NaN, ...)."""


class EngineError(RuntimeError):
    """durable-rules failed while evaluating; the decision is not trustworthy."""
