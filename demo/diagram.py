# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""A story's lifecycle as a Mermaid sequence diagram, drawn from the hooks the story ran.

It shows the hooks Juju runs on each unit, the events the library emits in them, and the
databag keys they set. It is drawn from the hook runs the story recorded, the same ones its
transcript prints, so it shows what the code did in that run, not what someone remembers it
does. Only what concerns the lifecycle's interface is drawn: its relation hooks, its
library's events and its databags. Values are never drawn, only key names, so no secret can
show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from demo.deployment import DatabagChange, HookRun, Unit
from demo.story import Lifecycle, Step

_JUJU = "juju"
_SYNTAX = re.compile("[#;]")


def sequence_diagram(steps: Iterable[Step], lifecycle: Lifecycle) -> str:
    """The Mermaid text of the lifecycle: its steps, each with the hook runs that concern it."""
    shown = [
        (step, [run for run in step.runs if _concerns(run, lifecycle)])
        for step in steps
        if step.number <= lifecycle.steps
    ]
    shown = [(step, runs) for step, runs in shown if runs]
    units = _units_in_order(run for _, runs in shown for run in runs)
    lines = ["sequenceDiagram", f"    participant {_JUJU} as Juju"]
    lines += _participants(units)
    last = _participant(units[-1]) if units else _JUJU
    for step, runs in shown:
        lines.append(f"    Note over {_JUJU},{last}: {_text(f'{step.number}. {step.title}')}")
        for run in runs:
            lines += _run_lines(run, lifecycle)
    return "\n".join(lines) + "\n"


def _concerns(run: HookRun, lifecycle: Lifecycle) -> bool:
    """Whether the run is a hook of the interface, or emits or writes anything of it."""
    integration = run.hook.integration
    return (
        (integration is not None and integration.interface == lifecycle.interface)
        or bool(_library_events(run, lifecycle))
        or bool(_interface_changes(run, lifecycle))
    )


def _library_events(run: HookRun, lifecycle: Lifecycle) -> list[str]:
    return [type(event).__name__ for event in run.events if _emitted_by(event, lifecycle)]


def _emitted_by(event: object, lifecycle: Lifecycle) -> bool:
    return type(event).__module__ == lifecycle.library


def _interface_changes(run: HookRun, lifecycle: Lifecycle) -> list[DatabagChange]:
    return [
        change for change in run.changes if change.integration.interface == lifecycle.interface
    ]


def _units_in_order(runs: Iterable[HookRun]) -> list[Unit]:
    """Every unit that ran a hook, grouped by application, each in order of first appearance."""
    seen: dict[str, list[Unit]] = {}
    for run in runs:
        units = seen.setdefault(run.unit.app.name, [])
        if run.unit not in units:
            units.append(run.unit)
    return [unit for units in seen.values() for unit in units]


def _participants(units: list[Unit]) -> list[str]:
    """One box per application around its units, so that a reader sees both sides."""
    lines: list[str] = []
    for app in dict.fromkeys(unit.app.name for unit in units):
        # "transparent" is the box's colour: without one, Mermaid would read a name such
        # as "red" as the colour.
        lines.append(f"    box transparent {_text(app)}")
        lines += [
            f"        participant {_participant(unit)} as {_text(unit.name)}"
            for unit in units
            if unit.app.name == app
        ]
        lines.append("    end")
    return lines


def _run_lines(run: HookRun, lifecycle: Lifecycle) -> list[str]:
    """The hook as Juju's message to the unit, then the unit's events and databag writes."""
    unit = _participant(run.unit)
    detail = run.hook.detail_on(run.unit)
    hook = f"{run.hook_name} ({detail})" if detail else run.hook_name
    lines = [f"    {_JUJU}->>{unit}: {_text(hook)}"]
    lines += [f"    {unit}-->>{unit}: {name}" for name in _library_events(run, lifecycle)]
    lines += [
        f"    Note right of {unit}: {_text(written)}"
        for change in _interface_changes(run, lifecycle)
        if (written := _what_changed(change))
    ]
    return lines


def _what_changed(change: DatabagChange) -> str:
    """Which keys the change set and unset, by name: `sets a, b; unsets c`, or ""."""
    keys = sorted(set(change.before) | set(change.after))
    set_keys = [key for key in keys if change.after.get(key) != change.before.get(key)]
    unset = [key for key in set_keys if key not in change.after]
    written = [key for key in set_keys if key in change.after]
    whose = "" if "/" in change.owner else "application databag: "
    parts = [f"sets {', '.join(written)}"] if written else []
    parts += [f"unsets {', '.join(unset)}"] if unset else []
    return whose + "; ".join(parts) if parts else ""


def _participant(unit: Unit) -> str:
    """A Mermaid identifier for the unit: `etcd/0` cannot be one."""
    return "u_" + re.sub(r"\W", "_", unit.name)


def _text(text: str) -> str:
    """Text Mermaid shows as written: `#` and `;` would otherwise be syntax.

    Each becomes its entity code (`#59;`) in one pass, so that no code is escaped again.
    """
    return _SYNTAX.sub(lambda match: f"#{ord(match[0])};", text)
