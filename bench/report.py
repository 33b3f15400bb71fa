# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The bench's output: a table per case on the terminal, and everything as JSON."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.measure import CALL_UNIT_COUNTS, METHOD, UPDATE_STATUS_UNITS
from bench.paths import JSON_REPORT
from bench.results import UPDATE_STATUS, CaseResult, relation_changed_key
from bench.targets import LINEAR_EXPONENT, TargetCheck, check_targets

WIDTH = 99

# --- Table ---------------------------------------------------------------------------------


def print_report(results: Iterable[CaseResult]) -> None:
    """Print what the figures come from, then one block per library and role."""
    print(", ".join(f"{name} {value}" for name, value in environment().items()))
    for result in results:
        print()
        print(_block(result))


def _block(result: CaseResult) -> str:
    sections = [
        _heading(result.case.title),
        _import_lines(result),
        _hook_time_lines(result),
        _calls_lines(result),
        _validation_lines(result),
        _target_lines(check_targets(result)),
    ]
    return "\n\n".join(sections)


def _heading(title: str) -> str:
    return f"── {title} ".ljust(WIDTH, "─")


def _import_lines(result: CaseResult) -> str:
    cost = result.import_cost
    return "\n".join(
        [
            f"import, ms (median of {cost.runs} fresh processes, interquartile range in brackets)",
            f"  on top of ops + pydantic, in one process: {cost.on_top_ms:.1f} "
            f"({cost.on_top_iqr_ms:.1f}); ops + pydantic alone: {cost.baseline_ms:.1f} "
            f"({cost.baseline_iqr_ms:.1f})",
        ]
    )


def _hook_time_lines(result: CaseResult) -> str:
    rows = [
        [
            str(timing.units),
            str(timing.repetitions),
            f"{timing.library_ms:.2f}",
            f"{timing.library_iqr_ms:.2f}",
            f"{timing.floor_ms:.2f}",
            f"{timing.floor_iqr_ms:.2f}",
            f"{timing.ratio:.1f}",
        ]
        for timing in result.hook_timings
    ]
    growth = result.growth
    header = ["remote units", "hooks", "library", "IQR", "floor", "IQR", "library / floor"]
    return "\n".join(
        [
            "relation-changed, ms per hook (median of the hooks timed, steady state; "
            "IQR: interquartile range)",
            *_table(header, rows, left_columns=0),
            f"  growth N={growth.from_units}→{growth.to_units}: library ∝ "
            f"N^{growth.library_exponent:.2f}, floor ∝ N^{growth.floor_exponent:.2f}",
        ]
    )


# The hooks whose calls were counted: their keys in the results, and their column titles.
_COUNTED_HOOKS = [
    *((relation_changed_key(units), f"changed N={units}") for units in CALL_UNIT_COUNTS),
    (UPDATE_STATUS, f"update-status N={UPDATE_STATUS_UNITS}"),
]


def _calls_lines(result: CaseResult) -> str:
    """A row per hook tool; per hook, a column for the library charm and one for the floor."""
    charms = (result.calls, result.floor_calls)
    header = ["hook tool", *(("library", "floor") * len(_COUNTED_HOOKS))]
    rows = [
        [tool, *(str(calls[key].get(tool, 0)) for key, _ in _COUNTED_HOOKS for calls in charms)]
        for tool in sorted(_tools(result.calls) | _tools(result.floor_calls))
    ]
    widths = _column_widths([header, *rows])
    titles = [" " * widths[0]]
    for index, (_, title) in enumerate(_COUNTED_HOOKS):
        library, floor = 1 + 2 * index, 2 + 2 * index
        # Widen the library column so that the hook's title fits above its pair of columns.
        widths[library] = max(widths[library], len(title) - widths[floor] - len(_GAP))
        titles.append(title.rjust(widths[library] + len(_GAP) + widths[floor]))
    lines = [_line(header, widths), *(_line(row, widths) for row in rows)]
    return "\n".join(["hook-tool calls per hook", _INDENT + _GAP.join(titles), *lines])


def _tools(calls: Mapping[str, Mapping[str, int]]) -> set[str]:
    return {tool for per_hook in calls.values() for tool in per_hook}


