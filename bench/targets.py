# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The targets every library is held to, and whether a case meets them.

The bench only reports: a missed target is shown, never a failure of the run.
"""

from __future__ import annotations

import dataclasses

from bench.measure import CALL_UNIT_COUNTS
from bench.results import UPDATE_STATUS, CaseResult, relation_changed_key

IMPORT_MS_OVER_BASELINE = 5.0
"""What importing a library may add to importing ops and pydantic, in ms: the median time to
import it on top of them, in one process."""
HOOK_TIME_OVER_FLOOR = 2.0
"""How many times the floor's hook time a library charm may take with the most units."""
LINEAR_EXPONENT = 1.2
"""Above this, hook time grows faster than the number of remote units."""
RELATION_GETS_PER_UNIT = 1.0
READS_PER_DATABAG = 1
"""Reads (`relation-get`) of one remote databag in one hook: once is enough."""
VALIDATIONS_PER_DATABAG = 1
"""Validations per remote databag read in one hook: validating it once is enough."""


@dataclasses.dataclass(frozen=True)
class TargetCheck:
    """One target: what it is about, the case's figure, the limit, whether the figure meets it."""

    name: str
    figure: str
    limit: str
    met: bool


def check_targets(result: CaseResult) -> list[TargetCheck]:
    """Every target, checked against one case's results."""
    return [
        _import_cost(result),
        _hook_ratio(result),
        _linear_growth(result),
        *_relation_gets(result),
        _update_status_calls(result),
        _update_status_validations(result),
        _reads_per_databag(result),
        _validations_per_databag(result),
    ]


def _import_cost(result: CaseResult) -> TargetCheck:
    cost = result.import_cost
    return TargetCheck(
        "import, on top of ops + pydantic",
        f"{cost.on_top_ms:.1f} ms",
        f"≤ {IMPORT_MS_OVER_BASELINE:g} ms",
        cost.on_top_ms <= IMPORT_MS_OVER_BASELINE,
    )


def _hook_ratio(result: CaseResult) -> TargetCheck:
    largest = result.hook_timings[-1]
    return TargetCheck(
        f"hook time at N={largest.units}, library / floor",
        f"{largest.ratio:.1f}",
        f"≤ {HOOK_TIME_OVER_FLOOR:g}",
        largest.ratio <= HOOK_TIME_OVER_FLOOR,
    )


def _linear_growth(result: CaseResult) -> TargetCheck:
    growth = result.growth
    return TargetCheck(
        f"hook time growth N={growth.from_units}→{growth.to_units}, exponent",
        f"{growth.library_exponent:.2f}",
        f"≤ {LINEAR_EXPONENT:g} (linear)",
        growth.library_exponent <= LINEAR_EXPONENT,
    )


def _relation_gets(result: CaseResult) -> list[TargetCheck]:
    units = max(CALL_UNIT_COUNTS)
    key = relation_changed_key(units)
    gets = result.calls[key].get("relation-get", 0)
    floor_gets = result.floor_calls[key].get("relation-get", 0)
    return [
        TargetCheck(
            f"relation-get per remote unit, N={units}",
            f"{gets / units:.1f}",
            f"≤ {RELATION_GETS_PER_UNIT:g}",
            gets / units <= RELATION_GETS_PER_UNIT,
        ),
        # Every unit holds full data, so the first remote unit (unit 0, or peer 1) answers every
        # key, as it does for the legacy reader: reading any other unit is a hook-tool call too
        # many, unless the legacy reader needed every unit too.
        TargetCheck(
            f"relation-get, N={units}, first unit answers all",
            str(gets),
            f"≤ {floor_gets} (floor)",
            gets <= floor_gets,
        ),
    ]


def _update_status_calls(result: CaseResult) -> TargetCheck:
    calls = result.calls[UPDATE_STATUS]
    floor = result.floor_calls[UPDATE_STATUS]
    return TargetCheck(
        "hook-tool calls in update-status",
        str(sum(calls.values())),
        f"≤ {sum(floor.values())} (floor)",
        all(count <= floor.get(tool, 0) for tool, count in calls.items()),
    )


def _update_status_validations(result: CaseResult) -> TargetCheck:
    reads = result.validations.update_status_reads
    validations = result.validations.update_status_model_validations
    return TargetCheck(
        "databag reads / validations in update-status",
        f"{reads} / {validations}",
        "0 / 0 (floor)",
        reads == validations == 0,
    )


def _reads_per_databag(result: CaseResult) -> TargetCheck:
    validations = result.validations
    return TargetCheck(
        f"reads of one remote databag per hook, N={validations.units}",
        str(validations.reads_per_unit_max),
        f"≤ {READS_PER_DATABAG}",
        validations.reads_per_unit_max <= READS_PER_DATABAG,
    )


def _validations_per_databag(result: CaseResult) -> TargetCheck:
    # Validations are counted in all and set against the databags read: a validation that is
    # not a databag's (an event's payload) counts against them too.
    validations = result.validations
    return TargetCheck(
        f"validations / remote databags read, N={validations.units}",
        f"{validations.model_validations} / {validations.databags_read}",
        f"≤ {VALIDATIONS_PER_DATABAG} per databag",
        validations.model_validations <= VALIDATIONS_PER_DATABAG * validations.databags_read,
    )
