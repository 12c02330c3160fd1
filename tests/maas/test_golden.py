"""The golden set: shipped, reproducible, and out of the emulator's reach."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from maas import golden_gen
from maas.emulator import EmbeddedEmulator
from maas.golden import load_golden
from maas.student import Student
from maas.student_model import load_student_model
from maas.world import emulator_world, load_world

GOLDEN = load_golden()
GOLDEN_WORLD = load_world(golden_gen.GOLDEN_WORLD)
EMULATOR_WORLD = emulator_world()


def emulator_strings() -> set[str]:
    """Every string the emulator can put into a dialogue comes from these."""
    w = EMULATOR_WORLD
    return w.templates() | w.values() | set(w.names)


def words(*texts: str) -> re.Pattern[str]:
    """Any of ``texts`` as whole words, ignoring case."""
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)", re.IGNORECASE)


GOLDEN_WORDS = words(*GOLDEN_WORLD.values(), *GOLDEN_WORLD.names)


def test_the_shipped_file_is_what_the_generator_writes():
    assert golden_gen.main(["--check"]) == 0
    assert len(GOLDEN.dialogues) == golden_gen.GOLDEN_DIALOGUES
    assert GOLDEN.source == "golden_world.yaml"


def test_golden_names_values_and_templates_are_not_the_emulators():
    assert not set(GOLDEN_WORLD.names) & set(EMULATOR_WORLD.names)
    assert not {v.lower() for v in GOLDEN_WORLD.values()} & {v.lower() for v in EMULATOR_WORLD.values()}
    assert not GOLDEN_WORLD.templates() & EMULATOR_WORLD.templates()
    # not even inside an emulator template, value or name
    for text in emulator_strings():
        assert not GOLDEN_WORDS.search(text), f"a golden value or name inside emulator text {text!r}"


def test_every_golden_fact_comes_from_the_golden_world():
    facts = {(slot, value) for d in GOLDEN.dialogues for slot, value in d.facts.items()}
    allowed = {(name, v) for name, slot in GOLDEN_WORLD.slots.items() for v in slot.values}
    assert facts and facts <= allowed
    assert {d.persona for d in GOLDEN.dialogues} <= set(GOLDEN_WORLD.names)


def test_no_golden_dialogue_or_fact_comes_out_of_the_emulator():
    emulator = EmbeddedEmulator(Student(load_student_model()), EMULATOR_WORLD)
    golden_texts = {t.text for d in GOLDEN.dialogues for t in d.turns}
    golden_facts = {(s, v) for d in GOLDEN.dialogues for s, v in d.facts.items()}
    for seed in (0, 1, 2, 3, 4, GOLDEN.seed):
        for dialogue in emulator.dialogues(seed, 30):
            assert not golden_facts & set(dialogue.facts.items())
            assert dialogue.persona not in GOLDEN_WORLD.names
            for turn in dialogue.turns:
                assert turn.text not in golden_texts
                assert not GOLDEN_WORDS.search(turn.text), turn.text


def test_the_emulator_never_reads_the_golden_files():
    """Neither the emulator nor what it uses imports the golden modules or names a golden file."""
    maas_dir = Path(__file__).parents[2] / "maas"
    for module in ("emulator.py", "dialogues.py", "conversation.py", "world.py", "student.py", "text.py"):
        tree = ast.parse((maas_dir / module).read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert "golden" not in (node.module or ""), f"maas/{module} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any("golden" in a.name for a in node.names), f"maas/{module} imports a golden module"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert "golden" not in node.value.lower(), f"maas/{module} names {node.value!r}"
    assert EmbeddedEmulator(Student(load_student_model()), EMULATOR_WORLD).world is EMULATOR_WORLD


@pytest.mark.parametrize("broken, message", [
    ("{ nope", "line 1, column 3: not valid JSON"),
    ('{"seed": 1, "source": "x", "dialogues": []}', "dialogues: List should have at least 1 item"),
])
def test_a_damaged_golden_file_is_refused(tmp_path, broken, message):
    from maas.datafiles import DataFileError

    path = tmp_path / "golden.json"
    path.write_text(broken)
    with pytest.raises(DataFileError, match=message):
        load_golden(path)
