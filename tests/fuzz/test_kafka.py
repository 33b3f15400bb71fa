"""Fuzzing `charms.kafka.v0.kafka`: hostile databags for both roles, invalid setter input.

This module registers kafka with the generic properties (`remote_data.py`, `setters.py`): the
value strategies of its keys (the JSON `zookeepers` list above all), its event pairs and
queries, and its setters. It adds the properties that the generic ones cannot express:

- the endpoint's answer is the concatenation of each relation's brokers and the union, each
  server (host and port) once with the first REST port sent for it, of their zookeeper
  lists; it lists exactly the units, servers and malformed fields that an independent
  reading of the databags finds (the remote-data machine compares a query's answer with one
  relation's payload, not with an aggregate over relations);
- per-field tolerance: a valid port and `private-address` count whatever `host` and
  `zookeepers` hold;
- per-entry tolerance: a valid entry of the zookeeper list counts whatever its neighbours
  hold;
- the provider's `available`, which follows its own databag rather than remote data, agrees
  with "a client unit is present and this unit's port is on the relation", until this unit
  leaves: then it ends, and nothing the charm sends is written or announced.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any, ClassVar, cast

import ops
from hypothesis import example, given
from hypothesis import strategies as st
from ops import testing

from charms.kafka.v0.kafka import (
    KafkaBroker,
    KafkaOffer,
    KafkaProvides,
    KafkaRequires,
    NoKafkaBrokerError,
    ZookeeperServer,
)
from demo.deployment import this_unit_named_departing
from tests.fuzz.harness import (
    TALLY,
    EventPair,
    EventQueryDisagreementError,
    FieldToleranceError,
    RemoteDataTarget,
    Setter,
    SetterTarget,
    fuzz_context,
    known_defects_test,
    relation_in,
    release_finished_hooks,
    run_hook,
    short,
)
from tests.fuzz.hostile import (
    MIB,
    Unrecorded,
    as_json,
    databags,
    half_right,
    hostile_text,
)
from tests.fuzz.remote_data import read_one_databag, remote_data_test
from tests.fuzz.setters import setter_test
from tests.fuzz.wire import decoded, host_name, port_number

KNOWN_DEFECTS: dict[str, str] = {}
"""Defects of the current LIBPATCH, left to the next one, by name: what goes wrong.

A variant below that reaches one names it in `known_defects` and runs only in `make fuzz`;
a variant that steers around one names it in `steers_around`. LIBPATCH 1 has none known:
`send_connection(None)` withdrew the port before the first release fixed it, and the setters
below give each port setter None among the invalid ports."""

REQUIRER_ENDPOINT = "kafka"
PROVIDER_ENDPOINT = "client"
REQUIRES_META = {"requires": {REQUIRER_ENDPOINT: {"interface": "kafka"}}}
PROVIDES_META = {"provides": {PROVIDER_ENDPOINT: {"interface": "kafka"}}}
ZOOKEEPERS_LIMIT = 64 * 1024
"""The docstring's bound: a zookeeper list longer than 64 KiB is malformed as a whole."""

# --- Right values of each key --------------------------------------------------------------

HOST_NAMES = ("kafka-0.example.com", "zookeeper-1", "localhost", "zk.internal.")
port_numbers = st.integers(1, 65535)
ports = port_numbers.map(str)
addresses = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(("10.0.0.5", "fd00::5")),
)
hosts = st.one_of(addresses, st.sampled_from(HOST_NAMES))


@st.composite
def zookeeper_entries(draw: st.DrawFn) -> Any:
    """One zookeeper server as some legacy build wrote it, as a JSON-able value.

    The legacy bytes (an object of `host`, `port` and `rest_port`, ports as strings,
    `rest_port` maybe null), or: integer ports, no `rest_port` at all, keys a later build
    added, or the `[host, port]` pair of the oldest builds.
    """
    host = draw(hosts)
    port = draw(port_numbers)
    rest_port = draw(st.one_of(st.none(), port_numbers))
    as_text = draw(st.booleans())

    def spelled(number: int) -> int | str:
        return str(number) if as_text else number

    shape = draw(st.sampled_from(["legacy", "no rest_port", "extra keys", "pair"]))
    if shape == "pair":
        return [host, spelled(port)]
    entry: dict[str, Any] = {"host": host, "port": spelled(port)}
    if shape != "no rest_port":
        entry["rest_port"] = None if rest_port is None else spelled(rest_port)
    if shape == "extra keys":
        entry["chroot"] = draw(st.sampled_from(["/kafka", None, 3, ["x"]]))
    return entry


@st.composite
def zookeeper_lists(draw: st.DrawFn, entries: st.SearchStrategy[Any]) -> list[Any]:
    """One to six entries, sometimes with duplicates (an empty list is `[]` in `KAFKA_KEYS`)."""
    found = draw(st.lists(entries, min_size=1, max_size=5))
    if found and draw(st.booleans()):
        found.insert(draw(st.integers(0, len(found))), draw(st.sampled_from(found)))
    return found


right_zookeepers = as_json(zookeeper_lists(zookeeper_entries()))

# --- Hostile zookeeper lists ---------------------------------------------------------------

