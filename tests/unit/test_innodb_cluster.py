"""Unit tests for `charms.innodb_cluster.v0.innodb_cluster`: wire bytes, events, queries, errors.

Every unit of a MySQL InnoDB cluster both writes and reads its own databag on the peer
relation, so one charm plays both parts. `ClusterCharm`, unit 0 of `mysql-innodb-cluster`
unless a test deploys it as another unit, records every library event as its observer sees it
(and defers the kinds its `defer` option names); `WatchingCharm` also records what the queries
answer inside the library's events, its own relation-departed and relation-broken observers and
collect-status; a few others each add one behaviour a test needs (withdrawing on departure,
writing in relation-broken, querying in a deferred handler). The peers are units 1 and up;
their databags hold the legacy bytes a reactive unit writes, as `cluster_databag_for_testing`
gives them or written out by hand. Unit `n` of those helpers is at `10.5.0.7` plus `n`. This
unit's bind address on `cluster` is `BIND`, from the network of the state.

A `Session` runs hooks one after another on one unit, each from the state the previous one
left, so stored state carries over; a session that starts with empty stored state in a formed
cluster is a unit just refreshed from the reactive charm.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar, overload

import ops
import pydantic
import pytest
from ops import testing

import charms.innodb_cluster.v0.innodb_cluster as cluster_library
from charms.innodb_cluster.v0.innodb_cluster import (
    TEST_CLUSTER_PASSWORD,
    TEST_CLUSTER_USER,
    ClusterAvailable,
    ClusterClustered,
    ClusterConnected,
    ClusterConnection,
    ClusterDisconnected,
    ClusterMember,
    ClusterPeer,
    ClusterPeerConfigureReady,
    ClusterPeerData,
    ClusterPeerDeparted,
    ClusterStage,
    ClusterUnavailable,
    ClusterUnclustered,
    ClusterView,
    InnodbClusterPeers,
    MalformedUnit,
    cluster_databag_for_testing,
    cluster_instance_clustered_key,
    cluster_instance_configured_key,
    cluster_network_for_testing,
    cluster_relation_for_testing,
)
from demo.deployment import this_unit_named_departing
from tests.unit import session as sessions
from tests.unit.session import (
    DEFER_CONFIG,
    DEPARTING_ENVIRONMENTS,
    RecordingCharm,
    Seen,
    set_hook_environment,
)

T = TypeVar("T")

LOGGER = "charms.innodb_cluster.v0.innodb_cluster"
MIB = 1024 * 1024
APP = "mysql-innodb-cluster"
META = {"name": APP, "peers": {"cluster": {"interface": "mysql-innodb-cluster"}}}

BIND = "10.20.0.7"
"""This unit's bind address on the `cluster` endpoint, from the network of the state."""
PASSWORD = "Th1s-Units-Cluster-Pw"
"""The password this unit sends; tests look for it wherever it must never be."""
USER = TEST_CLUSTER_USER
PEER_PASSWORD = TEST_CLUSTER_PASSWORD
"""The password every peer of the test helpers sends."""

STAGES: tuple[ClusterStage, ...] = ("joined", "credentials", "configure-ready", "clustered")
WIRE_KEYS: tuple[str, ...] = (
    "cluster-address",
    "cluster-user",
    "cluster-password",
    "unit-configure-ready",
    "unit-clustered",
)
CREDENTIAL_KEYS = WIRE_KEYS[:3]

REACTIVE_UNIT_1 = {
    "egress-subnets": "10.5.0.8/32",
    "ingress-address": "10.5.0.8",
    "private-address": "10.5.0.8",
    "cluster-address": '"10.5.0.8"',
    "cluster-user": '"clusteruser"',
    "cluster-password": '"cluster-password-for-testing"',
    "unit-configure-ready": "true",
    "unit-clustered": "true",
}
"""Unit 1's databag in a formed cluster, byte for byte as the reactive charm leaves it."""

REACTIVE_UNIT_4 = {
    "egress-subnets": "10.9.0.4/32",
    "ingress-address": "10.9.0.4",
    "private-address": "10.9.0.4",
    "cluster-address": '"mysql-4.maas"',
    "cluster-user": '"clusteruser"',
    "cluster-password": r'"Yq\"8\\w\u00e9"',
    "unit-configure-ready": "true",
}
"""A reactive unit that found its users created but is not clustered yet, written by hand: a
host name for an address, and a password that `json.dumps` escaped (it is `Yq"8\\wé`)."""


def name(number: int) -> str:
    return f"{APP}/{number}"


def address(number: int) -> str:
    """Where the test helpers' unit `number` is: 10.5.0.7 plus `number`."""
    return f"10.5.0.{7 + number}"


def databag(
    number: int, stage: ClusterStage = "clustered", changes: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """A reactive peer's databag at a stage of the handshake; `changes` override, None removes."""
    values: dict[str, str | None] = {
        **cluster_databag_for_testing(number, stage),
        **(changes or {}),
    }
    return {key: value for key, value in values.items() if value is not None}


def cluster(
    peers: Mapping[int, Mapping[str, str]],
    *,
    local: Mapping[str, str] | None = None,
    endpoint: str = "cluster",
) -> testing.PeerRelation:
    """The peer relation with these peers; this unit's databag holds Juju's keys unless given."""
    return testing.PeerRelation(
        endpoint,
        interface="mysql-innodb-cluster",
        peers_data={number: dict(data) for number, data in peers.items()},
        local_unit_data=dict(cluster_databag_for_testing(0, "joined") if local is None else local),
    )


def network(*bind_addresses: str) -> testing.Network:
    """The `cluster` binding, bound to these addresses (to none if none are given)."""
    return testing.Network(
        "cluster",
        bind_addresses=[testing.BindAddress([testing.Address(a) for a in bind_addresses])]
        if bind_addresses
        else [],
    )


def state(
    *relations: testing.PeerRelation,
    leader: bool = False,
    defer: str = "",
    bind: tuple[str, ...] = (BIND,),
) -> testing.State:
    return testing.State(
        leader=leader,
        relations=list(relations),
        networks={network(*bind)},
        config={"defer": defer},
    )


def legacy_received(data: Mapping[str, str]) -> dict[str, Any]:
    """A unit's databag as the reactive layer's `received` view decodes it: JSON, else raw."""
    decoded: dict[str, Any] = {}
    for key, value in data.items():
        try:
            decoded[key] = json.loads(value)
        except ValueError:
            decoded[key] = value
    return decoded


def legacy_states(peer_databags: list[Mapping[str, str]], minimum: int = 3) -> tuple[bool, bool]:
    """`available()` and `clustered()` as a reactive unit works them out from its peers' data."""
    peers = [legacy_received(data) for data in peer_databags]
    enough = len(peers) >= minimum - 1
    available = enough and all(peer.get(key) for peer in peers for key in CREDENTIAL_KEYS)
    clustered = enough and all(peer.get("unit-clustered") for peer in peers)
    return available, clustered


# --- Test charms ---------------------------------------------------------------------------

LIBRARY_EVENTS = (
    ClusterConnected,
    ClusterAvailable,
    ClusterPeerConfigureReady,
    ClusterClustered,
    ClusterUnclustered,
    ClusterPeerDeparted,
    ClusterUnavailable,
    ClusterDisconnected,
)

Member = tuple[str, str, str]
"""A member as the `available` event hands it over: unit name, cluster address, user."""

PeerT = tuple[str, "str | None", "str | None", "str | None", bool, bool]
"""A peer as a test sees it: unit name, address, user, password, configure-ready, clustered.

Tests compare plain values rather than the models: under pydantic 2.0, a model built by
validation and an equal one built by `model_construct` need not compare equal.
"""


def as_member(member: ClusterMember) -> Member:
    return (member.unit_name, member.cluster_address, member.cluster_user)


def as_peer(peer: ClusterPeer) -> PeerT:
    password = peer.cluster_password
    return (
        peer.unit_name,
        peer.cluster_address,
        peer.cluster_user,
        None if password is None else password.get_secret_value(),
        peer.configure_ready,
        peer.clustered,
    )


def describe(event: ops.EventBase) -> Seen:
    assert isinstance(event, LIBRARY_EVENTS)
    kind = type(event).__name__
    if isinstance(event, ClusterAvailable):
        return (kind, event.relation.id, tuple(as_member(member) for member in event.members))
    if isinstance(event, ClusterPeerDeparted):
        return (kind, event.relation.id, event.unit_name, event.cluster_address, event.moved)
    if isinstance(event, ClusterPeerConfigureReady):
        return (kind, event.relation.id, event.unit_name, event.cluster_address)
    return (kind, event.relation.id)


class Session(sessions.Session):
    """Hooks run one after another on one unit of the cluster, recording the library's events.

    The shared session's helpers take a cross-model `Relation`; these take the peer relation.
    """

    library_event_types = LIBRARY_EVENTS
    describe = staticmethod(describe)

    def peer_relation(self) -> testing.PeerRelation:
        (relation,) = [r for r in self.state.relations if isinstance(r, testing.PeerRelation)]
        return relation

    @property
    def relation_id(self) -> int:
        return self.peer_relation().id

    def peers(self) -> dict[int, dict[str, str]]:
        return {number: dict(data) for number, data in self.peer_relation().peers_data.items()}

    def set_peers(self, peers: Mapping[int, Mapping[str, str]]) -> None:
        """Replace every peer's databag (and so which peers Juju lists)."""
        data = {number: dict(databag) for number, databag in peers.items()}
        relation = dataclasses.replace(self.peer_relation(), peers_data=data)
        self.state = dataclasses.replace(self.state, relations=[relation])

    def set_peer(self, number: int, databag: Mapping[str, str]) -> None:
        self.set_peers({**self.peers(), number: databag})

    def set_config(self, *, defer: str) -> None:
        self.state = dataclasses.replace(self.state, config={"defer": defer})

    def created(self) -> list[Seen]:
        return self.run(self.ctx.on.relation_created(self.peer_relation()))

    def peer_joined(self, number: int, databag: Mapping[str, str]) -> list[Seen]:
        self.set_peer(number, databag)
        return self.run(self.ctx.on.relation_joined(self.peer_relation(), remote_unit=number))

    def peer_changed(self, number: int, databag: Mapping[str, str] | None = None) -> list[Seen]:
        """relation-changed of a peer, after it wrote `databag` if given."""
        if databag is not None:
            self.set_peer(number, databag)
        return self.run(self.ctx.on.relation_changed(self.peer_relation(), remote_unit=number))

    def peer_departed(
        self,
        number: int,
        *,
        left_behind: Mapping[str, str] | None = None,
        departing: int | None = None,
    ) -> list[Seen]:
        """relation-departed of peer `number`.

        Juju no longer lists the peer (the default); with `left_behind` it is still listed,
        with that databag, as some Juju versions and tools do. `departing` is the departing
        unit, the peer itself unless given (this unit, when it is the one leaving).
        """
        peers = self.peers()
        if left_behind is None:
            del peers[number]
        else:
            peers[number] = dict(left_behind)
        self.set_peers(peers)
        event = self.ctx.on.relation_departed(
            self.peer_relation(),
            remote_unit=number,
            departing_unit=number if departing is None else departing,
        )
        return self.run(event)

    def peer_broken(self) -> list[Seen]:
        return self.run(self.ctx.on.relation_broken(self.peer_relation()))

    def this_unit_leaves(self, number: int) -> list[Seen]:
        """relation-departed of peer `number`, in which Juju names this unit as departing.

        Juju runs one for each peer when this unit is removed, each peer leaving the list in
        turn; `this_unit_named_departing` makes ops.testing name any unit, unit 0 too.
        """
        self.set_peers({n: data for n, data in self.peers().items() if n != number})
        event = self.ctx.on.relation_departed(self.peer_relation(), remote_unit=number)
        with this_unit_named_departing():
            return self.run(event)


class ClusterCharm(RecordingCharm):
    """Every unit of the cluster: records each library event, defers the kinds config names."""

    describe_event = staticmethod(describe)
    minimum_cluster_size: ClassVar[Any] = None
    """None: the library's default; a subclass sets another."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        size = type(self).minimum_cluster_size
        if size is None:
            self.cluster = InnodbClusterPeers(self)
        else:
            self.cluster = InnodbClusterPeers(self, minimum_cluster_size=size)
        self.record(
            self.cluster.on.connected,
            self.cluster.on.available,
            self.cluster.on.peer_configure_ready,
            self.cluster.on.clustered,
            self.cluster.on.unclustered,
            self.cluster.on.peer_departed,
            self.cluster.on.unavailable,
            self.cluster.on.disconnected,
        )


def sized(size: Any) -> type[ClusterCharm]:
    """A `ClusterCharm` whose library has this `minimum_cluster_size`."""

    class SizedCharm(ClusterCharm):
        minimum_cluster_size = size

    return SizedCharm


View = tuple[
    bool,
    bool,
    bool,
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    "int | None",
]
"""What the queries answer: connected, available, clustered; the names of `peers()`, of
`read().credentials`, of `read().members` and of `all_joined_units`; the malformed units; the
relation id."""


def view(cluster_peers: InnodbClusterPeers) -> View:
    read = cluster_peers.read()
    relation = cluster_peers.relation
    return (
        cluster_peers.is_connected(),
        cluster_peers.is_available(),
        cluster_peers.is_clustered(),
        tuple(peer.unit_name for peer in cluster_peers.peers()),
        tuple(peer.unit_name for peer in read.credentials),
        tuple(member.unit_name for member in read.members),
        tuple(unit.unit_name for unit in cluster_peers.all_joined_units),
        tuple(unit.unit_name for unit in cluster_peers.malformed_units()),
        None if relation is None else relation.id,
    )


class WatchingCharm(ClusterCharm):
    """A `ClusterCharm` that also records what the queries answer in events and hooks."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[tuple[str, View]] = []
        for event in (
            self.cluster.on.peer_departed,
            self.cluster.on.unclustered,
            self.cluster.on.unavailable,
            self.cluster.on.disconnected,
            self.cluster.on.available,
            self.on["cluster"].relation_departed,
            self.on["cluster"].relation_broken,
            self.on.collect_unit_status,
        ):
            framework.observe(event, self._look)

    def _look(self, event: ops.EventBase) -> None:
        self.views.append((type(event).__name__, view(self.cluster)))


class DeferringWatcherCharm(ClusterCharm):
    """Notes the peers `peers()` answers in its own `available` observer, which defers the
    event when the `defer` option is set: a deferred event's handler runs again at the start
    of the next hook, before the library has seen that hook's event."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.peer_names: list[tuple[str, ...]] = []
        framework.observe(self.cluster.on.available, self._on_available)

    def _on_available(self, event: ClusterAvailable) -> None:
        self.peer_names.append(tuple(peer.unit_name for peer in self.cluster.peers()))
        if self.config.get("defer"):
            event.defer()


class DepartingCharm(ClusterCharm):
    """Withdraws its credentials when it is the unit leaving, as the docstring's example does."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["cluster"].relation_departed, self._on_departed)

    def _on_departed(self, event: ops.RelationDepartedEvent) -> None:
        if event.departing_unit == self.unit:
            self.cluster.withdraw_cluster_credentials()


class BrokenWriterCharm(ClusterCharm):
    """Tries every setter in relation-broken, when the relation is gone for the library."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["cluster"].relation_broken, self._on_broken)

    def _on_broken(self, _: ops.RelationBrokenEvent) -> None:
        self.cluster.set_cluster_connection_info("10.5.0.7", USER, PASSWORD)
        self.cluster.set_unit_configure_ready()
        self.cluster.set_unit_clustered()
        self.cluster.withdraw_cluster_credentials()


CharmT = TypeVar("CharmT", bound=ClusterCharm)


@overload
def context(**kwargs: Any) -> testing.Context[ClusterCharm]: ...
@overload
def context(charm_type: type[CharmT], **kwargs: Any) -> testing.Context[CharmT]: ...
def context(charm_type: type[ClusterCharm] = ClusterCharm, **kwargs: Any) -> testing.Context[Any]:
    return testing.Context(charm_type, meta=META, config=DEFER_CONFIG, **kwargs)


def ask(state_: testing.State, question: Callable[[InnodbClusterPeers], T]) -> T:
    """Ask the library something inside a hook (update-status) run on `state_`."""
    ctx = context()
    with ctx(ctx.on.update_status(), state_) as mgr:
        answer = question(mgr.charm.cluster)
        mgr.run()
    return answer


def act(state_: testing.State, call: Callable[[InnodbClusterPeers], object]) -> testing.State:
    """Run a hook (update-status) in which the charm calls `call` on the library."""
    ctx = context()
    with ctx(ctx.on.update_status(), state_) as mgr:
        call(mgr.charm.cluster)
        return mgr.run()


def send(
    cluster_address: str = "10.5.0.7",
    cluster_user: str = USER,
    cluster_password: str = PASSWORD,
    cluster_host: str | None = None,
) -> Callable[[InnodbClusterPeers], object]:
    return lambda peers: peers.set_cluster_connection_info(
        cluster_address, cluster_user, cluster_password, cluster_host=cluster_host
    )


def run_seen(
    ctx: testing.Context[ClusterCharm], event: Any, state_: testing.State
) -> tuple[testing.State, list[Seen]]:
    """Run one hook; return its output state and what the charm's observers saw, deferred
    events re-emitted at its start included."""
    with ctx(event, state_) as mgr:
        out = mgr.run()
        return out, list(mgr.charm.seen)


def local_data(state_: testing.State, relation: testing.PeerRelation) -> dict[str, str]:
    return dict(state_.get_relation(relation.id).local_unit_data)


def stored_content(state_: testing.State, name: str = "_stored") -> dict[str, Any]:
    """The content of one of the library's stored states: its record, or `_lifecycle`."""
    (stored,) = [
        entry
        for entry in state_.stored_states
        if "InnodbClusterPeers" in (entry.owner_path or "") and entry.name == name
    ]
    return dict(stored.content)


def library_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The library's WARNING lines so far, which are then forgotten."""
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno >= logging.WARNING
    ]
    caplog.clear()
    return lines


