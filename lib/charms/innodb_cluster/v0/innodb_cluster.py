# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Wire-compatible `ops` library for the `mysql-innodb-cluster` peer interface.

An `ops` replacement for the reactive `charm-interface-mysql-innodb-cluster` layer: the
peer relation over which the units of a MySQL InnoDB cluster exchange what each needs to
add the others. Every unit both writes and reads, so during an upgrade of the charm the
cluster runs mixed, some units reactive, some `ops`: a unit using this library reads what a
reactive peer writes, byte for byte, and writes what a reactive peer reads.

`InnodbClusterPeers` is the one role.

## Getting started

The library ships as the Python package `legacy-interfaces-innodb-cluster`, built from this
very file, which it installs at its import path with its dependencies. Depend on it as the
charm declares its other dependencies: `legacy-interfaces-innodb-cluster>=0.5` in
`requirements.txt` (charmcraft's `charm` plugin), or in `pyproject.toml`'s `dependencies`
(the `uv` and `poetry` plugins); the `python` plugin installs no dependency of a package by
itself, so give it a requirements file that lists them all, exported from the charm's lock.
Or copy this file to the charm's `lib/charms/innodb_cluster/v0/` and depend on
`pydantic>=2`.

`charmcraft fetch-lib` cannot bring it: Charmhub registers no new libraries, and a library's
name belongs to the Charmhub charm it is named after. Choose one way per library: two files
with one import path shadow each other on `sys.path`. A charm's test can make sure it
imports this one:
`assert charms.innodb_cluster.v0.innodb_cluster.LIBID == "63ef808489d14ec196a8d972ddc1aea3"`.

The conventional endpoint name is `cluster`:

```yaml
peers:
  cluster:
    interface: mysql-innodb-cluster
```

## Example

Each unit sends its connection information, creates its peers' cluster users once every
peer has sent theirs, and says so. The leader creates the cluster once the relation is
`available` (its quorum), adds each ready instance, and marks each one in the leader
settings that reactive units read (the handshake is below); a non-leader says it is
clustered once it sees its own mark. One whole-state handler does it all, so that no work is
lost when an event comes before the leader can act, or to a unit that was not the leader
then. The workload calls (MySQL Shell, in the real charm) are left out as `...`;
`leader_get` and `leader_set` run Juju's hook tools, for which `ops` has no API.

```python
import subprocess
import uuid

import ops

from charms.innodb_cluster.v0.innodb_cluster import (
    ClusterPeerDeparted,
    InnodbClusterPeers,
    cluster_instance_clustered_key,
    cluster_instance_configured_key,
)


# A leader setting, "" when it is unset.
def leader_get(key: str) -> str:
    tool = subprocess.run(["leader-get", key], capture_output=True, text=True, check=True)
    return tool.stdout.strip()


# Set leader settings ("" unsets one); only the leader may.
def leader_set(settings: dict[str, str]) -> None:
    pairs = [f"{key}={value}" for key, value in settings.items()]
    subprocess.run(["leader-set", *pairs], check=True)


class MySQLCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.cluster = InnodbClusterPeers(self)
        # Sent once the peer relation exists, which it does even for a lone unit.
        framework.observe(self.on.cluster_relation_created, self._send_connection_info)
        framework.observe(self.cluster.on.available, self._create_cluster_users)
        # What one of these could not do yet, the next one does: quorum reached, a peer
        # ready, leadership moved here, the leader marked this unit, or a refresh.
        for event in (
            self.cluster.on.available,
            self.cluster.on.peer_configure_ready,
            self.on.leader_elected,
            self.on.leader_settings_changed,
            self.on.upgrade_charm,
        ):
            framework.observe(event, self._reconcile_cluster)
        framework.observe(self.cluster.on.peer_departed, self._remove_instance)
        framework.observe(self.on.cluster_relation_departed, self._on_departed)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _send_connection_info(self, _: ops.EventBase):
        password = self.model.get_secret(label="cluster-credentials").get_content()["password"]
        address = self.model.get_binding("cluster").network.bind_address
        self.cluster.set_cluster_connection_info(str(address), "clusteruser", password)

    def _create_cluster_users(self, _: ops.EventBase):
        for peer in self.cluster.read().credentials:
            password = peer.cluster_password.get_secret_value()
            ...  # CREATE USER IF NOT EXISTS peer.cluster_user@peer.cluster_address BY password
        self.cluster.set_unit_configure_ready()

    def _reconcile_cluster(self, _: ops.EventBase):
        sent = self.cluster.published()
        if sent is None or sent.cluster_address is None:
            return  # this unit has not sent its address yet
        if self.unit.is_leader():
            self._add_ready_instances(sent.cluster_address)
        elif leader_get(cluster_instance_clustered_key(sent.cluster_address)):
            self.cluster.set_unit_clustered()  # a leader, reactive or not, added this unit

    def _add_ready_instances(self, own_address: str):
        if not leader_get("cluster-created"):
            if not self.cluster.is_available():
                return  # no quorum yet, or a peer's user is missing
            ...  # dba.create_cluster(): this unit's instance is the first member
            created = {cluster_instance_clustered_key(own_address): "True"}
            leader_set({**created, "cluster-created": str(uuid.uuid4())})
        self.cluster.set_unit_clustered()  # the leader is in the cluster it runs
        peers = self.cluster.read().peers
        ready = [peer.cluster_address for peer in peers if peer.configure_ready]
        for address in filter(None, ready):
            mark = cluster_instance_clustered_key(address)
            if not leader_get(mark):  # no leader added it yet, this one or an earlier one
                ...  # cluster.add_instance(address)
                leader_set({cluster_instance_configured_key(address): "True", mark: "True"})
        if len(ready) == len(peers) and not leader_get("cluster-instances-clustered"):
            every = {"cluster-instances-configured": "True", "cluster-instances-clustered": "True"}
            leader_set(every)  # a reactive unit that leads later adds new units only then

    def _remove_instance(self, event: ClusterPeerDeparted):
        if self.unit.is_leader() and event.cluster_address is not None:
            ...  # cluster.remove_instance(event.cluster_address)
            # Both marks go, so that a new unit given this address again is added.
            address = event.cluster_address
            configured = cluster_instance_configured_key(address)
            leader_set({configured: "", cluster_instance_clustered_key(address): ""})

    def _on_departed(self, event: ops.RelationDepartedEvent):
        if event.departing_unit == self.unit:
            self.cluster.withdraw_cluster_credentials()

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        sent = self.cluster.published()
        if sent is not None and sent.clustered:
            # In the cluster: after a scale-in below the quorum too, which it survives.
            event.add_status(ops.ActiveStatus("clustered"))
        elif self.cluster.is_available():
            event.add_status(ops.MaintenanceStatus("clustering"))
        else:
            event.add_status(ops.WaitingStatus("waiting for the cluster's peers"))
```

**Goal**, as deployed (three units, scaled up and in, leadership moved, the leader replaced,
then a refresh from the reactive charm): every unit is Active and clustered, marked so in
the leader settings a reactive unit reads, also after scaling in to two units. The status
asks `published().clustered`, what this unit said, rather than `is_clustered()`, which
counts peers against `minimum_cluster_size` and goes False after a scale-in to two. A leader
that is removed leaves its own marks behind: its peers see it depart while it still leads,
so no leader clears them (the reactive charm did the same).

## Events

Each event fires when its state becomes true, or when its payload changes; never twice for
the same payload. All carry `relation`, the peer relation.

- `connected` (`ClusterConnected`): the first peer joined. Ends with `disconnected`
  (`ClusterDisconnected`): the last peer departed.
- `available` (`ClusterAvailable`): at least `minimum_cluster_size - 1` peers, and every
  peer sent its cluster address, user and password; also when a peer's address, user or
  password changes then. Payload: `members`, each peer's `unit_name`, `cluster_address` and
  `cluster_user`, and no password, so that a deferred event never stores one: take it from
  `read()`. Ends with `unavailable` (`ClusterUnavailable`).
- `peer_configure_ready` (`ClusterPeerConfigureReady`): a peer sent `unit-configure-ready`
  and a valid address, or changed its address since. Payload: `unit_name`,
  `cluster_address`. The leader's moment to add that instance. Ends with:
- `peer_departed` (`ClusterPeerDeparted`): a peer's instance is gone from where it was,
  because the peer left the relation, or because it moved: it sent another valid address
  than the one `peer_configure_ready` announced. Payload: `unit_name`, `cluster_address`,
  `moved`. For a peer that left, `cluster_address` is the last valid address it sent as
  this library recorded it in earlier hooks (None if it sent none): during
  relation-departed some `ops` releases cannot read the departing unit's databag, and a
  departing peer withdraws its credentials. For a peer that moved (`moved` is True, the
  peer is still in `read()`), it is the address announced, and `peer_configure_ready`
  follows in the same hook if the peer is configure-ready at its new one. Either way, the
  leader's moment to remove the instance at `cluster_address`. It never fires on the unit
  that is leaving (below), where the peers leave its view but stay in the cluster.
- `clustered` (`ClusterClustered`): at least `minimum_cluster_size - 1` peers, and every
  peer sent `unit-clustered`. Ends with `unclustered` (`ClusterUnclustered`): a peer left
  the count, or a new one has not clustered yet. The legacy layer never cleared it.

**Order.** Within one hook the ends come first, then the starts: `peer_departed` (per peer,
in unit-number order), `unclustered`, `unavailable`, `disconnected`, `connected`,
`available`, `peer_configure_ready` (per peer, in unit-number order), `clustered`. So the
users of every peer exist (the charm created them on `available`) before the leader adds
the first instance, and a leader removes a moved peer's instance before it adds the new one.

**Every address announced is named again.** Each address that `peer_configure_ready`
announced is named again by `peer_departed`, once, when it stops being that peer's: the
peer left, or moved to another valid address. A malformed or withdrawn address does not
count as a move: the peer's last valid address stays the one announced. So a leader that
adds an instance on `peer_configure_ready` and removes one on `peer_departed` keeps the
cluster as the peers are, whichever way their addresses go; the unit that is leaving only
stops listening, as below.

**Once per payload.** `peer_configure_ready` fires once for each peer and address. A leader
that cannot add the instance yet (no cluster created, no password) defers the event, or the
work is lost; and a unit that becomes leader later never receives what fired while it
followed. The queries hold what a new leader needs: the ready peers are those of
`read().peers` whose `configure_ready` is True; which of them are in the cluster is the
charm's own record (MySQL Shell, or the leader settings `cluster-instance-clustered-<address>`
below). So the robust default is one whole-state handler, run on these events and in
`leader_elected` and `upgrade-charm`: on the leader, add each ready peer that is not in the
cluster, as the example does.

