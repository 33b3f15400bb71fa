"""Unit tests for `charms.zookeeper.v0.zookeeper`: wire bytes, events, queries and errors.

Both roles run in `ops.testing`. `ClientCharm` requires `zookeeper` and records every
library event as its observer sees it (and defers the kinds its `defer` option names);
`ZookeeperCharm` provides `zookeeper` and records its events, tests publishing through
`self.zookeeper`. `WatchingClientCharm` also records what the queries answer inside the
library's end events, its own `relation_broken` observer and collect-status; `QueueCharm`
handles the legacy joining/departing queues in `update-status`, as the seed example does.
A `Session` runs hooks one after another on one unit, each from the state the previous one
left, so stored state carries over; a session that starts with empty stored state and
established relations is a charm just refreshed from its reactive version.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import ops
import pytest
from ops import testing

import charms.zookeeper.v0.zookeeper as zookeeper_library
from charms.zookeeper.v0.zookeeper import (
    MalformedUnit,
    OtherProtocol,
    ZookeeperAvailable,
    ZookeeperClientAvailable,
    ZookeeperClientConnected,
    ZookeeperClientDisconnected,
    ZookeeperClientUnavailable,
    ZookeeperConnected,
    ZookeeperDeparting,
    ZookeeperDisconnected,
    ZookeeperJoining,
    ZookeeperOffer,
    ZookeeperProvides,
    ZookeeperRequires,
    ZookeeperUnavailable,
    ZookeeperUnit,
    client_relation_for_testing,
    zookeeper_relation_for_testing,
)
from demo.deployment import this_unit_named_departing
from tests.docs import harness as docs_harness
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

LOGGER = "charms.zookeeper.v0.zookeeper"
MIB = 1024 * 1024

JUJU_DEFAULTS = dict(testing.Relation("any").local_unit_data)
"""What Juju itself puts in every unit databag."""


def address(number: int) -> str:
    return f"10.1.0.{number}"


def zk_unit(number: int, **data: str | None) -> dict[str, str]:
    """A legacy zookeeper unit's databag: Juju's keys, `port` 2181 and `rest_port` 9998.

    `data` overrides; None leaves a key out.
    """
    values: dict[str, str | None] = {
        "private-address": address(number),
        "ingress-address": address(number),
        "egress-subnets": f"{address(number)}/32",
        "port": "2181",
        "rest_port": "9998",
        **data,
    }
    return {key: value for key, value in values.items() if value is not None}


def zk_relation(
    units: Mapping[int, Mapping[str, str]], relation_id: int | None = None
) -> testing.Relation:
    """A relation of the client's `zookeeper` endpoint to the zookeeper application."""
    data = {number: dict(databag) for number, databag in units.items()}
    if relation_id is None:
        return testing.Relation(
            "zookeeper", interface="zookeeper", remote_app_name="zookeeper", remote_units_data=data
        )
    return testing.Relation(
        "zookeeper",
        interface="zookeeper",
        id=relation_id,
        remote_app_name="zookeeper",
        remote_units_data=data,
    )


def client_relation(
    units: Iterable[int] = (0,), *, local: dict[str, str] | None = None
) -> testing.Relation:
    """A relation of the zookeeper charm's `zookeeper` endpoint to a client (kafka)."""
    return testing.Relation(
        "zookeeper",
        interface="zookeeper",
        remote_app_name="kafka",
        remote_units_data={unit: dict(JUJU_DEFAULTS) for unit in units},
        local_unit_data=dict(JUJU_DEFAULTS) if local is None else local,
    )


# --- Test charms ---------------------------------------------------------------------------

"""An event as a test sees it: class name, relation id, then the payload."""

Unit = tuple[str, str, int, "int | None"]
"""A usable unit as a test sees it: name, host, port, rest_port."""

LIBRARY_EVENTS = (
    ZookeeperConnected,
    ZookeeperJoining,
    ZookeeperAvailable,
    ZookeeperDeparting,
    ZookeeperUnavailable,
    ZookeeperDisconnected,
    ZookeeperClientConnected,
    ZookeeperClientAvailable,
    ZookeeperClientUnavailable,
    ZookeeperClientDisconnected,
)


def as_tuple(unit: ZookeeperUnit) -> Unit:
    return (unit.unit_name, unit.host, unit.port, unit.rest_port)


def describe(event: ops.EventBase) -> Seen:
    assert isinstance(event, LIBRARY_EVENTS)
    name = type(event).__name__
    if isinstance(event, ZookeeperJoining):
        assert as_tuple(event.zookeeper) == (
            event.unit_name,
            event.host,
            event.port,
            event.rest_port,
        )
        return (name, event.relation.id, event.unit_name, event.host, event.port, event.rest_port)
    if isinstance(event, ZookeeperAvailable):
        return (name, event.relation.id, tuple(as_tuple(unit) for unit in event.units))
    if isinstance(event, ZookeeperDeparting):
        return (name, event.relation.id, event.unit_name)
    return (name, event.relation.id)


class Session(sessions.Session):
    """Hooks run one after another on one unit, recording the zookeeper library's events."""

    library_event_types = LIBRARY_EVENTS
    describe = staticmethod(describe)


class ClientCharm(RecordingCharm):
    """Requires `zookeeper`; records each library event, and defers the kinds config names."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperRequires(self)
        self.record(
            self.zookeeper.on.connected,
            self.zookeeper.on.joining,
            self.zookeeper.on.available,
            self.zookeeper.on.departing,
            self.zookeeper.on.unavailable,
            self.zookeeper.on.disconnected,
        )


View = tuple[bool, bool, ZookeeperOffer, list[tuple[str, str]], list[Any], list[str], list[int]]
"""What the requirer's queries answer."""


def view(zookeeper: ZookeeperRequires) -> View:
    return (
        zookeeper.is_connected(),
        zookeeper.is_available(),
        zookeeper.read(),
        zookeeper.get_zookeeper_units(),
        zookeeper.zookeepers(),
        [unit.unit_name for unit in zookeeper.malformed_units()],
        [relation.id for relation in zookeeper.relations],
    )


class WatchingClientCharm(ClientCharm):
    """A `ClientCharm` that also records what the queries answer in end events."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[tuple[str, View]] = []
        for event in (
            self.zookeeper.on.departing,
            self.zookeeper.on.available,
            self.zookeeper.on.unavailable,
            self.zookeeper.on.disconnected,
            self.on["zookeeper"].relation_departed,
            self.on["zookeeper"].relation_broken,
            self.on.collect_unit_status,
        ):
            framework.observe(event, self._look)

    def _look(self, event: ops.EventBase) -> None:
        self.views.append((type(event).__name__, view(self.zookeeper)))


class QueueCharm(ClientCharm):
    """Handles the legacy queues in update-status, as the seed's example did."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.queues: list[tuple[list[str], list[str]]] = []
        framework.observe(self.on.update_status, self._on_update_status)

    def _on_update_status(self, _: ops.UpdateStatusEvent) -> None:
        joined = [unit.unit_name for unit in self.zookeeper.joining_units()]
        self.zookeeper.dismiss_joining()
        departed = self.zookeeper.departing_units()
        self.zookeeper.dismiss_departing()
        self.queues.append((joined, departed))


class ZookeeperCharm(RecordingCharm):
    """Provides `zookeeper`; records the library's events. Tests publish via `self.zookeeper`."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperProvides(self)
        self.record(
            self.zookeeper.on.connected,
            self.zookeeper.on.available,
            self.zookeeper.on.unavailable,
            self.zookeeper.on.disconnected,
        )


CLIENT_META = {"name": "kafka", "requires": {"zookeeper": {"interface": "zookeeper"}}}
ZOOKEEPER_META = {"name": "zookeeper", "provides": {"zookeeper": {"interface": "zookeeper"}}}


class DeferringWatcherCharm(ClientCharm):
    """Notes the queries' view in its own `available` observer, which defers the event while
    the `defer` option is set (ops runs a deferred event's handler again at the start of the
    next hook, before the library has observed that hook's event), and in collect-status."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[View] = []
        framework.observe(self.zookeeper.on.available, self._on_available)
        framework.observe(self.on.collect_unit_status, self._look)

    def _on_available(self, event: ops.EventBase) -> None:
        self._look(event)
        if self.config.get("defer"):
            event.defer()

    def _look(self, _: ops.EventBase) -> None:
        self.views.append(view(self.zookeeper))


def client_context(
    charm_type: type[ClientCharm] = ClientCharm, **kwargs: Any
) -> testing.Context[ClientCharm]:
    return testing.Context(charm_type, meta=CLIENT_META, config=DEFER_CONFIG, **kwargs)


def zookeeper_context(**kwargs: Any) -> testing.Context[ZookeeperCharm]:
    return testing.Context(ZookeeperCharm, meta=ZOOKEEPER_META, **kwargs)


def ask(state: testing.State, question: Callable[[ZookeeperRequires], T]) -> T:
    """Ask the requirer something inside a hook run on `state`."""
    ctx = client_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        answer = question(mgr.charm.zookeeper)
        mgr.run()
    return answer


def publish(state: testing.State, call: Callable[[ZookeeperProvides], object]) -> testing.State:
    """Run a hook in which the zookeeper charm calls `call` on its provider."""
    ctx = zookeeper_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        call(mgr.charm.zookeeper)
        return mgr.run()


def send(*args: Any, **kwargs: Any) -> Callable[[ZookeeperProvides], object]:
    return lambda provides: provides.send_connection(*args, **kwargs)


def local_data(state: testing.State, relation: testing.Relation) -> dict[str, str]:
    return dict(state.get_relation(relation.id).local_unit_data)


def zu(number: int, port: int = 2181, rest_port: int | None = 9998, host: str = "") -> Unit:
    """A usable unit as the events and queries hand it over."""
    return (f"zookeeper/{number}", host or address(number), port, rest_port)


def connected(relation_id: int) -> Seen:
    return ("ZookeeperConnected", relation_id)


def joining(relation_id: int, unit: Unit) -> Seen:
    return ("ZookeeperJoining", relation_id, *unit)


def available(relation_id: int, *units: Unit) -> Seen:
    return ("ZookeeperAvailable", relation_id, units)


def departing(relation_id: int, number: int) -> Seen:
    return ("ZookeeperDeparting", relation_id, f"zookeeper/{number}")


def unavailable(relation_id: int) -> Seen:
    return ("ZookeeperUnavailable", relation_id)


def disconnected(relation_id: int) -> Seen:
    return ("ZookeeperDisconnected", relation_id)


def client_connected(relation_id: int) -> Seen:
    return ("ZookeeperClientConnected", relation_id)


def client_available(relation_id: int) -> Seen:
    return ("ZookeeperClientAvailable", relation_id)


def client_unavailable(relation_id: int) -> Seen:
    return ("ZookeeperClientUnavailable", relation_id)


def client_disconnected(relation_id: int) -> Seen:
    return ("ZookeeperClientDisconnected", relation_id)


def offer(*units: Unit) -> ZookeeperOffer:
    return ZookeeperOffer(
        tuple(
            ZookeeperUnit(unit_name=name, host=host, port=port, rest_port=rest)
            for name, host, port, rest in units
        )
    )


def stored_content(state: testing.State, owner: str, name: str = "_stored") -> dict[str, Any]:
    """The content of a stored state of the library object `owner` (its `name` attribute)."""
    (stored,) = [
        entry
        for entry in state.stored_states
        if owner in (entry.owner_path or "") and entry.name == name
    ]
    return dict(stored.content)


# --- 1. Provider to wire: the exact bytes ---------------------------------------------------


def test_juju_puts_exactly_three_keys_in_a_new_unit_databag():
    assert set(JUJU_DEFAULTS) == {"egress-subnets", "ingress-address", "private-address"}


@pytest.mark.parametrize("leader", [True, False])
def test_provider_writes_port_and_rest_port_raw_and_nothing_else(leader: bool):
    relation = client_relation()

    out = publish(testing.State(leader=leader, relations=[relation]), send(2181, 9998))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "2181", "rest_port": "9998"}
    assert out.get_relation(relation.id).local_app_data == {}