def member(number: int, at: str = "", user: str = USER) -> Member:
    return (name(number), at or address(number), user)


def peer(
    number: int,
    stage: ClusterStage = "clustered",
    *,
    without: tuple[str, ...] = (),
    at: str = "",
    password: str = PEER_PASSWORD,
) -> PeerT:
    """A peer of the test helpers at a stage, as the queries hand it over; `without` are keys
    it sent malformed, or not at all."""
    reached = STAGES.index(stage)
    sent = {key for index, key in enumerate(WIRE_KEYS) if reached >= max(index - 1, 1)}
    sent -= set(without)
    return (
        name(number),
        (at or address(number)) if "cluster-address" in sent else None,
        USER if "cluster-user" in sent else None,
        password if "cluster-password" in sent else None,
        "unit-configure-ready" in sent,
        "unit-clustered" in sent,
    )


def connected(relation_id: int) -> Seen:
    return ("ClusterConnected", relation_id)


def available(relation_id: int, *members: Member) -> Seen:
    return ("ClusterAvailable", relation_id, members)


def configure_ready(relation_id: int, number: int, at: str = "") -> Seen:
    return ("ClusterPeerConfigureReady", relation_id, name(number), at or address(number))


def departed(relation_id: int, number: int, at: str | None) -> Seen:
    """`peer_departed` of a peer that left, naming the last valid address it sent."""
    return ("ClusterPeerDeparted", relation_id, name(number), at, False)


def moved(relation_id: int, number: int, at: str = "") -> Seen:
    """`peer_departed` of a peer that moved, naming the address announced, by default the
    test helpers' address of that unit."""
    return ("ClusterPeerDeparted", relation_id, name(number), at or address(number), True)


def clustered(relation_id: int) -> Seen:
    return ("ClusterClustered", relation_id)


def unclustered(relation_id: int) -> Seen:
    return ("ClusterUnclustered", relation_id)


def unavailable(relation_id: int) -> Seen:
    return ("ClusterUnavailable", relation_id)


def disconnected(relation_id: int) -> Seen:
    return ("ClusterDisconnected", relation_id)


def formed(relation_id: int, *numbers: int) -> list[Seen]:
    """What a unit hears first in a formed cluster of these peers: every start, in order."""
    return [
        connected(relation_id),
        available(relation_id, *(member(n) for n in numbers)),
        *(configure_ready(relation_id, n) for n in numbers),
        clustered(relation_id),
    ]


def formed_session(
    peers: int = 2, charm_type: type[ClusterCharm] = ClusterCharm, **kwargs: Any
) -> Session:
    """A unit that has heard its formed cluster of `peers` peers, all clustered."""
    relation = cluster({n: databag(n) for n in range(1, peers + 1)})
    session = Session(context(charm_type, **kwargs), state(relation))
    assert session.peer_changed(1) == formed(relation.id, *range(1, peers + 1))
    return session


def chained(error: BaseException) -> Iterator[BaseException]:
    """The error, and each one it was raised from or while handling."""
    current: BaseException | None = error
    while current is not None:
        yield current
        current = current.__cause__ or current.__context__


# --- 1. What this unit writes: the exact bytes ---------------------------------------------


def test_connection_info_is_json_and_juju_keys_get_the_bind_address_raw():
    relation = cluster({1: databag(1)})

    out = act(state(relation), send("10.5.0.7", USER, PASSWORD))

    assert local_data(out, relation) == {
        "egress-subnets": "10.5.0.7/32",
        "ingress-address": BIND,
        "private-address": BIND,
        "cluster-address": '"10.5.0.7"',
        "cluster-user": '"clusteruser"',
        "cluster-password": '"Th1s-Units-Cluster-Pw"',
    }
    assert out.get_relation(relation.id).local_app_data == {}
    assert out.get_relation(relation.id).peers_data == {1: databag(1)}  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", ["mysql-0.maas", "10.9.9.9", "fd00::9"])
def test_cluster_host_is_written_instead_of_the_bind_address(host: str):
    relation = cluster({})

    out = act(state(relation), send("10.5.0.7", cluster_host=host))

    data = local_data(out, relation)
    assert (data["ingress-address"], data["private-address"]) == (host, host)
    assert data["cluster-address"] == '"10.5.0.7"'


def test_an_ipv6_bind_address_is_written_as_python_prints_it():
    relation = cluster({})

    out = act(state(relation, bind=("fd00:0:0::7",)), send("fd00::7"))

    data = local_data(out, relation)
    assert (data["ingress-address"], data["private-address"]) == ("fd00::7", "fd00::7")
    assert data["cluster-address"] == '"fd00::7"'


def test_without_a_bind_address_juju_keys_are_left_as_they_are():
    relation = cluster({})

    out = act(state(relation, bind=()), send())

    assert local_data(out, relation) == {
        "egress-subnets": "10.5.0.7/32",
        "ingress-address": "10.5.0.7",
        "private-address": "10.5.0.7",
        "cluster-address": '"10.5.0.7"',
        "cluster-user": '"clusteruser"',
        "cluster-password": '"Th1s-Units-Cluster-Pw"',
    }


def test_when_network_get_fails_juju_keys_stay_and_a_warning_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    def failing_network(_: ops.Binding) -> ops.Network:
        raise ops.ModelError("network-get failed")

    monkeypatch.setattr(ops.Binding, "network", property(failing_network))
    relation = cluster({})

    out = act(state(relation), send())

    data = local_data(out, relation)
    assert (data["ingress-address"], data["private-address"]) == ("10.5.0.7", "10.5.0.7")
    assert data["cluster-user"] == '"clusteruser"'
    assert library_warnings(caplog) == [
        "mysql-innodb-cluster: network-get failed; the address keys stay Juju's"
    ]


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (InnodbClusterPeers.set_unit_configure_ready, "unit-configure-ready"),
        (InnodbClusterPeers.set_unit_clustered, "unit-clustered"),
    ],
)
def test_the_flags_are_written_as_json_true(call: Callable[[InnodbClusterPeers], None], key: str):
    relation = cluster({})

    out = act(state(relation), call)

    assert local_data(out, relation) == {**cluster_databag_for_testing(0, "joined"), key: "true"}


def test_the_whole_handshake_leaves_exactly_the_reactive_units_bytes():
    relation = cluster({})

    out = act(state(relation, bind=("10.5.0.7",)), send("10.5.0.7", USER, PEER_PASSWORD))
    out = act(out, InnodbClusterPeers.set_unit_configure_ready)
    out = act(out, InnodbClusterPeers.set_unit_clustered)

    assert local_data(out, relation) == cluster_databag_for_testing(0, "clustered")


@pytest.mark.parametrize("local_stage", ["clustered", "credentials"])
def test_withdraw_removes_user_and_password_and_keeps_the_rest(local_stage: ClusterStage):
    # Also what the reactive charm wrote before a refresh.
    relation = cluster({}, local=cluster_databag_for_testing(0, local_stage))

    out = act(state(relation), InnodbClusterPeers.withdraw_cluster_credentials)

    expected = cluster_databag_for_testing(0, local_stage)
    del expected["cluster-user"], expected["cluster-password"]
    assert local_data(out, relation) == expected
    assert expected["cluster-address"] == '"10.5.0.7"'


def test_withdraw_with_nothing_sent_writes_nothing():
    relation = cluster({})

    out = act(state(relation), InnodbClusterPeers.withdraw_cluster_credentials)

    assert local_data(out, relation) == cluster_databag_for_testing(0, "joined")


def test_strings_are_escaped_exactly_as_json_dumps_escapes_them():
    relation = cluster({})

    out = act(state(relation), send("mysql-0.maas", "clüster user", 'pa"ss\\wörd €'))

    data = local_data(out, relation)
    assert data["cluster-address"] == '"mysql-0.maas"'
    assert data["cluster-user"] == r'"cl\u00fcster user"'
    assert data["cluster-password"] == r'"pa\"ss\\w\u00f6rd \u20ac"'
    assert json.loads(data["cluster-password"]) == 'pa"ss\\wörd €'


def test_keys_whose_value_is_right_are_not_written_again(monkeypatch: pytest.MonkeyPatch):
    writes: list[str] = []
    original = ops.model.RelationDataContent.__setitem__

    def recording(self: Any, key: str, value: str) -> None:
        writes.append(key)
        original(self, key, value)

    monkeypatch.setattr(ops.model.RelationDataContent, "__setitem__", recording)
    # What the reactive charm wrote at the same address, with another password.
    local = databag(0, "configure-ready", {"ingress-address": BIND, "private-address": BIND})
    relation = cluster({}, local=local)

    out = act(state(relation), send("10.5.0.7", USER, PASSWORD))
    assert writes == ["cluster-password"]
    writes.clear()
    out = act(out, send("10.5.0.7", USER, PASSWORD))
    out = act(out, InnodbClusterPeers.set_unit_configure_ready)

    assert writes == []
    assert local_data(out, relation) == {**local, "cluster-password": f'"{PASSWORD}"'}


# --- 2. What a reactive unit writes, read -------------------------------------------------


def test_the_helpers_databag_is_byte_for_byte_the_reactive_units():
    assert cluster_databag_for_testing(1) == REACTIVE_UNIT_1
    assert databag(1) == REACTIVE_UNIT_1


def test_the_bytes_a_reactive_unit_writes_are_read_as_plain_values():
    relation = cluster({1: REACTIVE_UNIT_1, 4: REACTIVE_UNIT_4})

    answers = ask(
        state(relation),
        lambda c: ([as_peer(p) for p in c.peers()], c.malformed_units(), c.all_joined_units),
    )

    assert answers[0] == [
        (name(1), "10.5.0.8", USER, PEER_PASSWORD, True, True),
        (name(4), "mysql-4.maas", USER, 'Yq"8\\wé', True, False),
    ]
    assert answers[1] == []
    assert [dict(unit.received) for unit in answers[2]] == [
        {key: legacy_received(REACTIVE_UNIT_1)[key] for key in WIRE_KEYS},
        # A key the peer did not send is not there, as in the legacy view.
        {
            "cluster-address": "mysql-4.maas",
            "cluster-user": USER,
            "cluster-password": 'Yq"8\\wé',
            "unit-configure-ready": True,
        },
    ]