BAD_ENTRY_HOSTS: tuple[Any, ...] = (
    "",
    " ",
    "bad host",
    "[fd00::5]",
    "10.0.0.5:2181",
    "fe80::1%eth0",
    "256.0.0.1",
    "1.2.3",
    "-zk",
    "zk_0",
    "a" * 300,
    "\ud800",
    '"10.0.0.5"',
    None,
    5,
    True,
    ["10.0.0.5"],
    {"host": "10.0.0.5"},
)
BAD_ENTRY_PORTS: tuple[Any, ...] = (
    "",
    "0",
    "65536",
    "02181",
    "2181 ",
    " 2181",
    "-1",
    "2e3",
    '"2181"',
    "\ud800",
    "２１８１",  # fullwidth digits  # noqa: RUF001 - the confusable is the point
    0,
    -1,
    65536,
    10**20,
    2181.0,
    2181.5,
    True,
    False,
    None,
    [2181],
    {"port": 2181},
)
NOT_OBJECTS: tuple[Any, ...] = (
    None,
    True,
    2181,
    3.5,
    "10.0.9.5:2181",
    "",
    [],
    ["10.0.9.5"],
    ["10.0.9.5", "2181", "9998"],
    [["10.0.9.5", "2181"]],
    [[[]]],
)


@st.composite
def bad_entries(draw: st.DrawFn) -> Any:
    """An entry no reader may take: not an object, or an object with a bad host or port."""
    kind = draw(st.sampled_from(["not an object", "host", "port", "rest_port", "missing"]))
    if kind == "not an object":
        return draw(st.sampled_from(NOT_OBJECTS))
    host, port = draw(hosts), draw(ports)
    if kind == "host":
        return draw(
            st.sampled_from(
                [{"host": bad, "port": port} for bad in BAD_ENTRY_HOSTS]
                + [[bad, port] for bad in BAD_ENTRY_HOSTS]
            )
        )
    if kind == "port":
        return draw(
            st.sampled_from(
                [{"host": host, "port": bad} for bad in BAD_ENTRY_PORTS]
                + [[host, bad] for bad in BAD_ENTRY_PORTS]
            )
        )
    if kind == "rest_port":
        bad = draw(st.sampled_from([p for p in BAD_ENTRY_PORTS if p is not None]))
        return {"host": host, "port": port, "rest_port": bad}
    return draw(st.sampled_from([{"host": host}, {"port": port}, {"rest_port": port}, {}]))


mixed_entry_lists = zookeeper_lists(st.one_of(zookeeper_entries(), bad_entries()))

NOT_JSON = (
    "10.0.9.5:2181",
    "10.0.9.5:2181,10.0.9.6:2181",
    "[{",
    "[{'host': '10.0.9.5', 'port': '2181'}]",  # a Python repr
    '[{"host": "10.0.9.5", "port": "2181"},]',
    "[1, 2",
    "]",
    "\x00[]",
    "[" + "1" * 5000 + "]",  # an integer past Python's digit limit: a ValueError
)
NOT_A_LIST = (
    '{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}',
    '"[{\\"host\\": \\"10.0.9.5\\", \\"port\\": \\"2181\\"}]"',  # a list, encoded twice
    "2181",
    "null",
    "true",
    '"10.0.9.5"',
    "{}",
    "NaN",
)
ODD_JSON = (
    '[{"host": "10.0.9.5", "port": NaN}]',
    '[{"host": "10.0.9.5", "port": Infinity}]',
    '[{"host": "10.0.9.5", "port": "2181", "host": "bad host"}]',  # a repeated key
    '[{"host": "10.0.9.5", "port": "2181", "rest_port": null}, 1]',
    r'[{"host": "\ud800", "port": "2181"}]',
    r'[{"host": "10.0.9.5", "port": "\udc00"}]',
)


# Only the shape drawn is built; each returns an `Unrecorded`, so hypothesis keeps none alive.
_DEEP_OR_LONG: tuple[Callable[[], str], ...] = (
    lambda: "[" * 200_000,
    lambda: "[" * MIB,
    lambda: "[" * 30_000 + "]" * 30_000,  # balanced, under 64 KiB: too deep to decode
    lambda: "[" * 5_000 + "]" * 5_000,
    lambda: '{"a": ' * 10_000 + "1" + "}" * 10_000,
    lambda: "[" + "[" * 900 + "]" * 900 + "]",
    # Valid lists longer than 64 KiB: malformed as a whole, however good their entries.
    lambda: json.dumps([{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}] * 1500),
    lambda: json.dumps([["10.0.9.5", "2181"]] * 100_000),
    lambda: "[" + " " * ZOOKEEPERS_LIMIT + "]",
    lambda: json.dumps([{"host": "z" * MIB, "port": "2181"}]),
)


@st.composite
def deep_or_long_zookeepers(draw: st.DrawFn) -> str:
    """Deep nesting, balanced or not, and texts over 64 KiB, up to megabytes."""
    return Unrecorded(draw(st.sampled_from(_DEEP_OR_LONG))())


