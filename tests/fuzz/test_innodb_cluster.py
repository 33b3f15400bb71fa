"""Fuzzing `charms.innodb_cluster.v0.innodb_cluster`: hostile peer databags, any setter input.

This module registers the `mysql-innodb-cluster` peer interface with the generic properties
(`remote_data.py`, `setters.py`): the value strategies of its five wire keys, its event pairs
and queries, and its setters. The remote-data machine gives the role a peer relation: one,
made once, whose remote units are the charm's own units from 1 up. Every password a peer
sends carries a secret token, so that one reaching a log, an exception, a repr, the stored
state or a deferred event is found.

The machine is the generic one, extended with what its pairs cannot say:

- `available` announces the members and their passwords (as a digest, so that no password is
  kept or printed here): it fires again when only a password changes, and never for the same
  ones;
- `peer_configure_ready` names a joined peer that `read()` shows configure-ready with that
  address, never twice in a row for the same address unless the peer departed or stopped
  being ready in between; at the end of each hook every ready peer has been announced with
  its current address;
- `peer_departed` names exactly the peers joined before the hook and gone now, each with the
  last valid address it sent, which the machine tracks from the databags it generated; and,
  with `moved`, each peer still joined whose last valid address is no longer the one
  `peer_configure_ready` announced, with that address; none in relation-broken, nor on the
  unit that is leaving (the generic `this_unit_leaves` rule), where the peers stay in the
  cluster;
- every address `peer_configure_ready` announced is named again by `peer_departed` when it
  stops being that peer's last valid address (it moved, or departed): at the end of each hook
  each address announced and not named since is still its peer's;
- the fresh events of one hook come in the docstring's order;
- at the end of each hook `read()`, `all_joined_units` and `malformed_units()` are what an
  independent reading of the databags finds.

The generic machine checks the rest: that the leaving unit announces no start and ends every
state in its first departure, and that no password reaches the unit's state.

It adds one property of its own: each setter, given any input, either writes exactly the
legacy bytes (`json.dumps` of each value; the address keys raw), or raises `ValueError` naming
each bad field and never the password, and writes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ops
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule
from ops import testing

from charms.innodb_cluster.v0.innodb_cluster import (
    ClusterAvailable,
    ClusterCredentials,
    ClusterMember,
    ClusterPeer,
    ClusterPeerConfigureReady,
    ClusterPeerDeparted,
    ClusterView,
    InnodbClusterPeers,
)
from tests.fuzz.harness import (
    FUZZ_CONFIG,
    TALLY,
    EventPair,
    EventQueryDisagreementError,
    FuzzCharm,
    LeavingUnitError,
    Recording,
    RemoteDataTarget,
    RepeatedEventError,
    SecretLeakError,
    Seen,
    Setter,
    SetterMisbehavedError,
    SetterTarget,
    endpoint_relation,
    exception_texts,
    fuzz_charm,
    fuzz_context,
    known_defects_test,
    release_finished_hooks,
    remote_units,
    short,
)
from tests.fuzz.hostile import (
    SECRETS,
    as_json,
    databags,
    half_right,
    hostile_text,
    secret_text,
    secret_tokens,
)
from tests.fuzz.remote_data import RemoteDataMachine, remote_data_test
from tests.fuzz.setters import setter_test
from tests.fuzz.wire import host_name

KNOWN_DEFECTS: dict[str, str] = {}
"""Defects of the current LIBPATCH, left to the next one, by name: what goes wrong.

A variant below that reaches one names it in `known_defects` and runs only in `make fuzz`;
a variant that steers around one names it in `steers_around`. LIBPATCH 3 has none known."""

ENDPOINT = "cluster"
PEERS_META = {"peers": {ENDPOINT: {"interface": "mysql-innodb-cluster"}}}
MINIMUM_PEERS = 2
"""Peers that `available` and `clustered` need: the default cluster size, 3, counts this unit."""

ADDRESS_KEY = "cluster-address"
USER_KEY = "cluster-user"
PASSWORD_KEY = "cluster-password"
CONFIGURE_READY_KEY = "unit-configure-ready"
CLUSTERED_KEY = "unit-clustered"
ADDRESS_KEYS = ("ingress-address", "private-address")
LONGEST_USER = 32
LONGEST_PASSWORD = 1024

# --- Right values of each key --------------------------------------------------------------

HOST_NAMES = ("mysql-1.example.com", "mysql-innodb-cluster-2", "localhost", "db.internal.")
hosts = st.one_of(
    st.sampled_from(("10.5.0.7", "10.5.0.8", "fd00::7", *HOST_NAMES)),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)
printable = st.characters(exclude_categories=("Cc", "Cs"))
"""Characters a user or a password may hold: no control character, no lone surrogate."""
users = st.one_of(
    st.sampled_from(("clusteruser", "root", "mysql.session")),
    st.text(printable, min_size=1, max_size=LONGEST_USER),
)
flags = st.sampled_from((True, True, False))

RECURRING_TOKENS = ("SECRETsamePassword000001", "SECRETsamePassword000002")
"""Tokens of passwords a peer may send again: then `available` must not fire again."""

# Each strategy is built once, here: one built in every draw costs hypothesis a validation.


def remembered(token: str) -> str:
    """A recurring token, registered as a secret for the current example."""
    SECRETS.add(token)
    return token


tokens = st.one_of(secret_tokens(), st.sampled_from(RECURRING_TOKENS).map(remembered))
around_a_token = st.text(printable, max_size=8)


@st.composite
def secret_passwords(draw: st.DrawFn) -> str:
    """A valid password around a secret token, now and then exactly as long as allowed."""
    password = draw(around_a_token) + draw(tokens) + draw(around_a_token)
    if draw(st.integers(0, 7)) == 0:
        password = password.ljust(LONGEST_PASSWORD, "p")
    return password


def on_the_wire(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Values as a peer sends them: JSON, the legacy bytes, or raw (read with a fallback)."""
    return st.one_of(as_json(values), values.map(str))


