"""``maas-manager rules check|test|explain|schema``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rules_samples import NO_CHANGE, SEED_METRICS, change
from manager.cli import main
from rules import install_defaults, rulebook_json_schema, run_rule_tests
from rules.book import DEFAULTS_DIR
from rules.schema import SECTIONS
from rules.yamlsource import read_document


def run(tmp_path: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["-w", str(tmp_path / "ws"), "rules", *args], input=stdin)


def test_check_ok_on_packaged_and_on_a_workspace_copy(tmp_path: Path) -> None:
    result = run(tmp_path, "check")
    assert result.exit_code == 0 and result.stdout.startswith("ok: packaged defaults: 7 file(s)")
    install_defaults(tmp_path / "ws" / "rules")
    result = run(tmp_path, "check")
    assert result.exit_code == 0 and str(tmp_path / "ws" / "rules") in result.stdout


def test_check_names_file_line_col(tmp_path: Path) -> None:
    folder = tmp_path / "ws" / "rules"
    install_defaults(folder)
    path = folder / "autonomy.yaml"
    path.write_text(path.read_text().replace("max_parallel_experiments: 3", "max_parallel_experiments: three"))
    result = run(tmp_path, "check")
    assert result.exit_code == 1
    assert result.stdout == f"{path}:7:29: expected a whole number, got the text 'three'\n"


def test_rule_tests_pass_and_exercise_every_rule_in_force(tmp_path: Path) -> None:
    report = run_rule_tests()
    assert report.ok, [str(f) for f in report.failed] + [str(e) for e in report.errors]
    assert report.unexercised == []
    assert len(report.passed) >= 20
    result = run(tmp_path, "test", "--strict")
    assert result.exit_code == 0, result.output
    assert f"{len(report.passed)} passed, 0 failed" in result.stdout


def test_failing_rule_test_and_unexercised_rules_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    install_defaults(folder)
    # the policy owner raises the mean-gap bar: the seed example no longer tunes
    should = folder / "should_tune.yaml"
    should.write_text(should.read_text().replace("{field: mean, gt: 0.05}", "{field: mean, gt: 0.07}"))
    (folder / "tests" / "policy.yaml").unlink()
    report = run_rule_tests(folder)
    failed = {f.name: f for f in report.failed}
    seed = failed["DESIGN.md example - primary metrics miss on average, no golden improvement"]
    assert "should_tune is false, expected true" in seed.problems
    assert "rule mean-primary-gap did not fire" in seed.problems
    assert seed.file == str(folder / "tests" / "decide.yaml") and seed.line == 4
    assert "four-eyes" in report.unexercised and "step-too-large" in report.unexercised
    result = run(tmp_path, "test", str(folder))
    assert result.exit_code == 1
    assert "FAIL DESIGN.md example" in result.stdout and "rules no test made fire: " in result.stdout


def test_rule_test_naming_an_unknown_rule_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    install_defaults(folder)
    tests = folder / "tests" / "decide.yaml"
    tests.write_text(tests.read_text().replace("fired: [mean-primary-gap]", "fired: [mean-primry-gap]", 1))
    report = run_rule_tests(folder)
    assert not report.ok
    assert [str(e) for e in report.errors] == [f"{tests}:17:15: no rule is named 'mean-primry-gap'"]


def test_rule_tests_without_tests_folder(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    for src in DEFAULTS_DIR.glob("*.yaml"):
        (folder / src.name).write_bytes(src.read_bytes())
    report = run_rule_tests(folder)
    assert not report.ok and "no rule tests" in report.errors[0].message


def test_explain_decide_in_words(tmp_path: Path) -> None:
    facts = {"metrics": {**SEED_METRICS, "hallucination_rate": 0.08},
             "golden_delta": {**NO_CHANGE, "precision_delta": -0.06}, "baseline": {"retrieval_precision": 0.9}}
    result = run(tmp_path, "explain", stdin=json.dumps(facts))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "should tune: yes" in text
    assert "critical-gap: hallucination_rate priority = critical and gap 0.03 > threshold 0.02  [should_tune.yaml:8]" in text
    assert "mean-primary-gap: mean primary gap 0.06 > 0.05  [should_tune.yaml:16]" in text
    assert "golden validation: do not apply (primary metrics degraded on golden set)" in text
    assert "golden-primary-fell: golden set precision_delta -0.06 < -0.05" in text
    assert "degradation: roll back (retrieval_precision)" in text
    assert "did not fire: golden-hallucination-rose, golden-improved" in text
    as_json = run(tmp_path, "explain", "--json", stdin=json.dumps(facts))
    assert json.loads(as_json.stdout)["validation"]["reason"] == "primary metrics degraded on golden set"


def test_explain_change_and_approval(tmp_path: Path) -> None:
    result = run(tmp_path, "explain", stdin=json.dumps(change(proposed=9)))
    assert "change of top_k from 5 to 9: denied" in result.stdout
    assert "step-too-large: top_k step 4 > max step 2" in result.stdout
    result = run(tmp_path, "explain", stdin=json.dumps({"approver": "ann", "proposer": "Ann"}))
    assert "denied" in result.stdout and "four-eyes: ann proposed this change" in result.stdout


def test_explain_refuses_bad_facts(tmp_path: Path) -> None:
    result = run(tmp_path, "explain", stdin='{"metrics": {"hallucination_rate": "high"}}')
    assert result.exit_code == 1 and "facts refused: metrics.hallucination_rate: expected a number" in result.output
    result = run(tmp_path, "explain", stdin="{")
    assert result.exit_code == 1 and "not JSON" in result.output


def test_schema_describes_every_section_and_refuses_unknown_keys(tmp_path: Path) -> None:
    result = run(tmp_path, "schema")
    schema = json.loads(result.stdout)
    assert schema == rulebook_json_schema()
    assert schema["$schema"].endswith("2020-12/schema") and schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(SECTIONS)
    for path in DEFAULTS_DIR.glob("*.yaml"):
        assert set(read_document(path).data) <= set(schema["properties"])
    defs = schema["$defs"]
    assert set(defs["Comparison"]["properties"]) == {"field", "eq", "ne", "gt", "gte", "lt", "lte"}
    assert defs["Comparison"]["additionalProperties"] is False
    assert set(defs["ParameterPolicy"]["properties"]["level"]["enum"]) == {"auto", "approval", "never"}
    out = tmp_path / "schema.json"
    assert run(tmp_path, "schema", "-o", str(out)).exit_code == 0 and json.loads(out.read_text()) == schema
    tests_schema = json.loads(run(tmp_path, "schema", "--tests").stdout)
    assert set(tests_schema["properties"]) == {"decide", "change", "approval"}
