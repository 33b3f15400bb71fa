# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The zookeeper and kafka story: zookeeper serves kafka, which serves a client.

All three applications run the demo charm. `zookeeper` uses its `zookeeper-server` endpoint
(`ZookeeperProvides`) and publishes the ports in its config. `kafka` reads the zookeeper
servers on its `zookeeper` endpoint (`ZookeeperRequires`) and publishes, on its `client`
endpoint (`KafkaProvides`), its broker port and those servers, forwarded as the zookeeper
library hands them over. `client` reads both on its `kafka` endpoint (`KafkaRequires`).

The story checks, hook by hook, that every zookeeper list kafka publishes is the one the
zookeeper library last announced to it, in the legacy bytes: the charm adds nothing of its own.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
from collections.abc import Iterable

from charm import NOTHING_TO_DO, LegacyInterfacesDemoCharm
from charms.kafka.v0.kafka import KafkaAvailable
from charms.zookeeper.v0.zookeeper import ZookeeperAvailable, ZookeeperUnavailable, ZookeeperUnit
from demo import story
from demo.deployment import Application, Endpoint, HookRun, Integration, Unit
from demo.story import Lifecycle, Stage, Story, expect, expect_status

# The demo charm's units are mysql-innodb-cluster peers too, whose events are the
# innodb-cluster story's to check: this story checks the zookeeper and kafka libraries' events.
LIBRARIES = ("charms.zookeeper.v0.zookeeper", "charms.kafka.v0.kafka")
fired_on = functools.partial(story.fired_on, libraries=LIBRARIES)
expect_fired = functools.partial(story.expect_fired, libraries=LIBRARIES)

ZOOKEEPER_PORT = 2181
ZOOKEEPER_REST_PORT = 9998
KAFKA_PORT = 9092
ZOOKEEPER_ACTIVE = f"zookeeper on port {ZOOKEEPER_PORT}, REST port {ZOOKEEPER_REST_PORT}"
KAFKA_WAITING = f"kafka on port {KAFKA_PORT}, waiting for zookeeper"
# The library events each side sees when a relation of it ends.
ZOOKEEPER_SERVER_ENDS = ["ZookeeperClientUnavailable", "ZookeeperClientDisconnected"]
KAFKA_SERVER_ENDS = ["KafkaClientUnavailable", "KafkaClientDisconnected"]


@dataclasses.dataclass(frozen=True)
class Cast:
    """The story's applications, and their relations."""

    zookeeper: Application
    kafka: Application
    client: Application
    zookeeper_relation: Integration
    """zookeeper:zookeeper-server to kafka:zookeeper."""
    kafka_relation: Integration
    """kafka:client to client:kafka."""