def _validation_lines(result: CaseResult) -> str:
    found = result.validations
    return "\n".join(
        [
            f"databags in relation-changed, N={found.units}: {found.databags_read} of "
            f"{found.units} remote databags read, each at most {found.reads_per_unit_max} "
            f"{'time' if found.reads_per_unit_max == 1 else 'times'} (relation-get; mean "
            f"{found.reads_per_unit_mean:.1f} over all units),",
            f"  {found.model_validations} validations of the library's models in all "
            f"({found.per_databag_read:.1f} per databag read); in update-status "
            f"{found.update_status_reads} reads, {found.update_status_model_validations} "
            "validations",
        ]
    )


def _target_lines(checks: Sequence[TargetCheck]) -> str:
    # The limits read as text ("≤ 1 (floor)"), so they come first and align to the left.
    rows = [
        [check.name, check.limit, check.figure, "✓ ok" if check.met else "✗ over"]
        for check in checks
    ]
    met = sum(check.met for check in checks)
    table = _table(["target", "limit", "figure", ""], rows, left_columns=2)
    return "\n".join([f"targets: {met} of {len(checks)} met", *table])


_INDENT = "  "
_GAP = "  "


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], left_columns: int = 1
) -> list[str]:
    """Aligned lines: the first `left_columns` columns to the left, the others to the right."""
    widths = _column_widths([header, *rows])
    return [
        _line(header, widths, left_columns),
        *(_line(row, widths, left_columns) for row in rows),
    ]


def _column_widths(rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]


def _line(cells: Sequence[str], widths: Sequence[int], left_columns: int = 1) -> str:
    aligned = [
        cell.ljust(width) if column < left_columns else cell.rjust(width)
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return (_INDENT + _GAP.join(aligned)).rstrip()


# --- JSON ----------------------------------------------------------------------------------


def write_json(results: Iterable[CaseResult], path: Path = JSON_REPORT) -> Path:
    """Write every result, with the environment and the method, as JSON to `path`."""
    libraries: dict[str, dict[str, Any]] = {}
    for result in results:
        libraries.setdefault(result.case.library, {})[result.case.role] = _case_json(result)
    document = {"environment": environment(), "method": METHOD, "libraries": libraries}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def environment() -> dict[str, Any]:
    """The versions and machine the figures come from."""
    return {
        "python": platform.python_version(),
        "ops": importlib.metadata.version("ops"),
        "ops-scenario": importlib.metadata.version("ops-scenario"),
        "pydantic": importlib.metadata.version("pydantic"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _case_json(result: CaseResult) -> dict[str, Any]:
    cost, growth, validations = result.import_cost, result.growth, result.validations
    return {
        "module": result.case.module,
        "import_ms_on_top_of_baseline_median": _ms(cost.on_top_ms),
        "import_ms_on_top_of_baseline_iqr": _ms(cost.on_top_iqr_ms),
        "import_ms_baseline_median": _ms(cost.baseline_ms),
        "import_ms_baseline_iqr": _ms(cost.baseline_iqr_ms),
        "import_runs": cost.runs,
        "hook_ms": {
            str(timing.units): {
                "library": _ms(timing.library_ms),
                "library_iqr": _ms(timing.library_iqr_ms),
                "baseline": _ms(timing.floor_ms),
                "baseline_iqr": _ms(timing.floor_iqr_ms),
                "ratio": round(timing.ratio, 2),
                "repetitions": timing.repetitions,
            }
            for timing in result.hook_timings
        },
        "growth": {
            "from_units": growth.from_units,
            "to_units": growth.to_units,
            "library_exponent": round(growth.library_exponent, 2),
            "baseline_exponent": round(growth.floor_exponent, 2),
            "linear": growth.library_exponent <= LINEAR_EXPONENT,
        },
        "calls": result.calls,
        "floor_calls": result.floor_calls,
        "databag_reads_per_unit_per_hook": validations.reads_per_unit_max,
        "databag_reads_per_unit_per_hook_mean": validations.reads_per_unit_mean,
        "databags_read_per_hook": validations.databags_read,
        "validations_units": validations.units,
        "model_validations_per_hook": validations.model_validations,
        "model_validations_per_databag_read": round(validations.per_databag_read, 2),
        "update_status_databag_reads": validations.update_status_reads,
        "update_status_model_validations": validations.update_status_model_validations,
        "targets": [dataclasses.asdict(check) for check in check_targets(result)],
    }


def _ms(value: float) -> float:
    return round(value, 3)