def test_provider_writes_the_host_only_when_given():
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), send(2181, host="zk-0.example.com"))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "port": "2181",
        "host": "zk-0.example.com",
    }


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda p: p.send_port(2181, 9998), id="send_port-ints"),
        pytest.param(lambda p: p.send_port("2181", "9998"), id="send_port-strings"),
        pytest.param(lambda p: p.send_connection("2181", 9998), id="send_connection-mixed"),
        pytest.param(lambda p: p.send_connection(2181, rest_port="9998"), id="kwargs"),
    ],
)
def test_send_port_is_the_alias_and_numeric_strings_equal_integers(
    call: Callable[[ZookeeperProvides], object],
):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), call)

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "2181", "rest_port": "9998"}


def test_send_port_takes_the_host_as_the_deployed_layers_alias_does():
    relation = client_relation()
    out = publish(
        testing.State(relations=[relation]), lambda p: p.send_port(2181, 9998, "zk-0.example.com")
    )

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "port": "2181",
        "rest_port": "9998",
        "host": "zk-0.example.com",
    }


def test_send_port_without_rest_port_writes_only_the_port():
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), lambda p: p.send_port(2181))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "2181"}


def test_a_later_call_without_rest_port_or_host_withdraws_them():
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(2181, 9998, "10.9.9.9"))
    assert local_data(state, relation)["host"] == "10.9.9.9"

    out = publish(state, send(2182))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "2182"}


def test_provider_writes_on_every_relation_of_the_endpoint():
    relations = [client_relation(), client_relation((0, 1)), client_relation(())]

    out = publish(testing.State(relations=relations), send(2181, 9998))

    for relation in relations:
        assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "2181", "rest_port": "9998"}


@pytest.mark.parametrize("earlier_relation", [True, False])
def test_a_relation_created_later_gets_what_was_sent_earlier(earlier_relation: bool):
    state = publish(
        testing.State(relations=[client_relation()] if earlier_relation else []),
        send(2181, 9998, "zk.example"),
    )
    later = client_relation(())
    ctx = zookeeper_context()

    out = ctx.run(
        ctx.on.relation_created(later),
        dataclasses.replace(state, relations=[*state.relations, later]),
    )

    assert local_data(out, later) == {
        **JUJU_DEFAULTS,
        "port": "2181",
        "rest_port": "9998",
        "host": "zk.example",
    }


def test_a_relation_created_before_anything_was_sent_keeps_what_a_legacy_build_wrote():
    legacy = {**JUJU_DEFAULTS, "port": "2181"}
    relations = [client_relation((), local=legacy), client_relation(())]
    ctx = zookeeper_context()
    state = testing.State(relations=relations)

    out = ctx.run(ctx.on.relation_created(relations[0]), state)
    out = ctx.run(ctx.on.relation_created(relations[1]), out)

    assert local_data(out, relations[0]) == legacy
    assert local_data(out, relations[1]) == JUJU_DEFAULTS


def test_clear_connection_withdraws_everything_also_what_a_legacy_build_wrote():
    legacy = {**JUJU_DEFAULTS, "port": "2181", "rest_port": "9998", "host": "old.example"}
    relations = [client_relation(local=legacy), client_relation()]
    state = publish(testing.State(relations=relations[1:]), send(2181, 9998))
    state = dataclasses.replace(state, relations=relations[:1] + list(state.relations))

    out = publish(state, ZookeeperProvides.clear_connection)

    for relation in relations:
        assert local_data(out, relation) == JUJU_DEFAULTS
    # Nor does a relation created afterwards get anything.
    later = client_relation(())
    ctx = zookeeper_context()
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
    legacy = {**JUJU_DEFAULTS, "port": "2181"}
    relation = client_relation(local=legacy)

    state = publish(testing.State(relations=[relation]), send(2181, 9998))
    assert writes == [("rest_port", "9998")]
    writes.clear()

    out = publish(state, send("2181", "9998"))

    assert writes == []
    assert local_data(out, relation) == {**legacy, "rest_port": "9998"}


def test_published_answers_what_the_charm_sent_across_hooks():
    relation = client_relation()
    state = testing.State(relations=[relation])
    assert publish(state, lambda p: p.published()) is not None  # the hook ran
    answers: list[Any] = []

    state = publish(state, lambda p: answers.append(p.published()))
    state = publish(state, send("2181", 9998, "fd00::5"))
    state = publish(state, lambda p: answers.append(p.published()))
    state = publish(state, ZookeeperProvides.clear_connection)
    publish(state, lambda p: answers.append(p.published()))

    assert answers[0] is None
    assert answers[2] is None
    sent = answers[1]
    assert (sent.port, sent.rest_port, sent.host) == (2181, 9998, "fd00::5")


# --- 2. Provider setters refuse bad input ---------------------------------------------------

REFUSED: list[Any] = [
    pytest.param({"port": 0}, "port", id="port-0"),
    pytest.param({"port": 65536}, "port", id="port-65536"),
    pytest.param({"port": "65536"}, "port", id="port-string-65536"),
    pytest.param({"port": "02181"}, "port", id="port-leading-zero"),
    pytest.param({"port": " 9092"}, "port", id="port-space"),
    pytest.param({"port": "-1"}, "port", id="port-negative-string"),
    pytest.param({"port": -1}, "port", id="port-negative"),
    pytest.param({"port": True}, "port", id="port-bool"),
    pytest.param({"port": 2181.0}, "port", id="port-float"),
    pytest.param({"port": b"2181"}, "port", id="port-bytes"),
    pytest.param({"port": None}, "port", id="port-none"),
    pytest.param({"port": 2181, "rest_port": 0}, "rest_port", id="rest-port-0"),
    pytest.param({"port": 2181, "rest_port": "99980"}, "rest_port", id="rest-port-high"),
    pytest.param({"port": 2181, "rest_port": False}, "rest_port", id="rest-port-bool"),
    pytest.param({"port": 2181, "host": "zk 0"}, "host", id="host-space"),
    pytest.param({"port": 2181, "host": "zk;rm -rf /"}, "host", id="host-shell"),
    pytest.param({"port": 2181, "host": "$(reboot)"}, "host", id="host-substitution"),
    pytest.param({"port": 2181, "host": "a" * 254}, "host", id="host-too-long"),
    pytest.param({"port": 2181, "host": "fe80::1%eth0"}, "host", id="host-zone-index"),
    pytest.param({"port": 2181, "host": "fd00:::1"}, "host", id="host-bad-ipv6"),
    pytest.param({"port": 2181, "host": "10.0.0.256"}, "host", id="host-bad-ipv4"),
    pytest.param({"port": 2181, "host": "-zk.example"}, "host", id="host-leading-dash"),
    pytest.param({"port": 2181, "host": ""}, "host", id="host-empty"),
    pytest.param({"port": 2181, "host": b"zk.example"}, "host", id="host-bytes"),
]


@pytest.mark.parametrize(("kwargs", "field"), REFUSED)
def test_a_bad_port_or_host_raises_and_writes_and_stores_nothing(
    kwargs: dict[str, Any], field: str
):
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(2888, 8080))
    before = local_data(state, relation)
    ctx = zookeeper_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        with pytest.raises(ValueError, match=field) as caught:
            mgr.charm.zookeeper.send_connection(**kwargs)
        sent = mgr.charm.zookeeper.published()
        out = mgr.run()
        seen = mgr.charm.seen

    assert local_data(out, relation) == before
    assert sent is not None
    assert (sent.port, sent.rest_port, sent.host) == (2888, 8080, None)
    assert seen == []
    message = str(caught.value)
    assert field in message
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    value = kwargs[field]
    if isinstance(value, str) and len(value) > 2:
        assert value not in message
    assert len(message) < 300


def test_send_port_refuses_as_send_connection_does():
    ctx = zookeeper_context()
    with ctx(ctx.on.update_status(), testing.State()) as mgr:
        with pytest.raises(ValueError, match="port"):
            mgr.charm.zookeeper.send_port("http")
        assert mgr.charm.zookeeper.published() is None
        mgr.run()


@pytest.mark.parametrize(
    "host", ["zk-0.example.com", "zk.", "10.0.0.5", "fd00::5", "ZK0", "a" * 63 + ".example"]
)
def test_good_hosts_are_written_as_given(host: str):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), send(1, 65535, host))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "port": "1",
        "rest_port": "65535",
        "host": host,
    }


# --- 3. Provider events ----------------------------------------------------------------------