def hostile_zookeepers() -> st.SearchStrategy[str]:
    """What a broken kafka unit may send as its zookeeper list, besides hostile text."""
    return st.one_of(
        st.sampled_from(NOT_JSON + NOT_A_LIST + ODD_JSON),
        as_json(st.lists(st.sampled_from(NOT_OBJECTS), min_size=1, max_size=4)),
        as_json(mixed_entry_lists),
        as_json(st.lists(bad_entries(), min_size=1, max_size=3)),
        deep_or_long_zookeepers(),
    )


RIGHT_VALUES = {
    "port": ports,
    "host": hosts,
    "private-address": addresses,
    "zookeepers": right_zookeepers,
}


@st.composite
def zookeeper_values(draw: st.DrawFn) -> str:
    """Mostly right lists, so that brokers often carry servers; else spoiled or hostile."""
    kind = draw(st.sampled_from(["mixed", "mixed", "entries", "hostile", "empty"]))
    if kind == "mixed":
        return draw(half_right(right_zookeepers))
    if kind == "entries":
        return draw(as_json(mixed_entry_lists))
    if kind == "hostile":
        return draw(hostile_zookeepers())
    return "[]"


KAFKA_KEYS = {
    "port": half_right(ports),
    "host": half_right(hosts),
    "private-address": half_right(addresses),
    "zookeepers": zookeeper_values(),
}

# --- An independent reading of a kafka unit's databag --------------------------------------
# What the library's docstring promises, written apart from the library: the properties below
# compare the library's answers with it.


Broker = tuple[str, str, int]
"""A usable unit as comparable plain values: unit name, host, port."""
Server = tuple[str, int, int | None]
"""A zookeeper server as comparable plain values: host, port, REST port."""


def port_of(value: str | None) -> int | None:
    """The port a raw wire value names, or None when absent or malformed."""
    return port_number(decoded(value)) if value else None


def host_of(value: str | None) -> str | None:
    """The host a raw wire value names, or None when absent or malformed."""
    return host_name(decoded(value)) if value else None


def server_of(entry: Any) -> Server | None:
    """One entry of a zookeeper list as a server, or None when it is malformed."""
    if isinstance(entry, list):
        items = cast("list[Any]", entry)
        if len(items) != 2:
            return None
        host, port, rest_port = items[0], items[1], None
    elif isinstance(entry, dict):
        fields = cast("dict[str, Any]", entry)
        if "host" not in fields or "port" not in fields:
            return None
        host, port, rest_port = fields["host"], fields["port"], fields.get("rest_port")
    else:
        return None
    valid_host, valid_port = host_name(host), port_number(port)
    valid_rest_port = None if rest_port is None else port_number(rest_port)
    if valid_host is None or valid_port is None:
        return None
    if rest_port is not None and valid_rest_port is None:
        return None
    return (valid_host, valid_port, valid_rest_port)


def servers_of(value: str | None) -> tuple[list[Server], bool]:
    """The valid servers of a `zookeepers` value, and whether any part of it is malformed."""
    if not value:
        return [], False
    if len(value) > ZOOKEEPERS_LIMIT:
        return [], True
    try:
        entries = json.loads(value)
    except (ValueError, RecursionError):
        return [], True
    if not isinstance(entries, list):
        return [], True
    servers = [server_of(entry) for entry in cast("list[Any]", entries)]
    valid = [server for server in servers if server is not None]
    return valid, len(valid) < len(servers)


def each_once(servers: list[Server]) -> list[Server]:
    """The servers in order of first appearance, each host and port once.

    Each with the first REST port given for that host and port, as the docstring says.
    """
    rest_ports: dict[tuple[str, int], int | None] = {}
    for host, port, rest_port in servers:
        if rest_ports.get((host, port)) is None:
            rest_ports[host, port] = rest_port
    return [(host, port, rest_port) for (host, port), rest_port in rest_ports.items()]


@dataclasses.dataclass(frozen=True)
class Expected:
    """What one unit's databag should count as: its broker, servers and malformed fields."""

    broker: Broker | None
    servers: list[Server]
    malformed: frozenset[str]


def expected_unit(unit_name: str, databag: Mapping[str, str]) -> Expected:
    """Read one kafka unit's databag as the docstring says, apart from the library."""
    port = port_of(databag.get("port"))
    host = host_of(databag.get("host")) or host_of(databag.get("private-address"))
    servers, bad_list = servers_of(databag.get("zookeepers"))
    malformed = {
        key
        for key, reader in (("port", port_of), ("host", host_of), ("private-address", host_of))
        if databag.get(key) and reader(databag.get(key)) is None
    }
    if bad_list:
        malformed.add("zookeepers")
    broker = None if port is None or host is None else (unit_name, host, port)
    return Expected(broker, servers if broker else [], frozenset(malformed))


def brokers_as_tuples(brokers: tuple[KafkaBroker, ...]) -> tuple[Broker, ...]:
    """Brokers as comparable plain values."""
    return tuple((broker.unit_name, broker.host, broker.port) for broker in brokers)


def servers_as_tuples(servers: tuple[ZookeeperServer, ...]) -> tuple[Server, ...]:
    """Zookeeper servers as comparable plain values."""
    return tuple((server.host, server.port, server.rest_port) for server in servers)


# --- The requirer reads what kafka units publish -------------------------------------------


