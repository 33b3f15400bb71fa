"""The zookeeper and kafka story end to end, and the demo charm's zookeeper and kafka roles.

The end-to-end tests read the story's part of `make demo`'s output: which step, which unit,
which hook, which library events in which order, and the bytes kafka publishes. The role
tests run the demo charm through `ops.testing` with the libraries' test helpers.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from ops import testing

from charm import LegacyInterfacesDemoCharm
from charms.kafka.v0.kafka import KafkaProvides, client_relation_for_testing
from charms.kafka.v0.kafka import kafka_relation_for_testing as kafka_relation
from charms.zookeeper.v0.zookeeper import (
    ZookeeperAvailable,
    ZookeeperRequires,
    ZookeeperUnit,
    zookeeper_relation_for_testing,
)
from charms.zookeeper.v0.zookeeper import (
    client_relation_for_testing as zookeeper_client_relation,
)
from demo.deployment import Deployment, Endpoint, charm_context, load_charmcraft_yaml
from demo.etcd import EtcdStory
from demo.kafka import KafkaStory
from demo.runner import main
from tests.demo.reading import (
    events_on,
    hook_blocks,
    hooks_in_step,
    steps,
    story_section,
    titles,
)
from zookeeper_roles import connect_string, host_port

NOTHING_TO_DO = "relate an endpoint, or configure etcd, zookeeper, kafka, a website or a cluster"
# The prefixes of the events of this story's libraries: the units' peer relation has others.
LIBRARIES = ("Zookeeper", "Kafka")
CHARMCRAFT = load_charmcraft_yaml(LegacyInterfacesDemoCharm)
ZOOKEEPER_CONFIG = {"zookeeper-port": 2181, "zookeeper-rest-port": 9998}
KAFKA_CONFIG = {"kafka-port": 9092}


def legacy_json(*hosts: str) -> str:
    """The legacy kafka charm's `zookeepers` bytes for these zookeeper hosts, written out."""
    entries = [f'{{"host": "{host}", "port": "2181", "rest_port": "9998"}}' for host in hosts]
    return "[" + ", ".join(entries) + "]"


@pytest.fixture(scope="module")
def transcript(demo_output: str) -> str:
    """The zookeeper and kafka story's part of `make demo`'s output."""
    return story_section(demo_output, KafkaStory.title)


def published_zookeepers(transcript: str, step: int, unit: str) -> list[str]:
    """Each zookeeper list the unit published in the step, in order."""
    return [
        line.split(maxsplit=2)[2]
        for block in hook_blocks(transcript)
        if block.step == step and block.unit == unit
        for line in block.lines
        if line.split()[:2] in (["+", "zookeepers"], ["~", "zookeepers"])
    ]


# --- make demo, end to end -----------------------------------------------------------------


def test_make_demo_tells_the_etcd_story_then_this_one(demo_output: str):
    assert titles(demo_output)[:2] == [EtcdStory.title, KafkaStory.title]


def test_the_story_ends_with_its_summary(transcript: str):
    assert transcript.rstrip().splitlines()[-1] == (
        "zookeeper and kafka: OK - 117 hooks run; kafka published 10 zookeeper lists, each "
        "the one the zookeeper library last handed it; client/0 saw KafkaConnected > "
        "KafkaAvailable x7 > KafkaUnavailable > KafkaDisconnected"
    )


def test_steps_tell_the_story_in_order(transcript: str):
    assert steps(transcript) == [
        "deploy the demo charm three times: as zookeeper, kafka and client",
        "relate zookeeper:zookeeper-server to kafka:zookeeper",
        "relate kafka:client to client:kafka",
        "zookeeper scales out to 3 units",
        "remove zookeeper/1",
        "kafka scales out to 2 units",
        "remove kafka/1",
        "remove the relation zookeeper:zookeeper-server to kafka:zookeeper",
        "remove the relation kafka:client to client:kafka",
    ]