**Quorum.** `available` needs `minimum_cluster_size - 1` peers with their credentials, not
every unit the operator asked for. The reactive charm created the cluster only once every
unit Juju expects (the `goal-state` hook tool, through charmhelpers' `expected_peer_units()`)
had sent its address, since the cluster's IP allow list is fixed when it is created. A charm
that needs the same asks `goal-state` (ops has no API for it) before it creates the cluster,
and waits until then.

**Deferral.** A deferred event carries the payload it was emitted with; compare it with
`read()`, or reconcile holistically.

**Refresh from the reactive charm.** The library reconciles in the `upgrade-charm` hook
(and in any hook of a relation it has no record of): a unit refreshed into a formed cluster
gets `connected`, `available`, `peer_configure_ready` for each ready peer and `clustered`
there, without any peer changing its data, so that the ends fire later. What the reactive
charm sent stays in the unit's databag until the charm sends something else. A leader's
`peer_configure_ready` handler therefore meets instances that are in the cluster already
(added before the refresh, by this charm or the reactive one): it skips those whose
`cluster-instance-clustered-<address>` mark is set, as the example does (the real charm
also asks MySQL Shell).

**The leaving unit.** From the first hook in which Juju names this unit as the departing one
(in relation-departed of the peer relation: the unit is being removed), every state ends, in
the order above, once, and nothing starts again: the view holds no peer, every query
answers "nothing", and no `peer_departed` fires, since the peers stay in the cluster. The
charm's writes still go out until relation-broken: there it withdraws its credentials, as
the example does, and `published()` still answers. A charm acting on `available` or
`peer_configure_ready` never acts while its unit is leaving.

**One view per hook.** During relation-departed the departing peer is gone for every query
as well as for the events, from the start of the hook: the handlers of deferred events,
which ops runs first, see the same view. During relation-broken the relation is gone from
the start of the hook too: `relation` is None and no peer is left. Each peer's databag is
read and validated at most once per hook.

## Queries

- `read()` returns a frozen `ClusterView`: `peers`, every joined peer in unit-number order
  (`ClusterPeer`: `unit_name`, `cluster_address`, `cluster_user`, `cluster_password`,
  `configure_ready`, `clustered`; a field the peer has not sent, or sent malformed, is None
  or False), `available`, `clustered`; and the peers that sent address, user and password
  (all of them once available), as `credentials` (`ClusterCredentials`, none of its fields
  None) and as `members` (the same without passwords).
- `peers()`, `is_connected()`, `is_available()`, `is_clustered()`.
- `all_joined_units`, as the legacy layer listed the peers: each has `unit_name` and
  `received`, the decoded value of each wire key (None when absent or malformed), so that
  legacy code such as `unit.received['cluster-address']` reads the same.
- `malformed_units()` lists the peers that sent malformed fields.
- `published()` returns what this unit sends, read from its databag (a reactive build's
  data too), as a `ClusterConnection`.

Passwords are `pydantic.SecretStr`: `repr()` and `str()` print stars;
`get_secret_value()` gives the password. `received['cluster-password']` is the plain
string, as legacy code expects.

## Migrating from the reactive layer

| legacy (`interface-mysql-innodb-cluster`) | here |
|---|---|
| `@when('cluster.connected')` | `on.connected`; `is_connected()` |
| `@when('cluster.available')`, run again in every hook | `on.available`, or `is_available()` |
| `@when('cluster.clustered')` | `on.clustered`; `is_clustered()` |
| `endpoint.cluster.changed.unit-configure-ready`, on the leader | `on.peer_configure_ready` |
| a peer's departure (the leader compared lists itself) | `on.peer_departed` (moves too) |
| `cluster.available()`, `cluster.clustered()` | `is_available()`, `is_clustered()` |
| `cluster.set_or_clear_available()` | nothing: the library keeps `available` up to date |
| `cluster.minimum_cluster_size` (3) | the constructor's `minimum_cluster_size=` (3) |
| `set_cluster_connection_info(address, user, password)` | the same, with `cluster_host=` |
| `cluster.set_ingress_address()`, `cluster.ingress_address` | `set_cluster_connection_info()` |
| `set_unit_configure_ready()`, `set_unit_clustered()` | the same |
| removing `cluster-user` and `cluster-password` on departure | `withdraw_cluster_credentials()` |
| `cluster.all_joined_units`, `unit.received[key]` | the same, or `read().peers` |
| `cluster.relation_ids()`, `cluster.peer_relation` | `relation` |
| `@when('leadership.is_leader')` | `self.unit.is_leader()`, asked in `leader_elected` too |
| `@when('leadership.set.<key>')`, `leader_get()` | the charm's own leader settings (below) |

**The leader's handshake** is in leader settings, which are the charm's business, not this
library's. Each per-instance key holds the address with its dots as dashes
(`cluster_instance_clustered_key("10.5.0.7")` gives `cluster-instance-clustered-10-5-0-7`;
`cluster_instance_configured_key` gives `cluster-instance-configured-...`). The reactive
charm (openstack/charm-mysql-innodb-cluster) uses them so:

1. The leader creates the cluster, then sets its own `cluster-instance-clustered-<address>`
   and `cluster-created` (a UUID).
2. For each peer that sent `unit-configure-ready`, it configures the instance and sets
   `cluster-instance-configured-<address>`; once every peer has it,
   `cluster-instances-configured`.
3. It adds each instance and sets `cluster-instance-clustered-<address>`; once every peer
   has it, `cluster-instances-clustered`. Later units are added the same way (its
   scale-out), which runs only while `cluster-instances-clustered` and the leader's own
   clustered key are set.
4. When it removes an instance, it clears both of that address's keys, so that a new unit
   that gets the address again is configured and added, not skipped.
5. A non-leader, once `cluster-created` is set and the relation is available, sends
   `unit-clustered` when it sees its own `cluster-instance-clustered-<address>` set.

So a mixed cluster works only if both charms keep these keys:

- under a reactive leader, an `ops` unit reads its key with the `leader-get` hook tool and
  calls `set_unit_clustered()` once it is set;
- an `ops` leader sets, with `leader-set`, every key of steps 1 to 4 (the `True` values as
  the string `"True"`, as the reactive charm's leader settings hold them): without
  `cluster-created` or its instance's key a reactive unit never sends `unit-clustered`, and
  without `cluster-instances-clustered` a reactive unit that becomes leader again adds no
  new unit.

**What each unit sees as `clustered`.** The reactive leader never sends `unit-clustered`. In
a cluster formed by the reactive charm, only the leader sees every peer clustered; the other
units see the leader unclustered, whatever charm they run. An `ops` leader that sends
`unit-clustered`, as the example does, lets every unit see `clustered`.

**Mixed clusters.** Every key is the legacy layer's, with its JSON encoding, so reactive and
`ops` units read each other's data during the upgrade. A reactive unit reads `received`
values with a JSON fallback; this library reads a raw value the same way.

For a charm's unit tests, `cluster_relation_for_testing()` returns an `ops.testing`
`PeerRelation` of N peers at any stage of the handshake (`"joined"`, `"credentials"`,
`"configure-ready"`, `"clustered"`), optionally with a reactive leader;
`cluster_databag_for_testing()` gives one unit's databag; and `cluster_network_for_testing()`
binds a unit to the address its databag holds (ops.testing binds every unit to
`192.0.2.0`), so that a charm republishing its bind address in a test writes that address.
The peers' password is `TEST_CLUSTER_PASSWORD` and their user `TEST_CLUSTER_USER`.

## Wire format

Every unit writes its own unit databag on the peer relation:

| key | encoding | value |
|---|---|---|
| `cluster-address` | JSON | the unit's cluster address, `"10.5.0.7"` |
| `cluster-user` | JSON | the clustering user, `"clusteruser"` |
| `cluster-password` | JSON | its password |
| `unit-configure-ready` | JSON | `true` once the unit created its peers' users |
| `unit-clustered` | JSON | `true` once the unit is in the cluster |
| `ingress-address`, `private-address` | raw | the bind address, or `cluster_host` |

The JSON is `json.dumps` with its default separators: a string travels with its quotes. A
departing unit removes `cluster-user` and `cluster-password` and keeps `cluster-address`.

## Errors

- Bad data from a peer never raises and never fails a hook. Each malformed field counts as
  absent on its own, so the peer is not ready; a WARNING names the relation, unit and
  fields (never a value), and `malformed_units()` lists them. A flag is `true` or `false`
  only; an address is a host name or an IP address; a user has 1 to 32 characters and a
  password 1 to 1024, neither with control characters.
- Bad input from the charm raises `ValueError` before anything is written, by the same
  rules; its message never holds the password.
- A write before the peer relation exists (in the install hook) or after it is gone logs a
  WARNING and writes nothing, as the legacy layer did.

## Changelog

- LIBPATCH 1 (2026-11-23): first release; the legacy peer interface, mixed clusters included.
- LIBPATCH 2 (2026-11-23): in relation-departed, the departing peer is left out from the
  start of the hook (Juju's `JUJU_DEPARTING_UNIT`), so the handlers of deferred events that
  ops runs before the hook's own event no longer see it where Juju, or a test's state, still
  lists it. Docs: a leader skips instances already added when `peer_configure_ready` fires
  again after a refresh, and the migration table maps the leadership layer's flags.
- LIBPATCH 3 (2026-12-07): the leaving unit: from the first hook in which Juju names this
  unit as the departing one, every state ends there, once, and none starts again (it
  announced `available` and `clustered` for the peers still in its view). During
  relation-broken the relation is gone from the start of the hook, for the handlers of
  deferred events too. `peer_departed` also fires, with `moved` True, when a ready peer
  moves to another address, naming the address `peer_configure_ready` announced, so that the
  leader removes that instance; before, the old address was forgotten. The hook's relation
  is read from `JUJU_RELATION` too, and a dispatch path with underscores, as ops.testing of
  the ops 2 era sets them.
- LIBPATCH 4 (2026-12-07): the migration table maps every name of the deployed layer, as the
  interface spec lists them: `set_or_clear_available()`, `set_ingress_address()`,
  `ingress_address` and `minimum_cluster_size` too. New test helper:
  `cluster_network_for_testing()`, the peer endpoint's network of a unit, bound to the
  address its test databag holds, where ops.testing binds every unit to `192.0.2.0`. The
  docstring says that `peer_configure_ready` fires once per payload, what a new leader reads
  instead, and how the reactive charm waited for every expected unit before it created the
  cluster. It gives the reactive charm's whole leader handshake, its five steps and every
  key.
- LIBPATCH 5 (2026-12-07): the example forms its cluster on every unit: one whole-state
  handler creates the cluster at quorum, adds each ready instance and keeps every mark of
  the leader handshake in leader settings; a non-leader sends `unit-clustered` once marked,
  and a unit stays Active after a scale-in to two. The changelog's entries carry their
  dates.  Getting started names the Python package as the way to depend on the library, says
  why `charmcraft fetch-lib` cannot, and how a charm's test tells this file from another
  with its import path (its `LIBID`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple, TypeVar

import ops
import pydantic

if TYPE_CHECKING:
    from ops import testing

# The unique Charmhub library identifier, never change it
LIBID = "63ef808489d14ec196a8d972ddc1aea3"

# Increment this major API version when introducing breaking changes
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version
LIBPATCH = 5

PYDEPS = ["pydantic>=2"]

logger = logging.getLogger(__name__)

INTERFACE = "mysql-innodb-cluster"

# Upper bounds on what a peer may send, so a hostile unit cannot make the charm hold or log
# megabytes. MySQL's own limit for a user name is 32 characters.
_MAX_HOST = 253
_MAX_USER = 32
_MAX_PASSWORD = 1024
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A pattern rather than ipaddress.IPv4Address: every peer's address is checked in every hook.
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
# C0 and C1 control characters and DEL: no MySQL user or password a charm generates has one,
# and in a log or a status they would forge lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# The keys of the handshake, in the order the legacy layer wrote them.
_ADDRESS_KEY = "cluster-address"
_USER_KEY = "cluster-user"
_PASSWORD_KEY = "cluster-password"  # noqa: S105 - a key name, not a password
_CONFIGURE_READY_KEY = "unit-configure-ready"
_CLUSTERED_KEY = "unit-clustered"
_WIRE_KEYS = (_ADDRESS_KEY, _USER_KEY, _PASSWORD_KEY, _CONFIGURE_READY_KEY, _CLUSTERED_KEY)
# What the legacy layer overwrote with the unit's address on the peer endpoint.
_ADDRESS_KEYS = ("ingress-address", "private-address")


# --- Wire codec: the handshake keys are JSON ------------------------------------------------


def _decode_json(value: str) -> Any:
    """Read a JSON value as the legacy `received` view did: text that is not JSON stays text."""
    try:
        return json.loads(value)
    except RecursionError:
        return value  # nested too deep to be anything this interface sends
    except ValueError:
        return value


def _encode_json(value: object) -> str:
    """The legacy bytes: `json.dumps` with its default separators (a string keeps its quotes)."""
    return json.dumps(value)


# --- Validation ----------------------------------------------------------------------------
# Messages name what is wrong and never echo the value. The same checks serve the charm's
# input (where a failure is a ValueError) and remote data (where the value counts as absent).


def _check_host(value: str) -> str:
    """A host name, or an IPv4 or IPv6 address (without brackets, as Juju writes them)."""
    if len(value) > _MAX_HOST:
        raise ValueError(f"is longer than {_MAX_HOST} characters")
    if ":" in value:
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise ValueError("must be a host name or an IP address") from None
        if "%" in value:  # a zone index means nothing to another machine
            raise ValueError("must not hold an IPv6 zone index")
        return value
    if _DOTTED_NUMBERS.fullmatch(value):
        if not _IPV4.fullmatch(value):
            raise ValueError("is not an IPv4 address")
        return value
    if not _HOSTNAME.fullmatch(value):
        raise ValueError("must be a host name or an IP address")
    return value


def _check_text(value: str, longest: int) -> str:
    """A user name or a password: not empty, bounded, printable, encodable as UTF-8."""
    if not value:
        raise ValueError("must not be empty")
    if len(value) > longest:
        raise ValueError(f"is longer than {longest} characters")
    if _CONTROL.search(value):
        raise ValueError("must not hold control characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return value


def _check_user(value: str) -> str:
    return _check_text(value, _MAX_USER)


def _check_password(value: pydantic.SecretStr) -> pydantic.SecretStr:
    _check_text(value.get_secret_value(), _MAX_PASSWORD)
    return value


def _problems(error: pydantic.ValidationError) -> dict[str, str]:
    """Each bad field and what is wrong with it, leaving out the input values."""
    problems: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "data"
        problems.setdefault(field, _reason(item["msg"]))
    return problems


def _describe(problems: Mapping[str, str]) -> str:
    return "; ".join(f"{field}: {reason}" for field, reason in problems.items())


def _reason(message: str) -> str:
    # pydantic prefixes the message of a ValueError raised by a validator; charms show these
    # messages in statuses, where the prefix is noise.
    prefix = "Value error, "
    return message[len(prefix) :] if message.startswith(prefix) else message


# --- Databag models ------------------------------------------------------------------------

_ModelT = TypeVar("_ModelT", bound=pydantic.BaseModel)


class _WireModel(pydantic.BaseModel):
    """A unit databag: every field optional, unknown keys ignored, values immutable."""

    model_config = pydantic.ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


Host = Annotated[str, pydantic.AfterValidator(_check_host)]
ClusterUser = Annotated[str, pydantic.AfterValidator(_check_user)]
ClusterPassword = Annotated[pydantic.SecretStr, pydantic.AfterValidator(_check_password)]
# Only JSON `true` and `false`: the legacy layer wrote nothing else.
Flag = Annotated[bool, pydantic.Field(strict=True)]


class ClusterPeerData(_WireModel):
    """A unit's databag on the peer relation, as its peers read it; each field optional."""

    cluster_address: Host | None = pydantic.Field(default=None, alias=_ADDRESS_KEY)
    cluster_user: ClusterUser | None = pydantic.Field(default=None, alias=_USER_KEY)
    cluster_password: ClusterPassword | None = pydantic.Field(default=None, alias=_PASSWORD_KEY)
    unit_configure_ready: Flag | None = pydantic.Field(default=None, alias=_CONFIGURE_READY_KEY)
    unit_clustered: Flag | None = pydantic.Field(default=None, alias=_CLUSTERED_KEY)


class _SentConnection(_WireModel):
    """What `set_cluster_connection_info` takes."""

    cluster_address: Host
    cluster_user: ClusterUser
    cluster_password: ClusterPassword
    cluster_host: Host | None = None


# The typed views below are frozen dataclasses, not models: they are built from validated
# values only, so they need no validation, and a model class costs import time.


@dataclasses.dataclass(frozen=True)
class ClusterPeer:
    """One peer as this unit sees it: what it has sent so far, malformed fields left out.

    `cluster_password` is a `pydantic.SecretStr`: its `repr()` and `str()` are masked; the
    password itself is `cluster_password.get_secret_value()`.
    """

    unit_name: str
    cluster_address: str | None = None
    cluster_user: str | None = None
    cluster_password: pydantic.SecretStr | None = None
    configure_ready: bool = False
    """It sent `unit-configure-ready`: it has created the cluster users of its peers."""
    clustered: bool = False
    """It sent `unit-clustered`: it has joined the cluster. A reactive leader never sends it."""

    @property
    def has_credentials(self) -> bool:
        """Whether it sent a valid address, user and password: what `available` needs."""
        return None not in (self.cluster_address, self.cluster_user, self.cluster_password)


class ClusterMember(_WireModel):
    """A peer that sent its address, user and password, without the password.

    Events carry these, so that a deferred event never puts a password in the unit's state:
    a handler takes the password from `read()`.
    """

    unit_name: str
    cluster_address: Host
    cluster_user: ClusterUser


@dataclasses.dataclass(frozen=True)
class ClusterCredentials:
    """A peer that sent its address, user and password: what the charm creates a user from."""

    unit_name: str
    cluster_address: str
    cluster_user: str
    cluster_password: pydantic.SecretStr


@dataclasses.dataclass(frozen=True)
class ClusterConnection:
    """What this unit sends its peers, read back from its databag (`published()`)."""

    cluster_address: str | None = None
    cluster_user: str | None = None
    cluster_password: pydantic.SecretStr | None = None
    configure_ready: bool = False
    clustered: bool = False


@dataclasses.dataclass(frozen=True)
class ClusterView:
    """What the peer relation offers now, typed.

    `peers` holds every joined peer in unit-number order, complete or not. `available` and
    `clustered` are the legacy states, from these peers and the minimum cluster size.
    """

    peers: tuple[ClusterPeer, ...] = ()
    available: bool = False
    clustered: bool = False

    @functools.cached_property
    def credentials(self) -> tuple[ClusterCredentials, ...]:
        """The peers that sent their address, user and password (all of them once available)."""
        return tuple(
            ClusterCredentials(
                peer.unit_name,
                str(peer.cluster_address),
                str(peer.cluster_user),
                peer.cluster_password,
            )
            for peer in self.peers
            if peer.cluster_password is not None and peer.has_credentials
        )

    @functools.cached_property
    def members(self) -> tuple[ClusterMember, ...]:
        """The same peers without their passwords, as events carry them."""
        return tuple(
            ClusterMember.model_construct(
                unit_name=peer.unit_name,
                cluster_address=peer.cluster_address,
                cluster_user=peer.cluster_user,
            )
            for peer in self.credentials
        )


class MalformedUnit(NamedTuple):
    """A peer some of whose fields are malformed, and so count as absent.

    Its other fields still count. `str()` gives a line fit for a charm's status.
    """

    relation_id: int
    unit_name: str
    fields: tuple[str, ...]
    reason: str
    """Each bad field and what is wrong with it; never the value."""

    def __str__(self) -> str:
        return f"{self.unit_name} sent a malformed {', '.join(self.fields)}"


class JoinedPeer:
    """A joined peer as the legacy `all_joined_units` gave it: `unit_name` and `received`.

    `received` holds the handshake keys the peer sent, each decoded from JSON: a string for
    `cluster-address`, `cluster-user` and `cluster-password`, a bool for the flags. As in the
    legacy view, `received[key]` is None for a key the peer did not send, `key in received`
    is False and `received.get(key, default)` gives the default; a malformed value counts as
    not sent.
    """

    def __init__(self, unit_name: str, data: ClusterPeerData):
        self.unit_name = unit_name
        values = data.model_dump(by_alias=True, exclude_none=True)
        password: pydantic.SecretStr | None = values.get(_PASSWORD_KEY)
        if password is not None:
            values[_PASSWORD_KEY] = password.get_secret_value()  # legacy code expects a str
        self._received = values

    @property
    def received(self) -> Mapping[str, Any]:
        """The peer's values by wire key; None for a key it did not send (or sent malformed)."""
        return _Received(self._received)

    def __repr__(self) -> str:
        return f"JoinedPeer({self.unit_name!r})"  # never the password


class _Received(Mapping[str, Any]):
    """A read-only view of the keys a peer sent, where an absent key reads None (legacy)."""

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return self._values.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "<received values of a peer>"  # never the password


def _validated(model: type[_ModelT], values: dict[str, Any]) -> _ModelT:
    """Build a model from the charm's own values; a bad value raises a value-free ValueError."""
    try:
        return model.model_validate(values, strict=True)
    except pydantic.ValidationError as error:
        problem = _describe(_problems(error))
    # Raised outside the except block, so that the ValidationError, which holds the input
    # values, is not kept as the new exception's context.
    raise ValueError(problem)


def _restored(model: type[_ModelT], payload: str) -> _ModelT:
    """Rebuild a deferred event's payload, which was valid when the event was emitted.

    A later LIBPATCH may validate more strictly than the one that deferred the event; the
    event must still be handed over, so the payload is then taken as it was announced.
    """
    try:
        return model.model_validate_json(payload)
    except pydantic.ValidationError as error:
        problem = _describe(_problems(error))
    logger.warning("a deferred cluster event carries data this library now refuses: %s", problem)
    return model.model_construct(**json.loads(payload))


class _MembersPayload(_WireModel):
    """The payload of `ClusterAvailable`, as one model so it snapshots as JSON."""

    members: tuple[ClusterMember, ...]


def cluster_instance_clustered_key(cluster_address: str) -> str:
    """The legacy leader-settings key that says an instance joined the cluster.

    The reactive leader sets `cluster-instance-clustered-<address, dots as dashes>` to a true
    value after adding the instance at that address; a reactive non-leader sends
    `unit-clustered` once it sees its own key set. `cluster_instance_configured_key` is its
    sibling for a configured instance.
    """
    return f"cluster-instance-clustered-{cluster_address.replace('.', '-')}"


def cluster_instance_configured_key(cluster_address: str) -> str:
    """The legacy leader-settings key that says an instance was configured for clustering."""
    return f"cluster-instance-configured-{cluster_address.replace('.', '-')}"


# --- Events --------------------------------------------------------------------------------


class _ClusterRelationEvent(ops.EventBase):
    """An event about the peer relation; it snapshots the relation's name and id."""

    def __init__(self, handle: ops.Handle, relation: ops.Relation):
        super().__init__(handle)
        self.relation = relation

    def snapshot(self) -> dict[str, Any]:
        return {"relation_name": self.relation.name, "relation_id": self.relation.id}

    def restore(self, snapshot: dict[str, Any]) -> None:
        # ops hands back an inactive Relation when the relation has gone since.
        relation = self.framework.model.get_relation(
            snapshot["relation_name"], snapshot["relation_id"]
        )
        if relation is None:  # pragma: no cover - ops never returns None when given an id
            raise RuntimeError(f"cannot restore {self.handle}: relation is unknown")
        self.relation = relation


class ClusterConnected(_ClusterRelationEvent):
    """The first peer joined."""


class ClusterDisconnected(_ClusterRelationEvent):
    """The last peer departed."""


class ClusterAvailable(_ClusterRelationEvent):
    """Enough peers joined and every peer sent its address, user and password.

    Also fires when a peer's address, user or password changes while the state holds. The
    payload is the one at emit time, without passwords: take those from `read()`.
    """

    def __init__(
        self, handle: ops.Handle, relation: ops.Relation, members: tuple[ClusterMember, ...]
    ):
        super().__init__(handle, relation)
        self._payload = _MembersPayload(members=members)

    @property
    def members(self) -> tuple[ClusterMember, ...]:
        """Every peer's name, address and user, in unit-number order."""
        return self._payload.members

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self._payload.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event."""
        super().restore(snapshot)
        # Member by member: taken as announced, a member must still be a model, not a dict.
        members = json.loads(snapshot["payload"])["members"]
        self._payload = _MembersPayload.model_construct(
            members=tuple(_restored(ClusterMember, json.dumps(member)) for member in members)
        )


class ClusterUnavailable(_ClusterRelationEvent):
    """Too few peers, or some peer lacks its address, user or password."""


class ClusterClustered(_ClusterRelationEvent):
    """Enough peers joined and every peer sent `unit-clustered`."""


class ClusterUnclustered(_ClusterRelationEvent):
    """Too few peers, or some peer has not sent `unit-clustered` (a new one, say)."""


class _ClusterPeerEvent(_ClusterRelationEvent):
    """An event about one peer: its name and its cluster address."""

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        unit_name: str,
        cluster_address: str | None,
    ):
        super().__init__(handle, relation)
        self._unit_name = unit_name
        self._cluster_address = cluster_address

    @property
    def unit_name(self) -> str:
        """The peer's unit name, such as `mysql-innodb-cluster/1`."""
        return self._unit_name

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation, the peer's name and its address when the event is deferred."""
        return {
            **super().snapshot(),
            "unit_name": self._unit_name,
            "cluster_address": self._cluster_address,
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation, the peer's name and its address of a deferred event."""
        super().restore(snapshot)
        self._unit_name = str(snapshot["unit_name"])
        address = snapshot["cluster_address"]
        self._cluster_address = None if address is None else str(address)


class ClusterPeerConfigureReady(_ClusterPeerEvent):
    """A peer sent `unit-configure-ready` with a valid address, or changed its address since.

    The leader's moment to add the instance at `cluster_address` to the cluster.
    """

    @property
    def cluster_address(self) -> str:
        """Where the peer's MySQL instance is reached."""
        return str(self._cluster_address)


class ClusterPeerDeparted(_ClusterPeerEvent):
    """A peer's instance is gone from where it was: the peer left, or it moved.

    The leader's moment to remove the instance at `cluster_address` from the cluster. When
    the peer left the relation (while this unit stays), `cluster_address` is the last valid
    address it sent, kept by this library from earlier hooks, since the departing unit's
    databag may be unreadable by now; None if it never sent one. When the peer is still
    there but sent another address (`moved`), `cluster_address` is the one that
    `peer_configure_ready` announced; `peer_configure_ready` follows, in the same hook, if
    the peer is configure-ready at its new address.
    """

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        unit_name: str,
        cluster_address: str | None,
        moved: bool = False,
    ):
        super().__init__(handle, relation, unit_name, cluster_address)
        self._moved = moved

    @property
    def cluster_address(self) -> str | None:
        """The address of the instance that is gone, or None if the peer never sent one."""
        return self._cluster_address

    @property
    def moved(self) -> bool:
        """Whether the peer is still there, at another address; False when it left."""
        return self._moved

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation, the peer, its former address and whether it moved."""
        return {**super().snapshot(), "moved": self._moved}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild a deferred event; one deferred by LIBPATCH 2 or earlier was a departure."""
        super().restore(snapshot)
        self._moved = snapshot.get("moved") is True


class InnodbClusterPeersEvents(ops.ObjectEvents):
    """The events of `InnodbClusterPeers`."""

    connected = ops.EventSource(ClusterConnected)
    available = ops.EventSource(ClusterAvailable)
    peer_configure_ready = ops.EventSource(ClusterPeerConfigureReady)
    clustered = ops.EventSource(ClusterClustered)
    unclustered = ops.EventSource(ClusterUnclustered)
    peer_departed = ops.EventSource(ClusterPeerDeparted)
    unavailable = ops.EventSource(ClusterUnavailable)
    disconnected = ops.EventSource(ClusterDisconnected)


# --- Reading peer databags -----------------------------------------------------------------


class _PeerRead(NamedTuple):
    """One peer's databag, read: its valid fields, and the problems of the others."""

    data: ClusterPeerData
    peer: ClusterPeer
    problems: dict[str, str]


def _read_databag(unit_name: str, databag: Mapping[str, str]) -> _PeerRead:
    """Validate each field on its own terms: a malformed value counts as absent, alone.

    A good databag is validated once; one with bad fields once more, without them.
    """
    values = {key: _decode_json(value) for key in _WIRE_KEYS if (value := databag.get(key))}
    problems: dict[str, str] = {}
    try:
        data = ClusterPeerData.model_validate(values)
    except pydantic.ValidationError as error:
        problems = _problems(error)
        kept = {key: value for key, value in values.items() if key not in problems}
        data = ClusterPeerData.model_validate(kept)
    peer = ClusterPeer(
        unit_name=unit_name,
        cluster_address=data.cluster_address,
        cluster_user=data.cluster_user,
        cluster_password=data.cluster_password,
        configure_ready=data.unit_configure_ready is True,
        clustered=data.unit_clustered is True,
    )
    return _PeerRead(data, peer, problems)


def _credentials_digest(peers: tuple[ClusterPeer, ...]) -> str:
    """A fingerprint of what `available` announced: every peer's address, user and password.

    Stored, it tells a change in a later hook. Only the SHA-256 of all of them together is
    kept, never a password. Validated values hold no tab or line break.
    """
    lines = (
        "\t".join(
            (
                peer.unit_name,
                str(peer.cluster_address),
                str(peer.cluster_user),
                "" if peer.cluster_password is None else peer.cluster_password.get_secret_value(),
            )
        )
        for peer in peers
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# --- The peer endpoint ---------------------------------------------------------------------


def _check_endpoint(charm: ops.CharmBase, relation_name: str) -> None:
    """Fail early, and clearly, when the charm's metadata does not declare the endpoint."""
    expected = f"declare it in charmcraft.yaml under peers: with interface: {INTERFACE}"
    endpoint = charm.meta.relations.get(relation_name)
    if endpoint is None:
        raise ValueError(f"the charm has no endpoint {relation_name!r}; {expected}")
    if endpoint.interface_name != INTERFACE:
        raise ValueError(
            f"endpoint {relation_name!r} has interface {endpoint.interface_name!r}; {expected}"
        )
    if endpoint.role != ops.RelationRole.peer:
        raise ValueError(
            f"endpoint {relation_name!r} is a {endpoint.role.name} endpoint; {expected}"
        )


def _check_minimum(minimum_cluster_size: object) -> int:
    if isinstance(minimum_cluster_size, bool) or not isinstance(minimum_cluster_size, int):
        raise ValueError("minimum_cluster_size must be an integer")
    if minimum_cluster_size < 1:
        raise ValueError("minimum_cluster_size must be at least 1")
    return minimum_cluster_size


def _unit_number(unit: ops.Unit) -> int:
    return _unit_name_number(unit.name)


def _unit_name_number(unit_name: str) -> int:
    return int(unit_name.rpartition("/")[2])


def _departing_in_this_hook() -> tuple[int, str] | None:
    """The relation id and the unit that Juju says is departing, in a relation-departed hook."""
    unit = os.environ.get("JUJU_DEPARTING_UNIT")
    _, _, relation_id = os.environ.get("JUJU_RELATION_ID", "").rpartition(":")
    if not unit or not relation_id.isdigit():
        return None
    return int(relation_id), unit


def _hook_relation() -> tuple[str, int] | None:
    """The endpoint and id of the relation the current hook is for, from Juju's environment.

    Juju sets `JUJU_RELATION_ID` to `<endpoint>:<id>` and `JUJU_RELATION` to the endpoint;
    ops.testing of the ops 2 era sets the id alone, so the endpoint is taken from either.
    """
    endpoint, _, relation_id = os.environ.get("JUJU_RELATION_ID", "").rpartition(":")
    endpoint = endpoint or os.environ.get("JUJU_RELATION", "")
    if not endpoint or not relation_id.isdigit():
        return None
    return endpoint, int(relation_id)


def _leaving_in_this_hook(relation_name: str, unit_name: str) -> bool:
    """Whether Juju names this unit as the one departing a relation of the endpoint.

    Juju does so only when the unit itself is going (scaled down or removed), in each of its
    relation-departed hooks.
    """
    hook_relation = _hook_relation()
    return (
        hook_relation is not None
        and hook_relation[0] == relation_name
        and os.environ.get("JUJU_DEPARTING_UNIT") == unit_name
    )


def _broken_in_this_hook(relation_name: str) -> int | None:
    """The id of the endpoint's relation that this hook, a relation-broken hook, is for."""
    hook_relation = _hook_relation()
    hook = os.environ.get("JUJU_HOOK_NAME") or os.environ.get("JUJU_DISPATCH_PATH", "")
    # Juju names hooks with dashes; ops.testing of the ops 2 era dispatches with underscores.
    if hook_relation is None or hook_relation[0] != relation_name:
        return None
    return hook_relation[1] if hook.replace("_", "-").endswith("-relation-broken") else None


class InnodbClusterPeers(ops.Object):
    """The `mysql-innodb-cluster` peer interface: every unit both writes and reads.

    Each unit sends its cluster address, user and password, then `unit-configure-ready`, then
    `unit-clustered`, in its own databag on the peer relation; the library reads every
    peer's, whichever charm wrote it, reactive or `ops`.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `peers` endpoint with `interface: mysql-innodb-cluster`.
        minimum_cluster_size: how many units a cluster needs (this one included) before it
            can be available or clustered; 3, as the legacy layer had it.
    """

    on = InnodbClusterPeersEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()
    _lifecycle = ops.StoredState()

    def __init__(
        self, charm: ops.CharmBase, relation_name: str = "cluster", minimum_cluster_size: int = 3
    ):
        super().__init__(charm, relation_name)
        _check_endpoint(charm, relation_name)
        self._relation_name = relation_name
        self._minimum_cluster_size = _check_minimum(minimum_cluster_size)
        self._lifecycle.set_default(leaving=False)
        if _leaving_in_this_hook(relation_name, self.model.unit.name):
            self._lifecycle.leaving = True
        # Whether this unit is going: kept, since only relation-departed hooks say so.
        self._leaving: bool = self._lifecycle.leaving
        # Known before any event: ops runs the deferred events' handlers first.
        self._departing = _departing_in_this_hook()
        self._broken = _broken_in_this_hook(relation_name)
        self._reads: dict[str, _PeerRead] = {}
        self._view: ClusterView | None = None
        self._warned: set[tuple[str, tuple[str, ...]]] = set()
        # Per relation id: whether it was connected, the digest `available` announced (or
        # None), whether it was clustered; each peer's last valid address ("" if none), the
        # address each configure-ready peer was announced with, and each address
        # `peer_configure_ready` announced that no event has named again since.
        self._stored.set_default(relations={})
        events = charm.on[relation_name]
        for event in (
            events.relation_created,
            events.relation_joined,
            events.relation_changed,
            events.relation_departed,
        ):
            self.framework.observe(event, self._on_relation_event)
        self.framework.observe(events.relation_broken, self._on_relation_broken)
        self.framework.observe(charm.on.upgrade_charm, self._on_upgrade_charm)

    @property
    def minimum_cluster_size(self) -> int:
        """How many units the cluster needs, this one included."""
        return self._minimum_cluster_size

    @property
    def relation(self) -> ops.Relation | None:
        """The peer relation, or None before it exists (install) or while it is broken.

        While this unit is leaving it is still there, for the charm to withdraw its
        credentials, but it holds no peer for any query.
        """
        relation = self.model.get_relation(self._relation_name)
        if relation is None or relation.id == self._broken:
            return None
        return relation

    # Queries: always answered from the current databags.

    def read(self) -> ClusterView:
        """Every joined peer and the legacy states, typed; read once per hook."""
        if self._view is None:
            relation = self.relation
            peers = () if relation is None else self._peers(relation)
            enough = len(peers) >= self._minimum_cluster_size - 1
            self._view = ClusterView(
                peers=peers,
                available=enough and all(peer.has_credentials for peer in peers),
                clustered=enough and all(peer.clustered for peer in peers),
            )
        return self._view

    def peers(self) -> tuple[ClusterPeer, ...]:
        """Every joined peer, in unit-number order, with what it has sent so far."""
        return self.read().peers

    def is_connected(self) -> bool:
        """Whether any peer has joined (and is not departing in this hook)."""
        return bool(self.read().peers)

    def is_available(self) -> bool:
        """The legacy `available`: enough peers, and every one sent address, user, password."""
        return self.read().available

    def is_clustered(self) -> bool:
        """The legacy `clustered`: enough peers, and every one sent `unit-clustered`."""
        return self.read().clustered

    @property
    def all_joined_units(self) -> list[JoinedPeer]:
        """The joined peers as the legacy layer listed them, each with its `received` values."""
        relation = self.relation
        if relation is None:
            return []
        return [
            JoinedPeer(unit.name, self._read_unit(relation, unit).data)
            for unit in self._remote_units(relation)
        ]

    def malformed_units(self) -> list[MalformedUnit]:
        """The peers that sent malformed fields, which count as absent."""
        relation = self.relation
        if relation is None:
            return []
        found: list[MalformedUnit] = []
        for unit in self._remote_units(relation):
            problems = self._read_unit(relation, unit).problems
            if problems:
                found.append(
                    MalformedUnit(relation.id, unit.name, tuple(problems), _describe(problems))
                )
        return found

    def published(self) -> ClusterConnection | None:
        """What this unit sends its peers now, read from its databag, or None if nothing.

        It reads what a reactive build of the charm wrote, too. A malformed value reads None.
        """
        relation = self.relation
        if relation is None:
            return None
        databag = relation.data[self.model.unit]
        if not any(databag.get(key) for key in _WIRE_KEYS):
            return None
        peer = _read_databag(self.model.unit.name, databag).peer
        return ClusterConnection(
            cluster_address=peer.cluster_address,
            cluster_user=peer.cluster_user,
            cluster_password=peer.cluster_password,
            configure_ready=peer.configure_ready,
            clustered=peer.clustered,
        )

    # Writing this unit's databag.

    def set_cluster_connection_info(
        self,
        cluster_address: str,
        cluster_user: str,
        cluster_password: str,
        cluster_host: str | None = None,
    ) -> None:
        """Send this unit's cluster address, user and password to its peers.

        Also writes `ingress-address` and `private-address`, as the legacy layer did: the
        `cluster_host` given, else this unit's bind address on the peer endpoint.

        Args:
            cluster_address: where peers reach this unit's MySQL instance.
            cluster_user: the clustering user name (1 to 32 characters).
            cluster_password: its password (1 to 1024 characters, no control characters).
            cluster_host: the address to write in place of the bind address, or None.

        Raises:
            ValueError: a value is invalid; nothing is written. The message never holds the
                password.
        """
        sent = _validated(
            _SentConnection,
            {
                "cluster_address": cluster_address,
                "cluster_user": cluster_user,
                "cluster_password": cluster_password,
                "cluster_host": cluster_host,
            },
        )
        relation = self._relation_to_write("set_cluster_connection_info")
        if relation is None:
            return
        host = sent.cluster_host or self._bind_address(relation)
        password = sent.cluster_password.get_secret_value()
        self._write(
            relation,
            {
                _ADDRESS_KEY: _encode_json(sent.cluster_address),
                _USER_KEY: _encode_json(sent.cluster_user),
                _PASSWORD_KEY: _encode_json(password),
                **(dict.fromkeys(_ADDRESS_KEYS, host) if host else {}),
            },
        )

    def set_unit_configure_ready(self) -> None:
        """Tell the peers this unit has created their cluster users (`unit-configure-ready`)."""
        relation = self._relation_to_write("set_unit_configure_ready")
        if relation is not None:
            self._write(relation, {_CONFIGURE_READY_KEY: _encode_json(True)})

    def set_unit_clustered(self) -> None:
        """Tell the peers this unit has joined the cluster (`unit-clustered`)."""
        relation = self._relation_to_write("set_unit_clustered")
        if relation is not None:
            self._write(relation, {_CLUSTERED_KEY: _encode_json(True)})

    def withdraw_cluster_credentials(self) -> None:
        """Remove this unit's cluster user and password, keeping its cluster address.

        For a departing unit: the leader still needs the address to remove the instance.
        """
        relation = self._relation_to_write("withdraw_cluster_credentials")
        if relation is not None:
            self._write(relation, {_USER_KEY: "", _PASSWORD_KEY: ""})

    def _relation_to_write(self, method: str) -> ops.Relation | None:
        relation = self.relation
        if relation is None:
            # The legacy layer did the same: the peer relation exists from relation-created,
            # before the start hook, until the application is removed.
            logger.warning("%s: no %s peer relation yet (or any more)", method, INTERFACE)
        return relation

    def _bind_address(self, relation: ops.Relation) -> str | None:
        """This unit's bind address on the endpoint; None if Juju cannot tell it now."""
        try:
            address = self.model.get_binding(relation).network.bind_address
        except ops.ModelError:
            # Then Juju's own address keys stay, which hold the same address once it can.
            logger.warning("%s: network-get failed; the address keys stay Juju's", INTERFACE)
            return None
        return None if address is None else str(address)

    def _write(self, relation: ops.Relation, values: Mapping[str, str]) -> None:
        """Write each value that differs ("" removes a key); a hook sees it at once."""
        databag = relation.data[self.model.unit]
        for key, value in values.items():
            if databag.get(key, "") != value:
                databag[key] = value

    # Reading the peers: once per hook each.

    def _peers(self, relation: ops.Relation) -> tuple[ClusterPeer, ...]:
        return tuple(self._read_unit(relation, unit).peer for unit in self._remote_units(relation))

    def _remote_units(self, relation: ops.Relation) -> list[ops.Unit]:
        """The peers in unit-number order, leaving out one that departs in this hook.

        None while this unit is leaving, or the relation is being broken. A unit without a
        databag is left out: during relation-departed, some ops releases list the departing
        unit in `relation.units` but not in `relation.data`.
        """
        if self._leaving or relation.id == self._broken:
            return []
        return sorted(
            (
                unit
                for unit in relation.units
                if (relation.id, unit.name) != self._departing and unit in relation.data
            ),
            key=_unit_number,
        )

    def _read_unit(self, relation: ops.Relation, unit: ops.Unit) -> _PeerRead:
        read = self._reads.get(unit.name)
        if read is None:
            read = self._reads[unit.name] = _read_databag(unit.name, relation.data[unit])
            if read.problems:
                self._warn(relation.id, unit.name, read.problems)
        return read

    def _warn(self, relation_id: int, unit_name: str, problems: dict[str, str]) -> None:
        if (unit_name, tuple(problems)) in self._warned:
            return  # once per hook is enough
        self._warned.add((unit_name, tuple(problems)))
        logger.warning(
            "%s relation %d: ignoring what %s sent as %s: %s",
            INTERFACE,
            relation_id,
            unit_name,
            ", ".join(problems),
            _describe(problems),
        )

    # Turning the view into events.

    def _on_relation_event(self, event: ops.RelationEvent) -> None:
        departing: ops.Unit | None = getattr(event, "departing_unit", None)
        if departing is None:
            self._start_view()
        else:
            if departing.name == self.model.unit.name:
                self._start_leaving()
            self._start_view(departing=(event.relation.id, departing.name))
        # While leaving the view is empty: reconciling only ends what was announced.
        self._reconcile(event.relation)

    def _on_relation_broken(self, event: ops.RelationBrokenEvent) -> None:
        self._start_view(broken=event.relation.id)
        self._reconcile(event.relation)
        self._stored.relations.pop(str(event.relation.id), None)

    def _on_upgrade_charm(self, _: ops.UpgradeCharmEvent) -> None:
        # A unit refreshed from the reactive charm has no record yet: what holds is announced
        # now, so that its end is announced later.
        self._start_view()
        relation = self.relation
        current = set[str]() if relation is None else {str(relation.id)}
        for key in set(self._stored.relations) - current:
            del self._stored.relations[key]
        if relation is not None:
            self._reconcile(relation)

    def _start_leaving(self) -> None:
        """This unit is going: from now on the view holds no peer, and no state starts."""
        self._lifecycle.leaving = self._leaving = True

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        """Begin the view of a new hook (or event, under Harness): forget what was read."""
        self._departing, self._broken = departing, broken
        self._reads.clear()
        self._view = None

    def _reconcile(self, relation: ops.Relation) -> None:
        """Emit the events for how the relation's state differs from what was last announced."""
        view = self.read() if relation.id != self._broken else ClusterView()
        key = str(relation.id)
        before = self._stored.relations.get(key, _NOTHING_ANNOUNCED)
        addresses = self._addresses(view.peers, before["addresses"])
        ready = {
            peer.unit_name: str(peer.cluster_address)
            for peer in view.peers
            if peer.configure_ready and peer.cluster_address is not None
        }
        moved, announced = _moves(_announced(before), addresses, ready)
        available = _credentials_digest(view.peers) if view.available else None
        record = {
            "connected": bool(view.peers),
            "available": available,
            "clustered": view.clustered,
            "addresses": addresses,
            "ready": ready,
            "announced": announced,
        }
        if record != before:  # an unchanged record is not saved again: it grows with the peers
            self._stored.relations[key] = record
        self._emit(relation, view, before, record, moved)

    def _addresses(
        self, peers: tuple[ClusterPeer, ...], before: Mapping[str, str]
    ) -> dict[str, str]:
        """Each joined peer's last valid address: a departing peer's may be unreadable."""
        return {
            peer.unit_name: peer.cluster_address or before.get(peer.unit_name, "")
            for peer in peers
        }

    def _emit(
        self,
        relation: ops.Relation,
        view: ClusterView,
        before: Mapping[str, Any],
        record: Mapping[str, Any],
        moved: Mapping[str, str],
    ) -> None:
        for unit_name, (address, has_moved) in self._gone(relation, before, record, moved):
            self.on.peer_departed.emit(relation, unit_name, address, has_moved)
        if before["clustered"] and not view.clustered:
            self.on.unclustered.emit(relation)
        if before["available"] and not view.available:
            self.on.unavailable.emit(relation)
        if before["connected"] and not view.peers:
            self.on.disconnected.emit(relation)
        if view.peers and not before["connected"]:
            self.on.connected.emit(relation)
        available = record["available"]
        if available is not None and available != before["available"]:
            self.on.available.emit(relation, view.members)
        for unit_name, address in record["ready"].items():
            if before["ready"].get(unit_name) != address:
                self.on.peer_configure_ready.emit(relation, unit_name, address)
        if view.clustered and not before["clustered"]:
            self.on.clustered.emit(relation)

    def _gone(
        self,
        relation: ops.Relation,
        before: Mapping[str, Any],
        record: Mapping[str, Any],
        moved: Mapping[str, str],
    ) -> list[tuple[str, tuple[str | None, bool]]]:
        """The peers whose instance is gone from where it was, in unit-number order.

        Each with the address it is gone from, and whether the peer moved rather than left.
        """
        gone: dict[str, tuple[str | None, bool]] = {
            unit_name: (address, True) for unit_name, address in moved.items()
        }
        # When this unit is the one leaving, its peers leave its view but stay in the cluster;
        # so do they when the relation is broken (this unit leaving, or the application).
        if not self._leaving and relation.id != self._broken:
            for unit_name in set(before["addresses"]) - set(record["addresses"]):
                gone[unit_name] = (before["addresses"][unit_name] or None, False)
        return sorted(gone.items(), key=lambda item: _unit_name_number(item[0]))


def _announced(before: Mapping[str, Any]) -> Mapping[str, str]:
    """The addresses `peer_configure_ready` announced that no event has named again since.

    A record saved by LIBPATCH 2 or earlier lacks them: it announced the ready peers' then.
    """
    return before.get("announced", before["ready"])


def _moves(
    announced: Mapping[str, str], addresses: Mapping[str, str], ready: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The peers that moved from an announced address, and what stays announced after.

    A peer still joined moved when its last valid address is no longer the one announced;
    a peer no longer joined departed, which `peer_departed` says otherwise (or nothing says,
    when this unit leaves: the peers stay in the cluster). Once `peer_departed` names an
    announced address, it is no longer announced; a ready peer's current address is.
    """
    moved: dict[str, str] = {}
    kept: dict[str, str] = {}
    for unit_name, address in announced.items():
        if unit_name not in addresses:
            continue  # departed, or out of this unit's view
        if addresses[unit_name] == address:
            kept[unit_name] = address
        else:
            moved[unit_name] = address
    return moved, {**kept, **ready}


_NOTHING_ANNOUNCED: dict[str, Any] = {
    "connected": False,
    "available": None,
    "clustered": False,
    "addresses": {},
    "ready": {},
    "announced": {},
}


# --- Test helpers for charm authors --------------------------------------------------------
# They build `ops.testing` objects, and import it only when called: a deployed charm does not
# ship ops.testing.

ClusterStage = Literal["joined", "credentials", "configure-ready", "clustered"]
"""How far a unit has gone in the handshake: each stage includes the ones before it."""

_STAGES: tuple[ClusterStage, ...] = ("joined", "credentials", "configure-ready", "clustered")
_TEST_ADDRESS = ipaddress.IPv4Address("10.5.0.7")
TEST_CLUSTER_USER = "clusteruser"
"""The cluster user the test helpers' units send."""
TEST_CLUSTER_PASSWORD = "cluster-password-for-testing"  # noqa: S105 - a test value, by design
"""The cluster password the test helpers' units send."""


def _test_address(unit_number: int) -> str:
    """Unit `n`'s address in the test helpers: `10.5.0.7` plus `n`."""
    return str(_TEST_ADDRESS + unit_number)


def cluster_databag_for_testing(
    unit_number: int, stage: ClusterStage = "clustered", *, reactive_leader: bool = False
) -> dict[str, str]:
    """The databag a unit writes on the peer relation at a stage of the handshake.

    Exactly the legacy layer's bytes: the JSON values, and the unit's address in Juju's
    keys. Unit `n`'s address is `10.5.0.7` plus `n`. A `reactive_leader` never sends
    `unit-clustered`, as the reactive leader did not.

    Raises:
        ValueError: `stage` is not a stage of the handshake.
    """
    if stage not in _STAGES:
        raise ValueError(f"stage must be one of {', '.join(_STAGES)}")
    address = _test_address(unit_number)
    databag: dict[str, str] = dict.fromkeys(_ADDRESS_KEYS, address)
    databag["egress-subnets"] = f"{address}/32"
    reached = _STAGES.index(stage)
    if reached >= 1:
        databag[_ADDRESS_KEY] = _encode_json(address)
        databag[_USER_KEY] = _encode_json(TEST_CLUSTER_USER)
        databag[_PASSWORD_KEY] = _encode_json(TEST_CLUSTER_PASSWORD)
    if reached >= 2:
        databag[_CONFIGURE_READY_KEY] = _encode_json(True)
    if reached >= 3 and not reactive_leader:
        databag[_CLUSTERED_KEY] = _encode_json(True)
    return databag


def cluster_network_for_testing(
    unit_number: int = 0, endpoint: str = "cluster"
) -> testing.Network:
    """The peer endpoint's network of unit `unit_number`, bound to that unit's test address.

    ops.testing binds every unit to `192.0.2.0`; this binds unit `n` to the address its
    `cluster_databag_for_testing` databag holds (`10.5.0.7` plus `n`), as Juju would. Put it
    in the state (`testing.State(networks={...})`) of a test whose charm writes its bind
    address (`set_cluster_connection_info()` without `cluster_host`, in `upgrade-charm` say),
    so that the charm writes the address the test's databags already hold.
    """
    from ops import testing

    address = _test_address(unit_number)
    return testing.Network(
        endpoint,
        bind_addresses=[testing.BindAddress([testing.Address(address)])],
        ingress_addresses=[address],
        egress_subnets=[f"{address}/32"],
    )


def cluster_relation_for_testing(
    endpoint: str = "cluster",
    *,
    peers: int = 2,
    stage: ClusterStage = "clustered",
    local_stage: ClusterStage | None = None,
    reactive_leader: int | None = None,
    unit_id: int = 0,
) -> testing.PeerRelation:
    """An `ops.testing` peer relation of the unit under test and `peers` peers.

    The unit under test is unit `unit_id`, as given to `testing.Context(unit_id=...)`: 0 by
    default, another number to test this unit departing (ops.testing cannot name unit 0 the
    departing unit). The peers are the `peers` lowest other unit numbers, each at `stage` of
    the handshake, with the data `cluster_databag_for_testing` gives; the unit under test
    is at `local_stage`, or has Juju's keys only. `reactive_leader`, a unit number (the unit
    under test's included), makes that unit the reactive leader, which never sends
    `unit-clustered`.

    Raises:
        ValueError: a stage is not a stage of the handshake, or `reactive_leader` is not
            the number of a unit of the relation.
    """
    from ops import testing

    numbers = [number for number in range(peers + 1) if number != unit_id][:peers]
    if reactive_leader is not None and reactive_leader not in (unit_id, *numbers):
        raise ValueError("reactive_leader must be the number of a unit of the relation")
    peers_data = {
        number: cluster_databag_for_testing(
            number, stage, reactive_leader=number == reactive_leader
        )
        for number in numbers
    }
    local = cluster_databag_for_testing(
        unit_id, local_stage or "joined", reactive_leader=reactive_leader == unit_id
    )
    return testing.PeerRelation(
        endpoint, interface=INTERFACE, peers_data=peers_data, local_unit_data=local
    )
