"""Malformed ``decide`` input and goals the Manager does not understand.

``tests/rules/test_rules_decide_cli.py`` covers wrong types of one metric, NaN and Infinity
in ``metrics``, unknown keys, non-UTF-8 bytes and a bad line among good ones; here is what
it leaves out. Each case is refused with a message naming the line and the problem, exit 1,
nothing on stdout, no traceback. Unknown goals are refused naming what was not understood,
through ``goal add`` and through the ``goal`` command, and nothing is created.
"""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from hardening_ws import cli, copy_ws, no_traceback

from manager.cli import main
from manager.commands import submit
from manager.workspace import store_dir
from store import Store
from store.models import Campaign, Command

METRICS = {"hallucination_rate": 0.07, "retrieval_precision": 0.72, "retrieval_recall": 0.65,
           "context_utilization": 0.85, "latency_p95_s": 3.2, "error_rate": 0.004}
GOOD = json.dumps({"metrics": METRICS})


def decide(tmp_path, stdin: str | bytes):
    return CliRunner().invoke(main, ["-w", str(tmp_path / "none"), "decide"], input=stdin)


def garbage(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


CASES = {
    # binary garbage: not UTF-8, or UTF-8 that is not JSON
    "random bytes": (garbage(1, 4096), "stdin is not UTF-8 text"),
    "control bytes": (b"\x00\x01\x02\x1b[2J\x7f garbage\n", "line 1: not JSON"),
    "NUL inside a line": ('{"metrics": {"hallucination_rate": 0.1}\x00}', "line 1: not JSON"),
    "byte-order mark": ("\ufeff" + GOOD, "line 1: not JSON: Unexpected UTF-8 BOM"),
    # huge input
    "deep nesting": ("[" * 100_000, "line 1: not accepted: nested too deeply"),
    "a number of 5000 digits": ('{"metrics": {"hallucination_rate": ' + "9" * 5000 + "}}",
                                "line 1: not accepted: Exceeds the limit"),
    "a 5 MB line": (json.dumps({"metrics": METRICS, "note": "x" * 5_000_000}), "line 1: note: unknown key 'note'"),
    "a 100 kB key": (json.dumps({"metrics": {"m" * 100_000: 0.1}}), "line 1: metrics.mmmm"),
    "20 000 unknown metrics": (json.dumps({"metrics": {f"m{i}": 1 for i in range(20_000)}}), "more problem(s)"),
    # NaN and Infinity where the existing tests do not put them
    "NaN in golden_delta": ('{"metrics": %s, "golden_delta": {"precision_delta": NaN, "recall_delta": 0, '
                            '"hallucination_delta": 0, "context_util_delta": 0}}' % json.dumps(METRICS),
                            "golden_delta.precision_delta: expected a finite number"),
    "-Infinity in baseline": ('{"metrics": %s, "baseline": {"retrieval_precision": -Infinity}}' % json.dumps(METRICS),
                              "baseline.retrieval_precision: expected a finite number"),
    "1e999 in segments": ('{"metrics": %s, "segments": {"preferences": {"retrieval_recall": 1e999}}}'
                          % json.dumps(METRICS), "segments.preferences.retrieval_recall: expected a finite number"),
    # nested wrong types
    "metrics a list": ('{"metrics": [0.1, 0.2]}', "line 1: metrics: expected a mapping"),
    "a metric a mapping": ('{"metrics": {"hallucination_rate": {"value": 0.1}}}', "expected a number, got a mapping"),
    "a metric a list": ('{"metrics": {"hallucination_rate": [0.1]}}', "expected a number"),
    "a metric null": ('{"metrics": {"hallucination_rate": null}}', "expected a number"),
    "segments a list": ('{"metrics": %s, "segments": {"preferences": [1]}}' % json.dumps(METRICS),
                        "segments.preferences: expected a mapping"),
    "golden_delta text": ('{"metrics": %s, "golden_delta": "better"}' % json.dumps(METRICS),
                          "golden_delta: expected a mapping"),
    # empty input, in its forms
    "nothing": ("", "stdin is empty"),
    "only blank lines": ("  \n\n\t\n", "stdin is empty"),
    "an empty object": ("{}", "line 1: facts: missing key 'metrics'"),
    "null": ("null", "line 1: expected a JSON object, got NoneType"),
    "an empty list": ("[]", "line 1: expected a JSON object, got list"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_decide_input_is_refused_naming_the_problem(tmp_path, case: str) -> None:
    stdin, words = CASES[case]
    result = decide(tmp_path, stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, (result.exit_code, result.stderr[:500])
    assert result.stdout == ""
    assert words in result.stderr, result.stderr[:500]
    assert len(result.stderr) < 5000, "a refusal is readable, not an echo of the input"
    no_traceback(result.stderr)


def test_a_bad_line_among_thousands_refuses_all_and_names_it(tmp_path) -> None:
    lines = [GOOD] * 1000
    lines[776] = '{"metrics": {"hallucination_rate": Infinity}}'
    result = decide(tmp_path, "\n".join(lines))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[0].startswith("line 777: metrics.hallucination_rate: expected a finite")


def test_decide_as_a_process_survives_garbage(tmp_path) -> None:
    done = cli(tmp_path / "none", "decide", stdin="[" * 100_000 + "\n" + GOOD)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert "line 1: not accepted: nested too deeply" in done.stderr
    no_traceback(done.stderr)


# --- goals ----------------------------------------------------------------------------------------

UNKNOWN_GOALS = {
    "make the memory feel purple": "did not understand 'memory feel purple'",
    "increase banana_rate by 10%": "did not understand 'banana_rate'",
    "increase recall on hobbies by +10%": "unknown segment 'hobbies'",
    "raise hallucination_rate above 20%": "lower is better",
    "x" * 5000: "at most 2000 are read",
}


@pytest.fixture(scope="module")
def goal_ws(after_cycle1, tmp_path_factory):
    """One workspace for every unknown goal: none of them may change it."""
    return copy_ws(after_cycle1, tmp_path_factory.mktemp("goals") / "ws")


@pytest.mark.parametrize("text", list(UNKNOWN_GOALS), ids=lambda t: t[:30])
def test_an_unknown_goal_is_refused_naming_what_was_not_understood(goal_ws, text: str) -> None:
    store = Store.open(store_dir(goal_ws))
    campaigns, commands, entries = store.count(Campaign), store.count(Command), store.log_count()

    added = CliRunner().invoke(main, ["-w", str(goal_ws), "goal", "add", "-y", text])  # refused before sending
    assert added.exit_code == 1 and "not ready; nothing was started" in added.stderr, added.output
    assert UNKNOWN_GOALS[text] in added.stdout
    no_traceback(added.output)
    assert store.count(Command) == commands

    sent = submit(goal_ws, "goal", {"text": text})  # a client that sends it anyway: the engine refuses
    assert sent.state == "refused" and sent.result.startswith("goal not accepted: ")
    assert UNKNOWN_GOALS[text] in sent.result
    assert store.count(Campaign) == campaigns and store.log_count() == entries
    assert store.count(Command) == commands + 1


@pytest.mark.parametrize("args", [{}, {"text": 42}, {"text": ["increase recall by 10%"]}, {"text": None}],
                         ids=["missing", "number", "list", "null"])
def test_a_goal_command_without_text_is_refused_clearly(goal_ws, args) -> None:
    store = Store.open(store_dir(goal_ws))
    campaigns = store.count(Campaign)
    sent = submit(goal_ws, "goal", args)
    assert sent.state == "refused" and sent.result.startswith("goal: needs text as text"), sent.result
    assert store.count(Campaign) == campaigns
