"""Unit tests for `charms.kafka.v0.kafka`: wire bytes, events, queries and errors.

Both roles run in `ops.testing`. `ClientCharm` requires `kafka` and records every library
event as its observer sees it (and defers the kinds its `defer` option names);
`WatchingClientCharm` also records what the queries answer inside the library's events, its
own relation-departed and relation-broken observers and collect-status. `KafkaCharm`
provides `client` and records its events (deferring likewise), tests publishing through
`self.kafka`; `ForwardingCharm` is a kafka charm that passes on what
`charms.zookeeper.v0.zookeeper` reads. A `Session` runs hooks one after another on one unit,
each from the state the previous one left, so stored state carries over; a session that
starts with empty stored state and established relations is a charm just refreshed from its
reactive version.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import ops
import pytest
from ops import testing

import charms.kafka.v0.kafka as kafka_library
from charms.kafka.v0.kafka import (
    KafkaAvailable,
    KafkaBroker,
    KafkaClientAvailable,
    KafkaClientConnected,
    KafkaClientDisconnected,
    KafkaClientUnavailable,
    KafkaConnected,
    KafkaConnection,
    KafkaDisconnected,
    KafkaOffer,
    KafkaProviderData,
    KafkaProvides,
    KafkaRequires,
    KafkaUnavailable,
    MalformedUnit,
    NoKafkaBrokerError,
    ZookeeperServer,
    client_relation_for_testing,
    kafka_relation_for_testing,
)
from charms.zookeeper.v0.zookeeper import (
    ZookeeperRequires,
    ZookeeperUnit,
    zookeeper_relation_for_testing,
)
from tests.unit import session as sessions
from tests.unit.session import (
    DEFER_CONFIG,
    DEPARTING_ENVIRONMENTS,
    RecordingCharm,
    Seen,
    run_departure_after_a_deferred_event,
    set_hook_environment,
)

T = TypeVar("T")

LOGGER = "charms.kafka.v0.kafka"
MIB = 1024 * 1024
LIMIT = 64 * 1024
"""The longest `zookeepers` value a client reads."""

JUJU_DEFAULTS = dict(testing.Relation("any").local_unit_data)
"""What Juju itself puts in every unit databag."""

Broker = tuple[str, str, int]
"""A usable kafka unit as a test sees it: unit name, host, port."""

Server = tuple[str, int, int | None]
"""A zookeeper server as a test sees it: host, port, rest_port."""

Plain = tuple[tuple[Broker, ...], tuple[Server, ...]]
"""A `KafkaOffer` as a test compares it: its brokers and its zookeeper servers, as tuples.

Tests compare plain values rather than the models: under pydantic 2.0, a model built by
validation and an equal one built by `model_construct` need not compare equal.
"""

NOTHING: Plain = ((), ())


ZK5: Server = ("10.0.9.5", 2181, 9998)
ZK6: Server = ("10.0.9.6", 2181, 9998)
ZK7: Server = ("10.0.9.7", 2182, None)
LIST_5 = '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]'
LIST_6 = '[{"host": "10.0.9.6", "port": "2181", "rest_port": "9998"}]'
LIST_56 = (
    '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}, '
    '{"host": "10.0.9.6", "port": "2181", "rest_port": "9998"}]'
)
LIST_67 = (
    '[{"host": "10.0.9.6", "port": "2181", "rest_port": "9998"}, '
    '{"host": "10.0.9.7", "port": "2182", "rest_port": null}]'
)


def address(number: int) -> str:
    return f"10.2.0.{number}"


def kafka_unit(number: int, **data: str | None) -> dict[str, str]:
    """A legacy kafka unit's databag: Juju's keys, `port` 9092 and the zookeeper list LIST_5.

    `data` overrides; None leaves a key out.
    """
    values: dict[str, str | None] = {
        "private-address": address(number),
        "ingress-address": address(number),
        "egress-subnets": f"{address(number)}/32",
        "port": "9092",
        "zookeepers": LIST_5,
        **data,
    }
    return {key: value for key, value in values.items() if value is not None}


def kafka_relation(
    units: Mapping[int, Mapping[str, str]], relation_id: int | None = None
) -> testing.Relation:
    """A relation of the client's `kafka` endpoint to the kafka application."""
    data = {number: dict(databag) for number, databag in units.items()}
    if relation_id is None:
        return testing.Relation(
            "kafka", interface="kafka", remote_app_name="kafka", remote_units_data=data
        )
    return testing.Relation(
        "kafka", interface="kafka", id=relation_id, remote_app_name="kafka", remote_units_data=data
    )


def client_relation(
    units: Iterable[int] = (0,), *, local: dict[str, str] | None = None
) -> testing.Relation:
    """A relation of the kafka charm's `client` endpoint to a client (flume)."""
    return testing.Relation(
        "client",
        interface="kafka",
        remote_app_name="flume",
        remote_units_data={unit: dict(JUJU_DEFAULTS) for unit in units},
        local_unit_data=dict(JUJU_DEFAULTS) if local is None else local,
    )


# --- Test charms ---------------------------------------------------------------------------

LIBRARY_EVENTS = (
    KafkaConnected,
    KafkaAvailable,
    KafkaUnavailable,
    KafkaDisconnected,
    KafkaClientConnected,
    KafkaClientAvailable,
    KafkaClientUnavailable,
    KafkaClientDisconnected,
)


def as_broker(broker: KafkaBroker) -> Broker:
    assert isinstance(broker, KafkaBroker)
    return (broker.unit_name, broker.host, broker.port)


def as_server(server: ZookeeperServer) -> Server:
    assert isinstance(server, ZookeeperServer)
    return (server.host, server.port, server.rest_port)


def describe(event: ops.EventBase) -> Seen:
    assert isinstance(event, LIBRARY_EVENTS)
    name = type(event).__name__
    if isinstance(event, KafkaAvailable):
        brokers = tuple(as_broker(broker) for broker in event.brokers)
        zookeepers = tuple(as_server(server) for server in event.zookeepers)
        return (name, event.relation.id, brokers, zookeepers)
    return (name, event.relation.id)


class Session(sessions.Session):
    """Hooks run one after another on one unit, recording the kafka library's events."""

    library_event_types = LIBRARY_EVENTS
    describe = staticmethod(describe)


class ClientCharm(RecordingCharm):
    """Requires `kafka`; records each library event, and defers the kinds config names."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kafka = KafkaRequires(self)
        self.record(
            self.kafka.on.connected,
            self.kafka.on.available,
            self.kafka.on.unavailable,
            self.kafka.on.disconnected,
        )


View = tuple[
    bool,
    bool,
    Plain,
    tuple[str, str] | None,
    list[dict[str, str]],
    list[dict[str, str | None]],
    list[str],
    list[int],
]
"""What the requirer's queries answer."""


def view(kafka: KafkaRequires) -> View:
    try:
        first: tuple[str, str] | None = (kafka.get_kafka_ip(), kafka.get_kafka_port())
    except NoKafkaBrokerError:
        first = None
    return (
        kafka.is_connected(),
        kafka.is_available(),
        plain(kafka.read()),
        first,
        kafka.kafkas(),
        kafka.zookeepers(),
        [unit.unit_name for unit in kafka.malformed_units()],
        [relation.id for relation in kafka.relations],
    )


class WatchingClientCharm(ClientCharm):
    """A `ClientCharm` that also records what the queries answer in end events."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[tuple[str, View]] = []
        for event in (
            self.kafka.on.available,
            self.kafka.on.unavailable,
            self.kafka.on.disconnected,
            self.on["kafka"].relation_departed,
            self.on["kafka"].relation_broken,
            self.on.collect_unit_status,
        ):
            framework.observe(event, self._look)

    def _look(self, event: ops.EventBase) -> None:
        self.views.append((type(event).__name__, view(self.kafka)))


class KafkaCharm(RecordingCharm):
    """Provides `client`; records the library's events. Tests publish via `self.kafka`."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kafka = KafkaProvides(self)
        self.record(
            self.kafka.on.connected,
            self.kafka.on.available,
            self.kafka.on.unavailable,
            self.kafka.on.disconnected,
        )