def test_provider_connected_on_a_clients_first_unit_only():
    relation = client_relation(())
    session = Session(zookeeper_context(), testing.State(relations=[relation]))

    assert session.run(session.ctx.on.relation_created(relation)) == []
    session.set_units(relation.id, {0: JUJU_DEFAULTS})
    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    session.set_units(relation.id, {0: JUJU_DEFAULTS, 1: JUJU_DEFAULTS})
    assert session.joined(relation.id, 1) == []
    assert session.changed(relation.id) == []


def test_provider_available_when_its_port_was_already_sent_as_the_client_joins():
    relation = client_relation(())
    state = publish(testing.State(relations=[relation]), send(2181))
    session = Session(zookeeper_context(), state)
    session.set_units(relation.id, {0: JUJU_DEFAULTS})

    assert session.joined(relation.id, 0) == [
        client_connected(relation.id),
        client_available(relation.id),
    ]


def test_provider_available_fires_from_inside_send_connection_after_the_client_joined():
    relation = client_relation()
    session = Session(zookeeper_context(), testing.State(relations=[relation]))
    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    ctx = session.ctx

    with ctx(ctx.on.update_status(), session.state) as mgr:
        assert mgr.charm.seen == []
        assert not mgr.charm.zookeeper.is_available()
        mgr.charm.zookeeper.send_connection(2181)
        assert mgr.charm.seen == [client_available(relation.id)]
        assert mgr.charm.zookeeper.is_available()
        # Sending again, or something else, is no new availability.
        mgr.charm.zookeeper.send_connection(2181, 9998)
        assert mgr.charm.seen == [client_available(relation.id)]
        state = mgr.run()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.zookeeper.clear_connection()
        assert mgr.charm.seen == [client_unavailable(relation.id)]
        assert mgr.charm.zookeeper.is_connected()
        assert not mgr.charm.zookeeper.is_available()
        mgr.run()


def test_provider_is_not_available_while_no_client_unit_has_joined():
    relation = client_relation(())
    state = publish(testing.State(relations=[relation]), send(2181))
    ctx = zookeeper_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        assert local_data(state, relation)["port"] == "2181"
        assert not mgr.charm.zookeeper.is_available()
        mgr.run()


def test_provider_refreshed_from_the_reactive_charm_counts_its_legacy_port_on_upgrade():
    legacy = {**JUJU_DEFAULTS, "port": "2181", "rest_port": "9998"}
    relation = client_relation((0, 1), local=legacy)
    session = Session(zookeeper_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [client_connected(relation.id), client_available(relation.id)]
    assert session.upgraded() == []
    # The charm then withdraws what its reactive version wrote.
    session.state = publish(session.state, ZookeeperProvides.clear_connection)
    assert local_data(session.state, relation) == JUJU_DEFAULTS
    assert session.departed(relation.id, 0) == []
    assert session.departed(relation.id, 1) == [client_disconnected(relation.id)]


def test_provider_is_not_available_with_a_malformed_legacy_port():
    relation = client_relation(local={**JUJU_DEFAULTS, "port": "twenty-one"})
    session = Session(zookeeper_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [client_connected(relation.id)]


def test_provider_unavailable_and_disconnected_when_the_last_client_unit_departs():
    relation = client_relation(())
    state = publish(testing.State(relations=[relation]), send(2181))
    session = Session(zookeeper_context(), state)
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
    assert local_data(session.state, relation)["port"] == "2181"


def test_provider_relation_broken_ends_what_held():
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), send(2181))
    session = Session(zookeeper_context(), state)
    session.changed(relation.id)

    assert session.broken(relation.id) == [
        client_unavailable(relation.id),
        client_disconnected(relation.id),
    ]


def test_one_departing_client_does_not_affect_another_relation():
    first, second = client_relation(), client_relation((0, 1))
    state = publish(testing.State(relations=[first, second]), send(2181))
    session = Session(zookeeper_context(), state)
    session.changed(first.id)
    session.changed(second.id)

    assert session.departed(first.id, 0) == [
        client_unavailable(first.id),
        client_disconnected(first.id),
    ]
    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        assert mgr.charm.zookeeper.is_connected()
        assert [r.id for r in mgr.charm.zookeeper.relations] == sorted([first.id, second.id])
        mgr.run()
    assert session.departed(second.id, 1) == []
    assert session.broken(second.id) == [
        client_unavailable(second.id),
        client_disconnected(second.id),
    ]


# --- 4. Wire to requirer: legacy bytes in, plain values out ----------------------------------


def test_requirer_reads_host_from_private_address_and_ports_as_legacy_strings():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1, rest_port=None)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.get_zookeeper_units(), z.zookeepers(), z.read(), z.read(z.relations[0])),
    )

    assert answers[0] == [(address(0), "2181"), (address(1), "2181")]
    assert answers[1] == [
        {"host": address(0), "port": "2181", "rest_port": "9998"},
        {"host": address(1), "port": "2181", "rest_port": None},
    ]
    assert answers[2] == offer(zu(0), zu(1, rest_port=None))
    assert answers[3] == answers[2]
    assert isinstance(answers[2].units[0].port, int)
    assert isinstance(answers[2].units[0].rest_port, int)


def test_requirer_writes_nothing():
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context()

    out = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert local_data(out, relation) == JUJU_DEFAULTS
    assert out.get_relation(relation.id).local_app_data == {}


@pytest.mark.parametrize("host", ["zk-0.example.com", "10.9.9.9", "fd00::5"])
def test_the_host_key_wins_over_private_address(host: str):
    relation = zk_relation({0: zk_unit(0, host=host)})

    units = ask(testing.State(relations=[relation]), ZookeeperRequires.get_zookeeper_units)

    assert units == [(host, "2181")]


def test_the_connect_string_brackets_ipv6_hosts_and_keeps_the_units_order():
    relation = zk_relation(
        {0: zk_unit(0, host="fd00::5"), 1: zk_unit(1), 2: zk_unit(2, host="zk-2.example.com")}
    )

    offered = ask(testing.State(relations=[relation]), ZookeeperRequires.read)

    assert [unit.address for unit in offered.units] == [
        "[fd00::5]:2181",
        f"{address(1)}:2181",
        "zk-2.example.com:2181",
    ]
    assert offered.connect_string == f"[fd00::5]:2181,{address(1)}:2181,zk-2.example.com:2181"
    assert offered.units[0].host == "fd00::5"  # the host itself stays as Juju writes it


def test_a_relation_read_alone_gives_its_own_ensemble():
    first = zk_relation({0: zk_unit(0)}, relation_id=1)
    second = zk_relation({0: zk_unit(0, host="10.7.7.7")}, relation_id=2)

    connect_strings = ask(
        testing.State(relations=[first, second]),
        lambda z: [z.read(relation).connect_string for relation in z.relations],
    )

    assert connect_strings == [f"{address(0)}:2181", "10.7.7.7:2181"]


def test_nothing_usable_gives_an_empty_connect_string():
    relation = zk_relation({0: zk_unit(0, port=None)})

    assert ask(testing.State(relations=[relation]), ZookeeperRequires.read).connect_string == ""


def test_a_unit_without_a_valid_port_is_not_usable():
    relation = zk_relation(
        {0: zk_unit(0, port=None), 1: zk_unit(1, port="http"), 2: zk_unit(2, port="2182")}
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.read(), z.is_connected(), z.is_available()),
    )

    assert answers == (offer(zu(2, port=2182)), True, True)


def test_nothing_usable_answers_empty():
    relation = zk_relation({0: zk_unit(0, port=None, rest_port=None)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.read(), z.get_zookeeper_units(), z.zookeepers(), z.is_available()),
    )

    assert answers == (ZookeeperOffer(), [], [], False)
    assert ask(testing.State(), ZookeeperRequires.is_connected) is False


def test_units_come_in_unit_number_order_unit_10_after_unit_2():
    relation = zk_relation({10: zk_unit(10), 2: zk_unit(2), 1: zk_unit(1)})

    units = ask(testing.State(relations=[relation]), ZookeeperRequires.get_zookeeper_units)

    assert units == [(address(1), "2181"), (address(2), "2181"), (address(10), "2181")]


def test_several_relations_oldest_first():
    newer = zk_relation({0: zk_unit(5)}, relation_id=82)
    older = zk_relation({0: zk_unit(0), 1: zk_unit(1)}, relation_id=42)
    state = testing.State(relations=[newer, older])

    answers = ask(state, lambda z: (z.read(), [z.read(r) for r in z.relations]))

    assert answers[0] == offer(zu(0), zu(1), ("zookeeper/0", address(5), 2181, 9998))
    assert answers[1] == [offer(zu(0), zu(1)), offer(("zookeeper/0", address(5), 2181, 9998))]


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("port", '"2181"'),
        ("rest_port", '"9998"'),
        ("host", '"zk.example"'),
        ("private-address", '"10.1.0.0"'),
    ],
)
def test_values_a_legacy_build_json_quoted_are_read_as_plain(key: str, raw: str):
    relation = zk_relation({0: zk_unit(0, **{key: raw})})

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.zookeepers(), z.malformed_units()),
    )

    host = "zk.example" if key == "host" else address(0)
    assert answers == ([{"host": host, "port": "2181", "rest_port": "9998"}], [])


def test_the_typed_read_is_frozen():
    relation = zk_relation({0: zk_unit(0)})
    result = ask(testing.State(relations=[relation]), ZookeeperRequires.read)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.units = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        result.units[0].port = 1  # type: ignore[misc]


# --- 5. Per-field tolerance and hostile values ------------------------------------------------

HOSTILE: list[Any] = [
    # (field, raw value, what the unit then is: None if unusable)
    pytest.param("port", "0", None, id="port-0"),
    pytest.param("port", "65536", None, id="port-65536"),
    pytest.param("port", "02181", None, id="port-leading-zero"),
    pytest.param("port", "2181.0", None, id="port-float"),
    pytest.param("port", '"\\ud800"', None, id="port-lone-surrogate"),
    pytest.param("port", '"21\\x81"', None, id="port-bad-json-escape"),
    pytest.param("port", '"21","81"', None, id="port-two-json-strings"),
    pytest.param("port", "2181\x00", None, id="port-nul"),
    pytest.param("port", "1" * MIB, None, id="port-1MiB"),
    pytest.param("rest_port", "rest", zu(0, rest_port=None), id="rest-port-word"),
    pytest.param("rest_port", "9998\n", zu(0, rest_port=None), id="rest-port-newline"),
    pytest.param("rest_port", '"\\udfff"', zu(0, rest_port=None), id="rest-port-surrogate"),
    pytest.param("host", "zk 0;reboot", zu(0), id="host-shell"),
    pytest.param("host", '"zk\\ud800.example"', zu(0), id="host-lone-surrogate"),
    pytest.param("host", "zk\x1b[2J.example", zu(0), id="host-control-characters"),
    pytest.param("host", "a" * MIB, zu(0), id="host-1MiB"),
    pytest.param("host", "fe80::1%eth0", zu(0), id="host-zone-index"),
    pytest.param("host", "10.9.9.300", zu(0), id="host-bad-ipv4"),
    pytest.param("host", "fd00::zz", zu(0), id="host-bad-ipv6"),
    pytest.param("private-address", "10.9.9.9 ", None, id="private-address-bad"),
]


