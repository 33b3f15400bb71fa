# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""What a library registers with the bench: one `BenchCase` per role it implements."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal

import ops
from ops import testing

Role = Literal["requires", "provides", "peers"]

BenchRelation = testing.Relation | testing.PeerRelation
"""A relation the hooks run on: to another application's units, or among the charm's own."""


@dataclasses.dataclass(frozen=True)
class BenchCase:
    """One library in one role, and the bare-ops charm it is measured against.

    Attributes:
        library: the library's short name, the key of its results (`etcd`).
        role: the side of the interface that `library_charm` plays.
        module: the library's importable module (`charms.etcd.v0.etcd`), for the import cost
            and for finding the pydantic models whose validations are counted.
        meta: the charm metadata (`metadata.yaml` content) shared by both charms.
        library_charm: a charm that uses the library and, in its own relation-changed
            handler, reconciles holistically as a charm written like the library's docstring
            example would: the queries that example makes, each once.
        floor_charm: a hand-written charm with no library and no pydantic that reads the same
            keys and picks what the legacy reactive layer would: the least a charm can pay.
        relation: builds the relation the hooks run on, with this many remote units, each
            holding valid legacy data: units numbered from 0 of another application, or, on a
            peer relation, peers numbered from 1 (the unit under test is unit 0). The first
            remote unit (`first_remote_unit`) changes in every hook.
    """

    library: str
    role: Role
    module: str
    meta: Mapping[str, Any]
    library_charm: type[ops.CharmBase]
    floor_charm: type[ops.CharmBase]
    relation: Callable[[int], BenchRelation]

    @property
    def title(self) -> str:
        """How the case is named in the printed table."""
        return f"{self.library} ({self.role})"


# --- The remote units of a relation --------------------------------------------------------
# A peer relation keeps its remote units (the peers) in `peers_data`, and they belong to the
# charm's own application; a relation to another application keeps them in
# `remote_units_data`. The measurements need only these two answers, whatever the relation.


def remote_unit_numbers(relation: BenchRelation) -> list[int]:
    """The numbers of the units at the other end of the relation, in order."""
    if isinstance(relation, testing.PeerRelation):
        return sorted(relation.peers_data)
    return sorted(relation.remote_units_data)


def first_remote_unit(relation: BenchRelation) -> int:
    """The remote unit whose change each measured hook is: unit 0, or peer 1 of peers."""
    return remote_unit_numbers(relation)[0]


def remote_unit_names(relation: BenchRelation, own_app_name: str) -> list[str]:
    """The names of the remote units, in order, as ops asks `relation-get` for their data."""
    if isinstance(relation, testing.PeerRelation):
        app_name = own_app_name  # peers are units of the charm's own application
    else:
        app_name = relation.remote_app_name
    return [f"{app_name}/{number}" for number in remote_unit_numbers(relation)]
