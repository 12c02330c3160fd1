"""The golden set: fixed dialogues shipped with the package, used only for validation.

Written once by ``maas/golden_gen.py`` from ``data/golden_world.yaml`` (names, values and
templates the emulator never uses) into ``data/golden.json``. Never played for training.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from maas.datafiles import DATA_DIR, DataFileError
from maas.dialogues import Dialogue

GOLDEN_PATH = DATA_DIR / "golden.json"


class GoldenSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    seed: int = Field(ge=0)  # seed of the turns' luck when the set is played, and of its writing
    source: str  # the world file it was written from
    dialogues: list[Dialogue] = Field(min_length=1)


@lru_cache(maxsize=4)
def load_golden(path: Path = GOLDEN_PATH) -> GoldenSet:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read the golden set: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from exc
    try:
        return GoldenSet.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataFileError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s))") from None
