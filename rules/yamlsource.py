"""Reading a YAML rule file safely, keeping where every key and value was written.

The file is read from parser events in one pass, and refused at the first sign of:
bytes that are not UTF-8, YAML tags (``!!python/...``), anchors and aliases (so no
alias bombs), duplicate keys, keys that are not text, more than one document,
nesting deeper than ``MAX_DEPTH``, files larger than ``MAX_BYTES``. What is left is
plain dicts, lists, text, numbers, booleans and nulls, with a position for each path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from rules.errors import RuleError, RuleFilesInvalid

MAX_BYTES = 1_000_000
MAX_DEPTH = 32

Path_ = tuple[Any, ...]


@dataclass
class Document:
    """One YAML file as plain data, with 1-based (line, column) per path."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Where ``path`` was written; its key if ``key``; else the nearest enclosing place."""
        path = tuple(path)
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def error(self, path: Path_, message: str, *, key: bool = False) -> RuleError:
        line, column = self.position(path, key=key)
        return RuleError(file=self.file, line=line, column=column, message=message)


def _at(file: str, line0: int, col0: int, message: str) -> RuleError:
    return RuleError(file=file, line=line0 + 1, column=col0 + 1, message=message)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n"), offset - (before.rfind("\n") + 1)


def _decode(raw: bytes, file: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8", errors="replace")
        line, col = _line_col(good, len(good))
        raise RuleFilesInvalid(
            [_at(file, line, col, f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8")]
        ) from None
    return text.removeprefix("\ufeff")


def _yaml_error(exc: Exception, file: str, text: str) -> RuleError:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, col = (mark.line, mark.column) if mark else (0, 0)
        return _at(file, line, col, f"YAML syntax: {problem}")
    if isinstance(exc, ReaderError):
        line, col = _line_col(text, max(0, exc.position))
        return _at(file, line, col, f"character #x{exc.character:04x} is not allowed in a rule file")
    return _at(file, 0, 0, f"YAML syntax: {exc}")


class _Builder:
    """Plain data from parser events, one pass: nothing refused is ever built."""

    def __init__(self, yaml: YAML, doc: Document) -> None:
        self.yaml = yaml
        self.doc = doc
        self.stack: list[list[Any]] = []  # [container, its path, pending key of a mapping]
        self.root: Any = None
        self.documents = 0

    def fail(self, mark: Any, message: str) -> None:
        raise RuleFilesInvalid([_at(self.doc.file, mark.line, mark.column, message)])

    def scalar(self, event: ScalarEvent) -> Any:
        tag = self.yaml.resolver.resolve(ScalarNode, event.value, event.implicit)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        return self.yaml.constructor.construct_object(node, deep=True)

    def place(self, value: Any, mark: Any, *, container: bool) -> Path_ | None:
        """Put ``value`` into the open container; its path, or None when it was a key."""
        position = (mark.line + 1, mark.column + 1)
        if not self.stack:
            self.root = value
            self.doc.values[()] = position
            return ()
        frame = self.stack[-1]
        parent, path, key = frame
        if isinstance(parent, list):
            child = path + (len(parent),)
            parent.append(value)
        elif key is None:
            if container:
                self.fail(mark, "keys must be text, not a list or mapping")
            if not isinstance(value, str):
                self.fail(mark, f"key {value!r} must be text")
            if value in parent:
                first = self.doc.keys[path + (value,)][0]
                self.fail(mark, f"duplicate key '{value}' (first at line {first}); each key may appear once in a mapping")
            frame[2] = value
            self.doc.keys[path + (value,)] = position
            parent[value] = None
            return None
        else:
            child = path + (key,)
            parent[key] = value
            frame[2] = None
        self.doc.values[child] = position
        return child

    def feed(self, event: Any) -> None:
        mark = event.start_mark
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.fail(mark, "a rule file holds one YAML document; remove the extra '---'")
        elif isinstance(event, AliasEvent):
            self.fail(mark, f"alias '*{event.anchor}' is not allowed; write the value out")
        elif isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)):
            if event.anchor:
                self.fail(mark, f"anchor '&{event.anchor}' is not allowed; write the value out")
            if event.tag:
                shown = str(event.tag).replace("tag:yaml.org,2002:", "!!")
                self.fail(mark, f"YAML tag '{shown}' is not allowed; rule files hold plain values only")
            if isinstance(event, ScalarEvent):
                self.place(self.scalar(event), mark, container=False)
                return
            if len(self.stack) >= MAX_DEPTH:
                self.fail(mark, f"nested deeper than {MAX_DEPTH} levels")
            container: Any = {} if isinstance(event, MappingStartEvent) else []
            path = self.place(container, mark, container=True)
            self.stack.append([container, path, None])
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            self.stack.pop()


def parse_document(raw: bytes, file: str) -> Document:
    """Plain data and positions of one rule file's bytes; raises RuleFilesInvalid."""
    if len(raw) > MAX_BYTES:
        raise RuleFilesInvalid([_at(file, 0, 0, f"file is larger than {MAX_BYTES} bytes")])
    text = _decode(raw, file)
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise RuleFilesInvalid([_at(file, 0, 0, "file is empty; expected sections such as 'targets:'")])
    yaml = YAML(typ="safe", pure=True)
    doc = Document(file=file, data=None)
    builder = _Builder(yaml, doc)
    try:
        for event in yaml.parse(io.StringIO(text)):
            builder.feed(event)
    except RuleFilesInvalid:
        raise
    except (YAMLError, ValueError) as exc:
        raise RuleFilesInvalid([_yaml_error(exc, file, text)]) from None
    except RecursionError:
        raise RuleFilesInvalid([_at(file, 0, 0, "nested too deeply")]) from None
    doc.data = builder.root
    return doc


def read_document(path: Path, file: str | None = None) -> Document:
    label = file or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleFilesInvalid([RuleError(file=label, line=1, column=1, message=f"cannot read: {exc.strerror or exc}")]) from None
    return parse_document(raw, label)