@pytest.mark.parametrize(("field", "value", "expected"), HOSTILE)
def test_a_malformed_field_counts_as_absent_alone_and_is_reported_without_its_value(
    field: str, value: str, expected: Unit | None, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    relation = zk_relation({0: zk_unit(0, **{field: value}), 1: zk_unit(1)})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        zookeeper = mgr.charm.zookeeper
        malformed = zookeeper.malformed_units()
        assert zookeeper.malformed_units() == malformed
        result = zookeeper.read()
        legacy = zookeeper.zookeepers()

    usable = [] if expected is None else [expected]
    assert result == offer(*usable, zu(1))
    assert len(legacy) == len(usable) + 1
    assert seen == [
        connected(relation.id),
        *(joining(relation.id, unit) for unit in [*usable, zu(1)]),
        available(relation.id, *usable, zu(1)),
    ]
    assert malformed == [MalformedUnit(relation.id, "zookeeper/0", (field,), malformed[0].reason)]
    assert malformed[0].reason.startswith(f"{field}: ")
    assert str(malformed[0]) == f"zookeeper/0 sent a malformed {field}"
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert warnings[0].name == LOGGER
    assert f"relation {relation.id}" in message
    assert "zookeeper/0" in message
    assert field in message
    assert len(message) < 300
    decoded = value.strip('"')
    for text in (caplog.text, repr(malformed), str(malformed[0]), *ctx.juju_log):
        for secret in (value, decoded):
            if len(secret) > 5:  # shorter ones may be part of any message
                assert secret not in str(text)


def test_a_bad_rest_port_does_not_hide_a_good_port():
    relation = zk_relation({0: zk_unit(0, rest_port="nine")})

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.get_zookeeper_units(), z.zookeepers(), z.malformed_units()),
    )

    assert answers[0] == [(address(0), "2181")]
    assert answers[1] == [{"host": address(0), "port": "2181", "rest_port": None}]
    assert [(m.unit_name, m.fields) for m in answers[2]] == [("zookeeper/0", ("rest_port",))]


def test_a_malformed_host_falls_back_to_private_address():
    relation = zk_relation({0: zk_unit(0, host="not a host!")})

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.get_zookeeper_units(), z.malformed_units()),
    )

    assert answers[0] == [(address(0), "2181")]
    assert [str(m) for m in answers[1]] == ["zookeeper/0 sent a malformed host"]


def test_a_malformed_host_and_private_address_leave_the_unit_unusable():
    relation = zk_relation({0: zk_unit(0, host="bad host", **{"private-address": "bad too"})})

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.read(), z.is_connected(), z.malformed_units()),
    )

    assert answers[0] == ZookeeperOffer()
    assert answers[1] is True
    (malformed,) = answers[2]
    assert malformed.fields == ("host", "private-address")
    assert str(malformed) == "zookeeper/0 sent a malformed host, private-address"
    assert "bad" not in malformed.reason


def test_all_bad_fields_of_a_unit_are_named_and_logged_once_per_hook(
    caplog: pytest.LogCaptureFixture,
):
    relation = zk_relation({0: zk_unit(0, port="x", rest_port="y"), 1: zk_unit(1)})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        for _ in range(3):
            view(mgr.charm.zookeeper)
        mgr.run()
        malformed = mgr.charm.zookeeper.malformed_units()

    assert [(m.relation_id, m.unit_name, m.fields) for m in malformed] == [
        (relation.id, "zookeeper/0", ("port", "rest_port"))
    ]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "port, rest_port" in warnings[0].getMessage()


def test_malformed_units_lists_every_bad_unit_of_every_relation_in_order():
    older = zk_relation({10: zk_unit(10, port="x"), 2: zk_unit(2, host="?")}, relation_id=3)
    newer = zk_relation({0: zk_unit(0, rest_port="-")}, relation_id=9)

    malformed = ask(testing.State(relations=[newer, older]), ZookeeperRequires.malformed_units)

    assert [(m.relation_id, m.unit_name, m.fields) for m in malformed] == [
        (3, "zookeeper/2", ("host",)),
        (3, "zookeeper/10", ("port",)),
        (9, "zookeeper/0", ("rest_port",)),
    ]


def test_keys_of_other_interfaces_are_ignored():
    relation = zk_relation({0: zk_unit(0, zookeepers="[]", version="3.4", secret="x")})

    answers = ask(testing.State(relations=[relation]), lambda z: (z.read(), z.malformed_units()))

    assert answers == (offer(zu(0)), [])


# --- 6. Requirer events and their order -------------------------------------------------------


def test_first_hook_fires_connected_joining_per_unit_in_order_then_available():
    relation = zk_relation({10: zk_unit(10), 2: zk_unit(2)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 2) == [
        connected(relation.id),
        joining(relation.id, zu(2)),
        joining(relation.id, zu(10)),
        available(relation.id, zu(2), zu(10)),
    ]
    assert session.changed(relation.id) == []
    assert session.update_status() == []


def test_a_unit_without_data_only_connects_and_becomes_usable_later():
    relation = zk_relation({0: zk_unit(0, port=None, rest_port=None)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [connected(relation.id)]
    assert session.changed(relation.id, {0: zk_unit(0)}) == [
        joining(relation.id, zu(0)),
        available(relation.id, zu(0)),
    ]


def test_a_second_unit_joining_fires_joining_for_it_and_available_with_both():
    relation = zk_relation({0: zk_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    session.set_units(relation.id, {0: zk_unit(0), 1: zk_unit(1)})

    assert session.joined(relation.id, 1) == [
        joining(relation.id, zu(1)),
        available(relation.id, zu(0), zu(1)),
    ]


@pytest.mark.parametrize(
    ("change", "unit"),
    [
        ({"port": "2182"}, zu(0, port=2182)),
        ({"rest_port": None}, zu(0, rest_port=None)),
        ({"host": "zk.example"}, zu(0, host="zk.example")),
        ({"private-address": "10.2.0.1"}, zu(0, host="10.2.0.1")),
    ],
)
def test_a_unit_changing_where_it_listens_fires_joining_again_and_available(
    change: dict[str, str | None], unit: Unit
):
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: zk_unit(0, **change), 1: zk_unit(1)}) == [
        joining(relation.id, unit),
        available(relation.id, unit, zu(1)),
    ]


@pytest.mark.parametrize("still_listed", [False, True])
def test_departure_of_a_usable_unit_fires_departing_then_available_with_the_rest(
    still_listed: bool,
):
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0, still_listed=still_listed) == [
        departing(relation.id, 0),
        available(relation.id, zu(1)),
    ]
    if still_listed:
        session.departed(relation.id, 0)  # Juju's next view: the unit is gone
    assert session.departed(relation.id, 1, still_listed=still_listed) == [
        departing(relation.id, 1),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_withdrawing_a_port_fires_departing_and_unavailable_when_none_is_left():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: zk_unit(0), 1: zk_unit(1, port=None)}) == [
        departing(relation.id, 1),
        available(relation.id, zu(0)),
    ]
    assert session.changed(relation.id, {0: zk_unit(0, port="x"), 1: zk_unit(1, port=None)}) == [
        departing(relation.id, 0),
        unavailable(relation.id),
    ]
    assert session.changed(relation.id) == []
    assert session.changed(relation.id, {0: zk_unit(0), 1: zk_unit(1, port=None)}) == [
        joining(relation.id, zu(0)),
        available(relation.id, zu(0)),
    ]


def test_departure_of_a_unit_that_was_never_usable_only_disconnects_when_last():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1, port=None)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0) == [
        departing(relation.id, 0),
        unavailable(relation.id),
        disconnected(relation.id),
    ]
    assert session.broken(relation.id) == []


def test_relation_broken_ends_everything_in_order():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.broken(relation.id) == [
        departing(relation.id, 0),
        departing(relation.id, 1),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_relation_broken_on_a_relation_never_seen_emits_nothing():
    relation = zk_relation({})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.broken(relation.id) == []


def test_events_are_per_relation():
    first = zk_relation({0: zk_unit(0)}, relation_id=4)
    second = zk_relation({0: zk_unit(7)}, relation_id=5)
    session = Session(client_context(), testing.State(relations=[first, second]))
    session.changed(first.id)
    other = ("zookeeper/0", address(7), 2181, 9998)
    assert session.changed(second.id) == [
        connected(second.id),
        joining(second.id, other),
        available(second.id, other),
    ]

    assert session.departed(first.id, 0) == [
        departing(first.id, 0),
        unavailable(first.id),
        disconnected(first.id),
    ]
    assert ask(session.state, ZookeeperRequires.read) == offer(other)


def test_upgrade_charm_reconciles_several_relations_oldest_first():
    newer = zk_relation({0: zk_unit(7)}, relation_id=9)
    older = zk_relation({1: zk_unit(1)}, relation_id=2)
    session = Session(client_context(), testing.State(relations=[newer, older]))
    other = ("zookeeper/0", address(7), 2181, 9998)

    assert session.upgraded() == [
        connected(older.id),
        joining(older.id, zu(1)),
        available(older.id, zu(1)),
        connected(newer.id),
        joining(newer.id, other),
        available(newer.id, other),
    ]


# --- 7. One view per hook ---------------------------------------------------------------------


@pytest.mark.parametrize("last", [False, True])
def test_during_departure_every_query_already_leaves_out_the_departing_unit(last: bool):
    units = {0: zk_unit(0)} if last else {0: zk_unit(0), 1: zk_unit(1, port="bad")}
    relation = zk_relation(units)
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    event = ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0)
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views

    if last:
        expected: View = (False, False, ZookeeperOffer(), [], [], [], [relation.id])
        names = [
            "ZookeeperDeparting",
            "ZookeeperUnavailable",
            "ZookeeperDisconnected",
            "RelationDepartedEvent",
            "CollectStatusEvent",
        ]
    else:
        expected = (True, False, ZookeeperOffer(), [], [], ["zookeeper/1"], [relation.id])
        names = [
            "ZookeeperDeparting",
            "ZookeeperUnavailable",
            "RelationDepartedEvent",
            "CollectStatusEvent",
        ]
    assert [name for name, _ in views] == names
    for _, answered in views:
        assert answered == expected