def test_deployed_zookeeper_serves_kafka_waits_and_the_client_has_nothing_to_do(
    transcript: str,
):
    statuses = {
        block.unit: block.lines
        for block in hook_blocks(transcript)
        if block.step == 1 and block.hook == "config-changed"
    }

    assert statuses == {
        "zookeeper/0": ["status  active: zookeeper on port 2181, REST port 9998"],
        "kafka/0": ["status  waiting: kafka on port 9092, waiting for zookeeper"],
        "client/0": [],  # blocked since install
    }


def test_relating_zookeeper_publishes_its_ports_and_kafka_takes_them(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 2]

    assert [(b.unit, b.hook) for b in blocks] == [
        ("zookeeper/0", "zookeeper-server-relation-created"),
        ("kafka/0", "zookeeper-relation-created"),
        ("zookeeper/0", "zookeeper-server-relation-joined"),
        ("zookeeper/0", "zookeeper-server-relation-changed"),
        ("kafka/0", "zookeeper-relation-joined"),
        ("kafka/0", "zookeeper-relation-changed"),
    ]
    assert blocks[0].lines == [
        # Relations 0 to 2 are the peer relations of zookeeper, kafka and client.
        "databag zookeeper/0 on relation 3 (zookeeper:zookeeper-server to kafka:zookeeper)",
        "+ port       2181",
        "+ rest_port  9998",
    ]
    assert blocks[2].events == ["ZookeeperClientConnected", "ZookeeperClientAvailable"]
    assert blocks[4].events == ["ZookeeperConnected", "ZookeeperJoining", "ZookeeperAvailable"]
    assert "units  unit_name='zookeeper/0' host='10.1.0.10' port=2181 rest_port=9998" in (
        blocks[4].lines
    )
    assert "status  active: kafka on port 9092, zookeeper at 10.1.0.10:2181" in blocks[4].lines


def test_relating_the_client_publishes_the_port_and_the_list_in_legacy_bytes(transcript: str):
    created = next(b for b in hook_blocks(transcript) if b.hook == "client-relation-created")

    assert created.lines == [
        "databag kafka/0 on relation 4 (kafka:client to client:kafka)",
        "+ port        9092",
        f"+ zookeepers  {legacy_json('10.1.0.10')}",
    ]
    assert events_on(transcript, "client/0")[:2] == ["KafkaConnected", "KafkaAvailable"]


def test_kafka_follows_zookeeper_scaling_out_and_the_client_follows_kafka(transcript: str):
    assert published_zookeepers(transcript, 4, "kafka/0") == [
        legacy_json("10.1.0.10", "10.1.0.11"),
        legacy_json("10.1.0.10", "10.1.0.11", "10.1.0.12"),
    ]
    client = [b for b in hook_blocks(transcript) if b.step == 4 and b.unit == "client/0"]
    assert [(b.hook, b.detail, b.events) for b in client] == [
        ("kafka-relation-changed", "remote kafka/0", ["KafkaAvailable"]),
        ("kafka-relation-changed", "remote kafka/0", ["KafkaAvailable"]),
    ]
    assert client[-1].lines[-1] == (
        "status  active: kafka at 10.2.0.10:9092; "
        "zookeeper at 10.1.0.10:2181,10.1.0.11:2181,10.1.0.12:2181"
    )