class ForwardingCharm(ops.CharmBase):
    """A kafka charm that sends its clients what the zookeeper library reads.

    Its `source` option names what it forwards: `read().units` ("typed"), the later legacy
    `zookeepers()` ("legacy") or the seed's `get_zookeeper_units()` pairs ("seed").
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperRequires(self)
        self.kafka = KafkaProvides(self)
        framework.observe(self.zookeeper.on.available, self._forward)
        framework.observe(self.zookeeper.on.unavailable, self._forward)

    def _forward(self, _: ops.EventBase) -> None:
        source = self.config["source"]
        if source == "typed":
            self.kafka.send_zookeepers(self.zookeeper.read().units)
        elif source == "legacy":
            self.kafka.send_zookeepers(self.zookeeper.zookeepers())
        else:
            self.kafka.send_zookeepers(self.zookeeper.get_zookeeper_units())
        self.kafka.send_connection(9092)


CLIENT_META = {"name": "flume", "requires": {"kafka": {"interface": "kafka"}}}
KAFKA_META = {"name": "kafka", "provides": {"client": {"interface": "kafka"}}}
FORWARDING_META = {
    "name": "kafka",
    "requires": {"zookeeper": {"interface": "zookeeper"}},
    "provides": {"client": {"interface": "kafka"}},
}
FORWARDING_CONFIG = {"options": {"source": {"type": "string", "default": "legacy"}}}


class DeferringWatcherCharm(ClientCharm):
    """Notes the queries' view in its own `available` observer, which defers the event while
    the `defer` option is set (ops runs a deferred event's handler again at the start of the
    next hook, before the library has observed that hook's event), and in collect-status."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[View] = []
        framework.observe(self.kafka.on.available, self._on_available)
        framework.observe(self.on.collect_unit_status, self._look)

    def _on_available(self, event: ops.EventBase) -> None:
        self._look(event)
        if self.config.get("defer"):
            event.defer()

    def _look(self, _: ops.EventBase) -> None:
        self.views.append(view(self.kafka))


def client_context(
    charm_type: type[ClientCharm] = ClientCharm, **kwargs: Any
) -> testing.Context[ClientCharm]:
    return testing.Context(charm_type, meta=CLIENT_META, config=DEFER_CONFIG, **kwargs)


def kafka_context(**kwargs: Any) -> testing.Context[KafkaCharm]:
    return testing.Context(KafkaCharm, meta=KAFKA_META, config=DEFER_CONFIG, **kwargs)


def ask(state: testing.State, question: Callable[[KafkaRequires], T]) -> T:
    """Ask the requirer something inside a hook run on `state`."""
    ctx = client_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        answer = question(mgr.charm.kafka)
        mgr.run()
    return answer


def publish(state: testing.State, call: Callable[[KafkaProvides], object]) -> testing.State:
    """Run a hook in which the kafka charm calls `call` on its provider."""
    ctx = kafka_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        call(mgr.charm.kafka)
        return mgr.run()


def send(*args: Any, **kwargs: Any) -> Callable[[KafkaProvides], object]:
    return lambda provides: provides.send_connection(*args, **kwargs)


def send_zookeepers(zookeepers: Any) -> Callable[[KafkaProvides], object]:
    return lambda provides: provides.send_zookeepers(zookeepers)


def send_both(
    port: int | str = 9092, zookeepers: Any = (ZK5,)
) -> Callable[[KafkaProvides], object]:
    def call(provides: KafkaProvides) -> None:
        provides.send_zookeepers(zookeepers)
        provides.send_connection(port)

    return call


def local_data(state: testing.State, relation: testing.Relation) -> dict[str, str]:
    return dict(state.get_relation(relation.id).local_unit_data)


def stored_content(state: testing.State, owner: str, name: str = "_stored") -> dict[str, Any]:
    """The content of the stored state `name` of the library object `owner`."""
    (stored,) = [
        entry
        for entry in state.stored_states
        if owner in (entry.owner_path or "") and entry.name == name
    ]
    return dict(stored.content)


def warnings_logged(ctx: testing.Context[Any], caplog: pytest.LogCaptureFixture) -> list[str]:
    """The library's WARNING lines since the last call, which are then forgotten.

    Each must have reached juju-log (`ctx.juju_log`). They are counted from the log records:
    ops 2.23 under ops-scenario 7 adds a juju-log handler with every run, so that on the
    oldest stack `ctx.juju_log` repeats a line once per run so far.
    """
    records = [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno == logging.WARNING
    ]
    assert {line.message for line in ctx.juju_log if line.level == "WARNING"} == set(records)
    ctx.juju_log.clear()
    caplog.clear()
    return records


def kb(number: int, port: int = 9092, host: str = "") -> Broker:
    """A usable broker as the events and queries hand it over."""
    return (f"kafka/{number}", host or address(number), port)


def connected(relation_id: int) -> Seen:
    return ("KafkaConnected", relation_id)


def available(relation_id: int, *brokers: Broker, zookeepers: Iterable[Server] = (ZK5,)) -> Seen:
    return ("KafkaAvailable", relation_id, brokers, tuple(zookeepers))


def unavailable(relation_id: int) -> Seen:
    return ("KafkaUnavailable", relation_id)


def disconnected(relation_id: int) -> Seen:
    return ("KafkaDisconnected", relation_id)


def client_connected(relation_id: int) -> Seen:
    return ("KafkaClientConnected", relation_id)


def client_available(relation_id: int) -> Seen:
    return ("KafkaClientAvailable", relation_id)


def client_unavailable(relation_id: int) -> Seen:
    return ("KafkaClientUnavailable", relation_id)


def client_disconnected(relation_id: int) -> Seen:
    return ("KafkaClientDisconnected", relation_id)


def servers(items: Iterable[ZookeeperServer] | None) -> tuple[Server, ...]:
    assert items is not None
    return tuple(as_server(item) for item in items)


def plain(result: KafkaOffer) -> Plain:
    assert isinstance(result, KafkaOffer)
    return (tuple(as_broker(broker) for broker in result.brokers), servers(result.zookeepers))


def offer(*brokers: Broker, zookeepers: Iterable[Server] = (ZK5,)) -> Plain:
    """What `plain(read())` answers for these brokers and zookeeper servers."""
    return (brokers, tuple(zookeepers))


def leaves(value: Any) -> Iterator[str]:
    """Every value inside `value` (not the keys of its mappings), as text."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item)
    else:
        yield value if isinstance(value, str) else repr(value)


# --- 1. Provider to wire: the exact bytes ---------------------------------------------------


def test_juju_puts_exactly_three_keys_in_a_new_unit_databag():
    assert set(JUJU_DEFAULTS) == {"egress-subnets", "ingress-address", "private-address"}


@pytest.mark.parametrize("leader", [True, False])
def test_provider_writes_port_raw_and_zookeepers_as_legacy_json_and_nothing_else(leader: bool):
    relation = client_relation()

    out = publish(testing.State(leader=leader, relations=[relation]), send_both())

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "port": "9092",
        "zookeepers": '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]',
    }
    assert out.get_relation(relation.id).local_app_data == {}


ONE_SERVER: list[Any] = [
    pytest.param([{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}], id="legacy-dict"),
    pytest.param([{"host": "10.0.9.5", "port": 2181, "rest_port": 9998}], id="dict-of-ints"),
    pytest.param(
        [ZookeeperUnit(unit_name="zookeeper/0", host="10.0.9.5", port=2181, rest_port=9998)],
        id="typed-zookeeper-unit",
    ),
    pytest.param([ZookeeperServer(host="10.0.9.5", port=2181, rest_port=9998)], id="server"),
    pytest.param([("10.0.9.5", 2181, 9998)], id="triple"),
    pytest.param([("10.0.9.5", "2181", "9998")], id="triple-of-strings"),
    pytest.param((("10.0.9.5", 2181, 9998),), id="tuple-of-triples"),
]


@pytest.mark.parametrize("zookeepers", ONE_SERVER)
def test_every_form_of_a_zookeeper_server_is_written_as_the_same_legacy_bytes(zookeepers: Any):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), send_zookeepers(zookeepers))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "zookeepers": '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]',
    }


WITHOUT_REST_PORT: list[Any] = [
    pytest.param([{"host": "10.0.9.5", "port": "2181", "rest_port": None}], id="legacy-dict"),
    pytest.param([{"host": "10.0.9.5", "port": "2181"}], id="dict-without-rest-port"),
    pytest.param(
        [ZookeeperUnit(unit_name="zookeeper/0", host="10.0.9.5", port=2181)],
        id="typed-zookeeper-unit",
    ),
    pytest.param([("10.0.9.5", 2181)], id="pair"),
    pytest.param([("10.0.9.5", "2181", None)], id="triple-with-none"),
]


@pytest.mark.parametrize("zookeepers", WITHOUT_REST_PORT)
def test_a_server_without_rest_port_is_written_with_rest_port_null(zookeepers: Any):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), send_zookeepers(zookeepers))

    assert local_data(out, relation)["zookeepers"] == (
        '[{"host": "10.0.9.5", "port": "2181", "rest_port": null}]'
    )


def test_several_servers_are_written_in_the_order_given():
    relation = client_relation()
    zookeepers = [("zk-1.example", 2182, None), ("fd00::5", 2181, 9998), ("10.0.9.5", 1, 65535)]

    out = publish(testing.State(relations=[relation]), send_zookeepers(zookeepers))

    assert local_data(out, relation)["zookeepers"] == (
        '[{"host": "zk-1.example", "port": "2182", "rest_port": null}, '
        '{"host": "fd00::5", "port": "2181", "rest_port": "9998"}, '
        '{"host": "10.0.9.5", "port": "1", "rest_port": "65535"}]'
    )


def test_any_iterable_of_servers_is_taken():
    relation = client_relation()
    generated = (each for each in [("10.0.9.5", 2181, 9998)])

    out = publish(testing.State(relations=[relation]), send_zookeepers(generated))

    assert local_data(out, relation)["zookeepers"] == LIST_5


def test_an_empty_zookeeper_list_is_written_as_an_empty_json_list():
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), send_zookeepers([]))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "zookeepers": "[]"}


def test_provider_writes_the_host_only_when_given():
    relation = client_relation()

    state = publish(testing.State(relations=[relation]), send(9092))
    assert local_data(state, relation) == {**JUJU_DEFAULTS, "port": "9092"}

    out = publish(state, send(9092, host="kafka-0.example.com"))
    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "port": "9092",
        "host": "kafka-0.example.com",
    }


def test_a_later_call_without_a_host_withdraws_it_and_keeps_the_zookeepers():
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send_zookeepers([ZK5]))
    state = publish(state, send(9092, "10.9.9.9"))
    assert local_data(state, relation)["host"] == "10.9.9.9"

    out = publish(state, send(9093))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "9093", "zookeepers": LIST_5}


def test_sending_zookeepers_keeps_the_port_and_host_and_replaces_the_list():
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(9092, "kafka.example"))
    state = publish(state, send_zookeepers([ZK5, ZK6]))
    assert local_data(state, relation)["zookeepers"] == LIST_56

    out = publish(state, send_zookeepers([ZK6, ZK7]))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "port": "9092",
        "host": "kafka.example",
        "zookeepers": LIST_67,
    }


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda p: p.send_connection(9092), id="send_connection"),
        pytest.param(lambda p: p.send_connection("9092"), id="send_connection-string"),
        pytest.param(lambda p: p.send_port(9092), id="send_port"),
        pytest.param(lambda p: p.send_port("9092"), id="send_port-string"),
        pytest.param(lambda p: p.send_configuration(9092), id="send_configuration"),
        pytest.param(lambda p: p.send_configuration("9092"), id="send_configuration-string"),
    ],
)
def test_the_legacy_names_of_send_connection_write_the_same_raw_port(
    call: Callable[[KafkaProvides], object],
):
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(8080, "kafka.example"))

    out = publish(state, call)

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "9092"}


def test_send_port_takes_the_host_as_the_deployed_layers_alias_does():
    relation = client_relation()

    out = publish(
        testing.State(relations=[relation]), lambda p: p.send_port(9092, "kafka.example")
    )

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "9092", "host": "kafka.example"}


def test_provider_writes_on_every_relation_of_the_endpoint():
    relations = [client_relation(), client_relation((0, 1)), client_relation(())]

    out = publish(testing.State(relations=relations), send_both())

    for relation in relations:
        assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "9092", "zookeepers": LIST_5}


@pytest.mark.parametrize("earlier_relation", [True, False])
def test_a_relation_created_later_gets_what_was_sent_earlier(earlier_relation: bool):
    state = testing.State(relations=[client_relation()] if earlier_relation else [])
    state = publish(state, send(9092, "kafka.example"))
    state = publish(state, send_zookeepers([ZK6, ZK7]))
    later = client_relation(())
    ctx = kafka_context()

    out = ctx.run(
        ctx.on.relation_created(later),
        dataclasses.replace(state, relations=[*state.relations, later]),
    )

    assert local_data(out, later) == {
        **JUJU_DEFAULTS,
        "port": "9092",
        "host": "kafka.example",
        "zookeepers": LIST_67,
    }


def test_a_relation_created_before_anything_was_sent_keeps_what_a_legacy_build_wrote():
    legacy = {**JUJU_DEFAULTS, "port": "9092", "zookeepers": LIST_5}
    relations = [client_relation((), local=legacy), client_relation(())]
    ctx = kafka_context()

    out = ctx.run(ctx.on.relation_created(relations[0]), testing.State(relations=relations))
    out = ctx.run(ctx.on.relation_created(relations[1]), out)

    assert local_data(out, relations[0]) == legacy
    assert local_data(out, relations[1]) == JUJU_DEFAULTS


def test_clear_connection_withdraws_everything_also_what_a_legacy_build_wrote():
    legacy = {**JUJU_DEFAULTS, "port": "9092", "host": "old.example", "zookeepers": LIST_56}
    relations = [client_relation(local=legacy), client_relation()]
    state = publish(testing.State(relations=relations[1:]), send_both())
    state = dataclasses.replace(state, relations=relations[:1] + list(state.relations))

    out = publish(state, KafkaProvides.clear_connection)

    for relation in relations:
        assert local_data(out, relation) == JUJU_DEFAULTS
    # Nor does a relation created afterwards get anything.
    later = client_relation(())
    ctx = kafka_context()
    out = ctx.run(
        ctx.on.relation_created(later), dataclasses.replace(out, relations=[*out.relations, later])
    )
    assert local_data(out, later) == JUJU_DEFAULTS


def test_keys_whose_value_is_right_are_not_written_again(monkeypatch: pytest.MonkeyPatch):
    writes: list[tuple[str, str]] = []
    original = ops.model.RelationDataContent.__setitem__

    def recording(self: Any, key: str, value: str) -> None:
        writes.append((key, value))
        original(self, key, value)

    monkeypatch.setattr(ops.model.RelationDataContent, "__setitem__", recording)
    legacy = {**JUJU_DEFAULTS, "port": "9092"}
    relation = client_relation(local=legacy)

    def port_first(port: int | str, zookeepers: Any) -> Callable[[KafkaProvides], None]:
        def call(provides: KafkaProvides) -> None:
            provides.send_connection(port)
            provides.send_zookeepers(zookeepers)

        return call

    state = publish(testing.State(relations=[relation]), port_first(9092, [ZK5]))
    assert writes == [("zookeepers", LIST_5)]
    writes.clear()

    out = publish(state, port_first("9092", [("10.0.9.5", "2181", "9998")]))

    assert writes == []
    assert local_data(out, relation) == {**legacy, "zookeepers": LIST_5}


def test_published_answers_what_the_charm_sent_across_hooks():
    state = testing.State(relations=[client_relation()])
    answers: list[KafkaConnection | None] = []

    def remember(provides: KafkaProvides) -> None:
        answers.append(provides.published())

    state = publish(state, remember)
    state = publish(state, send("9092", "fd00::5"))
    state = publish(state, remember)
    state = publish(state, send_zookeepers([{"host": "10.0.9.5", "port": "2181"}, ZK6]))
    state = publish(state, remember)
    state = publish(state, KafkaProvides.clear_connection)
    publish(state, remember)

    assert answers[0] is None
    assert answers[1] == KafkaConnection(port=9092, host="fd00::5")
    assert answers[1].zookeepers is None  # pyright: ignore[reportOptionalMemberAccess]
    sent = answers[2]
    assert sent is not None
    assert (sent.port, sent.host) == (9092, "fd00::5")
    assert servers(sent.zookeepers) == (("10.0.9.5", 2181, None), ZK6)
    assert answers[3] is None


def test_what_the_charm_sent_lives_in_stored_state_as_plain_values():
    state = publish(testing.State(relations=[client_relation()]), send_both())

    stored = stored_content(state, "KafkaProvides")

    assert json.loads(json.dumps(stored)) == stored
    assert "10.0.9.5" in json.dumps(stored)


FORWARDED = (
    '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}, '
    '{"host": "10.0.9.6", "port": "2181", "rest_port": "9998"}, '
    '{"host": "10.0.9.5", "port": "2182", "rest_port": null}]'
)
FORWARDED_SEED = (
    '[{"host": "10.0.9.5", "port": "2181", "rest_port": null}, '
    '{"host": "10.0.9.6", "port": "2181", "rest_port": null}, '
    '{"host": "10.0.9.5", "port": "2182", "rest_port": null}]'
)


@pytest.mark.parametrize(
    ("source", "zookeepers"),
    [("legacy", FORWARDED), ("typed", FORWARDED), ("seed", FORWARDED_SEED)],
)
def test_a_kafka_charm_forwards_what_the_zookeeper_library_reads(source: str, zookeepers: str):
    zookeeper = zookeeper_relation_for_testing(units=2)
    zookeeper_without_rest = zookeeper_relation_for_testing(units=1, rest_port=None)
    zookeeper_without_rest = dataclasses.replace(
        zookeeper_without_rest,
        remote_units_data={3: {**zookeeper_without_rest.remote_units_data[0], "port": "2182"}},
    )
    client = client_relation()
    ctx = testing.Context(ForwardingCharm, meta=FORWARDING_META, config=FORWARDING_CONFIG)
    state = testing.State(
        config={"source": source}, relations=[zookeeper, zookeeper_without_rest, client]
    )

    state = ctx.run(ctx.on.relation_changed(zookeeper, remote_unit=0), state)
    out = ctx.run(ctx.on.relation_changed(zookeeper_without_rest, remote_unit=3), state)

    assert local_data(out, client) == {**JUJU_DEFAULTS, "port": "9092", "zookeepers": zookeepers}
    # And a client reads back what was forwarded.
    relation = kafka_relation({0: local_data(out, client)})
    read = ask(testing.State(relations=[relation]), KafkaRequires.zookeepers)
    assert json.dumps(read) == zookeepers


# --- 2. Provider setters refuse bad input ---------------------------------------------------

ANY_NONE: Any = None

REFUSED_CONNECTIONS: list[Any] = [
    pytest.param({"port": 0}, "port", id="port-0"),
    pytest.param({"port": 65536}, "port", id="port-65536"),
    pytest.param({"port": -1}, "port", id="port-negative"),
    pytest.param({"port": "65536"}, "port", id="port-string-65536"),
    pytest.param({"port": "02181"}, "port", id="port-leading-zero"),
    pytest.param({"port": " 2181"}, "port", id="port-space"),
    pytest.param({"port": "2181\n"}, "port", id="port-newline"),
    pytest.param({"port": "-2181"}, "port", id="port-negative-string"),
    pytest.param({"port": ""}, "port", id="port-empty"),
    pytest.param({"port": "http"}, "port", id="port-word"),
    pytest.param({"port": True}, "port", id="port-true"),
    pytest.param({"port": False}, "port", id="port-false"),
    pytest.param({"port": 2181.0}, "port", id="port-float"),
    pytest.param({"port": b"2181"}, "port", id="port-bytes"),
    pytest.param({"port": 9092, "host": "kafka 0"}, "host", id="host-space"),
    pytest.param({"port": 9092, "host": "kafka;rm -rf /"}, "host", id="host-shell"),
    pytest.param({"port": 9092, "host": "$(reboot)"}, "host", id="host-substitution"),
    pytest.param({"port": 9092, "host": "a" * 254}, "host", id="host-too-long"),
    pytest.param({"port": 9092, "host": "a" * 64 + ".example"}, "host", id="host-long-label"),
    pytest.param({"port": 9092, "host": "fe80::1%eth0"}, "host", id="host-zone-index"),
    pytest.param({"port": 9092, "host": "fd00:::1"}, "host", id="host-bad-ipv6"),
    pytest.param({"port": 9092, "host": "[fd00::1]"}, "host", id="host-bracketed-ipv6"),
    pytest.param({"port": 9092, "host": "10.0.0.256"}, "host", id="host-bad-ipv4"),
    pytest.param({"port": 9092, "host": "10.0.0"}, "host", id="host-short-ipv4"),
    pytest.param({"port": 9092, "host": "-kafka.example"}, "host", id="host-leading-dash"),
    pytest.param({"port": 9092, "host": "kafka_0"}, "host", id="host-underscore"),
    pytest.param({"port": 9092, "host": ""}, "host", id="host-empty"),
    pytest.param({"port": 9092, "host": b"kafka.example"}, "host", id="host-bytes"),
    pytest.param({"port": 9092, "host": 1234567}, "host", id="host-int"),
]


def refuse(call: Callable[[KafkaProvides], object]) -> ValueError:
    """Make `call` in a hook after a good send; check that it raised and changed nothing."""
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(8080, "kafka.example"))
    state = publish(state, send_zookeepers([ZK6, ZK7]))
    before = local_data(state, relation)
    stored_before = stored_content(state, "KafkaProvides")
    ctx = kafka_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        with pytest.raises(ValueError) as caught:  # noqa: PT011 - each test checks the message
            call(mgr.charm.kafka)
        sent = mgr.charm.kafka.published()
        out = mgr.run()
        seen = mgr.charm.seen

    assert local_data(out, relation) == before
    assert stored_content(out, "KafkaProvides") == stored_before
    assert sent is not None
    assert (sent.port, sent.host, servers(sent.zookeepers)) == (8080, "kafka.example", (ZK6, ZK7))
    assert seen == []
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None
    assert len(str(error)) < 300
    return error


@pytest.mark.parametrize(("kwargs", "field"), REFUSED_CONNECTIONS)
def test_a_bad_port_or_host_raises_and_writes_and_stores_nothing(
    kwargs: dict[str, Any], field: str
):
    error = refuse(lambda provides: provides.send_connection(**kwargs))

    message = str(error)
    assert message.startswith(f"{field}: ")
    value = kwargs[field]
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 3:
        assert text not in message


@pytest.mark.parametrize("name", ["send_port", "send_configuration"])
@pytest.mark.parametrize("port", ["http", 0, True, 2181.5])
def test_the_legacy_names_refuse_as_send_connection_does(name: str, port: Any):
    error = refuse(lambda provides: getattr(provides, name)(port))

    assert str(error).startswith("port: ")


@pytest.mark.parametrize("name", ["send_connection", "send_port", "send_configuration"])
def test_none_as_the_port_raises_and_writes_and_stores_nothing(name: str):
    error = refuse(lambda provides: getattr(provides, name)(ANY_NONE))

    assert str(error).startswith("port: ")


REFUSED_ZOOKEEPERS: list[Any] = [
    pytest.param("10.0.9.5:2181", "zookeepers: must be a list", id="string"),
    pytest.param(b"10.0.9.5:2181", "zookeepers: must be a list", id="bytes"),
    pytest.param({"host": "10.0.9.5", "port": 2181}, "zookeepers: must be a list", id="dict"),
    pytest.param(2181, "zookeepers: must be a list", id="not-iterable"),
    pytest.param(ANY_NONE, "zookeepers: must be a list", id="none"),
    pytest.param(
        [{"host": "10.0.9.5", "port": 2181, "unit_name": "zookeeper/0"}],
        "zookeepers.0.unit_name: ",
        id="unknown-key",
    ),
    pytest.param([{"host": "10.0.9.5"}], "zookeepers.0.port: ", id="missing-port"),
    pytest.param([{"port": "2181"}], "zookeepers.0.host: ", id="missing-host"),
    pytest.param([{}], "zookeepers.0.host: ", id="empty-dict"),
    pytest.param([ZK5, ("10.0.9.6",)], "zookeepers.1: ", id="one-tuple"),
    pytest.param([("10.0.9.6", 2181, 9998, "x")], "zookeepers.0: ", id="four-tuple"),
    pytest.param(["10.0.9.6:2181"], "zookeepers.0: ", id="string-entry"),
    pytest.param([b"10.0.9.6:2181"], "zookeepers.0: ", id="bytes-entry"),
    pytest.param([2181], "zookeepers.0: ", id="int-entry"),
    pytest.param([ANY_NONE], "zookeepers.0: ", id="none-entry"),
    pytest.param([("zk 0;reboot", 2181)], "zookeepers.0.host: ", id="bad-host"),
    pytest.param([("fe80::1%eth0", 2181)], "zookeepers.0.host: ", id="host-zone-index"),
    pytest.param([(21810000, 2181)], "zookeepers.0.host: ", id="int-host"),
    pytest.param([("10.0.9.6", 0)], "zookeepers.0.port: ", id="port-0"),
    pytest.param([("10.0.9.6", "02181")], "zookeepers.0.port: ", id="port-leading-zero"),
    pytest.param([("10.0.9.6", True)], "zookeepers.0.port: ", id="port-bool"),
    pytest.param([("10.0.9.6", 2181.0)], "zookeepers.0.port: ", id="port-float"),
    pytest.param([("10.0.9.6", b"2181")], "zookeepers.0.port: ", id="port-bytes"),
    pytest.param([("10.0.9.6", ANY_NONE)], "zookeepers.0.port: ", id="port-none"),
    pytest.param([("10.0.9.6", 2181, 99980)], "zookeepers.0.rest_port: ", id="rest-port"),
    pytest.param(
        [{"host": "10.0.9.6", "port": "2181", "rest_port": "9998 "}],
        "zookeepers.0.rest_port: ",
        id="rest-port-space",
    ),
]


@pytest.mark.parametrize(("zookeepers", "prefix"), REFUSED_ZOOKEEPERS)
def test_a_bad_zookeeper_list_raises_and_writes_and_stores_nothing(zookeepers: Any, prefix: str):
    error = refuse(lambda provides: provides.send_zookeepers(zookeepers))

    message = str(error)
    assert message.startswith(prefix)
    for value in leaves(zookeepers):
        if len(value) > 3:
            assert value not in message


def test_an_object_with_a_host_but_no_port_is_refused():
    @dataclasses.dataclass
    class HostOnly:
        host: str

    # The type (ZookeeperEntry) refuses it too: the runtime check is for untyped callers.
    without_port = [HostOnly("10.0.9.6")]
    error = refuse(lambda provides: provides.send_zookeepers(without_port))  # pyright: ignore[reportArgumentType]

    assert str(error).startswith("zookeepers.0.port: ")


@pytest.mark.parametrize(
    "host", ["kafka-0.example.com", "kafka.", "10.0.0.5", "fd00::5", "KAFKA0", "a" * 63 + ".b"]
)
def test_good_hosts_are_written_as_given(host: str):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), send(65535, host))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "65535", "host": host}


# --- 3. The warning about a port without zookeepers -----------------------------------------


# One message for a list never sent and an empty one sent (`send_zookeepers([])`): it must
# not ask a charm that did call send_zookeepers to call it.
WARNING = (
    "kafka: the port is sent without a non-empty zookeeper list; legacy clients do not use "
    "this unit until send_zookeepers() gives them one"
)


def test_a_port_without_zookeepers_is_warned_about_once_at_the_end_of_the_hook(
    caplog: pytest.LogCaptureFixture,
):
    ctx = kafka_context()
    state = testing.State(relations=[client_relation()])

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.kafka.send_connection(9092)
        assert warnings_logged(ctx, caplog) == []  # not yet: the charm may still send the list
        state = mgr.run()
    assert warnings_logged(ctx, caplog) == [WARNING]

    for call in (send(9092), send(9093, "kafka.example"), lambda p: p.published()):
        with ctx(ctx.on.update_status(), state) as mgr:
            call(mgr.charm.kafka)
            state = mgr.run()
        assert warnings_logged(ctx, caplog) == []


@pytest.mark.parametrize("zookeepers_first", [True, False])
def test_no_warning_when_the_list_is_sent_in_the_same_hook_in_either_order(
    zookeepers_first: bool, caplog: pytest.LogCaptureFixture
):
    ctx = kafka_context()

    with ctx(ctx.on.update_status(), testing.State()) as mgr:
        if zookeepers_first:
            mgr.charm.kafka.send_zookeepers([ZK5])
        mgr.charm.kafka.send_connection(9092)
        if not zookeepers_first:
            mgr.charm.kafka.send_zookeepers([ZK5])
        mgr.run()

    assert warnings_logged(ctx, caplog) == []


def test_no_warning_for_a_zookeeper_list_without_a_port_nor_for_nothing_sent(
    caplog: pytest.LogCaptureFixture,
):
    ctx = kafka_context()
    state = ctx.run(ctx.on.update_status(), testing.State())
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.kafka.send_zookeepers([ZK5])
        mgr.run()

    assert warnings_logged(ctx, caplog) == []


def test_the_warning_comes_again_after_the_list_was_sent_and_then_removed(
    caplog: pytest.LogCaptureFixture,
):
    ctx = kafka_context()
    state = testing.State(relations=[client_relation()])
    logged: list[list[str]] = []

    for call in (
        send(9092),  # warned
        send_zookeepers([ZK5]),  # fine now
        send_zookeepers([]),  # an empty list is no list: warned again
        send(9093),  # still the same problem: not again
        send_zookeepers([ZK6]),
        KafkaProvides.clear_connection,
        send(9092),  # warned again
    ):
        with ctx(ctx.on.update_status(), state) as mgr:
            call(mgr.charm.kafka)
            state = mgr.run()
        logged.append(warnings_logged(ctx, caplog))

    assert logged == [[WARNING], [], [WARNING], [], [], [], [WARNING]]


@pytest.mark.parametrize(
    ("legacy_list", "warned"),
    [
        pytest.param(LIST_5, False, id="the-reactive-charms-list"),
        pytest.param(None, True, id="no-list"),
        pytest.param("[]", True, id="an-empty-list"),
        pytest.param("not json", True, id="a-malformed-list"),
    ],
)
def test_after_a_refresh_a_port_alone_is_warned_about_only_when_no_list_is_on_the_wire(
    legacy_list: str | None, warned: bool, caplog: pytest.LogCaptureFixture
):
    # What a refresh from the reactive charm leaves: its port, and maybe its list, in this
    # unit's databag; the ops charm then sends only the port.
    local = {**JUJU_DEFAULTS, "port": "9092"}
    if legacy_list is not None:
        local["zookeepers"] = legacy_list
    relation = client_relation(local=local)
    ctx = kafka_context()
    state = ctx.run(ctx.on.upgrade_charm(), testing.State(relations=[relation]))
    assert warnings_logged(ctx, caplog) == []

    with ctx(ctx.on.config_changed(), state) as mgr:
        mgr.charm.kafka.send_connection(9092)
        state = mgr.run()

    assert warnings_logged(ctx, caplog) == ([WARNING] if warned else [])
    assert local_data(state, relation).get("zookeepers") == legacy_list  # the list stays


def test_a_port_alone_is_warned_about_once_a_relation_holds_no_list(
    caplog: pytest.LogCaptureFixture,
):
    legacy = client_relation(local={**JUJU_DEFAULTS, "port": "9092", "zookeepers": LIST_5})
    ctx = kafka_context()
    with ctx(ctx.on.upgrade_charm(), testing.State(relations=[legacy])) as mgr:
        mgr.charm.kafka.send_connection(9092)
        state = mgr.run()
    assert warnings_logged(ctx, caplog) == []

    # A relation created later gets the port only: its legacy clients wait.
    added = client_relation()
    state = ctx.run(
        ctx.on.relation_created(added), dataclasses.replace(state, relations=[legacy, added])
    )
    assert local_data(state, added).get("zookeepers") is None
    assert warnings_logged(ctx, caplog) == [WARNING]

    # The charm's own list replaces the legacy one everywhere: fine; an empty one is no list.
    logged: list[list[str]] = []
    for call in (send_zookeepers([ZK6]), send_zookeepers([])):
        with ctx(ctx.on.update_status(), state) as mgr:
            call(mgr.charm.kafka)
            state = mgr.run()
        logged.append(warnings_logged(ctx, caplog))
    assert logged == [[], [WARNING]]


# --- 4. Wire to requirer: legacy bytes in, plain values out ----------------------------------


def test_requirer_reads_host_from_private_address_and_hands_over_legacy_strings():
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1, zookeepers=LIST_56)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (
            k.get_kafka_ip(),
            k.get_kafka_port(),
            k.kafkas(),
            k.zookeepers(),
            k.read(),
            k.read(k.relations[0]),
        ),
    )

    assert answers[:2] == (address(0), "9092")
    assert answers[2] == [
        {"host": address(0), "port": "9092"},
        {"host": address(1), "port": "9092"},
    ]
    assert answers[3] == [
        {"host": "10.0.9.5", "port": "2181", "rest_port": "9998"},
        {"host": "10.0.9.6", "port": "2181", "rest_port": "9998"},
    ]
    assert plain(answers[4]) == offer(kb(0), kb(1), zookeepers=[ZK5, ZK6])
    assert plain(answers[5]) == plain(answers[4])
    assert isinstance(answers[4].brokers[0].port, int)
    assert isinstance(answers[4].zookeepers[0].port, int)
    assert isinstance(answers[4].zookeepers[0].rest_port, int)


def test_a_rest_port_that_is_null_or_absent_is_none():
    zookeepers = (
        '[{"host": "10.0.9.7", "port": "2182", "rest_port": null}, {"host": "h", "port": "1"}]'
    )
    relation = kafka_relation({0: kafka_unit(0, zookeepers=zookeepers)})

    answers = ask(testing.State(relations=[relation]), lambda k: (k.zookeepers(), k.read()))

    assert answers[0] == [
        {"host": "10.0.9.7", "port": "2182", "rest_port": None},
        {"host": "h", "port": "1", "rest_port": None},
    ]
    assert servers(answers[1].zookeepers) == (ZK7, ("h", 1, None))


def test_requirer_writes_nothing():
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = client_context()

    out = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert local_data(out, relation) == JUJU_DEFAULTS
    assert out.get_relation(relation.id).local_app_data == {}


@pytest.mark.parametrize("host", ["kafka-0.example.com", "10.9.9.9", "fd00::5"])
def test_the_host_key_wins_over_private_address(host: str):
    relation = kafka_relation({0: kafka_unit(0, host=host)})

    answers = ask(
        testing.State(relations=[relation]), lambda k: (k.get_kafka_ip(), k.read().brokers)
    )

    assert answers[0] == host
    assert answers[1] == (KafkaBroker(unit_name="kafka/0", host=host, port=9092),)


def test_brokers_and_zookeepers_give_host_port_with_ipv6_hosts_in_brackets():
    zookeepers = '[{"host": "fd00::9", "port": "2181"}, {"host": "10.0.9.5", "port": "2182"}]'
    relation = kafka_relation(
        {
            0: kafka_unit(0, host="fd00::5", zookeepers=zookeepers),
            1: kafka_unit(1, host="kafka-1.example.com", zookeepers=zookeepers),
        }
    )

    offered = ask(testing.State(relations=[relation]), KafkaRequires.read)

    assert [broker.address for broker in offered.brokers] == [
        "[fd00::5]:9092",
        "kafka-1.example.com:9092",
    ]
    assert [server.address for server in offered.zookeepers] == [
        "[fd00::9]:2181",
        "10.0.9.5:2182",
    ]
    assert offered.brokers[0].host == "fd00::5"  # the host itself stays as Juju writes it


@pytest.mark.parametrize(
    ("key", "raw"),
    [("port", '"9092"'), ("host", '"kafka.example"'), ("private-address", f'"{address(0)}"')],
)
def test_values_a_legacy_build_json_quoted_are_read_as_plain(key: str, raw: str):
    relation = kafka_relation({0: kafka_unit(0, **{key: raw})})

    answers = ask(testing.State(relations=[relation]), lambda k: (k.kafkas(), k.malformed_units()))

    host = "kafka.example" if key == "host" else address(0)
    assert answers == ([{"host": host, "port": "9092"}], [])


def test_a_unit_without_a_valid_port_is_not_usable_and_its_zookeepers_do_not_count():
    relation = kafka_relation(
        {
            0: kafka_unit(0, port=None, zookeepers=LIST_6),
            1: kafka_unit(1, port="http", zookeepers=LIST_67),
            2: kafka_unit(2, port="9093"),
        }
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.read(), k.is_connected(), k.is_available(), k.zookeepers()),
    )

    assert (plain(answers[0]), *answers[1:3]) == (offer(kb(2, port=9093)), True, True)
    assert answers[3] == [{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]


def test_a_broker_without_a_zookeeper_list_is_usable_with_no_zookeepers():
    relation = kafka_relation(
        {0: kafka_unit(0, zookeepers=None), 1: kafka_unit(1, zookeepers="[]")}
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.read(), k.is_available(), k.zookeepers(), k.get_kafka_port()),
    )

    assert (plain(answers[0]), *answers[1:]) == (
        offer(kb(0), kb(1), zookeepers=()),
        True,
        [],
        "9092",
    )


def test_nothing_usable_answers_empty_and_the_legacy_getters_raise():
    relation = kafka_relation({0: kafka_unit(0, port=None)})
    state = testing.State(relations=[relation])

    answers = ask(state, lambda k: (k.read(), k.kafkas(), k.zookeepers(), k.is_available()))

    assert (plain(answers[0]), *answers[1:]) == (NOTHING, [], [], False)
    for getter in (KafkaRequires.get_kafka_ip, KafkaRequires.get_kafka_port):
        with pytest.raises(NoKafkaBrokerError, match="no kafka unit"):
            ask(state, getter)
        with pytest.raises(NoKafkaBrokerError):
            ask(testing.State(), getter)
    assert ask(testing.State(), KafkaRequires.is_connected) is False


def test_no_kafka_broker_error_is_an_exception_as_the_legacy_except_clause_expects():
    assert issubclass(NoKafkaBrokerError, Exception)
    assert not issubclass(NoKafkaBrokerError, ValueError)


def test_brokers_come_in_unit_number_order_unit_10_after_unit_2():
    relation = kafka_relation(
        {10: kafka_unit(10), 2: kafka_unit(2, port="9093"), 1: kafka_unit(1, port=None)}
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.get_kafka_ip(), k.get_kafka_port(), k.kafkas()),
    )

    assert answers == (
        address(2),
        "9093",
        [{"host": address(2), "port": "9093"}, {"host": address(10), "port": "9092"}],
    )


def test_several_relations_oldest_first_and_the_first_usable_broker_wins():
    newer = kafka_relation({0: kafka_unit(5, zookeepers=LIST_56)}, relation_id=82)
    older = kafka_relation({0: kafka_unit(0, port=None), 1: kafka_unit(1)}, relation_id=42)
    unusable = kafka_relation({0: kafka_unit(7, port=None)}, relation_id=3)
    state = testing.State(relations=[newer, older, unusable])

    answers = ask(
        state,
        lambda k: (k.read(), [k.read(r) for r in k.relations], k.get_kafka_ip(), k.zookeepers()),
    )

    other = ("kafka/0", address(5), 9092)
    assert plain(answers[0]) == offer(kb(1), other, zookeepers=[ZK5, ZK6])
    assert [plain(each) for each in answers[1]] == [
        offer(zookeepers=()),
        offer(kb(1)),
        offer(other, zookeepers=[ZK5, ZK6]),
    ]
    assert answers[2] == address(1)
    assert [z["host"] for z in answers[3]] == ["10.0.9.5", "10.0.9.6"]


def test_zookeepers_are_de_duplicated_in_order_of_first_appearance():
    relation = kafka_relation(
        {
            0: kafka_unit(0, zookeepers=LIST_6),
            1: kafka_unit(1, zookeepers=LIST_56),
            2: kafka_unit(2, zookeepers=LIST_67),
        }
    )

    answers = ask(testing.State(relations=[relation]), lambda k: (k.zookeepers(), k.read()))

    assert answers[0] == [
        {"host": "10.0.9.6", "port": "2181", "rest_port": "9998"},
        {"host": "10.0.9.5", "port": "2181", "rest_port": "9998"},
        {"host": "10.0.9.7", "port": "2182", "rest_port": None},
    ]
    assert servers(answers[1].zookeepers) == (ZK6, ZK5, ZK7)


def test_zookeepers_are_de_duplicated_across_relations():
    older = kafka_relation({0: kafka_unit(0, zookeepers=LIST_67)}, relation_id=4)
    newer = kafka_relation({0: kafka_unit(1, zookeepers=LIST_56)}, relation_id=5)

    answers = ask(
        testing.State(relations=[newer, older]),
        lambda k: (k.read().zookeepers, [k.read(r).zookeepers for r in k.relations]),
    )

    assert servers(answers[0]) == (ZK6, ZK7, ZK5)
    assert [servers(each) for each in answers[1]] == [(ZK6, ZK7), (ZK5, ZK6)]


LIST_5_WITHOUT_REST_PORT = '[{"host": "10.0.9.5", "port": "2181", "rest_port": null}]'
LIST_5_OTHER_REST_PORT = '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9999"}]'


@pytest.mark.parametrize(
    ("first", "second", "rest_port"),
    [
        pytest.param(LIST_5_WITHOUT_REST_PORT, LIST_5, 9998, id="none-then-9998"),
        pytest.param(LIST_5, LIST_5_WITHOUT_REST_PORT, 9998, id="9998-then-none"),
        pytest.param(LIST_5, LIST_5_OTHER_REST_PORT, 9998, id="9998-then-9999"),
        pytest.param(LIST_5_OTHER_REST_PORT, LIST_5, 9999, id="9999-then-9998"),
        pytest.param('[["10.0.9.5", 2181]]', LIST_5_WITHOUT_REST_PORT, None, id="none-at-all"),
    ],
)
def test_a_server_sent_with_two_rest_ports_is_listed_once_with_the_first_one_sent(
    first: str, second: str, rest_port: int | None
):
    # Two kafka builds, during an upgrade, send one zookeeper server with and without its
    # REST port. Unit 10 comes after unit 2: unit-number order, not the names' order.
    relation = kafka_relation(
        {10: kafka_unit(10, zookeepers=second), 2: kafka_unit(2, zookeepers=first)}
    )
    session = Session(client_context(), testing.State(relations=[relation]))
    server: Server = ("10.0.9.5", 2181, rest_port)

    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id, kb(2), kb(10), zookeepers=[server]),
    ]
    answers = ask(session.state, lambda k: (k.zookeepers(), k.read()))
    rest = None if rest_port is None else str(rest_port)
    assert answers[0] == [{"host": "10.0.9.5", "port": "2181", "rest_port": rest}]
    assert servers(answers[1].zookeepers) == (server,)


def test_a_rest_port_missing_on_an_older_relation_is_taken_from_a_newer_one():
    older = kafka_relation({0: kafka_unit(0, zookeepers=LIST_5_WITHOUT_REST_PORT)}, relation_id=4)
    newer = kafka_relation({0: kafka_unit(1, zookeepers=LIST_5)}, relation_id=5)

    answers = ask(
        testing.State(relations=[newer, older]),
        lambda k: (k.zookeepers(), [servers(k.read(r).zookeepers) for r in k.relations]),
    )

    assert answers[0] == [{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]
    assert answers[1] == [(("10.0.9.5", 2181, None),), (ZK5,)]


def test_zookeeper_entries_in_older_and_looser_forms_are_read():
    zookeepers = json.dumps(
        [
            ["10.0.9.5", "2181"],  # the oldest builds wrote pairs
            ["10.0.9.6", 2181],
            {"host": "10.0.9.7", "port": 2182, "rest_port": None},  # integer ports
            {"host": "zk.example", "port": "1", "rest_port": 2, "id": 3, "x": [{}]},  # extra keys
        ]
    )
    relation = kafka_relation({0: kafka_unit(0, zookeepers=zookeepers)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.read().zookeepers, k.zookeepers(), k.malformed_units()),
    )

    assert servers(answers[0]) == (
        ("10.0.9.5", 2181, None),
        ("10.0.9.6", 2181, None),
        ZK7,
        ("zk.example", 1, 2),
    )
    assert answers[1][3] == {"host": "zk.example", "port": "1", "rest_port": "2"}
    assert answers[2] == []


def test_the_typed_read_is_frozen():
    relation = kafka_relation({0: kafka_unit(0)})
    result = ask(testing.State(relations=[relation]), KafkaRequires.read)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.brokers = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        result.brokers[0].port = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        result.zookeepers[0].port = 1  # type: ignore[misc]


# --- 5. Per-field tolerance and hostile values ------------------------------------------------

HOSTILE: list[Any] = [
    # (field, raw value, whether unit 0 stays usable, whether its zookeepers still count)
    pytest.param("port", "0", False, False, id="port-0"),
    pytest.param("port", "65536", False, False, id="port-65536"),
    pytest.param("port", "09092", False, False, id="port-leading-zero"),
    pytest.param("port", "9092.0", False, False, id="port-float"),
    pytest.param("port", "true", False, False, id="port-true"),
    pytest.param("port", '"\\ud800"', False, False, id="port-lone-surrogate"),
    pytest.param("port", '"90\\x92"', False, False, id="port-bad-json-escape"),
    pytest.param("port", '"90","92"', False, False, id="port-two-json-strings"),
    pytest.param("port", "9092\x00", False, False, id="port-nul"),
    pytest.param("port", "1" * MIB, False, False, id="port-1MiB"),
    pytest.param("host", "kafka 0;reboot", True, True, id="host-shell"),
    pytest.param("host", '"kafka\\ud800.example"', True, True, id="host-lone-surrogate"),
    pytest.param("host", "kafka\x1b[2J.example", True, True, id="host-control-characters"),
    pytest.param("host", "a" * MIB, True, True, id="host-1MiB"),
    pytest.param("host", "fe80::1%eth0", True, True, id="host-zone-index"),
    pytest.param("host", "10.9.9.300", True, True, id="host-bad-ipv4"),
    pytest.param("host", "fd00::zz", True, True, id="host-bad-ipv6"),
    pytest.param("private-address", "10.9.9.9 ", False, False, id="private-address-bad"),
    pytest.param("zookeepers", "10.0.9.5:2181", True, False, id="zookeepers-not-json"),
    pytest.param("zookeepers", "{}", True, False, id="zookeepers-object"),
    pytest.param("zookeepers", "null", True, False, id="zookeepers-null"),
    pytest.param("zookeepers", json.dumps(LIST_5), True, False, id="zookeepers-json-string"),
    pytest.param("zookeepers", "[" * 100000, True, False, id="zookeepers-100000-brackets"),
    pytest.param(
        "zookeepers", "[" * 30000 + "]" * 30000, True, False, id="zookeepers-nested-too-deep"
    ),
    pytest.param(
        "zookeepers", LIST_5[:-1] + " " * LIMIT + "]", True, False, id="zookeepers-over-64KiB"
    ),
    pytest.param("zookeepers", "[" * MIB, True, False, id="zookeepers-1MiB"),
]


@pytest.mark.parametrize(("field", "value", "usable", "its_zookeepers"), HOSTILE)
def test_a_malformed_field_counts_as_absent_alone_and_is_reported_without_its_value(
    field: str,
    value: str,
    usable: bool,
    its_zookeepers: bool,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    relation = kafka_relation(
        {0: kafka_unit(0, **{field: value}), 1: kafka_unit(1, zookeepers=LIST_6)}
    )
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        kafka = mgr.charm.kafka
        malformed = kafka.malformed_units()
        assert kafka.malformed_units() == malformed
        result = kafka.read()

    brokers = [kb(0)] if usable else []
    zookeepers = [ZK5, ZK6] if its_zookeepers else [ZK6]
    assert plain(result) == offer(*brokers, kb(1), zookeepers=zookeepers)
    assert seen == [
        connected(relation.id),
        available(relation.id, *brokers, kb(1), zookeepers=zookeepers),
    ]
    assert malformed == [MalformedUnit(relation.id, "kafka/0", (field,), malformed[0].reason)]
    assert malformed[0].reason.startswith(f"{field}: ")
    assert str(malformed[0]) == f"kafka/0 sent a malformed {field}"
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert warnings[0].name == LOGGER
    assert f"relation {relation.id}" in message
    assert "kafka/0" in message
    assert field in message
    assert len(message) < 300
    decoded = value.strip('"')
    for text in (caplog.text, repr(malformed), str(malformed[0]), *ctx.juju_log):
        for secret in (value, decoded):
            if len(secret) > 5:  # shorter ones may be part of any message
                assert secret not in str(text)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10.0.9.5:2181", "zookeepers: is not JSON"),
        ("{}", "zookeepers: is not a JSON list"),
        ('"[]"', "zookeepers: is not a JSON list"),
        ("[" * 30000 + "]" * 30000, "zookeepers: is nested too deep"),
        ("[" * 100000, "zookeepers: is longer than 65536 characters"),
    ],
    ids=["not-json", "object", "string", "nested-too-deep", "too-long"],
)
def test_a_zookeeper_list_malformed_as_a_whole_says_why(value: str, reason: str):
    relation = kafka_relation({0: kafka_unit(0, zookeepers=value)})

    (malformed,) = ask(testing.State(relations=[relation]), KafkaRequires.malformed_units)

    assert malformed.reason == reason


def test_a_zookeeper_list_of_exactly_64_kib_is_read():
    value = LIST_5[:-1] + " " * (LIMIT - len(LIST_5)) + "]"
    assert len(value) == LIMIT
    relation = kafka_relation({0: kafka_unit(0, zookeepers=value)})

    answers = ask(testing.State(relations=[relation]), lambda k: (k.read(), k.malformed_units()))

    assert (plain(answers[0]), answers[1]) == (offer(kb(0)), [])


def test_a_bad_zookeeper_list_does_not_hide_a_good_port():
    relation = kafka_relation({0: kafka_unit(0, zookeepers="not json")})

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.get_kafka_port(), k.kafkas(), k.zookeepers(), k.is_available()),
    )

    assert answers == ("9092", [{"host": address(0), "port": "9092"}], [], True)


def test_each_bad_zookeeper_entry_counts_as_absent_alone(caplog: pytest.LogCaptureFixture):
    entries: list[Any] = [
        {"host": "10.0.9.5", "port": "2181", "rest_port": "9998"},
        {"host": "10.0.9.6"},  # 1: no port
        {"port": "2181"},  # 2: no host
        ["10.0.9.7", 2182],
        "10.0.9.8:2181",  # 4: a string
        ["10.0.9.8", "2181", "9998"],  # 5: a triple is no legacy form
        {"host": "secret host!", "port": "2181"},  # 6: a bad host
        {"host": "10.0.9.9", "port": True},  # 7: a bool port
        {"host": "10.0.9.9", "port": "2181", "rest_port": "99999"},  # 8: a bad REST port
        None,  # 9
        42,  # 10
        {"host": "10.0.9.6", "port": "2181", "rest_port": "9998"},
    ]
    relation = kafka_relation({0: kafka_unit(0, zookeepers=json.dumps(entries))})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        (malformed,) = mgr.charm.kafka.malformed_units()

    assert seen == [
        connected(relation.id),
        available(relation.id, kb(0), zookeepers=[ZK5, ("10.0.9.7", 2182, None), ZK6]),
    ]
    assert malformed.fields == ("zookeepers",)
    problems = malformed.reason.removeprefix("zookeepers: ").split("; ")
    assert [problem.split(":")[0] for problem in problems] == [
        "1.port",
        "2.host",
        "4",
        "5",
        "6.host",
        "7.port",
        "8.rest_port",
        "9",
        "10",
    ]
    assert "secret host!" not in caplog.text
    assert "secret host!" not in malformed.reason


def test_bad_fields_and_bad_entries_are_all_named_together():
    relation = kafka_relation(
        {
            0: kafka_unit(
                0,
                port="x",
                host="bad host",
                zookeepers='[{"host": "bad host", "port": "1"}, ["10.0.9.6", "2181"]]',
            )
        }
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.malformed_units(), k.read(), k.is_connected()),
    )

    (malformed,) = answers[0]
    assert malformed.fields == ("zookeepers", "port", "host")
    assert str(malformed) == "kafka/0 sent a malformed zookeepers, port, host"
    assert malformed.reason == (
        "zookeepers: 0.host: must be a host name or an IP address; "
        "port: must be a port number, such as 9092; "
        "host: must be a host name or an IP address"
    )
    assert (plain(answers[1]), answers[2]) == (NOTHING, True)


def test_a_malformed_host_falls_back_to_private_address():
    relation = kafka_relation({0: kafka_unit(0, host="not a host!")})

    answers = ask(
        testing.State(relations=[relation]), lambda k: (k.get_kafka_ip(), k.malformed_units())
    )

    assert answers[0] == address(0)
    assert [str(m) for m in answers[1]] == ["kafka/0 sent a malformed host"]


def test_a_malformed_host_and_private_address_leave_the_unit_unusable():
    relation = kafka_relation(
        {0: kafka_unit(0, host="bad host", **{"private-address": "bad too"})}
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.read(), k.is_connected(), k.malformed_units()),
    )

    assert plain(answers[0]) == NOTHING
    assert answers[1] is True
    (malformed,) = answers[2]
    assert malformed.fields == ("host", "private-address")
    assert str(malformed) == "kafka/0 sent a malformed host, private-address"
    assert "bad" not in malformed.reason


def test_a_unit_is_logged_once_per_hook_however_often_it_is_read_or_viewed(
    caplog: pytest.LogCaptureFixture,
):
    relation = kafka_relation({0: kafka_unit(0, port="x", zookeepers="y"), 1: kafka_unit(1)})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        # The charm itself emits a relation event first: a second view in the same hook.
        ops_relation = mgr.charm.model.get_relation("kafka", relation.id)
        assert ops_relation is not None
        remote = mgr.charm.model.get_unit("kafka/1")
        mgr.charm.on["kafka"].relation_changed.emit(ops_relation, ops_relation.app, remote)
        for _ in range(3):
            view(mgr.charm.kafka)
        mgr.run()
        malformed = mgr.charm.kafka.malformed_units()

    assert [(m.relation_id, m.unit_name, m.fields) for m in malformed] == [
        (relation.id, "kafka/0", ("zookeepers", "port"))
    ]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "zookeepers, port" in warnings[0].getMessage()


def test_malformed_units_lists_every_bad_unit_of_every_relation_in_order():
    older = kafka_relation({10: kafka_unit(10, port="x"), 2: kafka_unit(2, host="?")}, 3)
    newer = kafka_relation({0: kafka_unit(0, zookeepers="[1]"), 1: kafka_unit(1)}, 9)

    malformed = ask(testing.State(relations=[newer, older]), KafkaRequires.malformed_units)

    assert malformed == [
        MalformedUnit(3, "kafka/2", ("host",), "host: must be a host name or an IP address"),
        MalformedUnit(3, "kafka/10", ("port",), "port: must be a port number, such as 9092"),
        MalformedUnit(
            9,
            "kafka/0",
            ("zookeepers",),
            "zookeepers: 0: must be an object with a host and a port",
        ),
    ]


def test_keys_of_other_interfaces_are_ignored():
    relation = kafka_relation({0: kafka_unit(0, rest_port="x", version="3.4", secret="x")})

    answers = ask(testing.State(relations=[relation]), lambda k: (k.read(), k.malformed_units()))

    assert (plain(answers[0]), answers[1]) == (offer(kb(0)), [])


# --- 6. Requirer events and their order -------------------------------------------------------


def test_first_hook_fires_connected_then_available_with_brokers_and_zookeepers():
    relation = kafka_relation({10: kafka_unit(10), 2: kafka_unit(2, zookeepers=LIST_56)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 2) == [
        connected(relation.id),
        available(relation.id, kb(2), kb(10), zookeepers=[ZK5, ZK6]),
    ]
    assert session.changed(relation.id) == []
    assert session.update_status() == []


class PayloadCharm(ClientCharm):
    """Keeps each `available` payload with what `read(event.relation)` answers beside it."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.payloads: list[tuple[KafkaOffer, KafkaOffer]] = []
        framework.observe(self.kafka.on.available, self._keep)

    def _keep(self, event: KafkaAvailable) -> None:
        payload = KafkaOffer(event.brokers, event.zookeepers)
        self.payloads.append((payload, self.kafka.read(event.relation)))


def available_payload() -> tuple[KafkaOffer, KafkaOffer]:
    """The payload of the `available` event of a first hook, and `read()` beside it."""
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = testing.Context(PayloadCharm, meta=CLIENT_META, config=DEFER_CONFIG)
    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        ((payload, read),) = mgr.charm.payloads
    return payload, read


def test_the_event_payload_is_typed_and_holds_what_read_answers():
    payload, read = available_payload()

    assert plain(payload) == plain(read) == offer(kb(0))
    assert type(payload.brokers[0]) is KafkaBroker
    assert type(payload.zookeepers[0]) is ZookeeperServer
    assert type(read.zookeepers[0]) is ZookeeperServer


def test_a_current_event_payload_compares_equal_to_read_as_the_docstring_advises():
    payload, read = available_payload()

    assert payload == read
    assert read.zookeepers == (ZookeeperServer(host="10.0.9.5", port=2181, rest_port=9998),)


def test_a_unit_without_data_only_connects_and_becomes_usable_later():
    relation = kafka_relation({0: kafka_unit(0, port=None, zookeepers=None)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [connected(relation.id)]
    assert session.changed(relation.id, {0: kafka_unit(0, port=None)}) == []
    assert session.changed(relation.id, {0: kafka_unit(0)}) == [available(relation.id, kb(0))]


def test_a_second_unit_joining_fires_available_with_both():
    relation = kafka_relation({0: kafka_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    session.set_units(relation.id, {0: kafka_unit(0), 1: kafka_unit(1)})

    assert session.joined(relation.id, 1) == [available(relation.id, kb(0), kb(1))]


@pytest.mark.parametrize(
    ("change", "broker", "zookeepers"),
    [
        ({"port": "9093"}, kb(0, port=9093), [ZK5]),
        ({"host": "kafka.example"}, kb(0, host="kafka.example"), [ZK5]),
        ({"private-address": "10.3.0.1"}, kb(0, host="10.3.0.1"), [ZK5]),
        ({"zookeepers": LIST_56}, kb(0), [ZK5, ZK6]),
        ({"zookeepers": LIST_6}, kb(0), [ZK6]),
        (
            {"zookeepers": '[{"host": "10.0.9.5", "port": "2181", "rest_port": null}]'},
            kb(0),
            [("10.0.9.5", 2181, None)],
        ),
        ({"zookeepers": None}, kb(0), []),
        ({"zookeepers": "garbage"}, kb(0), []),
    ],
    ids=[
        "port",
        "host",
        "private-address",
        "a-server-more",
        "another-server",
        "rest-port-gone",
        "zookeepers-gone",
        "zookeepers-malformed",
    ],
)
def test_a_change_of_brokers_or_zookeepers_fires_available_again(
    change: dict[str, str | None], broker: Broker, zookeepers: list[Server]
):
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1, port=None)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(
        relation.id, {0: kafka_unit(0, **change), 1: kafka_unit(1, port=None)}
    ) == [available(relation.id, broker, zookeepers=zookeepers)]
    assert session.changed(relation.id) == []


NULL_REST_PORT = '[{"host": "10.0.9.5", "port": "2181", "rest_port": null}]'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({}, {"port": '"9092"'}),
        ({"zookeepers": NULL_REST_PORT}, {"zookeepers": '[["10.0.9.5", 2181]]'}),
        ({"zookeepers": NULL_REST_PORT}, {"zookeepers": '[{"host": "10.0.9.5", "port": 2181}]'}),
        ({}, {"zookeepers": '[{"rest_port": 9998, "port": 2181, "host": "10.0.9.5", "x": 1}]'}),
        ({}, {"zookeepers": LIST_5 + " "}),
        ({}, {"zookeepers": LIST_5[:-1] + ", " + LIST_5[1:]}),
        ({}, {"zookeepers": LIST_5[:-1] + ', ["10.0.9.5", "2181", "9998"]]'}),
        ({}, {"ingress-address": "10.9.9.9", "egress-subnets": "10.9.9.9/32"}),
        ({}, {"version": "3.4"}),
    ],
    ids=[
        "quoted-port",
        "pair",
        "no-rest-port-key",
        "reordered-keys",
        "whitespace",
        "duplicate",
        "malformed-entry",
        "juju-keys",
        "other-key",
    ],
)
def test_the_same_payload_written_differently_fires_nothing(
    before: dict[str, str], after: dict[str, str]
):
    relation = kafka_relation({0: kafka_unit(0, **before)})
    session = Session(client_context(), testing.State(relations=[relation]))
    assert session.changed(relation.id)[0] == connected(relation.id)

    assert session.changed(relation.id, {0: kafka_unit(0, **{**before, **after})}) == []


def test_withdrawing_ports_fires_available_with_the_rest_then_unavailable_then_available():
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: kafka_unit(0), 1: kafka_unit(1, port=None)}) == [
        available(relation.id, kb(0))
    ]
    assert session.changed(
        relation.id, {0: kafka_unit(0, port="x"), 1: kafka_unit(1, port=None)}
    ) == [unavailable(relation.id)]
    assert session.changed(relation.id) == []
    assert session.changed(relation.id, {0: kafka_unit(0), 1: kafka_unit(1, port=None)}) == [
        available(relation.id, kb(0))
    ]


