# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo charm's http behaviour, on both sides of the `http` interface.

Website side (endpoint `website`): the charm stands for a website that listens on the unit's
address and on virtual IPs shared by the units, as a cluster behind hacluster does. It
publishes the port from its config with the unit's address first and the virtual IPs after
it: the library writes the first in `hostname` and `private-address`, the others in
`extended_data`, as the legacy layer did. Without virtual IPs it publishes the port alone,
and the library writes the unit's ingress address on each relation.

Reverse-proxy side (endpoint `reverseproxy`): the charm renders the haproxy backends it would
serve, one per website application with a server per address, from `services()`, the getter
a reactive reverse proxy called. It writes them to `backends.cfg` in a directory named in its
config and reports them in its status. It is written in the holistic style: whenever the
library announces a change, it renders what the relations offer now, never an event's
payload, so a late or deferred event cannot bring back a website that has gone.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ops

from charm_config import DemoConfig, ProviderConfigError
from charms.http.v0.http import HttpProvides, HttpRequires

logger = logging.getLogger(__name__)

# The file the reverse proxy renders, in its `reverseproxy-config-dir`.
BACKENDS_FILE = "backends.cfg"
# The endpoint HttpProvides uses by default, as the charm creates it: the unit's address on
# it is the first of the website's addresses.
WEBSITE_ENDPOINT = "website"


