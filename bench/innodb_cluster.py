# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The innodb_cluster library's one case: a MySQL InnoDB cluster unit among its peers.

The interface is a peer relation, so its one role (`InnodbClusterPeers`) both writes and
reads; the bench measures the reading, which grows with the number of peers. There is a
charm that uses the library and a floor charm in bare ops that does the same the way the
legacy reactive layer did.

What a cluster unit's hook typically does, in the library's docstring example: it creates
the cluster user of every peer that sent its address, user and password, and says, as its
collect-status handler does, whether the cluster is available (every peer sent those) and
clustered (every peer sent `unit-clustered`). The legacy layer decoded each value the peer
sent as JSON, falling back to the raw text, and counted a state as holding once at least
`minimum_cluster_size - 1` peers (2, with the legacy minimum of 3) all had what it needs.

Every peer is at the last stage of the handshake, so both states hold from 2 peers on; with
one peer, neither does, and both charms still read it. Neither charm writes: what a unit
sends is set once, in earlier hooks, not in every change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ops
from ops import testing

from bench.cases import BenchCase
from charms.innodb_cluster.v0.innodb_cluster import (
    InnodbClusterPeers,
    cluster_relation_for_testing,
)

MODULE = "charms.innodb_cluster.v0.innodb_cluster"
ENDPOINT = "cluster"
MINIMUM_CLUSTER_SIZE = 3
"""The legacy layer's, and the library's default: this unit and at least two peers."""

# The keys each peer sends, all JSON, in the order the legacy layer wrote them.
ADDRESS = "cluster-address"
USER = "cluster-user"
PASSWORD = "cluster-password"  # noqa: S105 - a key name, not a password
CONFIGURE_READY = "unit-configure-ready"
CLUSTERED = "unit-clustered"
WIRE_KEYS = (ADDRESS, USER, PASSWORD, CONFIGURE_READY, CLUSTERED)

# --- Remote data ---------------------------------------------------------------------------
# The library's test helper writes what the legacy charm does: each peer its JSON cluster
# address, user and password, `unit-configure-ready` and `unit-clustered` (both `true`), next
# to Juju's own keys, each peer with its own address.


def cluster_relation(peers: int) -> testing.PeerRelation:
    """The `cluster` peer relation of this unit and `peers` peers, all clustered."""
    return cluster_relation_for_testing(ENDPOINT, peers=peers, stage="clustered")


# --- Charms --------------------------------------------------------------------------------


class ClusterCharm(ops.CharmBase):
    """A cluster unit that uses `InnodbClusterPeers` as the library's docstring example would.

    On every change it reconciles holistically from one typed read: the cluster users it
    would create, one per peer that sent its address, user and password; and asks, as its
    collect-status handler does, whether the cluster is available and clustered.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.cluster = InnodbClusterPeers(self, ENDPOINT)
        framework.observe(self.on[ENDPOINT].relation_changed, self._on_cluster_changed)

    def _on_cluster_changed(self, _: ops.RelationChangedEvent) -> None:
        self._reconcile()

    def _reconcile(self) -> None:
        # The answers are kept, as a charm would run CREATE USER for each user.
        users = [
            (peer.cluster_user, peer.cluster_address, peer.cluster_password.get_secret_value())
            for peer in self.cluster.read().credentials
        ]
        self.answers = (users, self.cluster.is_available(), self.cluster.is_clustered())


class ClusterFloorCharm(ops.CharmBase):
    """The same cluster unit in bare ops: what the legacy layer's `received` views gave.

    Every peer in unit-number order: each of the five keys, decoded as JSON or else kept as
    text, a missing key None; the users of the peers that sent an address, a user and a
    password; available when there are enough peers and every one sent those three, clustered
    when there are enough and every one sent a true `unit-clustered`.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[ENDPOINT].relation_changed, self._on_cluster_changed)

    def _on_cluster_changed(self, event: ops.RelationChangedEvent) -> None:
        relation = event.relation
        peers = [
            _received(relation.data[unit]) for unit in sorted(relation.units, key=_unit_number)
        ]
        users = [
            (peer[USER], peer[ADDRESS], peer[PASSWORD])
            for peer in peers
            if peer[ADDRESS] and peer[USER] and peer[PASSWORD]
        ]
        enough = len(peers) >= MINIMUM_CLUSTER_SIZE - 1
        available = enough and len(users) == len(peers)
        clustered = enough and all(peer[CLUSTERED] for peer in peers)
        self.answers = (users, available, clustered)


def _received(databag: Mapping[str, str]) -> dict[str, Any]:
    """A peer's values by key, as the legacy `unit.received[key]` read each."""
    return {key: _decode(databag.get(key)) for key in WIRE_KEYS}


def _decode(value: str | None) -> Any:
    # The legacy view's JSON with a fallback: a value that is not JSON is taken as it is.
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _unit_number(unit: ops.Unit) -> int:
    return int(unit.name.rpartition("/")[2])


# --- Cases ---------------------------------------------------------------------------------

CASES = (
    BenchCase(
        library="innodb_cluster",
        role="peers",
        module=MODULE,
        meta={
            "name": "mysql-innodb-cluster",
            "peers": {ENDPOINT: {"interface": "mysql-innodb-cluster"}},
        },
        library_charm=ClusterCharm,
        floor_charm=ClusterFloorCharm,
        relation=cluster_relation,
    ),
)
