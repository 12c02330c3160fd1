"""Loading a rule book: every rule file read safely, validated, cross-checked.

A rule book is a folder of ``*.yaml`` files (each section in exactly one of them) or
one file holding every section. Nothing of an invalid rule book is used: the loader
either returns a whole ``RuleBook`` or raises ``RuleFilesInvalid`` with every problem
as ``file:line:col: message``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rules import builtin, numbers
from rules.errors import RuleError, RuleFilesInvalid
from rules.facts import GAP, MEAN_GAP, FactKind, golden_kind
from rules.messages import humanize
from rules.schema import (
    SECTIONS,
    AllOf,
    AnyOf,
    Autonomy,
    Comparison,
    Degradation,
    FactRule,
    GoldenValidation,
    MetricSpec,
    Methodology,
    RuleFile,
    TargetRef,
)
from rules.yamlsource import Document, parse_document
from store.models import TargetSpec

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
MAX_CONJUNCTS = 64


class Where(BaseModel):
    """Where a section, rule or setting was written."""

    model_config = ConfigDict(frozen=True)
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class RuleBook(BaseModel):
    """The validated content of all rule files; the code holds none of these numbers."""

    model_config = ConfigDict(frozen=True)

    metrics: dict[str, MetricSpec]
    golden_deltas: dict[str, str]
    targets: list[TargetSpec]
    should_tune: list[FactRule]
    golden_validation: GoldenValidation
    degradation: Degradation
    methodology: Methodology
    autonomy: Autonomy
    source: Path | None
    files: list[Path]
    fingerprint: str
    places: dict[str, Where]

    @property
    def directions(self) -> dict[str, str]:
        return {name: spec.direction for name, spec in self.metrics.items()}

    def where(self, dotted: str) -> Where | None:
        """Where ``dotted`` (``"should_tune.1"``, ``"autonomy.parameters.top_k"``) was written."""
        while dotted:
            if dotted in self.places:
                return self.places[dotted]
            dotted = dotted.rpartition(".")[0]
        return None

    def bound_for(self, metric: str) -> float:
        return self.degradation.bounds.get(metric, self.degradation.default_bound)


def rule_files(path: Path) -> list[Path]:
    return sorted(
        p for p in path.iterdir()
        if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
    )


def _walk(data: Any, path: tuple[Any, ...] = ()):
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, path + (index,))


def _number_errors(doc: Document) -> list[RuleError]:
    """Numbers the engine can compare exactly: finite, within ±LIMIT, at most PLACES decimals."""
    errors = []
    for path, value in _walk(doc.data):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            errors.append(doc.error(path, f"expected a finite number, got {value!r}"))
        elif abs(numbers.exact(value)) > numbers.LIMIT:
            errors.append(doc.error(path, f"{value!r} is outside ±{numbers.text(numbers.LIMIT)}"))
        elif numbers.places(value) > numbers.PLACES:
            errors.append(doc.error(path, f"{value!r} has more than {numbers.PLACES} decimal places"))
    return errors


class _Checker:
    """Cross-checks that need more than one section; collects errors with positions."""

    def __init__(self, sections: dict[str, tuple[Document, Any]]) -> None:
        self.sections = sections
        self.errors: list[RuleError] = []

    def err(self, section: str, path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        doc = self.sections[section][0]
        self.errors.append(doc.error((section,) + tuple(path), message, key=key))

    def value(self, section: str) -> Any:
        return self.sections[section][1]

    def run(self) -> None:
        metrics: dict[str, MetricSpec] = self.value("metrics")
        deltas: dict[str, str] = self.value("golden_deltas")
        if not metrics:
            self.err("metrics", (), "name at least one metric")
        for name, metric in deltas.items():
            if metric not in metrics:
                self.err("golden_deltas", (name,), f"unknown metric '{metric}' (known: {', '.join(metrics)})")
        self._targets(metrics)
        names: dict[str, tuple[str, tuple[Any, ...]]] = {}

        def claim(name: str, section: str, path: tuple[Any, ...]) -> None:
            if name in builtin.NAMES:
                self.err(section, path + ("rule",), f"'{name}' is the name of a built-in rule; choose another")
            elif name in names:
                other = self.sections[names[name][0]][0].position((names[name][0],) + names[name][1])
                self.err(section, path + ("rule",), f"rule name '{name}' is already used at line {other[0]}")
            else:
                names[name] = (section, path)

        for index, rule in enumerate(self.value("should_tune")):
            claim(rule.rule, "should_tune", (index,))
            kind = GAP if rule.about == "gap" else MEAN_GAP
            self._condition("should_tune", (index, "when"), rule.when, kind, metrics, refs=rule.about == "gap")
        golden = golden_kind(tuple(deltas))
        validation: GoldenValidation = self.value("golden_validation")
        for group in ("reject", "improved"):
            for index, rule in enumerate(getattr(validation, group)):
                claim(rule.rule, "golden_validation", (group, index))
                self._condition("golden_validation", (group, index, "when"), rule.when, golden, metrics, refs=False)
        degradation: Degradation = self.value("degradation")
        if degradation.default_bound < 0:
            self.err("degradation", ("default_bound",), "a bound must not be negative")
        for name, bound in degradation.bounds.items():
            if name not in metrics:
                self.err("degradation", ("bounds", name), f"unknown metric '{name}' (known: {', '.join(metrics)})", key=True)
            if bound < 0:
                self.err("degradation", ("bounds", name), "a bound must not be negative")
        self._looks(self.value("methodology"))
        autonomy: Autonomy = self.value("autonomy")
        for name, policy in autonomy.parameters.items():
            if policy.minimum > policy.maximum:
                self.err("autonomy", ("parameters", name, "minimum"), f"minimum {numbers.text(policy.minimum)} is above maximum {numbers.text(policy.maximum)}")

    def _looks(self, methodology: Methodology) -> None:
        previous = 0
        for index, look in enumerate(methodology.ab_looks):
            if look <= previous:
                self.err("methodology", ("ab_looks", index),
                         f"looks must be strictly increasing: {look} comes after {previous}")
            elif look >= methodology.batch_size:
                self.err("methodology", ("ab_looks", index),
                         f"look {look} is not below batch_size {methodology.batch_size} "
                         "(the whole batch is always the last look)")
            previous = max(previous, look)

    def _targets(self, metrics: dict[str, MetricSpec]) -> None:
        seen: dict[tuple[str, str | None], int] = {}
        for index, target in enumerate(self.value("targets")):
            if target.metric not in metrics:
                self.err("targets", (index, "metric"), f"unknown metric '{target.metric}' (known: {', '.join(metrics)})")
            elif metrics[target.metric].direction != target.direction:
                self.err("targets", (index, "direction"), f"{target.metric} is {metrics[target.metric].direction} in metrics, not {target.direction}")
            if target.threshold < 0:
                self.err("targets", (index, "threshold"), f"a threshold must not be negative, got {target.threshold!r}")
            key = (target.metric, target.segment)
            if key in seen:
                self.err("targets", (index,), f"a second target for {target.metric}"
                         + (f" in segment {target.segment}" if target.segment else "")
                         + f" (first is item {seen[key] + 1})")
            seen.setdefault(key, index)

    def _condition(self, section: str, path: tuple[Any, ...], cond: Any, kind: FactKind,
                   metrics: dict[str, MetricSpec], *, refs: bool) -> None:
        if _conjunct_count(cond) > MAX_CONJUNCTS:
            self.err(section, path, f"condition expands to more than {MAX_CONJUNCTS} alternatives; split the rule")
            return
        self._check(section, path, cond, kind, metrics, refs)

    def _check(self, section: str, path: tuple[Any, ...], cond: Any, kind: FactKind,
               metrics: dict[str, MetricSpec], refs: bool) -> None:
        if isinstance(cond, AllOf | AnyOf):
            key = "all" if isinstance(cond, AllOf) else "any"
            for index, sub in enumerate(getattr(cond, key)):
                self._check(section, path + (key, index), sub, kind, metrics, refs)
            return
        assert isinstance(cond, Comparison)
        if cond.field not in kind.fields:
            self.err(section, path + ("field",), f"a {kind.name} fact has no field '{cond.field}' (fields: {', '.join(kind.fields)})")
            return
        op, value = cond.operator
        where = path + (op,)
        if cond.field in kind.text:
            allowed = kind.text[cond.field]
            if op not in ("eq", "ne"):
                self.err(section, where, f"'{cond.field}' is text; compare it with eq or ne, not {op}")
            elif not isinstance(value, str):
                self.err(section, where, f"'{cond.field}' is text; compare it with text, not {_shown(value)}")
            elif allowed is not None and value not in allowed:
                self.err(section, where, f"'{cond.field}' is one of {', '.join(allowed)}; got '{value}'")
            elif cond.field == "metric" and value not in metrics:
                self.err(section, where, f"unknown metric '{value}' (known: {', '.join(metrics)})")
        elif cond.field in kind.booleans:
            if op not in ("eq", "ne") or not isinstance(value, bool):
                self.err(section, where, f"'{cond.field}' is true or false; use eq: true or eq: false")
        else:
            if isinstance(value, TargetRef):
                if not refs:
                    self.err(section, where, f"'{{target: {value.target}}}' can only be used in rules about gaps")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                self.err(section, where, f"'{cond.field}' is a number; compare it with a number, not {_shown(value)}")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return numbers.text(value)
    return repr(value)


def _conjunct_count(cond: Any) -> int:
    if isinstance(cond, AllOf):
        total = 1
        for sub in cond.all:
            total *= _conjunct_count(sub)
            if total > MAX_CONJUNCTS:
                return total
        return total
    if isinstance(cond, AnyOf):
        return sum(_conjunct_count(sub) for sub in cond.any)
    return 1


def _places(sections: dict[str, tuple[Document, Any]]) -> dict[str, Where]:
    places: dict[str, Where] = {}
    for section, (doc, _) in sections.items():
        for path, (line, column) in list(doc.keys.items()) + list(doc.values.items()):
            if path and path[0] == section:
                dotted = ".".join(str(p) for p in path)
                if dotted not in places:  # keys come first: the place a thing is named
                    places[dotted] = Where(file=doc.file, line=line, column=column)
    return places


def _read(files: list[Path], errors: list[RuleError], digest: Any) -> dict[str, tuple[Document, Any]]:
    sections: dict[str, tuple[Document, Any]] = {}
    for file in files:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            errors.append(RuleError(file=str(file), line=1, column=1, message=f"cannot read: {exc.strerror or exc}"))
            continue
        digest.update(file.name.encode() + b"\0" + raw + b"\0")
        try:
            doc = parse_document(raw, str(file))
        except RuleFilesInvalid as exc:
            errors.extend(exc.errors)
            continue
        if not isinstance(doc.data, dict):
            errors.append(doc.error((), f"expected sections (a mapping such as 'targets: ...'), got {type(doc.data).__name__}"))
            continue
        try:
            parsed = RuleFile.model_validate(doc.data, strict=True)
        except ValidationError as exc:
            for path, message, on_key in humanize(exc, doc.data, RuleFile, sections=True):
                errors.append(doc.error(path, message, key=on_key))
            continue
        number_errors = _number_errors(doc)
        errors.extend(number_errors)
        for section in SECTIONS:
            if section not in doc.data:
                continue
            if doc.data[section] is None:
                errors.append(doc.error((section,), f"section '{section}' is empty", key=True))
            elif section in sections:
                first = sections[section][0]
                line = first.position((section,), key=True)[0]
                errors.append(doc.error((section,), f"section '{section}' is already defined in {first.file}:{line}", key=True))
            else:
                sections[section] = (doc, getattr(parsed, section))
    return sections


def _sorted(errors: list[RuleError]) -> list[RuleError]:
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=lambda e: (e.file, e.line, e.column))


def load_rulebook(path: Path | None = None) -> RuleBook:
    """The rule book at ``path`` (a folder or one file); None -> the packaged defaults."""
    source = None if path is None else Path(path)
    where = DEFAULTS_DIR if source is None else source
    if where.is_dir():
        files = rule_files(where)
        if not files:
            raise RuleFilesInvalid([RuleError(file=str(where), line=1, column=1, message="no rule files (*.yaml) in this folder")])
    elif where.is_file():
        files = [where]
    else:
        raise RuleFilesInvalid([RuleError(file=str(where), line=1, column=1, message="no such rule file or folder")])
    errors: list[RuleError] = []
    digest = hashlib.sha256()
    sections = _read(files, errors, digest)
    if errors:
        raise RuleFilesInvalid(_sorted(errors))
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        hint = "" if where.is_dir() else "; a single rule file must hold every section (check the folder instead)"
        raise RuleFilesInvalid([RuleError(file=str(where), line=1, column=1,
                                          message=f"missing section{'s' if len(missing) > 1 else ''} {', '.join(missing)}{hint}")])
    checker = _Checker(sections)
    checker.run()
    if checker.errors:
        raise RuleFilesInvalid(_sorted(checker.errors))
    values = {section: value for section, (_, value) in sections.items()}
    values["targets"] = [entry.spec() for entry in values["targets"]]
    return RuleBook(
        **values,
        source=source,
        files=files,
        fingerprint=digest.hexdigest(),
        places=_places(sections),
    )


def install_defaults(dest: Path) -> None:
    """Copy the packaged rule files (and their tests) into ``dest``; existing files are kept.

    Folders made here are 0o700 and files 0o600 whatever the umask (the policy is its
    owner's); a folder already there keeps its mode. Each file appears whole or not at
    all, so a creation cut short and run again never keeps half a rule file.
    """
    dest = Path(dest)
    for src_dir, out_dir in ((DEFAULTS_DIR, dest), (DEFAULTS_DIR / "tests", dest / "tests")):
        try:
            out_dir.mkdir(mode=0o700, parents=True)
            os.chmod(out_dir, 0o700)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            pass
        for src in rule_files(src_dir):
            _create_whole(out_dir / src.name, src.read_bytes())


def _create_whole(path: Path, data: bytes) -> None:
    """Write a new 0o600 file durably; an existing ``path`` is never replaced (a link, not a rename)."""
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # a dot file: never read as a rule file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(fd, 0o600)
            out.write(data)
            out.flush()
            os.fsync(fd)
        os.link(tmp, path)
    except FileExistsError:
        pass  # made meanwhile by another process: theirs stays
    except OSError:  # a file system without hard links: an exclusive create, still never a replace
        with contextlib.suppress(FileExistsError), os.fdopen(
                os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(data)
    finally:
        tmp.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def rulebook_json_schema() -> dict[str, Any]:
    """JSON Schema of one rule file, for editors (yaml-language-server and the like)."""
    schema = RuleFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}