@pytest.mark.parametrize("still_listed", [False, True])
def test_departure_fires_available_with_the_rest_then_the_ends_when_last(still_listed: bool):
    relation = kafka_relation({0: kafka_unit(0, zookeepers=LIST_6), 1: kafka_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0, still_listed=still_listed) == [
        available(relation.id, kb(1), zookeepers=[ZK5])
    ]
    if still_listed:
        session.departed(relation.id, 0)  # Juju's next view: the unit is gone
    assert session.departed(relation.id, 1, still_listed=still_listed) == [
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_departure_of_a_unit_that_was_never_usable_only_disconnects_when_last():
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1, port=None)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0) == [
        unavailable(relation.id),
        disconnected(relation.id),
    ]
    assert session.broken(relation.id) == []


def test_relation_broken_ends_everything_in_order():
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.broken(relation.id) == [unavailable(relation.id), disconnected(relation.id)]


def test_relation_broken_of_a_connected_relation_without_brokers_only_disconnects():
    relation = kafka_relation({0: kafka_unit(0, port=None)})
    session = Session(client_context(), testing.State(relations=[relation]))
    assert session.changed(relation.id) == [connected(relation.id)]

    assert session.broken(relation.id) == [disconnected(relation.id)]


def test_relation_broken_on_a_relation_never_seen_emits_nothing():
    relation = kafka_relation({})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.broken(relation.id) == []