@pytest.mark.parametrize(("unit", "relation_id", "departing"), DEPARTING_ENVIRONMENTS)
def test_the_departing_unit_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, departing: Any
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert zookeeper_library._departing_in_this_hook() == departing  # pyright: ignore[reportPrivateUsage]


def test_during_departure_a_deferred_events_handler_already_sees_the_departing_unit_gone():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})

    charm = run_departure_after_a_deferred_event(
        client_context(DeferringWatcherCharm), relation, 1
    )

    assert isinstance(charm, DeferringWatcherCharm)
    # The deferred `available` ran first; collect-status last: one view of the hook.
    assert len(charm.views) >= 2
    assert charm.views[0] == charm.views[-1]


def test_during_departure_of_one_of_two_units_the_available_event_and_queries_agree():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    event = ctx.on.relation_departed(relation, remote_unit=1, departing_unit=1)
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        seen = mgr.charm.seen

    assert seen == [departing(relation.id, 1), available(relation.id, zu(0))]
    expected: View = (
        True,
        True,
        offer(zu(0)),
        [(address(0), "2181")],
        [{"host": address(0), "port": "2181", "rest_port": "9998"}],
        [],
        [relation.id],
    )
    assert [name for name, _ in views] == [
        "ZookeeperDeparting",
        "ZookeeperAvailable",
        "RelationDepartedEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == expected


def test_during_relation_broken_the_relation_is_gone_for_every_query():
    relation = zk_relation({0: zk_unit(0, rest_port="bad")})
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    with ctx(ctx.on.relation_broken(relation), session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        in_broken = mgr.charm.zookeeper.read(
            mgr.charm.model.get_relation("zookeeper", relation.id)
        )

    assert [name for name, _ in views] == [
        "ZookeeperDeparting",
        "ZookeeperUnavailable",
        "ZookeeperDisconnected",
        "RelationBrokenEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == (False, False, ZookeeperOffer(), [], [], [], [])
    assert in_broken == ZookeeperOffer()


# --- 7b. The leaving unit --------------------------------------------------------------------
# Juju names this unit as the departing one when it is going; ops.testing cannot, so the
# session amends the hook's environment (`demo.deployment.this_unit_named_departing`).

NOTHING: View = (False, False, ZookeeperOffer(), [], [], [], [])
"""What the requirer's queries answer when the view holds no relation."""


def test_the_leaving_requirer_ends_every_state_in_its_first_departure_and_starts_nothing_after():
    first = zk_relation({0: zk_unit(0), 1: zk_unit(1)}, relation_id=33)
    second = zk_relation({0: zk_unit(5)}, relation_id=73)
    session = Session(client_context(), testing.State(relations=[first, second]))
    session.changed(33)
    session.changed(73)

    assert session.this_unit_departs(33, 0) == [
        departing(33, 0),
        departing(33, 1),
        unavailable(33),
        disconnected(33),
        departing(73, 0),
        unavailable(73),
        disconnected(73),
    ]
    assert ask(session.state, view) == NOTHING
    # Nothing starts again: not on new data, not on a refresh, not in the other departures.
    assert session.changed(73, {0: zk_unit(5, port="2182"), 1: zk_unit(6)}) == []
    assert session.upgraded() == []
    assert session.this_unit_departs(33, 1) == []
    assert ask(session.state, view) == NOTHING
    assert session.broken(33) == []
    assert session.broken(73) == []


def test_the_leaving_requirers_deferred_events_already_see_nothing_in_its_first_departure():
    relation = zk_relation({0: zk_unit(0)})
    charm = run_departure_after_a_deferred_event(
        client_context(DeferringWatcherCharm), relation, 0, this_unit=True
    )
    assert isinstance(charm, DeferringWatcherCharm)

    # The deferred `available` ran first, and already saw the endpoint as this unit leaves it.
    assert charm.views == [NOTHING, NOTHING]
    rid = relation.id
    assert charm.seen[-3:] == [departing(rid, 0), unavailable(rid), disconnected(rid)]


def test_the_leaving_provider_ends_its_clients_and_neither_writes_nor_announces_again():
    relation = client_relation((0, 1))
    session = Session(zookeeper_context(), testing.State(relations=[relation]))
    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    before = local_data(session.state, relation)
    ctx = session.ctx

    # In the leaving hook, the charm sends its port: no `available`, and nothing is written.
    event = ctx.on.relation_departed(session.relation(relation.id), remote_unit=0)
    with this_unit_named_departing(), ctx(event, session.state) as mgr:
        mgr.charm.zookeeper.send_connection(2181, rest_port=9998)
        answered = mgr.charm.zookeeper.is_available(), mgr.charm.zookeeper.is_connected()
        session.state = mgr.run()
        seen = mgr.charm.seen

    assert seen == [client_disconnected(relation.id)]
    assert answered == (False, False)
    assert local_data(session.state, relation) == before
    assert session.joined(relation.id, 1) == []
    assert session.run(ctx.on.config_changed()) == []
    session.state = publish(session.state, send(2182))
    assert local_data(session.state, relation) == before
    assert session.upgraded() == []
    assert session.broken(relation.id) == []


def test_a_leaving_provider_publishing_in_a_later_hook_announces_nothing():
    relation = client_relation((0,))
    session = Session(zookeeper_context(), testing.State(relations=[relation]))
    session.state = publish(session.state, send(2181))  # connected and available

    assert session.this_unit_departs(relation.id, 0) == [
        client_unavailable(relation.id),
        client_disconnected(relation.id),
    ]
    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.zookeeper.clear_connection()
        mgr.charm.zookeeper.send_connection(2182)
        session.state = mgr.run()
        assert mgr.charm.seen == []
    assert local_data(session.state, relation)["port"] == "2181"


def test_while_this_unit_leaves_the_legacy_queues_answer_nothing_and_are_emptied():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1), 2: zk_unit(2)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.zookeeper.dismiss_joining()  # units 0 to 2 seen: their departures count
        session.state = mgr.run()
    session.departed(relation.id, 2)
    session.changed(relation.id, {0: zk_unit(0), 1: zk_unit(1), 3: zk_unit(3)})
    queues = ask(
        session.state, lambda z: ([u.unit_name for u in z.joining_units()], z.departing_units())
    )
    assert queues == (["zookeeper/3"], ["zookeeper/2"])

    session.this_unit_departs(relation.id, 0)

    assert ask(session.state, lambda z: (z.joining_units(), z.departing_units())) == ([], [])
    stored = stored_content(session.state, "ZookeeperRequires")
    assert [stored[queue] for queue in ("joining", "departing", "fresh", "unseen")] == [[]] * 4
    assert stored_content(session.state, "ZookeeperRequires", "_lifecycle") == {"leaving": True}


def test_a_departure_of_another_unit_is_not_this_unit_leaving():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0) == [
        departing(relation.id, 0),
        available(relation.id, zu(1)),
    ]
    assert session.changed(relation.id, {1: zk_unit(1), 2: zk_unit(2)}) != []


LEAVING_ENVIRONMENTS = [
    pytest.param("kafka/0", "zookeeper:39", True, id="this-unit-departs"),
    pytest.param("zookeeper/0", "zookeeper:39", False, id="a-remote-unit-departs"),
    pytest.param("kafka/0", "other:39", False, id="another-endpoint"),
    pytest.param("", "zookeeper:39", False, id="another-relation-hook"),
    pytest.param("kafka/0", "", False, id="no-relation-id"),
]
"""`JUJU_DEPARTING_UNIT`, `JUJU_RELATION_ID`, and whether unit kafka/0 of endpoint
`zookeeper` is leaving."""


@pytest.mark.parametrize(("unit", "relation_id", "leaving"), LEAVING_ENVIRONMENTS)
def test_this_unit_leaving_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, leaving: bool
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert zookeeper_library._leaving_in_this_hook("zookeeper", "kafka/0") is leaving  # pyright: ignore[reportPrivateUsage]


BROKEN_ENVIRONMENTS = [
    pytest.param("zookeeper:7", "zookeeper-relation-broken", "", 7, id="relation-broken"),
    pytest.param("zookeeper:7", "", "hooks/zookeeper-relation-broken", 7, id="dispatch-path"),
    pytest.param("zookeeper:7", "zookeeper-relation-departed", "", None, id="departed"),
    pytest.param("other:7", "other-relation-broken", "", None, id="another-endpoint"),
    pytest.param("zookeeper:x", "zookeeper-relation-broken", "", None, id="malformed-id"),
]
"""`JUJU_RELATION_ID`, `JUJU_HOOK_NAME`, `JUJU_DISPATCH_PATH`, and the relation broken."""


@pytest.mark.parametrize(("relation_id", "hook", "dispatch", "broken"), BROKEN_ENVIRONMENTS)
def test_the_relation_being_broken_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, relation_id: str, hook: str, dispatch: str, broken: Any
):
    monkeypatch.setenv("JUJU_RELATION_ID", relation_id)
    monkeypatch.setenv("JUJU_HOOK_NAME", hook)
    monkeypatch.setenv("JUJU_DISPATCH_PATH", dispatch)

    assert zookeeper_library._broken_in_this_hook("zookeeper") == broken  # pyright: ignore[reportPrivateUsage]


def test_a_leaving_provider_writes_nothing_on_a_relation_created_while_it_leaves():
    relation = client_relation((0,))
    session = Session(zookeeper_context(), testing.State(relations=[relation]))
    session.state = publish(session.state, send(2181))
    session.this_unit_departs(relation.id, 0)
    late = client_relation((0,))
    session.state = dataclasses.replace(session.state, relations=[*session.state.relations, late])

    assert session.run(session.ctx.on.relation_created(late)) == []

    assert "port" not in local_data(session.state, late)