def test_raw_values_are_read_with_the_json_fallback_as_the_legacy_view_did():
    raw = {
        "cluster-address": "10.5.0.8",
        "cluster-user": "clusteruser",
        "cluster-password": "raw-pass{word",
        "unit-configure-ready": " true ",
        "unit-clustered": "true",
    }
    relation = cluster({1: raw})

    answers = ask(state(relation), lambda c: (c.peers(), c.malformed_units()))

    assert [as_peer(p) for p in answers[0]] == [
        (name(1), "10.5.0.8", USER, "raw-pass{word", True, True)
    ]
    assert answers[1] == []
    # The same values the legacy `received` view decodes.
    assert legacy_received(raw) == {
        **raw,
        "unit-configure-ready": True,
        "unit-clustered": True,
    }


def test_keys_of_juju_and_of_anything_else_are_ignored(caplog: pytest.LogCaptureFixture):
    extra = {
        "ingress-address": "not an address!",
        "egress-subnets": "garbage",
        "cluster-instance-clustered-10-5-0-8": "true",
        "shared-db": "{not json",
        "unit-clustered-extra": '"yes"',
    }
    relation = cluster({1: {**databag(1), **extra}})

    answers = ask(state(relation), lambda c: (c.peers(), c.malformed_units()))

    assert [as_peer(p) for p in answers[0]] == [peer(1)]
    assert answers[1] == []
    assert library_warnings(caplog) == []


def test_json_null_false_and_empty_values_read_as_not_sent_and_are_not_malformed():
    # `null` is what the legacy `to_publish` writes for None, and reads back as None; Juju
    # deletes a key set to "". Neither is malformed, as neither was to a reactive unit.
    relation = cluster(
        {
            1: databag(
                1,
                changes={
                    "cluster-address": "null",
                    "cluster-user": "",
                    "unit-configure-ready": "false",
                    "unit-clustered": "false",
                },
            )
        }
    )

    answers = ask(
        state(relation),
        lambda c: (c.peers(), c.malformed_units(), dict(c.all_joined_units[0].received)),
    )

    assert [as_peer(p) for p in answers[0]] == [(name(1), None, None, PEER_PASSWORD, False, False)]
    assert answers[1] == []
    # A flag sent as `false` reads False, as the legacy view decoded it; the others are absent.
    assert answers[2] == {
        "cluster-password": PEER_PASSWORD,
        "unit-configure-ready": False,
        "unit-clustered": False,
    }


# --- 3. Mixed clusters: reactive and ops units side by side --------------------------------


def test_an_ops_unit_treats_reactive_peers_as_full_members():
    # Unit 1 written out by hand, unit 2 by the test helper: both the reactive charm's bytes.
    relation = cluster({1: REACTIVE_UNIT_1, 2: cluster_databag_for_testing(2)})
    session = Session(context(), state(relation))

    assert session.peer_changed(2) == formed(relation.id, 1, 2)
    answers = ask(session.state, lambda c: (c.read(), [as_member(m) for m in c.read().members]))
    assert (answers[0].available, answers[0].clustered) == (True, True)
    assert answers[1] == [member(1), member(2)]


def test_what_an_ops_unit_writes_is_what_a_reactive_peer_reads():
    relation = cluster({1: databag(1), 2: databag(2)})
    out = act(state(relation), send("10.5.0.7", USER, PASSWORD))
    out = act(out, InnodbClusterPeers.set_unit_configure_ready)
    out = act(out, InnodbClusterPeers.set_unit_clustered)

    ours = local_data(out, relation)

    assert {key: legacy_received(ours)[key] for key in WIRE_KEYS} == {
        "cluster-address": "10.5.0.7",
        "cluster-user": USER,
        "cluster-password": PASSWORD,
        "unit-configure-ready": True,
        "unit-clustered": True,
    }
    # Juju's keys are raw: a reactive unit reads them with `to_publish_raw`.
    assert (ours["ingress-address"], ours["private-address"]) == (BIND, BIND)
    # Reactive unit 1 sees this unit and unit 2: the cluster is available and clustered.
    assert legacy_states([ours, databag(2)]) == (True, True)

    out = act(out, InnodbClusterPeers.withdraw_cluster_credentials)

    withdrawn = legacy_received(local_data(out, relation))
    assert withdrawn["cluster-address"] == "10.5.0.7"
    assert "cluster-user" not in withdrawn
    assert "cluster-password" not in withdrawn
    assert legacy_states([local_data(out, relation), databag(2)]) == (False, True)


def test_a_reactive_unit_that_has_not_sent_its_credentials_keeps_the_cluster_unavailable():
    relation = cluster({1: databag(1), 2: databag(2, "joined")})

    answers = ask(state(relation), lambda c: (c.is_connected(), c.is_available()))

    assert answers == (True, False)
    assert legacy_states([databag(1), databag(2, "joined")]) == (False, False)


@pytest.mark.parametrize("leader", [False, True])
def test_under_a_reactive_leader_only_the_leader_sees_the_cluster_clustered(leader: bool):
    # The reactive leader never sends `unit-clustered`. A non-leader has the leader among its
    # peers; the leader has only clustered peers.
    relation = cluster_relation_for_testing(peers=2, reactive_leader=None if leader else 1)
    session = Session(context(), state(relation, leader=leader))

    seen = session.upgraded()

    rid = relation.id
    if leader:
        assert seen == formed(rid, 1, 2)
    else:
        assert seen == formed(rid, 1, 2)[:-1]
    assert ask(session.state, InnodbClusterPeers.is_clustered) is leader
    assert ask(session.state, lambda c: [p.clustered for p in c.peers()]) == [leader, True]


def test_an_ops_leader_that_sends_unit_clustered_lets_reactive_units_see_clustered():
    relation = cluster({1: databag(1), 2: databag(2)}, local=databag(0, "configure-ready"))

    out = act(state(relation, leader=True), InnodbClusterPeers.set_unit_clustered)

    assert legacy_states([local_data(out, relation), databag(2)]) == (True, True)
    assert legacy_states([databag(0, "configure-ready"), databag(2)]) == (True, False)


# --- 4. Events and their order ---------------------------------------------------------------


def test_the_first_hook_in_a_formed_cluster_announces_every_start_in_order():
    session = formed_session(3)

    assert session.peer_changed(2) == []
    assert session.update_status() == []
    assert session.upgraded() == []


def test_peers_come_in_unit_number_order_unit_10_after_unit_2():
    relation = cluster({10: databag(10), 2: databag(2)})
    session = Session(context(), state(relation))

    assert session.peer_changed(10) == formed(relation.id, 2, 10)
    assert ask(session.state, lambda c: [p.unit_name for p in c.peers()]) == [name(2), name(10)]


def test_the_handshake_step_by_step_fires_each_event_once():
    relation = cluster({})
    session = Session(context(), state(relation))
    rid = relation.id

    assert session.created() == []
    assert session.peer_joined(1, databag(1, "joined")) == [connected(rid)]
    assert session.peer_joined(2, databag(2, "joined")) == []
    assert session.peer_changed(1, databag(1, "credentials")) == []
    assert session.peer_changed(2, databag(2, "credentials")) == [
        available(rid, member(1), member(2))
    ]
    assert session.peer_changed(2, databag(2, "configure-ready")) == [configure_ready(rid, 2)]
    assert session.peer_changed(1, databag(1, "configure-ready")) == [configure_ready(rid, 1)]
    assert session.peer_changed(1, databag(1, "clustered")) == []
    assert session.peer_changed(2, databag(2, "clustered")) == [clustered(rid)]
    # Nothing changed: nothing again.
    assert session.peer_changed(1) == []
    assert session.peer_changed(2, databag(2)) == []


def test_a_hook_fires_the_ends_before_the_starts():
    session = formed_session(2)
    rid = session.relation_id
    # Unit 2 departs while unit 3 has joined and created its peers' users.
    session.set_peers({1: databag(1), 3: databag(3, "configure-ready")})

    assert session.run(
        session.ctx.on.relation_departed(session.peer_relation(), remote_unit=2, departing_unit=2)
    ) == [
        departed(rid, 2, address(2)),
        unclustered(rid),
        available(rid, member(1), member(3)),
        configure_ready(rid, 3),
    ]
    # Unit 3 withdraws its credentials but says it is clustered: one end, then one start.
    assert session.peer_changed(
        3, databag(3, changes={"cluster-user": None, "cluster-password": None})
    ) == [unavailable(rid), clustered(rid)]


@pytest.mark.parametrize(
    ("changes", "members"),
    [
        pytest.param(
            {"cluster-address": '"10.5.1.1"'}, (member(1, "10.5.1.1"), member(2)), id="address"
        ),
        pytest.param(
            {"cluster-user": '"otheruser"'}, (member(1, user="otheruser"), member(2)), id="user"
        ),
        pytest.param({"cluster-password": '"rotated"'}, (member(1), member(2)), id="password"),
    ],
)
def test_available_fires_again_when_a_peers_address_user_or_password_changes(
    changes: dict[str, str], members: tuple[Member, ...]
):
    session = formed_session(2)
    rid = session.relation_id

    seen = session.peer_changed(1, databag(1, changes=changes))

    if "cluster-address" in changes:
        assert seen == [
            moved(rid, 1),
            available(rid, *members),
            configure_ready(rid, 1, "10.5.1.1"),
        ]
    else:
        assert seen == [available(rid, *members)]
    assert session.peer_changed(1) == []


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"ingress-address": "10.9.9.9", "private-address": "10.9.9.9"}, id="juju"),
        pytest.param({"something-else": '"x"'}, id="unknown-key"),
        pytest.param({"cluster-address": "10.5.0.8"}, id="same-address-raw"),
        pytest.param({"cluster-user": ' "clusteruser" '}, id="same-user-spaced"),
    ],
)
def test_nothing_fires_when_what_the_handshake_reads_is_unchanged(changes: dict[str, str]):
    session = formed_session(2)

    assert session.peer_changed(1, databag(1, changes=changes)) == []


def test_peer_configure_ready_fires_again_only_when_a_ready_peers_address_changes():
    relation = cluster({1: databag(1, "configure-ready"), 2: databag(2, "credentials")})
    session = Session(context(), state(relation))
    rid = relation.id
    assert session.peer_changed(1) == [
        connected(rid),
        available(rid, member(1), member(2)),
        configure_ready(rid, 1),
    ]

    elsewhere = databag(1, "configure-ready", {"cluster-address": '"mysql-1.maas"'})
    assert session.peer_changed(1, elsewhere) == [
        moved(rid, 1),
        available(rid, member(1, "mysql-1.maas"), member(2)),
        configure_ready(rid, 1, "mysql-1.maas"),
    ]
    # A peer never announced configure-ready announces nothing when it moves, beyond
    # `available`: no instance was added at its address.
    assert session.peer_changed(2, databag(2, "credentials", {"cluster-address": '"h2"'})) == [
        available(rid, member(1, "mysql-1.maas"), member(2, "h2"))
    ]


def test_a_peer_that_is_configure_ready_without_a_valid_address_is_announced_once_it_has_one():
    relation = cluster(
        {1: databag(1, "configure-ready", {"cluster-address": None}), 2: databag(2)}
    )
    session = Session(context(), state(relation))
    rid = relation.id
    assert session.peer_changed(1) == [connected(rid), configure_ready(rid, 2)]

    assert session.peer_changed(1, databag(1, "configure-ready")) == [
        available(rid, member(1), member(2)),
        configure_ready(rid, 1),
    ]


def test_available_ends_when_a_peer_withdraws_its_credentials_and_starts_again():
    session = formed_session(2)
    rid = session.relation_id
    withdrawn = databag(2, changes={"cluster-user": None, "cluster-password": None})

    assert session.peer_changed(2, withdrawn) == [unavailable(rid)]
    assert session.peer_changed(2, withdrawn) == []
    assert session.peer_changed(2, databag(2)) == [available(rid, member(1), member(2))]


def test_clustered_ends_when_a_peer_leaves_the_count_but_not_while_enough_remain():
    session = formed_session(3)
    rid = session.relation_id

    assert session.peer_departed(3) == [
        departed(rid, 3, address(3)),
        available(rid, member(1), member(2)),
    ]
    assert ask(session.state, InnodbClusterPeers.is_clustered) is True
    assert session.peer_departed(2) == [
        departed(rid, 2, address(2)),
        unclustered(rid),
        unavailable(rid),
    ]
    assert session.peer_departed(1) == [departed(rid, 1, address(1)), disconnected(rid)]


def test_clustered_ends_when_a_new_peer_joins_unclustered_and_starts_once_it_clusters():
    session = formed_session(2)
    rid = session.relation_id

    assert session.peer_joined(3, databag(3, "joined")) == [unclustered(rid), unavailable(rid)]
    assert session.peer_changed(3, databag(3, "credentials")) == [
        available(rid, member(1), member(2), member(3))
    ]
    assert session.peer_changed(3, databag(3, "configure-ready")) == [configure_ready(rid, 3)]
    assert session.peer_changed(3, databag(3, "clustered")) == [clustered(rid)]


# --- 5. The minimum cluster size -------------------------------------------------------------


def test_the_default_minimum_is_three_units_so_two_peers():
    relation = cluster({1: databag(1)})
    session = Session(context(), state(relation))
    rid = relation.id

    assert session.peer_changed(1) == [connected(rid), configure_ready(rid, 1)]
    answers = ask(session.state, lambda c: (c.minimum_cluster_size, c.read()))
    assert answers[0] == 3
    assert (answers[1].available, answers[1].clustered) == (False, False)
    assert session.peer_joined(2, databag(2)) == [
        available(rid, member(1), member(2)),
        configure_ready(rid, 2),
        clustered(rid),
    ]