def test_a_departing_zookeeper_unit_leaves_kafka_s_list_and_the_client_s(transcript: str):
    assert hooks_in_step(transcript, 5) == [
        # It leaves its peer relation too, which stays for zookeeper/0 and zookeeper/2.
        ("zookeeper/0", "cluster-relation-departed", "remote zookeeper/1"),
        ("zookeeper/2", "cluster-relation-departed", "remote zookeeper/1"),
        ("zookeeper/1", "cluster-relation-departed", "remote zookeeper/0, this unit is departing"),
        ("zookeeper/1", "cluster-relation-departed", "remote zookeeper/2, this unit is departing"),
        ("zookeeper/1", "cluster-relation-broken", ""),
        ("kafka/0", "zookeeper-relation-departed", "remote zookeeper/1"),
        (
            "zookeeper/1",
            "zookeeper-server-relation-departed",
            "remote kafka/0, this unit is departing",
        ),
        ("zookeeper/1", "zookeeper-server-relation-broken", ""),
        ("zookeeper/1", "stop", ""),
        ("zookeeper/1", "remove", ""),
        ("client/0", "kafka-relation-changed", "remote kafka/0"),
    ]
    assert published_zookeepers(transcript, 5, "kafka/0") == [
        legacy_json("10.1.0.10", "10.1.0.12")
    ]
    assert events_on(transcript, "zookeeper/1", "Zookeeper") == [
        "ZookeeperClientConnected",
        "ZookeeperClientAvailable",
        "ZookeeperClientUnavailable",
        "ZookeeperClientDisconnected",
    ]


def test_a_new_kafka_unit_forwards_what_it_meets_and_the_client_sees_one_list(
    transcript: str,
):
    # Published in config-changed, before kafka/1 met zookeeper; then as each unit joins.
    assert published_zookeepers(transcript, 6, "kafka/1") == [
        "[]",
        legacy_json("10.1.0.10"),
        legacy_json("10.1.0.10", "10.1.0.12"),
    ]
    joined = next(
        b for b in hook_blocks(transcript) if b.step == 6 and b.hook == "kafka-relation-joined"
    )
    assert joined.events == ["KafkaAvailable"]
    # Both brokers sent both zookeepers; the client reads each zookeeper once.
    assert joined.lines[1:6] == [
        "brokers     unit_name='kafka/0' host='10.2.0.10' port=9092",
        "unit_name='kafka/1' host='10.2.0.11' port=9092",
        "zookeepers  host='10.1.0.10' port=2181 rest_port=9998",
        "host='10.1.0.12' port=2181 rest_port=9998",
        "status  active: kafka at 10.2.0.10:9092,10.2.0.11:9092; "
        "zookeeper at 10.1.0.10:2181,10.1.0.12:2181",
    ]


def test_a_leaving_broker_is_dropped_from_the_clients_list_and_zookeeper_keeps_serving(
    transcript: str,
):
    blocks = [b for b in hook_blocks(transcript) if b.step == 7]
    client = [b for b in blocks if b.unit == "client/0"]
    assert [(b.hook, b.events) for b in client] == [
        ("kafka-relation-departed", ["KafkaAvailable"])
    ]
    assert "brokers     unit_name='kafka/0' host='10.2.0.10' port=9092" in client[0].lines
    assert client[0].lines[-1] == (
        "status  active: kafka at 10.2.0.10:9092; zookeeper at 10.1.0.10:2181,10.1.0.12:2181"
    )
    for zookeeper in ("zookeeper/0", "zookeeper/2"):
        assert [b.events for b in blocks if b.unit == zookeeper] == [[]]


def test_when_zookeeper_leaves_kafka_forwards_an_empty_list(transcript: str):
    assert published_zookeepers(transcript, 8, "kafka/0") == [legacy_json("10.1.0.12"), "[]"]
    client = [b for b in hook_blocks(transcript) if b.step == 8 and b.unit == "client/0"]
    # Both changes were made before the client's hook ran: Juju coalesces, one event.
    assert [b.events for b in client] == [["KafkaAvailable"]]
    assert "zookeepers  (none)" in client[0].lines
    assert client[0].lines[-1] == "status  active: kafka at 10.2.0.10:9092; no zookeeper"