malformed_secrets = secret_text()
passwords_on_the_wire = on_the_wire(secret_passwords())
spoiled_passwords = half_right(passwords_on_the_wire)


@st.composite
def password_values(draw: st.DrawFn) -> str:
    """A `cluster-password` value: right, spoiled or hostile, and malformed secrets too."""
    if draw(st.integers(0, 3)) == 0:
        return draw(malformed_secrets)  # quoted PEMs, NULs, lone surrogates, megabytes
    return draw(spoiled_passwords)


CLUSTER_KEYS = {
    ADDRESS_KEY: half_right(on_the_wire(hosts)),
    USER_KEY: half_right(on_the_wire(users)),
    PASSWORD_KEY: password_values(),
    CONFIGURE_READY_KEY: half_right(as_json(flags)),
    CLUSTERED_KEY: half_right(as_json(flags)),
}
"""Each wire key's values, for databags that mix right, spoiled and hostile ones."""

STAGES = ("joined", "credentials", "configure-ready", "clustered", "withdrawn")
"""How far a peer has gone in the handshake; `withdrawn` is a departing peer's databag, which
keeps its address and flags."""
any_stage = st.sampled_from(STAGES)
cluster_stage = st.shared(
    st.sampled_from(("credentials", "configure-ready", *["clustered"] * 3)),
    key="innodb-cluster stage",
)
"""How far the cluster has gone, one stage per example: `available` and `clustered` need
every peer there, which peers at independent stages rarely are."""


def recurring(values: st.SearchStrategy[Any], name: str) -> st.SearchStrategy[Any]:
    """One of two values drawn once per example: peers send them again and again, so that
    often only a password changes (which `available` must announce) or nothing does."""
    return st.one_of([st.shared(values, key=f"innodb-cluster {name} {i}") for i in range(2)])


recurring_addresses = recurring(hosts, "address")


@st.composite
def cluster_addresses(draw: st.DrawFn) -> str:
    """Mostly an address that recurs in the example, now and then a fresh one."""
    return draw(hosts if draw(st.integers(0, 3)) == 0 else recurring_addresses)


addresses_on_the_wire = on_the_wire(cluster_addresses())
users_on_the_wire = on_the_wire(recurring(users, "user"))


@st.composite
def handshake_databags(draw: st.DrawFn) -> dict[str, str]:
    """A peer's databag at a stage of the handshake, mostly the cluster's; every value right
    (mostly JSON), and the address and user mostly ones that recur."""
    stage = draw(cluster_stage if draw(st.integers(0, 3)) else any_stage)
    databag = {
        "egress-subnets": "10.5.0.9/32",
        "ingress-address": "10.5.0.9",
        "private-address": "10.5.0.9",
    }
    if stage == "joined":
        return databag
    databag[ADDRESS_KEY] = draw(addresses_on_the_wire)
    if stage != "withdrawn":
        databag[USER_KEY] = draw(users_on_the_wire)
        databag[PASSWORD_KEY] = draw(passwords_on_the_wire)
    if stage != "credentials":
        databag[CONFIGURE_READY_KEY] = "true"
    if stage in ("clustered", "withdrawn"):
        databag[CLUSTERED_KEY] = "true"
    return databag


handshakes = handshake_databags()
mixed_databags = databags(CLUSTER_KEYS)


@st.composite
def peer_databags(draw: st.DrawFn) -> dict[str, str]:
    """Mostly a peer at a stage of the handshake, so that `available` and `clustered` come
    often; else any mix of right, spoiled and hostile values of the five keys."""
    return draw(handshakes if draw(st.integers(0, 3)) else mixed_databags)


# --- An independent reading of a peer's databag --------------------------------------------
# What the library's docstring promises, written apart from the library: the machine compares
# the library's answers with it.

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL, which no user or password may hold."""


def received_value(raw: str | None) -> Any:
    """A wire value as the legacy `received` view decoded it: JSON, else the text itself."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw


def is_text(value: object, longest: int) -> bool:
    """Whether a value is a user or a password: 1 to `longest` printable characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= longest or CONTROL.search(value):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


VALID = {
    ADDRESS_KEY: lambda value: host_name(value) is not None,
    USER_KEY: lambda value: is_text(value, LONGEST_USER),
    PASSWORD_KEY: lambda value: is_text(value, LONGEST_PASSWORD),
    CONFIGURE_READY_KEY: lambda value: isinstance(value, bool),
    CLUSTERED_KEY: lambda value: isinstance(value, bool),
}
"""Whether a decoded value of each wire key counts; JSON null counts as absent."""


@dataclasses.dataclass(frozen=True)
class ExpectedPeer:
    """What one peer's databag should count as: its valid values, and its malformed keys."""

    unit_name: str
    received: dict[str, Any]
    malformed: frozenset[str]

    @property
    def has_credentials(self) -> bool:
        return all(key in self.received for key in (ADDRESS_KEY, USER_KEY, PASSWORD_KEY))

    def flag(self, key: str) -> bool:
        return self.received.get(key) is True

    def fields(self) -> dict[str, Any]:
        """The values `read()` should show for the peer, by `ClusterPeer` field."""
        return {
            "cluster_address": self.received.get(ADDRESS_KEY),
            "cluster_user": self.received.get(USER_KEY),
            "cluster_password": self.received.get(PASSWORD_KEY),
            "configure_ready": self.flag(CONFIGURE_READY_KEY),
            "clustered": self.flag(CLUSTERED_KEY),
        }


def expected_peer(unit_name: str, databag: Mapping[str, str]) -> ExpectedPeer:
    """Read one peer's databag as the docstring says, apart from the library."""
    received: dict[str, Any] = {}
    malformed: set[str] = set()
    for key, valid in VALID.items():
        value = received_value(databag.get(key))
        if value is None:
            continue
        if valid(value):
            received[key] = value
        else:
            malformed.add(key)
    return ExpectedPeer(unit_name, received, frozenset(malformed))


def found_fields(peer: ClusterPeer) -> dict[str, Any]:
    """The values `read()` shows for a peer, the password as plain text."""
    password = peer.cluster_password
    return {
        "cluster_address": peer.cluster_address,
        "cluster_user": peer.cluster_user,
        "cluster_password": None if password is None else password.get_secret_value(),
        "configure_ready": peer.configure_ready,
        "clustered": peer.clustered,
    }


def unit_number(unit_name: str) -> int:
    return int(unit_name.rpartition("/")[2])


# --- The role: every unit reads its peers' databags ----------------------------------------


def members_of(members: Iterable[ClusterMember]) -> tuple[tuple[str, str, str], ...]:
    """Members as comparable plain values: unit name, address, user."""
    return tuple((m.unit_name, m.cluster_address, m.cluster_user) for m in members)


def password_digest(credentials: Iterable[ClusterCredentials]) -> str:
    """One digest of each peer's name and password, so that neither payload nor report holds
    a password."""
    digest = hashlib.sha256()
    for peer in credentials:
        for text in (peer.unit_name, peer.cluster_password.get_secret_value()):
            encoded = text.encode("utf-8", "surrogatepass")
            digest.update(b"%d:" % len(encoded) + encoded)
    return digest.hexdigest()


def current_credentials(cluster: InnodbClusterPeers) -> tuple[Any, str]:
    """What `available` would announce now: the members, and a digest of their passwords."""
    view = cluster.read()
    return members_of(view.members), password_digest(view.credentials)


def received_by_unit(cluster: InnodbClusterPeers) -> list[tuple[str, dict[str, Any]]]:
    """`all_joined_units` as plain values: each peer's name and `received` mapping."""
    return [(peer.unit_name, dict(peer.received)) for peer in cluster.all_joined_units]


def printed(cluster: InnodbClusterPeers) -> str:
    """What a charm that logs its view would print of it: every object's repr and str."""
    view = cluster.read()
    joined = cluster.all_joined_units
    objects: list[object] = [
        view,
        *view.peers,
        *view.credentials,
        *view.members,
        *joined,
        *(peer.received for peer in joined),
        *(peer.cluster_password for peer in view.peers),
    ]
    return "\n".join([*map(repr, objects), *map(str, objects)])


PEERS = RemoteDataTarget(
    name="innodb-cluster-peers",
    endpoint=ENDPOINT,
    metadata=PEERS_META,
    build=InnodbClusterPeers,
    pairs=(
        EventPair("connected", "disconnected", "is_connected"),
        # The payload, members and passwords, is recorded by `ClusterFuzzCharm`.
        EventPair("available", "unavailable", "is_available", current=current_credentials),
        EventPair("clustered", "unclustered", "is_clustered"),
    ),
    # Of no pair, per peer: the machine below checks them.
    unpaired=("peer_configure_ready", "peer_departed"),
    queries={
        "is_connected": InnodbClusterPeers.is_connected,
        "is_available": InnodbClusterPeers.is_available,
        "is_clustered": InnodbClusterPeers.is_clustered,
        "read": InnodbClusterPeers.read,
        "peers": InnodbClusterPeers.peers,
        "all_joined_units": received_by_unit,
        "malformed_units": InnodbClusterPeers.malformed_units,
        "published": InnodbClusterPeers.published,
        "printed": printed,
    },
    # Answers that hold the passwords by contract; the others, `printed` above all, the logs
    # and every exception must hold none.
    secret_queries=frozenset({"read", "peers", "all_joined_units"}),
    databags=peer_databags(),
)


