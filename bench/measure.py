# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The four measurements: import cost, hook time, hook-tool calls, validations per hook.

Hooks run through `ops.testing` from a steady state: one relation-changed is run first and
its output state, in which the library's stored state holds what it announced, is the input
of every measured hook. That is the common case under Juju, a change that changes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping

import ops
from ops import testing

from bench.backend_calls import counting_hook_tools
from bench.cases import BenchCase, BenchRelation, first_remote_unit, remote_unit_names
from bench.paths import LIB, PYCACHE
from bench.results import (
    UPDATE_STATUS,
    CaseResult,
    HookTiming,
    ImportCost,
    Validations,
    relation_changed_key,
)
from bench.validations import counting_validations

IMPORT_RUNS = 20
# Fewer repetitions where one hook takes long, to keep the whole bench near a minute; the
# median discards the slow outliers that a busy machine produces.
HOOK_REPETITIONS = {1: 50, 10: 40, 100: 30, 1000: 7}
CALL_UNIT_COUNTS = (1, 10)
VALIDATION_UNITS = 10
UPDATE_STATUS_UNITS = 10

METHOD = {
    "import": (
        f"median over {IMPORT_RUNS} fresh processes ({sys.executable}, PYTHONPATH=lib) of "
        "time.perf_counter() around importing the library module, minus the median of the "
        "same around importing ops and pydantic's BaseModel and validating one trivial "
        "model; interquartile ranges given as the spread; 'on top' is the median time to "
        "import the library in the baseline's process after the baseline; interpreter "
        "start-up is outside all; bytecode cached (PYTHONPYCACHEPREFIX="
        ".bench/pycache, filled by an untimed first run of each), as in a deployed charm "
        "after its first hook"
    ),
    "hook_ms": (
        "median wall ms (time.perf_counter) of ops.testing Context.run of relation-changed "
        "(the first remote unit changing: unit 0 of the other application, or peer 1 on a "
        "peer relation) on one relation with N remote units (on a peer relation, N peers "
        "besides the unit under test), each holding full valid legacy data, from the output "
        "state of a first relation-changed (steady state); "
        "library and floor runs interleaved, gc.collect() before each; run with "
        "SCENARIO_SKIP_CONSISTENCY_CHECKS=1 (the checker is harness cost, absent under "
        "Juju); 'baseline' is the bare-ops floor charm; growth exponent is "
        "log(ms@1000/ms@100)/log(10)"
    ),
    "calls": (
        "hook tools run in one steady-state hook, counted by wrapping the methods of "
        "scenario's _MockModelBackend that ops' _ModelBackend runs a hook tool in (read from "
        "the ops source); nested mock calls not counted; is-leader at most once per hook "
        "(ops caches it for the 30 s lease), relation-list --app not counted for the hook's "
        "own relation (ops reads JUJU_REMOTE_APP), juju-log once per log chunk"
    ),
    "validations": (
        f"in one steady-state relation-changed with {VALIDATION_UNITS} units: relation-get "
        "calls per remote unit databag, counted on scenario's _MockModelBackend.relation_get "
        "(max and mean over units; ops fetches a databag once per hook, however the library "
        "reads it), the number of remote databags read, and validations of the library "
        "module's pydantic models (constructor, model_validate, model_validate_json; not "
        "model_construct), whatever started them, divided by the databags read; the same "
        "reads (of any databag) and validations in update-status"
    ),
}
"""How each figure is obtained, in words, for the JSON report."""


# --- Import cost ---------------------------------------------------------------------------

# Each child times only its imports, so interpreter start-up is excluded from both figures.
_LIBRARY_IMPORT = """\
import importlib, sys, time
start = time.perf_counter()
importlib.import_module(sys.argv[1])
print((time.perf_counter() - start) * 1000)
"""

# After the baseline, the same child also times importing the library on top of it: the
# library's own cost, free of the noise of two separate ops + pydantic imports.
_BASELINE_IMPORT = """\
import importlib, sys, time
start = time.perf_counter()
import ops
from pydantic import BaseModel
class Trivial(BaseModel):
    value: int
Trivial.model_validate({"value": 1})
baseline = time.perf_counter()
importlib.import_module(sys.argv[1])
print((baseline - start) * 1000, (time.perf_counter() - baseline) * 1000)
"""


def measure_import(module: str, runs: int = IMPORT_RUNS) -> ImportCost:
    """Time importing `module` in fresh processes, against importing ops and pydantic."""
    # Untimed: compile and cache the bytecode that every timed run then loads.
    _child_import_ms(_LIBRARY_IMPORT, module)
    _child_import_ms(_BASELINE_IMPORT, module)
    library: list[float] = []
    baseline: list[float] = []
    on_top: list[float] = []
    for _ in range(runs):  # interleaved, so that a slow patch of the machine hits both
        (library_ms,) = _child_import_ms(_LIBRARY_IMPORT, module)
        baseline_ms, on_top_ms = _child_import_ms(_BASELINE_IMPORT, module)
        library.append(library_ms)
        baseline.append(baseline_ms)
        on_top.append(on_top_ms)
    return ImportCost(tuple(library), tuple(baseline), tuple(on_top))


