# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The demo charm's kafka behaviour, on both sides of the `kafka` interface.

Kafka side (endpoint `client`): the charm stands for a kafka broker that listens on the
unit's address. It publishes the broker port from its config and, as every kafka charm must
for legacy clients, the zookeeper servers the broker uses: those it reads on its own
`zookeeper` endpoint, forwarded as the zookeeper library hands them over. It is written in
the holistic style: whenever the zookeeper offer or the config changes, it publishes what
holds now, never an event's payload, so a late or deferred event cannot publish withdrawn
servers.

Client side (endpoint `kafka`): the charm reports in its status the brokers it would
bootstrap from and the zookeeper connect string it would use.
"""

from __future__ import annotations

import ops

from charm_config import DemoConfig, ProviderConfigError
from charms.kafka.v0.kafka import KafkaProvides, KafkaRequires
from charms.zookeeper.v0.zookeeper import ZookeeperRequires
from zookeeper_roles import connect_string


class KafkaRoles(ops.Object):
    """Plays both roles of the kafka interface: a broker forwarding zookeeper, and a client."""

    # A config problem must show in the status of every later hook until fixed; recomputing
    # it would mean publishing again.
    _stored = ops.StoredState()

    def __init__(
        self,
        charm: ops.CharmBase,
        kafka: KafkaRequires,
        kafka_server: KafkaProvides,
        zookeeper: ZookeeperRequires,
    ):
        super().__init__(charm, "kafka-roles")
        self._charm = charm
        self._stored.set_default(provider_problem="")
        self.kafka = kafka
        self.kafka_server = kafka_server
        self.zookeeper = zookeeper
        # The zookeeper library fires `available` whenever the usable units change (one
        # joins, departs, or moves) and `unavailable` when none is left, also in upgrade-charm
        # after a refresh from the reactive charm: with config-changed, that is every moment
        # what kafka publishes can change.
        for event in (
            charm.on.config_changed,
            zookeeper.on.available,
            zookeeper.on.unavailable,
        ):
            self.framework.observe(event, self._on_kafka_inputs_changed)

    def statuses(self) -> list[ops.StatusBase]:
        """The unit statuses of each role the unit plays; none when it plays neither."""
        return [status for status in (self._client_status(), self._provider_status()) if status]

    # --- Kafka role: a broker on the unit's address ------------------------------------------

    def _on_kafka_inputs_changed(self, _: ops.EventBase) -> None:
        try:
            self._publish_kafka(self._charm.load_config(DemoConfig))
        except ProviderConfigError as error:
            self._stored.provider_problem = str(error)
            return
        self._stored.provider_problem = ""

    def _publish_kafka(self, config: DemoConfig) -> None:
        """Publish the broker port and the zookeeper servers that hold now.

        Raises:
            ProviderConfigError: the port is invalid; nothing was written.
        """
        if config.kafka_port is None:
            # Not, or no longer, a kafka: withdraw whatever an earlier config published.
            self.kafka_server.clear_connection()
            return
        # The port first: the library checks it before it writes anything.
        try:
            self.kafka_server.send_connection(config.kafka_port)
        except ValueError as error:
            raise ProviderConfigError(f"invalid kafka config: {error}") from None
        # Forwarded as they are: the zookeeper library's typed units are what the kafka
        # library takes, so the list follows zookeeper without code of the charm's own.
        self.kafka_server.send_zookeepers(self.zookeeper.read().units)

    def _provider_status(self) -> ops.StatusBase | None:
        if self._stored.provider_problem:
            return ops.BlockedStatus(self._stored.provider_problem)
        # What was published, not what the config says, as for the other roles.
        published = self.kafka_server.published()
        if published is None or published.port is None:
            return None  # not a kafka
        if not published.zookeepers:
            # Legacy clients wait for a zookeeper list before they use a broker.
            return ops.WaitingStatus(f"kafka on port {published.port}, waiting for zookeeper")
        return ops.ActiveStatus(
            f"kafka on port {published.port}, zookeeper at {connect_string(published.zookeepers)}"
        )

    # --- Client role ---------------------------------------------------------------------------

    def _client_status(self) -> ops.StatusBase | None:
        if not self.kafka.relations:
            return None  # not a kafka client
        offer = self.kafka.read()
        if not offer.brokers:
            return ops.WaitingStatus("waiting for kafka")
        # Kafka 3.3 and later can run without zookeeper, so brokers alone are usable.
        zookeepers = (
            f"zookeeper at {connect_string(offer.zookeepers)}"
            if offer.zookeepers
            else "no zookeeper"
        )
        return ops.ActiveStatus(f"kafka at {connect_string(offer.brokers)}; {zookeepers}")
