"""Fuzzing `charms.zookeeper.v0.zookeeper`: hostile databags for both roles, invalid setter input.

This module registers zookeeper with the generic properties (`remote_data.py`, `setters.py`):
the value strategies of its keys, its event pairs and queries, and its setters. It adds the
properties that the generic ones cannot express:

- the endpoint's answer is the concatenation of each relation's, and lists exactly the units
  that an independent reading of the databags finds usable (the remote-data machine compares
  a query's answer with one relation's payload, not with an aggregate over relations);
- `joining` and `departing`, which are per unit rather than per relation, fire exactly when one
  unit's usable payload changes to a new usable value, or stops being usable;
- the provider's `available`, which follows its own databag rather than remote data, agrees
  with "a client unit is present and this unit's port is on the relation";
- per-field tolerance: a valid port and `private-address` count whatever the other keys hold;
- the requirer's stored state stays bounded by what the relations hold, whatever the churn: the
  legacy queues hold the current units and at most the last 16 departed ones that no dismissal
  saw (the fuzz charm never dismisses), and nothing once this unit is leaving
  (`UnboundedStoredStateError`, checked after every hook of the remote-data machine);
- a partner speaking the data-platform protocol (keys in its application databag, whatever
  their values) is named by `other_protocols()` exactly when no unit offers usable legacy
  data, by the keys alone: no value reaches a log or the answer.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from typing import Any, ClassVar

import ops
from hypothesis import example, given
from hypothesis import strategies as st
from ops import testing

import charms.zookeeper.v0.zookeeper as zookeeper_library
from charms.zookeeper.v0.zookeeper import (
    OtherProtocol,
    ZookeeperProvides,
    ZookeeperRequires,
    ZookeeperUnit,
)
from tests.fuzz.harness import (
    TALLY,
    EventPair,
    EventQueryDisagreementError,
    FieldToleranceError,
    InvariantBrokenError,
    RemoteDataTarget,
    RepeatedEventError,
    SecretLeakError,
    Setter,
    SetterTarget,
    fuzz_context,
    known_defects_test,
    relation_in,
    release_finished_hooks,
    remote_units,
    run_hook,
    short,
)
from tests.fuzz.hostile import (
    SECRETS,
    databags,
    hostile_text,
    mixed_with,
    secret_text,
    secret_tokens,
)
from tests.fuzz.remote_data import RemoteDataMachine, read_one_databag, remote_data_test
from tests.fuzz.setters import setter_test
from tests.fuzz.wire import LABEL, PORT_TEXT, decoded

KNOWN_DEFECTS: dict[str, str] = {}
"""Defects of the current LIBPATCH, left to the next one, by name: what goes wrong.

A variant below that reaches one names it in `known_defects` and runs only in `make fuzz`;
a variant that steers around one names it in `steers_around`. LIBPATCH 3 has none known."""


class UnboundedStoredStateError(InvariantBrokenError):
    """The library's stored state holds more than the current relations and units call for."""


ENDPOINT = "zookeeper"
REQUIRES_META = {"requires": {ENDPOINT: {"interface": "zookeeper"}}}
PROVIDES_META = {"provides": {ENDPOINT: {"interface": "zookeeper"}}}

# --- Right values of each key --------------------------------------------------------------

HOST_NAMES = ("zk-0.example.com", "zookeeper-1", "localhost", "zk.internal.")
ports = st.integers(1, 65535).map(str)
addresses = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(("10.0.0.5", "fd00::5")),
)
hosts = st.one_of(addresses, st.sampled_from(HOST_NAMES))

RIGHT_VALUES = {"port": ports, "rest_port": ports, "host": hosts, "private-address": addresses}
ZOOKEEPER_KEYS = {key: mixed_with(values) for key, values in RIGHT_VALUES.items()}

# --- An independent reading of a zookeeper unit's databag ----------------------------------
# What the library's docstring promises, written apart from the library: the properties below
# compare the library's answers with it.


def port_of(value: str | None) -> int | None:
    """The port a wire value names, or None when absent or malformed."""
    if not value:
        return None
    text = decoded(value)
    if not PORT_TEXT.fullmatch(text) or int(text) > 65535:
        return None
    return int(text)