def test_every_side_sees_its_relations_start_and_end(transcript: str):
    zookeeper_server = ["ZookeeperClientConnected", "ZookeeperClientAvailable"]
    zookeeper_server_ends = ["ZookeeperClientUnavailable", "ZookeeperClientDisconnected"]
    kafka_server = ["KafkaClientConnected", "KafkaClientAvailable"]
    kafka_server_ends = ["KafkaClientUnavailable", "KafkaClientDisconnected"]
    zookeeper_leaves = [
        "ZookeeperDeparting",
        "ZookeeperAvailable",
        "ZookeeperDeparting",
        "ZookeeperUnavailable",
        "ZookeeperDisconnected",
    ]

    for unit in ("zookeeper/0", "zookeeper/2"):
        assert events_on(transcript, unit, *LIBRARIES) == zookeeper_server + zookeeper_server_ends
    assert events_on(transcript, "kafka/0", *LIBRARIES) == [
        *("ZookeeperConnected", "ZookeeperJoining", "ZookeeperAvailable"),  # step 2
        *kafka_server,  # step 3
        *("ZookeeperJoining", "ZookeeperAvailable") * 2,  # step 4
        *("ZookeeperDeparting", "ZookeeperAvailable"),  # step 5
        *zookeeper_leaves,  # step 8
        *kafka_server_ends,  # step 9
    ]
    assert events_on(transcript, "kafka/1", *LIBRARIES) == [
        "ZookeeperConnected",
        *("ZookeeperJoining", "ZookeeperAvailable") * 2,
        *kafka_server,
        # Step 7: in its first hook as the departing unit, every zookeeper state ends.
        *("ZookeeperDeparting", "ZookeeperDeparting"),
        *("ZookeeperUnavailable", "ZookeeperDisconnected"),
        *kafka_server_ends,
    ]
    assert events_on(transcript, "client/0") == [
        "KafkaConnected",
        *["KafkaAvailable"] * 7,
        "KafkaUnavailable",
        "KafkaDisconnected",
    ]


def test_the_client_ends_with_nothing_to_do(transcript: str):
    last = [b for b in hook_blocks(transcript) if b.unit == "client/0"][-1]

    assert (last.hook, last.lines) == (
        "kafka-relation-broken",
        [f"status  blocked: {NOTHING_TO_DO}"],
    )


def test_a_kafka_that_does_not_forward_its_zookeepers_fails_the_story_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    def forward_nothing(self: KafkaProvides, zookeepers: Any) -> None:
        pass

    monkeypatch.setattr(KafkaProvides, "send_zookeepers", forward_nothing)
    out = io.StringIO()

    assert main([KafkaStory()], out) == 1
    assert out.getvalue().rstrip().splitlines()[-1] == (
        "FAILED: kafka/0 status should be active: 'kafka on port 9092, zookeeper at "
        "10.1.0.10:2181', is ('waiting', 'kafka on port 9092, waiting for zookeeper')"
    )


def test_a_kafka_that_publishes_its_own_list_fails_the_story_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    # A list the zookeeper library never announced: the story checks kafka forwards, only.
    forward = KafkaProvides.send_zookeepers

    def reversed_list(self: KafkaProvides, zookeepers: Any) -> None:
        forward(self, list(zookeepers)[::-1])

    monkeypatch.setattr(KafkaProvides, "send_zookeepers", reversed_list)
    out = io.StringIO()

    assert main([KafkaStory()], out) == 1
    assert out.getvalue().rstrip().splitlines()[-1].startswith("FAILED: kafka/0 should publish")


# --- The deployment: a unit's settings outlive its scope ------------------------------------


