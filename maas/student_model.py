"""The student's declared behaviour: its impact factors, cost model, fault model and reader.

Everything the embedded memory service does that is not retrieval itself is a declared
model read from ``data/student.yaml``, so that its numbers can be read and argued with:

- latency of a question turn, in seconds, before jitter::

      base_s + per_candidate_s * candidates fetched (<= top_k)
             + per_context_token_s * context tokens + generation_s   if it answers
             + abstain_s                                              if it abstains

  multiplied by a seeded log-normal jitter exp(N(0, jitter_sigma)); a turn slower than
  ``timeout_s`` fails with error "timeout" at ``timeout_s``.
- faults: each question turn fails with error "backend_error" with probability
  ``error_per_turn`` (seeded).
- reader: the answer is drawn from the context memory with the highest
  relevance + N(0, sigma) where sigma = noise_per_sqrt_ktoken * sqrt(context tokens / 1000):
  the longer the context, the likelier the reader is distracted by a wrong memory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from manager.ports import FactorSpec
from maas.datafiles import DATA_DIR, load_model

FACTOR_NAMES = ("top_k", "score_cutoff", "abstain_threshold", "context_budget")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactorDecl(_Strict):
    minimum: float
    maximum: float
    step: float = Field(gt=0)
    default: float
    integer: bool = False
    description: str

    @model_validator(mode="after")
    def _in_range(self) -> "FactorDecl":
        if not self.minimum <= self.default <= self.maximum:
            raise ValueError(f"default {self.default} is outside [{self.minimum}, {self.maximum}]")
        if self.integer and any(float(v) != int(v) for v in (self.minimum, self.maximum, self.step, self.default)):
            raise ValueError("an integer factor needs integer minimum, maximum, step and default")
        return self


class Retrieval(_Strict):
    k1: float = Field(gt=0)
    b: float = Field(ge=0, le=1)
    min_terms: int = Field(ge=1)  # a statement with fewer content terms is not remembered
    recency_weight: float = Field(ge=0, lt=1)  # share of relevance that comes from recency
    recency_half_life: float = Field(gt=0)  # in memories stored since


class Latency(_Strict):
    base_s: float = Field(ge=0)
    per_candidate_s: float = Field(ge=0)
    per_context_token_s: float = Field(ge=0)
    generation_s: float = Field(ge=0)
    abstain_s: float = Field(ge=0)
    jitter_sigma: float = Field(ge=0)
    timeout_s: float = Field(gt=0)


class Faults(_Strict):
    error_per_turn: float = Field(ge=0, le=1)


class Reader(_Strict):
    noise_per_sqrt_ktoken: float = Field(ge=0)


class StudentModel(_Strict):
    factors: dict[str, FactorDecl]
    retrieval: Retrieval
    latency: Latency
    faults: Faults
    reader: Reader

    @model_validator(mode="after")
    def _known_factors(self) -> "StudentModel":
        missing = [f for f in FACTOR_NAMES if f not in self.factors]
        if missing:
            raise ValueError(f"factors missing: {', '.join(missing)}")
        return self

    def factor_specs(self) -> list[FactorSpec]:
        return [
            FactorSpec(name=name, minimum=d.minimum, maximum=d.maximum, step=d.step,
                       default=d.default, integer=d.integer, description=d.description)
            for name, d in self.factors.items()
        ]

    def defaults(self) -> dict[str, float]:
        return {name: d.default for name, d in self.factors.items()}

    def check_params(self, params: dict[str, float], where: str = "params") -> dict[str, float]:
        """Complete ``params`` with defaults; refuse unknown names, wrong types, out-of-range values."""
        if not isinstance(params, dict):
            raise ValueError(f"{where}: expected a mapping of factor -> number, got {type(params).__name__}")
        unknown = sorted(set(params) - set(self.factors))
        if unknown:
            raise ValueError(f"{where}: unknown factor(s) {', '.join(unknown)}; known: {', '.join(self.factors)}")
        out = self.defaults()
        for name, value in params.items():
            decl = self.factors[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where}.{name}: expected a number, got {value!r}")
            if value != value:
                raise ValueError(f"{where}.{name}: NaN is not a value")
            if not decl.minimum - 1e-9 <= value <= decl.maximum + 1e-9:
                raise ValueError(f"{where}.{name}: {value} is outside [{decl.minimum}, {decl.maximum}]")
            if decl.integer and abs(value - round(value)) > 1e-9:
                raise ValueError(f"{where}.{name}: must be an integer, got {value}")
            out[name] = float(round(value)) if decl.integer else float(round(value, 6))
        return out


@lru_cache(maxsize=4)
def load_student_model(path: Path = DATA_DIR / "student.yaml") -> StudentModel:
    return load_model(path, StudentModel)
