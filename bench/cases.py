# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""What a library registers with the bench: one `BenchCase` per role it implements."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal

import ops
from ops import testing

Role = Literal["requires", "provides"]


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
        relation: builds the relation the hooks run on, with this many remote units numbered
            from 0, each holding valid legacy data (remote unit 0 changes in every hook).
    """

    library: str
    role: Role
    module: str
    meta: Mapping[str, Any]
    library_charm: type[ops.CharmBase]
    floor_charm: type[ops.CharmBase]
    relation: Callable[[int], testing.Relation]

    @property
    def title(self) -> str:
        """How the case is named in the printed table."""
        return f"{self.library} ({self.role})"
