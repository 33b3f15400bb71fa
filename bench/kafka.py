# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The kafka library's two cases: a client (`KafkaRequires`) and a kafka unit.

The kafka unit uses `KafkaProvides`. Each role has a charm that uses the library and a floor
charm in bare ops that answers the same questions the way the legacy reactive layer did.
"""

from __future__ import annotations

import json
from typing import Any

import ops
from ops import testing

from bench.cases import BenchCase
from charms.kafka.v0.kafka import (
    KafkaProvides,
    KafkaRequires,
    client_relation_for_testing,
    kafka_relation_for_testing,
)

MODULE = "charms.kafka.v0.kafka"
REQUIRER_ENDPOINT = "kafka"
PROVIDER_ENDPOINT = "client"
ZOOKEEPERS = 3
"""How many zookeeper servers every kafka unit lists: a usual ensemble."""

# --- Remote data ---------------------------------------------------------------------------
# The library's test helpers write what the legacy charms do: each kafka unit its `port` and
# the same JSON `zookeepers` list (no `host`) next to Juju's own keys, each with its own
# `private-address`; each client unit only Juju's keys.


def kafka_relation(units: int) -> testing.Relation:
    """A client's `kafka` relation to `units` legacy kafka units, all usable."""
    return kafka_relation_for_testing(REQUIRER_ENDPOINT, units=units, zookeepers=ZOOKEEPERS)


def client_relation(units: int) -> testing.Relation:
    """A kafka unit's `client` relation to `units` client units, which write nothing."""
    return client_relation_for_testing(PROVIDER_ENDPOINT, units=units)


# --- Charms --------------------------------------------------------------------------------


class KafkaClientCharm(ops.CharmBase):
    """A kafka client that uses `KafkaRequires` as the library's docstring example does.

    On every change it reconciles holistically from one typed read (the bootstrap servers and
    the zookeeper connection string it would write for its workload), and asks, as its
    collect-status handler does, whether any kafka unit is usable.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kafka = KafkaRequires(self)
        framework.observe(self.on[REQUIRER_ENDPOINT].relation_changed, self._on_kafka_changed)

    def _on_kafka_changed(self, _: ops.RelationChangedEvent) -> None:
        self._reconcile()

    def _reconcile(self) -> None:
        # The answers are kept, as a charm would write them to its workload's files.
        offer = self.kafka.read()
        bootstrap = ",".join(f"{b.host}:{b.port}" for b in offer.brokers)
        zookeeper = ",".join(f"{z.host}:{z.port}" for z in offer.zookeepers)
        self.answers = (bootstrap, zookeeper, self.kafka.is_available())


class KafkaClientFloorCharm(ops.CharmBase):
    """The same client in bare ops: what the legacy layer's `kafkas()` and `zookeepers()` read.

    Every remote unit in unit-number order: its `port` and `host`, the host falling back to
    Juju's `private-address`, the units without a port left out; and the JSON `zookeepers`
    list of each, decoded, each server once (the legacy layer kept one copy per unit).
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[REQUIRER_ENDPOINT].relation_changed, self._on_kafka_changed)

    def _on_kafka_changed(self, event: ops.RelationChangedEvent) -> None:
        kafkas: list[dict[str, str | None]] = []
        zookeepers: list[Any] = []
        for unit in sorted(event.relation.units, key=_unit_number):
            databag = event.relation.data[unit]
            port = databag.get("port")
            if not port:
                continue
            kafkas.append(
                {"host": databag.get("host") or databag.get("private-address"), "port": port}
            )
            try:
                servers = json.loads(databag.get("zookeepers") or "[]")
            except ValueError:
                continue
            zookeepers += [server for server in servers if server not in zookeepers]
        bootstrap = ",".join(f"{kafka['host']}:{kafka['port']}" for kafka in kafkas)
        zookeeper = ",".join(f"{server['host']}:{server['port']}" for server in zookeepers)
        self.answers = (bootstrap, zookeeper, bool(kafkas))


class KafkaServerCharm(ops.CharmBase):
    """A kafka unit that uses `KafkaProvides` and asks whether a client is there, per change.

    Like the other bench server charms, it sends nothing: the floor does not either.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kafka = KafkaProvides(self)
        framework.observe(self.on[PROVIDER_ENDPOINT].relation_changed, self._on_client_changed)

    def _on_client_changed(self, _: ops.RelationChangedEvent) -> None:
        self.answers = self.kafka.is_connected()


class KafkaServerFloorCharm(ops.CharmBase):
    """The same kafka unit in bare ops: is any client unit there."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[PROVIDER_ENDPOINT].relation_changed, self._on_client_changed)

    def _on_client_changed(self, event: ops.RelationChangedEvent) -> None:
        self.answers = bool(event.relation.units)


def _unit_number(unit: ops.Unit) -> int:
    return int(unit.name.rpartition("/")[2])


# --- Cases ---------------------------------------------------------------------------------

CASES = (
    BenchCase(
        library="kafka",
        role="requires",
        module=MODULE,
        meta={"name": "kafka-client", "requires": {REQUIRER_ENDPOINT: {"interface": "kafka"}}},
        library_charm=KafkaClientCharm,
        floor_charm=KafkaClientFloorCharm,
        relation=kafka_relation,
    ),
    BenchCase(
        library="kafka",
        role="provides",
        module=MODULE,
        meta={"name": "kafka", "provides": {PROVIDER_ENDPOINT: {"interface": "kafka"}}},
        library_charm=KafkaServerCharm,
        floor_charm=KafkaServerFloorCharm,
        relation=client_relation,
    ),
)
