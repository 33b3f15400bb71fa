# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The http library's two cases: a reverse proxy (`HttpRequires`) and a website.

The website uses `HttpProvides`. Each role has a charm that uses the library and a floor charm
in bare ops that does the same the way the legacy reactive layer did.

What a reverse proxy's hook typically does: it rebuilds its backends from every website
unit's address, port and virtual IPs, which is the legacy `services()` (kubeapi-load-balancer,
for one, did only that), and says whether any website is there. Reading the `services` YAML
of each unit is what haproxy does for the websites that send stanzas; the websites of the
legacy `http` layer send none (its `configure()` writes no such key), so neither charm here
reads `extras()`, and the websites here send no YAML. A proxy that does read each unit's
stanzas parses them with PyYAML's pure-Python safe loader, once per unit and hook, as
`yaml.safe_load` in a bare-ops charm would: about 2 ms per unit for a one-stanza document,
so a quarter of a second per hook at 100 units, more than the rest of the hook.

The website publishes its port and two virtual IPs with `configure(port, [vips])` in every
change, as a website charm that reconciles holistically does; the floor writes the same keys
by hand, each only when its value differs.
"""

from __future__ import annotations

import json
from typing import Any

import ops
from ops import testing

from bench.cases import BenchCase
from charms.http.v0.http import (
    HttpProvides,
    HttpRequires,
    proxy_relation_for_testing,
    websites_relation_for_testing,
)

MODULE = "charms.http.v0.http"
REQUIRER_ENDPOINT = "reverseproxy"
PROVIDER_ENDPOINT = "website"
VIPS = 2
"""How many virtual IPs every website unit sends in `extended_data`: a usual pair."""
PORT = 8080
WEBSITE_VIPS = ("10.0.16.5", "10.0.16.6")
"""The virtual IPs the bench website publishes: its `private-address`, then `extended_data`."""

# --- Remote data ---------------------------------------------------------------------------
# The library's test helpers write what the legacy charms do: each website unit its
# `hostname`, `private-address` and `port`, and `extended_data` with its virtual IPs (their
# ports JSON numbers), next to Juju's own keys; each reverse-proxy unit only Juju's keys.


def websites_relation(units: int) -> testing.Relation:
    """A reverse proxy's `reverseproxy` relation to `units` legacy website units, all usable."""
    return websites_relation_for_testing(REQUIRER_ENDPOINT, units=units, port=PORT, extended=VIPS)


def proxy_relation(units: int) -> testing.Relation:
    """A website's `website` relation to `units` reverse-proxy units, which write nothing."""
    return proxy_relation_for_testing(PROVIDER_ENDPOINT, units=units)


# --- Charms --------------------------------------------------------------------------------


class ReverseProxyCharm(ops.CharmBase):
    """A reverse proxy that uses `HttpRequires` as the library's docstring example does.

    On every change it rebuilds its backends holistically from one typed read (each
    application's hosts), and asks, as its collect-status handler does, whether any website
    is usable.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.reverseproxy = HttpRequires(self)
        framework.observe(self.on[REQUIRER_ENDPOINT].relation_changed, self._on_changed)

    def _on_changed(self, _: ops.RelationChangedEvent) -> None:
        self._reconcile()

    def _reconcile(self) -> None:
        # The answers are kept, as a charm would write them to its backends file.
        lines: list[str] = []
        for service in self.reverseproxy.read().services:
            lines.append(f"backend {service.service_name}")
            lines += [f"    server {host.hostname}:{host.port}" for host in service.hosts]
        self.answers = ("\n".join(lines), self.reverseproxy.is_available())


class ReverseProxyFloorCharm(ops.CharmBase):
    """The same reverse proxy in bare ops: what the legacy layer's `services()` read.

    Every remote unit in unit-number order: its `hostname`, falling back to Juju's
    `private-address`, and its `port`, the units without a port left out; and the JSON
    `extended_data` list of each, decoded; the hosts of the application each once, sorted.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[REQUIRER_ENDPOINT].relation_changed, self._on_changed)

    def _on_changed(self, event: ops.RelationChangedEvent) -> None:
        hosts: set[tuple[str, str, str]] = set()
        for unit in sorted(event.relation.units, key=_unit_number):
            databag = event.relation.data[unit]
            port = databag.get("port")
            host = databag.get("hostname") or databag.get("private-address")
            if not port or not host:
                continue
            hosts.add((host, databag.get("private-address") or host, port))
            try:
                extended: list[Any] = json.loads(databag.get("extended_data") or "[]")
            except ValueError:
                continue
            hosts.update(
                (entry["hostname"], entry["private-address"], str(entry["port"]))
                for entry in extended
            )
        lines = [f"backend {event.relation.app.name}"] if hosts else []
        lines += [f"    server {host}:{port}" for host, _, port in sorted(hosts)]
        self.answers = ("\n".join(lines), bool(hosts))


class WebsiteCharm(ops.CharmBase):
    """A website that uses `HttpProvides` as a holistic charm does.

    It publishes its port and virtual IPs in every change, and asks whether a reverse proxy
    is there.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.website = HttpProvides(self)
        framework.observe(self.on[PROVIDER_ENDPOINT].relation_changed, self._on_changed)

    def _on_changed(self, _: ops.RelationChangedEvent) -> None:
        self.website.configure(PORT, list(WEBSITE_VIPS))
        self.answers = self.website.is_connected()


class WebsiteFloorCharm(ops.CharmBase):
    """The same website in bare ops: the legacy `configure(port, [vips])` written by hand.

    The first virtual IP goes in `private-address`, this unit's ingress address in
    `hostname`, and the other virtual IPs in `extended_data` with the ingress address as their
    hostname; a key is written only when its value differs.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[PROVIDER_ENDPOINT].relation_changed, self._on_changed)

    def _on_changed(self, event: ops.RelationChangedEvent) -> None:
        ingress = str(self.model.get_binding(event.relation).network.ingress_address)
        first, *others = WEBSITE_VIPS
        extended = [
            {"hostname": ingress, "port": PORT, "private-address": address} for address in others
        ]
        wanted = {
            "hostname": ingress,
            "private-address": first,
            "port": str(PORT),
            "extended_data": json.dumps(extended),
        }
        databag = event.relation.data[self.unit]
        for key, value in wanted.items():
            if databag.get(key) != value:
                databag[key] = value
        self.answers = bool(event.relation.units)


def _unit_number(unit: ops.Unit) -> int:
    return int(unit.name.rpartition("/")[2])


# --- Cases ---------------------------------------------------------------------------------

CASES = (
    BenchCase(
        library="http",
        role="requires",
        module=MODULE,
        meta={"name": "reverse-proxy", "requires": {REQUIRER_ENDPOINT: {"interface": "http"}}},
        library_charm=ReverseProxyCharm,
        floor_charm=ReverseProxyFloorCharm,
        relation=websites_relation,
    ),
    BenchCase(
        library="http",
        role="provides",
        module=MODULE,
        meta={"name": "website", "provides": {PROVIDER_ENDPOINT: {"interface": "http"}}},
        library_charm=WebsiteCharm,
        floor_charm=WebsiteFloorCharm,
        relation=proxy_relation,
    ),
)