# --- 7c. Relation-broken after a deferral -----------------------------------------------------


def test_during_relation_broken_a_deferred_events_handler_already_sees_the_relation_gone():
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context(DeferringWatcherCharm)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        testing.State(config={"defer": "x"}, relations=[relation]),
    )
    state = dataclasses.replace(state, config={"defer": ""})

    with ctx(ctx.on.relation_broken(relation), state) as mgr:
        in_broken = mgr.charm.zookeeper.read(
            mgr.charm.model.get_relation("zookeeper", relation.id)
        )
        mgr.run()
        charm = mgr.charm
    assert isinstance(charm, DeferringWatcherCharm)

    # The deferred `available` ran first: the relation was already gone for it.
    assert in_broken == ZookeeperOffer()
    assert charm.views == [NOTHING, NOTHING]


# --- 8. The legacy queues -----------------------------------------------------------------------


def test_the_queues_persist_across_hooks_and_empty_when_dismissed():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    names = ask(session.state, lambda z: [u.unit_name for u in z.joining_units()])
    assert names == ["zookeeper/0", "zookeeper/1"]
    assert ask(session.state, lambda z: z.joining_units()[0]) == ZookeeperUnit(
        unit_name="zookeeper/0", host=address(0), port=2181, rest_port=9998
    )
    session.departed(relation.id, 1)
    assert ask(session.state, ZookeeperRequires.departing_units) == ["zookeeper/1"]
    # A unit that left is no longer listed as joining.
    assert ask(session.state, lambda z: [u.unit_name for u in z.joining_units()]) == [
        "zookeeper/0"
    ]

    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.zookeeper.dismiss_joining()
        assert mgr.charm.zookeeper.joining_units() == []
        assert mgr.charm.zookeeper.departing_units() == ["zookeeper/1"]
        mgr.charm.zookeeper.dismiss_departing()
        assert mgr.charm.zookeeper.departing_units() == []
        session.state = mgr.run()

    assert ask(session.state, lambda z: (z.joining_units(), z.departing_units())) == ([], [])


def test_a_charm_handling_the_queues_in_update_status_works():
    relation = zk_relation({0: zk_unit(0)})
    ctx = testing.Context(QueueCharm, meta=CLIENT_META, config=DEFER_CONFIG)
    session = Session(ctx, testing.State(relations=[relation]))
    queues: list[tuple[list[str], list[str]]] = []

    def update_status() -> None:
        with ctx(ctx.on.update_status(), session.state) as mgr:
            session.state = mgr.run()
            queues.extend(mgr.charm.queues)

    session.changed(relation.id)
    session.changed(relation.id, {0: zk_unit(0), 1: zk_unit(1)})
    update_status()
    update_status()
    session.changed(relation.id, {0: zk_unit(0, port="2182"), 1: zk_unit(1)})
    session.departed(relation.id, 1)
    update_status()

    assert queues == [
        (["zookeeper/0", "zookeeper/1"], []),
        ([], []),
        (["zookeeper/0"], ["zookeeper/1"]),
    ]