def host_of(value: str | None) -> str | None:
    """The host a wire value names (a host name, IPv4 or IPv6 without zone), or None."""
    if not value:
        return None
    text = decoded(value)
    if not text or len(text) > 253:
        return None
    if ":" in text:
        if "%" in text:
            return None
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return None
        return text
    if set(text) <= set("0123456789."):
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return None
        return text
    labels = text[:-1] if text.endswith(".") else text
    if all(LABEL.fullmatch(label) for label in labels.split(".")):
        return text
    return None


def expected_unit(unit_name: str, databag: Mapping[str, str]) -> ZookeeperUnit | None:
    """The unit as a client should reach it, or None when it is not usable."""
    port = port_of(databag.get("port"))
    host = host_of(databag.get("host")) or host_of(databag.get("private-address"))
    if port is None or host is None:
        return None
    return ZookeeperUnit(
        unit_name=unit_name, host=host, port=port, rest_port=port_of(databag.get("rest_port"))
    )


def as_tuple(unit: ZookeeperUnit | None) -> tuple[Any, ...] | None:
    """A unit as comparable plain values."""
    return None if unit is None else (unit.unit_name, unit.host, unit.port, unit.rest_port)


# --- The requirer reads what zookeeper units publish ---------------------------------------


def oldest_relations_share(requires: ZookeeperRequires) -> tuple[ZookeeperUnit, ...]:
    """The part of the endpoint's answer that the oldest relation with usable units gives.

    The endpoint answers with the usable units of every relation, oldest first; the remote-
    data machine compares one answer with the payload of the oldest announced relation, so
    this is the first `len(read(oldest).units)` units of `read()`. That the rest is the other
    relations' units is `test_the_endpoint_answers_with_every_relations_usable_units`.
    """
    for relation in requires.relations:
        own = requires.read(relation).units
        if own:
            return requires.read().units[: len(own)]
    return ()


REQUIRER = RemoteDataTarget(
    name="zookeeper-requires",
    endpoint=ENDPOINT,
    metadata=REQUIRES_META,
    build=ZookeeperRequires,
    pairs=(
        EventPair("connected", "disconnected", "is_connected"),
        EventPair(
            "available",
            "unavailable",
            "is_available",
            payload=lambda event: tuple(event.units),
            current=oldest_relations_share,
        ),
    ),
    queries={
        "is_connected": ZookeeperRequires.is_connected,
        "is_available": ZookeeperRequires.is_available,
        "read": ZookeeperRequires.read,
        "get_zookeeper_units": ZookeeperRequires.get_zookeeper_units,
        "zookeepers": ZookeeperRequires.zookeepers,
        "joining_units": ZookeeperRequires.joining_units,
        "departing_units": ZookeeperRequires.departing_units,
        "malformed_units": ZookeeperRequires.malformed_units,
        "other_protocols": ZookeeperRequires.other_protocols,
    },
    databags=databags(ZOOKEEPER_KEYS),
)


class ZookeeperRequiresMachine(RemoteDataMachine):
    """The generic machine, also checking after every hook that the stored state is bounded."""

    def _run(self, event: Any, data: st.DataObject, step: str) -> None:
        super()._run(event, data, step)
        self._check_stored_state_bounded()

    def _check_stored_state_bounded(self) -> None:
        """The records name current relations; the queues current units, and a few more.

        The fuzz charm never dismisses the queues, so every unit that departed was usable
        only since the last dismissal (there was none): only the last `_UNSEEN_KEPT` of them
        stay in the departing queue, besides units still usable on another relation.
        """
        [stored] = [
            stored.content
            for stored in self.state.stored_states
            if stored.owner_path == self.library_path and stored.name == "_stored"
        ]
        relations = {str(relation.id) for relation in self.relations}
        units = {
            f"remote/{unit}" for relation in self.relations for unit in remote_units(relation)
        }
        kept = zookeeper_library._UNSEEN_KEPT  # pyright: ignore[reportPrivateUsage]
        queues = {name: list(stored[name]) for name in ("joining", "fresh", "departing", "unseen")}
        problems: list[str] = []
        if not set(stored["relations"]) <= relations:
            problems.append(f"records of relations {sorted(set(stored['relations']) - relations)}")
        for name in ("joining", "fresh"):
            if not set(queues[name]) <= units:
                problems.append(f"{name} holds {short(sorted(set(queues[name]) - units))}")
        if len(queues["departing"]) > kept + len(units) or len(queues["unseen"]) > kept:
            problems.append(f"departing holds {len(queues['departing'])} names")
        if self.leaving and any(queues.values()):
            problems.append(f"queues {short(queues)} while this unit is leaving")
        if problems:
            raise UnboundedStoredStateError(
                self._failure(f"the stored state keeps {'; '.join(problems)}")
            )


