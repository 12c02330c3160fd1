"""Reloading while running, installing the defaults into a workspace."""

from __future__ import annotations

import threading
from pathlib import Path

from rules_samples import MET
from rules import RuleSource, install_defaults, load_rulebook
from rules.book import DEFAULTS_DIR


def test_reload_keeps_the_last_good_rules(rules_copy: Path) -> None:
    source = RuleSource(rules_copy)
    first = source.evaluator
    assert source.rulebook.methodology.batch_size == 30 and source.errors == []
    assert source.reload().model_dump() == {"ok": True, "changed": False, "errors": []}
    assert source.evaluator is first

    method = rules_copy / "methodology.yaml"
    good = method.read_text()
    method.write_text(good.replace("batch_size: 30", "batch_size: 30.0"))
    result = source.reload()
    assert (result.ok, result.changed) == (False, False)
    assert [str(e) for e in result.errors] == [f"{method}:3:15: expected a whole number, got the number 30.0"]
    assert source.errors == result.errors
    assert source.evaluator is first and source.rulebook.methodology.batch_size == 30
    assert source.evaluator.decide({"metrics": MET}).should_tune is False  # still answering

    method.write_text(good.replace("batch_size: 30", "batch_size: 40"))
    result = source.reload()
    assert (result.ok, result.changed, result.errors) == (True, True, [])
    assert source.rulebook.methodology.batch_size == 40 and source.evaluator is not first
    assert source.errors == []


def test_a_changed_rule_changes_decisions_after_reload(rules_copy: Path) -> None:
    source = RuleSource(rules_copy)
    metrics = {**MET, "hallucination_rate": 0.06}
    assert source.evaluator.decide({"metrics": metrics}).should_tune is False
    targets = rules_copy / "targets.yaml"
    targets.write_text(targets.read_text().replace("threshold: 0.02", "threshold: 0.005"))
    assert source.reload().changed
    assert source.evaluator.decide({"metrics": metrics}).should_tune is True


def test_source_invalid_at_start_has_no_rules_and_says_why(rules_copy: Path) -> None:
    (rules_copy / "targets.yaml").write_text("targets: [")
    source = RuleSource(rules_copy)
    assert source.rulebook is None and source.evaluator is None
    assert source.errors and source.errors[0].file == str(rules_copy / "targets.yaml")
    (rules_copy / "targets.yaml").write_bytes((DEFAULTS_DIR / "targets.yaml").read_bytes())
    assert source.reload().ok and source.rulebook is not None


def test_packaged_source_when_no_path() -> None:
    source = RuleSource(None)
    assert source.rulebook.source is None and source.rulebook.fingerprint == load_rulebook().fingerprint


def test_decisions_keep_coming_while_rules_reload(rules_copy: Path) -> None:
    source = RuleSource(rules_copy)
    targets = rules_copy / "targets.yaml"
    good, bad = targets.read_text(), "targets: {"
    stop = threading.Event()
    answers: list[bool] = []
    failures: list[BaseException] = []

    def ask() -> None:
        while not stop.is_set():
            try:
                answers.append(source.evaluator.decide({"metrics": MET}).should_tune)
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                failures.append(exc)
                return

    workers = [threading.Thread(target=ask) for _ in range(3)]
    for worker in workers:
        worker.start()
    for index in range(7):
        threshold = "0.02" if index % 2 else "0.015"
        targets.write_text(bad if index % 3 == 0 else good.replace("threshold: 0.02", f"threshold: {threshold}"))
        source.reload()
    stop.set()
    for worker in workers:
        worker.join()
    assert not failures and answers and not any(answers)


def test_install_defaults_copies_rules_and_tests_and_never_overwrites(tmp_path: Path) -> None:
    dest = tmp_path / "ws" / "rules"
    install_defaults(dest)
    names = sorted(p.name for p in DEFAULTS_DIR.glob("*.yaml"))
    assert sorted(p.name for p in dest.glob("*.yaml")) == names
    assert sorted(p.name for p in (dest / "tests").glob("*.yaml")) == ["decide.yaml", "policy.yaml"]
    assert load_rulebook(dest).fingerprint == load_rulebook().fingerprint
    edited = dest / "targets.yaml"
    edited.write_text("# mine\n")
    (dest / "autonomy.yaml").unlink()
    install_defaults(dest)
    assert edited.read_text() == "# mine\n"
    assert (dest / "autonomy.yaml").exists()