@pytest.mark.parametrize(
    ("size", "too_few", "enough"),
    [(2, 0, 1), (4, 2, 3), (5, 3, 4)],
)
def test_another_minimum_cluster_size_needs_that_many_units(size: int, too_few: int, enough: int):
    numbers = range(1, too_few + 1)
    relation = cluster({n: databag(n) for n in numbers})
    session = Session(context(sized(size)), state(relation))
    rid = relation.id

    first = session.upgraded()
    assert first == ([connected(rid)] if too_few else []) + [
        configure_ready(rid, n) for n in numbers
    ]
    assert session.peer_joined(enough, databag(enough)) == [
        *([] if too_few else [connected(rid)]),
        available(rid, *(member(n) for n in range(1, enough + 1))),
        configure_ready(rid, enough),
        clustered(rid),
    ]
    assert ask(session.state, lambda c: c.minimum_cluster_size) == 3  # the default charm's


def test_a_minimum_of_one_makes_a_lone_unit_available_and_clustered_as_the_legacy_formula_did():
    relation = cluster({})
    session = Session(context(sized(1)), state(relation))
    rid = relation.id

    # No peer: connected does not hold, but available and clustered do.
    assert session.created() == [available(rid), clustered(rid)]
    assert legacy_states([], minimum=1) == (True, True)
    assert session.peer_joined(1, databag(1, "joined")) == [
        unclustered(rid),
        unavailable(rid),
        connected(rid),
    ]


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (0, "minimum_cluster_size must be at least 1"),
        (-3, "minimum_cluster_size must be at least 1"),
        (True, "minimum_cluster_size must be an integer"),
        (False, "minimum_cluster_size must be an integer"),
        (2.0, "minimum_cluster_size must be an integer"),
        ("3", "minimum_cluster_size must be an integer"),
    ],
)
def test_an_invalid_minimum_cluster_size_raises_value_error(
    size: Any, message: str, tmp_path: Path
):
    ctx = context(sized(size), charm_root=tmp_path)

    with pytest.raises(testing.errors.UncaughtCharmError) as caught:
        ctx.run(ctx.on.start(), testing.State())

    cause = caught.value.__cause__
    assert isinstance(cause, ValueError)
    assert str(cause) == message


# --- 6. Departure --------------------------------------------------------------------------

LEFT_BEHIND: list[Any] = [
    pytest.param(None, id="no-longer-listed"),
    pytest.param(
        databag(2, changes={"cluster-user": None, "cluster-password": None}),
        id="listed-credentials-withdrawn",
    ),
    pytest.param(
        {key: value for key, value in databag(2).items() if key not in WIRE_KEYS},
        id="listed-everything-withdrawn",
    ),
    pytest.param(databag(2, changes={"cluster-address": '"bad host!"'}), id="listed-malformed"),
    pytest.param(databag(2, changes={"cluster-address": '"10.9.9.9"'}), id="listed-moved"),
]


@pytest.mark.parametrize("left_behind", LEFT_BEHIND)
def test_peer_departed_carries_the_address_recorded_in_earlier_hooks(
    left_behind: dict[str, str] | None,
):
    session = formed_session(2)
    rid = session.relation_id

    assert session.peer_departed(2, left_behind=left_behind) == [
        departed(rid, 2, address(2)),
        unclustered(rid),
        unavailable(rid),
    ]
    # Juju's next hook no longer lists it: the departure is not announced twice.
    session.set_peers({1: databag(1)})
    assert session.peer_changed(1) == []


def test_peer_departed_carries_the_last_valid_address_after_a_malformed_one():
    session = formed_session(2)
    rid = session.relation_id
    elsewhere = databag(2, changes={"cluster-address": '"mysql-2.maas"'})
    assert session.peer_changed(2, elsewhere) == [
        moved(rid, 2),
        available(rid, member(1), member(2, "mysql-2.maas")),
        configure_ready(rid, 2, "mysql-2.maas"),
    ]
    # A malformed address is no move: the last valid one stays the instance's.
    malformed = databag(2, changes={"cluster-address": '"mysql_2"'})
    assert session.peer_changed(2, malformed) == [unavailable(rid)]

    assert session.peer_departed(2) == [departed(rid, 2, "mysql-2.maas"), unclustered(rid)]


def test_peer_departed_of_a_peer_that_never_sent_an_address_carries_none():
    relation = cluster({1: databag(1, "joined")})
    session = Session(context(), state(relation))
    rid = relation.id
    assert session.peer_changed(1) == [connected(rid)]

    assert session.peer_departed(1) == [departed(rid, 1, None), disconnected(rid)]


def test_on_the_departing_unit_no_peer_departs_and_the_states_end():
    # This unit is unit 5, which ops.testing itself can name as the departing unit.
    local = databag(5, "clustered")
    relation = cluster({1: databag(1), 2: databag(2)}, local=local)
    session = Session(context(DepartingCharm, unit_id=5), state(relation))
    rid = relation.id
    assert session.upgraded() == formed(rid, 1, 2)

    # Its peers leave its view, not the cluster: `peer_departed` is for the units that stay.
    assert session.peer_departed(1, departing=5) == [
        unclustered(rid),
        unavailable(rid),
        disconnected(rid),
    ]
    assert session.peer_departed(2, departing=5) == []
    # The charm withdrew its credentials and kept its address, for the leader to remove it.
    expected = dict(local)
    del expected["cluster-user"], expected["cluster-password"]
    assert local_data(session.state, relation) == expected


# --- 6b. The leaving unit ------------------------------------------------------------------
# Juju names this unit as the departing one in each of its relation-departed hooks when it is
# removed; `Session.this_unit_leaves` makes ops.testing do so for unit 0 too.


def leaving(relation_id: int) -> list[Seen]:
    """What a unit leaving its formed cluster hears in its first departure: every end."""
    return [unclustered(relation_id), unavailable(relation_id), disconnected(relation_id)]


def test_the_leaving_unit_ends_every_state_in_its_first_departure_and_starts_nothing_after():
    session = formed_session(3)
    rid = session.relation_id
    # Two peers stay in its view: before, it announced `available` for them.
    assert session.this_unit_leaves(1) == leaving(rid)
    # Nothing starts again: not on new data, nor on a refresh, nor in the later departures.
    assert session.peer_changed(3, databag(3, changes={"cluster-address": '"10.9.9.9"'})) == []
    assert session.upgraded() == []
    assert session.this_unit_leaves(2) == []
    assert session.this_unit_leaves(3) == []
    assert session.peer_broken() == []
    assert stored_content(session.state)["relations"] == {}


def test_the_leaving_unit_hears_no_peer_depart_nor_move():
    session = formed_session(3)
    rid = session.relation_id
    # Peer 3 moved before this hook: the leader, not the unit leaving, removes its instance.
    session.set_peer(3, databag(3, changes={"cluster-address": '"10.9.9.9"'}))

    assert session.this_unit_leaves(1) == leaving(rid)


def test_every_query_answers_nothing_in_every_handler_of_the_leaving_units_first_departure():
    session = formed_session(3, WatchingCharm)
    rid = session.relation_id
    session.set_peers({2: databag(2), 3: databag(3)})
    ctx = session.ctx

    event = ctx.on.relation_departed(session.peer_relation(), remote_unit=1)
    with this_unit_named_departing(), ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views

    assert [kind for kind, _ in views] == [
        "ClusterUnclustered",
        "ClusterUnavailable",
        "ClusterDisconnected",
        "RelationDepartedEvent",
        "CollectStatusEvent",
    ]
    # The relation stays, for the charm to withdraw its credentials; no peer is in it.
    for _, answered in views:
        assert answered == (False, False, False, (), (), (), (), (), rid)


def test_the_leaving_units_deferred_events_already_see_nothing_in_its_first_departure():
    relation = cluster({n: databag(n) for n in (1, 2, 3)})
    session = Session(context(DeferringWatcherCharm), state(relation, defer="x"))
    session.peer_changed(1)
    assert len(session.state.deferred) == 1
    session.set_config(defer="")
    session.set_peers({2: databag(2), 3: databag(3)})
    ctx = session.ctx

    event = ctx.on.relation_departed(session.peer_relation(), remote_unit=1)
    with this_unit_named_departing(), ctx(event, session.state) as mgr:
        out = mgr.run()
        charm = mgr.charm
    assert isinstance(charm, DeferringWatcherCharm)

    # The deferred `available` ran first, and already saw the unit leaving: no peer.
    assert charm.peer_names == [()]
    assert charm.seen == leaving(relation.id)
    assert out.deferred == []


def test_that_this_unit_is_leaving_is_kept_in_the_libraries_state():
    session = formed_session(2)
    assert stored_content(session.state, "_lifecycle") == {"leaving": False}

    session.this_unit_leaves(1)

    assert stored_content(session.state, "_lifecycle") == {"leaving": True}


def test_a_peer_departing_is_not_this_unit_leaving():
    session = formed_session(3)
    rid = session.relation_id

    assert session.peer_departed(1) == [
        departed(rid, 1, address(1)),
        available(rid, member(2), member(3)),
    ]
    assert stored_content(session.state, "_lifecycle") == {"leaving": False}
    assert session.peer_joined(4, databag(4)) == [
        available(rid, *(member(n) for n in (2, 3, 4))),
        configure_ready(rid, 4),
    ]


# --- 6c. A peer that moves -----------------------------------------------------------------
# Every address `peer_configure_ready` announced is named again by `peer_departed`, once,
# when it stops being the peer's.


def elsewhere(number: int, at: str, stage: ClusterStage = "clustered") -> dict[str, str]:
    """Peer `number`'s databag at a stage, at another cluster address."""
    return databag(number, stage, {"cluster-address": json.dumps(at)})


def test_a_ready_peer_that_moves_is_named_at_its_old_address_then_announced_at_its_new():
    session = formed_session(2, WatchingCharm)
    rid = session.relation_id
    ctx = session.ctx
    session.set_peer(1, elsewhere(1, "10.5.1.1"))

    with ctx(
        ctx.on.relation_changed(session.peer_relation(), remote_unit=1), session.state
    ) as mgr:
        session.state = mgr.run()
        seen, views = mgr.charm.seen, mgr.charm.views

    assert seen == [
        moved(rid, 1),
        available(rid, member(1, "10.5.1.1"), member(2)),
        configure_ready(rid, 1, "10.5.1.1"),
    ]
    # In the `peer_departed` handler the peer is still a peer, at its new address.
    assert views[0] == (
        "ClusterPeerDeparted",
        (
            True,
            True,
            True,
            (name(1), name(2)),
            (name(1), name(2)),
            (name(1), name(2)),
            (name(1), name(2)),
            (),
            rid,
        ),
    )
    # Its move is named once; then its departure names the new address.
    assert session.peer_changed(1) == []
    assert session.peer_departed(1) == [
        departed(rid, 1, "10.5.1.1"),
        unclustered(rid),
        unavailable(rid),
    ]


def test_each_address_a_peer_moves_through_is_named_once():
    session = formed_session(2)
    rid = session.relation_id

    assert session.peer_changed(2, elsewhere(2, "mysql-2.maas"))[0] == moved(rid, 2)
    assert session.peer_changed(2, elsewhere(2, "fd00::2"))[0] == moved(rid, 2, "mysql-2.maas")
    assert session.peer_changed(2, elsewhere(2, "fd00::2")) == []
    assert session.peer_departed(2)[0] == departed(rid, 2, "fd00::2")


def test_a_peer_that_moves_while_not_configure_ready_is_named_at_the_address_announced():
    session = formed_session(2)
    rid = session.relation_id
    # Unit 1 stops saying it is configure-ready (and clustered), at the same address: its
    # instance is where it was.
    assert session.peer_changed(1, databag(1, "credentials")) == [unclustered(rid)]

    # Then it moves: the instance announced is gone from there.
    assert session.peer_changed(1, elsewhere(1, "10.5.1.1", "credentials")) == [
        moved(rid, 1),
        available(rid, member(1, "10.5.1.1"), member(2)),
    ]
    # Once ready at the new address, it is announced there; nothing more at the old one.
    assert session.peer_changed(1, elsewhere(1, "10.5.1.1")) == [
        configure_ready(rid, 1, "10.5.1.1"),
        clustered(rid),
    ]
    assert session.peer_changed(1, elsewhere(1, "10.5.1.2", "credentials"))[0] == moved(
        rid, 1, "10.5.1.1"
    )


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"cluster-address": '"mysql_1"'}, id="malformed"),
        pytest.param({"cluster-address": None}, id="withdrawn"),
    ],
)
def test_a_malformed_or_withdrawn_address_is_no_move(changes: dict[str, str | None]):
    session = formed_session(2)
    rid = session.relation_id

    assert session.peer_changed(1, databag(1, changes=changes)) == [unavailable(rid)]
    # The instance is still where it was: the same address brings nothing to remove.
    assert session.peer_changed(1, databag(1)) == [
        available(rid, member(1), member(2)),
        configure_ready(rid, 1),
    ]
    assert session.peer_departed(1)[0] == departed(rid, 1, address(1))


def test_a_move_is_named_on_a_record_an_earlier_libpatch_saved():
    session = formed_session(2)
    rid = session.relation_id
    # LIBPATCH 2 recorded no announced addresses apart from the ready peers'.
    (stored,) = [
        s
        for s in session.state.stored_states
        if s.name == "_stored" and "InnodbClusterPeers" in (s.owner_path or "")
    ]
    record = {
        key: value
        for key, value in stored.content["relations"][str(rid)].items()
        if key != "announced"
    }
    earlier = dataclasses.replace(stored, content={"relations": {str(rid): record}})
    others = [s for s in session.state.stored_states if s is not stored]
    session.state = dataclasses.replace(session.state, stored_states=[*others, earlier])

    assert session.peer_changed(1, elsewhere(1, "10.5.1.1"))[0] == moved(rid, 1)