def offer_payload(event: Any) -> tuple[tuple[Broker, ...], tuple[Server, ...]]:
    """What `available` announces, as comparable plain values."""
    return brokers_as_tuples(event.brokers), servers_as_tuples(event.zookeepers)


def oldest_relations_share(
    requires: KafkaRequires,
) -> tuple[tuple[Broker, ...], tuple[Server, ...]]:
    """The part of the endpoint's answer that the oldest relation with usable units gives.

    The endpoint answers with the brokers of every relation, oldest first, and their
    zookeeper servers each once in order of first appearance; the remote-data machine compares
    one answer with the payload of the oldest announced relation, so this is the first
    `len(read(oldest).brokers)` brokers of `read()` and the first `len(read(oldest).zookeepers)`
    servers (`oldest_servers_share`). That the rest is the other relations' share is
    `test_the_endpoint_answers_with_every_relations_brokers_and_zookeepers`.
    """
    for relation in requires.relations:
        own = requires.read(relation)
        if own.brokers:
            whole = requires.read()
            return (
                brokers_as_tuples(whole.brokers[: len(own.brokers)]),
                oldest_servers_share(own.zookeepers, whole.zookeepers),
            )
    return (), ()


def oldest_servers_share(
    own: tuple[ZookeeperServer, ...], whole: tuple[ZookeeperServer, ...]
) -> tuple[Server, ...]:
    """The oldest relation's servers as the endpoint's answer begins with them.

    A server the oldest relation sends without a REST port takes one that a newer relation
    sends for it: the endpoint's answer may then hold a REST port where the oldest relation's
    has None. Such a beginning is the oldest relation's servers; any other disagreement is
    the endpoint's beginning as it is, which the machine then reports.
    """
    mine, share = servers_as_tuples(own), servers_as_tuples(whole[: len(own)])
    agrees = len(share) == len(mine) and all(
        theirs[:2] == ours[:2] and ours[2] in (None, theirs[2])
        for theirs, ours in zip(share, mine, strict=True)
    )
    return mine if agrees else share


def or_no_broker(getter: Callable[[KafkaRequires], str]) -> Callable[[KafkaRequires], Any]:
    """A legacy getter whose `NoKafkaBrokerError` is an answer (None) rather than an escape."""

    def query(requires: KafkaRequires) -> str | None:
        try:
            return getter(requires)
        except NoKafkaBrokerError:
            return None

    return query


REQUIRER = RemoteDataTarget(
    name="kafka-requires",
    endpoint=REQUIRER_ENDPOINT,
    metadata=REQUIRES_META,
    build=KafkaRequires,
    pairs=(
        EventPair("connected", "disconnected", "is_connected"),
        EventPair(
            "available",
            "unavailable",
            "is_available",
            payload=offer_payload,
            current=oldest_relations_share,
        ),
    ),
    queries={
        "is_connected": KafkaRequires.is_connected,
        "is_available": KafkaRequires.is_available,
        "read": KafkaRequires.read,
        "kafkas": KafkaRequires.kafkas,
        "zookeepers": KafkaRequires.zookeepers,
        "get_kafka_ip": or_no_broker(KafkaRequires.get_kafka_ip),
        "get_kafka_port": or_no_broker(KafkaRequires.get_kafka_port),
        "malformed_units": KafkaRequires.malformed_units,
    },
    databags=databags(KAFKA_KEYS),
)

# --- The provider reads nothing, but its clients' databags may hold anything ---------------

PROVIDER = RemoteDataTarget(
    name="kafka-provides",
    endpoint=PROVIDER_ENDPOINT,
    metadata=PROVIDES_META,
    build=KafkaProvides,
    pairs=(EventPair("connected", "disconnected", "is_connected"),),
    queries={"is_connected": KafkaProvides.is_connected, "published": KafkaProvides.published},
    databags=databags(KAFKA_KEYS),
    reads_remote_data=False,
)

TestRequirerRemoteData = remote_data_test(REQUIRER)
TestProviderRemoteData = remote_data_test(PROVIDER)

# --- Charms for the kafka-specific properties ----------------------------------------------


class ClientCharm(ops.CharmBase):
    """Records the requirer's answers at the end of the hook."""

    answers: ClassVar[dict[str, Any]] = {}

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = KafkaRequires(self)
        framework.observe(self.on.collect_unit_status, self._on_collect_status)

    def _on_collect_status(self, _: ops.CollectStatusEvent) -> None:
        library = self.library
        ClientCharm.answers = {
            "read": library.read(),
            "per relation": {r.id: library.read(r) for r in library.relations},
            "is_connected": library.is_connected(),
            "is_available": library.is_available(),
            "kafkas": library.kafkas(),
            "zookeepers": library.zookeepers(),
            "get_kafka_ip": or_no_broker(KafkaRequires.get_kafka_ip)(library),
            "get_kafka_port": or_no_broker(KafkaRequires.get_kafka_port)(library),
            "malformed_units": library.malformed_units(),
        }


