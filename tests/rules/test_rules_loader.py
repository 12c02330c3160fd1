"""Rule files that are wrong in any way are refused with file:line:col and a reason.

The mutation corpus: each case edits one packaged rule file (typos in keys and
operators, wrong types, YAML tags, duplicate keys, missing fields, a list where one
condition was meant, NaN and negative thresholds, ...) or replaces it with bytes
(empty, non-UTF-8, an alias bomb). Every case must be refused by ``load_rulebook``
and by ``rules check`` with an error on the right line; none may crash or pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manager.cli import main
from rules import Evaluator, RuleFilesInvalid, load_rulebook, rulebook_json_schema
from rules.book import DEFAULTS_DIR

ALIAS_BOMB = b"""a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
"""

# (case id, file, text to replace, replacement, line of the error, words the message must hold)
EDITS = [
    ("typo-in-key", "targets.yaml", "threshold: 0.02", "threshhold: 0.02", 8, "unknown key 'threshhold'; did you mean 'threshold'"),
    ("missing-field", "targets.yaml", "    threshold: 0.02\n", "", 5, "missing key 'threshold'"),
    ("number-as-text", "targets.yaml", "threshold: 0.02", 'threshold: "0.02"', 8, "expected a number, got the text '0.02'"),
    ("nan-threshold", "targets.yaml", "threshold: 0.02", "threshold: .nan", 8, "finite number"),
    ("infinite-target", "targets.yaml", "target: 0.05", "target: .inf", 7, "finite number"),
    ("negative-threshold", "targets.yaml", "threshold: 0.02", "threshold: -0.02", 8, "must not be negative"),
    ("unknown-priority", "targets.yaml", "priority: critical", "priority: crit", 9, "'critical', 'primary' or 'secondary'"),
    ("unknown-metric", "targets.yaml", "metric: error_rate", "metric: eror_rate", 30, "unknown metric 'eror_rate'"),
    ("wrong-direction", "targets.yaml", "direction: lower_is_better\n    target: 0.05",
     "direction: higher_is_better\n    target: 0.05", 6, "hallucination_rate is lower_is_better"),
    ("duplicate-target", "targets.yaml", "metric: error_rate", "metric: hallucination_rate", 30, "a second target for hallucination_rate"),
    ("too-many-decimals", "targets.yaml", "threshold: 0.02", "threshold: 0.0200000000001", 8, "more than 9 decimal places"),
    ("out-of-range", "targets.yaml", "target: 5.0", "target: 5.0e9", 27, "outside"),
    ("relative-target-in-rules", "targets.yaml", "    priority: critical\n", "    priority: critical\n    relative_to_baseline: 0.1\n", 10, "unknown key 'relative_to_baseline'"),
    ("yaml-tag", "autonomy.yaml", "max_step: 2", "max_step: !!float 2", 15, "YAML tag '!!float' is not allowed"),
    ("python-tag", "autonomy.yaml", "max_step: 2", "max_step: !!python/object/apply:os.system ['true']", 15, "YAML tag"),
    ("duplicate-key", "methodology.yaml", "batch_size: 30", "batch_size: 30\n  batch_size: 31", 4, "duplicate key 'batch_size'"),
    ("float-for-int", "methodology.yaml", "batch_size: 30", "batch_size: 30.5", 3, "expected a whole number"),
    ("zero-batch", "methodology.yaml", "batch_size: 30", "batch_size: 0", 3, "must be at least 1"),
    ("looks-decreasing", "methodology.yaml", "ab_looks: [10, 20]", "ab_looks: [20, 10]", 15, "looks must be strictly increasing: 10 comes after 20"),
    ("look-repeated", "methodology.yaml", "ab_looks: [10, 20]", "ab_looks: [10, 10]", 15, "strictly increasing"),
    ("look-at-batch-size", "methodology.yaml", "ab_looks: [10, 20]", "ab_looks: [10, 30]", 15, "look 30 is not below batch_size 30"),
    ("batch-below-looks", "methodology.yaml", "batch_size: 30", "batch_size: 15", 15, "look 20 is not below batch_size 15"),
    ("zero-look", "methodology.yaml", "ab_looks: [10, 20]", "ab_looks: [0, 20]", 15, "must be at least 1"),
    ("fractional-look", "methodology.yaml", "ab_looks: [10, 20]", "ab_looks: [10.5, 20]", 15, "expected a whole number"),
    ("look-not-a-list", "methodology.yaml", "ab_looks: [10, 20]", "ab_looks: 10", 15, "expected a list"),
    ("look-typo", "methodology.yaml", "ab_looks: [10, 20]", "ab_look: [10, 20]", 15, "unknown key 'ab_look'; did you mean 'ab_looks'"),
    ("bool-as-word", "autonomy.yaml", "four_eyes: true ", "four_eyes: yes ", 9, "expected true or false, got the text 'yes'"),
    ("bool-as-number", "methodology.yaml", "one_factor_per_cycle: true", "one_factor_per_cycle: 1", 4, "expected true or false"),
    ("unknown-level", "autonomy.yaml", "level: approval", "level: aproval", 30, "'auto', 'approval' or 'never'"),
    ("zero-max-step", "autonomy.yaml", "max_step: 400", "max_step: 0", 33, "must be greater than 0"),
    ("min-above-max", "autonomy.yaml", "minimum: 100", "minimum: 5000", 31, "minimum 5000 is above maximum 4000"),
    ("bad-parameter-name", "autonomy.yaml", "    top_k:", "    Top-K:", 12, "names use lowercase letters"),
    ("unknown-section", "degradation.yaml", "degradation:", "degradaton:", 4, "unknown section 'degradaton'"),
    ("negative-bound", "degradation.yaml", "default_bound: 0.10", "default_bound: -0.1", 5, "must not be negative"),
    ("bound-for-unknown-metric", "degradation.yaml", "bounds: {}", "bounds: {latency: 0.2}", 6, "unknown metric 'latency'"),
    ("nan-bound", "degradation.yaml", "default_bound: 0.10", "default_bound: .NaN", 5, "finite number"),
    ("typo-in-operator", "should_tune.yaml", "{field: mean, gt: 0.05}", "{field: mean, gtt: 0.05}", 22, "unknown key 'gtt' in a comparison"),
    ("word-operator", "should_tune.yaml", "{field: mean, gt: 0.05}", "{field: mean, greater: 0.05}", 22, "unknown key 'greater'"),
    ("two-operators", "should_tune.yaml", "{field: mean, gt: 0.05}", "{field: mean, gt: 0.05, lt: 1}", 22, "exactly one operator"),
    ("no-operator", "should_tune.yaml", "{field: mean, gt: 0.05}", "{field: mean}", 22, "exactly one operator"),
    ("unknown-field", "should_tune.yaml", "{field: mean, gt: 0.05}", "{field: maen, gt: 0.05}", 22, "a mean_gap fact has no field 'maen'"),
    ("threshold-as-text", "should_tune.yaml", "{field: mean, gt: 0.05}", '{field: mean, gt: "0.05"}', 22, "expected a number"),
    ("order-on-text", "should_tune.yaml", "{field: priority, eq: primary}", "{field: priority, gte: 1}", 21, "'priority' is text"),
    ("unknown-priority-value", "should_tune.yaml", "{field: priority, eq: primary}", "{field: priority, eq: primry}", 21, "got 'primry'"),
    ("target-ref-outside-gaps", "should_tune.yaml", "{field: mean, gt: 0.05}", "{field: mean, gt: {target: threshold}}", 22, "only be used in rules about gaps"),
    ("bad-target-ref", "should_tune.yaml", "{field: gap, gt: {target: threshold}}", "{field: gap, gt: {target: limit}}", 14, "'target' or 'threshold'"),
    ("join-instead-of-all", "should_tune.yaml", "    when:\n      all:\n        - {field: priority, eq: critical}",
     "    when:\n        - {field: priority, eq: critical}", 12, "expected one condition, got a list"),
    ("join-in-golden", "golden_validation.yaml", "when: {field: hallucination_delta, gt: 0.05}",
     "when: [{field: hallucination_delta, gt: 0.05}, {field: recall_delta, lt: 0}]", 10, "expected one condition, got a list"),
    ("about-two-facts", "should_tune.yaml", "    about: mean_gap", "    about: [gap, mean_gap]", 18, "expected 'gap' or 'mean_gap'"),
    ("missing-about", "should_tune.yaml", "    about: mean_gap\n", "", 16, "missing key 'about'"),
    ("empty-all", "should_tune.yaml", "      all:\n        - {field: priority, eq: primary}\n        - {field: mean, gt: 0.05}",
     "      all: []", 20, "must not be empty"),
    ("duplicate-rule-name", "should_tune.yaml", "rule: mean-primary-gap", "rule: critical-gap", 16, "rule name 'critical-gap' is already used"),
    ("builtin-rule-name", "should_tune.yaml", "rule: mean-primary-gap", "rule: four-eyes", 16, "built-in rule"),
    ("bad-rule-name", "should_tune.yaml", "rule: mean-primary-gap", "rule: Mean Primary Gap", 16, "rule names use lowercase letters"),
    ("golden-unknown-delta", "golden_validation.yaml", "{field: recall_delta, gt: 0.02}", "{field: recal_delta, gt: 0.02}", 26, "a golden fact has no field 'recal_delta'"),
    ("empty-reason", "golden_validation.yaml", "reason: hallucination increased on golden set", 'reason: ""', 9, "must not be empty"),
    ("missing-reason", "golden_validation.yaml", "      reason: primary metrics degraded on golden set\n", "", 12, "missing key 'reason'"),
    ("golden-delta-of-unknown-metric", "metrics.yaml", "precision_delta: retrieval_precision", "precision_delta: precision", 26, "unknown metric 'precision'"),
    ("section-twice", "metrics.yaml", "golden_deltas:", "methodology: {batch_size: 1, one_factor_per_cycle: true, max_cycles_per_experiment: 1, max_cycles_per_campaign: 1, continue_until: targets_met}\ngolden_deltas:", 25, "section 'methodology' is already defined"),
    ("empty-section", "degradation.yaml", "degradation:\n  default_bound: 0.10\n  bounds: {}          # per metric, e.g. latency_p95_s: 0.20\n",
     "degradation:\n", 4, "section 'degradation' is empty"),
    ("two-documents", "methodology.yaml", "methodology:", "---\nmethodology:\n---\nx: 1\nmethodology:", 4, "one YAML document"),
    ("syntax", "methodology.yaml", "batch_size: 30", "batch_size: [30", 4, "YAML syntax"),
    ("tab-indent", "methodology.yaml", "  batch_size: 30", "\tbatch_size: 30", 3, "YAML syntax"),
    ("anchor-and-alias", "targets.yaml", "threshold: 0.02", "threshold: &t 0.02", 8, "anchor '&t' is not allowed"),
    ("not-a-mapping", "methodology.yaml", "methodology:\n", "- methodology:\n", 2, "expected sections"),
]

# (case id, file, bytes that replace it, line, words)
WHOLE = [
    ("empty-file", "degradation.yaml", b"", 1, "file is empty"),
    ("only-comments", "degradation.yaml", b"# nothing here\n\n", 1, "file is empty"),
    ("non-utf8", "degradation.yaml", b"degradation:\n  default_bound: 0.1\xff\n", 2, "not UTF-8"),
    ("latin-1", "metrics.yaml", "metrics:\n  caf\u00e9: {direction: lower_is_better}\n".encode("latin-1"), 2, "not UTF-8"),
    ("control-character", "degradation.yaml", b"degradation:\n  default_bound: 0.1\x07\n", 2, "not allowed"),
    ("nul-byte", "degradation.yaml", b"degradation:\x00\n", 1, "not allowed"),
    ("alias-bomb", "degradation.yaml", ALIAS_BOMB, 1, "anchor '&a' is not allowed"),
    ("deep-nesting", "degradation.yaml", b"degradation: " + b"[" * 200 + b"]" * 200 + b"\n", 1, "nested deeper"),
    ("top-level-list", "degradation.yaml", b"- default_bound: 0.1\n", 1, "expected sections"),
    ("top-level-scalar", "degradation.yaml", b"just words\n", 1, "expected sections"),
    ("huge-file", "degradation.yaml", b"# " + b"x" * 1_100_000 + b"\n", 1, "larger than"),
    ("non-text-key", "degradation.yaml", b"degradation:\n  default_bound: 0.1\n  1: 2\n", 3, "key 1 must be text"),
    ("list-key", "degradation.yaml", b"degradation:\n  ? [a, b]\n  : 1\n", 2, "keys must be text"),
]


def _mutate(rules_copy: Path, name: str, old: str, new: str) -> Path:
    path = rules_copy / name
    text = path.read_text(encoding="utf-8")
    at = text.find(old)
    assert at >= 0, f"{old!r} not in {name}"
    assert not text[text.rfind("\n", 0, at) + 1:at].lstrip().startswith("#"), f"{old!r} is first found in a comment"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _assert_refused(folder: Path, path: Path, line: int, words: str) -> None:
    with pytest.raises(RuleFilesInvalid) as caught:
        load_rulebook(folder)
    errors = caught.value.errors
    assert errors, "refused without a reason"
    mine = [e for e in errors if e.file == str(path) and e.line == line]
    assert mine, f"no error at {path.name}:{line}; got: {[str(e) for e in errors]}"
    assert any(words in e.message for e in mine), f"{words!r} not in {[e.message for e in mine]}"
    for error in errors:
        assert re.fullmatch(r".+:\d+:\d+: .+", str(error), flags=re.S)
        assert error.line >= 1 and error.column >= 1


@pytest.mark.parametrize(("case", "name", "old", "new", "line", "words"), EDITS, ids=[e[0] for e in EDITS])
def test_edited_rule_file_is_refused_with_its_line(rules_copy: Path, case: str, name: str, old: str, new: str,
                                                   line: int, words: str) -> None:
    path = _mutate(rules_copy, name, old, new)
    _assert_refused(rules_copy, path, line, words)


@pytest.mark.parametrize(("case", "name", "raw", "line", "words"), WHOLE, ids=[w[0] for w in WHOLE])
def test_broken_bytes_are_refused(rules_copy: Path, case: str, name: str, raw: bytes, line: int, words: str) -> None:
    path = rules_copy / name
    path.write_bytes(raw)
    _assert_refused(rules_copy, path, line, words)


def test_rules_check_reports_every_corpus_case_and_exits_1(tmp_path: Path) -> None:
    """The same corpus through the CLI: exit 1, one `file:line:col: message` per line, no crash."""
    runner = CliRunner()
    cases = [(e[1], e[2], e[3], e[4]) for e in EDITS] + [(w[1], None, w[2], w[3]) for w in WHOLE]
    for index, (name, old, new, line) in enumerate(cases):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        for src in DEFAULTS_DIR.glob("*.yaml"):
            (folder / src.name).write_bytes(src.read_bytes())
        path = folder / name
        if old is None:
            path.write_bytes(new)
        else:
            _mutate(folder, name, old, new)
        result = runner.invoke(main, ["-w", str(tmp_path / "ws"), "rules", "check", str(folder)])
        assert result.exit_code == 1, (name, new, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert lines and all(re.fullmatch(r".+:\d+:\d+: .+", entry) for entry in lines), result.output
        assert f"{path}:{line}:" in result.output, (name, new, result.output)


def test_packaged_defaults_are_valid_and_hold_the_seed_numbers(book) -> None:
    assert [(t.metric, t.target, t.threshold, t.priority) for t in book.targets] == [
        ("hallucination_rate", 0.05, 0.02, "critical"),
        ("retrieval_precision", 0.80, 0.10, "primary"),
        ("retrieval_recall", 0.70, 0.10, "primary"),
        ("context_utilization", 0.90, 0.05, "primary"),
        ("latency_p95_s", 5.0, 1.0, "secondary"),
        ("error_rate", 0.01, 0.005, "secondary"),
    ]
    m = book.methodology
    assert (m.batch_size, m.one_factor_per_cycle, m.max_cycles_per_experiment, m.max_cycles_per_campaign) == (30, True, 10, 15)
    assert m.ab_looks == [10, 20]
    a = book.autonomy
    assert (a.max_parallel_experiments, a.one_running_experiment_per_parameter, a.four_eyes) == (3, True, True)
    assert {name: (p.level, p.minimum, p.maximum, p.max_step) for name, p in a.parameters.items()} == {
        "top_k": ("auto", 1, 20, 2),
        "score_cutoff": ("auto", 0.0, 0.9, 0.1),
        "abstain_threshold": ("auto", 0.0, 0.9, 0.1),
        "context_budget": ("approval", 100, 4000, 400),
    }
    assert book.degradation.default_bound == 0.10 and book.bound_for("latency_p95_s") == 0.10
    assert book.source is None and len(book.fingerprint) == 64
    assert book.where("should_tune.1").line == 16


def test_ab_looks_is_optional_and_defaults_to_the_whole_batch_only(rules_copy: Path) -> None:
    """Rule files written before ab_looks existed load unchanged: one look, on the whole batch."""
    _mutate(rules_copy, "methodology.yaml", "  ab_looks: [10, 20]\n", "")
    assert load_rulebook(rules_copy).methodology.ab_looks == []
    _mutate(rules_copy, "methodology.yaml", "continue_until: targets_met", "continue_until: targets_met\n  ab_looks: []")
    assert load_rulebook(rules_copy).methodology.ab_looks == []
    methodology = rulebook_json_schema()["$defs"]["Methodology"]
    assert "ab_looks" in methodology["properties"] and "ab_looks" not in methodology["required"]


def test_a_single_file_rule_book_loads(tmp_path: Path) -> None:
    one = tmp_path / "all.yaml"
    one.write_text("\n".join(p.read_text(encoding="utf-8") for p in sorted(DEFAULTS_DIR.glob("*.yaml"))), encoding="utf-8")
    book = load_rulebook(one)
    assert book.files == [one] and len(book.targets) == 6


def test_a_lone_file_of_a_folder_names_what_is_missing() -> None:
    with pytest.raises(RuleFilesInvalid) as caught:
        load_rulebook(DEFAULTS_DIR / "targets.yaml")
    (error,) = caught.value.errors
    assert "missing sections metrics, golden_deltas" in error.message and "check the folder" in error.message


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    for path, words in ((tmp_path / "nope", "no such rule file or folder"), (tmp_path, "no rule files")):
        with pytest.raises(RuleFilesInvalid) as caught:
            load_rulebook(path)
        assert str(caught.value.errors[0]).startswith(f"{path}:1:1: ") and words in str(caught.value)


def test_missing_section_is_named(rules_copy: Path) -> None:
    (rules_copy / "autonomy.yaml").unlink()
    with pytest.raises(RuleFilesInvalid, match="missing section autonomy"):
        load_rulebook(rules_copy)


def test_every_problem_is_reported_not_only_the_first(rules_copy: Path) -> None:
    _mutate(rules_copy, "targets.yaml", "threshold: 0.02", "threshold: -0.02")
    _mutate(rules_copy, "targets.yaml", "metric: error_rate", "metric: eror_rate")
    (rules_copy / "degradation.yaml").write_bytes(b"")
    with pytest.raises(RuleFilesInvalid) as caught:
        load_rulebook(rules_copy)
    # the broken file is reported; cross-checks wait until every file reads
    assert [e.file.rsplit("/", 1)[1] for e in caught.value.errors] == ["degradation.yaml"]
    (rules_copy / "degradation.yaml").write_bytes((DEFAULTS_DIR / "degradation.yaml").read_bytes())
    with pytest.raises(RuleFilesInvalid) as caught:
        load_rulebook(rules_copy)
    assert [e.line for e in caught.value.errors] == [8, 30]


ONE_FILE = b"\n".join(p.read_bytes() for p in sorted(DEFAULTS_DIR.glob("*.yaml")))
NOISE = ":-{}[]&*!#|>'\"\n \t0123456789.eE+-_abcxyz\u00e9\xff"


@settings(max_examples=50, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(ONE_FILE)), st.integers(0, 6), st.text(alphabet=NOISE, max_size=4)),
                min_size=1, max_size=4))
def test_random_edits_are_refused_or_loaded_never_crash(tmp_path_factory, edits) -> None:
    raw = ONE_FILE
    for at, cut, insert in edits:
        raw = raw[:at] + insert.encode("latin-1") + raw[at + cut:]  # latin-1: \xe9, \xff are not UTF-8
    path = tmp_path_factory.mktemp("fuzz") / "rules.yaml"
    path.write_bytes(raw)
    try:
        book = load_rulebook(path)
    except RuleFilesInvalid as exc:
        assert exc.errors and all(e.line >= 1 and e.column >= 1 and e.message and e.file == str(path) for e in exc.errors)
    else:
        Evaluator(book)  # whatever validates also compiles
