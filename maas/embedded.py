"""The embedded MaaS: ``build(workspace, options)`` returns its Teacher, Emulator and Tuner.

Named in a workspace config as ``maas.embedded:build``; a user's own MaaS replaces it by
import path. All three share one student implementation and its declared model.

Options (all optional):
  workers   threads that play dialogues concurrently (default 1: the embedded student is
            CPU-bound, so threads only pay off for a student that waits on I/O)
  impacts   path of an impact map to use instead of the package's (default: the workspace's
            ``maas/impacts.yaml`` when it exists, else ``maas/data/impacts.yaml``)
  verdict   path of a verdict rule file (default ``maas/data/verdict.yaml``)
  golden    path of a golden-set file (default ``maas/data/golden.json``)
  fault, fault_target, hang_s   adapter faults for tests, see ``maas.faults``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from manager.ports import MaaS
from maas.emulator import EmbeddedEmulator
from maas.faults import FAULTS, TARGETS, Faulty
from maas.golden import GOLDEN_PATH, load_golden
from maas.impacts import load_impacts
from maas.student import Student
from maas.student_model import load_student_model
from maas.teacher import EmbeddedTeacher
from maas.tuner import EmbeddedTuner
from maas.verdict import load_verdict_rule
from maas.world import emulator_world

OPTIONS = ("workers", "impacts", "verdict", "golden", "fault", "fault_target", "hang_s")


def _path(options: dict[str, Any], key: str, workspace: Path) -> Path | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, Path)):
        raise ValueError(f"maas option {key!r}: expected a path, got {value!r}")
    path = Path(value)
    return path if path.is_absolute() else workspace / path


def build(workspace: Path, options: dict[str, Any] | None = None) -> MaaS:
    workspace = Path(workspace)
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"maas options: unknown {', '.join(unknown)}; known: {', '.join(OPTIONS)}")
    workers = options.get("workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 32:
        raise ValueError(f"maas option 'workers': expected an integer from 1 to 32, got {workers!r}")

    impacts_path = _path(options, "impacts", workspace)
    if impacts_path is None and (workspace / "maas" / "impacts.yaml").exists():
        impacts_path = workspace / "maas" / "impacts.yaml"
    model = load_student_model()
    student = Student(model)
    teacher: Any = EmbeddedTeacher(
        student,
        load_golden(_path(options, "golden", workspace) or GOLDEN_PATH),
        load_impacts(impacts_path),
        load_verdict_rule(_path(options, "verdict", workspace)),
        workers=workers,
    )
    emulator: Any = EmbeddedEmulator(student, emulator_world(), workers=workers)
    tuner: Any = EmbeddedTuner(workspace, model)

    fault = options.get("fault")
    if fault is not None:
        if fault not in FAULTS:
            raise ValueError(f"maas option 'fault': expected one of {', '.join(FAULTS)}, got {fault!r}")
        target = options.get("fault_target", "emulator")
        if target not in TARGETS:
            raise ValueError(f"maas option 'fault_target': expected one of {', '.join(TARGETS)}, got {target!r}")
        hang_s = options.get("hang_s", 30.0)
        if isinstance(hang_s, bool) or not isinstance(hang_s, (int, float)) or hang_s < 0:
            raise ValueError(f"maas option 'hang_s': expected seconds >= 0, got {hang_s!r}")
        if target == "emulator":
            emulator = Faulty(emulator, fault, float(hang_s))
        elif target == "teacher":
            teacher = Faulty(teacher, fault, float(hang_s))
        else:
            tuner = Faulty(tuner, fault, float(hang_s))
    return MaaS(teacher=teacher, emulator=emulator, tuner=tuner)