class ServerCharm(ops.CharmBase):
    """Records the provider's available and unavailable events."""

    events: ClassVar[list[tuple[str, int]]] = []

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = KafkaProvides(self)
        framework.observe(self.library.on.available, self._on_available)
        framework.observe(self.library.on.unavailable, self._on_unavailable)

    def _on_available(self, event: Any) -> None:
        self.events.append(("available", event.relation.id))

    def _on_unavailable(self, event: Any) -> None:
        self.events.append(("unavailable", event.relation.id))


# --- The endpoint answers with every relation's brokers and their zookeepers ---------------

MOSTLY_USABLE = databags(
    {key: st.one_of(values, values, KAFKA_KEYS[key]) for key, values in RIGHT_VALUES.items()}
)
"""Databags that are usable more often than `REQUIRER.databags`, for the properties below."""

ENDPOINT_TALLY = "kafka-requires-endpoint"
"""The name under which the tally counts the databags of the endpoint property."""


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


def _check_endpoint(relations: list[dict[int, dict[str, str]]], answers: dict[str, Any]) -> None:
    """Compare the endpoint's answers with the independent reading of every databag."""
    where = f"with the databags {short(relations, 600)}"
    per_relation: dict[int, KafkaOffer] = answers["per relation"]
    all_brokers: list[Broker] = []
    all_servers: list[Server] = []
    malformed: set[tuple[int, str, frozenset[str]]] = set()
    for number, units in enumerate(relations):
        relation_id = number + 1
        expected = [
            expected_unit(f"remote/{unit}", databag) for unit, databag in sorted(units.items())
        ]
        brokers = [unit.broker for unit in expected if unit.broker is not None]
        servers = each_once([server for unit in expected for server in unit.servers])
        offer = per_relation[relation_id]
        found = (list(brokers_as_tuples(offer.brokers)), list(servers_as_tuples(offer.zookeepers)))
        if found != (brokers, servers):
            raise EventQueryDisagreementError(
                f"read(relation {relation_id}) answers {short(found)}, but the usable units and "
                f"their zookeeper servers are {short((brokers, servers))}, {where}"
            )
        all_brokers += brokers
        all_servers += servers
        malformed |= {
            (relation_id, f"remote/{unit}", reading.malformed)
            for unit, reading in zip(sorted(units), expected, strict=True)
            if reading.malformed
        }
    whole: KafkaOffer = answers["read"]
    found_whole = (
        list(brokers_as_tuples(whole.brokers)),
        list(servers_as_tuples(whole.zookeepers)),
    )
    expected_whole = (all_brokers, each_once(all_servers))
    if found_whole != expected_whole:
        raise EventQueryDisagreementError(
            f"read() answers {short(found_whole)}, not the relations' brokers in order and their "
            f"servers each once {short(expected_whole)}, {where}"
        )
    first = all_brokers[0] if all_brokers else None
    legacy = {
        "is_connected": any(relations),
        "is_available": bool(all_brokers),
        "kafkas": [{"host": host, "port": str(port)} for _, host, port in all_brokers],
        "zookeepers": [
            {"host": host, "port": str(port), "rest_port": None if rest is None else str(rest)}
            for host, port, rest in expected_whole[1]
        ],
        "get_kafka_ip": None if first is None else first[1],
        "get_kafka_port": None if first is None else str(first[2]),
    }
    found_legacy = {name: answers[name] for name in legacy}
    if found_legacy != legacy:
        raise EventQueryDisagreementError(
            f"the other queries answer {short(found_legacy)}, not {short(legacy)}, {where}"
        )
    found_malformed = {
        (unit.relation_id, unit.unit_name, frozenset(unit.fields))
        for unit in answers["malformed_units"]
    }
    if found_malformed != malformed:
        raise EventQueryDisagreementError(
            f"malformed_units() answers {short(sorted(found_malformed, key=str))}, not "
            f"{short(sorted(malformed, key=str))}, {where}"
        )


A_UNIT = {"private-address": "10.0.0.9", "port": "9092"}
"""A usable unit's databag, for the explicit examples below."""
A_LIST = '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]'


@given(relations=related_units())
@example(
    relations=[
        {0: {**A_UNIT, "zookeepers": A_LIST}, 1: {**A_UNIT, "zookeepers": A_LIST}},
        {2: {"private-address": "10.0.0.8", "zookeepers": '[["10.0.9.6", 2181]]'}},
        {0: {**A_UNIT, "zookeepers": '[["10.0.9.5", "2181"], ["10.0.9.7", 2181]]'}},
    ]
)
@example(  # one server with and without its REST port, as two builds send it in an upgrade
    relations=[
        {0: {**A_UNIT, "zookeepers": '[["10.0.9.5", 2181]]'}, 3: {**A_UNIT, "zookeepers": A_LIST}},
        {1: {**A_UNIT, "zookeepers": '[{"host": "10.0.9.6", "port": 2181, "rest_port": null}]'}},
        {2: {**A_UNIT, "zookeepers": '[{"host": "10.0.9.6", "port": "2181", "rest_port": "8"}]'}},
    ]
)
def test_the_endpoint_answers_with_every_relations_brokers_and_zookeepers(
    relations: list[dict[int, dict[str, str]]],
):
    ctx = fuzz_context(ClientCharm, REQUIRES_META)
    state = testing.State(
        relations=[
            testing.Relation(REQUIRER_ENDPOINT, id=number + 1, remote_units_data=units)
            for number, units in enumerate(relations)
        ]
    )
    ClientCharm.answers = {}
    run_hook(ctx, ctx.on.update_status(), state, "update-status")
    _check_endpoint(relations, ClientCharm.answers)