def test_a_deferred_move_keeps_its_payload_and_an_earlier_libpatchs_is_a_departure():
    session = formed_session(2)
    rid = session.relation_id
    session.set_config(defer="peer_departed")
    session.peer_changed(1, elsewhere(1, "10.5.1.1"))
    (deferred,) = session.state.deferred
    assert deferred.snapshot_data["moved"] is True
    session.set_config(defer="")

    _, seen = run_seen(session.ctx, session.ctx.on.update_status(), session.state)
    assert seen == [moved(rid, 1)]

    # LIBPATCH 2 snapshot no `moved`: it named departures only.
    snapshot = {k: v for k, v in deferred.snapshot_data.items() if k != "moved"}
    earlier = dataclasses.replace(deferred, snapshot_data=snapshot)
    _, seen = run_seen(
        session.ctx,
        session.ctx.on.update_status(),
        dataclasses.replace(session.state, deferred=[earlier]),
    )
    assert seen == [departed(rid, 1, address(1))]


# --- 7. Relation-broken --------------------------------------------------------------------


def test_relation_broken_ends_every_state_in_order_and_drops_the_record():
    session = formed_session(2)
    rid = session.relation_id

    # Relation-broken is this unit leaving (or the application going): no peer departs.
    assert session.peer_broken() == [unclustered(rid), unavailable(rid), disconnected(rid)]
    assert stored_content(session.state)["relations"] == {}


def test_relation_broken_of_a_relation_never_recorded_announces_nothing():
    relation = cluster({})
    session = Session(context(), state(relation))

    assert session.peer_broken() == []


def test_during_relation_broken_every_query_answers_nothing(caplog: pytest.LogCaptureFixture):
    relation = cluster({1: databag(1), 2: databag(2, changes={"cluster-user": '"bad\\n"'})})
    session = Session(context(WatchingCharm), state(relation))
    session.peer_changed(1)
    assert len(library_warnings(caplog)) == 1  # unit 2's user, in relation-changed
    ctx = session.ctx

    with ctx(ctx.on.relation_broken(relation), session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        published = mgr.charm.cluster.published()

    assert [kind for kind, _ in views] == [
        "ClusterUnclustered",  # never available: unit 2's user is malformed
        "ClusterDisconnected",
        "RelationBrokenEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == (False, False, False, (), (), (), (), (), None)
    assert published is None
    assert library_warnings(caplog) == []  # relation-broken reads no peer


def test_during_relation_broken_a_deferred_events_handler_already_sees_nothing():
    relation = cluster({1: databag(1), 2: databag(2)})
    session = Session(context(DeferringWatcherCharm), state(relation, defer="x"))
    session.peer_changed(1)
    assert len(session.state.deferred) == 1
    session.set_config(defer="")
    ctx = session.ctx

    with ctx(ctx.on.relation_broken(session.peer_relation()), session.state) as mgr:
        out = mgr.run()
        charm = mgr.charm
    assert isinstance(charm, DeferringWatcherCharm)

    # The deferred `available` ran first, and already saw the relation gone.
    assert charm.peer_names == [()]
    assert charm.seen == leaving(relation.id)
    assert out.deferred == []


def test_writes_during_relation_broken_log_a_warning_and_write_nothing(
    caplog: pytest.LogCaptureFixture,
):
    relation = cluster({1: databag(1)})
    ctx = context(BrokenWriterCharm)

    out = ctx.run(ctx.on.relation_broken(relation), state(relation))

    assert local_data(out, relation) == cluster_databag_for_testing(0, "joined")
    assert library_warnings(caplog) == [
        f"{method}: no mysql-innodb-cluster peer relation yet (or any more)"
        for method in (
            "set_cluster_connection_info",
            "set_unit_configure_ready",
            "set_unit_clustered",
            "withdraw_cluster_credentials",
        )
    ]


# --- 8. Refresh from the reactive charm ----------------------------------------------------


@pytest.mark.parametrize("end", ["departed", "broken"])
def test_a_unit_refreshed_into_a_formed_cluster_hears_it_on_upgrade_charm_and_its_end_later(
    end: str,
):
    relation = cluster_relation_for_testing(peers=2, local_stage="clustered")
    session = Session(context(), state(relation))
    rid = relation.id

    assert session.upgraded() == formed(rid, 1, 2)
    assert session.upgraded() == []
    assert session.peer_changed(1) == []

    if end == "broken":
        # Relation-broken is this unit leaving: its peers stay in the cluster.
        assert session.peer_broken() == [unclustered(rid), unavailable(rid), disconnected(rid)]
    else:
        assert session.peer_departed(2) == [
            departed(rid, 2, address(2)),
            unclustered(rid),
            unavailable(rid),
        ]
        assert session.peer_departed(1) == [departed(rid, 1, address(1)), disconnected(rid)]


def test_a_refreshed_unit_keeps_and_publishes_what_the_reactive_charm_sent():
    reactive = cluster_databag_for_testing(0, "clustered")
    relation = cluster_relation_for_testing(peers=2, local_stage="clustered")
    session = Session(context(), state(relation))

    session.upgraded()

    assert local_data(session.state, relation) == reactive
    sent = ask(session.state, InnodbClusterPeers.published)
    assert sent is not None
    assert sent.cluster_password is not None
    assert (
        sent.cluster_address,
        sent.cluster_user,
        sent.cluster_password.get_secret_value(),
        sent.configure_ready,
        sent.clustered,
    ) == ("10.5.0.7", USER, PEER_PASSWORD, True, True)


def test_a_unit_refreshed_under_a_reactive_leader_hears_no_clustered():
    relation = cluster_relation_for_testing(peers=3, reactive_leader=2)
    session = Session(context(), state(relation))

    assert session.upgraded() == formed(relation.id, 1, 2, 3)[:-1]


@pytest.mark.parametrize("hook", ["changed", "departed"])
def test_a_relation_without_a_record_is_reconciled_in_any_of_its_hooks(hook: str):
    relation = cluster_relation_for_testing(peers=3)
    session = Session(context(), state(relation))
    rid = relation.id

    if hook == "changed":
        assert session.peer_changed(2) == formed(rid, 1, 2, 3)
    else:
        # The unit that departs was never announced, so its departure is not either.
        assert session.peer_departed(3) == formed(rid, 1, 2)


def test_upgrade_charm_on_a_unit_with_a_record_announces_only_what_changed():
    session = formed_session(2)
    rid = session.relation_id
    session.set_peer(2, databag(2, changes={"cluster-address": '"10.5.2.2"'}))

    assert session.upgraded() == [
        moved(rid, 2),
        available(rid, member(1), member(2, "10.5.2.2")),
        configure_ready(rid, 2, "10.5.2.2"),
    ]


def test_upgrade_charm_drops_the_records_of_relations_that_no_longer_exist():
    session = formed_session(2)
    old = session.relation_id
    renewed = cluster({1: databag(1), 2: databag(2)})
    session.state = dataclasses.replace(session.state, relations=[renewed])

    assert session.upgraded() == formed(renewed.id, 1, 2)
    assert set(stored_content(session.state)["relations"]) == {str(renewed.id)}
    assert str(old) != str(renewed.id)

    session.state = dataclasses.replace(session.state, relations=[])
    assert session.upgraded() == []
    assert stored_content(session.state)["relations"] == {}


# --- 9. Deferral and custom events ---------------------------------------------------------


def test_deferred_events_keep_the_payload_they_were_emitted_with():
    relation = cluster({1: databag(1), 2: databag(2)})
    ctx = context()
    rid = relation.id
    out, seen = run_seen(
        ctx,
        ctx.on.relation_changed(relation, remote_unit=1),
        state(relation, defer="available,peer_configure_ready"),
    )
    assert seen == formed(rid, 1, 2)
    assert len(out.deferred) == 3

    # Meanwhile unit 1 moved; the deferred events still carry what they announced.
    elsewhere = databag(1, changes={"cluster-address": '"10.5.1.1"'})
    relation = dataclasses.replace(relation, peers_data={1: elsewhere, 2: databag(2)})
    out = dataclasses.replace(out, relations=[relation], config={"defer": ""})
    out, seen = run_seen(ctx, ctx.on.relation_changed(relation, remote_unit=1), out)

    # The deferred ones come first (ops.testing does not keep their relative order).
    assert sorted(seen[:3], key=repr) == sorted(formed(rid, 1, 2)[1:4], key=repr)
    assert seen[3:] == [
        moved(rid, 1),
        available(rid, member(1, "10.5.1.1"), member(2)),
        configure_ready(rid, 1, "10.5.1.1"),
    ]
    assert out.deferred == []


@pytest.mark.parametrize("sent_address", [True, False])
def test_a_deferred_departure_keeps_its_unit_and_address(sent_address: bool):
    stage = "clustered" if sent_address else "joined"
    relation = cluster({1: databag(1), 2: databag(2, stage)})
    session = Session(context(), state(relation))
    session.peer_changed(1)
    session.set_config(defer="peer_departed")
    session.peer_departed(2)
    (deferred,) = session.state.deferred
    assert deferred.snapshot_data["unit_name"] == name(2)
    session.set_config(defer="")

    _, seen = run_seen(session.ctx, session.ctx.on.update_status(), session.state)

    assert seen == [departed(relation.id, 2, address(2) if sent_address else None)]


def test_deferred_events_keep_their_payload_across_a_refresh():
    relation = cluster_relation_for_testing(peers=2)
    ctx = context()
    rid = relation.id
    # Refreshed from the reactive charm, the unit defers what it hears in upgrade-charm.
    out, seen = run_seen(
        ctx, ctx.on.upgrade_charm(), state(relation, defer="available,peer_configure_ready")
    )
    assert seen == formed(rid, 1, 2)
    assert len(out.deferred) == 3

    # Refreshed again (to another ops build), after unit 2 moved.
    elsewhere = databag(2, changes={"cluster-address": '"10.5.2.2"'})
    relation = dataclasses.replace(relation, peers_data={1: databag(1), 2: elsewhere})
    out = dataclasses.replace(out, relations=[relation], config={"defer": ""})
    out, seen = run_seen(ctx, ctx.on.upgrade_charm(), out)

    assert sorted(seen[:3], key=repr) == sorted(formed(rid, 1, 2)[1:4], key=repr)
    assert seen[3:] == [
        moved(rid, 2),
        available(rid, member(1), member(2, "10.5.2.2")),
        configure_ready(rid, 2, "10.5.2.2"),
    ]


def test_neither_a_deferred_event_nor_stored_state_holds_a_password():
    relation = cluster({1: databag(1), 2: databag(2)})
    ctx = context()
    out, _ = run_seen(
        ctx,
        ctx.on.relation_changed(relation, remote_unit=1),
        state(relation, defer="available"),
    )

    (deferred,) = out.deferred
    assert deferred.name.endswith("available")
    snapshot = json.dumps(deferred.snapshot_data)
    assert PEER_PASSWORD not in snapshot
    assert "password" not in snapshot
    assert json.loads(deferred.snapshot_data["payload"]) == {
        "members": [
            {"unit_name": name(n), "cluster_address": address(n), "cluster_user": USER}
            for n in (1, 2)
        ]
    }
    for stored in out.stored_states:
        assert PEER_PASSWORD not in repr(stored.content)


def test_a_deferred_event_outlives_its_relation():
    relation = cluster({1: databag(1), 2: databag(2)})
    ctx = context()
    out, _ = run_seen(
        ctx,
        ctx.on.relation_changed(relation, remote_unit=1),
        state(relation, defer="available"),
    )
    out = dataclasses.replace(out, relations=[], config={"defer": ""})

    _, seen = run_seen(ctx, ctx.on.update_status(), out)

    assert seen == [available(relation.id, member(1), member(2))]


def test_a_deferred_payload_the_current_validation_refuses_is_handed_over_as_announced(
    caplog: pytest.LogCaptureFixture,
):
    relation = cluster({1: databag(1), 2: databag(2)})
    ctx = context()
    out, _ = run_seen(
        ctx,
        ctx.on.relation_changed(relation, remote_unit=1),
        state(relation, defer="available"),
    )
    (deferred,) = out.deferred
    payload = json.loads(deferred.snapshot_data["payload"])
    payload["members"][0]["cluster_address"] = "mysql_1"  # refused by a stricter LIBPATCH
    stored = dataclasses.replace(
        deferred, snapshot_data={**deferred.snapshot_data, "payload": json.dumps(payload)}
    )
    out = dataclasses.replace(out, config={"defer": ""}, deferred=[stored])
    caplog.clear()

    _, seen = run_seen(ctx, ctx.on.update_status(), out)

    assert seen == [available(relation.id, member(1, "mysql_1"), member(2))]
    assert library_warnings(caplog) == [
        "a deferred cluster event carries data this library now refuses: "
        "cluster_address: must be a host name or an IP address"
    ]


CUSTOM_EVENTS: list[Any] = [
    pytest.param(InnodbClusterPeers.on.connected, (), (), id="connected"),
    pytest.param(
        InnodbClusterPeers.on.available,
        ((ClusterMember(unit_name=name(1), cluster_address="mysql-1.maas", cluster_user=USER),),),
        (((name(1), "mysql-1.maas", USER),),),
        id="available",
    ),
    pytest.param(
        InnodbClusterPeers.on.peer_configure_ready,
        (name(1), "10.5.0.8"),
        (name(1), "10.5.0.8"),
        id="peer_configure_ready",
    ),
    pytest.param(InnodbClusterPeers.on.clustered, (), (), id="clustered"),
    pytest.param(InnodbClusterPeers.on.unclustered, (), (), id="unclustered"),
    pytest.param(
        InnodbClusterPeers.on.peer_departed,
        (name(1), None),
        (name(1), None, False),
        id="peer_departed",
    ),
    pytest.param(
        InnodbClusterPeers.on.peer_departed,
        (name(1), "10.5.0.8", True),
        (name(1), "10.5.0.8", True),
        id="peer_departed-moved",
    ),
    pytest.param(InnodbClusterPeers.on.unavailable, (), (), id="unavailable"),
    pytest.param(InnodbClusterPeers.on.disconnected, (), (), id="disconnected"),
]


@pytest.mark.parametrize(("event", "args", "payload"), CUSTOM_EVENTS)
def test_each_event_can_be_emitted_with_ctx_on_custom_and_deferred(
    event: ops.BoundEvent, args: tuple[Any, ...], payload: tuple[Any, ...]
):
    relation = cluster({1: databag(1)})
    ctx = context()
    kind = event.event_kind

    out, seen = run_seen(ctx, ctx.on.custom(event, relation, *args), state(relation, defer=kind))
    assert seen == [(event.event_type.__name__, relation.id, *payload)]
    out = dataclasses.replace(out, config={"defer": ""})
    _, seen = run_seen(ctx, ctx.on.update_status(), out)

    assert seen == [(event.event_type.__name__, relation.id, *payload)]


# --- 10. Per-field tolerance and hostile data ------------------------------------------------

TOO_DEEP = "[" * 100_000 + "]" * 100_000
"""JSON nested deeper than Python's recursion limit lets `json.loads` go."""
NESTED = "[" * 200 + "]" * 200
"""JSON nested deep, within the limit."""
LONG_HOST = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62])
"""254 characters of valid labels: one too many for a host name."""

