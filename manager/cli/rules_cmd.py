"""``maas-manager rules``: check, test and explain the rule files; write their JSON Schema.

The rules used are PATH (or --rules) when given, else the workspace's ``rules/``
folder when it exists, else the packaged defaults.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from manager.workspace import rules_dir

EXIT_RULES_INVALID = 1


def active_rules_path(ctx: click.Context, explicit: Path | None) -> Path | None:
    """PATH if given; else the workspace's rules folder if it exists; else None (packaged defaults)."""
    if explicit is not None:
        return explicit
    workspace = (ctx.find_root().obj or {}).get("workspace")
    if workspace is not None and rules_dir(workspace).exists():
        return rules_dir(workspace)
    return None


def describe_source(path: Path | None) -> str:
    return str(path) if path is not None else "packaged defaults"


def read_stdin_text() -> str:
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"stdin is not UTF-8 text (byte {exc.start})") from None


def load_or_exit(path: Path | None):
    from rules import RuleFilesInvalid, load_rulebook

    try:
        return load_rulebook(path)
    except RuleFilesInvalid as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"rule files invalid ({describe_source(path)}): {len(exc.errors)} error(s)", err=True)
        sys.exit(3)


@click.group()
def rules() -> None:
    """Check, test and explain the rule files; write their JSON Schema."""


@rules.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.pass_context
def check(ctx: click.Context, path: Path | None) -> None:
    """Validate a rule folder or file: exit 0, or 1 with one `file:line:col: message` per error."""
    from rules import Evaluator, RuleFilesInvalid, load_rulebook

    path = active_rules_path(ctx, path)
    try:
        book = load_rulebook(path)
    except RuleFilesInvalid as exc:
        for error in exc.errors:
            click.echo(str(error))
        sys.exit(EXIT_RULES_INVALID)
    in_force = sum(1 for rule in Evaluator(book).rules() if rule.in_force)
    click.echo(f"ok: {describe_source(path)}: {len(book.files)} file(s), {in_force} rules in force, "
               f"fingerprint {book.fingerprint[:12]}")


@rules.command("test")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--tests", "tests_path", type=click.Path(path_type=Path), default=None,
              help="Folder or file of rule tests (default: the tests/ folder beside the rules).")
@click.option("--strict", is_flag=True, help="Also fail when a rule in force is exercised by no test.")
@click.pass_context
def test_rules(ctx: click.Context, path: Path | None, tests_path: Path | None, strict: bool) -> None:
    """Run the YAML rule tests (given facts -> expected decisions); name the rules no test exercised."""
    from rules import run_rule_tests

    path = active_rules_path(ctx, path)
    report = run_rule_tests(path, tests_path)
    for error in report.errors:
        click.echo(str(error))
    for name in report.passed:
        click.echo(f"PASS {name}")
    for failure in report.failed:
        click.echo(f"FAIL {failure.name}  ({failure.file}:{failure.line})")
        for problem in failure.problems:
            click.echo(f"     {problem}")
    click.echo(f"{len(report.passed)} passed, {len(report.failed)} failed")
    if report.unexercised:
        click.echo(f"rules no test made fire: {', '.join(report.unexercised)}")
    if not report.ok or (strict and report.unexercised):
        sys.exit(1)


@rules.command()
@click.option("--rules", "rules_path", type=click.Path(path_type=Path), default=None,
              help="Rule folder or file (default: the workspace's rules, else the packaged defaults).")
@click.option("--kind", type=click.Choice(["auto", "decide", "change", "approval"]), default="auto",
              help="What the fact set is; auto: approver/proposer -> approval, parameter -> change, else decide.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON instead of text.")
@click.pass_context
def explain(ctx: click.Context, rules_path: Path | None, kind: str, as_json: bool) -> None:
    """Read one fact set (a JSON object on stdin) and say why it gets its decisions."""
    from rules import Evaluator, FactsInvalid
    from rules.explain import explain as explain_facts

    path = active_rules_path(ctx, rules_path)
    book = load_or_exit(path)
    text = read_stdin_text()
    try:
        facts = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"stdin: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        words, decision = explain_facts(Evaluator(book), facts, kind)
    except FactsInvalid as exc:
        raise click.ClickException(f"facts refused: {exc}") from None
    click.echo(json.dumps(decision, indent=2, ensure_ascii=False) if as_json else words, nl=as_json)


@rules.command()
@click.option("--tests", "for_tests", is_flag=True, help="The schema of rule test files instead.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
def schema(for_tests: bool, output: Path | None) -> None:
    """Write the JSON Schema of rule files, for editors (e.g. yaml-language-server)."""
    from rules import rule_tests_json_schema, rulebook_json_schema

    text = json.dumps(rule_tests_json_schema() if for_tests else rulebook_json_schema(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
