# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The etcd library's two cases: a client (`EtcdRequires`) and an etcd unit (`EtcdProvides`).

Each role has a charm that uses the library and a floor charm in bare ops that answers the
same questions the way the legacy reactive layer did.
"""

from __future__ import annotations

import ops
from ops import testing

from bench.cases import BenchCase
from charms.etcd.v0.etcd import EtcdOffer, EtcdProvides, EtcdRequires, credentials_for_testing

MODULE = "charms.etcd.v0.etcd"

# --- Remote data ---------------------------------------------------------------------------

# The library's test credentials are sized like the real thing (an RSA-2048 key of about
# 1.2 kB, certificates of about 0.9 kB, before base64), which matters because the library's
# PEM checks cost time in proportion to the text.
LEGACY_ETCD_DATA = {
    "connection_string": "https://10.0.0.5:2379,https://10.0.0.6:2379,https://10.0.0.7:2379",
    "version": "3.5.16",
    **credentials_for_testing("bench").model_dump(),
}
"""What a legacy etcd unit that published everything holds in its unit databag."""

JUJU_DEFAULTS = dict(testing.Relation("any").local_unit_data)
"""What Juju itself puts in every unit databag."""

LEGACY_KEYS = tuple(LEGACY_ETCD_DATA)


def etcd_relation(units: int) -> testing.Relation:
    """A client's `etcd` relation to `units` etcd units that all published everything."""
    return testing.Relation(
        "etcd",
        interface="etcd",
        remote_app_name="etcd",
        remote_units_data={
            number: {**JUJU_DEFAULTS, **LEGACY_ETCD_DATA} for number in range(units)
        },
    )


def client_relation(units: int) -> testing.Relation:
    """An etcd unit's `db` relation to `units` client units, which write nothing themselves."""
    return testing.Relation(
        "db",
        interface="etcd",
        remote_app_name="kube-apiserver",
        remote_units_data={number: dict(JUJU_DEFAULTS) for number in range(units)},
    )


# --- Charms --------------------------------------------------------------------------------


class EtcdClientCharm(ops.CharmBase):
    """An etcd client that uses `EtcdRequires` as the library's docstring example does.

    On every change it reconciles holistically from one typed read of what the endpoint
    offers, asks whether etcd is there at all, and lists data problems only when etcd is not
    available, because listing them reads every unit's databag.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        framework.observe(self.on["etcd"].relation_changed, self._on_etcd_changed)

    def _on_etcd_changed(self, _: ops.RelationChangedEvent) -> None:
        self._reconcile()

    def _reconcile(self) -> None:
        # The answers are kept, as a charm would use them.
        offer: EtcdOffer = self.etcd.read()
        connected = self.etcd.is_connected()
        problems = self.etcd.malformed_units() if offer.cluster is None else []
        self.answers = (offer, connected, problems)


class EtcdClientFloorCharm(ops.CharmBase):
    """The same client in bare ops: for each key, the first non-empty value over the units.

    This is how the legacy layer's `get_remote` read a key: units in unit-number order,
    stopping at the first that has it. With ops' per-databag cache a unit's databag is only
    fetched when an earlier unit lacked some key.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["etcd"].relation_changed, self._on_etcd_changed)

    def _on_etcd_changed(self, event: ops.RelationChangedEvent) -> None:
        units = sorted(event.relation.units, key=_unit_number)
        self.answers = {key: _first_value(event.relation, units, key) for key in LEGACY_KEYS}


class EtcdServerCharm(ops.CharmBase):
    """An etcd unit that uses `EtcdProvides` and asks its one query once per change."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.db = EtcdProvides(self)
        framework.observe(self.on["db"].relation_changed, self._on_db_changed)

    def _on_db_changed(self, _: ops.RelationChangedEvent) -> None:
        self.answers = self.db.is_connected()


class EtcdServerFloorCharm(ops.CharmBase):
    """The same etcd unit in bare ops: is any client unit there."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["db"].relation_changed, self._on_db_changed)

    def _on_db_changed(self, event: ops.RelationChangedEvent) -> None:
        self.answers = bool(event.relation.units)


def _unit_number(unit: ops.Unit) -> int:
    return int(unit.name.rpartition("/")[2])


def _first_value(relation: ops.Relation, units: list[ops.Unit], key: str) -> str | None:
    for unit in units:
        value = relation.data[unit].get(key)
        if value:
            return value
    return None


# --- Cases ---------------------------------------------------------------------------------

CASES = (
    BenchCase(
        library="etcd",
        role="requires",
        module=MODULE,
        meta={"name": "etcd-client", "requires": {"etcd": {"interface": "etcd"}}},
        library_charm=EtcdClientCharm,
        floor_charm=EtcdClientFloorCharm,
        relation=etcd_relation,
    ),
    BenchCase(
        library="etcd",
        role="provides",
        module=MODULE,
        meta={"name": "etcd", "provides": {"db": {"interface": "etcd"}}},
        library_charm=EtcdServerCharm,
        floor_charm=EtcdServerFloorCharm,
        relation=client_relation,
    ),
)