def test_a_unit_is_queued_once_however_often_it_changes():
    relation = zk_relation({0: zk_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    session.changed(relation.id, {0: zk_unit(0, port="2182")})
    session.changed(relation.id, {0: zk_unit(0, port=None)})
    session.changed(relation.id, {0: zk_unit(0, port="2183")})
    session.changed(relation.id, {0: zk_unit(0, port=None)})

    answers = ask(session.state, lambda z: (z.joining_units(), z.departing_units()))

    assert answers == ([], ["zookeeper/0"])


# --- 8b. Stored state bounded by the relations, not by history -----------------------------


def library_state_size(state: testing.State) -> int:
    """How many bytes the library keeps in the unit's stored state, as JSON."""
    return sum(
        len(json.dumps(stored.content, default=list))
        for stored in state.stored_states
        if "ZookeeperRequires" in (stored.owner_path or "")
    )


def churn(session: Session, relation_id: int, rounds: int, first: int = 2) -> list[int]:
    """Scale the zookeeper application up and down: a unit joins, then the oldest departs.

    Two hooks a round, two units left at the end of each; returns the library's stored state
    size after each hook.
    """
    sizes: list[int] = []
    for new in range(first, first + rounds):
        units = dict(session.relation(relation_id).remote_units_data)
        session.changed(relation_id, {**units, new: zk_unit(new)})
        sizes.append(library_state_size(session.state))
        session.departed(relation_id, min(units))
        sizes.append(library_state_size(session.state))
    return sizes


def test_the_stored_state_stays_as_small_as_the_relations_through_a_long_churn():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    sizes = churn(session, relation.id, rounds=150)  # 300 hooks

    assert len(session.relation(relation.id).remote_units_data) == 2
    # Once the queues hold what they may (after 16 departures), they grow no more: only by
    # a digit in each unit name and address they hold (zookeeper/99, then zookeeper/100),
    # where each round of the churn used to add two names.
    assert max(sizes[-100:]) - max(sizes[50:100]) < 64
    assert max(sizes) < 1024
    departed = [f"zookeeper/{number}" for number in range(150 - 16, 150)]
    assert ask(session.state, ZookeeperRequires.departing_units) == departed


def test_a_charm_that_lists_and_dismisses_the_queues_hears_of_every_unit_through_the_churn():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    ctx = testing.Context(QueueCharm, meta=CLIENT_META, config=DEFER_CONFIG)
    session = Session(ctx, testing.State(relations=[relation]))
    session.changed(relation.id)
    heard: list[tuple[list[str], list[str]]] = []
    for first in range(2, 200, 3):  # 200 hooks; Juju's addresses are 10.1.0.<unit number>
        with ctx(ctx.on.update_status(), session.state) as mgr:
            session.state = mgr.run()
            heard.extend(mgr.charm.queues)
        churn(session, relation.id, rounds=3, first=first)

    # Each update-status lists the units that joined and still are, and every unit that
    # departed since the one before: all of them, as long as no more than 16 came and went.
    assert heard[0] == (["zookeeper/0", "zookeeper/1"], [])
    for number, (joined, departed) in enumerate(heard[1:]):
        first = 2 + 3 * number
        assert joined == [f"zookeeper/{first + 1}", f"zookeeper/{first + 2}"]
        assert departed == [f"zookeeper/{n}" for n in range(first - 2, first + 1)]
    assert library_state_size(session.state) < 1024


def test_the_departing_queue_keeps_the_units_a_dismissal_saw_and_the_last_16_others():
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.zookeeper.dismiss_joining()  # the charm has seen zookeeper/0 and /1 join
        session.state = mgr.run()

    session.departed(relation.id, 0)
    session.changed(relation.id, {1: zk_unit(1), 2: zk_unit(2)})
    churn(session, relation.id, rounds=20, first=3)  # /1 departs first, then /2 to /20

    unseen = [f"zookeeper/{number}" for number in range(5, 21)]
    assert ask(session.state, ZookeeperRequires.departing_units) == [
        "zookeeper/0",
        "zookeeper/1",
        *unseen,
    ]
    assert ask(session.state, lambda z: [u.unit_name for u in z.joining_units()]) == [
        "zookeeper/21",
        "zookeeper/22",
    ]


def test_a_unit_usable_again_after_a_seen_departure_keeps_that_departure():
    relation = zk_relation({0: zk_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx
    session.changed(relation.id, {0: zk_unit(0, port=None)})  # withdraws: departing, unseen
    session.changed(relation.id, {0: zk_unit(0)})  # usable again
    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.zookeeper.dismiss_joining()  # seen, usable, at a dismissal
        session.state = mgr.run()
    session.changed(relation.id, {0: zk_unit(0, port=None)})  # a departure the charm saw

    churn(session, relation.id, rounds=20, first=1)  # 20 units come and go, unseen

    assert "zookeeper/0" in ask(session.state, ZookeeperRequires.departing_units)


def test_a_refresh_forgets_the_queued_units_of_a_relation_that_is_gone_without_a_broken_hook():
    # A charm refreshed after a relation went away (its relation-broken ran in the old
    # charm's hands) still has the relation's record: its units leave the queues with it.
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    queued = stored_content(session.state, "ZookeeperRequires")
    assert queued["joining"] == queued["fresh"] == ["zookeeper/0", "zookeeper/1"]
    session.state = dataclasses.replace(session.state, relations=[])

    assert session.upgraded() == []

    stored = stored_content(session.state, "ZookeeperRequires")
    assert (stored["relations"], stored["joining"], stored["fresh"]) == ({}, [], [])


# --- 9. Refresh from the reactive charm ---------------------------------------------------------


@pytest.mark.parametrize("end", ["departed", "broken"])
def test_a_refreshed_requirer_announces_what_holds_on_upgrade_charm_and_its_end_later(end: str):
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1), 2: zk_unit(2, port=None)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [
        connected(relation.id),
        joining(relation.id, zu(0)),
        joining(relation.id, zu(1)),
        available(relation.id, zu(0), zu(1)),
    ]
    assert session.upgraded() == []
    names = ask(session.state, lambda z: [u.unit_name for u in z.joining_units()])
    assert names == ["zookeeper/0", "zookeeper/1"]

    if end == "broken":
        assert session.broken(relation.id) == [
            departing(relation.id, 0),
            departing(relation.id, 1),
            unavailable(relation.id),
            disconnected(relation.id),
        ]
    else:
        assert session.departed(relation.id, 1) == [
            departing(relation.id, 1),
            available(relation.id, zu(0)),
        ]
        assert session.departed(relation.id, 2) == []
        assert session.departed(relation.id, 0) == [
            departing(relation.id, 0),
            unavailable(relation.id),
            disconnected(relation.id),
        ]


@pytest.mark.parametrize("hook", ["changed", "departed"])
def test_a_relation_without_a_record_is_reconciled_on_any_of_its_hooks(hook: str):
    relation = zk_relation({0: zk_unit(0), 1: zk_unit(1)})
    session = Session(client_context(), testing.State(relations=[relation]))

    if hook == "changed":
        assert session.changed(relation.id) == [
            connected(relation.id),
            joining(relation.id, zu(0)),
            joining(relation.id, zu(1)),
            available(relation.id, zu(0), zu(1)),
        ]
    else:
        assert session.departed(relation.id, 1) == [
            connected(relation.id),
            joining(relation.id, zu(0)),
            available(relation.id, zu(0)),
        ]


@pytest.mark.parametrize("role", ["requirer", "provider"])
def test_upgrade_charm_drops_records_of_relations_that_no_longer_exist(role: str):
    if role == "requirer":
        kept, gone = zk_relation({0: zk_unit(0)}), zk_relation({0: zk_unit(1)})
        ctx: testing.Context[Any] = client_context()
        owner = "ZookeeperRequires"
    else:
        kept, gone = client_relation(), client_relation()
        ctx = zookeeper_context()
        owner = "ZookeeperProvides"
    session = Session(ctx, testing.State(relations=[kept, gone]))
    session.changed(kept.id)
    session.changed(gone.id)
    assert set(stored_content(session.state, owner)["relations"]) == {str(kept.id), str(gone.id)}
    session.state = dataclasses.replace(session.state, relations=[kept])

    assert session.upgraded() == []

    assert set(stored_content(session.state, owner)["relations"]) == {str(kept.id)}


# --- 10. Deferral and custom events -------------------------------------------------------------


def test_deferred_events_are_re_emitted_with_the_payload_they_had():
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context()
    state = testing.State(config={"defer": "joining,available,departing"}, relations=[relation])
    with ctx(ctx.on.relation_changed(relation, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == [
            connected(relation.id),
            joining(relation.id, zu(0)),
            available(relation.id, zu(0)),
        ]
    assert len(state.deferred) == 2

    # Meanwhile the unit moved and another one came; the deferred events still carry what
    # they announced.
    moved = dataclasses.replace(
        relation, remote_units_data={0: zk_unit(0, port="2182"), 1: zk_unit(1, rest_port=None)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, relations=[moved])
    with ctx(ctx.on.relation_changed(moved, remote_unit=0), state) as mgr:
        state = mgr.run()
        # The deferred ones come first (ops.testing does not keep their relative order).
        assert sorted(mgr.charm.seen[:2]) == [
            available(relation.id, zu(0)),
            joining(relation.id, zu(0)),
        ]
        assert mgr.charm.seen[2:] == [
            joining(relation.id, zu(0, port=2182)),
            joining(relation.id, zu(1, rest_port=None)),
            available(relation.id, zu(0, port=2182), zu(1, rest_port=None)),
        ]
    assert state.deferred == []

    # A deferred departure keeps its unit's name.
    state = dataclasses.replace(state, config={"defer": "departing"})
    gone = dataclasses.replace(moved, remote_units_data={0: zk_unit(0, port="2182")})
    state = dataclasses.replace(state, relations=[gone])
    state = ctx.run(ctx.on.relation_departed(gone, remote_unit=1, departing_unit=1), state)
    (deferred,) = state.deferred
    assert deferred.snapshot_data["unit_name"] == "zookeeper/1"
    state = dataclasses.replace(state, config={"defer": ""})
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [departing(relation.id, 1)]


def test_a_deferred_event_outlives_its_relation():
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    state = dataclasses.replace(state, config={"defer": ""}, relations=[])
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [available(relation.id, zu(0))]


@pytest.mark.parametrize("kind", ["joining", "available"])
def test_a_deferred_payload_the_current_validation_refuses_is_restored_as_it_was(
    kind: str, caplog: pytest.LogCaptureFixture
):
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context()
    state = testing.State(config={"defer": kind}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    (deferred,) = state.deferred
    payload = json.loads(deferred.snapshot_data["payload"])
    if kind == "joining":
        payload["port"] = 0
    else:
        payload["units"][0]["port"] = 0
    stored = dataclasses.replace(
        deferred, snapshot_data={**deferred.snapshot_data, "payload": json.dumps(payload)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, deferred=[stored])
    caplog.clear()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    if kind == "joining":
        assert seen == [joining(relation.id, zu(0, port=0))]
    else:
        assert seen[0][:2] == ("ZookeeperAvailable", relation.id)
        assert seen[0][2][0][2] == 0
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in warnings] == [LOGGER]
    assert "deferred" in warnings[0].getMessage()
    assert "port" in warnings[0].getMessage()


REQUIRER_CUSTOM_EVENTS: list[Any] = [
    pytest.param(ZookeeperRequires.on.connected, (), (), id="ZookeeperConnected"),
    pytest.param(
        ZookeeperRequires.on.joining,
        ("zookeeper/3", "zk.example", 2181, 9998),
        ("zookeeper/3", "zk.example", 2181, 9998),
        id="ZookeeperJoining",
    ),
    pytest.param(
        ZookeeperRequires.on.joining,
        ("zookeeper/3", "zk.example", "2181"),
        ("zookeeper/3", "zk.example", 2181, None),
        id="ZookeeperJoining-string-port-no-rest",
    ),
    pytest.param(
        ZookeeperRequires.on.available,
        ((ZookeeperUnit(unit_name="zookeeper/0", host="h", port=1, rest_port=None),),),
        ((("zookeeper/0", "h", 1, None),),),
        id="ZookeeperAvailable",
    ),
    pytest.param(
        ZookeeperRequires.on.departing, ("zookeeper/3",), ("zookeeper/3",), id="Departing"
    ),
    pytest.param(ZookeeperRequires.on.unavailable, (), (), id="ZookeeperUnavailable"),
    pytest.param(ZookeeperRequires.on.disconnected, (), (), id="ZookeeperDisconnected"),
]


@pytest.mark.parametrize(("event", "args", "payload"), REQUIRER_CUSTOM_EVENTS)
def test_each_requirer_event_can_be_emitted_with_ctx_on_custom(
    event: ops.BoundEvent, args: tuple[Any, ...], payload: tuple[Any, ...]
):
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context()

    with ctx(ctx.on.custom(event, relation, *args), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id, *payload)]


@pytest.mark.parametrize(
    "event",
    [
        ZookeeperProvides.on.connected,
        ZookeeperProvides.on.available,
        ZookeeperProvides.on.unavailable,
        ZookeeperProvides.on.disconnected,
    ],
    ids=["connected", "available", "unavailable", "disconnected"],
)
def test_each_provider_event_can_be_emitted_with_ctx_on_custom(event: ops.BoundEvent):
    relation = client_relation()
    ctx = zookeeper_context()

    with ctx(ctx.on.custom(event, relation), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id)]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(("zookeeper/0", "zk.example", "77777"), "port", id="port-string-high"),
        pytest.param(("zookeeper/0", "zk.example", 0), "port", id="port-0"),
        pytest.param(("zookeeper/0", "zk.example", 2181, 70000), "rest_port", id="rest-port"),
        pytest.param(("zookeeper/0", "not a host!", 2181), "host", id="host"),
    ],
)
def test_a_custom_joining_event_with_a_bad_payload_is_refused_without_echoing_it(
    args: tuple[Any, ...], field: str, tmp_path: Path
):
    relation = zk_relation({0: zk_unit(0)})
    ctx = client_context(charm_root=tmp_path)
    event = ctx.on.custom(ZookeeperRequires.on.joining, relation, *args)

    with pytest.raises(testing.errors.UncaughtCharmError) as caught:
        ctx.run(event, testing.State(relations=[relation]))

    cause = caught.value.__cause__
    assert isinstance(cause, ValueError)
    assert str(cause).startswith(f"{field}: ")
    for value in ("77777", "70000", "not a host!"):
        assert value not in str(cause)


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
            "the charm has no endpoint 'zookeeper'; declare it in charmcraft.yaml under "
            "requires: with interface: zookeeper",
            id="requirer-missing",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "requires": {"zookeeper": {"interface": "kafka"}}},
            "endpoint 'zookeeper' has interface 'kafka'",
            id="requirer-wrong-interface",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "provides": {"zookeeper": {"interface": "zookeeper"}}},
            "endpoint 'zookeeper' is a provides endpoint; declare it in charmcraft.yaml under "
            "requires:",
            id="requirer-on-provides",
        ),
        pytest.param(
            ZookeeperCharm,
            {"name": "z"},
            "the charm has no endpoint 'zookeeper'; declare it in charmcraft.yaml under "
            "provides: with interface: zookeeper",
            id="provider-missing",
        ),
        pytest.param(
            ZookeeperCharm,
            {"name": "z", "provides": {"zookeeper": {"interface": "zk"}}},
            "endpoint 'zookeeper' has interface 'zk'",
            id="provider-wrong-interface",
        ),
        pytest.param(
            ZookeeperCharm,
            {"name": "z", "requires": {"zookeeper": {"interface": "zookeeper"}}},
            "endpoint 'zookeeper' is a requires endpoint; declare it in charmcraft.yaml under "
            "provides:",
            id="provider-on-requires",
        ),
    ],
)
def test_the_constructor_refuses_an_endpoint_that_does_not_fit(
    charm_type: type[ops.CharmBase], meta: dict[str, Any], message: str, tmp_path: Path
):
    assert message in str(construction_error(charm_type, meta, tmp_path))


# --- 12. Test helpers for charm authors --------------------------------------------------------


def test_the_zookeeper_test_relation_gives_usable_units_and_one_malformed():
    relation = zookeeper_relation_for_testing(units=3, malformed_unit=True)

    answers = ask(
        testing.State(relations=[relation]),
        lambda z: (z.zookeepers(), z.malformed_units()),
    )

    assert answers[0] == [
        {"host": f"10.0.9.{n}", "port": "2181", "rest_port": "9998"} for n in (5, 6, 7)
    ]
    assert [(m.unit_name, m.fields) for m in answers[1]] == [
        ("zookeeper/3", ("port", "rest_port", "private-address"))
    ]


def test_the_zookeeper_test_relation_takes_its_ports_and_names():
    relation = zookeeper_relation_for_testing(
        "zk", units=1, port=2888, rest_port=None, remote_app_name="zk-app"
    )
    meta = {"name": "c", "requires": {"zk": {"interface": "zookeeper"}}}

    class Charm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.zookeeper = ZookeeperRequires(self, "zk")

    ctx = testing.Context(Charm, meta=meta)
    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        units = mgr.charm.zookeeper.read().units

    assert [as_tuple(unit) for unit in units] == [("zk-app/0", "10.0.9.5", 2888, None)]