def test_events_are_per_relation():
    first = kafka_relation({0: kafka_unit(0)}, relation_id=4)
    second = kafka_relation({0: kafka_unit(7, zookeepers=LIST_6)}, relation_id=5)
    session = Session(client_context(), testing.State(relations=[first, second]))
    assert session.changed(first.id) == [connected(first.id), available(first.id, kb(0))]
    other = ("kafka/0", address(7), 9092)
    assert session.changed(second.id) == [
        connected(second.id),
        available(second.id, other, zookeepers=[ZK6]),
    ]

    assert session.departed(first.id, 0) == [unavailable(first.id), disconnected(first.id)]
    assert plain(ask(session.state, KafkaRequires.read)) == offer(other, zookeepers=[ZK6])
    assert session.changed(second.id, {0: kafka_unit(7, zookeepers=LIST_56)}) == [
        available(second.id, other, zookeepers=[ZK5, ZK6])
    ]


def test_one_hook_ends_before_it_starts_relation_by_relation_oldest_first():
    ended = kafka_relation({0: kafka_unit(0)}, relation_id=3)
    started = kafka_relation({}, relation_id=7)
    session = Session(client_context(), testing.State(relations=[started, ended]))
    session.changed(ended.id)
    # Hooks were missed meanwhile (the charm was being refreshed, say).
    session.set_units(ended.id, {})
    session.set_units(started.id, {0: kafka_unit(1)})

    assert session.upgraded() == [
        unavailable(ended.id),
        disconnected(ended.id),
        connected(started.id),
        available(started.id, ("kafka/0", address(1), 9092)),
    ]