# --- The provider reads nothing, but its clients' databags may hold anything ---------------

PROVIDER = RemoteDataTarget(
    name="zookeeper-provides",
    endpoint=ENDPOINT,
    metadata=PROVIDES_META,
    build=ZookeeperProvides,
    pairs=(EventPair("connected", "disconnected", "is_connected"),),
    queries={"is_connected": ZookeeperProvides.is_connected},
    databags=databags(ZOOKEEPER_KEYS),
    reads_remote_data=False,
)

TestRequirerRemoteData = remote_data_test(REQUIRER, ZookeeperRequiresMachine)
TestProviderRemoteData = remote_data_test(PROVIDER)

# --- Charms for the zookeeper-specific properties ------------------------------------------


class ClientCharm(ops.CharmBase):
    """Records the requirer's joining and departing events, and its answers at hook end."""

    events: ClassVar[list[tuple[str, Any]]] = []
    answers: ClassVar[dict[str, Any]] = {}

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = ZookeeperRequires(self)
        framework.observe(self.library.on.joining, self._on_joining)
        framework.observe(self.library.on.departing, self._on_departing)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_joining(self, event: Any) -> None:
        self.events.append(("joining", (event.unit_name, event.host, event.port, event.rest_port)))

    def _on_departing(self, event: Any) -> None:
        self.events.append(("departing", event.unit_name))

    def _on_collect_status(self, _: ops.CollectStatusEvent) -> None:
        library = self.library
        ClientCharm.answers = {
            "read": library.read().units,
            "per relation": {r.id: library.read(r).units for r in library.relations},
            "get_zookeeper_units": library.get_zookeeper_units(),
            "zookeepers": library.zookeepers(),
            "joining_units": library.joining_units(),
            "departing_units": library.departing_units(),
            "other_protocols": library.other_protocols(),
        }


class ServerCharm(ops.CharmBase):
    """Records the provider's available and unavailable events."""

    events: ClassVar[list[tuple[str, int]]] = []

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = ZookeeperProvides(self)
        framework.observe(self.library.on.available, self._on_available)
        framework.observe(self.library.on.unavailable, self._on_unavailable)

    def _on_available(self, event: Any) -> None:
        self.events.append(("available", event.relation.id))

    def _on_unavailable(self, event: Any) -> None:
        self.events.append(("unavailable", event.relation.id))


# --- The endpoint answers with every relation's usable units, oldest first -----------------


@st.composite
def port_address_and_anything(draw: st.DrawFn) -> dict[str, str]:
    """A databag with a valid port and `private-address`, whose other keys hold anything."""
    others = {key: st.one_of(hostile_text(), ZOOKEEPER_KEYS[key]) for key in ("rest_port", "host")}
    return {
        **draw(databags(others)),
        "port": draw(ports),
        "private-address": draw(addresses),
    }


MOSTLY_USABLE = databags(
    {key: st.one_of(values, values, ZOOKEEPER_KEYS[key]) for key, values in RIGHT_VALUES.items()}
)
"""Databags that are usable more often than `REQUIRER.databags`, for the properties below."""


ENDPOINT_TALLY = "zookeeper-requires-endpoint"
"""The name under which the tally counts the databags of the zookeeper-specific properties."""


