# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The etcd library's two cases: a client (`EtcdRequires`) and an etcd unit (`EtcdProvides`).

Each role has a charm that uses the library and a floor charm in bare ops that answers the
same questions the way the legacy reactive layer did.
"""

from __future__ import annotations

import base64
import hashlib

import ops
from ops import testing

from bench.cases import BenchCase
from charms.etcd.v0.etcd import EtcdProvides, EtcdRequires

MODULE = "charms.etcd.v0.etcd"

# --- Remote data ---------------------------------------------------------------------------


def fake_pem(label: str, seed: str, size: int) -> str:
    """PEM-shaped text with `size` bytes of made-up body: the library checks only the shape."""
    body = base64.b64encode(hashlib.shake_256(seed.encode()).digest(size)).decode()
    lines = [body[start : start + 64] for start in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


# Sized like the real thing (an RSA-2048 key, certificates of about 1.2 kB), because the
# library's PEM checks cost time in proportion to the text.
LEGACY_ETCD_DATA = {
    "connection_string": "https://10.0.0.5:2379,https://10.0.0.6:2379,https://10.0.0.7:2379",
    "version": "3.5.16",
    "client_key": fake_pem("PRIVATE KEY", "bench etcd client key", 1216),
    "client_cert": fake_pem("CERTIFICATE", "bench etcd client certificate", 900),
    "client_ca": fake_pem("CERTIFICATE", "bench etcd certificate authority", 900),
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
    """An etcd client that uses `EtcdRequires` and asks every requirer query once per change."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        framework.observe(self.on["etcd"].relation_changed, self._on_etcd_changed)

    def _on_etcd_changed(self, _: ops.RelationChangedEvent) -> None:
        # A holistic charm recomputes everything it needs from the queries on every change; the
        # answers are kept, as a charm would use them.
        self.answers = (
            self.etcd.is_connected(),
            self.etcd.is_available(),
            self.etcd.is_tls_available(),
            self.etcd.get_connection_string(),
            self.etcd.get_version(),
            self.etcd.get_client_credentials(),
            self.etcd.malformed_units(),
        )


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
