# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The zookeeper library's two cases: a client (`ZookeeperRequires`) and a zookeeper unit.

The zookeeper unit uses `ZookeeperProvides`. Each role has a charm that uses the library and
a floor charm in bare ops that answers the same questions the way the legacy reactive layer
did.
"""

from __future__ import annotations

import ops
from ops import testing

from bench.cases import BenchCase
from charms.zookeeper.v0.zookeeper import (
    ZookeeperOffer,
    ZookeeperProvides,
    ZookeeperRequires,
    client_relation_for_testing,
    zookeeper_relation_for_testing,
)

MODULE = "charms.zookeeper.v0.zookeeper"
ENDPOINT = "zookeeper"

# --- Remote data ---------------------------------------------------------------------------
# The library's test helpers write what the legacy charms do: each zookeeper unit its `port`
# and `rest_port` (no `host`) next to Juju's own keys, each with its own `private-address`;
# each client unit only Juju's keys.


def zookeeper_relation(units: int) -> testing.Relation:
    """A client's `zookeeper` relation to `units` legacy zookeeper units, all usable."""
    return zookeeper_relation_for_testing(ENDPOINT, units=units)


def client_relation(units: int) -> testing.Relation:
    """A zookeeper unit's `zookeeper` relation to `units` client units, which write nothing."""
    return client_relation_for_testing(ENDPOINT, units=units)


# --- Charms --------------------------------------------------------------------------------


class ZookeeperClientCharm(ops.CharmBase):
    """A zookeeper client that uses `ZookeeperRequires` as the library's docstring example does.

    On every change it reconciles holistically from one typed read of the usable units, and
    asks whether any zookeeper unit is there at all.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperRequires(self)
        framework.observe(self.on[ENDPOINT].relation_changed, self._on_zookeeper_changed)

    def _on_zookeeper_changed(self, _: ops.RelationChangedEvent) -> None:
        self._reconcile()

    def _reconcile(self) -> None:
        # The answers are kept, as a charm would use them.
        offer: ZookeeperOffer = self.zookeeper.read()
        connected = self.zookeeper.is_connected()
        self.answers = (offer, connected)


class ZookeeperClientFloorCharm(ops.CharmBase):
    """The same client in bare ops: what the legacy layer's `zookeepers()` read.

    Every remote unit in unit-number order: its `port`, `rest_port` and `host`, the host
    falling back to Juju's `private-address`; the units without a port are left out. Unlike
    etcd's legacy reader, which stops at the first unit holding a key, this one needs every
    unit, so the floor reads every databag too.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[ENDPOINT].relation_changed, self._on_zookeeper_changed)

    def _on_zookeeper_changed(self, event: ops.RelationChangedEvent) -> None:
        zookeepers: list[dict[str, str | None]] = []
        for unit in sorted(event.relation.units, key=_unit_number):
            databag = event.relation.data[unit]
            port = databag.get("port")
            if port:
                zookeepers.append(
                    {
                        "host": databag.get("host") or databag.get("private-address"),
                        "port": port,
                        "rest_port": databag.get("rest_port"),
                    }
                )
        self.answers = zookeepers


class ZookeeperServerCharm(ops.CharmBase):
    """A zookeeper unit that uses `ZookeeperProvides` and asks its one query once per change.

    Like etcd's bench server charm, it sends nothing: the floor does not either.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperProvides(self)
        framework.observe(self.on[ENDPOINT].relation_changed, self._on_zookeeper_changed)

    def _on_zookeeper_changed(self, _: ops.RelationChangedEvent) -> None:
        self.answers = self.zookeeper.is_connected()


class ZookeeperServerFloorCharm(ops.CharmBase):
    """The same zookeeper unit in bare ops: is any client unit there."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[ENDPOINT].relation_changed, self._on_zookeeper_changed)

    def _on_zookeeper_changed(self, event: ops.RelationChangedEvent) -> None:
        self.answers = bool(event.relation.units)


def _unit_number(unit: ops.Unit) -> int:
    return int(unit.name.rpartition("/")[2])


# --- Cases ---------------------------------------------------------------------------------

CASES = (
    BenchCase(
        library="zookeeper",
        role="requires",
        module=MODULE,
        meta={"name": "zookeeper-client", "requires": {ENDPOINT: {"interface": "zookeeper"}}},
        library_charm=ZookeeperClientCharm,
        floor_charm=ZookeeperClientFloorCharm,
        relation=zookeeper_relation,
    ),
    BenchCase(
        library="zookeeper",
        role="provides",
        module=MODULE,
        meta={"name": "zookeeper", "provides": {ENDPOINT: {"interface": "zookeeper"}}},
        library_charm=ZookeeperServerCharm,
        floor_charm=ZookeeperServerFloorCharm,
        relation=client_relation,
    ),
)