class HttpRoles(ops.Object):
    """Plays both roles of the http interface: a website with virtual IPs, and a reverse proxy."""

    # Problems found while handling one hook must show in the status of every later hook
    # until fixed; recomputing them would mean publishing, or writing the file, again.
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, website: HttpProvides, reverseproxy: HttpRequires):
        super().__init__(charm, "http-roles")
        self._charm = charm
        self._stored.set_default(provider_problem="", backends_problem="")
        self.website = website
        self.reverseproxy = reverseproxy
        # The library writes what was published on relations that join later: publishing is
        # only needed when the config changes (Juju also runs config-changed when the unit's
        # addresses change), and in upgrade-charm, so that a unit refreshed from the reactive
        # charm takes its relations over in its first hook.
        for event in (charm.on.upgrade_charm, charm.on.config_changed):
            self.framework.observe(event, self._on_config_or_charm_changed)
        # A website appeared, changed or went away: in a relation hook, or in upgrade-charm
        # after a refresh from the reactive charm, when the library announces what holds.
        # When the last one goes, `website_removed` comes before `unavailable`.
        for event in (reverseproxy.on.new_website, reverseproxy.on.website_removed):
            self.framework.observe(event, self._on_websites_changed)

    @property
    def config(self) -> DemoConfig:
        """The current config, typed."""
        return self._charm.load_config(DemoConfig)

    @property
    def backends_path(self) -> Path:
        """Where the reverse proxy writes the backends it renders."""
        return Path(self.config.reverseproxy_config_dir) / BACKENDS_FILE

    def statuses(self) -> list[ops.StatusBase]:
        """The unit statuses of each role the unit plays; none when it plays neither."""
        return [status for status in (self._proxy_status(), self._website_status()) if status]

    # --- Event handlers ----------------------------------------------------------------------

    def _on_config_or_charm_changed(self, _: ops.EventBase) -> None:
        try:
            self._publish_website(self.config)
        except ProviderConfigError as error:
            self._stored.provider_problem = str(error)
        else:
            self._stored.provider_problem = ""
        if self.reverseproxy.relations:
            # The directory may have moved: render there too.
            self._render_backends()

    def _on_websites_changed(self, _: ops.EventBase) -> None:
        # Not the event's payload: what the relations offer now (see _render_backends).
        self._render_backends()

    # --- Website role: a website on the unit's address and virtual IPs -----------------------

    def _publish_website(self, config: DemoConfig) -> None:
        """Publish the port and addresses, or withdraw them when no port is configured.

        Raises:
            ProviderConfigError: the config is incomplete or invalid; nothing was written.
        """
        vips = config.website_vips.split()
        if config.website_port is None:
            if vips:
                raise ProviderConfigError("website-port is required to publish a website")
            # Not, or no longer, a website: withdraw whatever an earlier config published.
            self.website.clear_website()
            return
        for vip in vips:
            try:
                ipaddress.ip_address(vip)
            except ValueError:
                raise ProviderConfigError(
                    f"invalid website-vips: {vip!r} is not an IP address"
                ) from None
        # Both lists alike: each address is a host name and a private address, so a reverse
        # proxy that reads either key reaches the virtual IPs.
        addresses = [self._unit_address(), *vips] if vips else None
        try:
            self.website.configure(config.website_port, addresses, addresses)
        except ValueError as error:
            raise ProviderConfigError(f"invalid website config: {error}") from None

    def _unit_address(self) -> str:
        """This unit's address on the website endpoint, which Juju binds whether related or not.

        A failing network-get raises ops.ModelError, which fails the hook for Juju to retry.

        Raises:
            ProviderConfigError: Juju gave no address for the endpoint.
        """
        address = self.model.get_binding(WEBSITE_ENDPOINT).network.ingress_address
        if address is None:
            raise ProviderConfigError(
                "cannot publish website-vips: the website endpoint has no address"
            )
        return str(address)

    def _website_status(self) -> ops.StatusBase | None:
        if self._stored.provider_problem:
            return ops.BlockedStatus(self._stored.provider_problem)
        # What was published, not what the config says: a new unit has its config before its
        # first config-changed hook publishes it.
        published = self.website.published()
        if published is None or published.port is None:
            return None  # not a website
        vips = [str(vip) for vip in published.private_addresses[1:]]
        if not vips:
            return ops.ActiveStatus(f"website on port {published.port}")
        label = "virtual IP" if len(vips) == 1 else "virtual IPs"
        return ops.ActiveStatus(f"website on port {published.port}, {label} {', '.join(vips)}")

    # --- Reverse-proxy role: haproxy backends ------------------------------------------------

    def _render_backends(self) -> None:
        """Write the backends the websites offer now, or remember why they could not be.

        Safe in any hook and under deferral: it reads the endpoint's current offer, never an
        event's payload. With no website left, the file holds no backend.
        """
        path = self.backends_path
        if not path.is_absolute():
            self._stored.backends_problem = "reverseproxy-config-dir must be an absolute path"
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace(path, render_backends(self.reverseproxy.services()))
        except OSError as error:
            logger.error("cannot write the reverse proxy's backends: %s", error)
            self._stored.backends_problem = (
                f"cannot write {BACKENDS_FILE} in {path.parent}: {error.strerror}"
            )
        else:
            self._stored.backends_problem = ""

    def _proxy_status(self) -> ops.StatusBase | None:
        if not self.reverseproxy.relations:
            return None  # not a reverse proxy
        if self._stored.backends_problem:
            return ops.BlockedStatus(self._stored.backends_problem)
        services = self.reverseproxy.read().services
        if not services:
            return ops.WaitingStatus("waiting for a website")
        backends = ", ".join(
            f"{service.service_name} ({_servers(len(service.hosts))})" for service in services
        )
        return ops.ActiveStatus(f"proxying {backends}")


def render_backends(services: Iterable[Mapping[str, Any]]) -> str:
    """The haproxy backends of `services()`: one per website application, a server per address.

    Each server is named after its address and port, so that it keeps its name while others
    come and go. An IPv6 address is bracketed, so that the port stays unambiguous.
    """
    stanzas: list[str] = []
    for service in services:
        lines = [f"backend {service['service_name']}"]
        for host in service["hosts"]:
            hostname, port = host["hostname"], host["port"]
            address = f"[{hostname}]" if ":" in hostname else hostname
            lines.append(f"    server {hostname}-{port} {address}:{port} check")
        stanzas.append("".join(f"{line}\n" for line in lines))
    return "\n".join(stanzas)


def _servers(count: int) -> str:
    return f"{count} server" + ("" if count == 1 else "s")


def _replace(path: Path, text: str) -> None:
    """Replace the file at once, so that a reverse proxy reloading never reads half of it."""
    partial = path.with_name(f".{path.name}.new")
    partial.write_text(text)
    partial.replace(path)