def test_the_client_test_relation_makes_the_provider_connected():
    relation = client_relation_for_testing(units=2)
    session = Session(zookeeper_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [client_connected(relation.id)]
    assert session.departed(relation.id, 0) == []
    assert session.departed(relation.id, 1) == [client_disconnected(relation.id)]


# --- 13. One read per databag per hook ---------------------------------------------------------


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, by the `private-address` of its unit, each databag the library reads."""
    reads: list[str] = []
    read_databag = zookeeper_library._read_databag

    def counting(databag: Mapping[str, str]) -> Any:
        reads.append(databag.get("private-address", ""))
        return read_databag(databag)

    monkeypatch.setattr(zookeeper_library, "_read_databag", counting)
    return reads


def ask_everything(zookeeper: ZookeeperRequires) -> None:
    for _ in range(3):
        view(zookeeper)
        zookeeper.joining_units()
        for relation in zookeeper.relations:
            zookeeper.read(relation)


def test_each_databag_is_read_once_per_hook(monkeypatch: pytest.MonkeyPatch):
    relation = zk_relation(
        {n: zk_unit(n, rest_port="bad" if n == 1 else "9998") for n in range(3)}
    )
    session = Session(client_context(WatchingClientCharm), testing.State(relations=[relation]))
    reads = count_reads(monkeypatch)
    ctx = session.ctx

    with ctx(ctx.on.relation_changed(relation, remote_unit=1), session.state) as mgr:
        mgr.run()
        ask_everything(mgr.charm.zookeeper)
        assert len(mgr.charm.seen) == 5  # connected, joining x 3, available
        assert len(mgr.charm.views) == 2  # in available and in collect-status

    assert sorted(reads) == [address(0), address(1), address(2)]


def test_a_new_hook_reads_the_databags_afresh(monkeypatch: pytest.MonkeyPatch):
    relation = zk_relation({0: zk_unit(0)})
    session = Session(client_context(), testing.State(relations=[relation]))
    reads = count_reads(monkeypatch)

    session.changed(relation.id)
    assert session.changed(relation.id, {0: zk_unit(0, port="2182")}) == [
        joining(relation.id, zu(0, port=2182)),
        available(relation.id, zu(0, port=2182)),
    ]
    assert reads == [address(0), address(0)]


# --- 14. Another protocol under the same interface name --------------------------------------

DATA_PLATFORM_PASSWORD = "Zk9pQ2vXb7LmT4rW"  # made up: no log may show it
DATA_PLATFORM_APP_DATA = {
    "endpoints": "10.2.0.5,10.2.0.6",
    "uris": "10.2.0.5:2181,10.2.0.6:2181/kafka",
    "username": "relation-7",
    "password": DATA_PLATFORM_PASSWORD,
    "chroot": "/kafka",
    "tls": "disabled",
}
"""What a data-platform ZooKeeper charm writes in its application databag for a client."""
DATA_PLATFORM_KEYS = ("endpoints", "uris", "chroot", "username", "password", "tls")


def data_platform_relation(
    app_data: Mapping[str, str] = DATA_PLATFORM_APP_DATA,
    units: Mapping[int, Mapping[str, str]] | None = None,
) -> testing.Relation:
    """A relation to a data-platform ZooKeeper: its units' databags hold Juju's keys only."""
    if units is None:
        units = {n: {k: v for k, v in zk_unit(n).items() if k in JUJU_DEFAULTS} for n in (0, 1)}
    return testing.Relation(
        "zookeeper",
        interface="zookeeper",
        remote_app_name="zookeeper-k8s",
        remote_app_data=dict(app_data),
        remote_units_data={number: dict(databag) for number, databag in units.items()},
    )


def test_a_data_platform_zookeeper_is_named_by_a_query_and_a_warning_that_holds_no_value(
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    relation = data_platform_relation()
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        zookeeper = mgr.charm.zookeeper
        others = zookeeper.other_protocols()
        assert zookeeper.other_protocols() == others
        answered = zookeeper.is_connected(), zookeeper.is_available(), zookeeper.malformed_units()
        seen = mgr.charm.seen

    assert others == [OtherProtocol(relation.id, "zookeeper-k8s", DATA_PLATFORM_KEYS)]
    assert others[0].protocol == "data-platform zookeeper"
    assert str(others[0]) == (
        "zookeeper-k8s speaks the data-platform zookeeper protocol, not the legacy one"
    )
    assert answered == (True, False, [])
    assert seen == [connected(relation.id)]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1  # once in the hook, however often the charm asks
    message = warnings[0].getMessage()
    assert warnings[0].name == LOGGER
    assert f"relation {relation.id}" in message
    assert "zookeeper-k8s" in message
    assert "data-platform zookeeper" in message
    assert "endpoints, uris, chroot, username, password, tls" in message
    for text in (caplog.text, repr(others), str(others[0]), *ctx.juju_log):
        for value in DATA_PLATFORM_APP_DATA.values():
            assert value not in str(text)


def test_a_data_platform_zookeeper_is_warned_about_once_when_the_charm_asks_before_the_library(
    caplog: pytest.LogCaptureFixture,
):
    # The handlers of deferred events run before the library's: the charm asks in one view,
    # the library reconciles in a fresh one, and the hook says it once.
    relation = data_platform_relation()
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        asked = mgr.charm.zookeeper.other_protocols()
        mgr.run()

    assert asked == [OtherProtocol(relation.id, "zookeeper-k8s", DATA_PLATFORM_KEYS)]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1


@pytest.mark.parametrize("error", [KeyError("zookeeper-k8s"), ops.ModelError("permission denied")])
def test_an_unreadable_application_databag_names_no_other_protocol_and_fails_no_hook(
    monkeypatch: pytest.MonkeyPatch, error: Exception
):
    relation = data_platform_relation()
    ctx = client_context()
    read_databag = ops.model.RelationData.__getitem__

    def refusing(self: ops.model.RelationData, key: ops.Unit | ops.Application):
        if isinstance(key, ops.Application) and key.name == "zookeeper-k8s":
            raise error
        return read_databag(self, key)

    monkeypatch.setattr(ops.model.RelationData, "__getitem__", refusing)
    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        assert mgr.charm.zookeeper.other_protocols() == []
        assert mgr.charm.zookeeper.is_connected()


def test_the_documented_client_shows_a_data_platform_zookeeper_in_its_status(tmp_path: Path):
    block = next(
        example.block
        for example in docs_harness.examples(docs_harness.LIBRARIES["zookeeper"])
        if "class ClientCharm" in example.block.source
    )
    example = vars(docs_harness.run_module_block(block, tmp_path))["ClientCharm"]
    ctx = testing.Context(example, meta=CLIENT_META)
    relation = data_platform_relation()

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert state.unit_status == testing.BlockedStatus(
        "zookeeper-k8s speaks the data-platform zookeeper protocol, not the legacy one"
    )


@pytest.mark.parametrize(
    ("app_data", "units"),
    [
        pytest.param(DATA_PLATFORM_APP_DATA, {0: zk_unit(0)}, id="a-unit-offers-legacy-data"),
        pytest.param({}, None, id="no-application-data"),
        pytest.param({"database": "/kafka", "other": "x"}, None, id="other-keys-only"),
        pytest.param({"endpoints": ""}, None, id="an-empty-value"),
        pytest.param(DATA_PLATFORM_APP_DATA, {}, id="no-unit-joined"),
    ],
)
def test_no_other_protocol_is_named_without_its_keys_or_while_legacy_data_is_usable(
    app_data: Mapping[str, str],
    units: Mapping[int, Mapping[str, str]] | None,
    caplog: pytest.LogCaptureFixture,
):
    relation = data_platform_relation(app_data, units)
    ctx = client_context()

    with ctx(ctx.on.update_status(), testing.State(relations=[relation])) as mgr:
        mgr.run()
        assert mgr.charm.zookeeper.other_protocols() == []

    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_another_protocol_is_named_alongside_a_legacy_relation_and_no_longer_once_it_is_gone():
    legacy = zk_relation({0: zk_unit(0)})
    other = data_platform_relation()
    session = Session(client_context(), testing.State(relations=[legacy, other]))
    session.changed(legacy.id)
    session.changed(other.id)

    assert ask(session.state, ZookeeperRequires.other_protocols) == [
        OtherProtocol(other.id, "zookeeper-k8s", DATA_PLATFORM_KEYS)
    ]
    assert ask(session.state, ZookeeperRequires.is_available)
    ctx = session.ctx
    with ctx(ctx.on.relation_broken(session.relation(other.id)), session.state) as mgr:
        assert mgr.charm.zookeeper.other_protocols() == []
        session.state = mgr.run()


def test_the_application_databag_is_read_once_per_hook_and_only_when_no_unit_is_usable(
    monkeypatch: pytest.MonkeyPatch,
):
    reads: list[int] = []
    keys_of = zookeeper_library._other_protocol_keys  # pyright: ignore[reportPrivateUsage]

    def counting(relation: ops.Relation) -> tuple[str, ...]:
        reads.append(relation.id)
        return keys_of(relation)

    monkeypatch.setattr(zookeeper_library, "_other_protocol_keys", counting)
    usable = data_platform_relation(units={0: zk_unit(0)})
    other = data_platform_relation()
    ctx = client_context(WatchingClientCharm)

    with ctx(
        ctx.on.relation_changed(other, remote_unit=0), testing.State(relations=[usable, other])
    ) as mgr:
        mgr.run()
        for _ in range(3):
            ask_everything(mgr.charm.zookeeper)
            mgr.charm.zookeeper.other_protocols()

    assert reads == [other.id]


HOSTILE_APP_DATA: list[Any] = [
    pytest.param({"password": "\ud800"}, ("password",), id="lone-surrogate"),
    pytest.param({"uris": "\x00\x1b[2J" * 1000}, ("uris",), id="control-characters"),
    pytest.param({"endpoints": "1" * MIB, "tls": "{}"}, ("endpoints", "tls"), id="1MiB"),
    pytest.param({"secret-user": "secret://a/b", "Password": "x"}, ("secret-user",), id="case"),
]


@pytest.mark.parametrize(("app_data", "keys"), HOSTILE_APP_DATA)
def test_hostile_application_data_is_named_by_its_keys_and_never_raises(
    app_data: dict[str, str], keys: tuple[str, ...], caplog: pytest.LogCaptureFixture
):
    relation = data_platform_relation(app_data)
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=1), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        others = mgr.charm.zookeeper.other_protocols()

    assert others == [OtherProtocol(relation.id, "zookeeper-k8s", keys)]
    assert len(caplog.text) < 1000