HOSTILE: list[Any] = [
    pytest.param("cluster-address", '"10.5.0.256"', id="address-bad-ipv4"),
    pytest.param("cluster-address", '"10.5.0"', id="address-short-ipv4"),
    pytest.param("cluster-address", '"fe80::1%eth0"', id="address-ipv6-zone"),
    pytest.param("cluster-address", '"fd00:::1"', id="address-bad-ipv6"),
    pytest.param("cluster-address", '"[fd00::1]"', id="address-brackets"),
    pytest.param("cluster-address", '"mysql_0.maas"', id="address-underscore"),
    pytest.param("cluster-address", '"mysql 0; reboot"', id="address-shell"),
    pytest.param("cluster-address", json.dumps(LONG_HOST), id="address-too-long"),
    pytest.param("cluster-address", '"10.5.0.8\\n"', id="address-newline"),
    pytest.param("cluster-address", '"\\ud800.maas"', id="address-lone-surrogate"),
    pytest.param("cluster-address", '""', id="address-empty-string"),
    pytest.param("cluster-address", '["10.5.0.8"]', id="address-json-list"),
    pytest.param("cluster-address", '{"host": "10.5.0.8"}', id="address-json-object"),
    pytest.param("cluster-address", "10", id="address-json-number"),
    pytest.param("cluster-address", "true", id="address-json-bool"),
    pytest.param("cluster-address", NESTED, id="address-nested-json"),
    pytest.param("cluster-address", TOO_DEEP, id="address-too-deep-json"),
    pytest.param("cluster-address", json.dumps("a" * MIB), id="address-1MiB"),
    pytest.param("cluster-user", '""', id="user-empty-string"),
    pytest.param("cluster-user", json.dumps("u" * 33), id="user-too-long"),
    pytest.param("cluster-user", '"user\\u0000"', id="user-nul"),
    pytest.param("cluster-user", '"clusteruser\\r\\nforged log line"', id="user-crlf"),
    pytest.param("cluster-user", '"\\u001b[2Juser"', id="user-escape-sequence"),
    pytest.param("cluster-user", '"user\\u0085"', id="user-c1-control"),
    pytest.param("cluster-user", '"user\\u007f"', id="user-del"),
    pytest.param("cluster-user", '"\\udfffuser"', id="user-lone-surrogate"),
    pytest.param("cluster-user", "us\ud800er", id="user-raw-lone-surrogate"),
    pytest.param("cluster-user", "1234", id="user-json-number"),
    pytest.param("cluster-user", '["clusteruser"]', id="user-json-list"),
    pytest.param("cluster-user", json.dumps("u" * MIB), id="user-1MiB"),
    pytest.param("cluster-password", '""', id="password-empty-string"),
    pytest.param("cluster-password", json.dumps("p" * 1025), id="password-too-long"),
    pytest.param("cluster-password", '"pass\\nword"', id="password-newline"),
    pytest.param("cluster-password", '"pass\\tword"', id="password-tab"),
    pytest.param("cluster-password", '"\\ud800"', id="password-lone-surrogate"),
    pytest.param("cluster-password", '{"password": "x"}', id="password-json-object"),
    pytest.param("cluster-password", "[" * 100_000, id="password-unclosed-deep-json"),
    pytest.param("cluster-password", json.dumps("p" * MIB), id="password-1MiB"),
    pytest.param("unit-configure-ready", '"yes"', id="ready-json-yes"),
    pytest.param("unit-configure-ready", "yes", id="ready-raw-yes"),
    pytest.param("unit-configure-ready", "1", id="ready-1"),
    pytest.param("unit-configure-ready", '"true"', id="ready-json-string-true"),
    pytest.param("unit-configure-ready", "True", id="ready-python-true"),
    pytest.param("unit-configure-ready", "[true]", id="ready-json-list"),
    pytest.param("unit-configure-ready", '{"ready": true}', id="ready-json-object"),
    pytest.param("unit-configure-ready", TOO_DEEP, id="ready-too-deep-json"),
    pytest.param("unit-clustered", '"yes"', id="clustered-json-yes"),
    pytest.param("unit-clustered", "1", id="clustered-1"),
    pytest.param("unit-clustered", '"true"', id="clustered-json-string-true"),
    pytest.param("unit-clustered", "[true]", id="clustered-json-list"),
    pytest.param("unit-clustered", NESTED, id="clustered-nested-json"),
    pytest.param("unit-clustered", "y" * MIB, id="clustered-1MiB"),
]


def first_hook_when_peer_1_lacks(relation_id: int, key: str) -> list[Seen]:
    """What a unit hears first from two clustered peers, unit 1 having sent `key` malformed."""
    events = [connected(relation_id)]
    if key not in CREDENTIAL_KEYS:
        events.append(available(relation_id, member(1), member(2)))
    if key not in ("cluster-address", "unit-configure-ready"):
        events.append(configure_ready(relation_id, 1))
    events.append(configure_ready(relation_id, 2))
    if key != "unit-clustered":
        events.append(clustered(relation_id))
    return events


def texts_of(value: str) -> list[str]:
    """A hostile value as it could leak: as sent, and as it decodes."""
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        decoded = value
    return [value, decoded if isinstance(decoded, str) else json.dumps(decoded)]


@pytest.mark.parametrize(("key", "value"), HOSTILE)
def test_a_malformed_field_counts_as_absent_alone_and_is_reported_without_its_value(
    key: str, value: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    relation = cluster({1: databag(1, changes={key: value}), 2: databag(2)})
    ctx = context()

    with ctx(ctx.on.relation_changed(relation, remote_unit=1), state(relation)) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        library = mgr.charm.cluster
        peers = [as_peer(p) for p in library.peers()]
        malformed = library.malformed_units()
        received = library.all_joined_units[0].received[key]
        answers = view(library)

    assert peers == [peer(1, without=(key,)), peer(2)]
    assert received is None
    assert seen == first_hook_when_peer_1_lacks(relation.id, key)
    assert answers[1] is (key not in CREDENTIAL_KEYS)
    assert malformed == [MalformedUnit(relation.id, name(1), (key,), malformed[0].reason)]
    assert malformed[0].reason.startswith(f"{key}: ")
    assert str(malformed[0]) == f"{name(1)} sent a malformed {key}"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name == LOGGER]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert f"relation {relation.id}" in message
    assert name(1) in message
    assert key in message
    assert len(message) < 300
    logged = [caplog.text, *(line.message for line in ctx.juju_log)]
    for text in texts_of(value):
        if len(text) > 5:  # shorter ones may be part of any message
            for line in (*logged, repr(malformed), str(malformed[0])):
                assert text not in line


def test_every_malformed_field_of_a_peer_is_named_in_wire_order_and_logged_once_per_hook(
    caplog: pytest.LogCaptureFixture,
):
    hostile = dict.fromkeys(WIRE_KEYS, '["x"]')
    relation = cluster({1: databag(1), 2: databag(2, changes=hostile), 3: databag(3)})
    ctx = context(WatchingCharm)

    with ctx(ctx.on.relation_changed(relation, remote_unit=2), state(relation)) as mgr:
        mgr.run()
        for _ in range(3):
            view(mgr.charm.cluster)
        malformed = mgr.charm.cluster.malformed_units()
        peers = [as_peer(p) for p in mgr.charm.cluster.peers()]

    assert peers == [peer(1), (name(2), None, None, None, False, False), peer(3)]
    assert [(m.relation_id, m.unit_name, m.fields) for m in malformed] == [
        (relation.id, name(2), WIRE_KEYS)
    ]
    assert str(malformed[0]) == f"{name(2)} sent a malformed {', '.join(WIRE_KEYS)}"
    (warning,) = library_warnings(caplog)
    assert ", ".join(WIRE_KEYS) in warning


def test_a_malformed_peer_is_logged_once_even_over_several_events_of_one_charm_instance(
    caplog: pytest.LogCaptureFixture,
):
    # As under Harness, where one charm instance sees many events: a view per event, but
    # the same complaint once.
    relation = cluster({1: databag(1, changes={"unit-clustered": '"yes"'}), 2: databag(2)})
    ctx = context()

    with ctx(ctx.on.update_status(), state(relation)) as mgr:
        mgr.charm.on.upgrade_charm.emit()
        mgr.charm.on.upgrade_charm.emit()
        mgr.run()
        seen = mgr.charm.seen

    assert seen == first_hook_when_peer_1_lacks(relation.id, "unit-clustered")
    assert len(library_warnings(caplog)) == 1


def test_bad_data_of_one_peer_leaves_the_others_whole():
    relation = cluster(
        {
            1: databag(1, changes={"cluster-password": TOO_DEEP}),
            2: databag(2, changes={"unit-configure-ready": "maybe"}),
            3: databag(3),
        }
    )

    answers = ask(
        state(relation),
        lambda c: ([as_peer(p) for p in c.peers()], [m.unit_name for m in c.malformed_units()]),
    )

    assert answers == (
        [
            peer(1, without=("cluster-password",)),
            peer(2, without=("unit-configure-ready",)),
            peer(3),
        ],
        [name(1), name(2)],
    )


def test_malformed_units_is_empty_when_every_peer_is_good_and_without_the_relation():
    relation = cluster({1: databag(1), 2: databag(2, "joined")})

    assert ask(state(relation), InnodbClusterPeers.malformed_units) == []
    assert ask(testing.State(), InnodbClusterPeers.malformed_units) == []


def test_a_malformed_value_this_unit_sent_reads_none_in_published():
    local = databag(0, changes={"cluster-address": '"bad host"', "unit-clustered": '"yes"'})
    relation = cluster({}, local=local)

    sent = ask(state(relation), InnodbClusterPeers.published)

    assert sent is not None
    assert (sent.cluster_address, sent.cluster_user, sent.configure_ready, sent.clustered) == (
        None,
        USER,
        True,
        False,
    )


# --- 11. Strict setters and secrets --------------------------------------------------------

GOOD_ARGS: dict[str, Any] = {
    "cluster_address": "10.5.0.7",
    "cluster_user": USER,
    "cluster_password": PASSWORD,
}

REFUSED: list[Any] = [
    pytest.param({"cluster_address": "10.5.0.256"}, "cluster_address", id="address-bad-ipv4"),
    pytest.param({"cluster_address": "10.5.0"}, "cluster_address", id="address-short-ipv4"),
    pytest.param({"cluster_address": "fe80::1%eth0"}, "cluster_address", id="address-zone"),
    pytest.param({"cluster_address": "fd00:::1"}, "cluster_address", id="address-bad-ipv6"),
    pytest.param({"cluster_address": "[fd00::1]"}, "cluster_address", id="address-brackets"),
    pytest.param({"cluster_address": "mysql 0"}, "cluster_address", id="address-space"),
    pytest.param({"cluster_address": "$(reboot)"}, "cluster_address", id="address-shell"),
    pytest.param({"cluster_address": LONG_HOST}, "cluster_address", id="address-too-long"),
    pytest.param({"cluster_address": "10.5.0.7\n"}, "cluster_address", id="address-newline"),
    pytest.param({"cluster_address": "a\ud800b"}, "cluster_address", id="address-surrogate"),
    pytest.param({"cluster_address": ""}, "cluster_address", id="address-empty"),
    pytest.param({"cluster_address": None}, "cluster_address", id="address-none"),
    pytest.param({"cluster_address": 10}, "cluster_address", id="address-int"),
    pytest.param({"cluster_address": b"10.5.0.7"}, "cluster_address", id="address-bytes"),
    pytest.param({"cluster_user": ""}, "cluster_user", id="user-empty"),
    pytest.param({"cluster_user": "u" * 33}, "cluster_user", id="user-too-long"),
    pytest.param({"cluster_user": "user\x00"}, "cluster_user", id="user-nul"),
    pytest.param({"cluster_user": "user\nforged"}, "cluster_user", id="user-newline"),
    pytest.param({"cluster_user": "user\x85"}, "cluster_user", id="user-c1-control"),
    pytest.param({"cluster_user": "us\ud800er"}, "cluster_user", id="user-surrogate"),
    pytest.param({"cluster_user": None}, "cluster_user", id="user-none"),
    pytest.param({"cluster_user": 1}, "cluster_user", id="user-int"),
    pytest.param({"cluster_user": b"clusteruser"}, "cluster_user", id="user-bytes"),
    pytest.param({"cluster_password": ""}, "cluster_password", id="password-empty"),
    pytest.param({"cluster_password": "p" * 1025}, "cluster_password", id="password-too-long"),
    pytest.param({"cluster_password": "pass\nword"}, "cluster_password", id="password-newline"),
    pytest.param({"cluster_password": "pass\x7fword"}, "cluster_password", id="password-del"),
    pytest.param({"cluster_password": "pass\ud800word"}, "cluster_password", id="password-sur"),
    pytest.param({"cluster_password": None}, "cluster_password", id="password-none"),
    pytest.param({"cluster_password": 123456}, "cluster_password", id="password-int"),
    pytest.param({"cluster_password": b"password"}, "cluster_password", id="password-bytes"),
    pytest.param({"cluster_password": ["password"]}, "cluster_password", id="password-list"),
    pytest.param({"cluster_host": ""}, "cluster_host", id="host-empty"),
    pytest.param({"cluster_host": "bad host"}, "cluster_host", id="host-space"),
    pytest.param({"cluster_host": "fe80::1%eth0"}, "cluster_host", id="host-zone"),
    pytest.param({"cluster_host": 1234}, "cluster_host", id="host-int"),
]