class ClusterFuzzCharm(FuzzCharm):
    """The fuzz charm, recording what `available` and the per-peer events announce."""

    def _payload(self, event: ops.EventBase) -> Any:
        if isinstance(event, ClusterAvailable):
            # The passwords are not in the event, by design, but `available` announces them:
            # the ones `read()` shows in the handler, which a charm creates the users from.
            credentials = self.library.read().credentials
            return members_of(event.members), password_digest(credentials)
        if isinstance(event, ClusterPeerDeparted):
            return event.unit_name, event.cluster_address, event.moved
        if isinstance(event, ClusterPeerConfigureReady):
            return event.unit_name, event.cluster_address
        return super()._payload(event)


ORDER = (
    "peer_departed",
    "unclustered",
    "unavailable",
    "disconnected",
    "connected",
    "available",
    "peer_configure_ready",
    "clustered",
)
"""The order of one hook's events: the ends first, each per-peer kind in unit-number order."""
PER_PEER = ("peer_departed", "peer_configure_ready")


class ClusterPeersMachine(RemoteDataMachine):
    """The generic machine, also checking the per-peer events, the order and the reading."""

    def __init__(self) -> None:
        super().__init__()
        # The peers joined at the end of the last hook, and in the current one (with their
        # databags): the one departing is gone, and all are while the relation is broken.
        self.joined_before: set[str] = set()
        self.joined_now: dict[str, Mapping[str, str]] = {}
        # Whether the peers leave this unit's view but stay in the cluster in the current
        # hook, so that none of them departs: this unit is leaving, or the relation broken.
        self.peers_stay = False
        # Each peer's last valid address since the library's memory began (a refresh from
        # the reactive charm, or a new unit, wipes it): what `peer_departed` must carry.
        self.last_address: dict[str, str] = {}
        # The address `peer_configure_ready` announced for each peer still ready.
        self.ready_announced: dict[str, str] = {}
        # Each address `peer_configure_ready` announced that `peer_departed` has not named
        # since, by peer: the leader's instances.
        self.instances: dict[str, str] = {}

    def _forget_announcements(self) -> None:
        super()._forget_announcements()
        self.last_address = {}
        self.ready_announced = {}
        self.instances = {}

    @precondition(lambda self: any(remote_units(relation) for relation in self.relations))
    @rule(data=st.data())
    def refresh_the_peers(self, data: st.DataObject) -> None:
        """The application is refreshed unit by unit (`juju refresh`), from the reactive charm,
        say: each peer in turn rewrites its databag, and this unit hears relation-changed."""
        [relation] = self.relations
        for unit in sorted(remote_units(relation)):
            self._publish(relation, unit, data)

    def _run(self, event: Any, data: st.DataObject, step: str) -> None:
        self.joined_now = self._joined_in(event)
        self.peers_stay = self.leaving or event.name.endswith("_relation_broken")
        # Databags change only in relation hooks, in each of which the library reads them all.
        for name, databag in self.joined_now.items():
            address = expected_peer(name, databag).received.get(ADDRESS_KEY)
            if address is not None:
                self.last_address[name] = address
        super()._run(event, data, step)
        self.joined_before = set(self.joined_now)

    def _joined_in(self, hook: Any) -> dict[str, Mapping[str, str]]:
        # The leaving unit's view holds no peer, from its first departure on.
        if self.leaving or not self.relations or hook.name.endswith("_relation_broken"):
            return {}
        [relation] = self.relations  # a peer endpoint has one relation
        departing = getattr(hook, "relation_departed_unit_id", None)
        return {
            f"{self.ctx.app_name}/{number}": databag
            for number, databag in sorted(remote_units(relation).items())
            if number != departing
        }

    # --- Events --------------------------------------------------------------------------

    def _check_events(self, recording: Recording, reemitted: set[str]) -> None:
        fresh = [seen for seen in recording.events if seen.handle not in reemitted]
        self._check_order(fresh)
        departed: set[str] = set()
        for seen in fresh:
            if seen.name == "peer_departed":
                self._check_departed(seen, departed)
            elif seen.name == "peer_configure_ready":
                self._check_configure_ready(seen)
            else:
                self._note_reached(seen)
                self._check_event(seen)
        missing = self.joined_before - set(self.joined_now) - departed
        if missing and not self.peers_stay:
            raise EventQueryDisagreementError(
                self._failure(f"{sorted(missing)} left the relation without peer_departed")
            )

    def _check_order(self, fresh: list[Seen]) -> None:
        def position(seen: Seen) -> tuple[int, int]:
            number = unit_number(seen.payload[0]) if seen.name in PER_PEER else 0
            return ORDER.index(seen.name), number

        positions = [position(seen) for seen in fresh]
        if positions != sorted(positions):
            names = [
                f"{seen.name}({seen.payload[0]})" if seen.name in PER_PEER else seen.name
                for seen in fresh
            ]
            raise EventQueryDisagreementError(self._failure(f"events out of order: {names}"))

    def _check_departed(self, seen: Seen, departed: set[str]) -> None:
        unit, _, moved = seen.payload
        if self.peers_stay:
            raise EventQueryDisagreementError(
                self._failure(f"peer_departed of {unit} while the peers stay in the cluster")
            )
        if unit in departed:
            raise RepeatedEventError(self._failure(f"peer_departed of {unit} twice in a hook"))
        if moved:
            self._check_moved(seen)
        else:
            self._check_left(seen)
        departed.add(unit)
        self.instances.pop(unit, None)
        if not moved:
            self.ready_announced.pop(unit, None)
        event("peer_departed: moved" if moved else "peer_departed")

    def _check_left(self, seen: Seen) -> None:
        """A peer that left: joined before the hook, gone now, at its last valid address."""
        unit, address, _ = seen.payload
        if unit not in self.joined_before or unit in self.joined_now:
            raise EventQueryDisagreementError(
                self._failure(
                    f"peer_departed of {unit}, but the peers joined before the hook were "
                    f"{sorted(self.joined_before)} and are now {sorted(self.joined_now)}"
                )
            )
        view: ClusterView = seen.answers["read"]
        if unit in {peer.unit_name for peer in view.peers}:
            raise EventQueryDisagreementError(
                self._failure(f"in the peer_departed handler of {unit}, read() lists it")
            )
        sent = self.last_address.get(unit)
        if address != sent:
            raise EventQueryDisagreementError(
                self._failure(
                    f"peer_departed of {unit} carries the address {short(address)}, but the "
                    f"last valid one it sent is {short(sent)}"
                )
            )

    def _check_moved(self, seen: Seen) -> None:
        """A peer that moved: still joined, elsewhere than the address announced, named."""
        unit, address, _ = seen.payload
        view: ClusterView = seen.answers["read"]
        if unit not in self.joined_now or unit not in {peer.unit_name for peer in view.peers}:
            raise EventQueryDisagreementError(
                self._failure(f"peer_departed of {unit}, moved, which is not a joined peer")
            )
        announced = self.instances.get(unit)
        now = self.last_address.get(unit)
        if address != announced or address == now:
            raise EventQueryDisagreementError(
                self._failure(
                    f"peer_departed of {unit}, moved from {short(address)}, but "
                    f"peer_configure_ready announced {short(announced)} and its last valid "
                    f"address is {short(now)}"
                )
            )

    def _check_configure_ready(self, seen: Seen) -> None:
        unit, address = seen.payload
        if self.leaving:
            raise LeavingUnitError(self._failure(f"peer_configure_ready of {unit} while leaving"))
        view: ClusterView = seen.answers["read"]
        peer = next((peer for peer in view.peers if peer.unit_name == unit), None)
        if unit not in self.joined_now or peer is None:
            raise EventQueryDisagreementError(
                self._failure(f"peer_configure_ready of {unit}, which is not a joined peer")
            )
        if not peer.configure_ready or peer.cluster_address != address:
            raise EventQueryDisagreementError(
                self._failure(
                    f"peer_configure_ready of {unit} at {short(address)}, but read() shows it "
                    f"{'' if peer.configure_ready else 'not '}configure-ready at "
                    f"{short(peer.cluster_address)}"
                )
            )
        if self.ready_announced.get(unit) == address:
            raise RepeatedEventError(
                self._failure(f"peer_configure_ready of {unit} at {short(address)} again")
            )
        before = self.instances.get(unit, address)
        if before != address:
            raise EventQueryDisagreementError(
                self._failure(
                    f"peer_configure_ready of {unit} at {short(address)}, while "
                    f"{short(before)}, announced before, was never named by peer_departed"
                )
            )
        self.ready_announced[unit] = address
        self.instances[unit] = address
        event("peer_configure_ready")

    def _note_reached(self, seen: Seen) -> None:
        """Count the examples that reach `available` and `clustered`, and that announce the
        same members with other passwords (hypothesis shows these counts in its statistics)."""
        if seen.name == "clustered":
            event("clustered")
        if seen.name != "available":
            return
        before = self.announced["available"].get(seen.relation_id)
        if before is None:
            event("available")
        elif before[0] == seen.payload[0]:
            event("available again: only a password changed")
        else:
            event("available again: the members changed")

    # --- The end of each hook ------------------------------------------------------------

    def _check_final_answers(self, recording: Recording) -> None:
        super()._check_final_answers(recording)
        final = recording.final
        expected = [expected_peer(name, databag) for name, databag in self.joined_now.items()]
        self._check_view(final["read"], expected)
        self._check_legacy_view(final, expected)
        self._check_ready_announced(final["read"])
        self._check_instances()

    def _check_view(self, view: ClusterView, expected: list[ExpectedPeer]) -> None:
        names = [peer.unit_name for peer in view.peers]
        if names != [peer.unit_name for peer in expected]:
            raise EventQueryDisagreementError(
                self._failure(f"read() lists {names}, not the joined {sorted(self.joined_now)}")
            )
        for peer, wanted in zip(view.peers, expected, strict=True):
            found, fields = found_fields(peer), wanted.fields()
            differ = [field for field in fields if found[field] != fields[field]]
            if differ:
                # Only the fields' names: a password is never shown.
                raise EventQueryDisagreementError(
                    self._failure(
                        f"read() shows {peer.unit_name}'s {', '.join(differ)} other than its "
                        f"databag {short(sorted(self.joined_now[peer.unit_name]))} holds"
                    )
                )
        enough = len(expected) >= MINIMUM_PEERS
        states = (
            enough and all(peer.has_credentials for peer in expected),
            enough and all(peer.flag(CLUSTERED_KEY) for peer in expected),
            [peer.unit_name for peer in expected if peer.has_credentials],
        )
        found_states = (view.available, view.clustered, [c.unit_name for c in view.credentials])
        if found_states != states:
            raise EventQueryDisagreementError(
                self._failure(
                    f"read() answers available, clustered and the peers with credentials "
                    f"{found_states}, not {states}"
                )
            )

    def _check_legacy_view(self, final: Mapping[str, Any], expected: list[ExpectedPeer]) -> None:
        received: list[tuple[str, dict[str, Any]]] = final["all_joined_units"]
        wanted = [(peer.unit_name, peer.received) for peer in expected]
        if received != wanted:
            # The names of the units and keys that differ: the values may be passwords.
            differ = [
                (
                    name,
                    sorted(
                        key
                        for key in found.keys() | values.keys()
                        if found.get(key) != values.get(key)
                    ),
                )
                for (name, found), (_, values) in zip(received, wanted, strict=False)
            ]
            raise EventQueryDisagreementError(
                self._failure(f"all_joined_units differs from the databags: {differ}")
            )
        malformed = {unit.unit_name: set(unit.fields) for unit in final["malformed_units"]}
        wanted_malformed = {peer.unit_name: set(peer.malformed) for peer in expected}
        wanted_malformed = {name: keys for name, keys in wanted_malformed.items() if keys}
        if malformed != wanted_malformed:
            raise EventQueryDisagreementError(
                self._failure(
                    f"malformed_units() lists {malformed}, not the malformed keys "
                    f"{wanted_malformed}"
                )
            )

    def _check_ready_announced(self, view: ClusterView) -> None:
        ready = {
            peer.unit_name: peer.cluster_address
            for peer in view.peers
            if peer.configure_ready and peer.cluster_address is not None
        }
        for unit in set(self.ready_announced) - set(ready):
            del self.ready_announced[unit]  # it withdrew: it may be announced again
        if ready != self.ready_announced:
            raise EventQueryDisagreementError(
                self._failure(
                    f"the peers ready now are {short(ready)}, but peer_configure_ready "
                    f"announced {short(self.ready_announced)}"
                )
            )

    def _check_instances(self) -> None:
        """Every address announced and not named since is still its peer's last valid one."""
        if self.peers_stay:
            self.instances = {}  # the peers stay in the cluster, out of this unit's sight
            return
        for unit, address in self.instances.items():
            now = self.last_address.get(unit) if unit in self.joined_now else None
            if now != address:
                where = "departed" if unit not in self.joined_now else f"at {short(now)} now"
                raise EventQueryDisagreementError(
                    self._failure(
                        f"{unit}, announced at {short(address)} by peer_configure_ready, is "
                        f"{where}, and no peer_departed named that address"
                    )
                )


