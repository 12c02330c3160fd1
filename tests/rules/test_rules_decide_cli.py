"""``maas-manager decide``: the DESIGN.md contract, through click and once as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules_samples import MET, NO_CHANGE, SEED_METRICS
from manager.cli import main
from rules import install_defaults

DESIGN_EXAMPLE = {
    "metrics": SEED_METRICS,
    "golden_delta": {"precision_delta": 0.03, "recall_delta": -0.01, "hallucination_delta": 0.0, "context_util_delta": 0.0},
}


def decide(tmp_path: Path, stdin: str | bytes, *args: str):
    runner = CliRunner()
    return runner.invoke(main, ["-w", str(tmp_path / "no-workspace"), "decide", *args], input=stdin)


def test_one_object_in_one_answer_out(tmp_path: Path) -> None:
    result = decide(tmp_path, json.dumps(DESIGN_EXAMPLE, indent=2))  # a pretty-printed object is one fact set
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    answer = json.loads(line)
    assert list(answer) == ["gaps", "should_tune", "validation", "degradation", "fired"]
    assert answer["gaps"][0] == {"metric": "hallucination_rate", "target": 0.05, "current": 0.07, "gap": 0.02,
                                 "threshold": 0.02, "exceeds_threshold": False, "priority": "critical"}
    assert answer["should_tune"] is True
    assert answer["validation"] == {"apply": True, "reason": "golden set validation passed"}
    assert answer["degradation"] is None
    assert {"rule": "mean-primary-gap", "because": "mean primary gap 0.06 > 0.05",
            "facts": {"priority": "primary", "mean": 0.06, "count": 3}} in answer["fired"]


def test_json_lines_in_order(tmp_path: Path) -> None:
    lines = [
        {"metrics": MET},
        {"metrics": MET, "golden_delta": NO_CHANGE},
        {"metrics": {**MET, "retrieval_precision": 0.7}, "baseline": {"retrieval_precision": 0.85}},
    ]
    result = decide(tmp_path, "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["should_tune"] for a in answers] == [False, False, False]
    assert [a["validation"] for a in answers] == [None, {"apply": False, "reason": "no improvement on golden set"}, None]
    assert [a["degradation"] for a in answers] == [None, None, {"rollback": True, "metrics": ["retrieval_precision"]}]


@pytest.mark.parametrize(("stdin", "words"), [
    ('{"metrics": {"hallucination_rate": "0.07"}}', "expected a number, got the text '0.07'"),
    ('{"metrics": {"hallucination_rate": NaN}}', "finite number"),
    ('{"metrics": {"hallucination_rate": Infinity}}', "finite number"),
    ('{"metrics": {"hallucination_rate": true}}', "expected a number"),
    ('{"metrics": {"halucination_rate": 0.07}}', "unknown metric"),
    ('{"metrics": {}, "golden": {}}', "unknown key 'golden'"),
    ('{"metrics": %s, "golden_delta": {"precision_delta": 0.1}}' % json.dumps(MET), "golden_delta.recall_delta: missing"),
    ('{"metrics": %s, "baseline": {"context_utilization": 0.9, "foo": 1}}' % json.dumps({"hallucination_rate": 0.1}), "baseline.foo: unknown metric"),
    ('{"metrics": {"hallucination_rate": 1e300}}', "outside"),
    ("[1, 2]", "expected a JSON object, got list"),
    ("", "stdin is empty"),
])
def test_refused_input_names_the_problem(tmp_path: Path, stdin: str, words: str) -> None:
    result = decide(tmp_path, stdin)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert words in result.stderr, result.stderr


def test_a_bad_line_refuses_the_whole_input_and_names_every_bad_line(tmp_path: Path) -> None:
    good = json.dumps({"metrics": MET})
    stdin = "\n".join([good, "{not json", good, '{"metrics": {"x": 1}}', '"text"', good]) + "\n"
    result = decide(tmp_path, stdin)
    assert result.exit_code == 1
    assert result.stdout == "", "all or nothing: no fact set is answered when one line is refused"
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 2: not JSON")
    assert errors[1].startswith("line 4: metrics.x: unknown metric")
    assert errors[2] == "line 5: expected a JSON object, got str"
    assert errors[3] == "refused: 3 problem(s); no fact set was answered"


def test_non_utf8_stdin(tmp_path: Path) -> None:
    result = decide(tmp_path, b'{"metrics": {"\xff": 1}}')
    assert result.exit_code == 1 and "not UTF-8" in result.stderr


def test_workspace_rules_are_used_when_present(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    install_defaults(workspace / "rules")
    targets = workspace / "rules" / "targets.yaml"
    targets.write_text(targets.read_text().replace("target: 0.05", "target: 0.10"))
    runner = CliRunner()
    result = runner.invoke(main, ["-w", str(workspace), "decide"], input=json.dumps({"metrics": SEED_METRICS}))
    assert result.exit_code == 0, result.output
    gap = json.loads(result.stdout)["gaps"][0]
    assert (gap["target"], gap["gap"]) == (0.1, -0.03)
    # --rules wins over the workspace
    explicit = runner.invoke(main, ["-w", str(workspace), "decide", "--rules", str(tmp_path / "missing")],
                             input=json.dumps({"metrics": SEED_METRICS}))
    assert explicit.exit_code == 3 and "no such rule file or folder" in explicit.stderr


def test_invalid_rule_files_exit_3_with_file_line_col(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    install_defaults(folder)
    (folder / "methodology.yaml").write_text("methodology:\n  batch_size: thirty\n")
    result = decide(tmp_path, json.dumps({"metrics": MET}), "--rules", str(folder))
    assert result.exit_code == 3
    assert f"{folder / 'methodology.yaml'}:2:15: expected a whole number, got the text 'thirty'" in result.stderr
    assert result.stdout == ""


def test_decide_as_a_real_process(tmp_path: Path) -> None:
    """Once through the installed console script: stdin, stdout, exit codes."""
    script = shutil.which("maas-manager", path=str(Path(sys.executable).parent)) or "maas-manager"
    env = {**os.environ, "MAAS_MANAGER_WORKSPACE": str(tmp_path / "none")}
    stdin = json.dumps({"metrics": SEED_METRICS, "baseline": {"retrieval_precision": 0.81}}) + "\n" + json.dumps({"metrics": MET})
    done = subprocess.run([script, "decide"], input=stdin, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["degradation"] == {"rollback": True, "metrics": ["retrieval_precision"]}
    assert first["should_tune"] is True and second["should_tune"] is False
    bad = subprocess.run([script, "decide"], input="{oops\n", capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and bad.stdout == "" and "line 1: not JSON" in bad.stderr