# --- 7. One view per hook ---------------------------------------------------------------------


@pytest.mark.parametrize("still_listed", [True, False])
@pytest.mark.parametrize("last", [False, True])
def test_during_departure_every_query_already_leaves_out_the_departing_unit(
    last: bool, still_listed: bool
):
    units = {0: kafka_unit(0)} if last else {0: kafka_unit(0), 1: kafka_unit(1, port="bad")}
    relation = kafka_relation(units)
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    if not still_listed:
        session.set_units(relation.id, {n: data for n, data in units.items() if n != 0})
    ctx = session.ctx

    event = ctx.on.relation_departed(
        session.relation(relation.id), remote_unit=0, departing_unit=0
    )
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views

    if last:
        expected: View = (False, False, NOTHING, None, [], [], [], [relation.id])
        names = ["KafkaUnavailable", "KafkaDisconnected", "RelationDepartedEvent"]
    else:
        expected = (True, False, NOTHING, None, [], [], ["kafka/1"], [relation.id])
        names = ["KafkaUnavailable", "RelationDepartedEvent"]
    assert [name for name, _ in views] == [*names, "CollectStatusEvent"]
    for _, answered in views:
        assert answered == expected


@pytest.mark.parametrize(("unit", "relation_id", "departing"), DEPARTING_ENVIRONMENTS)
def test_the_departing_unit_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, departing: Any
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert kafka_library._departing_in_this_hook() == departing  # pyright: ignore[reportPrivateUsage]


