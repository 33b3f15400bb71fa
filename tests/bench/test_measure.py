"""The bench's timing harness: what it keeps alive, what it reports, and what it judges."""

from __future__ import annotations

import gc
import weakref

from bench import etcd, measure
from bench.measure import SteadyCharm
from bench.report import _case_json
from bench.results import CaseResult, HookTiming, ImportCost, Validations
from bench.targets import IMPORT_MS_OVER_BASELINE, check_targets

CASE = etcd.CASES[0]


def test_a_finished_hook_leaves_nothing_alive_once_forgotten():
    steady = SteadyCharm.settle(CASE.library_charm, CASE, 1)
    steady.relation_changed()
    # Every emitted event refers to its hook's framework, which refers to the whole model.
    framework = weakref.ref(steady.context.emitted_events[0].framework)

    steady.forget_finished_hooks()
    gc.collect()

    assert framework() is None
    assert steady.context.emitted_events == []


def test_the_heap_is_thawed_after_timing_and_every_hook_is_kept():
    timing = measure._time_relation_changed(CASE, units=1, repetitions=3)

    assert gc.get_freeze_count() == 0
    assert timing.repetitions == 3
    assert len(timing.floor_samples) == 3


def test_a_hook_timing_reports_medians_and_their_spread():
    timing = HookTiming(10, library_samples=(1.0, 2.0, 3.0, 4.0, 9.0), floor_samples=(1.0,) * 5)

    assert timing.library_ms == 3.0
    assert timing.library_iqr_ms == 6.5 - 1.5
    assert timing.floor_iqr_ms == 0.0
    assert timing.ratio == 3.0
    assert timing.repetitions == 5


def test_the_import_target_is_judged_on_the_import_on_top_of_the_baseline():
    over = result(on_top=(6.0, 6.5, 7.0))
    within = result(on_top=(4.0, 4.5, 9.0))

    (over_check,) = [check for check in check_targets(over) if "import" in check.name]
    (within_check,) = [check for check in check_targets(within) if "import" in check.name]

    assert (over_check.figure, over_check.met) == ("6.5 ms", False)
    assert (within_check.figure, within_check.met) == ("4.5 ms", True)
    assert within.import_cost.on_top_ms <= IMPORT_MS_OVER_BASELINE


def test_the_json_report_gives_each_median_with_its_spread():
    found = _case_json(result(on_top=(4.0, 4.5, 9.0)))

    assert found["import_ms_on_top_of_baseline_median"] == 4.5
    assert found["import_ms_on_top_of_baseline_iqr"] == 5.0
    assert found["import_ms_baseline_median"] == 200.0
    assert found["import_runs"] == 3
    assert found["hook_ms"]["1000"]["library_iqr"] == 2.0
    assert found["hook_ms"]["1000"]["baseline_iqr"] == 1.0
    assert found["hook_ms"]["1000"]["repetitions"] == 3


def result(on_top: tuple[float, ...]) -> CaseResult:
    """A result with made-up figures: only the import cost varies."""
    calls = {"relation_changed_1": {}, "relation_changed_10": {}, "update_status": {}}
    return CaseResult(
        case=CASE,
        import_cost=ImportCost(baseline_samples=(190.0, 200.0, 210.0), on_top_samples=on_top),
        hook_timings=(
            HookTiming(100, (4.0, 5.0, 6.0), (3.0, 3.5, 4.0)),
            HookTiming(1000, (39.0, 40.0, 41.0), (19.5, 20.0, 20.5)),
        ),
        calls=calls,
        floor_calls=calls,
        validations=Validations(
            units=10,
            reads_per_unit_max=1,
            reads_per_unit_mean=1.0,
            databags_read=10,
            model_validations=10,
            update_status_reads=0,
            update_status_model_validations=0,
        ),
    )