class KafkaStory(Story):
    """Relate, publish, scale zookeeper out and in, scale kafka out, break both relations."""

    title = (
        "zookeeper and kafka: zookeeper (app zookeeper) serves a kafka broker (app kafka), "
        "which forwards it to its client (app client)"
    )

    # zookeeper's relation is removed in step 8, kafka's in step 9.
    lifecycles = (
        Lifecycle("zookeeper", "charms.zookeeper.v0.zookeeper", steps=8),
        Lifecycle("kafka", "charms.kafka.v0.kafka", steps=9),
    )

    def play(self, stage: Stage) -> str:
        """Tell the story; return its summary."""
        zookeeper, kafka, client = self._deploy(stage)
        zookeeper_relation = self._relate_zookeeper(stage, zookeeper, kafka)
        kafka_relation = self._relate_client(stage, zookeeper, kafka, client)
        cast = Cast(zookeeper, kafka, client, zookeeper_relation, kafka_relation)
        self._scale_out_zookeeper(stage, cast)
        self._remove_zookeeper_unit(stage, cast)
        self._scale_out_kafka(stage, cast)
        self._remove_kafka_unit(stage, cast)
        self._remove_zookeeper_relation(stage, cast)
        self._remove_kafka_relation(stage, cast)
        return self._finish(stage, cast)

    def _deploy(self, stage: Stage) -> tuple[Application, Application, Application]:
        stage.step("deploy the demo charm three times: as zookeeper, kafka and client")
        stage.transcript.note(
            f"juju config zookeeper zookeeper-port={ZOOKEEPER_PORT} "
            f"zookeeper-rest-port={ZOOKEEPER_REST_PORT}; juju config kafka kafka-port={KAFKA_PORT}"
        )
        deployment = stage.deployment
        deployment.deploy(
            "zookeeper",
            LegacyInterfacesDemoCharm,
            config={"zookeeper-port": ZOOKEEPER_PORT, "zookeeper-rest-port": ZOOKEEPER_REST_PORT},
        )
        deployment.deploy("kafka", LegacyInterfacesDemoCharm, config={"kafka-port": KAFKA_PORT})
        deployment.deploy("client", LegacyInterfacesDemoCharm)
        apps = deployment.apps["zookeeper"], deployment.apps["kafka"], deployment.apps["client"]
        zookeeper, kafka, client = (_first(app) for app in apps)
        expect_status(zookeeper, "active", ZOOKEEPER_ACTIVE)
        # Legacy clients wait for the zookeeper list too, so kafka waits for it.
        expect_status(kafka, "waiting", KAFKA_WAITING)
        expect_status(client, "blocked", NOTHING_TO_DO)
        return apps

    def _relate_zookeeper(
        self, stage: Stage, zookeeper_app: Application, kafka_app: Application
    ) -> Integration:
        stage.step("relate zookeeper:zookeeper-server to kafka:zookeeper")
        runs = stage.deployment.integrate(
            Endpoint(zookeeper_app, "zookeeper-server"),
            Endpoint(kafka_app, "zookeeper"),
            "zookeeper",
        )
        relation = stage.deployment.integrations[-1]
        zookeeper, kafka = _first(zookeeper_app), _first(kafka_app)
        expect_fired(runs, zookeeper, ["ZookeeperClientConnected", "ZookeeperClientAvailable"])
        expect_fired(runs, kafka, ["ZookeeperConnected", "ZookeeperJoining", "ZookeeperAvailable"])
        expect_wire(
            zookeeper,
            relation,
            {"port": str(ZOOKEEPER_PORT), "rest_port": str(ZOOKEEPER_REST_PORT)},
        )
        expect_status(kafka, "active", kafka_active(zookeeper_app))
        stage.transcript.note(
            "kafka:client has no relation yet: kafka keeps what it forwards for the clients "
            "that will relate"
        )
        return relation

    def _relate_client(
        self,
        stage: Stage,
        zookeeper_app: Application,
        kafka_app: Application,
        client_app: Application,
    ) -> Integration:
        stage.step("relate kafka:client to client:kafka")
        runs = stage.deployment.integrate(
            Endpoint(kafka_app, "client"), Endpoint(client_app, "kafka"), "kafka"
        )
        relation = stage.deployment.integrations[-1]
        kafka, client = _first(kafka_app), _first(client_app)
        expect_fired(runs, kafka, ["KafkaClientConnected", "KafkaClientAvailable"])
        expect_fired(runs, client, ["KafkaConnected", "KafkaAvailable"])
        expect_kafka_wire(kafka_app, relation, _units(zookeeper_app))
        expect_status(client, "active", client_active(kafka_app, zookeeper_app))
        return relation

    def _scale_out_zookeeper(self, stage: Stage, cast: Cast) -> None:
        stage.step("zookeeper scales out to 3 units")
        stage.transcript.note("juju add-unit zookeeper -n 2: one unit after the other")
        runs = stage.deployment.add_unit(cast.zookeeper)
        runs += stage.deployment.add_unit(cast.zookeeper)
        for unit in _units(cast.zookeeper)[1:]:
            expect_fired(runs, unit, ["ZookeeperClientConnected", "ZookeeperClientAvailable"])
        joined = ["ZookeeperJoining", "ZookeeperAvailable"]
        expect_fired(runs, _first(cast.kafka), joined * 2)
        expect_kafka_wire(cast.kafka, cast.kafka_relation, _units(cast.zookeeper))
        expect_fired(runs, _first(cast.client), ["KafkaAvailable"] * 2)
        expect_status(_first(cast.client), "active", client_active(cast.kafka, cast.zookeeper))
        stage.transcript.note(
            "kafka/0 forwarded each list the zookeeper library handed it; client/0 follows"
        )

    def _remove_zookeeper_unit(self, stage: Stage, cast: Cast) -> None:
        stage.step("remove zookeeper/1")
        leaving = cast.zookeeper.units[1]
        runs = stage.deployment.remove_unit(leaving)
        expect_fired(runs, leaving, ZOOKEEPER_SERVER_ENDS)
        expect_fired(runs, _first(cast.kafka), ["ZookeeperDeparting", "ZookeeperAvailable"])
        expect_kafka_wire(cast.kafka, cast.kafka_relation, _units(cast.zookeeper))
        expect_fired(runs, _first(cast.client), ["KafkaAvailable"])
        expect_status(_first(cast.client), "active", client_active(cast.kafka, cast.zookeeper))

    def _scale_out_kafka(self, stage: Stage, cast: Cast) -> None:
        stage.step("kafka scales out to 2 units")
        runs = stage.deployment.add_unit(cast.kafka)
        new_unit = _units(cast.kafka)[-1]
        each_zookeeper = ["ZookeeperJoining", "ZookeeperAvailable"] * len(cast.zookeeper.units)
        expect_fired(
            runs,
            new_unit,
            [
                "ZookeeperConnected",
                *each_zookeeper,
                "KafkaClientConnected",
                "KafkaClientAvailable",
            ],
        )
        for zookeeper in _units(cast.zookeeper):
            expect_fired(runs, zookeeper, [])  # kafka was already their client
        expect_kafka_wire(cast.kafka, cast.kafka_relation, _units(cast.zookeeper))
        client = _first(cast.client)
        expect_fired(runs, client, ["KafkaAvailable"])
        expect_available_payload(runs, client, cast)
        expect_status(client, "active", client_active(cast.kafka, cast.zookeeper))
        stage.transcript.note(
            "kafka/1 published in config-changed, before it met zookeeper: an empty list, "
            "then each list the library handed it"
        )
        stage.transcript.note(
            "client/0 reads both brokers, and the zookeeper list they both sent, once"
        )

    def _remove_kafka_unit(self, stage: Stage, cast: Cast) -> None:
        stage.step("remove kafka/1")
        leaving = cast.kafka.units[1]
        runs = stage.deployment.remove_unit(leaving)
        # In its first hook as the departing unit, the leaving broker ends every zookeeper
        # state at once, each zookeeper named; then its clients go.
        departing = ["ZookeeperDeparting"] * len(cast.zookeeper.units)
        ends = ["ZookeeperUnavailable", "ZookeeperDisconnected"]
        expect_fired(runs, leaving, [*departing, *ends, *KAFKA_SERVER_ENDS])
        for zookeeper in _units(cast.zookeeper):
            expect_fired(runs, zookeeper, [])  # kafka/0 is still their client
        client = _first(cast.client)
        expect_fired(runs, client, ["KafkaAvailable"])
        expect_kafka_wire(cast.kafka, cast.kafka_relation, _units(cast.zookeeper))
        expect_status(client, "active", client_active(cast.kafka, cast.zookeeper))

    def _remove_zookeeper_relation(self, stage: Stage, cast: Cast) -> None:
        stage.step("remove the relation zookeeper:zookeeper-server to kafka:zookeeper")
        runs = stage.deployment.remove_integration(cast.zookeeper_relation)
        for zookeeper in _units(cast.zookeeper):
            expect_fired(runs, zookeeper, ZOOKEEPER_SERVER_ENDS)
        departures = ["ZookeeperDeparting", "ZookeeperAvailable"]
        departures *= len(cast.zookeeper.units) - 1
        ends = ["ZookeeperDeparting", "ZookeeperUnavailable", "ZookeeperDisconnected"]
        for kafka in _units(cast.kafka):
            expect_fired(runs, kafka, departures + ends)
            expect_status(kafka, "waiting", KAFKA_WAITING)
        expect_kafka_wire(cast.kafka, cast.kafka_relation, [])
        client = _first(cast.client)
        expect(
            set(fired_on(runs, client)) == {"KafkaAvailable"},
            f"client/0 should only have seen the zookeeper list change: {fired_on(runs, client)}",
        )
        expect_status(
            client, "active", f"kafka at {_connect(cast.kafka, KAFKA_PORT)}; no zookeeper"
        )
        stage.transcript.note(
            "kafka forwards the empty list: its brokers stay usable, without zookeeper"
        )

    def _remove_kafka_relation(self, stage: Stage, cast: Cast) -> None:
        stage.step("remove the relation kafka:client to client:kafka")
        runs = stage.deployment.remove_integration(cast.kafka_relation)
        for kafka in _units(cast.kafka):
            expect_fired(runs, kafka, KAFKA_SERVER_ENDS)
        client = _first(cast.client)
        # The brokers depart one by one: the client reads fewer until none is left.
        fewer = ["KafkaAvailable"] * (len(cast.kafka.units) - 1)
        expect_fired(runs, client, [*fewer, "KafkaUnavailable", "KafkaDisconnected"])
        expect_status(client, "blocked", NOTHING_TO_DO)

    def _finish(self, stage: Stage, cast: Cast) -> str:
        # Every kafka unit that ran, kafka/1 too, which has left.
        brokers = dict.fromkeys(run.unit for run in stage.runs if run.unit.app is cast.kafka)
        published = sum(expect_forwarded(stage.runs, unit) for unit in brokers)
        client_events = _compressed(fired_on(stage.runs, _first(cast.client)))
        return (
            f"zookeeper and kafka: OK - {len(stage.runs)} hooks run; kafka published "
            f"{published} zookeeper lists, each the one the zookeeper library last handed "
            f"it; client/0 saw {client_events}"
        )