@st.composite
def related_units(draw: st.DrawFn) -> list[dict[int, dict[str, str]]]:
    """One to three relations, each with some units (numbered sparsely) and their databags."""
    found: list[dict[int, dict[str, str]]] = []
    for _ in range(draw(st.integers(1, 3), label="relations")):
        numbers = draw(st.sets(st.integers(0, 12), max_size=4), label="unit numbers")
        either = st.one_of(REQUIRER.databags, MOSTLY_USABLE)
        found.append({number: draw(either) for number in sorted(numbers)})
    TALLY.databags_by_role[ENDPOINT_TALLY] += sum(len(units) for units in found)
    return found


@given(relations=related_units())
def test_the_endpoint_answers_with_every_relations_usable_units(
    relations: list[dict[int, dict[str, str]]],
):
    ctx = fuzz_context(ClientCharm, REQUIRES_META)
    state = testing.State(
        relations=[
            testing.Relation(ENDPOINT, id=number + 1, remote_units_data=units)
            for number, units in enumerate(relations)
        ]
    )
    ClientCharm.answers = {}
    run_hook(ctx, ctx.on.update_status(), state, "update-status")
    answers = ClientCharm.answers
    per_relation: dict[int, tuple[ZookeeperUnit, ...]] = answers["per relation"]
    where = f"with the databags {short(relations, 600)}"
    concatenated = tuple(unit for rid in sorted(per_relation) for unit in per_relation[rid])
    if answers["read"] != concatenated:
        raise EventQueryDisagreementError(
            f"read() answers {short(answers['read'])}, not the relations' units in order "
            f"{short(concatenated)}, {where}"
        )
    for number, units in enumerate(relations):
        found = [as_tuple(unit) for unit in per_relation[number + 1]]
        usable = [
            as_tuple(expected_unit(f"remote/{unit}", databag))
            for unit, databag in sorted(units.items())
        ]
        expected = [unit for unit in usable if unit is not None]
        if found != expected:
            raise EventQueryDisagreementError(
                f"read(relation {number + 1}) answers {short(found)}, but the usable units "
                f"are {short(expected)}, {where}"
            )
    legacy = [(unit.host, str(unit.port)) for unit in concatenated]
    dicts = [
        {
            "host": unit.host,
            "port": str(unit.port),
            "rest_port": None if unit.rest_port is None else str(unit.rest_port),
        }
        for unit in concatenated
    ]
    if (answers["get_zookeeper_units"], answers["zookeepers"]) != (legacy, dicts):
        raise EventQueryDisagreementError(
            f"the legacy getters answer {short(answers['get_zookeeper_units'])} and "
            f"{short(answers['zookeepers'])}, not what read() answers, {where}"
        )


# --- joining and departing, per unit -------------------------------------------------------


@st.composite
def one_units_databags(draw: st.DrawFn) -> tuple[list[dict[str, str]], bool]:
    """The databags one unit publishes in turn (often one again), and whether it departs."""
    either = st.one_of(REQUIRER.databags, MOSTLY_USABLE, port_address_and_anything())
    distinct = draw(st.lists(either, min_size=1, max_size=4), label="databags")
    order = draw(st.lists(st.sampled_from(distinct), min_size=1, max_size=8), label="order")
    TALLY.databags_by_role[ENDPOINT_TALLY] += len(order)
    return order, draw(st.booleans(), label="departs")


A_UNIT = {"private-address": "10.0.0.9", "port": "2181"}
"""A usable unit's databag, for the explicit example below."""


