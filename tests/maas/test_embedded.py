"""build(): the three modules behind the ports, options, fault hooks, package boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from manager.ports import Batch, Emulator, MaaS, Teacher, Tuner
from maas.datafiles import DATA_DIR
from maas.embedded import build
from maas.faults import InjectedFault

MAAS_DIR = Path(__file__).parents[2] / "maas"


def test_build_gives_the_three_ports_sharing_one_student(tmp_path):
    maas = build(tmp_path)
    assert isinstance(maas, MaaS)
    assert isinstance(maas.teacher, Teacher) and isinstance(maas.emulator, Emulator) and isinstance(maas.tuner, Tuner)
    assert maas.teacher.student is maas.emulator.student
    assert (tmp_path / "maas" / "params.json").exists()
    assert build(tmp_path).tuner.active() == maas.tuner.active()


def test_the_ports_round_trip(tmp_path):
    maas = build(tmp_path)
    params = maas.tuner.active().params
    batch = maas.emulator.run_batch(params, 4, seed=3)
    assert Batch.model_validate(batch.model_dump()) == batch
    judgement = maas.teacher.judge(batch)
    assert judgement.source == "train" and judgement.dialogues == 4
    assert set(judgement.segments) <= {"preferences", "personal_facts", "events"}
    golden = maas.teacher.validate_on_golden(params)
    assert golden.source == "golden" and golden.dialogues == 60
    assert maas.teacher.validate_on_golden(params) is golden  # the golden set never changes: cached


@pytest.mark.parametrize("options, message", [
    ({"speed": 3}, "unknown speed"),
    ({"workers": 0}, "'workers': expected an integer from 1 to 32"),
    ({"fault": "explode"}, "'fault': expected one of raise, hang, malformed"),
    ({"fault": "raise", "fault_target": "manager"}, "'fault_target': expected one of"),
    ({"impacts": 5}, "'impacts': expected a path"),
])
def test_bad_options_are_refused(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        build(tmp_path, options)


def test_a_workspace_impact_map_replaces_the_packaged_one(tmp_path):
    text = (DATA_DIR / "impacts.yaml").read_text()
    start = text.index("  context_budget:")
    (tmp_path / "maas").mkdir()
    (tmp_path / "maas" / "impacts.yaml").write_text(text[:start])  # the owner dropped context_budget
    maas = build(tmp_path)
    designs = maas.teacher.design_experiments([{"metric": "latency_p95_s", "target": 5.0}], maas.tuner.factors())
    assert [d.factor for d in designs] == ["top_k", "score_cutoff", "abstain_threshold"]


def test_fault_hooks(tmp_path):
    params = build(tmp_path).tuner.active().params
    with pytest.raises(InjectedFault, match="run_batch failed"):
        build(tmp_path, {"fault": "raise"}).emulator.run_batch(params, 2, 1)
    with pytest.raises(InjectedFault, match="hung for 0.01s"):
        build(tmp_path, {"fault": "hang", "hang_s": 0.01}).emulator.run_batch(params, 2, 1)
    with pytest.raises(ValidationError):
        Batch.model_validate(build(tmp_path, {"fault": "malformed"}).emulator.run_batch(params, 2, 1))
    broken_teacher = build(tmp_path, {"fault": "raise", "fault_target": "teacher"}).teacher
    with pytest.raises(InjectedFault):
        broken_teacher.validate_on_golden(params)
    assert build(tmp_path, {"fault": "raise", "fault_target": "tuner"}).emulator.run_batch(params, 1, 1).dialogues == 1


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_maas_imports_nothing_of_the_manager_but_the_ports_and_no_textual():
    for path in MAAS_DIR.glob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            assert top != "textual", f"{path.name} imports {name}"
            assert top not in {"tui", "rules", "state_machines", "store"}, f"{path.name} imports {name}"
            if top == "manager":
                assert name == "manager.ports", f"{path.name} imports {name}"
