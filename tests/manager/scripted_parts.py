"""What every scripted MaaS of the tests does the same way: factors on 0..1 in steps of 0.25
and the autonomy rules that allow them, plain batches, exact verdict deltas, a new parameter
version per variant. Used by scripted_maas.py here and by tests/hardening/twin_maas.py. Tests only.
"""

from __future__ import annotations

from manager.ports import Batch, FactorSpec, MetricDelta, ParamVersion, Progress, SensorEvent

STEP = 0.25


def factor(name: str) -> FactorSpec:
    """A scripted factor: 0.0 .. 1.0 in steps of STEP, starting at 0.0."""
    return FactorSpec(name=name, minimum=0.0, maximum=1.0, step=STEP, default=0.0)


def autonomy_rules(levels: dict[str, str]) -> str:
    """autonomy.yaml for factors made by ``factor``, each at its autonomy level (``levels``)."""
    lines = ["autonomy:", "  max_parallel_experiments: 3", "  one_running_experiment_per_parameter: true",
             "  four_eyes: true", "  parameters:"]
    for name, level in levels.items():
        lines += [f"    {name}:", f"      level: {level}", "      minimum: 0.0", "      maximum: 1.0",
                  f"      max_step: {STEP}"]
    return "\n".join(lines) + "\n"


def plain_batch(batch_id: str, params: dict[str, float], n: int, seed: int,
                progress: Progress | None = None, start: int = 0) -> Batch:
    """Dialogues ``start`` .. ``start + n - 1``, each one answered fact; the metrics come from the
    Teacher's arithmetic on ``params``, so the events carry nothing to judge."""
    events = [SensorEvent(dialogue_id=f"d{i}", turn=0, segment="facts", question="q", answer="a",
                          abstained=False, answerable=True, retrieved_ids=[], relevant_ids=[], latency_s=1.0)
              for i in range(start, start + n)]
    if progress:
        progress(n, n)
    return Batch(id=batch_id, params=params, seed=seed, dialogues=n, events=events)


def exact_deltas(baseline: dict[str, float], variant: dict[str, float]) -> list[MetricDelta]:
    """Per metric of ``baseline``: the difference, with an interval of no width (the arithmetic is exact)."""
    return [MetricDelta(metric=m, baseline=baseline[m], variant=variant[m], delta=variant[m] - baseline[m],
                        ci_low=variant[m] - baseline[m], ci_high=variant[m] - baseline[m]) for m in baseline]


def add_variant(versions: dict[str, ParamVersion], base: str, changes: dict[str, float]) -> ParamVersion:
    """A new version after the last (v0002, v0003, ...): ``base``'s parameters with ``changes``."""
    vid = f"v{len(versions) + 1:04d}"
    versions[vid] = ParamVersion(id=vid, params={**versions[base].params, **changes}, parent=base)
    return versions[vid]