@given(sequence=one_units_databags())
@example(
    sequence=(
        [
            A_UNIT,
            {**A_UNIT, "rest_port": "9998"},  # a new payload: joining again
            {**A_UNIT, "rest_port": "9998", "host": "bad host"},  # the same payload
            {**A_UNIT, "port": "0"},  # unusable: departing
            A_UNIT,  # usable again: joining
        ],
        True,  # then it departs: departing
    )
)
def test_joining_and_departing_follow_one_units_usable_payload(
    sequence: tuple[list[dict[str, str]], bool],
):
    published, departs = sequence
    ctx = fuzz_context(ClientCharm, REQUIRES_META)
    relation = testing.Relation(ENDPOINT, remote_units_data={0: published[0]})
    state = testing.State(relations=[relation])
    hooks: list[tuple[str, dict[str, str] | None]] = [("joined", published[0])]
    hooks += [("changed", databag) for databag in published]
    if departs:
        hooks.append(("departed", None))
    before: tuple[Any, ...] | None = None
    ever_departed = False
    steps: list[str] = []
    for name, databag in hooks:
        units = {} if databag is None else {0: databag}
        relation = dataclasses.replace(relation_in(state, relation.id), remote_units_data=units)
        state = dataclasses.replace(state, relations=[relation])
        steps.append(f"{name} {short(databag, 200)}")
        where = "hooks:\n  " + "\n  ".join(steps)
        ClientCharm.events = []
        event = (
            ctx.on.relation_joined(relation, remote_unit=0)
            if name == "joined"
            else ctx.on.relation_changed(relation, remote_unit=0)
            if name == "changed"
            else ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0)
        )
        state = run_hook(ctx, event, state, where)
        now = None if databag is None else as_tuple(expected_unit("remote/0", databag))
        expected: list[tuple[str, Any]] = []
        if before is not None and now is None:
            expected.append(("departing", "remote/0"))
            ever_departed = True
        if now is not None and now != before:
            expected.append(("joining", now))
        if ClientCharm.events != expected:
            error = RepeatedEventError if len(ClientCharm.events) > len(expected) else None
            raise (error or EventQueryDisagreementError)(
                f"the unit's usable payload went from {short(before)} to {short(now)}, but "
                f"the events were {short(ClientCharm.events)}, not {short(expected)}; {where}"
            )
        queues = (
            [as_tuple(unit) for unit in ClientCharm.answers["joining_units"]],
            ClientCharm.answers["departing_units"],
        )
        wanted = ([] if now is None else [now], ["remote/0"] if ever_departed else [])
        if queues != wanted:
            raise EventQueryDisagreementError(
                f"joining_units() and departing_units() answer {short(queues)}, not "
                f"{short(wanted)} (nothing dismissed); {where}"
            )
        before = now


# --- The provider's available follows its own databag --------------------------------------

VALID_SENDS = st.tuples(
    st.sampled_from([2181, "2181", 65535, 1]),
    st.sampled_from([None, 9998, "8080"]),
    st.sampled_from([None, "10.0.0.5", "zk-0.example.com", "fd00::5"]),
)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send_connection"), VALID_SENDS),
        st.tuples(st.just("send_port"), VALID_SENDS),
        st.tuples(st.sampled_from(["clear", "join", "depart", "update"]), st.just(())),
    ),
    max_size=12,
)


@given(actions=ACTIONS)
def test_the_providers_available_follows_a_client_and_its_own_port(
    actions: list[tuple[str, Any]],
):
    ctx = fuzz_context(ServerCharm, PROVIDES_META)
    relation = testing.Relation(ENDPOINT, remote_units_data={})
    state = testing.State(relations=[relation])
    steps = ["created"]
    ServerCharm.events = []
    state = run_hook(ctx, ctx.on.relation_created(relation), state, "created")
    port_sent, was_available, next_unit = False, False, 0
    for action, args in actions:
        relation = relation_in(state, relation.id)
        units = dict(relation.remote_units_data)
        steps.append(f"{action}{short(args) if args else ''}")
        where = "steps: " + ", ".join(steps)
        ServerCharm.events = []
        if action in ("send_connection", "send_port", "clear"):
            with ctx(ctx.on.update_status(), state) as manager:
                library: ZookeeperProvides = manager.charm.library
                if action == "send_connection":
                    library.send_connection(*args)
                elif action == "send_port":
                    library.send_port(*args[:2])
                else:
                    library.clear_connection()
                state = manager.run()
            release_finished_hooks()
            port_sent = action != "clear"
        elif action == "join":
            relation = dataclasses.replace(
                relation, remote_units_data={**units, next_unit: {"private-address": "10.1.0.9"}}
            )
            state = dataclasses.replace(state, relations=[relation])
            for event in (ctx.on.relation_joined, ctx.on.relation_changed):
                relation = relation_in(state, relation.id)
                state = run_hook(ctx, event(relation, remote_unit=next_unit), state, where)
            next_unit += 1
        elif action == "depart" and units:
            departing = min(units)
            del units[departing]
            relation = dataclasses.replace(relation, remote_units_data=units)
            state = dataclasses.replace(state, relations=[relation])
            event = ctx.on.relation_departed(
                relation, remote_unit=departing, departing_unit=departing
            )
            state = run_hook(ctx, event, state, where)
        else:
            state = run_hook(ctx, ctx.on.update_status(), state, where)
        now = bool(relation_in(state, relation.id).remote_units_data) and port_sent
        expected = (
            [("available", relation.id)]
            if now and not was_available
            else [("unavailable", relation.id)]
            if was_available and not now
            else []
        )
        if ServerCharm.events != expected:
            raise EventQueryDisagreementError(
                f"available should go from {was_available} to {now}, but the events were "
                f"{short(ServerCharm.events)}, not {short(expected)}; {where}"
            )
        was_available = now