def test_units_still_in_a_relation_read_a_remote_unit_that_already_broke_it():
    deployment = Deployment()
    deployment.deploy("zookeeper", LegacyInterfacesDemoCharm, units=2, config=ZOOKEEPER_CONFIG)
    deployment.deploy("kafka", LegacyInterfacesDemoCharm)
    zookeeper, kafka = deployment.apps["zookeeper"], deployment.apps["kafka"]
    deployment.integrate(
        Endpoint(zookeeper, "zookeeper-server"), Endpoint(kafka, "zookeeper"), "zookeeper"
    )
    (integration,) = [each for each in deployment.integrations if not each.is_peer]

    runs = deployment.remove_integration(integration)

    # Both zookeeper units broke the relation before kafka/0 saw the first depart; Juju keeps
    # their settings for the relation's lifetime, so zookeeper/1 is still usable then.
    first_departure = next(run for run in runs if run.unit.name == "kafka/0")
    assert first_departure.hook.kind == "relation-departed"
    assert first_departure.fired == ["ZookeeperDeparting", "ZookeeperAvailable"]
    available = first_departure.events[1]
    assert isinstance(available, ZookeeperAvailable)
    assert [unit.unit_name for unit in available.units] == ["zookeeper/1"]
    assert zookeeper.units[1].databag(integration)["port"] == "2181"


# --- The zookeeper roles -------------------------------------------------------------------

# Kafka's relation to a zookeeper unit, from the zookeeper side.
ZOOKEEPER_CLIENTS = zookeeper_client_relation("zookeeper-server")


def context(app_name: str) -> testing.Context[LegacyInterfacesDemoCharm]:
    return charm_context(LegacyInterfacesDemoCharm, CHARMCRAFT, app_name=app_name)


def wire(state: testing.State, relation: testing.Relation) -> dict[str, str]:
    """The interface's keys in this unit's databag, Juju's own left out."""
    bag = state.get_relation(relation.id).local_unit_data
    return {key: value for key, value in bag.items() if "-" not in key}


def run_zookeeper(config: dict[str, Any], state: testing.State | None = None) -> testing.State:
    ctx = context("zookeeper")
    state = state or testing.State(relations=[ZOOKEEPER_CLIENTS])
    return ctx.run(ctx.on.config_changed(), dataclasses.replace(state, config=config))


def zookeeper_wire(state: testing.State) -> dict[str, str]:
    return wire(state, ZOOKEEPER_CLIENTS)


def test_zookeeper_publishes_its_ports_in_legacy_keys():
    state = run_zookeeper(ZOOKEEPER_CONFIG)

    assert zookeeper_wire(state) == {"port": "2181", "rest_port": "9998"}
    assert state.unit_status == testing.ActiveStatus("zookeeper on port 2181, REST port 9998")


def test_zookeeper_without_a_rest_port_publishes_only_the_client_port():
    state = run_zookeeper({"zookeeper-port": 2181})

    assert zookeeper_wire(state) == {"port": "2181"}
    assert state.unit_status == testing.ActiveStatus("zookeeper on port 2181")


def test_unsetting_the_zookeeper_port_withdraws_what_was_published():
    state = run_zookeeper({}, run_zookeeper(ZOOKEEPER_CONFIG))

    assert zookeeper_wire(state) == {}
    assert state.unit_status == testing.BlockedStatus(NOTHING_TO_DO)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"zookeeper-rest-port": 9998}, "zookeeper-port is required to publish zookeeper"),
        (
            {"zookeeper-port": 70000},
            "invalid zookeeper config: port: must be a port from 1 to 65535",
        ),
        (
            {"zookeeper-port": 2181, "zookeeper-rest-port": 0},
            "invalid zookeeper config: rest_port: must be a port from 1 to 65535",
        ),
    ],
)
def test_invalid_zookeeper_config_blocks_and_publishes_nothing(
    config: dict[str, Any], message: str
):
    state = run_zookeeper(config)

    assert state.unit_status == testing.BlockedStatus(message)
    assert zookeeper_wire(state) == {}


def test_blocked_zookeeper_stays_blocked_until_the_config_is_fixed():
    ctx = context("zookeeper")
    state = run_zookeeper({"zookeeper-port": 0})

    state = ctx.run(ctx.on.update_status(), state)
    assert state.unit_status.name == "blocked"

    state = run_zookeeper(ZOOKEEPER_CONFIG, state)
    assert state.unit_status == testing.ActiveStatus("zookeeper on port 2181, REST port 9998")