TestPeersRemoteData = remote_data_test(PEERS, ClusterPeersMachine, ClusterFuzzCharm)


# --- Setter input: invalid, or anything ----------------------------------------------------

FIELDS = ("cluster_address", "cluster_user", "cluster_password", "cluster_host")
"""The arguments of `set_cluster_connection_info`, as a refusal names them."""

BAD_HOSTS: tuple[Any, ...] = (
    "",
    " ",
    "bad host",
    "$(reboot)",
    "`id`",
    "a" * 300,
    "a" * 64 + ".example.com",
    "fe80::1%eth0",
    "[fd00::7]",
    "10.5.0.7:3306",
    "010.5.0.7",
    "1.2.3.4.",
    "-mysql",
    "mysql-",
    "a..b",
    "1.2.3",
    "256.0.0.1",
    "mysql_0",
    "mysql\n",
    "\x00",
    "\ud800",
    "mysq\u00e9",
    b"10.5.0.7",
    3,
    True,
    ["10.5.0.7"],
)
BAD_USERS: tuple[Any, ...] = (
    "",
    "u" * (LONGEST_USER + 1),
    "cluster\nuser",
    "\x00",
    "\x1b[31mred",
    "user\x7f",
    "us\x85er",
    "\ud800",
    None,
    3,
    True,
    b"clusteruser",
    ["clusteruser"],
)