# --- Per-field tolerance: a malformed field hides itself, not the unit's other fields -------

PER_FIELD = "zookeeper-requires-per-field"
"""The name under which the tally counts the databags of the per-field property."""


@given(databag=port_address_and_anything())
def test_a_valid_port_and_address_count_whatever_the_other_keys_hold(databag: dict[str, str]):
    answers = read_one_databag(REQUIRER, databag, tally_as=PER_FIELD)
    units = answers["read"].units
    found = (answers["is_available"], [unit.port for unit in units])
    expected = (True, [int(databag["port"])])
    if found != expected:
        raise FieldToleranceError(
            f"is_available() and the ports of read() answer {short(found)}, not "
            f"{short(expected)}, for a unit publishing {short(databag)}"
        )
    allowed = {host_of(databag.get("host")), databag["private-address"]} - {None}
    if units[0].host not in allowed:
        raise FieldToleranceError(
            f"read() answers the host {short(units[0].host)}, neither the unit's valid host "
            f"nor its private-address, for a unit publishing {short(databag)}"
        )


# --- Another protocol under the same name: named by its keys, never by a value -------------

OTHER_PROTOCOL_KEYS = ("endpoints", "uris", "chroot", "username", "password", "tls", "secret-user")
"""The data-platform keys the library recognises in a remote application databag, in order."""
NOT_RECOGNISED = ("database", "version", "tls-ca", "extra-user-roles", "port")
"""Keys of the same protocols, or of the legacy one, that do not tell the protocol."""
OTHER_PROTOCOL = "zookeeper-requires-other-protocol"
"""The name under which the tally counts the databags of the other-protocol property."""
app_values = st.one_of(
    secret_tokens(), secret_text(), hostile_text(), st.just(""), st.just("10.0.0.5:2181")
)


@st.composite
def application_databags(draw: st.DrawFn) -> dict[str, str]:
    """A remote application databag: some keys of either protocol, each holding anything."""
    keys = draw(st.sets(st.sampled_from(OTHER_PROTOCOL_KEYS + NOT_RECOGNISED)), label="keys")
    return {key: str(draw(app_values)) for key in sorted(keys)}


@st.composite
def other_protocol_relations(draw: st.DrawFn) -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    """An application databag, and zero to two units with Juju's keys, or any databag."""
    juju_only = databags({})
    numbers = draw(st.sets(st.integers(0, 3), max_size=2), label="units")
    units = {n: draw(st.one_of(juju_only, REQUIRER.databags)) for n in sorted(numbers)}
    TALLY.databags_by_role[OTHER_PROTOCOL] += 1 + len(units)
    return draw(application_databags()), units


