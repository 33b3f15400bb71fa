# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The lifecycle diagrams, drawn from the demo told in this process, against its transcript."""

from __future__ import annotations

import re

import pytest

from demo.diagram import sequence_diagram
from demo.runner import Told
from demo.story import Lifecycle, fired_on
from tests.demo.conftest import DemoToldHere
from tests.demo.reading import hook_blocks

INTERFACES = ("etcd", "zookeeper", "kafka", "http", "mysql-innodb-cluster")

# Text in which `;` and `#` appear only in Mermaid's entity codes (`#59;`): bare, they are syntax.
TEXT = r"(?:[^;#]|#\d+;)+"
# Every statement a diagram may hold, as `sequence_diagram` writes it; Mermaid 11 parses them.
STATEMENT = re.compile(
    r"sequenceDiagram"
    r"|    participant juju as Juju"
    r"|    box transparent [\w-]+"
    r"|        participant u_\w+ as [\w-]+/\d+"
    r"|    end"
    rf"|    Note over juju,u_\w+: \d+\. {TEXT}"
    rf"|    Note right of u_\w+: {TEXT}"
    rf"|    juju->>u_\w+: {TEXT}"
    r"|    (u_\w+)-->>\1: \w+"
)
PARTICIPANT = re.compile(r"        participant (?P<id>u_\w+) as (?P<unit>\S+)")
STEP = re.compile(r"    Note over juju,u_\w+: (?P<number>\d+)\. ")
HOOK = re.compile(r"    juju->>(?P<id>u_\w+): (?P<hook>\S+)(?: \((?P<detail>.*)\))?")
EVENT = re.compile(r"    (?P<id>u_\w+)-->>(?P=id): (?P<event>\w+)")


@pytest.fixture(scope="module")
def diagrams(demo_told_here: DemoToldHere) -> dict[str, tuple[Told, Lifecycle, str]]:
    return {
        lifecycle.interface: (told, lifecycle, sequence_diagram(told.steps, lifecycle))
        for told in demo_told_here.told
        for lifecycle in told.story.lifecycles
    }


def drawn_hooks(diagram: str) -> list[tuple[int, str, str, str]]:
    """(step, unit, hook, detail) of every hook the diagram draws, in order."""
    units = {m["id"]: m["unit"] for m in map(PARTICIPANT.fullmatch, diagram.splitlines()) if m}
    hooks: list[tuple[int, str, str, str]] = []
    step = 0
    for line in diagram.splitlines():
        if match := STEP.match(line):
            step = int(match["number"])
        elif match := HOOK.fullmatch(line):
            hooks.append((step, units[match["id"]], match["hook"], match["detail"] or ""))
    return hooks


def drawn_events(diagram: str, unit: str) -> list[str]:
    units = {m["id"]: m["unit"] for m in map(PARTICIPANT.fullmatch, diagram.splitlines()) if m}
    return [
        match["event"]
        for match in map(EVENT.fullmatch, diagram.splitlines())
        if match and units[match["id"]] == unit
    ]


def is_subsequence(items: list[tuple[int, str, str, str]], of: list[tuple[int, str, str, str]]):
    remaining = iter(of)
    return all(item in remaining for item in items)


def test_every_interface_has_its_diagram(diagrams: dict[str, tuple[Told, Lifecycle, str]]):
    assert sorted(diagrams) == sorted(INTERFACES)


@pytest.mark.parametrize("interface", INTERFACES)
def test_every_line_is_a_statement_of_the_few_the_diagrams_use(
    diagrams: dict[str, tuple[Told, Lifecycle, str]], interface: str
):
    _, _, diagram = diagrams[interface]
    lines = diagram.splitlines()
    assert lines[0] == "sequenceDiagram"
    assert [line for line in lines if not STATEMENT.fullmatch(line)] == []