# --- The provider's available follows its own databag --------------------------------------

VALID_PORTS = st.sampled_from([9092, "9092", 65535, 1])
VALID_HOSTS = st.sampled_from([None, "10.0.0.5", "kafka-0.example.com", "fd00::5"])
VALID_ZOOKEEPERS = st.sampled_from(
    [
        [],
        [("10.0.9.5", 2181)],
        [("10.0.9.5", 2181, 9998), {"host": "fd00::5", "port": "2181", "rest_port": None}],
        [["zk-0.example.com", "2181", "9998"], SimpleNamespace(host="10.0.9.6", port=2181)],
    ]
)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send_connection"), st.tuples(VALID_PORTS, VALID_HOSTS)),
        st.tuples(st.just("send_port"), st.tuples(VALID_PORTS)),
        st.tuples(st.just("send_configuration"), st.tuples(VALID_PORTS)),
        st.tuples(st.just("send_zookeepers"), st.tuples(VALID_ZOOKEEPERS)),
        st.tuples(st.sampled_from(["clear", "join", "depart", "update", "leave"]), st.just(())),
    ),
    max_size=12,
)


def _call_setter(library: KafkaProvides, action: str, args: tuple[Any, ...]) -> None:
    if action == "send_connection":
        library.send_connection(*args)
    elif action == "send_port":
        library.send_port(*args)
    elif action == "send_configuration":
        library.send_configuration(*args)
    elif action == "send_zookeepers":
        library.send_zookeepers(*args)
    else:
        library.clear_connection()


LEGACY_PORTS = st.sampled_from([None, None, "9092", '"9092"', "0", "not a port"])
"""What a reactive build of the charm left in this unit's databag as its port, if anything."""


@given(legacy_port=LEGACY_PORTS, actions=ACTIONS)
@example(
    legacy_port=None,
    actions=[
        ("join", ()),
        ("send_zookeepers", ([("10.0.9.5", 2181)],)),  # no port yet: not available
        ("send_configuration", (9092,)),  # available
        ("send_zookeepers", ([],)),  # the port stays
        ("depart", ()),  # unavailable
        ("join", ()),  # available again
        ("clear", ()),  # unavailable
    ],
)
@example(
    legacy_port="9092",  # refreshed from the reactive charm, which had sent its port
    actions=[
        ("join", ()),  # available: the reactive charm's port is on the relation
        ("send_zookeepers", ([("10.0.9.5", 2181)],)),  # the legacy port stays
        ("send_port", ("9093",)),  # replaced: still available
        ("clear", ()),  # unavailable
    ],
)
@example(
    legacy_port=None,
    actions=[
        ("join", ()),  # connected only: no port yet
        ("leave", ()),  # this unit is going
        ("send_configuration", (9092,)),  # written nowhere, and no available
        ("clear", ()),
        ("join", ()),  # a leaving unit hears of no new unit
    ],
)
@example(
    legacy_port=None,
    actions=[
        ("send_port", (9092,)),
        ("join", ()),  # available
        ("join", ()),
        ("join", ()),
        ("depart", ()),  # a client unit leaves, not this unit
        ("depart", ()),  # one client unit is left: still available
        ("send_connection", (9093, None)),  # this unit still writes
        ("depart", ()),  # unavailable
    ],
)
def test_the_providers_available_follows_a_client_and_its_own_port(
    legacy_port: str | None, actions: list[tuple[str, Any]]
):
    ctx = fuzz_context(ServerCharm, PROVIDES_META)
    relation = testing.Relation(PROVIDER_ENDPOINT, remote_units_data={})
    if legacy_port is not None:
        local = {**relation.local_unit_data, "port": legacy_port}
        relation = dataclasses.replace(relation, local_unit_data=local)
    state = testing.State(relations=[relation])
    steps = [f"created, this unit's databag holding the port {short(legacy_port)}"]
    ServerCharm.events = []
    state = run_hook(ctx, ctx.on.relation_created(relation), state, steps[0])
    port = legacy_port
    was_available, next_unit, leaving = False, 0, False
    for action, args in actions:
        relation = relation_in(state, relation.id)
        units = dict(relation.remote_units_data)
        steps.append(f"{action}{short(args) if args else ''}")
        where = "steps: " + ", ".join(steps)
        ServerCharm.events = []
        if action.startswith("send_") or action == "clear":
            with ctx(ctx.on.update_status(), state) as manager:
                _call_setter(manager.charm.library, action, args)
                state = manager.run()
            release_finished_hooks()
            if leaving:
                pass  # a leaving unit writes nothing more
            elif action == "clear":
                port = None
            elif action != "send_zookeepers":
                port = str(args[0])
        elif action == "leave" and units and not leaving:
            # Juju names this unit as the departing one in each relation-departed it runs.
            leaving = True
            for unit in sorted(units):
                departed = ctx.on.relation_departed(
                    relation_in(state, relation.id), remote_unit=unit
                )
                with this_unit_named_departing():
                    state = run_hook(ctx, departed, state, where)
        elif action == "join" and not leaving:
            relation = dataclasses.replace(
                relation, remote_units_data={**units, next_unit: {"private-address": "10.1.0.9"}}
            )
            state = dataclasses.replace(state, relations=[relation])
            for event in (ctx.on.relation_joined, ctx.on.relation_changed):
                relation = relation_in(state, relation.id)
                state = run_hook(ctx, event(relation, remote_unit=next_unit), state, where)
            next_unit += 1
        elif action == "depart" and units and not leaving:
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
        current = relation_in(state, relation.id)
        on_wire = current.local_unit_data.get("port")
        if on_wire != port:
            raise EventQueryDisagreementError(
                f"this unit's databag holds the port {short(on_wire)}, not {short(port)}; {where}"
            )
        now = bool(current.remote_units_data) and port_of(port) is not None and not leaving
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