def refuse(call: Callable[[InnodbClusterPeers], object], field: str) -> ValueError:
    """Make `call` in a hook after good calls; check that it raised and changed nothing."""
    relation = cluster({1: databag(1), 2: databag(2)})
    earlier = act(state(relation), send("10.5.0.9", "olduser", "old-password"))
    before = local_data(earlier, relation)
    ctx = context()

    with ctx(ctx.on.update_status(), earlier) as mgr:
        with pytest.raises(ValueError, match=f"^{re.escape(field)}: ") as caught:
            call(mgr.charm.cluster)
        sent = mgr.charm.cluster.published()
        out = mgr.run()
        seen = mgr.charm.seen

    assert local_data(out, relation) == before
    assert sent is not None
    assert (sent.cluster_address, sent.cluster_user) == ("10.5.0.9", "olduser")
    assert seen == []
    error = caught.value
    # A new ValueError, chained to nothing: pydantic's errors hold the input values.
    assert type(error) is ValueError
    assert error.__cause__ is None
    assert error.__context__ is None
    assert len(str(error)) < 300
    for text in (str(error), repr(error), *map(str, error.args)):
        assert PASSWORD not in text
    return error


@pytest.mark.parametrize(("changes", "field"), REFUSED)
def test_a_bad_argument_raises_value_error_naming_it_and_writes_nothing(
    changes: dict[str, Any], field: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)

    error = refuse(
        lambda c: c.set_cluster_connection_info(**{**GOOD_ARGS, **changes}),  # pyright: ignore[reportArgumentType]
        field,
    )

    value = changes[field]
    if isinstance(value, str) and len(value) > 3:  # shorter ones may be part of any message
        assert value not in str(error)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "must not be empty"),
        ("p" * 1025, "is longer than 1024 characters"),
        ("a password\twith a tab", "must not hold control characters"),
        ("a password \udc80", "is not valid Unicode text"),
    ],
)
def test_a_refused_password_is_in_no_message_log_line_or_chained_exception(
    password: str, problem: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    ctx = context()

    with ctx(ctx.on.update_status(), state(cluster({}))) as mgr:
        with pytest.raises(ValueError, match=r"^cluster_password: ") as caught:
            mgr.charm.cluster.set_cluster_connection_info("10.5.0.7", USER, password)
        mgr.run()

    assert str(caught.value) == f"cluster_password: {problem}"
    for each in chained(caught.value):
        assert password not in str(each) or not password
        assert password not in repr(each.args) or not password
    if password:
        assert password not in caplog.text
        assert all(password not in line.message for line in ctx.juju_log)


@pytest.mark.parametrize(
    ("changes", "written"),
    [
        pytest.param({"cluster_address": "mysql-0.maas"}, ("cluster-address", "mysql-0.maas")),
        pytest.param({"cluster_address": "mysql-0."}, ("cluster-address", "mysql-0.")),
        pytest.param({"cluster_address": "MYSQL-0"}, ("cluster-address", "MYSQL-0")),
        pytest.param({"cluster_address": "fd00::7"}, ("cluster-address", "fd00::7")),
        pytest.param({"cluster_address": LONG_HOST[:-1]}, ("cluster-address", LONG_HOST[:-1])),
        pytest.param({"cluster_user": "u" * 32}, ("cluster-user", "u" * 32)),
        pytest.param({"cluster_user": "user name"}, ("cluster-user", "user name")),
        pytest.param({"cluster_password": "p" * 1024}, ("cluster-password", "p" * 1024)),
        pytest.param({"cluster_password": "x"}, ("cluster-password", "x")),
        pytest.param({"cluster_password": "'\"\\ {}€"}, ("cluster-password", "'\"\\ {}€")),
    ],
)
def test_good_values_up_to_the_limits_are_written_as_json(
    changes: dict[str, str], written: tuple[str, str]
):
    relation = cluster({})

    out = act(state(relation), lambda c: c.set_cluster_connection_info(**{**GOOD_ARGS, **changes}))

    key, value = written
    assert local_data(out, relation)[key] == json.dumps(value)


def test_a_bad_argument_raises_even_before_the_relation_exists():
    ctx = context()
    with ctx(ctx.on.install(), testing.State()) as mgr:
        with pytest.raises(ValueError, match=r"^cluster_user: must not be empty$"):
            mgr.charm.cluster.set_cluster_connection_info("10.5.0.7", "", PASSWORD)
        mgr.run()


def test_writes_without_the_peer_relation_log_a_warning_and_write_nothing(
    caplog: pytest.LogCaptureFixture,
):
    ctx = context()

    with ctx(ctx.on.install(), testing.State()) as mgr:
        mgr.charm.cluster.set_cluster_connection_info("10.5.0.7", USER, PASSWORD)
        mgr.charm.cluster.set_unit_configure_ready()
        mgr.charm.cluster.set_unit_clustered()
        mgr.charm.cluster.withdraw_cluster_credentials()
        out = mgr.run()

    assert out.relations == frozenset()
    warnings = library_warnings(caplog)
    assert warnings == [
        f"{method}: no mysql-innodb-cluster peer relation yet (or any more)"
        for method in (
            "set_cluster_connection_info",
            "set_unit_configure_ready",
            "set_unit_clustered",
            "withdraw_cluster_credentials",
        )
    ]
    assert all(PASSWORD not in line for line in warnings)


def test_no_repr_str_or_log_line_shows_a_password(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    relation = cluster({1: databag(1), 2: databag(2)})
    session = Session(context(WatchingCharm), state(relation))
    session.peer_changed(1)
    session.state = act(session.state, send("10.5.0.7", USER, PASSWORD))
    ctx = session.ctx

    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.run()
        library = mgr.charm.cluster
        read = library.read()
        units = library.all_joined_units
        shown: list[object] = [
            read,
            *read.peers,
            read.credentials,
            *read.credentials,
            read.members,
            library.peers(),
            units,
            *units,
            *(unit.received for unit in units),
            library.published(),
        ]
        received = [unit.received["cluster-password"] for unit in units]
        credentials = [c.cluster_password.get_secret_value() for c in read.credentials]

    for item in shown:
        for text in (repr(item), str(item)):
            assert PEER_PASSWORD not in text
            assert PASSWORD not in text
    for secret in (PEER_PASSWORD, PASSWORD):
        assert secret not in caplog.text
        assert all(secret not in line.message for line in ctx.juju_log)
    # The passwords are there for the charm that asks for them.
    assert received == credentials == [PEER_PASSWORD, PEER_PASSWORD]


# --- 12. Queries ---------------------------------------------------------------------------


def test_read_answers_every_peer_typed_and_the_legacy_states():
    relation = cluster({1: databag(1), 2: databag(2, "credentials"), 3: databag(3, "joined")})

    result = ask(state(relation), InnodbClusterPeers.read)

    assert isinstance(result, ClusterView)
    assert [as_peer(p) for p in result.peers] == [
        peer(1),
        peer(2, "credentials"),
        peer(3, "joined"),
    ]
    assert (result.available, result.clustered) == (False, False)
    # Before the cluster is available, the peers that sent their credentials.
    assert [as_member(m) for m in result.members] == [member(1), member(2)]
    assert [c.unit_name for c in result.credentials] == [name(1), name(2)]


def test_credentials_hold_the_passwords_and_members_do_not():
    relation = cluster({1: databag(1), 4: REACTIVE_UNIT_4})

    result = ask(state(relation), InnodbClusterPeers.read)

    assert result.available
    for credentials in result.credentials:
        assert None not in (
            credentials.unit_name,
            credentials.cluster_address,
            credentials.cluster_user,
            credentials.cluster_password,
        )
        assert isinstance(credentials.cluster_password, pydantic.SecretStr)
    assert [c.cluster_password.get_secret_value() for c in result.credentials] == [
        PEER_PASSWORD,
        'Yq"8\\wé',
    ]
    for each in result.members:
        assert "cluster_password" not in type(each).model_fields


def test_the_view_is_frozen():
    relation = cluster({1: databag(1), 2: databag(2)})

    result = ask(state(relation), InnodbClusterPeers.read)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.available = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.peers[0].cluster_address = "10.9.9.9"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.credentials[0].cluster_user = "root"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        result.members[0].cluster_user = "root"  # type: ignore[misc]


def test_a_hook_that_changes_nothing_does_not_rewrite_the_stored_record(
    monkeypatch: pytest.MonkeyPatch,
):
    # The record holds an entry per peer: saving it again in every hook would cost what the
    # cluster's size costs.
    session = formed_session(peers=3)
    writes: list[object] = []
    original = ops.framework.StoredDict.__setitem__

    def counting_setitem(self: ops.framework.StoredDict, key: Any, value: Any) -> None:
        writes.append(key)
        original(self, key, value)

    monkeypatch.setattr(ops.framework.StoredDict, "__setitem__", counting_setitem)

    assert session.peer_changed(2) == []
    assert writes == []


@pytest.mark.parametrize(
    ("peers", "answers"),
    [
        pytest.param({}, (False, False, False), id="no-peer"),
        pytest.param({1: "clustered"}, (True, False, False), id="one-peer"),
        pytest.param({1: "joined", 2: "joined"}, (True, False, False), id="joined"),
        pytest.param({1: "credentials", 2: "clustered"}, (True, True, False), id="available"),
        pytest.param({1: "clustered", 2: "clustered"}, (True, True, True), id="clustered"),
    ],
)
def test_is_connected_is_available_and_is_clustered(
    peers: dict[int, ClusterStage], answers: tuple[bool, bool, bool]
):
    relation = cluster({n: databag(n, stage) for n, stage in peers.items()})

    asked = ask(
        state(relation),
        lambda c: (c.is_connected(), c.is_available(), c.is_clustered(), c.read()),
    )

    assert asked[:3] == answers
    assert (asked[3].available, asked[3].clustered) == answers[1:]


def test_all_joined_units_answer_the_seeds_example_loop():
    relation = cluster({1: databag(1), 2: databag(2, "credentials"), 3: databag(3, "joined")})

    def legacy_loop(library: InnodbClusterPeers) -> list[tuple[Any, ...]]:
        # The seed's example, as legacy charm code has it.
        found: list[tuple[Any, ...]] = []
        for unit in library.all_joined_units:
            found.append(
                (
                    unit.unit_name,
                    unit.received["cluster-address"],
                    unit.received["cluster-user"],
                    unit.received["cluster-password"],
                    unit.received["unit-configure-ready"],
                    unit.received["unit-clustered"],
                )
            )
        return found

    assert ask(state(relation), legacy_loop) == [
        (name(1), address(1), USER, PEER_PASSWORD, True, True),
        (name(2), address(2), USER, PEER_PASSWORD, None, None),
        (name(3), None, None, None, None, None),
    ]


def test_received_is_a_read_only_mapping_of_the_wire_keys_the_peer_sent():
    relation = cluster({1: databag(1, "credentials")})

    received = ask(state(relation), lambda c: c.all_joined_units[0].received)

    assert len(received) == 3
    assert list(received) == list(WIRE_KEYS[:3])
    assert received["ingress-address"] is None  # not a handshake key
    assert received["no-such-key"] is None
    assert not hasattr(received, "__setitem__")
    assert repr(received) == "<received values of a peer>"


def test_a_key_the_peer_never_sent_is_not_in_received_as_in_the_legacy_view():
    relation = cluster({1: databag(1, "credentials")})

    received = ask(state(relation), lambda c: c.all_joined_units[0].received)

    assert "cluster-address" in received
    assert "unit-clustered" not in received
    assert "no-such-key" not in received


def test_received_get_gives_the_default_for_a_key_never_sent_as_the_legacy_view_did():
    relation = cluster({1: databag(1, "credentials")})

    received = ask(state(relation), lambda c: c.all_joined_units[0].received)

    assert received.get("cluster-address", "default") == address(1)
    assert received.get("unit-clustered", False) is False


def test_published_answers_what_this_unit_sends_across_hooks():
    relation = cluster({})
    answers: list[ClusterConnection | None] = []

    def note(library: InnodbClusterPeers) -> None:
        answers.append(library.published())

    out = act(state(relation), note)
    out = act(out, send("10.5.0.7", USER, PASSWORD))
    out = act(out, note)
    out = act(out, InnodbClusterPeers.set_unit_configure_ready)
    out = act(out, InnodbClusterPeers.set_unit_clustered)
    out = act(out, note)
    out = act(out, InnodbClusterPeers.withdraw_cluster_credentials)
    act(out, note)

    def plain(sent: ClusterConnection | None) -> tuple[Any, ...] | None:
        if sent is None:
            return None
        password = sent.cluster_password
        return (
            sent.cluster_address,
            sent.cluster_user,
            None if password is None else password.get_secret_value(),
            sent.configure_ready,
            sent.clustered,
        )

    assert [plain(sent) for sent in answers] == [
        None,
        ("10.5.0.7", USER, PASSWORD, False, False),
        ("10.5.0.7", USER, PASSWORD, True, True),
        ("10.5.0.7", None, None, True, True),
    ]
    assert ask(testing.State(), InnodbClusterPeers.published) is None


def test_relation_is_the_peer_relation_and_none_without_it():
    relation = cluster({1: databag(1)})

    assert ask(state(relation), lambda c: None if c.relation is None else c.relation.id) == (
        relation.id
    )
    assert ask(testing.State(), lambda c: c.relation) is None


def test_without_the_peer_relation_every_query_answers_nothing():
    answers = ask(testing.State(), lambda c: (view(c), c.read(), c.published()))

    assert answers[0] == (False, False, False, (), (), (), (), (), None)
    assert answers[1] == ClusterView()
    assert answers[2] is None


def test_a_custom_endpoint_name_is_used():
    meta = {"name": APP, "peers": {"db-cluster": {"interface": "mysql-innodb-cluster"}}}

    class Charm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.cluster = InnodbClusterPeers(self, "db-cluster")

    relation = cluster_relation_for_testing("db-cluster")
    ctx = testing.Context(Charm, meta=meta)
    event = ctx.on.relation_changed(relation, remote_unit=1)
    with ctx(event, testing.State(relations=[relation])) as mgr:
        mgr.run()
        answers = (mgr.charm.cluster.is_clustered(), mgr.charm.cluster.relation)

    assert answers[0] is True
    assert answers[1] is not None
    assert answers[1].name == "db-cluster"


@pytest.mark.parametrize("still_listed", [False, True])
def test_during_departure_every_query_already_leaves_out_the_departing_peer(still_listed: bool):
    relation = cluster({1: databag(1), 2: databag(2), 3: databag(3)})
    session = Session(context(WatchingCharm), state(relation))
    session.peer_changed(1)
    # What unit 2 leaves behind would make the cluster unavailable, were it still counted.
    withdrawn = databag(2, changes={"cluster-user": None, "cluster-password": '"\\u0000"'})
    peers = {1: databag(1), 3: databag(3), **({2: withdrawn} if still_listed else {})}
    session.set_peers(peers)
    ctx = session.ctx

    event = ctx.on.relation_departed(session.peer_relation(), remote_unit=2, departing_unit=2)
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        seen = mgr.charm.seen

    rid = relation.id
    assert seen == [departed(rid, 2, address(2)), available(rid, member(1), member(3))]
    assert [kind for kind, _ in views] == [
        "ClusterPeerDeparted",
        "ClusterAvailable",
        "RelationDepartedEvent",
        "CollectStatusEvent",
    ]
    both = (name(1), name(3))
    for _, answered in views:
        assert answered == (True, True, True, both, both, both, both, (), rid)


@pytest.mark.parametrize(("unit", "relation_id", "departing"), DEPARTING_ENVIRONMENTS)
def test_the_departing_unit_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, departing: Any
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert cluster_library._departing_in_this_hook() == departing  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("still_listed", [False, True])
def test_during_departure_a_deferred_events_handler_sees_the_same_view(still_listed: bool):
    relation = cluster({1: databag(1), 2: databag(2), 3: databag(3)})
    session = Session(context(DeferringWatcherCharm), state(relation, defer="x"))
    session.peer_changed(1)
    assert len(session.state.deferred) == 1
    session.set_config(defer="")
    session.set_peers({1: databag(1), 3: databag(3), **({2: databag(2)} if still_listed else {})})
    ctx = session.ctx

    event = ctx.on.relation_departed(session.peer_relation(), remote_unit=2, departing_unit=2)
    with ctx(event, session.state) as mgr:
        mgr.run()
        peer_names = mgr.charm.peer_names

    # The deferred `available`, then the one the departure fires: one view of the peers.
    assert peer_names == [(name(1), name(3)), (name(1), name(3))]


def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, by the address it holds, each peer databag the library validates."""
    validated: list[str] = []
    original = ClusterPeerData.model_validate

    def counting(cls: type[ClusterPeerData], obj: Any, *args: Any, **kwargs: Any) -> Any:
        validated.append(str(obj.get("cluster-address")))
        return original(obj, *args, **kwargs)

    monkeypatch.setattr(ClusterPeerData, "model_validate", classmethod(counting))
    return validated


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, by unit name, each databag the library reads."""
    reads: list[str] = []
    read_databag = cluster_library._read_databag  # pyright: ignore[reportPrivateUsage]

    def counting(unit_name: str, data: Mapping[str, str]) -> Any:
        reads.append(unit_name)
        return read_databag(unit_name, data)

    monkeypatch.setattr(cluster_library, "_read_databag", counting)
    return reads


def test_each_peer_databag_is_validated_once_per_hook_however_many_queries(
    monkeypatch: pytest.MonkeyPatch,
):
    relation = cluster(
        {1: databag(1), 2: databag(2, changes={"cluster-user": '"bad\\u0000"'}), 3: databag(3)}
    )
    session = Session(context(WatchingCharm), state(relation))
    validated = count_validations(monkeypatch)
    reads = count_reads(monkeypatch)
    ctx = session.ctx

    with ctx(ctx.on.relation_changed(relation, remote_unit=2), session.state) as mgr:
        mgr.run()
        for _ in range(3):
            view(mgr.charm.cluster)
            mgr.charm.cluster.read()
            mgr.charm.cluster.malformed_units()
        assert len(mgr.charm.seen) == 5  # connected, peer_configure_ready x 3, clustered
        assert len(mgr.charm.views) == 1  # in collect-status

    assert sorted(reads) == [name(1), name(2), name(3)]
    # A databag with a bad field is validated a second time, without it.
    assert sorted(validated) == sorted([address(1), address(2), address(2), address(3)])


def test_a_new_hook_reads_the_databags_afresh(monkeypatch: pytest.MonkeyPatch):
    session = formed_session(2)
    reads = count_reads(monkeypatch)
    rid = session.relation_id

    assert session.peer_changed(1, databag(1, changes={"cluster-user": '"u2"'})) == [
        available(rid, member(1, user="u2"), member(2))
    ]
    assert session.update_status() == []
    assert session.peer_changed(1) == []

    # update-status reads nothing unless asked; each relation hook reads each peer once.
    assert sorted(reads) == sorted([name(1), name(2)] * 2)


# --- 13. The endpoint check ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        pytest.param(
            {"name": APP},
            "the charm has no endpoint 'cluster'; declare it in charmcraft.yaml under peers: "
            "with interface: mysql-innodb-cluster",
            id="missing",
        ),
        pytest.param(
            {"name": APP, "peers": {"cluster": {"interface": "mysql"}}},
            "endpoint 'cluster' has interface 'mysql'; declare it in charmcraft.yaml under "
            "peers: with interface: mysql-innodb-cluster",
            id="wrong-interface",
        ),
        pytest.param(
            {"name": APP, "requires": {"cluster": {"interface": "mysql-innodb-cluster"}}},
            "endpoint 'cluster' is a requires endpoint; declare it in charmcraft.yaml under "
            "peers: with interface: mysql-innodb-cluster",
            id="requires",
        ),
        pytest.param(
            {"name": APP, "provides": {"cluster": {"interface": "mysql-innodb-cluster"}}},
            "endpoint 'cluster' is a provides endpoint; declare it in charmcraft.yaml under "
            "peers: with interface: mysql-innodb-cluster",
            id="provides",
        ),
    ],
)
def test_the_constructor_refuses_an_endpoint_that_does_not_fit(
    meta: dict[str, Any], message: str, tmp_path: Path
):
    ctx = testing.Context(ClusterCharm, meta=meta, config=DEFER_CONFIG, charm_root=tmp_path)

    with pytest.raises(testing.errors.UncaughtCharmError) as caught:
        ctx.run(ctx.on.start(), testing.State())

    cause = caught.value.__cause__
    assert isinstance(cause, ValueError)
    assert str(cause) == message


