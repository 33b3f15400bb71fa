#!/usr/bin/env python3
# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""A demo charm that uses the legacy-interface libraries on both sides of each relation.

A thin composition. The charm creates the library objects, as attributes of its own so that
tests can emit their events with `ops.testing`'s `ctx.on.custom`; each interface's behaviour
lives in its own module (`etcd_roles.py` for etcd), as one `ops.Object` that observes what
it needs; the charm gathers their statuses.
"""

from __future__ import annotations

import ops

from charms.etcd.v0.etcd import EtcdProvides, EtcdRequires
from etcd_roles import EtcdRoles


class LegacyInterfacesDemoCharm(ops.CharmBase):
    """Plays both sides of every interface the libraries cover."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        self.etcd_server = EtcdProvides(self)
        self.etcd_roles = EtcdRoles(self, self.etcd, self.etcd_server)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent) -> None:
        statuses = self.etcd_roles.statuses()
        if not statuses:
            statuses.append(ops.BlockedStatus("relate to etcd, or set etcd-connection-string"))
        for status in statuses:
            event.add_status(status)


if __name__ == "__main__":  # pragma: no cover
    ops.main(LegacyInterfacesDemoCharm)
