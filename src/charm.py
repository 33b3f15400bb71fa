#!/usr/bin/env python3
# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""A demo charm that uses the legacy-interface libraries on both sides of each relation.

A thin composition. The charm creates the library objects, as attributes of its own so that
tests can emit their events with `ops.testing`'s `ctx.on.custom`; each interface's behaviour
lives in its own module (`etcd_roles.py`, `zookeeper_roles.py`, `kafka_roles.py`,
`http_roles.py`, `innodb_cluster_roles.py`), as one `ops.Object` that observes what it
needs; the charm gathers their statuses.
"""

from __future__ import annotations

import ops

from charms.etcd.v0.etcd import EtcdProvides, EtcdRequires
from charms.http.v0.http import HttpProvides, HttpRequires
from charms.innodb_cluster.v0.innodb_cluster import InnodbClusterPeers
from charms.kafka.v0.kafka import KafkaProvides, KafkaRequires
from charms.zookeeper.v0.zookeeper import ZookeeperProvides, ZookeeperRequires
from etcd_roles import EtcdRoles
from http_roles import HttpRoles
from innodb_cluster_roles import InnodbClusterRoles
from kafka_roles import KafkaRoles
from zookeeper_roles import ZookeeperRoles

# The status of a unit that plays no role yet.
NOTHING_TO_DO = "relate an endpoint, or configure etcd, zookeeper, kafka, a website or a cluster"


class LegacyInterfacesDemoCharm(ops.CharmBase):
    """Plays both sides of every interface the libraries cover."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        self.etcd_server = EtcdProvides(self)
        self.zookeeper = ZookeeperRequires(self)
        # One charm cannot declare `zookeeper` on both sides: see charmcraft.yaml.
        self.zookeeper_server = ZookeeperProvides(self, "zookeeper-server")
        self.kafka = KafkaRequires(self)
        self.kafka_server = KafkaProvides(self)
        self.website = HttpProvides(self)
        self.reverseproxy = HttpRequires(self)
        # Every unit is a peer on the `cluster` endpoint; it takes part once given a password.
        self.cluster = InnodbClusterPeers(self)
        self.etcd_roles = EtcdRoles(self, self.etcd, self.etcd_server)
        # Kafka forwards what it reads on its zookeeper endpoint to its own clients.
        self.kafka_roles = KafkaRoles(self, self.kafka, self.kafka_server, self.zookeeper)
        self.zookeeper_roles = ZookeeperRoles(self, self.zookeeper, self.zookeeper_server)
        self.http_roles = HttpRoles(self, self.website, self.reverseproxy)
        self.innodb_cluster_roles = InnodbClusterRoles(self, self.cluster)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        # ops shows the first of the most severe statuses. Kafka's come before zookeeper's:
        # a kafka unit is a zookeeper client too, and its kafka status names its zookeepers.
        statuses = [
            *self.etcd_roles.statuses(),
            *self.kafka_roles.statuses(),
            *self.zookeeper_roles.statuses(),
            *self.http_roles.statuses(),
            *self.innodb_cluster_roles.statuses(),
        ]
        if not statuses:
            statuses.append(ops.BlockedStatus(NOTHING_TO_DO))
        for status in statuses:
            event.add_status(status)


if __name__ == "__main__":  # pragma: no cover
    ops.main(LegacyInterfacesDemoCharm)