def test_during_departure_a_deferred_events_handler_already_sees_the_departing_unit_gone():
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1)})

    charm = run_departure_after_a_deferred_event(
        client_context(DeferringWatcherCharm), relation, 1
    )

    assert isinstance(charm, DeferringWatcherCharm)
    # The deferred `available` ran first; collect-status last: one view of the hook.
    assert len(charm.views) >= 2
    assert charm.views[0] == charm.views[-1]


def test_during_departure_of_one_of_two_units_the_available_event_and_queries_agree():
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1, zookeepers=LIST_6)})
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    event = ctx.on.relation_departed(relation, remote_unit=1, departing_unit=1)
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        seen = mgr.charm.seen

    assert seen == [available(relation.id, kb(0))]
    expected: View = (
        True,
        True,
        offer(kb(0)),
        (address(0), "9092"),
        [{"host": address(0), "port": "9092"}],
        [{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}],
        [],
        [relation.id],
    )
    assert [name for name, _ in views] == [
        "KafkaAvailable",
        "RelationDepartedEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == expected


def test_during_relation_broken_the_relation_is_gone_for_every_query():
    relation = kafka_relation({0: kafka_unit(0, host="bad host")})
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    with ctx(ctx.on.relation_broken(relation), session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        broken = mgr.charm.model.get_relation("kafka", relation.id)
        assert broken is not None
        in_broken = mgr.charm.kafka.read(broken)

    assert [name for name, _ in views] == [
        "KafkaUnavailable",
        "KafkaDisconnected",
        "RelationBrokenEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == (False, False, NOTHING, None, [], [], [], [])
    assert plain(in_broken) == NOTHING


def count_reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Record each databag the library reads, and each validation of one, by unit address."""
    reads: list[str] = []
    validations: list[str] = []
    read_databag = kafka_library._read_databag
    validate = KafkaProviderData.model_validate

    def counting_reads(databag: Mapping[str, str], valid_lists: Any) -> Any:
        reads.append(databag.get("private-address", ""))
        return read_databag(databag, valid_lists)

    def counting_validations(values: Any, *args: Any, **kwargs: Any) -> Any:
        validations.append(values.get("private-address", ""))
        return validate(values, *args, **kwargs)

    monkeypatch.setattr(kafka_library, "_read_databag", counting_reads)
    monkeypatch.setattr(KafkaProviderData, "model_validate", counting_validations)
    return reads, validations


def ask_everything(kafka: KafkaRequires) -> None:
    for _ in range(3):
        view(kafka)
        for relation in kafka.relations:
            kafka.read(relation)


def test_each_databag_is_read_and_validated_once_per_hook(monkeypatch: pytest.MonkeyPatch):
    relation = kafka_relation({n: kafka_unit(n) for n in range(3)})
    other = kafka_relation({0: kafka_unit(3)})
    session = Session(
        client_context(WatchingClientCharm), testing.State(relations=[relation, other])
    )
    reads, validations = count_reads(monkeypatch)
    ctx = session.ctx

    with ctx(ctx.on.relation_changed(relation, remote_unit=1), session.state) as mgr:
        mgr.run()
        ask_everything(mgr.charm.kafka)
        assert len(mgr.charm.seen) == 2  # connected, available
        assert len(mgr.charm.views) == 2  # in available and in collect-status

    assert sorted(reads) == [address(0), address(1), address(2), address(3)]
    assert sorted(validations) == sorted(reads)


def test_a_databag_with_bad_fields_is_validated_once_more_without_them(
    monkeypatch: pytest.MonkeyPatch,
):
    relation = kafka_relation({0: kafka_unit(0, host="bad host"), 1: kafka_unit(1)})
    reads, validations = count_reads(monkeypatch)

    ask(testing.State(relations=[relation]), ask_everything)

    assert sorted(reads) == [address(0), address(1)]
    assert sorted(validations) == [address(0), address(0), address(1)]


def test_a_new_hook_reads_the_databags_afresh(monkeypatch: pytest.MonkeyPatch):
    relation = kafka_relation({0: kafka_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    reads, _ = count_reads(monkeypatch)

    session.changed(relation.id)
    assert session.changed(relation.id, {0: kafka_unit(0, port="9093")}) == [
        available(relation.id, kb(0, port=9093))
    ]
    assert reads == [address(0), address(0)]


# --- 8. Provider events -----------------------------------------------------------------------


def test_provider_connected_on_a_clients_first_unit_only():
    relation = client_relation(())
    session = Session(kafka_context(), testing.State(relations=[relation]))

    assert session.run(session.ctx.on.relation_created(relation)) == []
    session.set_units(relation.id, {0: JUJU_DEFAULTS})
    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    session.set_units(relation.id, {0: JUJU_DEFAULTS, 1: JUJU_DEFAULTS})
    assert session.joined(relation.id, 1) == []
    assert session.changed(relation.id) == []


def test_provider_available_when_its_port_was_already_sent_as_the_client_joins():
    relation = client_relation(())
    state = publish(testing.State(relations=[relation]), send(9092))
    session = Session(kafka_context(), state)
    session.set_units(relation.id, {0: JUJU_DEFAULTS})

    assert session.joined(relation.id, 0) == [
        client_connected(relation.id),
        client_available(relation.id),
    ]


def test_provider_available_when_a_client_relation_is_created_with_units_already_there():
    relation = client_relation((0,))
    state = publish(testing.State(), send_both())
    session = Session(kafka_context(), dataclasses.replace(state, relations=[relation]))

    assert session.run(session.ctx.on.relation_created(relation)) == [
        client_connected(relation.id),
        client_available(relation.id),
    ]
    assert local_data(session.state, relation)["port"] == "9092"


def test_provider_available_fires_from_inside_send_connection_after_the_client_joined():
    relation = client_relation()
    session = Session(kafka_context(), testing.State(relations=[relation]))
    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    ctx = session.ctx

    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.kafka.send_zookeepers([ZK5])
        assert mgr.charm.seen == []  # a zookeeper list alone is no port
        assert not mgr.charm.kafka.is_available()
        mgr.charm.kafka.send_connection(9092)
        assert mgr.charm.seen == [client_available(relation.id)]
        assert mgr.charm.kafka.is_available()
        # Sending again, or something else, is no new availability.
        mgr.charm.kafka.send_connection(9093, "kafka.example")
        mgr.charm.kafka.send_zookeepers([ZK6])
        assert mgr.charm.seen == [client_available(relation.id)]
        state = mgr.run()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.kafka.clear_connection()
        assert mgr.charm.seen == [client_unavailable(relation.id)]
        assert mgr.charm.kafka.is_connected()
        assert not mgr.charm.kafka.is_available()
        mgr.run()


@pytest.mark.parametrize("port", ["9092", '"9092"'])
def test_provider_refreshed_from_the_reactive_charm_counts_its_legacy_port_on_upgrade(port: str):
    legacy = {**JUJU_DEFAULTS, "port": port, "zookeepers": LIST_5}
    relation = client_relation((0, 1), local=legacy)
    session = Session(kafka_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [client_connected(relation.id), client_available(relation.id)]
    assert session.upgraded() == []
    # The charm then withdraws what its reactive version wrote.
    session.state = publish(session.state, KafkaProvides.clear_connection)
    assert local_data(session.state, relation) == JUJU_DEFAULTS
    assert session.departed(relation.id, 0) == []
    assert session.departed(relation.id, 1) == [client_disconnected(relation.id)]


class RefreshedKafkaCharm(KafkaCharm):
    """The provider example of the library's docstring: it sends in config-changed."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        self.kafka.send_zookeepers([ZK5])
        self.kafka.send_connection(9092)


def test_a_refreshed_provider_sending_what_its_reactive_version_sent_fires_nothing():
    legacy = {**JUJU_DEFAULTS, "port": "9092", "zookeepers": LIST_5}
    relation = client_relation(local=legacy)
    ctx = testing.Context(RefreshedKafkaCharm, meta=KAFKA_META, config=DEFER_CONFIG)
    session = Session(ctx, testing.State(relations=[relation]))
    # Juju runs upgrade-charm, then config-changed, after `juju refresh`.
    assert session.upgraded() == [client_connected(relation.id), client_available(relation.id)]

    assert session.run(ctx.on.config_changed()) == []
    assert local_data(session.state, relation) == legacy


@pytest.mark.parametrize("port", ["nine", "0", "", None])
def test_provider_is_not_available_without_a_valid_port_of_its_own(port: str | None):
    local = {**JUJU_DEFAULTS, "zookeepers": LIST_5}
    if port is not None:
        local["port"] = port
    relation = client_relation(local=local)
    session = Session(kafka_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [client_connected(relation.id)]


def test_provider_unavailable_and_disconnected_when_the_last_client_unit_departs():
    relation = client_relation(())
    state = publish(testing.State(relations=[relation]), send_both())
    session = Session(kafka_context(), state)
    session.set_units(relation.id, {0: JUJU_DEFAULTS, 1: JUJU_DEFAULTS})
    assert session.changed(relation.id) == [
        client_connected(relation.id),
        client_available(relation.id),
    ]

    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0, still_listed=True) == [
        client_unavailable(relation.id),
        client_disconnected(relation.id),
    ]
    # What this unit sent stays, for a client that joins again.
    assert local_data(session.state, relation)["port"] == "9092"
    session.set_units(relation.id, {2: JUJU_DEFAULTS})
    assert session.joined(relation.id, 2) == [
        client_connected(relation.id),
        client_available(relation.id),
    ]


def test_provider_relation_broken_ends_what_held():
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(9092))
    session = Session(kafka_context(), state)
    session.changed(relation.id)

    assert session.broken(relation.id) == [
        client_unavailable(relation.id),
        client_disconnected(relation.id),
    ]


class ResendingKafkaCharm(KafkaCharm):
    """Sends another port when a relation breaks, and notes the relations it then sees."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.relations_seen: list[int] = []
        framework.observe(self.on["client"].relation_broken, self._resend)

    def _resend(self, _: ops.RelationBrokenEvent) -> None:
        self.kafka.send_connection(9093)
        self.relations_seen = [relation.id for relation in self.kafka.relations]


def test_sending_during_relation_broken_leaves_the_broken_relation_alone():
    kept, broken = client_relation(), client_relation()
    ctx = testing.Context(ResendingKafkaCharm, meta=KAFKA_META, config=DEFER_CONFIG)
    with ctx(ctx.on.update_status(), testing.State(relations=[kept, broken])) as mgr:
        mgr.charm.kafka.send_connection(9092)
        state = mgr.run()

    with ctx(ctx.on.relation_broken(state.get_relation(broken.id)), state) as mgr:
        out = mgr.run()
        assert mgr.charm.relations_seen == [kept.id]
        assert mgr.charm.seen == [client_unavailable(broken.id), client_disconnected(broken.id)]

    assert local_data(out, kept)["port"] == "9093"
    assert local_data(out, broken)["port"] == "9092"


def test_one_departing_client_does_not_affect_another_relation():
    first, second = client_relation(), client_relation((0, 1))
    state = publish(testing.State(relations=[first, second]), send(9092))
    session = Session(kafka_context(), state)
    session.changed(first.id)
    session.changed(second.id)

    assert session.departed(first.id, 0) == [
        client_unavailable(first.id),
        client_disconnected(first.id),
    ]
    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        assert mgr.charm.kafka.is_connected()
        assert [r.id for r in mgr.charm.kafka.relations] == sorted([first.id, second.id])
        mgr.run()
    assert session.departed(second.id, 1) == []
    assert session.broken(second.id) == [
        client_unavailable(second.id),
        client_disconnected(second.id),
    ]


# --- 8b. The leaving unit ----------------------------------------------------------------------
# Juju names this unit as the departing one when it is going; ops.testing cannot, so the
# session amends the hook's environment (`demo.deployment.this_unit_named_departing`).


def test_the_leaving_requirer_ends_every_state_in_its_first_departure_and_starts_nothing_after():
    first = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1)}, relation_id=33)
    second = kafka_relation({0: kafka_unit(5, zookeepers=LIST_6)}, relation_id=73)
    session = Session(client_context(), testing.State(relations=[first, second]))
    session.changed(33)
    session.changed(73)

    assert session.this_unit_departs(33, 0) == [
        unavailable(33),
        disconnected(33),
        unavailable(73),
        disconnected(73),
    ]
    assert ask(session.state, view) == (False, False, NOTHING, None, [], [], [], [])
    # Nothing starts again: not on new data, not on a refresh, not in the other departures.
    assert session.changed(73, {0: kafka_unit(5), 1: kafka_unit(6)}) == []
    assert session.upgraded() == []
    assert session.this_unit_departs(33, 1) == []
    assert session.broken(33) == []
    assert session.broken(73) == []


def test_the_leaving_units_deferred_events_already_see_nothing_in_its_first_departure():
    relation = kafka_relation({0: kafka_unit(0)})
    charm = run_departure_after_a_deferred_event(
        client_context(DeferringWatcherCharm), relation, 0, this_unit=True
    )
    assert isinstance(charm, DeferringWatcherCharm)

    # The deferred `available` ran first, and already saw the endpoint as this unit leaves it.
    nothing: View = (False, False, NOTHING, None, [], [], [], [])
    assert charm.views == [nothing, nothing]
    assert charm.seen[-2:] == [unavailable(relation.id), disconnected(relation.id)]


class SendingKafkaCharm(KafkaCharm):
    """Sends its zookeeper list and port in every hook of its relations, and on upgrade."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        events = self.on["client"]
        for event in (
            events.relation_joined,
            events.relation_changed,
            events.relation_departed,
            events.relation_broken,
            self.on.upgrade_charm,
        ):
            framework.observe(event, self._send)

    def _send(self, _: ops.EventBase) -> None:
        self.kafka.send_zookeepers([ZK5])
        self.kafka.send_connection(9092)


def test_the_leaving_provider_ends_its_clients_and_starts_nothing_when_the_charm_sends():
    first, second = client_relation((0, 1)), client_relation((0,))
    ctx = testing.Context(SendingKafkaCharm, meta=KAFKA_META, config=DEFER_CONFIG)
    session = Session(ctx, testing.State(relations=[first, second]))
    assert set(session.joined(first.id, 0)) == {
        client_connected(first.id),
        client_available(first.id),
        client_connected(second.id),
        client_available(second.id),
    }

    assert session.this_unit_departs(first.id, 0) == [
        client_unavailable(first.id),
        client_disconnected(first.id),
        client_unavailable(second.id),
        client_disconnected(second.id),
    ]
    assert session.joined(first.id, 1) == []
    assert session.upgraded() == []
    assert session.this_unit_departs(first.id, 1) == []
    assert session.broken(first.id) == []
    assert session.broken(second.id) == []


def test_the_leaving_provider_announces_no_available_and_writes_nothing_when_the_charm_sends():
    # The client joined before the charm sent anything; the charm sends as the unit leaves.
    relation = client_relation((0, 1))
    ctx = testing.Context(SendingKafkaCharm, meta=KAFKA_META, config=DEFER_CONFIG)
    session = Session(ctx, testing.State(relations=[relation]))
    assert session.run(ctx.on.relation_created(relation)) == [client_connected(relation.id)]

    assert session.this_unit_departs(relation.id, 0) == [client_disconnected(relation.id)]
    assert local_data(session.state, relation) == JUJU_DEFAULTS
    with ctx(ctx.on.update_status(), session.state) as mgr:
        assert not mgr.charm.kafka.is_available()
        assert not mgr.charm.kafka.is_connected()
        mgr.run()


def test_the_leaving_flag_is_kept_in_the_libraries_own_stored_state():
    relation = kafka_relation({0: kafka_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    assert stored_content(session.state, "KafkaRequires", "_lifecycle") == {"leaving": False}

    session.this_unit_departs(relation.id, 0)

    assert stored_content(session.state, "KafkaRequires", "_lifecycle") == {"leaving": True}


def test_a_departure_of_another_unit_named_like_this_one_is_not_this_unit_leaving():
    # Juju names units `<application>/<number>`: the remote kafka/0 is not this flume/0.
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0) == [available(relation.id, kb(1))]
    assert session.changed(relation.id, {1: kafka_unit(1, port="9093")}) == [
        available(relation.id, kb(1, 9093))
    ]


@pytest.mark.parametrize(
    ("unit", "relation_id", "leaving"),
    [
        pytest.param("flume/0", "kafka:4", True, id="this-unit-departing"),
        pytest.param("kafka/0", "kafka:4", False, id="a-remote-unit-departing"),
        pytest.param("flume/0", "other:4", False, id="another-endpoint"),
        pytest.param("", "kafka:4", False, id="no-departing-unit"),
    ],
)
def test_this_unit_leaving_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, leaving: bool
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert kafka_library._leaving_in_this_hook("kafka", "flume/0") == leaving  # pyright: ignore[reportPrivateUsage]


# --- 8c. Relation-broken after a deferral ------------------------------------------------------


def test_during_relation_broken_a_deferred_events_handler_already_sees_the_relation_gone():
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = client_context(DeferringWatcherCharm)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        testing.State(config={"defer": "x"}, relations=[relation]),
    )
    state = dataclasses.replace(state, config={"defer": ""})

    with ctx(ctx.on.relation_broken(relation), state) as mgr:
        broken = mgr.charm.model.get_relation("kafka", relation.id)
        assert broken is not None
        in_broken = mgr.charm.kafka.read(broken)
        mgr.run()
        charm = mgr.charm
    assert isinstance(charm, DeferringWatcherCharm)

    assert plain(in_broken) == NOTHING
    nothing: View = (False, False, NOTHING, None, [], [], [], [])
    assert charm.views == [nothing, nothing]
    assert charm.seen[-2:] == [unavailable(relation.id), disconnected(relation.id)]


class SendingWhenConnectedKafkaCharm(KafkaCharm):
    """Sends its port in its own `connected` handler, which defers while `defer` is set."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.kafka.on.connected, self._on_connected)

    def _on_connected(self, event: ops.EventBase) -> None:
        if self.config.get("defer"):
            event.defer()
            return
        self.kafka.send_zookeepers([ZK5])
        self.kafka.send_connection(9092)


def test_a_deferred_handler_sending_in_relation_broken_starts_nothing_on_the_broken_relation():
    relation = client_relation()
    ctx = testing.Context(SendingWhenConnectedKafkaCharm, meta=KAFKA_META, config=DEFER_CONFIG)
    session = Session(ctx, testing.State(config={"defer": "x"}, relations=[relation]))
    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    assert len(session.state.deferred) == 1
    session.state = dataclasses.replace(session.state, config={"defer": ""})

    # The deferred `connected` runs first, and its handler sends: not to the broken relation.
    assert session.broken(relation.id) == [client_disconnected(relation.id)]
    assert session.state.deferred == []
    assert stored_content(session.state, "KafkaProvides")["sent"]["port"] == "9092"
    assert local_data(session.state, relation) == JUJU_DEFAULTS


# --- 9. Refresh from the reactive charm ---------------------------------------------------------


@pytest.mark.parametrize("end", ["departed", "broken"])
def test_a_refreshed_requirer_announces_what_holds_on_upgrade_charm_and_its_end_later(end: str):
    relation = kafka_relation(
        {0: kafka_unit(0), 1: kafka_unit(1, zookeepers=LIST_6), 2: kafka_unit(2, port=None)}
    )
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [
        connected(relation.id),
        available(relation.id, kb(0), kb(1), zookeepers=[ZK5, ZK6]),
    ]
    assert session.upgraded() == []

    if end == "broken":
        assert session.broken(relation.id) == [unavailable(relation.id), disconnected(relation.id)]
    else:
        assert session.departed(relation.id, 1) == [available(relation.id, kb(0))]
        assert session.departed(relation.id, 0) == [unavailable(relation.id)]
        assert session.departed(relation.id, 2) == [disconnected(relation.id)]


def test_upgrade_charm_reconciles_several_relations_oldest_first():
    newer = kafka_relation({0: kafka_unit(7)}, relation_id=9)
    older = kafka_relation({1: kafka_unit(1, port=None)}, relation_id=2)
    session = Session(client_context(), testing.State(relations=[newer, older]))

    assert session.upgraded() == [
        connected(older.id),
        connected(newer.id),
        available(newer.id, ("kafka/0", address(7), 9092)),
    ]


@pytest.mark.parametrize("hook", ["changed", "departed"])
def test_a_relation_without_a_record_is_reconciled_on_any_of_its_hooks(hook: str):
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))

    if hook == "changed":
        assert session.changed(relation.id) == [
            connected(relation.id),
            available(relation.id, kb(0), kb(1)),
        ]
    else:
        assert session.departed(relation.id, 1) == [
            connected(relation.id),
            available(relation.id, kb(0)),
        ]


@pytest.mark.parametrize("role", ["requirer", "provider"])
def test_upgrade_charm_drops_records_of_relations_that_no_longer_exist(role: str):
    if role == "requirer":
        kept, gone = kafka_relation({0: kafka_unit(0)}), kafka_relation({0: kafka_unit(1)})
        ctx: testing.Context[Any] = client_context()
        owner = "KafkaRequires"
    else:
        kept, gone = client_relation(), client_relation()
        ctx = kafka_context()
        owner = "KafkaProvides"
    session = Session(ctx, testing.State(relations=[kept, gone]))
    session.changed(kept.id)
    session.changed(gone.id)
    assert set(stored_content(session.state, owner)["relations"]) == {str(kept.id), str(gone.id)}
    session.state = dataclasses.replace(session.state, relations=[kept])

    assert session.upgraded() == []

    assert set(stored_content(session.state, owner)["relations"]) == {str(kept.id)}


@pytest.mark.parametrize("role", ["requirer", "provider"])
def test_relation_broken_drops_the_record_of_the_relation(role: str):
    if role == "requirer":
        relation = kafka_relation({0: kafka_unit(0)})
        ctx: testing.Context[Any] = client_context()
        owner = "KafkaRequires"
    else:
        relation = client_relation()
        ctx = kafka_context()
        owner = "KafkaProvides"
    session = Session(ctx, testing.State(relations=[relation]))
    session.changed(relation.id)

    session.broken(relation.id)

    assert stored_content(session.state, owner)["relations"] == {}


# --- 10. Deferral and custom events -------------------------------------------------------------


def test_a_deferred_available_event_is_re_emitted_with_the_payload_it_had():
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    with ctx(ctx.on.relation_changed(relation, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == [connected(relation.id), available(relation.id, kb(0))]
    assert len(state.deferred) == 1

    # Meanwhile the unit moved, sent other zookeepers, and another one came; the deferred
    # event still carries what it announced.
    moved = dataclasses.replace(
        relation,
        remote_units_data={0: kafka_unit(0, port="9093", zookeepers=LIST_67), 1: kafka_unit(1)},
    )
    state = dataclasses.replace(state, config={"defer": ""}, relations=[moved])
    with ctx(ctx.on.relation_changed(moved, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == [
            available(relation.id, kb(0)),
            available(relation.id, kb(0, port=9093), kb(1), zookeepers=[ZK6, ZK7, ZK5]),
        ]
    assert state.deferred == []


@pytest.mark.parametrize("kind", ["connected", "unavailable", "disconnected"])
def test_deferred_requirer_events_without_payload_keep_their_relation(kind: str):
    relation = kafka_relation({0: kafka_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.state = dataclasses.replace(session.state, config={"defer": kind})
    session.changed(relation.id)
    session.broken(relation.id)
    (deferred,) = session.state.deferred
    assert deferred.snapshot_data == {"relation_name": "kafka", "relation_id": relation.id}

    state = dataclasses.replace(session.state, config={"defer": ""}, relations=[])
    ctx = session.ctx
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [(f"Kafka{kind.capitalize()}", relation.id)]


@pytest.mark.parametrize("kind", ["connected", "available", "unavailable", "disconnected"])
def test_deferred_provider_events_keep_their_relation(kind: str):
    relation = client_relation()
    state = publish(testing.State(config={"defer": kind}, relations=[relation]), send(9092))
    session = Session(kafka_context(), state)
    session.changed(relation.id)
    session.broken(relation.id)
    (deferred,) = session.state.deferred

    assert deferred.snapshot_data == {"relation_name": "client", "relation_id": relation.id}

    state = dataclasses.replace(session.state, config={"defer": ""})
    ctx = session.ctx
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [(f"KafkaClient{kind.capitalize()}", relation.id)]


def test_a_deferred_event_outlives_its_relation():
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    state = dataclasses.replace(state, config={"defer": ""}, relations=[])
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [available(relation.id, kb(0))]


def test_a_deferred_payload_the_current_validation_refuses_is_handed_over_as_it_was(
    caplog: pytest.LogCaptureFixture,
):
    relation = kafka_relation({0: kafka_unit(0), 1: kafka_unit(1, zookeepers=LIST_56)})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    (deferred,) = state.deferred
    payload = json.loads(deferred.snapshot_data["payload"])
    payload["brokers"][0]["port"] = 0
    payload["zookeepers"][1]["host"] = "not a host!"
    stored = dataclasses.replace(
        deferred, snapshot_data={**deferred.snapshot_data, "payload": json.dumps(payload)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, deferred=[stored])
    caplog.clear()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [
        available(relation.id, kb(0, port=0), kb(1), zookeepers=[ZK5, ("not a host!", 2181, 9998)])
    ]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in warnings] == [LOGGER, LOGGER]
    messages = [record.getMessage() for record in warnings]
    assert all("deferred" in message for message in messages)
    assert "port" in messages[0]
    assert "host" in messages[1]
    assert "not a host!" not in caplog.text


REQUIRER_CUSTOM_EVENTS: list[Any] = [
    pytest.param(KafkaRequires.on.connected, (), (), id="KafkaConnected"),
    pytest.param(
        KafkaRequires.on.available,
        (
            (KafkaBroker(unit_name="kafka/3", host="kafka.example", port=9092),),
            (ZookeeperServer(host="10.0.9.5", port=2181, rest_port=None),),
        ),
        ((("kafka/3", "kafka.example", 9092),), (("10.0.9.5", 2181, None),)),
        id="KafkaAvailable",
    ),
    pytest.param(
        KafkaRequires.on.available,
        (
            ({"unit_name": "kafka/3", "host": "fd00::5", "port": "9092"},),
            ({"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}, ["10.0.9.6", 2181]),
        ),
        ((("kafka/3", "fd00::5", 9092),), (ZK5, ("10.0.9.6", 2181, None))),
        id="KafkaAvailable-from-plain-values",
    ),
    pytest.param(KafkaRequires.on.available, ((), ()), ((), ()), id="KafkaAvailable-empty"),
    pytest.param(KafkaRequires.on.unavailable, (), (), id="KafkaUnavailable"),
    pytest.param(KafkaRequires.on.disconnected, (), (), id="KafkaDisconnected"),
]


@pytest.mark.parametrize(("event", "args", "payload"), REQUIRER_CUSTOM_EVENTS)
def test_each_requirer_event_can_be_emitted_with_ctx_on_custom(
    event: ops.BoundEvent, args: tuple[Any, ...], payload: tuple[Any, ...]
):
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = client_context()

    with ctx(ctx.on.custom(event, relation, *args), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id, *payload)]


def test_a_custom_available_event_built_from_unchecked_models_is_handed_over_with_a_warning(
    caplog: pytest.LogCaptureFixture,
):
    relation = kafka_relation({0: kafka_unit(0)})
    ctx = client_context()
    broker = KafkaBroker.model_construct(unit_name="kafka/0", host="bad host!", port=9092)
    event = ctx.on.custom(KafkaRequires.on.available, relation, (broker,), ())

    with ctx(event, testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [available(relation.id, ("kafka/0", "bad host!", 9092), zookeepers=())]
    messages = {record.getMessage() for record in caplog.records if record.name == LOGGER}
    assert messages == {
        "a deferred kafka event carries data this library now refuses: "
        "host: must be a host name or an IP address"
    }


@pytest.mark.parametrize(
    "event",
    [
        KafkaProvides.on.connected,
        KafkaProvides.on.available,
        KafkaProvides.on.unavailable,
        KafkaProvides.on.disconnected,
    ],
    ids=["connected", "available", "unavailable", "disconnected"],
)
def test_each_provider_event_can_be_emitted_with_ctx_on_custom(event: ops.BoundEvent):
    relation = client_relation()
    ctx = kafka_context()

    with ctx(ctx.on.custom(event, relation), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id)]


# --- 11. Endpoint checks ----------------------------------------------------------------------


def construction_error(
    charm_type: type[ops.CharmBase], meta: dict[str, Any], tmp_path: Path
) -> ValueError:
    ctx = testing.Context(charm_type, meta=meta, config=DEFER_CONFIG, charm_root=tmp_path)
    with pytest.raises(testing.errors.UncaughtCharmError) as caught:
        ctx.run(ctx.on.start(), testing.State())
    cause = caught.value.__cause__
    assert isinstance(cause, ValueError)
    return cause


@pytest.mark.parametrize(
    ("charm_type", "meta", "message"),
    [
        pytest.param(
            ClientCharm,
            {"name": "c"},
            "the charm has no endpoint 'kafka'; declare it in charmcraft.yaml under "
            "requires: with interface: kafka",
            id="requirer-missing",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "requires": {"kafka": {"interface": "kafka-client"}}},
            "endpoint 'kafka' has interface 'kafka-client'; declare it in charmcraft.yaml "
            "under requires: with interface: kafka",
            id="requirer-wrong-interface",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "provides": {"kafka": {"interface": "kafka"}}},
            "endpoint 'kafka' is a provides endpoint; declare it in charmcraft.yaml under "
            "requires: with interface: kafka",
            id="requirer-on-provides",
        ),
        pytest.param(
            KafkaCharm,
            {"name": "k"},
            "the charm has no endpoint 'client'; declare it in charmcraft.yaml under "
            "provides: with interface: kafka",
            id="provider-missing",
        ),
        pytest.param(
            KafkaCharm,
            {"name": "k", "provides": {"client": {"interface": "zookeeper"}}},
            "endpoint 'client' has interface 'zookeeper'",
            id="provider-wrong-interface",
        ),
        pytest.param(
            KafkaCharm,
            {"name": "k", "requires": {"client": {"interface": "kafka"}}},
            "endpoint 'client' is a requires endpoint; declare it in charmcraft.yaml under "
            "provides: with interface: kafka",
            id="provider-on-requires",
        ),
        pytest.param(
            KafkaCharm,
            {"name": "k", "peers": {"client": {"interface": "kafka"}}},
            "endpoint 'client' is a peer endpoint",
            id="provider-on-peers",
        ),
    ],
)
def test_the_constructor_refuses_an_endpoint_that_does_not_fit(
    charm_type: type[ops.CharmBase], meta: dict[str, Any], message: str, tmp_path: Path
):
    assert message in str(construction_error(charm_type, meta, tmp_path))


def test_endpoints_with_other_names_work_in_both_roles():
    class Both(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.client = KafkaRequires(self, "upstream")
            self.server = KafkaProvides(self, "downstream")

    meta = {
        "name": "mirror",
        "requires": {"upstream": {"interface": "kafka"}},
        "provides": {"downstream": {"interface": "kafka"}},
    }
    upstream = kafka_relation_for_testing("upstream")
    downstream = client_relation_for_testing("downstream")
    ctx = testing.Context(Both, meta=meta)

    with ctx(ctx.on.update_status(), testing.State(relations=[upstream, downstream])) as mgr:
        mgr.charm.server.send_zookeepers(mgr.charm.client.zookeepers())
        mgr.charm.server.send_connection(mgr.charm.client.get_kafka_port())
        assert mgr.charm.client.is_available()
        assert mgr.charm.server.is_connected()
        out = mgr.run()

    assert local_data(out, downstream) == {**JUJU_DEFAULTS, "port": "9092", "zookeepers": LIST_5}
    assert local_data(out, upstream) == JUJU_DEFAULTS


# --- 12. Test helpers for charm authors --------------------------------------------------------


def test_the_kafka_test_relation_holds_one_legacy_kafka_unit_by_default():
    relation = kafka_relation_for_testing()

    answers = ask(
        testing.State(relations=[relation]),
        lambda k: (k.read(), k.kafkas(), k.zookeepers(), k.malformed_units()),
    )

    assert relation.endpoint == "kafka"
    assert relation.interface == "kafka"
    assert relation.remote_app_name == "kafka"
    assert relation.remote_units_data[0]["zookeepers"] == LIST_5
    assert "host" not in relation.remote_units_data[0]
    assert (plain(answers[0]), *answers[1:]) == (
        offer(("kafka/0", "10.0.11.5", 9092)),
        [{"host": "10.0.11.5", "port": "9092"}],
        [{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}],
        [],
    )


def test_the_kafka_test_relation_takes_its_sizes_names_and_a_malformed_unit():
    relation = kafka_relation_for_testing(
        "events",
        units=3,
        port=9093,
        zookeepers=2,
        malformed_unit=True,
        remote_app_name="broker",
    )

    class Charm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.kafka = KafkaRequires(self, "events")

    ctx = testing.Context(
        Charm, meta={"name": "c", "requires": {"events": {"interface": "kafka"}}}
    )
    with ctx(ctx.on.update_status(), testing.State(relations=[relation])) as mgr:
        result = mgr.charm.kafka.read()
        malformed = mgr.charm.kafka.malformed_units()
        mgr.run()

    assert plain(result) == offer(
        *(("broker/" + str(n), f"10.0.11.{5 + n}", 9093) for n in range(3)),
        zookeepers=[ZK5, ZK6],
    )
    assert [(m.unit_name, m.fields) for m in malformed] == [
        ("broker/3", ("zookeepers", "port", "private-address"))
    ]


def test_the_kafka_test_relation_can_send_no_zookeepers():
    relation = kafka_relation_for_testing(zookeepers=0)

    result = ask(testing.State(relations=[relation]), KafkaRequires.read)

    assert plain(result) == offer(("kafka/0", "10.0.11.5", 9092), zookeepers=())


def test_the_kafka_test_relation_fires_the_requirer_events():
    relation = kafka_relation_for_testing(units=2)
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [
        connected(relation.id),
        available(relation.id, ("kafka/0", "10.0.11.5", 9092), ("kafka/1", "10.0.11.6", 9092)),
    ]


def test_the_client_test_relation_makes_the_provider_connected():
    relation = client_relation_for_testing(units=2, remote_app_name="flume")
    assert relation.endpoint == "client"
    assert relation.remote_units_data[1]["private-address"] == "10.0.12.6"
    session = Session(kafka_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    assert session.departed(relation.id, 0) == []
    assert session.departed(relation.id, 1) == [client_disconnected(relation.id)]


def test_a_zookeeper_list_every_unit_sends_is_decoded_once_per_hook(
    monkeypatch: pytest.MonkeyPatch,
):
    decoded: list[str] = []
    decode = kafka_library._decode_zookeepers

    def counting_decode(value: str) -> Any:
        decoded.append(value)
        return decode(value)

    monkeypatch.setattr(kafka_library, "_decode_zookeepers", counting_decode)
    relation = kafka_relation_for_testing(units=4, zookeepers=2)
    ctx = client_context()

    with ctx(ctx.on.update_status(), testing.State(relations=[relation])) as manager:
        offer = manager.charm.kafka.read()
        manager.run()

    assert len(decoded) == 1
    assert len(offer.brokers) == 4
    assert [(z.host, z.port, z.rest_port) for z in offer.zookeepers] == [
        ("10.0.9.5", 2181, 9998),
        ("10.0.9.6", 2181, 9998),
    ]
