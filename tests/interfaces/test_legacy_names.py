# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Each library's migration table maps every name its legacy layer really had.

A charm author porting a reactive charm looks up each flag and method the charm uses in the
library's migration table. What the charm uses is what the layer's code set and offered, in
the version the charm was built with, not what an old README promised. So each interface
spec's README lists, under "Legacy names", the names read from the layer's code (with the
commit), marked by generation; this module checks that the library's table maps each one.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.docs.harness import MigrationTable, migration_table
from tests.interfaces.schemas import SPECS, Interface

HEADING = "## Legacy names"
ROLES = {"requirer", "provider", "peers"}
KINDS = {"flag", "method", "attribute", "event"}
GENERATIONS = ("deployed", "first", "documented")
"""How a row's generation starts: the code deployed charms run, an earlier version of that
code, or a name only the charms.reactive documentation used."""


@dataclasses.dataclass(frozen=True)
class LegacyName:
    """One row of a spec's "Legacy names" table."""

    role: str
    name: str
    kind: str
    generation: str


def legacy_names(readme: Path) -> list[LegacyName]:
    """The rows of the "Legacy names" table of a spec's README, in order."""
    section = readme.read_text(encoding="utf-8").partition(f"\n{HEADING}\n")[2]
    rows = re.findall(r"^\|(.*)\|$", section.partition("\n## ")[0], re.MULTILINE)[2:]
    names: list[LegacyName] = []
    for row in rows:
        role, name, kind, generation = (cell.strip() for cell in row.split("|"))
        names.append(LegacyName(role, name.strip("`"), kind, generation))
    return names


def unmapped(names: list[LegacyName], table: MigrationTable) -> list[str]:
    """The names that the table's legacy column does not name, in the list's order."""

    def mapped(legacy: LegacyName) -> bool:
        if legacy.kind == "flag":
            return legacy.name in table.flags
        if legacy.kind == "event":
            return legacy.name in table.spans
        return legacy.name.removesuffix("()") in table.names

    return [legacy.name for legacy in names if not mapped(legacy)]


def library_path(interface: Interface) -> Path:
    module_file = interface.library().__file__
    assert module_file is not None
    return Path(module_file)


@pytest.mark.parametrize("interface", SPECS, ids=[spec.name for spec in SPECS])
def test_the_migration_table_maps_every_name_of_the_legacy_layer(interface: Interface):
    names = legacy_names(interface.directory / "README.md")
    assert names, f"the {interface.name} spec lists no legacy names"

    assert unmapped(names, migration_table(library_path(interface))) == []


@pytest.mark.parametrize("interface", SPECS, ids=[spec.name for spec in SPECS])
def test_each_legacy_name_has_a_known_role_kind_and_generation(interface: Interface):
    for legacy in legacy_names(interface.directory / "README.md"):
        assert legacy.role in ROLES, legacy
        assert legacy.kind in KINDS, legacy
        assert legacy.generation.startswith(GENERATIONS), legacy
        assert legacy.name.endswith("()") == (legacy.kind == "method"), legacy


def test_a_name_the_table_leaves_out_is_reported():
    table = MigrationTable(
        flags=frozenset({"zookeeper.joined"}),
        names=frozenset({"zookeepers"}),
        spans=frozenset({"@when('zookeeper.joined')", "zookeepers()"}),
    )
    names = [
        LegacyName("requirer", "zookeeper.joined", "flag", "deployed"),
        LegacyName("requirer", "zookeeper.ready", "flag", "deployed"),
        LegacyName("requirer", "zookeepers()", "method", "deployed"),
        LegacyName("requirer", "dismiss_joining()", "method", "first"),
        LegacyName("peers", "peer_relation", "attribute", "deployed"),
        LegacyName("requirer", "new-website", "event", "documented"),
    ]

    assert unmapped(names, table) == [
        "zookeeper.ready",
        "dismiss_joining()",
        "peer_relation",
        "new-website",
    ]