PER_FIELD = "kafka-requires-per-field"
"""The name under which the tally counts the databags of the per-field property."""


@st.composite
def port_address_and_anything(draw: st.DrawFn) -> dict[str, str]:
    """A databag with a valid port and `private-address`, whose other keys hold anything."""
    others = {
        "host": st.one_of(hostile_text(), KAFKA_KEYS["host"]),
        "zookeepers": st.one_of(hostile_text(), KAFKA_KEYS["zookeepers"]),
    }
    return {**draw(databags(others)), "port": draw(ports), "private-address": draw(addresses)}


@given(databag=port_address_and_anything())
@example(databag={**A_UNIT, "host": "bad host", "zookeepers": "[" * 200_000})
@example(databag={**A_UNIT, "zookeepers": "[" * 30_000 + "]" * 30_000})
@example(databag={**A_UNIT, "zookeepers": "[" + ", ".join([A_LIST[1:-1]] * 1200) + "]"})
@example(databag={**A_UNIT, "host": "kafka-0", "zookeepers": '{"host": "10.0.9.5"}'})
def test_a_valid_port_and_address_count_whatever_host_and_zookeepers_hold(
    databag: dict[str, str],
):
    answers = read_one_databag(REQUIRER, databag, tally_as=PER_FIELD)
    expected = expected_unit("remote/0", databag)
    assert expected.broker is not None
    offer: KafkaOffer = answers["read"]
    found = (answers["is_available"], brokers_as_tuples(offer.brokers))
    if found != (True, (expected.broker,)):
        raise FieldToleranceError(
            f"is_available() and read() answer {short(found)}, not True and "
            f"{short(expected.broker)}, for a unit publishing {short(databag)}"
        )
    servers = servers_as_tuples(offer.zookeepers)
    if list(servers) != each_once(expected.servers):
        raise FieldToleranceError(
            f"read() answers the zookeeper servers {short(servers)}, not the valid entries "
            f"{short(each_once(expected.servers))}, for a unit publishing {short(databag)}"
        )


# --- Per-entry tolerance: a malformed entry hides itself, not the list's other entries ------

PER_ENTRY = "kafka-requires-per-entry"
"""The name under which the tally counts the databags of the per-entry property."""


@st.composite
def good_entries_among_bad(draw: st.DrawFn) -> dict[str, str]:
    """A usable unit whose zookeeper list mixes valid entries with bad ones."""
    entries = draw(st.lists(st.one_of(zookeeper_entries(), bad_entries()), min_size=1, max_size=8))
    if draw(st.booleans()):
        entries += draw(st.lists(st.sampled_from(entries), max_size=2))  # duplicates
    text = json.dumps(entries, separators=draw(st.sampled_from([(", ", ": "), (",", ":")])))
    return {**A_UNIT, "private-address": draw(addresses), "zookeepers": text}


@given(databag=good_entries_among_bad())
@example(
    databag={
        **A_UNIT,
        "zookeepers": '[{"host": "bad host", "port": "2181"}, ["10.0.9.5", 2181], '
        '{"host": "10.0.9.6", "port": "2181", "rest_port": "0"}, 7, '
        '{"host": "10.0.9.7", "port": 2181, "rest_port": null, "chroot": "/kafka"}]',
    }
)
def test_a_valid_zookeeper_entry_counts_whatever_its_neighbours_hold(databag: dict[str, str]):
    answers = read_one_databag(REQUIRER, databag, tally_as=PER_ENTRY)
    servers, malformed = servers_of(databag["zookeepers"])
    offer: KafkaOffer = answers["read"]
    found = list(servers_as_tuples(offer.zookeepers))
    if found != each_once(servers):
        raise FieldToleranceError(
            f"read() answers the zookeeper servers {short(found)}, not the valid entries "
            f"{short(each_once(servers))}, for a unit publishing {short(databag)}"
        )
    if answers["is_available"] is not True:
        raise FieldToleranceError(f"a usable unit is not available: {short(databag)}")
    reported = [list(unit.fields) for unit in answers["malformed_units"]]
    expected_report = [["zookeepers"]] if malformed else []
    if reported != expected_report:
        raise FieldToleranceError(
            f"malformed_units() reports the fields {short(reported)}, not "
            f"{short(expected_report)}, for a unit publishing {short(databag)}"
        )


