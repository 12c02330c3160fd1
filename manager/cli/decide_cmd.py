"""``maas-manager decide``: fact sets on stdin, one decision (JSON) per fact set on stdout.

Input is one JSON object, or JSON Lines with one object per line (blank lines are
skipped). All or nothing: every fact set is checked first; if any line is not JSON,
not an object, or refused by the rules' fact checks, nothing is written to stdout,
every problem is written to stderr as ``line N: ...`` and the exit code is 1.
Exit codes: 0 answered, 1 input refused, 2 usage, 3 rule files invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from manager.cli.rules_cmd import active_rules_path, load_or_exit, read_stdin_text

EXIT_INPUT_REFUSED = 1


def fact_sets(text: str) -> tuple[list[tuple[int, Any]], list[str]]:
    """[(line, fact set)] and the problems found; a whole-input object counts as line 1."""
    if not text.strip():
        return [], ["stdin is empty: expected one JSON object, or JSON Lines with one object per line"]
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, nested too deep, a number too long
        whole = None
    else:
        if isinstance(whole, dict):
            return [(1, whole)], []
        if not isinstance(whole, (int, float, str)) or "\n" not in text.strip():
            return [], [f"line 1: expected a JSON object, got {type(whole).__name__}"]
    found: list[tuple[int, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            problems.append(f"line {number}: not accepted: nested too deeply")
            continue
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            problems.append(f"line {number}: not accepted: {exc}")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {number}: expected a JSON object, got {type(value).__name__}")
            continue
        found.append((number, value))
    return found, problems


@click.command()
@click.option("--rules", "rules_path", type=click.Path(path_type=Path), default=None,
              help="Rule folder or file (default: the workspace's rules, else the packaged defaults).")
@click.pass_context
def decide(ctx: click.Context, rules_path: Path | None) -> None:
    """Evaluate fact sets (JSON on stdin) by the active rules; one JSON answer per fact set.

    \b
    A fact set: {"metrics": {...}, "golden_delta": {...}, "baseline": {...}, "segments": {...}};
    golden_delta, baseline and segments are optional. In the answer, "validation" is null
    without golden_delta and "degradation" null without baseline.
    All or nothing: if any line is refused, stdout stays empty and stderr names each line.
    Exit codes: 0 answered, 1 input refused, 2 usage, 3 rule files invalid.
    """
    from rules import Evaluator, FactsInvalid

    book = load_or_exit(active_rules_path(ctx, rules_path))
    found, problems = fact_sets(read_stdin_text())
    evaluator = Evaluator(book)
    answers: list[dict[str, Any]] = []
    for number, facts in found:
        try:
            answers.append(evaluator.decide(facts).model_dump(mode="json"))
        except FactsInvalid as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        for problem in sorted(problems, key=lambda p: int(p.split(":")[0].split()[1]) if p.startswith("line ") else 0):
            click.echo(problem, err=True)
        click.echo(f"refused: {len(problems)} problem(s); no fact set was answered", err=True)
        sys.exit(EXIT_INPUT_REFUSED)
    for answer in answers:
        click.echo(json.dumps(answer, ensure_ascii=False))