def test_zookeeper_client_reports_the_usable_units_and_ignores_a_malformed_one():
    ctx = context("client")
    relation = zookeeper_relation_for_testing(units=2, malformed_unit=True)

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.ActiveStatus("zookeeper at 10.0.9.5:2181,10.0.9.6:2181")


def test_zookeeper_client_related_without_data_waits_for_zookeeper():
    ctx = context("client")
    relation = testing.Relation("zookeeper", "zookeeper", remote_units_data={0: {}})

    state = ctx.run(
        ctx.on.relation_joined(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.WaitingStatus("waiting for zookeeper")


def test_ipv6_hosts_are_bracketed_so_that_the_port_stays_unambiguous():
    servers = [
        ZookeeperUnit(unit_name="zookeeper/0", host="fd00::5", port=2181),
        ZookeeperUnit(unit_name="zookeeper/1", host="zookeeper-1.internal", port=2181),
    ]

    assert host_port(servers[0]) == "[fd00::5]:2181"
    assert connect_string(servers) == "[fd00::5]:2181,zookeeper-1.internal:2181"


# --- The kafka roles -----------------------------------------------------------------------

TWO_ZOOKEEPERS = legacy_json("10.0.9.5", "10.0.9.6")


def kafka_state(
    zookeeper: testing.Relation, config: dict[str, Any] | None = None
) -> tuple[testing.State, testing.Relation]:
    """A kafka unit related to zookeeper and to one client; the client relation too."""
    clients = client_relation_for_testing()
    state = testing.State(
        relations=[zookeeper, clients], config=KAFKA_CONFIG if config is None else config
    )
    return state, clients


def test_kafka_publishes_its_port_and_forwards_the_zookeeper_units_in_legacy_bytes():
    ctx = context("kafka")
    state, clients = kafka_state(zookeeper_relation_for_testing(units=2))

    state = ctx.run(ctx.on.config_changed(), state)

    assert wire(state, clients) == {"port": "9092", "zookeepers": TWO_ZOOKEEPERS}
    assert state.unit_status == testing.ActiveStatus(
        "kafka on port 9092, zookeeper at 10.0.9.5:2181,10.0.9.6:2181"
    )


def test_kafka_s_list_follows_a_zookeeper_unit_that_joins():
    ctx = context("kafka")
    one = zookeeper_relation_for_testing(units=1)
    state, clients = kafka_state(one)
    state = ctx.run(ctx.on.relation_changed(one, remote_unit=0), state)
    assert wire(state, clients)["zookeepers"] == legacy_json("10.0.9.5")

    two = dataclasses.replace(
        one, remote_units_data=zookeeper_relation_for_testing(units=2).remote_units_data
    )
    state = ctx.run(
        ctx.on.relation_joined(two, remote_unit=1),
        dataclasses.replace(state, relations=[two, state.get_relation(clients.id)]),
    )

    assert wire(state, clients)["zookeepers"] == TWO_ZOOKEEPERS


def test_kafka_forwards_an_empty_list_when_zookeeper_goes_and_waits_for_it():
    ctx = context("kafka")
    zookeeper = zookeeper_relation_for_testing(units=2)
    state, clients = kafka_state(zookeeper)
    state = ctx.run(ctx.on.relation_changed(zookeeper, remote_unit=0), state)

    state = ctx.run(ctx.on.relation_broken(zookeeper), state)

    assert wire(state, clients) == {"port": "9092", "zookeepers": "[]"}
    assert state.unit_status == testing.WaitingStatus("kafka on port 9092, waiting for zookeeper")


def test_a_stale_zookeeper_available_publishes_what_holds_now_not_its_payload():
    # What a deferred event brings back: the units at emit time; one has departed since.
    ctx = context("kafka")
    zookeeper = zookeeper_relation_for_testing(units=1)
    state, clients = kafka_state(zookeeper)
    stale_units = (
        ZookeeperUnit(unit_name="zookeeper/0", host="10.0.9.5", port=2181, rest_port=9998),
        ZookeeperUnit(unit_name="zookeeper/1", host="10.0.9.6", port=2181, rest_port=9998),
    )

    state = ctx.run(ctx.on.custom(ZookeeperRequires.on.available, zookeeper, stale_units), state)

    assert wire(state, clients)["zookeepers"] == legacy_json("10.0.9.5")


def test_kafka_refreshed_from_the_reactive_charm_forwards_in_upgrade_charm():
    # Related by the reactive charm: zookeeper data on the wire, no stored state of the library.
    ctx = context("kafka")
    state, clients = kafka_state(zookeeper_relation_for_testing(units=2))

    state = ctx.run(ctx.on.upgrade_charm(), state)

    assert wire(state, clients) == {"port": "9092", "zookeepers": TWO_ZOOKEEPERS}


def test_a_unit_without_kafka_port_publishes_nothing_and_is_a_zookeeper_client():
    ctx = context("kafka")
    state, clients = kafka_state(zookeeper_relation_for_testing(units=1), config={})

    state = ctx.run(ctx.on.config_changed(), state)

    assert wire(state, clients) == {}
    assert state.unit_status == testing.ActiveStatus("zookeeper at 10.0.9.5:2181")


def test_unsetting_kafka_port_withdraws_the_port_and_the_list():
    ctx = context("kafka")
    state, clients = kafka_state(zookeeper_relation_for_testing(units=1))
    state = ctx.run(ctx.on.config_changed(), state)

    state = ctx.run(ctx.on.config_changed(), dataclasses.replace(state, config={}))

    assert wire(state, clients) == {}


def test_invalid_kafka_port_blocks_publishes_nothing_and_stays_blocked_until_fixed():
    ctx = context("kafka")
    zookeeper = zookeeper_relation_for_testing(units=1)
    state, clients = kafka_state(zookeeper, config={"kafka-port": 65536})
    blocked = testing.BlockedStatus("invalid kafka config: port: must be a port from 1 to 65535")

    state = ctx.run(ctx.on.config_changed(), state)
    assert (state.unit_status, wire(state, clients)) == (blocked, {})
    # A zookeeper event publishes again, from the same config: still blocked.
    state = ctx.run(ctx.on.relation_changed(zookeeper, remote_unit=0), state)
    assert (state.unit_status, wire(state, clients)) == (blocked, {})

    state = ctx.run(ctx.on.config_changed(), dataclasses.replace(state, config=KAFKA_CONFIG))
    assert wire(state, clients) == {"port": "9092", "zookeepers": legacy_json("10.0.9.5")}


def test_kafka_client_reports_every_broker_and_each_zookeeper_once():
    ctx = context("client")
    relation = kafka_relation(units=2, zookeepers=2)

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.ActiveStatus(
        "kafka at 10.0.11.5:9092,10.0.11.6:9092; zookeeper at 10.0.9.5:2181,10.0.9.6:2181"
    )


def test_kafka_client_of_brokers_without_zookeeper_says_so():
    ctx = context("client")
    relation = kafka_relation(zookeepers=0)

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.ActiveStatus("kafka at 10.0.11.5:9092; no zookeeper")


def test_kafka_client_brackets_an_ipv6_broker():
    ctx = context("client")
    databag = {"private-address": "fd00::5", "port": "9092"}
    relation = testing.Relation("kafka", "kafka", remote_units_data={0: databag})

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.ActiveStatus("kafka at [fd00::5]:9092; no zookeeper")


def test_kafka_client_related_without_data_waits_for_kafka():
    ctx = context("client")
    relation = testing.Relation("kafka", "kafka", remote_units_data={0: {}})

    state = ctx.run(
        ctx.on.relation_joined(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.WaitingStatus("waiting for kafka")