@given(related=other_protocol_relations())
def test_another_protocol_is_named_by_its_keys_exactly_when_no_unit_is_usable(
    related: tuple[dict[str, str], dict[int, dict[str, str]]],
):
    app_data, units = related
    ctx = fuzz_context(ClientCharm, REQUIRES_META)
    relation = testing.Relation(
        ENDPOINT, remote_app_name="zk", remote_app_data=app_data, remote_units_data=units
    )
    where = f"with the application databag {short(app_data)} and units {short(units)}"
    ClientCharm.answers = {}
    event = ctx.on.relation_changed(relation, remote_unit=min(units, default=0))
    run_hook(ctx, event, testing.State(relations=[relation]), where)
    answer: list[OtherProtocol] = ClientCharm.answers["other_protocols"]
    keys = tuple(key for key in OTHER_PROTOCOL_KEYS if app_data.get(key))
    usable = any(expected_unit(f"zk/{n}", databag) for n, databag in units.items())
    expected = [OtherProtocol(relation.id, "zk", keys)] if units and keys and not usable else []
    if answer != expected:
        raise EventQueryDisagreementError(
            f"other_protocols() answers {short(answer)}, not {short(expected)}, {where}"
        )
    leaked = SECRETS.leaks([line.message for line in ctx.juju_log] + [repr(answer)])
    if leaked:
        raise SecretLeakError(f"secret tokens {leaked} reached a log or the answer, {where}")


# --- Invalid input to the provider's setters -----------------------------------------------

BAD_PORTS: tuple[Any, ...] = (
    0,
    65536,
    -1,
    "0",
    "65536",
    "-1",
    "02181",
    " 2181",
    "2181 ",
    "2181\n",
    "2e3",
    "",
    "\ud800",
    "２１８１",  # fullwidth digits  # noqa: RUF001 - the confusable is the point
    True,
    False,
    2181.0,
    b"2181",
    None,
    [2181],
    ["2181"],
    {"port": 2181},
)
BAD_REST_PORTS = tuple(port for port in BAD_PORTS if port is not None)
BAD_HOSTS: tuple[Any, ...] = (
    "",
    " ",
    "bad host",
    "$(reboot)",
    "`id`",
    "a" * 300,
    "fe80::1%eth0",
    "[fd00::5]",
    "10.0.0.5:2181",
    "-zk",
    "zk-",
    "a..b",
    "1.2.3",
    "256.0.0.1",
    "zk_0",
    "zk\n",
    "\x00",
    "\ud800",
    "zoo\u00e9",
    b"host",
    3,
    ["10.0.0.5"],
)
GOOD_REST_PORTS = st.sampled_from([None, 9998, "9998"])
GOOD_HOSTS = st.sampled_from([None, "10.0.0.5", "zk-0.example.com", "fd00::5"])
GOOD_PORTS = st.sampled_from([2181, "2181"])
bad_ports = st.sampled_from(BAD_PORTS)
bad_rest_ports = st.sampled_from(BAD_REST_PORTS)
bad_hosts = st.sampled_from(BAD_HOSTS)

SETTERS = SetterTarget(
    name="zookeeper-provides",
    endpoint=ENDPOINT,
    metadata=PROVIDES_META,
    build=ZookeeperProvides,
    setters=(
        Setter(
            "send_connection",
            call=lambda provides, args: provides.send_connection(*args),
            invalid=st.one_of(
                st.tuples(bad_ports, GOOD_REST_PORTS, GOOD_HOSTS),
                st.tuples(GOOD_PORTS, bad_rest_ports, GOOD_HOSTS),
                st.tuples(GOOD_PORTS, GOOD_REST_PORTS, bad_hosts),
                st.tuples(bad_ports, bad_rest_ports, bad_hosts),
            ),
            valid=(2181, 9998),
        ),
        Setter(
            "send_port",
            call=lambda provides, args: provides.send_port(*args),
            invalid=st.one_of(
                st.tuples(bad_ports, GOOD_REST_PORTS),
                st.tuples(GOOD_PORTS, bad_rest_ports),
                st.tuples(bad_ports),
            ),
            valid=(2181, 9998),
        ),
    ),
)


test_setters_refuse_invalid_input_with_value_error_and_change_nothing = setter_test(SETTERS)
test_the_known_defects_named_by_the_variants_are_those_listed = known_defects_test(
    KNOWN_DEFECTS, globals()
)