# --- 14. Test helpers for charm authors ----------------------------------------------------


def test_cluster_databag_for_testing_at_each_stage():
    juju = {"ingress-address": "10.5.0.9", "private-address": "10.5.0.9"}
    juju["egress-subnets"] = "10.5.0.9/32"
    credentials = {
        "cluster-address": '"10.5.0.9"',
        "cluster-user": '"clusteruser"',
        "cluster-password": '"cluster-password-for-testing"',
    }

    assert cluster_databag_for_testing(2, "joined") == juju
    assert cluster_databag_for_testing(2, "credentials") == {**juju, **credentials}
    assert cluster_databag_for_testing(2, "configure-ready") == {
        **juju,
        **credentials,
        "unit-configure-ready": "true",
    }
    assert cluster_databag_for_testing(2) == {
        **juju,
        **credentials,
        "unit-configure-ready": "true",
        "unit-clustered": "true",
    }
    # The reactive leader never sends `unit-clustered`; before that stage it is like any unit.
    assert cluster_databag_for_testing(2, reactive_leader=True) == cluster_databag_for_testing(
        2, "configure-ready"
    )
    for stage in STAGES[:3]:
        leader = cluster_databag_for_testing(2, stage, reactive_leader=True)
        assert leader == cluster_databag_for_testing(2, stage)


def test_cluster_databag_for_testing_gives_unit_n_the_address_7_plus_n():
    assert cluster_databag_for_testing(0)["cluster-address"] == '"10.5.0.7"'
    assert cluster_databag_for_testing(300)["private-address"] == "10.5.1.51"


@pytest.mark.parametrize("stage", ["ready", "", "Clustered"])
def test_cluster_databag_for_testing_refuses_an_unknown_stage(stage: str):
    with pytest.raises(ValueError, match=r"^stage must be one of ") as caught:
        cluster_databag_for_testing(1, stage)  # type: ignore[arg-type]

    assert str(caught.value) == (
        "stage must be one of joined, credentials, configure-ready, clustered"
    )


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("peers", [0, 1, 3])
def test_cluster_relation_for_testing_holds_its_peers_at_a_stage(stage: ClusterStage, peers: int):
    relation = cluster_relation_for_testing(peers=peers, stage=stage)

    assert isinstance(relation, testing.PeerRelation)
    assert (relation.endpoint, relation.interface) == ("cluster", "mysql-innodb-cluster")
    assert dict(relation.peers_data) == {
        n: cluster_databag_for_testing(n, stage) for n in range(1, peers + 1)
    }
    assert dict(relation.local_unit_data) == cluster_databag_for_testing(0, "joined")
    session = Session(context(), state(relation))
    seen = session.upgraded()
    rid = relation.id
    reached = STAGES.index(stage)
    numbers = range(1, peers + 1)
    expected: list[Seen] = [connected(rid)] if peers else []
    if peers >= 2 and reached >= 1:
        expected.append(available(rid, *(member(n) for n in numbers)))
    if reached >= 2:
        expected.extend(configure_ready(rid, n) for n in numbers)
    if peers >= 2 and reached >= 3:
        expected.append(clustered(rid))
    assert seen == expected


def test_cluster_relation_for_testing_takes_the_local_stage_and_the_reactive_leader():
    relation = cluster_relation_for_testing(
        "db", peers=3, stage="clustered", local_stage="configure-ready", reactive_leader=3
    )

    assert relation.endpoint == "db"
    assert dict(relation.local_unit_data) == cluster_databag_for_testing(0, "configure-ready")
    assert dict(relation.peers_data) == {
        1: cluster_databag_for_testing(1),
        2: cluster_databag_for_testing(2),
        3: cluster_databag_for_testing(3, "configure-ready"),
    }


@pytest.mark.parametrize("unit_id", [0, 2])
def test_cluster_network_for_testing_binds_the_unit_to_its_helper_address(unit_id: int):
    # ops.testing binds every unit to 192.0.2.0; with this network a unit that publishes its
    # bind address writes the address its helper databag holds, so a republish changes nothing.
    relation = cluster_relation_for_testing(peers=2, local_stage="clustered", unit_id=unit_id)
    network = cluster_network_for_testing(unit_id)
    address = cluster_databag_for_testing(unit_id)["private-address"]
    ctx = context(unit_id=unit_id)
    start = testing.State(relations=[relation], networks={network})

    with ctx(ctx.on.update_status(), start) as mgr:
        mgr.charm.cluster.set_cluster_connection_info(address, USER, PASSWORD)
        out = mgr.run()

    written = out.get_relation(relation.id).local_unit_data
    assert (written["ingress-address"], written["private-address"]) == (address, address)
    assert dict(written) == cluster_databag_for_testing(unit_id, "clustered") | {
        "cluster-user": json.dumps(USER),
        "cluster-password": json.dumps(PASSWORD),
    }
    assert network.binding_name == "cluster"
    assert cluster_network_for_testing(1, "db").binding_name == "db"


def test_the_unit_under_test_may_be_the_reactive_leader():
    relation = cluster_relation_for_testing(peers=2, local_stage="clustered", reactive_leader=0)

    assert dict(relation.local_unit_data) == cluster_databag_for_testing(0, "configure-ready")
    assert dict(relation.peers_data[1]) == cluster_databag_for_testing(1)


@pytest.mark.parametrize("leader", [-1, 3])
def test_a_reactive_leader_that_is_no_unit_of_the_relation_is_refused(leader: int):
    with pytest.raises(ValueError, match="reactive_leader must be the number of a unit"):
        cluster_relation_for_testing(peers=2, reactive_leader=leader)


def test_the_unit_under_test_may_have_another_number_and_the_peers_the_lowest_others():
    relation = cluster_relation_for_testing(
        peers=2, local_stage="credentials", reactive_leader=0, unit_id=1
    )

    assert dict(relation.local_unit_data) == cluster_databag_for_testing(1, "credentials")
    assert dict(relation.peers_data) == {
        0: cluster_databag_for_testing(0, reactive_leader=True),
        2: cluster_databag_for_testing(2),
    }


def test_the_unit_under_test_can_be_the_departing_unit_with_the_helpers_relation():
    relation = cluster_relation_for_testing(peers=2, local_stage="clustered", unit_id=3)
    session = Session(context(DepartingCharm, unit_id=3), state(relation))
    rid = relation.id
    assert session.upgraded() == formed(rid, 0, 1)

    assert session.peer_departed(0, departing=3) == leaving(rid)
    assert "cluster-password" not in local_data(session.state, relation)


def test_the_leader_settings_keys_put_dashes_for_the_dots_as_the_reactive_charm_did():
    assert cluster_instance_clustered_key("10.5.0.7") == "cluster-instance-clustered-10-5-0-7"
    assert cluster_instance_configured_key("10.5.0.7") == "cluster-instance-configured-10-5-0-7"
    assert (
        cluster_instance_clustered_key("mysql-0.maas") == "cluster-instance-clustered-mysql-0-maas"
    )
    assert cluster_instance_configured_key("fd00::7") == "cluster-instance-configured-fd00::7"