# --- What the story checks -------------------------------------------------------------------


def expect_wire(unit: Unit, integration: Integration, expected: dict[str, str]) -> None:
    """Check the interface's keys in the unit's databag (Juju's own keys left out)."""
    bag = {key: value for key, value in unit.databag(integration).items() if "-" not in key}
    expect(bag == expected, f"{unit.name} should publish {expected}, publishes {bag}")


def expect_kafka_wire(kafka: Application, relation: Integration, zookeepers: list[Unit]) -> None:
    """Check every kafka unit publishes its port and these zookeeper units, in legacy bytes."""
    expected = {"port": str(KAFKA_PORT), "zookeepers": legacy_zookeepers(zookeepers)}
    for unit in _units(kafka):
        expect_wire(unit, relation, expected)


def legacy_zookeepers(units: Iterable[Unit]) -> str:
    """The bytes the legacy kafka charm wrote for these zookeeper units, written out by hand."""
    entries = [
        f'{{"host": "{unit.address}", "port": "{ZOOKEEPER_PORT}", '
        f'"rest_port": "{ZOOKEEPER_REST_PORT}"}}'
        for unit in units
    ]
    return f"[{', '.join(entries)}]"


def expect_available_payload(runs: list[HookRun], client: Unit, cast: Cast) -> None:
    """Check the client's last `KafkaAvailable` named every broker and each zookeeper once."""
    events = [
        event
        for run in runs
        if run.unit is client
        for event in run.events
        if isinstance(event, KafkaAvailable)
    ]
    last = events[-1]
    brokers = [broker.unit_name for broker in last.brokers]
    expect(
        brokers == [unit.name for unit in _units(cast.kafka)],
        f"client/0 should see every kafka unit as a broker: {brokers}",
    )
    hosts = [server.host for server in last.zookeepers]
    expect(
        hosts == [unit.address for unit in _units(cast.zookeeper)],
        f"client/0 should see each zookeeper once, though every broker sent them: {hosts}",
    )


