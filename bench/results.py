# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""What the bench found for one case, and the figures derived from it."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping, Sequence

from bench.cases import BenchCase

UPDATE_STATUS = "update_status"
"""The key of the hook-tool calls counted in update-status, a hook unrelated to the relation."""


def relation_changed_key(units: int) -> str:
    """The key of the hook-tool calls counted in relation-changed with `units` remote units."""
    return f"relation_changed_{units}"


@dataclasses.dataclass(frozen=True)
class ImportCost:
    """Import times in fresh processes, in ms: the baseline, and the library on top of it.

    Each process imports the baseline, then the library, and times both.

    Attributes:
        baseline_samples: importing ops and pydantic and validating one trivial model.
        on_top_samples: importing the library in the same process, after the baseline: what
            the library adds to what any pydantic-using ops charm pays anyway.
    """

    baseline_samples: tuple[float, ...]
    on_top_samples: tuple[float, ...]

    @property
    def runs(self) -> int:
        """Processes run."""
        return len(self.on_top_samples)

    @property
    def on_top_ms(self) -> float:
        """The median time to import the library once ops and pydantic are loaded."""
        return statistics.median(self.on_top_samples)

    @property
    def on_top_iqr_ms(self) -> float:
        """The spread of the on-top samples: how far apart their middle half lies."""
        return interquartile_range(self.on_top_samples)

    @property
    def baseline_ms(self) -> float:
        """The median time of the baseline."""
        return statistics.median(self.baseline_samples)

    @property
    def baseline_iqr_ms(self) -> float:
        """The spread of the baseline's samples."""
        return interquartile_range(self.baseline_samples)


def interquartile_range(samples: Sequence[float]) -> float:
    """How far apart the middle half of the samples lies (at least two samples)."""
    lower, _, upper = statistics.quantiles(samples, n=4)
    return upper - lower


@dataclasses.dataclass(frozen=True)
class HookTiming:
    """Wall times of one steady-state relation-changed hook, library and floor charm, in ms.

    Attributes:
        units: remote units on the relation (on a peer relation, the peers).
        library_samples: each timed hook of the charm that uses the library.
        floor_samples: each timed hook of the bare-ops charm, interleaved with the library's.
    """

    units: int
    library_samples: tuple[float, ...]
    floor_samples: tuple[float, ...]

    @property
    def repetitions(self) -> int:
        """Hooks timed for each median."""
        return len(self.library_samples)

    @property
    def library_ms(self) -> float:
        """The median time of the library charm's hook."""
        return statistics.median(self.library_samples)

    @property
    def floor_ms(self) -> float:
        """The median time of the floor charm's hook."""
        return statistics.median(self.floor_samples)

    @property
    def library_iqr_ms(self) -> float:
        """The spread of the library charm's samples."""
        return interquartile_range(self.library_samples)

    @property
    def floor_iqr_ms(self) -> float:
        """The spread of the floor charm's samples."""
        return interquartile_range(self.floor_samples)

    @property
    def ratio(self) -> float:
        """How many times the floor's time the library charm takes."""
        return self.library_ms / self.floor_ms


@dataclasses.dataclass(frozen=True)
class Growth:
    """How hook time grows between two unit counts, as the exponent k in time ∝ units^k.

    About 1 is linear, about 2 quadratic. Fixed per-hook costs pull k below 1.
    """

    from_units: int
    to_units: int
    library_exponent: float
    floor_exponent: float

    @classmethod
    def between(cls, smaller: HookTiming, larger: HookTiming) -> Growth:
        """The growth from one timing to the other."""
        scale = math.log(larger.units / smaller.units)
        return cls(
            from_units=smaller.units,
            to_units=larger.units,
            library_exponent=math.log(larger.library_ms / smaller.library_ms) / scale,
            floor_exponent=math.log(larger.floor_ms / smaller.floor_ms) / scale,
        )


@dataclasses.dataclass(frozen=True)
class Validations:
    """How often remote databags were read and validated in one hook.

    Attributes:
        units: remote units on the relation (on a peer relation, the peers).
        reads_per_unit_max: `relation-get` calls for the most-read remote unit databag in
            relation-changed.
        reads_per_unit_mean: the same, averaged over all remote units (unread ones count 0).
        databags_read: remote unit databags read at least once in relation-changed.
        model_validations: validations of the library's pydantic models in relation-changed,
            whatever started them.
        update_status_reads: `relation-get` calls, of any databag, in update-status.
        update_status_model_validations: model validations in update-status.
    """

    units: int
    reads_per_unit_max: int
    reads_per_unit_mean: float
    databags_read: int
    model_validations: int
    update_status_reads: int
    update_status_model_validations: int

    @property
    def per_databag_read(self) -> float:
        """Model validations per remote databag read: an average over the databags read.

        Validations are not attributed to a databag, so any the library makes beyond the
        databags (an event's payload) count against them; none is made in a steady state.
        """
        if not self.databags_read:
            return float(self.model_validations)
        return self.model_validations / self.databags_read


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """Everything measured for one case.

    Attributes:
        case: what was measured.
        import_cost: the library's import cost (the same for all roles of a library).
        hook_timings: one per unit count, fewest units first.
        calls: hook tools run by the library charm, per hook (see `relation_changed_key` and
            `UPDATE_STATUS`), by tool name.
        floor_calls: the same for the floor charm.
        validations: the library charm's databag reads and validations.
    """

    case: BenchCase
    import_cost: ImportCost
    hook_timings: tuple[HookTiming, ...]
    calls: Mapping[str, Mapping[str, int]]
    floor_calls: Mapping[str, Mapping[str, int]]
    validations: Validations

    @property
    def growth(self) -> Growth:
        """The growth between the two largest unit counts, where per-unit costs dominate."""
        return Growth.between(self.hook_timings[-2], self.hook_timings[-1])

    def timing(self, units: int) -> HookTiming:
        """The hook timing with this many remote units."""
        return next(timing for timing in self.hook_timings if timing.units == units)
