"""Records and change-log entries to stored documents and back.

Ids: ``{prefix}-{n:06d}`` (what the store allocates) lives in numbered
partition ``(n - 1) // part_size`` under TinyDB doc id ``n``, so a lookup reads one
small file. Any other id a caller chose (say a Tuner's version name) lives in
one of 16 buckets chosen by its hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from store.errors import StoreCorrupt, StoreError
from store.manifest import LOG_KIND
from store.models import ChangeLogEntry, Record

R = TypeVar("R", bound=Record)
BUCKETS = 16
_ID_TEXT = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@lru_cache(maxsize=None)
def kind_of(model: type) -> str:
    """The table of a record type, checked once per type."""
    if not (isinstance(model, type) and issubclass(model, Record)):
        raise StoreError(f"{model!r} is not a store record type (a subclass of store.models.Record)")
    table, prefix = model.table, model.id_prefix
    if not re.fullmatch(r"[a-z][a-z0-9_]*", table or "") or table == LOG_KIND:
        raise StoreError(f"{model.__name__}.table must be a lower-case name other than {LOG_KIND!r}, got {table!r}")
    if not re.fullmatch(r"[a-z][a-z0-9]*", prefix or ""):
        raise StoreError(f"{model.__name__}.id_prefix must be lower-case letters and digits, got {prefix!r}")
    return table


def format_id(model: type[Record], n: int) -> str:
    return f"{model.id_prefix}-{n:06d}"


def numbered(model: type[Record], record_id: str) -> int | None:
    """``n`` if ``record_id`` is exactly what the store would allocate for ``n``, else None."""
    head, _, digits = record_id.rpartition("-")
    if head != model.id_prefix or not digits.isdigit():
        return None
    n = int(digits)
    return n if n >= 1 and format_id(model, n) == record_id else None


def check_id(model: type[Record], record_id: str) -> None:
    if not isinstance(record_id, str) or not _ID_TEXT.match(record_id):
        raise StoreError(
            f"{model.__name__} id {record_id!r} must be 1-200 printable characters"
        )


def bucket_of(record_id: str) -> str:
    return f"x{int(hashlib.sha256(record_id.encode()).hexdigest()[:8], 16) % BUCKETS:02d}"


def part_of(n: int, size: int) -> str:
    return f"{(n - 1) // size:05d}"


def utc(value: datetime, what: str) -> datetime:
    """The same instant in UTC; a naive datetime is refused (its zone is unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"{what} is a naive datetime ({value.isoformat()}); the store keeps timezone-aware UTC")
    return value.astimezone(timezone.utc)


def epoch_us(value: datetime) -> int:
    delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso_epoch_us(text: str) -> int:
    return epoch_us(datetime.fromisoformat(text))


def _datetime_fields(model: type) -> tuple[str, ...]:
    return tuple(name for name, info in model.model_fields.items() if info.annotation is datetime)


_DT_FIELDS: dict[type, tuple[str, ...]] = {}


def datetime_fields(model: type) -> tuple[str, ...]:
    if model not in _DT_FIELDS:
        _DT_FIELDS[model] = _datetime_fields(model)
    return _DT_FIELDS[model]


def dump(obj: Record | ChangeLogEntry, **overrides: Any) -> dict[str, Any]:
    """JSON document of a record, its datetimes in UTC; ``overrides`` replace fields."""
    model = type(obj)
    doc = obj.model_dump(mode="json")
    for name in datetime_fields(model):
        value = overrides.pop(name, getattr(obj, name))
        doc[name] = to_jsonable_python(utc(value, f"{model.__name__}.{name}"))
    doc.update(overrides)
    return doc


def _detached(value: Any) -> Any:
    kind = type(value)
    if kind is bytes:  # a nested value of a cached document, as JSON text (store.partition.packed)
        return json.loads(value)
    if kind is dict:
        return {k: _detached(v) for k, v in value.items()}
    if kind is list:
        return [_detached(v) for v in value]
    return value


def load(model: type[R], doc: dict[str, Any], where: str) -> R:
    """The record of a stored document; a document the model refuses is corruption.

    Pydantic keeps nested values of ``Any`` fields by reference, and stored
    documents are shared with the cache, so nested containers are copied: a
    caller editing ``record.verdict["deltas"]`` must not edit the store.
    """
    detached = {k: _detached(v) if type(v) in (dict, list, bytes) else v for k, v in doc.items()}
    try:
        obj = model.model_validate(detached)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise StoreCorrupt(
            f"{where}: {doc.get('id', doc.get('seq', '?'))} is not a valid {model.__name__} "
            f"({place}: {first['msg']})"
        ) from exc
    for name in datetime_fields(model):  # pydantic's own UTC tzinfo -> datetime.timezone.utc
        value = obj.__dict__[name]
        if value.tzinfo is not timezone.utc:
            obj.__dict__[name] = value.astimezone(timezone.utc)
    return obj


def filter_values(model: type, equals: dict[str, Any]) -> dict[str, Any]:
    """``field == value`` filters as stored JSON values; unknown fields are refused."""
    out: dict[str, Any] = {}
    for name, value in equals.items():
        if name not in model.model_fields:
            known = ", ".join(sorted(model.model_fields))
            raise StoreError(f"{model.__name__} has no field {name!r} to filter on (fields: {known})")
        if isinstance(value, datetime):
            value = utc(value, f"filter {name}")
        out[name] = to_jsonable_python(value)
    return out
