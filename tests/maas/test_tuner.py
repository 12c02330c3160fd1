"""The Tuner: versions that persist, idempotent changes, clear refusals, nothing half-applied."""

from __future__ import annotations

import json

import pytest

from maas.student_model import load_student_model
from maas.tuner import EmbeddedTuner, TunerError

MODEL = load_student_model()


@pytest.fixture
def tuner(tmp_path):
    return EmbeddedTuner(tmp_path, MODEL)


def test_starts_from_the_shipped_defaults(tuner, tmp_path):
    active = tuner.active()
    assert active.id == "v0001" and active.params == MODEL.defaults() and active.parent is None
    assert (tmp_path / "maas" / "params.json").exists()
    assert [f.name for f in tuner.factors()] == ["top_k", "score_cutoff", "abstain_threshold", "context_budget"]


def test_prepare_apply_rollback(tuner):
    variant = tuner.prepare_variant("v0001", {"abstain_threshold": 0.4}, note="halluc")
    assert variant.id == "v0002" and variant.parent == "v0001"
    assert variant.params == {**MODEL.defaults(), "abstain_threshold": 0.4}
    assert tuner.active().id == "v0001"  # preparing does not apply
    assert tuner.apply("v0002").id == "v0002" and tuner.active().id == "v0002"
    assert tuner.rollback("v0001").id == "v0001" and tuner.active().id == "v0001"


def test_every_change_is_idempotent(tuner, tmp_path):
    path = tmp_path / "maas" / "params.json"
    first = tuner.prepare_variant("v0001", {"top_k": 8})
    assert tuner.prepare_variant("v0001", {"top_k": 8}, note="again").id == first.id
    tuner.apply(first.id)
    before = path.read_bytes()
    assert tuner.apply(first.id).id == first.id
    assert path.read_bytes() == before  # applying the active version changes nothing
    assert tuner.rollback(first.id).id == first.id
    assert path.read_bytes() == before


def test_a_restart_keeps_the_active_version(tuner, tmp_path):
    variant = tuner.prepare_variant("v0001", {"score_cutoff": 0.7})
    tuner.apply(variant.id)
    again = EmbeddedTuner(tmp_path, MODEL)
    assert again.active() == variant
    assert [v.id for v in again.versions()] == ["v0001", "v0002"]
    assert not [p for p in (tmp_path / "maas").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "base, changes, message",
    [
        ("v0009", {"top_k": 4}, "unknown parameter version 'v0009'"),
        ("v0001", {"topk": 4}, "unknown factor"),
        ("v0001", {"top_k": 4.5}, "top_k: must be an integer"),
        ("v0001", {"context_budget": 99}, r"context_budget: 99 is outside \[100.0, 4000.0\]"),
        ("v0001", {}, "non-empty mapping"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(tuner, tmp_path, base, changes, message):
    before = (tmp_path / "maas" / "params.json").read_bytes()
    with pytest.raises(TunerError, match=message):
        tuner.prepare_variant(base, changes)
    assert (tmp_path / "maas" / "params.json").read_bytes() == before


def test_rollback_only_goes_back(tuner):
    newer = tuner.prepare_variant("v0001", {"top_k": 6})
    with pytest.raises(TunerError, match="newer than the active"):
        tuner.rollback(newer.id)
    with pytest.raises(TunerError, match="unknown parameter version 'v0042'"):
        tuner.apply("v0042")


def test_a_damaged_file_is_refused_with_its_place(tmp_path):
    EmbeddedTuner(tmp_path, MODEL)
    path = tmp_path / "maas" / "params.json"
    state = json.loads(path.read_text())
    state["versions"][0]["params"]["top_k"] = 99
    path.write_text(json.dumps(state))
    with pytest.raises(TunerError, match=r"versions\[0\] \(v0001\)\.params\.top_k: 99"):
        EmbeddedTuner(tmp_path, MODEL)
    path.write_text("{ not json")
    with pytest.raises(TunerError, match="line 1, column 3: not valid JSON"):
        EmbeddedTuner(tmp_path, MODEL)