def _child_import_ms(code: str, *args: str) -> list[float]:
    environment = {**os.environ, "PYTHONPATH": str(LIB), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    # Without bytecode every run would compile ops and pydantic from source, which a deployed
    # charm does only once; uv installs the environment without bytecode.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    # The command is this interpreter and code of this module: no untrusted input.
    child = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(figure) for figure in child.stdout.split()]


# --- Hooks from a steady state -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SteadyCharm:
    """A charm in ops.testing, with the state a first relation-changed left it in."""

    context: testing.Context[ops.CharmBase]
    state: testing.State
    relation: BenchRelation

    @classmethod
    def settle(cls, charm: type[ops.CharmBase], case: BenchCase, units: int) -> SteadyCharm:
        """Run a first relation-changed on a relation with `units` remote units."""
        context = testing.Context(charm, meta=dict(case.meta))
        relation = case.relation(units)
        state = context.run(
            context.on.relation_changed(relation, remote_unit=first_remote_unit(relation)),
            testing.State(relations={relation}),
        )
        return cls(context, state, state.get_relation(relation))

    def relation_changed(self) -> None:
        """Run relation-changed, the first remote unit changing, from the steady state."""
        changed = self.context.on.relation_changed(
            self.relation, remote_unit=first_remote_unit(self.relation)
        )
        self.context.run(changed, self.state)

    def update_status(self) -> None:
        """Run update-status, a hook unrelated to the relation, from the steady state."""
        self.context.run(self.context.on.update_status(), self.state)


# --- Hook time -----------------------------------------------------------------------------


def measure_hook_timings(case: BenchCase) -> tuple[HookTiming, ...]:
    """Time relation-changed for the library and floor charms at each unit count."""
    return tuple(
        _time_relation_changed(case, units, repetitions)
        for units, repetitions in HOOK_REPETITIONS.items()
    )


def _time_relation_changed(case: BenchCase, units: int, repetitions: int) -> HookTiming:
    library = SteadyCharm.settle(case.library_charm, case, units)
    floor = SteadyCharm.settle(case.floor_charm, case, units)
    library_ms: list[float] = []
    floor_ms: list[float] = []
    with _skipping_consistency_checks():
        for _ in range(repetitions):  # interleaved, so that drift affects both alike
            library_ms.append(_hook_ms(library))
            floor_ms.append(_hook_ms(floor))
    return HookTiming(
        units, statistics.median(library_ms), statistics.median(floor_ms), repetitions
    )


def _hook_ms(charm: SteadyCharm) -> float:
    # Collect the previous hook's garbage now, so that it is not charged to this one.
    gc.collect()
    start = time.perf_counter()
    charm.relation_changed()
    return (time.perf_counter() - start) * 1000


@contextlib.contextmanager
def _skipping_consistency_checks() -> Iterator[None]:
    """Skip ops.testing's check of each input state: harness cost that Juju does not have.

    The first run of each charm, outside this, checks the bench's states once.
    """
    saved = os.environ.get("SCENARIO_SKIP_CONSISTENCY_CHECKS")
    os.environ["SCENARIO_SKIP_CONSISTENCY_CHECKS"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SCENARIO_SKIP_CONSISTENCY_CHECKS"]
        else:
            os.environ["SCENARIO_SKIP_CONSISTENCY_CHECKS"] = saved


# --- Hook-tool calls -----------------------------------------------------------------------


def measure_calls(case: BenchCase, charm: type[ops.CharmBase]) -> dict[str, dict[str, int]]:
    """The hook tools `charm` runs in relation-changed and in update-status, by tool."""
    calls: dict[str, dict[str, int]] = {}
    for units in CALL_UNIT_COUNTS:
        steady = SteadyCharm.settle(charm, case, units)
        with counting_hook_tools() as counted:
            steady.relation_changed()
        calls[relation_changed_key(units)] = _sorted(counted)
    steady = SteadyCharm.settle(charm, case, UPDATE_STATUS_UNITS)
    with counting_hook_tools() as counted:
        steady.update_status()
    calls[UPDATE_STATUS] = _sorted(counted)
    return calls


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items()))


# --- Validations ---------------------------------------------------------------------------


def measure_validations(case: BenchCase) -> Validations:
    """How often the library charm reads and validates each remote databag in one hook."""
    steady = SteadyCharm.settle(case.library_charm, case, VALIDATION_UNITS)
    with counting_validations(case.module) as changed:
        steady.relation_changed()
    with counting_validations(case.module) as unrelated:
        steady.update_status()
    names = remote_unit_names(steady.relation, steady.context.app_name)
    per_unit = [changed.reads[steady.relation.id, name] for name in names]
    return Validations(
        units=VALIDATION_UNITS,
        reads_per_unit_max=max(per_unit),
        reads_per_unit_mean=float(statistics.mean(per_unit)),
        databags_read=sum(1 for reads in per_unit if reads),
        model_validations=changed.model_validations,
        update_status_reads=unrelated.reads.total(),
        update_status_model_validations=unrelated.model_validations,
    )


# --- Everything for a case -----------------------------------------------------------------


def measure_case(case: BenchCase, import_cost: ImportCost) -> CaseResult:
    """Measure one case; the import cost is measured once per library, by the caller."""
    return CaseResult(
        case=case,
        import_cost=import_cost,
        hook_timings=measure_hook_timings(case),
        calls=measure_calls(case, case.library_charm),
        floor_calls=measure_calls(case, case.floor_charm),
        validations=measure_validations(case),
    )