# Each shape builds a password that must be refused from a secret token.
_BAD_PASSWORDS: tuple[Callable[[str], Any], ...] = (
    lambda _: "",
    lambda token: token.ljust(LONGEST_PASSWORD + 1, "p"),
    lambda token: token * (LONGEST_PASSWORD // len(token) + 1),
    lambda token: f"{token}\n",
    lambda token: f"\x00{token}",
    lambda token: f"{token}\t{token}",
    lambda token: f"{token}\x9f",
    lambda token: f"{token}\ud800",
    lambda token: token.encode(),
    lambda token: [token],
    lambda token: {"password": token},
    lambda _: None,
    lambda _: 3,
)


@st.composite
def bad_passwords(draw: st.DrawFn) -> Any:
    """A password argument that must be refused; each that could be printed holds a token."""
    return draw(st.sampled_from(_BAD_PASSWORDS))(draw(secret_tokens()))


bad_hosts = st.sampled_from(BAD_HOSTS)
bad_addresses = st.one_of(bad_hosts, st.none())
bad_users = st.sampled_from(BAD_USERS)
optional_hosts = st.one_of(st.none(), hosts)
valid_passwords = secret_passwords()


@st.composite
def bad_connection_info(draw: st.DrawFn) -> tuple[Any, ...]:
    """Address, user, password and cluster host of which at least one is bad."""
    bad = draw(st.sets(st.sampled_from(FIELDS), min_size=1))
    return (
        draw(bad_addresses if "cluster_address" in bad else hosts),
        draw(bad_users if "cluster_user" in bad else users),
        draw(bad_passwords() if "cluster_password" in bad else valid_passwords),
        draw(bad_hosts if "cluster_host" in bad else optional_hosts),
    )


valid_connection_info = st.tuples(hosts, users, valid_passwords, optional_hosts)
any_connection_info = st.tuples(
    st.one_of(hosts, hostile_text()),
    st.one_of(users, hostile_text()),
    st.one_of(valid_passwords, bad_passwords(), malformed_secrets),
    st.one_of(optional_hosts, hostile_text()),
)
"""Any text in each argument, right or hostile: the model below tells which it refuses."""

SETTERS = SetterTarget(
    name="innodb-cluster-peers",
    endpoint=ENDPOINT,
    metadata=PEERS_META,
    build=InnodbClusterPeers,
    setters=(
        Setter(
            "set_cluster_connection_info",
            call=lambda cluster, args: cluster.set_cluster_connection_info(*args),
            invalid=bad_connection_info(),
            valid=("10.5.0.7", "clusteruser", "a valid password", None),
        ),
    ),
)
"""The one setter that takes input; the property after it calls the others too."""

test_setters_refuse_invalid_input_with_value_error_and_change_nothing = setter_test(SETTERS)

# --- Any setter input writes exactly the legacy bytes, or nothing --------------------------
# An independent model of each setter, from the docstring: the JSON of each value, `true` for
# a flag, the address keys raw; or the bad fields, which the ValueError must name.

Changes = dict[str, str | None]
"""What a setter writes: each key's new value, or None where it removes the key."""

BIND_ADDRESS = "192.0.2.0"
"""This unit's bind address on the endpoint, as ops.testing's default network gives it."""


class RefusedError(Exception):
    """Input the docstring says the setter refuses with ValueError; its args: the bad fields."""


def bad_fields(address: Any, user: Any, password: Any, host: Any) -> list[str]:
    """The arguments of `set_cluster_connection_info` that break the docstring's rules."""
    valid = {
        "cluster_address": host_name(address) is not None,
        "cluster_user": is_text(user, LONGEST_USER),
        "cluster_password": is_text(password, LONGEST_PASSWORD),
        "cluster_host": host is None or host_name(host) is not None,
    }
    return [field for field in FIELDS if not valid[field]]


def expected_changes(setter: str, args: tuple[Any, ...], bind: str | None) -> Changes:
    """What the setter writes, given this unit's bind address; or `RefusedError`."""
    if setter == "set_unit_configure_ready":
        return {CONFIGURE_READY_KEY: json.dumps(True)}
    if setter == "set_unit_clustered":
        return {CLUSTERED_KEY: json.dumps(True)}
    if setter == "withdraw_cluster_credentials":
        return {USER_KEY: None, PASSWORD_KEY: None}
    bad = bad_fields(*args)
    if bad:
        raise RefusedError(*bad)
    address, user, password, host = args
    changes: Changes = {
        ADDRESS_KEY: json.dumps(address),
        USER_KEY: json.dumps(user),
        PASSWORD_KEY: json.dumps(password),
    }
    if host or bind:
        changes.update(dict.fromkeys(ADDRESS_KEYS, host or bind))
    return changes


def applied(databag: Mapping[str, str], changes: Changes) -> dict[str, str]:
    """The databag after the changes: each key set, or removed for None."""
    result = dict(databag)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def differing_keys(found: Mapping[str, str], expected: Mapping[str, str]) -> str:
    """The keys whose values differ, each with both values, but a password's."""
    shown = [
        f"{key}: {'(a password)' if key == PASSWORD_KEY else short(found.get(key), 100)} not "
        f"{'(a password)' if key == PASSWORD_KEY else short(expected.get(key), 100)}"
        for key in sorted(found.keys() | expected.keys())
        if found.get(key) != expected.get(key)
    ]
    return "; ".join(shown)


def described(setter: str, args: tuple[Any, ...]) -> str:
    """A call for a report, its password left out."""
    if setter != "set_cluster_connection_info":
        return f"{setter}()"
    address, user, _, host = args
    return f"{setter}({short(address, 80)}, {short(user, 80)}, <password>, {short(host, 80)})"


LEFTOVERS = databags(CLUSTER_KEYS).map(lambda databag: {k: v for k, v in databag.items() if v})
"""What a reactive build of the charm left in this unit's databag, Juju's keys too (never an
empty value: Juju removes a key set to one)."""

NO_INPUT = ("set_unit_configure_ready", "set_unit_clustered", "withdraw_cluster_credentials")
SETTER_CALLS = st.lists(
    st.one_of(
        st.tuples(
            st.just("set_cluster_connection_info"),
            st.one_of(valid_connection_info, bad_connection_info(), any_connection_info),
        ),
        st.tuples(st.sampled_from(NO_INPUT), st.just(())),
    ),
    min_size=1,
    max_size=4,
)
SETTER_CHARM = fuzz_charm(SETTERS)
QUARTER = settings(max_examples=max(settings().max_examples // 4, 20))
"""A quarter of the profile's examples (at least 20): each runs up to five hooks."""


def call_setter(cluster: InnodbClusterPeers, setter: str, args: tuple[Any, ...]) -> Any:
    """Call a setter by name; return what it raised, or None."""
    try:
        getattr(cluster, setter)(*args)
    except Exception as error:  # any exception but ValueError is a finding
        return error
    return None


@QUARTER
@given(leftovers=LEFTOVERS, bound=st.booleans(), related=st.booleans(), calls=SETTER_CALLS)
@example(
    leftovers={"ingress-address": "10.5.0.9", CLUSTERED_KEY: "true", USER_KEY: '"old"'},
    bound=True,
    related=True,
    calls=[
        (
            "set_cluster_connection_info",
            ("10.5.0.7", "clusteruser", "SECRETsamePassword000001", None),
        ),
        ("set_unit_configure_ready", ()),
        (
            "set_cluster_connection_info",
            ("bad host", "clusteruser", "SECRETsamePassword000002", None),
        ),
        ("withdraw_cluster_credentials", ()),
    ],
)
@example(
    leftovers={},
    bound=False,  # the bind address is unknown: the address keys stay Juju's
    related=True,
    calls=[("set_cluster_connection_info", ("fd00::7", "u" * 32, "p" * 1024, None))],
)
def test_each_setter_writes_exactly_the_legacy_bytes_or_refuses_the_call_whole(
    leftovers: dict[str, str], bound: bool, related: bool, calls: list[tuple[str, tuple[Any, ...]]]
):
    for token in RECURRING_TOKENS:
        SECRETS.add(token)
    ctx = fuzz_context(SETTER_CHARM, PEERS_META, config=FUZZ_CONFIG)
    peer = {"private-address": "10.5.0.8"}
    relation = endpoint_relation(SETTERS, {1: peer}, local_unit_data=leftovers)
    networks = set[testing.Network]()
    if not bound:
        networks = {testing.Network(ENDPOINT, bind_addresses=[], ingress_addresses=[])}
    state = testing.State(relations=[relation] if related else [], networks=networks)
    expected = dict(leftovers)
    steps = [f"this unit's databag holding {short(sorted(leftovers), 300)}"]
    for setter, args in calls:
        steps.append(described(setter, args))
        where = "calls:\n  " + "\n  ".join(steps)
        ctx.juju_log.clear()
        with ctx(ctx.on.update_status(), state) as manager:
            TALLY.setter_calls += 1
            error = call_setter(manager.charm.library, setter, args)
            state = manager.run()
        release_finished_hooks()
        texts = [line.message for line in ctx.juju_log]
        leaked = SECRETS.leaks(texts + ([] if error is None else exception_texts(error)))
        if leaked:
            raise SecretLeakError(f"secret tokens {leaked} reached a log or the error; {where}")
        now = dict(state.get_relation(relation.id).local_unit_data) if related else {}
        try:
            changes = expected_changes(setter, args, BIND_ADDRESS if bound else None)
        except RefusedError as refused:
            _check_refusal(error, list(refused.args), now, expected if related else {}, where)
            continue
        if error is not None:
            raise SetterMisbehavedError(f"valid input refused with {short(error)}; {where}")
        if not related:
            if not any(line.level == "WARNING" for line in ctx.juju_log):
                raise SetterMisbehavedError(f"no WARNING for a write without relation; {where}")
            continue
        expected = applied(expected, changes)
        if now != expected:
            raise SetterMisbehavedError(
                f"the databag differs from the legacy bytes: {differing_keys(now, expected)}; "
                f"{where}"
            )


def _check_refusal(
    error: BaseException | None,
    bad: list[str],
    now: Mapping[str, str],
    before: Mapping[str, str],
    where: str,
) -> None:
    """A refused call raised ValueError naming exactly the bad fields, and wrote nothing."""
    if error is None:
        raise SetterMisbehavedError(f"invalid input ({', '.join(bad)}) accepted; {where}")
    if not isinstance(error, ValueError):
        raise SetterMisbehavedError(f"invalid input raised {short(error)}; {where}")
    named = [field for field in FIELDS if field in str(error)]
    if named != bad:
        raise SetterMisbehavedError(
            f"the ValueError names {named}, not the bad fields {bad}: {short(error)}; {where}"
        )
    if now != before:
        raise SetterMisbehavedError(
            f"a refused call changed {differing_keys(now, before)}; {where}"
        )


test_the_known_defects_named_by_the_variants_are_those_listed = known_defects_test(
    KNOWN_DEFECTS, globals()
)