def expect_forwarded(runs: Iterable[HookRun], kafka: Unit) -> int:
    """Check each zookeeper list the kafka unit published was the library's latest; count them.

    The latest is the units of the last `ZookeeperAvailable` the unit saw, or none after a
    `ZookeeperUnavailable` (or before any event).
    """
    announced: tuple[ZookeeperUnit, ...] = ()
    published = 0
    for run in runs:
        if run.unit is not kafka:
            continue
        for event in run.events:
            if isinstance(event, ZookeeperAvailable):
                announced = event.units
            elif isinstance(event, ZookeeperUnavailable):
                announced = ()
        sent_lists = [
            change.after.get("zookeepers")
            for change in run.changes
            if change.after.get("zookeepers") != change.before.get("zookeepers")
        ]
        for sent in sent_lists:
            published += 1
            expect(
                sent is not None and json.loads(sent) == [_legacy_entry(u) for u in announced],
                f"{kafka.name} published {sent} in {run.hook_name}, not what the zookeeper "
                "library handed it",
            )
    return published


def _legacy_entry(unit: ZookeeperUnit) -> dict[str, str | None]:
    rest_port = None if unit.rest_port is None else str(unit.rest_port)
    return {"host": unit.host, "port": str(unit.port), "rest_port": rest_port}


def kafka_active(zookeeper: Application) -> str:
    """The kafka units' status while they forward the zookeeper application's units."""
    return f"kafka on port {KAFKA_PORT}, zookeeper at {_connect(zookeeper, ZOOKEEPER_PORT)}"


def client_active(kafka: Application, zookeeper: Application) -> str:
    """The client's status while it reads every kafka unit and every zookeeper unit."""
    return (
        f"kafka at {_connect(kafka, KAFKA_PORT)}; "
        f"zookeeper at {_connect(zookeeper, ZOOKEEPER_PORT)}"
    )


def _connect(app: Application, port: int) -> str:
    """The application's units as `host:port,...`."""
    return ",".join(f"{unit.address}:{port}" for unit in _units(app))


def _compressed(names: list[str]) -> str:
    """Event names in order, a run of the same one as `name x3`."""
    runs = [(name, len(list(group))) for name, group in itertools.groupby(names)]
    return " > ".join(name if count == 1 else f"{name} x{count}" for name, count in runs)


def _units(app: Application) -> list[Unit]:
    """The application's units, in unit-number order."""
    return [app.units[number] for number in sorted(app.units)]


def _first(app: Application) -> Unit:
    """The application's lowest-numbered unit."""
    return app.units[min(app.units)]
