"""pydantic's validation errors, said the way a policy owner reads them."""

from __future__ import annotations

import datetime
import difflib
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from rules.schema import OPERATORS, SECTIONS

_TYPE_WORDS = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "literal_error": None,
    "none_required": "nothing (null)",
}


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value}); quote it to make it text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def data_path(loc: Iterable[Any], data: Any) -> tuple[Any, ...]:
    """The part of a pydantic ``loc`` that names places in ``data`` (drops union tags)."""
    path: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
    return tuple(path)


def vocabulary(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every key any nested model of ``model`` accepts (for 'did you mean')."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    words = set(model.model_fields)
    for info in model.model_fields.values():
        for sub in _models_in(info.annotation):
            words |= vocabulary(sub, seen)
    return words


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
        for arg in getattr(item, "__args__", ()) or ():
            stack.append(arg)
        origin = getattr(item, "__origin__", None)  # Annotated[X, ...] -> X
        if origin is not None and origin is not item:
            stack.append(origin)
    return found


def _unknown_key(key: str, loc: tuple[Any, ...], words: set[str], sections: bool) -> str:
    if len(loc) == 1 and sections:
        return f"unknown section '{key}' (sections: {', '.join(SECTIONS)})"
    if "comparison" in loc:
        hint = difflib.get_close_matches(key, list(OPERATORS) + ["field"], n=1)
        suffix = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"unknown key '{key}' in a comparison (write field: and one of {', '.join(OPERATORS)}){suffix}"
    hint = difflib.get_close_matches(key, sorted(words), n=1, cutoff=0.75)
    return f"unknown key '{key}'" + (f"; did you mean '{hint[0]}'?" if hint else "")


def _one(error: dict[str, Any], words: set[str], sections: bool) -> tuple[str, bool]:
    """(message, about_the_key) for one pydantic error."""
    kind = error["type"]
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), loc, words, sections), True
    if kind == "missing":
        return f"missing key '{loc[-1]}'", False
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {describe_value(value)}", False
    if kind == "finite_number":
        return f"expected a finite number, got {describe_value(value)}", False
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words_ = {"greater_than_equal": "at least", "greater_than": "greater than",
                  "less_than_equal": "at most", "less_than": "less than"}[kind]
        limit = next(iter(ctx.values())) if ctx else "?"
        return f"must be {words_} {limit}, got {describe_value(value)}", False
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if "-" in pattern:
            return f"rule names use lowercase letters, digits and single dashes (like 'mean-primary-gap'), got {describe_value(value)}", False
        return f"names use lowercase letters, digits and underscores (like 'top_k'), got {describe_value(value)}", False
    if kind == "too_short":
        return "must not be empty", False
    if kind == "string_too_short":
        return "must not be empty", False
    if kind == "string_too_long":
        return f"too long (at most {ctx.get('max_length')} characters)", False
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), False
    if kind == "condition":
        if isinstance(value, list):
            return ("expected one condition, got a list; a rule looks at one fact, so to require "
                    "several comparisons of it write 'all: [...]' (or 'any: [...]')"), False
        return f"{error['msg']}, got {describe_value(value)}", False
    if kind in _TYPE_WORDS and _TYPE_WORDS[kind]:
        return f"expected {_TYPE_WORDS[kind]}, got {describe_value(value)}", False
    return str(error["msg"]), False


def humanize(
    exc: ValidationError, data: Any, model: type[BaseModel], *, sections: bool = False
) -> list[tuple[tuple[Any, ...], str, bool]]:
    """(path in data, message, about_the_key) per problem; union alternatives merged.

    ``sections``: the top-level keys are rule-file sections (named as such when unknown).
    """
    words = vocabulary(model)
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for error in exc.errors():
        path = data_path(error["loc"], data)
        if error["type"] == "extra_forbidden":
            path = data_path(error["loc"][:-1], data) + (error["loc"][-1],)
        elif error["type"] == "missing":
            path = data_path(error["loc"][:-1], data)
        # union alternatives share a place; a missing or unknown key is its own problem
        distinct = str(error["loc"][-1]) if error["type"] in ("missing", "extra_forbidden") else ""
        grouped.setdefault((path, distinct), []).append(error)
    # a union member that failed deeper down explains better than the others' "wrong type"
    deeper = {path for path, _ in grouped}
    for key in list(grouped):
        path = key[0]
        if any(other[: len(path)] == path and len(other) > len(path) for other in deeper):
            kept = [e for e in grouped[key] if e["type"] not in _TYPE_WORDS and e["type"] != "model_type"]
            if kept:
                grouped[key] = kept
            else:
                del grouped[key]
    out: list[tuple[tuple[Any, ...], str, bool]] = []
    for (path, _), errors in grouped.items():
        types = [e for e in errors if e["type"] in _TYPE_WORDS or e["type"] == "model_type"]
        if len(errors) > 1 and len(types) == len(errors):
            expected = []
            for e in errors:
                word = _TYPE_WORDS.get(e["type"])
                if e["type"] == "model_type" and "TargetRef" in [str(p) for p in e["loc"]]:
                    word = "{target: threshold} (or {target: target})"
                if e["type"] == "literal_error":
                    word = str((e.get("ctx") or {}).get("expected"))
                if word and word not in expected:
                    expected.append(word)
            message = f"expected {' or '.join(expected)}, got {describe_value(errors[0].get('input'))}"
            out.append((path, message, False))
            continue
        for error in errors:
            message, on_key = _one(error, words, sections)
            out.append((path, message, on_key))
    return out