# --- Invalid input to the provider's setters -----------------------------------------------

BAD_PORTS: tuple[Any, ...] = (
    0,
    65536,
    -1,
    "0",
    "65536",
    "-1",
    "09092",
    " 9092",
    "9092 ",
    "9092\n",
    "9e3",
    "",
    "\ud800",
    "９０９２",  # fullwidth digits  # noqa: RUF001 - the confusable is the point
    True,
    False,
    None,
    9092.0,
    b"9092",
    [9092],
    ["9092"],
    {"port": 9092},
)
BAD_HOSTS: tuple[Any, ...] = (
    "",
    " ",
    "bad host",
    "$(reboot)",
    "`id`",
    "a" * 300,
    "fe80::1%eth0",
    "[fd00::5]",
    "10.0.0.5:9092",
    "-kafka",
    "kafka-",
    "a..b",
    "1.2.3",
    "256.0.0.1",
    "kafka_0",
    "kafka\n",
    "\x00",
    "\ud800",
    "kafk\u00e4",
    b"host",
    3,
    ["10.0.0.5"],
)
GOOD_PORTS = st.sampled_from([9092, "9092"])
bad_ports = st.sampled_from(BAD_PORTS)
bad_hosts = st.sampled_from(BAD_HOSTS)

A_SERVER = ("10.0.9.5", 2181, 9998)
BAD_SERVERS: tuple[Any, ...] = (
    None,
    2181,
    "10.0.9.5:2181",
    b"10.0.9.5",
    ("10.0.9.5",),
    ("10.0.9.5", 2181, 9998, "extra"),
    (),
    ["10.0.9.5"],
    ["10.0.9.5", 2181, 9998, "extra"],
    ["bad host", 2181, 9998],
    ["10.0.9.5", 2181, 0],
    ("bad host", 2181),
    ("10.0.9.5", 0),
    ("10.0.9.5", "02181"),
    ("10.0.9.5", True),
    ("10.0.9.5", 2181.0),
    ("10.0.9.5", 2181, 0),
    ("10.0.9.5", 2181, "9998 "),
    (b"10.0.9.5", 2181),
    ("[fd00::5]", 2181),
    ("fe80::1%eth0", 2181),
    (None, 2181),
    ("10.0.9.5", None),
    {"host": "10.0.9.5"},
    {"port": 2181},
    {"host": "10.0.9.5", "port": 2181, "chroot": "/kafka"},
    {"host": "10.0.9.5", "port": 65536},
    {"host": 3, "port": 2181},
    {"host": "10.0.9.5", "port": 2181, "rest_port": False},
    SimpleNamespace(host="bad host", port=2181, rest_port=None),
    SimpleNamespace(host="10.0.9.5", port=None, rest_port=None),
    SimpleNamespace(host="10.0.9.5"),
    SimpleNamespace(port=2181),
)
NOT_LISTS: tuple[Any, ...] = (
    None,
    2181,
    True,
    "10.0.9.5:2181",
    b"10.0.9.5:2181",
    {"host": "10.0.9.5", "port": 2181},
    A_SERVER,  # one server, not a list of them: "10.0.9.5" is not a server
)


@st.composite
def bad_zookeeper_lists(draw: st.DrawFn) -> Any:
    """A zookeeper list that is not one, or one with a bad server among good ones."""
    if draw(st.booleans()):
        return draw(st.sampled_from(NOT_LISTS))
    good = draw(st.lists(st.just(A_SERVER), max_size=3))
    good.insert(draw(st.integers(0, len(good))), draw(st.sampled_from(BAD_SERVERS)))
    return draw(st.sampled_from([list, tuple]))(good)


def _port_setter(name: str, call: Callable[[KafkaProvides, Any], None]) -> Setter:
    return Setter(
        name,
        call=lambda provides, args: call(provides, args[0]),
        invalid=st.tuples(bad_ports),
        valid=(9092,),
    )


SETTERS = SetterTarget(
    name="kafka-provides",
    endpoint=PROVIDER_ENDPOINT,
    metadata=PROVIDES_META,
    build=KafkaProvides,
    setters=(
        Setter(
            "send_connection",
            call=lambda provides, args: provides.send_connection(*args),
            invalid=st.one_of(
                st.tuples(bad_ports, VALID_HOSTS),
                st.tuples(GOOD_PORTS, bad_hosts),
                st.tuples(bad_ports, bad_hosts),
            ),
            valid=(9092, "10.0.0.5"),
        ),
        _port_setter("send_port", KafkaProvides.send_port),
        _port_setter("send_configuration", KafkaProvides.send_configuration),
        Setter(
            "send_zookeepers",
            call=lambda provides, args: provides.send_zookeepers(*args),
            invalid=st.tuples(bad_zookeeper_lists()),
            valid=([A_SERVER],),
        ),
    ),
)


test_setters_refuse_invalid_input_with_value_error_and_change_nothing = setter_test(SETTERS)
test_the_known_defects_named_by_the_variants_are_those_listed = known_defects_test(
    KNOWN_DEFECTS, globals()
)
