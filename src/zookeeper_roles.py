# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo charm's zookeeper behaviour, on both sides of the `zookeeper` interface.

Zookeeper side (endpoint `zookeeper-server`): the charm stands for a zookeeper server that
listens on the unit's address. It publishes the client port and REST port from its config;
clients reach the unit at its `private-address`, as they did a legacy zookeeper charm.

Client side (endpoint `zookeeper`): the charm reports in its status the zookeeper servers it
would connect to. A unit that is also kafka forwards them to its own clients
(`kafka_roles.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import ops

from charm_config import DemoConfig, ProviderConfigError
from charms.zookeeper.v0.zookeeper import ZookeeperProvides, ZookeeperRequires


class ZookeeperRoles(ops.Object):
    """Plays both roles of the zookeeper interface: a zookeeper server, and its client."""

    # A config problem found in config-changed must show in the status of every later hook
    # until fixed; recomputing it would mean publishing again.
    _stored = ops.StoredState()

    def __init__(
        self,
        charm: ops.CharmBase,
        zookeeper: ZookeeperRequires,
        zookeeper_server: ZookeeperProvides,
    ):
        super().__init__(charm, "zookeeper-roles")
        self._charm = charm
        self._stored.set_default(provider_problem="")
        self.zookeeper = zookeeper
        self.zookeeper_server = zookeeper_server
        # The library writes what was sent on relations that join later: publishing is only
        # needed when the config changes.
        self.framework.observe(charm.on.config_changed, self._on_config_changed)

    def statuses(self) -> list[ops.StatusBase]:
        """The unit statuses of each role the unit plays; none when it plays neither."""
        return [status for status in (self._client_status(), self._provider_status()) if status]

    # --- Zookeeper role: a server on the unit's address --------------------------------------

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        try:
            self._publish_zookeeper(self._charm.load_config(DemoConfig))
        except ProviderConfigError as error:
            self._stored.provider_problem = str(error)
            return
        self._stored.provider_problem = ""

    def _publish_zookeeper(self, config: DemoConfig) -> None:
        """Publish the configured ports, or withdraw them when no port is configured.

        Raises:
            ProviderConfigError: the config is incomplete or a port is invalid; nothing
                was written.
        """
        if config.zookeeper_port is None:
            if config.zookeeper_rest_port is not None:
                raise ProviderConfigError("zookeeper-port is required to publish zookeeper")
            # Not, or no longer, a zookeeper: withdraw whatever an earlier config published.
            self.zookeeper_server.clear_connection()
            return
        try:
            self.zookeeper_server.send_connection(
                config.zookeeper_port, rest_port=config.zookeeper_rest_port
            )
        except ValueError as error:
            raise ProviderConfigError(f"invalid zookeeper config: {error}") from None

    def _provider_status(self) -> ops.StatusBase | None:
        if self._stored.provider_problem:
            return ops.BlockedStatus(self._stored.provider_problem)
        # What was published, not what the config says: a new unit has its config before its
        # first config-changed hook publishes it.
        published = self.zookeeper_server.published()
        if published is None:
            return None  # not a zookeeper
        rest = "" if published.rest_port is None else f", REST port {published.rest_port}"
        return ops.ActiveStatus(f"zookeeper on port {published.port}{rest}")

    # --- Client role ---------------------------------------------------------------------------

    def _client_status(self) -> ops.StatusBase | None:
        if not self.zookeeper.relations:
            return None  # not a zookeeper client
        units = self.zookeeper.read().units
        if not units:
            return ops.WaitingStatus("waiting for zookeeper")
        return ops.ActiveStatus(f"zookeeper at {connect_string(units)}")


class Server(Protocol):
    """Anything a client connects to: the libraries' typed units, brokers and servers."""

    @property
    def host(self) -> str:
        """A host name, or an IP address as Juju writes it (IPv6 without brackets)."""
        ...

    @property
    def port(self) -> int:
        """The port to connect to."""
        ...


def connect_string(servers: Iterable[Server]) -> str:
    """`host:port,host:port`, as zookeeper and kafka clients take their servers."""
    return ",".join(host_port(server) for server in servers)


def host_port(server: Server) -> str:
    """`host:port`, an IPv6 address in brackets so that the port stays unambiguous."""
    host = f"[{server.host}]" if ":" in server.host else server.host
    return f"{host}:{server.port}"