@pytest.mark.parametrize("interface", INTERFACES)
def test_each_hook_drawn_is_printed_in_the_same_step_and_order_by_the_transcript(
    diagrams: dict[str, tuple[Told, Lifecycle, str]], interface: str
):
    told, lifecycle, diagram = diagrams[interface]
    printed = [(b.step, b.unit, b.hook, b.detail) for b in hook_blocks(told.transcript)]
    drawn = drawn_hooks(diagram)

    assert drawn
    assert is_subsequence(drawn, printed)
    # The lifecycle is drawn to its last step, and no further.
    assert max(step for step, *_ in drawn) == lifecycle.steps


@pytest.mark.parametrize("interface", INTERFACES)
def test_each_unit_shows_exactly_the_library_events_it_fired_in_the_lifecycle(
    diagrams: dict[str, tuple[Told, Lifecycle, str]], interface: str
):
    told, lifecycle, diagram = diagrams[interface]
    runs = [run for step in told.steps[: lifecycle.steps] for run in step.runs]
    units = {run.unit.name: run.unit for run in runs}

    fired = {name: fired_on(runs, unit, [lifecycle.library]) for name, unit in units.items()}
    drawn = {name: drawn_events(diagram, name) for name in units}

    assert drawn == fired
    assert any(fired.values())


@pytest.mark.parametrize(
    ("interface", "hooks"),
    [
        # relate, publish, scale out, a unit leaves, unrelate
        ("etcd", ["relation-created", "relation-joined", "relation-changed", "relation-broken"]),
        ("zookeeper", ["relation-created", "relation-joined", "relation-broken"]),
        ("kafka", ["relation-created", "relation-joined", "relation-broken"]),
        ("http", ["relation-created", "relation-joined", "relation-broken"]),
        # peers are never unrelated: they join, and units leave
        ("mysql-innodb-cluster", ["relation-created", "relation-joined", "relation-changed"]),
    ],
)
def test_the_lifecycle_draws_relating_scaling_and_a_departing_unit(
    diagrams: dict[str, tuple[Told, Lifecycle, str]], interface: str, hooks: list[str]
):
    _, _, diagram = diagrams[interface]
    drawn = drawn_hooks(diagram)
    for kind in hooks:
        assert any(hook.endswith(kind) for _, _, hook, _ in drawn), kind
    assert any(detail.endswith("this unit is departing") for *_, detail in drawn)


@pytest.mark.parametrize("interface", INTERFACES)
def test_no_databag_value_is_drawn_only_key_names(
    diagrams: dict[str, tuple[Told, Lifecycle, str]], interface: str
):
    told, lifecycle, diagram = diagrams[interface]
    values = {
        value
        for step in told.steps[: lifecycle.steps]
        for run in step.runs
        for change in run.changes
        for value in change.after.values()
        if len(value) >= 12  # long enough not to coincide with a name (`True`, a port)
    }
    assert values
    assert [value for value in values if value in diagram] == []
    assert "BEGIN" not in diagram


def test_the_application_databag_and_unset_keys_are_said_as_such(
    diagrams: dict[str, tuple[Told, Lifecycle, str]],
):
    _, _, diagram = diagrams["mysql-innodb-cluster"]
    assert re.search(r"Note right of u_mysql_\d: application databag: sets ", diagram)
    assert re.search(r"Note right of u_mysql_\d: unsets cluster-password, cluster-user", diagram)


def test_a_step_title_keeps_its_semicolons_and_hashes_as_text(
    diagrams: dict[str, tuple[Told, Lifecycle, str]],
):
    told, lifecycle, _ = diagrams["etcd"]
    title = told.steps[2].title
    assert ";" in title  # "configure etcd: it publishes; the client becomes available, ..."
    told.steps[2].title = title + " #1"
    try:
        diagram = sequence_diagram(told.steps, lifecycle)
    finally:
        told.steps[2].title = title
    assert f"3. {title.replace(';', '#59;')} #35;1" in diagram
