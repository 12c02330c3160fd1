"""Loading the package's YAML data files: safe, strict, and with errors that say where.

Files are parsed with ruamel's round-trip loader (duplicate keys refused) so that a
validation error can be traced back to a line and column; the content is then checked
by a pydantic model that rejects unknown keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

DATA_DIR = Path(__file__).parent / "data"

M = TypeVar("M", bound=BaseModel)


class DataFileError(ValueError):
    """A data file that cannot be read or does not validate; the message names file and place."""


def _position(node: Any, loc: tuple[Any, ...]) -> str:
    """'line L, column C' of the deepest part of ``loc`` that the parsed node knows."""
    line = col = None
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and key in node:
                line, col = lc.key(key) if lc else (line, col)
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                line, col = lc.item(key) if lc else (line, col)
                node = node[key]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    if line is None:
        return "top level"
    return f"line {line + 1}, column {col + 1}"


def read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise DataFileError(f"{path}: not valid YAML: {exc}") from exc


def load_model(path: Path, model: type[M]) -> M:
    """Parse ``path`` and validate it as ``model``; errors name file, line, column and key."""
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            problems.append(f"{path}: {_position(data, err['loc'])}: {where}: {err['msg']}")
        raise DataFileError("\n".join(problems)) from None
