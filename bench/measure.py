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
from bench.finished_hooks import release_event_caches
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

# Fresh processes for the import cost, each about 0.3 s. Chosen from the spread of the on-top
# samples, 40 to 80 per library on a machine shared with test runs (interquartile ranges
# 1.1 to 4.1 ms): resampled, 90 % of the medians of 10 runs fell within ±0.5 to ±2.0 ms of
# the whole median, of 15 within ±0.3 to ±1.8, of 20 within ±0.3 to ±1.75, and of 40 within
# ±0.25 to ±1.5. 20 is the fewest that holds the libraries the load left alone (etcd,
# zookeeper, kafka) within ±0.5 ms; for http and innodb_cluster the median of successive
# blocks of 20 moved by up to 4.7 ms as the load changed, which no affordable number of runs
# removes: for figures near the 5 ms target, run the bench on a quiet machine.
IMPORT_RUNS = 20
# Hooks timed per median, by number of remote units. The spread does not allow fewer: on the
# shared machine the interquartile ranges were 6 to 55 % of the median, and resampled (100,
# 80, 60 and 30 hooks per N, all nine cases), 90 % of the medians of 50, 40 and 30 hooks at
# N = 1, 10, 100 fell within ±1 to ±11 % of the whole median. N = 1000 had 7 hooks, when a
# repetition paid 70 to 160 ms of gc.collect() over the whole heap: its medians fell within
# ±3 to ±26 % (the ratio to the floor ±3 to ±23 %), and it is the N both hook targets are
# judged on; at 20 hooks, ±1 to ±18 % (ratio ±1 to ±15 %), for about 1.4 s a case.
HOOK_REPETITIONS = {1: 50, 10: 40, 100: 30, 1000: 20}
CALL_UNIT_COUNTS = (1, 10)
VALIDATION_UNITS = 10
UPDATE_STATUS_UNITS = 10

METHOD = {
    "import": (
        f"median over {IMPORT_RUNS} fresh processes ({sys.executable}, PYTHONPATH=lib), each "
        "timing with time.perf_counter() first the baseline, importing ops and pydantic's "
        "BaseModel and validating one trivial model, then importing the library module on "
        "top of it in the same process; the on-top median is the import figure (what the "
        "library adds to what any pydantic-using ops charm pays anyway), the baseline's "
        "median is given beside it; interquartile ranges given as the spread; interpreter "
        "start-up is outside both; bytecode cached (PYTHONPYCACHEPREFIX=.bench/pycache, "
        "filled by an untimed first run), as in a deployed charm after its first hook; "
        f"{IMPORT_RUNS} runs, the fewest whose median held within about 0.5 ms (90 % of "
        "resampled medians) where the machine's load stayed steady"
    ),
    "hook_ms": (
        "median wall ms (time.perf_counter) of ops.testing Context.run of relation-changed "
        "(the first remote unit changing: unit 0 of the other application, or peer 1 on a "
        "peer relation) on one relation with N remote units (on a peer relation, N peers "
        "besides the unit under test), each holding full valid legacy data, from the output "
        "state of a first relation-changed (steady state); "
        "library and floor runs interleaved, "
        + ", ".join(f"{count} of each at N={units}" for units, count in HOOK_REPETITIONS.items())
        + "; interquartile ranges given as the spread; "
        "gc.collect() before each, with everything alive before the first (modules, the "
        "settled charms and states) exempted by gc.freeze(), so that the collection goes "
        "through the previous hook's garbage only; each finished hook released (ops.testing's "
        "record of emitted events and log lines, ops' per-emitter caches of `.on`, which keep "
        "every framework alive); run with "
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

# Each child imports ops and pydantic and validates a trivial model (the baseline), then
# imports the library on top of them, timing both: the library's own cost, measured in the
# process that already paid the baseline, free of the noise of subtracting two separate ops
# + pydantic imports (their medians, 180-250 ms, spread by 15-60 ms on a shared machine,
# around a 5 ms target). Interpreter start-up is outside both.
_IMPORT_ON_TOP = """\
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
    """Time importing `module` on top of ops and pydantic, in fresh processes."""
    # Untimed: compile and cache the bytecode that every timed run then loads.
    _import_on_top_ms(module)
    baseline: list[float] = []
    on_top: list[float] = []
    for _ in range(runs):
        baseline_ms, on_top_ms = _import_on_top_ms(module)
        baseline.append(baseline_ms)
        on_top.append(on_top_ms)
    return ImportCost(tuple(baseline), tuple(on_top))


def _import_on_top_ms(module: str) -> tuple[float, float]:
    """In a fresh process: the baseline's import time, then the module's on top of it."""
    environment = {**os.environ, "PYTHONPATH": str(LIB), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    # Without bytecode every run would compile ops and pydantic from source, which a deployed
    # charm does only once; uv installs the environment without bytecode.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    # The command is this interpreter and code of this module: no untrusted input.
    child = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _IMPORT_ON_TOP, module],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    baseline_ms, on_top_ms = (float(figure) for figure in child.stdout.split())
    return baseline_ms, on_top_ms


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
        steady = cls(context, state, state.get_relation(relation))
        steady.forget_finished_hooks()
        return steady

    def relation_changed(self) -> None:
        """Run relation-changed, the first remote unit changing, from the steady state."""
        changed = self.context.on.relation_changed(
            self.relation, remote_unit=first_remote_unit(self.relation)
        )
        self.context.run(changed, self.state)

    def update_status(self) -> None:
        """Run update-status, a hook unrelated to the relation, from the steady state."""
        self.context.run(self.context.on.update_status(), self.state)

    def forget_finished_hooks(self) -> None:
        """Let the garbage collector have what the hooks run so far kept alive.

        Juju runs each hook in a process of its own, which ends with it; the bench runs
        thousands in one, and two things kept every one of them, with its framework, model
        and the data of up to 1000 remote units: the context's record of the events it
        emitted (and of the log lines), and ops' cache of each emitter's `.on`. Left alone,
        the heap grew by some 50,000 objects per case at 1000 units, which every later
        `gc.collect()`, and any collection inside a timed hook, had to go through.
        """
        self.context.emitted_events.clear()
        self.context.juju_log.clear()
        release_event_caches()


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
    with _skipping_consistency_checks(), _frozen_heap():
        for _ in range(repetitions):  # interleaved, so that drift affects both alike
            library_ms.append(_hook_ms(library))
            floor_ms.append(_hook_ms(floor))
    return HookTiming(units, tuple(library_ms), tuple(floor_ms))


def _hook_ms(charm: SteadyCharm) -> float:
    # Collect the previous hook's garbage now, so that it is not charged to this one. With
    # the heap frozen, this goes through that garbage only.
    gc.collect()
    start = time.perf_counter()
    charm.relation_changed()
    elapsed = time.perf_counter() - start
    charm.forget_finished_hooks()
    return elapsed * 1000


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Leave every object alive now out of garbage collection while the context is open.

    What the hooks find in place (ops, pydantic, the library, the settled charms and states
    of up to 1000 units) is not garbage, but each `gc.collect()` before a timed hook went
    through all of it: 36 to 80 ms a hook, most of the bench's time. Frozen, it is skipped,
    and the collection goes through what was made since: the previous hook's garbage. The
    collections a hook starts itself are the same either way (counted: young generations
    only). Measured, the full collection also evicted the hook's working set from the CPU
    caches just before the clock started, which added about 1 ms to every hook, library and
    floor alike, at 1 to 100 units; frozen, each hook starts with the caches as the
    previous hook left them.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
