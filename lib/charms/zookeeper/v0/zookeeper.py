# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Wire-compatible `ops` library for the legacy `zookeeper` interface.

An `ops` replacement for the reactive `interface-zookeeper` layer. A charm that uses it
keeps talking to charms still running the legacy layer, in both directions, byte for byte.

- `ZookeeperRequires` is for zookeeper clients, such as kafka (the legacy requires side).
- `ZookeeperProvides` is for zookeeper itself (the legacy provides side).

## Getting started

The library ships as the Python package `legacy-interfaces-zookeeper`, built from this very
file, which it installs at its import path with its dependencies. Depend on it as the charm
declares its other dependencies: `legacy-interfaces-zookeeper>=0.5` in `requirements.txt`
(charmcraft's `charm` plugin), or in `pyproject.toml`'s `dependencies` (the `uv` and
`poetry` plugins); the `python` plugin installs no dependency of a package by itself, so
give it a requirements file that lists them all, exported from the charm's lock. Or copy
this file to the charm's `lib/charms/zookeeper/v0/` and depend on `pydantic>=2`.

`charmcraft fetch-lib` cannot bring it: Charmhub registers no new libraries, and a library's
name belongs to the Charmhub charm it is named after; on Charmhub, the `charms.zookeeper`
names belong to a data-platform charm, which speaks another protocol. Choose one way per
library: two files with one import path shadow each other on `sys.path`. A charm's test can
make sure it imports this one:
`assert charms.zookeeper.v0.zookeeper.LIBID == "f6ea90f942984fffa336247ac31552b0"`.

Both roles' conventional endpoint name is `zookeeper`. A client declares:

```yaml
requires:
  zookeeper:
    interface: zookeeper
```

## Requirer example

The safe default is one handler that configures from what the relation offers now:

```python
from pathlib import Path

import ops

from charms.zookeeper.v0.zookeeper import ZookeeperRequires

# Where the workload reads its zookeeper connection string.
ZOOKEEPER_CONNECT_FILE = Path("/etc/my-app/zookeeper-connect")


class ClientCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperRequires(self)
        for event in (
            self.on.config_changed,
            self.zookeeper.on.available,
            self.zookeeper.on.unavailable,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _reconcile(self, _: ops.EventBase):
        relations = self.zookeeper.relations  # oldest first
        if not relations:
            return  # no zookeeper (any more); this workload keeps its last settings
        # Each relation is one zookeeper ensemble: use one, never a mix of two.
        offer = self.zookeeper.read(relations[0])
        if offer.units:
            ZOOKEEPER_CONNECT_FILE.write_text(offer.connect_string)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        for other in self.zookeeper.other_protocols():  # related to a charm it cannot read
            event.add_status(ops.BlockedStatus(str(other)))
        if len(self.zookeeper.relations) > 1:
            event.add_status(ops.BlockedStatus("related to two zookeepers; remove one"))
        if not self.zookeeper.is_available():
            event.add_status(ops.WaitingStatus("waiting for zookeeper"))
        event.add_status(ops.ActiveStatus())
```

`connect_string` joins each unit's `address`, `host:port` with an IPv6 host in brackets
(`[fd00::5]:2181`): write it as it is. Each relation is one zookeeper ensemble, so the
example reads its oldest relation alone (`read()` without a relation spans them all).

**Goal**, as deployed (two units beside a reactive zookeeper on IPv6; each side scaled up
and down, the leader replaced, then a refresh from the reactive charm): every unit is
Active, with the ensemble's connect string (IPv6 addresses in brackets) in
`/etc/my-app/zookeeper-connect`; with a second zookeeper related, every unit is Blocked and
keeps the first ensemble's string.

The legacy `joining` and `departing` states, dismissed by the charm, are kept as queues:
a charm that handles them later (in `update-status`, say) lists and dismisses them (a charm
that never does, as above, pays little for them: see "The legacy queues" below):

```python
for unit in self.zookeeper.joining_units():
    self.unit.status = ops.MaintenanceStatus(f"adding {unit.unit_name}")
self.zookeeper.dismiss_joining()
for unit_name in self.zookeeper.departing_units():
    self.unit.status = ops.MaintenanceStatus(f"removing {unit_name}")
self.zookeeper.dismiss_departing()
```

## Provider example

A zookeeper charm declares:

```yaml
provides:
  zookeeper:
    interface: zookeeper
```

```python
import ops

from charms.zookeeper.v0.zookeeper import ZookeeperProvides


class ZookeeperCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.zookeeper = ZookeeperProvides(self)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        # Written on every relation of the endpoint, and on each one made later.
        self.zookeeper.send_connection(2181, rest_port=9998)
```

What the charm sends is kept in the unit's stored state, so it survives restarts and reaches
relations made later, from their relation-created hook (a test that starts a new relation at
relation-joined finds nothing written yet). `clear_connection()` withdraws it from every
relation.

**Goal**, as deployed (two units beside an `ops` client of this library; each side scaled up
and down, the leader replaced, then a refresh from the reactive charm): every client unit
reads a connect string naming every zookeeper unit.

## Events

Each event fires when its state becomes true, or when its payload changes; never twice for
the same payload. Each has a counterpart for "stopped being true". All are per relation,
and carry `relation`.

Requirer (`ZookeeperRequires.on`):

- `connected` (`ZookeeperConnected`): the first zookeeper unit joined.
- `joining` (`ZookeeperJoining`): a zookeeper unit became usable (it sent a port, and its
  host is known), or its host or ports changed. Payload: `zookeeper` (a `ZookeeperUnit`),
  also as `unit_name`, `host`, `port`, `rest_port`.
- `available` (`ZookeeperAvailable`): some unit is usable, or the usable units changed.
  Payload: `units`, a tuple of `ZookeeperUnit` in unit-number order.
- `departing` (`ZookeeperDeparting`): a usable unit departed, or withdrew its port.
  Payload: `unit_name`.
- `unavailable` (`ZookeeperUnavailable`): no unit is usable any more.
- `disconnected` (`ZookeeperDisconnected`): the last unit departed, or the relation broke.

Provider (`ZookeeperProvides.on`):

- `connected` (`ZookeeperClientConnected`): the first unit of a client joined.
- `available` (`ZookeeperClientAvailable`): a client is related and this unit's port is on
  that relation (in this unit's databag, whoever wrote it: after a refresh from the
  reactive charm, that charm's data counts). The legacy layer set its `available` state on
  any relation-changed without checking anything; this one is true on the wire.
- `unavailable` (`ZookeeperClientUnavailable`): no longer so.
- `disconnected` (`ZookeeperClientDisconnected`): the client's last unit departed, or the
  relation broke.

**Order.** Within one hook, relation by relation (oldest first), the ends come first, then
the starts: `departing` (per unit), `unavailable`, `disconnected`, `connected`, `joining`
(per unit, in unit-number order), `available`. So `available` carries every unit whose
`joining` ran before it in the hook.

**Deferral.** A deferred event carries the payload it was emitted with; compare it with
`read(event.relation)`, or use the holistic style above.

**Refresh from the reactive charm.** The library reconciles in the `upgrade-charm` hook
(and in any hook of a relation it has no record of): the "became true" events fire there for
what already holds, so that the ends fire later. The `joining_units()` queue then lists every
usable unit once.

**The leaving unit.** From the first hook in which Juju names this unit as the departing
one (in relation-departed of a relation of the endpoint: the unit is being removed), every
state of the endpoint ends, in the order above, once, and nothing starts again, on either
side: not on new data, not in `upgrade-charm`, not when the charm sends its port. The view
holds no relation, every query answers "nothing", and a provider writes nothing more. The
`departing` events name each usable unit once; the legacy queues are emptied, and
`joining_units()` and `departing_units()` stay empty: the zookeeper units did not leave,
this unit left them, and a charm acting on the queues has nothing to add or remove while it
goes. A charm acting on `available` never acts while its unit is leaving.

**One view per hook.** During relation-departed the departing unit is gone for every query
as well as for the events, from the start of the hook: the handlers of deferred events,
which ops runs first, see the same view. During relation-broken the broken relation is
gone, from the start of the hook too: `read(relation)` of it offers nothing. Each remote
databag is read and validated at most once per hook.

**The legacy queues.** `joining_units()` lists the units that became usable since
`dismiss_joining()` and still are; `departing_units()` the units that departed or withdrew
their port since `dismiss_departing()`. The queues live in the unit's stored state, which
must not grow with the churn when the charm never dismisses them (as the first example):
so of the units that became usable and departed again between two dismissals (of either
queue), which no dismissal saw in `joining_units()`, the departing queue keeps the last 16.
A charm that lists and dismisses the queues every few minutes, as the example above, misses
none; one that never dismisses them keeps the current units and 16 departed ones (names
queued by LIBPATCH 2 or earlier stay until dismissed).

## Queries

- `read(relation=None)` returns a frozen `ZookeeperOffer` whose `units` are the usable
  zookeeper units (`ZookeeperUnit`: `unit_name`, `host`, `port: int`, `rest_port: int | None`,
  and `address`, `host:port` with an IPv6 host in brackets), over the relations oldest
  first, each in unit-number order; its `connect_string` joins their addresses.
- `is_connected()`, `is_available()`.
- The legacy getters, in the legacy value types (strings): `get_zookeeper_units()` returns
  `[(host, port), ...]`, and `zookeepers()` returns `[{"host", "port", "rest_port"}, ...]`
  (`rest_port` None when not sent).
- `joining_units()` (typed units still usable) and `departing_units()` (unit names) list
  what joined or departed since `dismiss_joining()` / `dismiss_departing()`.
- `malformed_units()` lists the remote units that sent malformed fields.
- `other_protocols()` lists the relations whose application speaks another protocol under
  the same interface name (an `OtherProtocol` each: `relation_id`, `app_name`, `keys`,
  `protocol`; `str()` fits a status). See "Another protocol" below.
- `ZookeeperProvides.published()` returns what this unit sends, as a `ZookeeperConnection`.
- `ZookeeperProvides.is_available()` says whether a client has joined a relation on which this
  unit's port is: the state of the provider's `available`.

## Migrating from the reactive layer

The deployed layer (since March 2016) sets `joined` and `ready`; charms written against its
first version, in early 2016, use `connected`, `available`, `joining` and `departing`. Both
generations are mapped; the interface spec lists every name with its source.

| legacy (`interface-zookeeper`) | here |
|---|---|
| `@when('zookeeper.joined')` | `on.connected`; `is_connected()` |
| `@when('zookeeper.ready')`, run again in every hook | a handler calling `read()` |
| first: `@when('zookeeper.connected')` | `on.connected`; `is_connected()` |
| first: `@when('zookeeper.available')`, run again in every hook | a handler calling `read()` |
| first: `@when('zookeeper.joining')` then `dismiss_joining()` | `on.joining`, or the queue |
| first: `@when('zookeeper.departing')` then `dismiss_departing()` | `on.departing`, or the queue |
| `zookeepers()` | the same, or `read().units` |
| first: `get_zookeeper_units()` | the same, or `read().units` |
| first: `get_zookeeper_ip()`, `get_zookeeper_port()` | `read().units[0].host`, `.port` |
| provider `send_connection(port, rest_port, host)` | the same, once for all relations |
| provider `send_port()`, the same arguments (first: `port` only) | the same |
| provider `@when('zookeeper.joined')` | `ZookeeperProvides.on.connected` |
| provider `@when('zookeeper.ready')` | `ZookeeperProvides.on.available`; `is_available()` |
| provider first: `'zookeeper.connected'`, `'zookeeper.available'` | the same two events |

A unit that becomes leader after an event fired never sees it: leader-only logic asks the
queries in `leader_elected` as well.

For a charm's unit tests, `zookeeper_relation_for_testing()` and
`client_relation_for_testing()` return `ops.testing` relations holding valid legacy data.

## Wire format

Every zookeeper unit writes its own unit databag on every relation of the endpoint; the
client writes nothing. All values are raw strings.

| key | value |
|---|---|
| `port` | the client port, such as `2181` |
| `rest_port` | the REST port, such as `9998`; absent if not given |
| `host` | absent unless the charm gave one; readers use the unit's `private-address` |

A value that a legacy build JSON-quoted (`"2181"`) is read as the plain string.

## Errors

- Bad data from the remote side never raises and never fails a hook. Each malformed field
  counts as absent on its own. A WARNING names the relation, unit and fields (never a
  value), and `malformed_units()` lists them. A unit without a valid port, or without a
  valid host or `private-address`, is not usable.
- **Another protocol.** The data-platform ZooKeeper charms also declare `interface:
  zookeeper`, but speak another protocol: their units write nothing a legacy client reads,
  and their application databag holds `endpoints`, `uris`, `username`, `password`, `chroot`.
  Juju relates them to this library without complaint. When units of a relation joined but
  none is usable, and the remote application databag holds keys of that protocol, the
  library logs a WARNING that names the application, the protocol and the keys (never a
  value: one is a password), once per hook of that relation, and `other_protocols()` names
  the relation, for the charm's status. The application databag is read only then, once per
  hook, and only for whether those keys are there.
- Bad input from the charm raises `ValueError` before anything is written or stored: a port
  outside 1 to 65535, a port that is neither an integer nor a string of digits (a bool, a
  float, bytes), a host that is not a host name or an IP address.

## Changelog

- LIBPATCH 1 (2026-11-22): first release; both roles of the legacy `zookeeper` interface.
- LIBPATCH 2 (2026-11-23): in relation-departed, the departing unit is left out from the
  start of the hook (Juju's `JUJU_DEPARTING_UNIT`), so the handlers of deferred events that
  ops runs before the hook's own event no longer see it where Juju, or a test's state, still
  lists it. The test helpers give Juju's `egress-subnets` as a CIDR (`10.0.9.5/32`), as Juju
  writes it. New: `ZookeeperProvides.is_available()`, the query of the provider's
  `available` state.
- LIBPATCH 3 (2026-12-07): the leaving unit: from the first hook in which Juju names this
  unit as the departing one, every state of both roles ends, once, and none starts again
  (the provider announced `available` there when the charm sent its port); the legacy queues
  are then empty. During relation-broken the broken relation is gone from the start of the
  hook. The legacy queues no longer keep every unit ever seen: of the units that became
  usable and departed between two dismissals, the departing queue keeps the last 16, so the
  stored state stays as small as the relations. New: `other_protocols()` and a WARNING name
  a related data-platform ZooKeeper charm, which speaks another protocol under the same
  interface name. The hook's relation is read from `JUJU_RELATION` too, and a dispatch path
  with underscores, as ops.testing of the ops 2 era sets them.
- LIBPATCH 4 (2026-12-07): the migration table maps both generations of the layer's flags:
  `joined` and `ready`, which the deployed layer sets on both sides, beside the first
  version's `connected`, `available`, `joining` and `departing`. `send_port()` takes a
  `host` too, as the deployed layer's alias of `send_connection()` did. New:
  `ZookeeperUnit.address` (`host:port`, an IPv6 host in brackets) and
  `ZookeeperOffer.connect_string`; the requirer example writes one relation's connect string
  with them, where it joined `host:port` by hand (unusable for IPv6) over every relation
  (two ensembles in one string). The docstrings say that what a provider sets reaches a
  relation made later from that relation's relation-created hook.
- LIBPATCH 5 (2026-12-07): docs only: each example says the goal it reaches when deployed
  through a lifecycle (units added and removed on both sides, leadership moved, a refresh
  from the reactive charm). The changelog's entries carry their dates.  Getting started
  names the Python package as the way to depend on the library, says why `charmcraft
  fetch-lib` cannot, and how a charm's test tells this file from another with its import
  path (its `LIBID`).
"""

from __future__ import annotations

import abc
import dataclasses
import hashlib
import ipaddress
import json
import logging
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

import ops
import pydantic

if TYPE_CHECKING:
    from ops import testing

# The unique Charmhub library identifier, never change it
LIBID = "f6ea90f942984fffa336247ac31552b0"

# Increment this major API version when introducing breaking changes
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version
LIBPATCH = 5

PYDEPS = ["pydantic>=2"]

logger = logging.getLogger(__name__)

INTERFACE = "zookeeper"

# Upper bound on what a remote unit may send for a host, so a hostile unit cannot make the
# charm hold or log megabytes.
_MAX_HOST = 253
_PORT = re.compile(r"[1-9][0-9]{0,4}")  # no leading zeros: one spelling per port
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A pattern rather than ipaddress.IPv4Address: every remote unit's private-address is
# checked in every hook, and the pattern costs a fraction of it.
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


# --- Wire codec: every zookeeper key is raw ------------------------------------------------


def _decode_raw(value: str) -> str:
    """Read a raw value, also accepting one that a legacy build JSON-quoted."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        try:
            # JSON text that starts and ends with a quote can only be a string.
            return str(json.loads(value))
        except ValueError:
            return value
    return value


def _encode_raw(value: Any) -> str:
    """Write a raw value; None becomes "", which Juju takes as "delete the key"."""
    return "" if value is None else str(value)


# --- Validation ----------------------------------------------------------------------------
# Messages name what is wrong and never echo the value. The same checks serve the charm's
# input (where a failure is a ValueError) and remote data (where the value counts as absent).


def _parse_port(value: object) -> int:
    """A port from an integer, or from a string of digits as the wire holds it."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be an integer or a string of digits")
    if isinstance(value, str):
        if not _PORT.fullmatch(value):
            raise ValueError("must be a port number, such as 2181")
        value = int(value)
    if not 1 <= value <= 65535:
        raise ValueError("must be a port from 1 to 65535")
    return value


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


Port = Annotated[int, pydantic.BeforeValidator(_parse_port)]
Host = Annotated[str, pydantic.AfterValidator(_check_host)]


class ZookeeperConnection(_WireModel):
    """What a zookeeper unit sends: its ports and, if given, its host."""

    port: Port
    rest_port: Port | None = None
    host: Host | None = None


class ZookeeperProviderData(_WireModel):
    """A zookeeper unit's databag as a client reads it, Juju's `private-address` included."""

    port: Port | None = None
    rest_port: Port | None = None
    host: Host | None = None
    private_address: Host | None = pydantic.Field(default=None, alias="private-address")


_WIRE_KEYS = ("port", "rest_port", "host", "private-address")


class ZookeeperUnit(_WireModel):
    """A usable zookeeper unit: where a client reaches it."""

    unit_name: str
    host: Host
    port: Port
    rest_port: Port | None = None

    @property
    def address(self) -> str:
        """`host:port`, ready for a connect string: an IPv6 host in brackets.

        `fd00::5` and 2181 give `[fd00::5]:2181`; `host` stays bare, as Juju writes it.
        """
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclasses.dataclass(frozen=True)
class ZookeeperOffer:
    """What an endpoint offers, typed: the usable zookeeper units, in order."""

    units: tuple[ZookeeperUnit, ...] = ()

    @property
    def connect_string(self) -> str:
        """The units' `address`es joined by commas, as zookeeper clients take them; "" if none.

        Read it from one relation (`read(relation)`): one zookeeper ensemble each.
        """
        return ",".join(unit.address for unit in self.units)


class MalformedUnit(NamedTuple):
    """A remote unit some of whose fields are malformed, and so count as absent.

    Its other fields still count. `str()` gives a line fit for a charm's status.
    """

    relation_id: int
    unit_name: str
    fields: tuple[str, ...]
    reason: str
    """Each bad field and what is wrong with it; never the value."""

    def __str__(self) -> str:
        return f"{self.unit_name} sent a malformed {', '.join(self.fields)}"


class OtherProtocol(NamedTuple):
    """A related application that speaks another protocol under the `zookeeper` name.

    Juju relates any two endpoints of the same interface name, so the library can be related
    to a charm it cannot talk to. `str()` gives a line fit for a charm's status.
    """

    relation_id: int
    app_name: str
    keys: tuple[str, ...]
    """The keys of that protocol found in the application's databag; never their values."""
    protocol: str = "data-platform zookeeper"
    """Which protocol: the only one recognised is that of the data-platform ZooKeeper charms."""

    def __str__(self) -> str:
        return f"{self.app_name} speaks the {self.protocol} protocol, not the legacy one"


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
    logger.warning("a deferred zookeeper event carries data this library now refuses: %s", problem)
    return model.model_construct(**json.loads(payload))


class _UnitsPayload(_WireModel):
    """The payload of `ZookeeperAvailable`, as one model so it snapshots as JSON."""

    units: tuple[ZookeeperUnit, ...]


# --- Events --------------------------------------------------------------------------------


class _ZookeeperRelationEvent(ops.EventBase):
    """An event about one relation of the endpoint; it snapshots the relation's name and id."""

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


class ZookeeperConnected(_ZookeeperRelationEvent):
    """The first zookeeper unit joined the relation."""


class ZookeeperDisconnected(_ZookeeperRelationEvent):
    """The last zookeeper unit departed, or the relation was broken."""


class ZookeeperUnavailable(_ZookeeperRelationEvent):
    """No zookeeper unit of the relation is usable any more."""


class ZookeeperJoining(_ZookeeperRelationEvent):
    """A zookeeper unit became usable, or its host or ports changed.

    The payload is the one at emit time: a deferred event may carry an outdated one.
    """

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        unit_name: str,
        host: str,
        port: int,
        rest_port: int | None = None,
    ):
        super().__init__(handle, relation)
        self.zookeeper = _validated(
            ZookeeperUnit,
            {"unit_name": unit_name, "host": host, "port": port, "rest_port": rest_port},
        )

    @property
    def unit_name(self) -> str:
        """The name of the zookeeper unit, such as `zookeeper/0`."""
        return self.zookeeper.unit_name

    @property
    def host(self) -> str:
        """Where the unit is reached: its `host`, else its `private-address`."""
        return self.zookeeper.host

    @property
    def port(self) -> int:
        """The unit's client port."""
        return self.zookeeper.port

    @property
    def rest_port(self) -> int | None:
        """The unit's REST port, or None when it did not send one."""
        return self.zookeeper.rest_port

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self.zookeeper.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event."""
        super().restore(snapshot)
        self.zookeeper = _restored(ZookeeperUnit, snapshot["payload"])


class ZookeeperDeparting(_ZookeeperRelationEvent):
    """A usable zookeeper unit departed, or stopped being usable (it withdrew its port)."""

    def __init__(self, handle: ops.Handle, relation: ops.Relation, unit_name: str):
        super().__init__(handle, relation)
        self.unit_name = unit_name

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the unit's name when the event is deferred."""
        return {**super().snapshot(), "unit_name": self.unit_name}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the unit's name of a deferred event."""
        super().restore(snapshot)
        self.unit_name = str(snapshot["unit_name"])


class ZookeeperAvailable(_ZookeeperRelationEvent):
    """Some zookeeper unit of the relation is usable, or the usable units changed.

    The payload is the one at emit time: a deferred event may carry an outdated one.
    """

    def __init__(
        self, handle: ops.Handle, relation: ops.Relation, units: tuple[ZookeeperUnit, ...]
    ):
        super().__init__(handle, relation)
        self._payload = _UnitsPayload(units=units)

    @property
    def units(self) -> tuple[ZookeeperUnit, ...]:
        """The usable units of the relation, in unit-number order."""
        return self._payload.units

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self._payload.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event."""
        super().restore(snapshot)
        # Unit by unit: taken as announced, a unit must still be a ZookeeperUnit, not a dict.
        units = json.loads(snapshot["payload"])["units"]
        self._payload = _UnitsPayload.model_construct(
            units=tuple(_restored(ZookeeperUnit, json.dumps(unit)) for unit in units)
        )


class ZookeeperClientConnected(_ZookeeperRelationEvent):
    """The first unit of a client joined a relation of the provider's endpoint."""


class ZookeeperClientDisconnected(_ZookeeperRelationEvent):
    """The last unit of a client departed, or its relation was broken."""


class ZookeeperClientAvailable(_ZookeeperRelationEvent):
    """A client is related, and this unit's port is in its databag on that relation."""


class ZookeeperClientUnavailable(_ZookeeperRelationEvent):
    """The relation no longer has both a client unit and this unit's port."""


class ZookeeperRequiresEvents(ops.ObjectEvents):
    """The events of `ZookeeperRequires`."""

    connected = ops.EventSource(ZookeeperConnected)
    joining = ops.EventSource(ZookeeperJoining)
    available = ops.EventSource(ZookeeperAvailable)
    departing = ops.EventSource(ZookeeperDeparting)
    unavailable = ops.EventSource(ZookeeperUnavailable)
    disconnected = ops.EventSource(ZookeeperDisconnected)


class ZookeeperProvidesEvents(ops.ObjectEvents):
    """The events of `ZookeeperProvides`."""

    connected = ops.EventSource(ZookeeperClientConnected)
    available = ops.EventSource(ZookeeperClientAvailable)
    unavailable = ops.EventSource(ZookeeperClientUnavailable)
    disconnected = ops.EventSource(ZookeeperClientDisconnected)


# --- Reading remote databags ---------------------------------------------------------------


class _UnitRead(NamedTuple):
    """One remote databag, read: its valid fields, and the problems of the others."""

    data: ZookeeperProviderData
    problems: dict[str, str]


def _read_databag(databag: Mapping[str, str]) -> _UnitRead:
    """Validate each field on its own terms: a malformed value counts as absent, alone.

    A good databag is validated once; one with bad fields once more, without them.
    """
    raw = {key: databag.get(key) for key in _WIRE_KEYS}
    values = {key: _decode_raw(value) for key, value in raw.items() if value}
    try:
        return _UnitRead(ZookeeperProviderData.model_validate(values), {})
    except pydantic.ValidationError as error:
        problems = _problems(error)
    kept = {key: value for key, value in values.items() if key not in problems}
    return _UnitRead(ZookeeperProviderData.model_validate(kept), problems)


# What the data-platform ZooKeeper charms write in their APPLICATION databag, where the legacy
# protocol writes nothing: canonical/zookeeper-operator's `src/provider.py`
# (`apply_relation_data`) writes `username`, `password`, `chroot`, `endpoints` and `uris`; its
# `src/core/models.py` (`ZKClient`) adds `tls`; builds on data-platform-libs' `data_interfaces`
# name a Juju secret holding the credentials in `secret-user` (its `PROV_SECRET_PREFIX`,
# "secret-", and the group "user").
_OTHER_PROTOCOL_KEYS = (
    "endpoints",
    "uris",
    "chroot",
    "username",
    "password",
    "tls",
    "secret-user",
)


def _other_protocol_keys(relation: ops.Relation) -> tuple[str, ...]:
    """Which keys of the data-platform protocol the remote application's databag holds.

    Only their presence is looked at: whatever the values, nothing is parsed, kept or logged.
    """
    try:
        databag = relation.data[relation.app]
        return tuple(key for key in _OTHER_PROTOCOL_KEYS if databag.get(key))
    except (KeyError, ops.ModelError):  # not readable in this hook: nothing to recognise
        return ()


def _usable(unit: ops.Unit, data: ZookeeperProviderData) -> ZookeeperUnit | None:
    """The unit as a client reaches it, or None while it lacks a port or a host."""
    host = data.host or data.private_address
    if data.port is None or host is None:
        return None
    return ZookeeperUnit.model_construct(
        unit_name=unit.name, host=host, port=data.port, rest_port=data.rest_port
    )


def _fingerprint(unit: ZookeeperUnit) -> str:
    """What a `joining` event announced of a unit, compact, so stored state can tell a change."""
    return f"{unit.host} {unit.port} {unit.rest_port}"


def _units_digest(fingerprints: Mapping[str, str]) -> str:
    """One fingerprint of what an `available` event announced: every unit, in order."""
    text = "\n".join(f"{name} {fingerprint}" for name, fingerprint in fingerprints.items())
    return hashlib.sha256(text.encode()).hexdigest()


# --- What both roles share -----------------------------------------------------------------


def _check_endpoint(charm: ops.CharmBase, relation_name: str, role: ops.RelationRole) -> None:
    """Fail early, and clearly, when the charm's metadata does not declare the endpoint."""
    section = role.name  # "requires" or "provides", as in charmcraft.yaml
    expected = f"declare it in charmcraft.yaml under {section}: with interface: {INTERFACE}"
    endpoint = charm.meta.relations.get(relation_name)
    if endpoint is None:
        raise ValueError(f"the charm has no endpoint {relation_name!r}; {expected}")
    if endpoint.interface_name != INTERFACE:
        raise ValueError(
            f"endpoint {relation_name!r} has interface {endpoint.interface_name!r}; {expected}"
        )
    if endpoint.role != role:
        raise ValueError(
            f"endpoint {relation_name!r} is a {endpoint.role.name} endpoint; {expected}"
        )


def _unit_number(unit: ops.Unit) -> int:
    return int(unit.name.rpartition("/")[2])


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


class _ZookeeperEndpoint(ops.Object, metaclass=abc.ABCMeta):
    """What both roles share: the endpoint check, one view per hook, and reconciling.

    Each role reconciles its record of what it announced on every hook of the endpoint and
    on upgrade-charm. The view leaves out what the current hook says is leaving: the
    departing unit during relation-departed, the relation during relation-broken, and every
    relation once this unit is leaving. Every query and every event of the hook agree on it
    from the start of the hook: the constructor reads it from Juju's environment, before ops
    runs the handlers of deferred events.
    """

    _lifecycle = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str, role: ops.RelationRole):
        super().__init__(charm, relation_name)
        _check_endpoint(charm, relation_name, role)
        self._relation_name = relation_name
        self._lifecycle.set_default(leaving=False)
        if _leaving_in_this_hook(relation_name, self.model.unit.name):
            self._lifecycle.leaving = True
        # Whether this unit is going: kept, since only relation-departed hooks say so.
        self._leaving: bool = self._lifecycle.leaving
        # Known before any event: ops runs the deferred events' handlers first.
        self._departing = _departing_in_this_hook()
        self._broken = _broken_in_this_hook(relation_name)
        self._unit_lists: dict[int, list[ops.Unit]] = {}
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
    def relations(self) -> list[ops.Relation]:
        """The relations of the endpoint, oldest first; not one that is being broken.

        None once this unit is leaving (Juju named it as the departing unit).
        """
        if self._leaving:
            return []
        return sorted(
            (
                relation
                for relation in self.model.relations[self._relation_name]
                if relation.id != self._broken
            ),
            key=lambda relation: relation.id,
        )

    def is_connected(self) -> bool:
        """Whether any remote unit has joined (and is not departing in this hook)."""
        return any(self._remote_units(relation) for relation in self.relations)

    def _remote_units(self, relation: ops.Relation) -> list[ops.Unit]:
        """The remote units in unit-number order, leaving out what leaves in this hook.

        A unit without a databag is left out: during relation-departed, ops 2.17 to 2.23 list
        the departing unit in `relation.units` but not in `relation.data`.
        """
        if self._leaving or relation.id == self._broken:
            return []
        units = self._unit_lists.get(relation.id)
        if units is None:
            units = self._unit_lists[relation.id] = sorted(
                (
                    unit
                    for unit in relation.units
                    if (relation.id, unit.name) != self._departing and unit in relation.data
                ),
                key=_unit_number,
            )
        return units

    def _on_relation_event(self, event: ops.RelationEvent) -> None:
        departing: ops.Unit | None = getattr(event, "departing_unit", None)
        if departing is None:
            self._start_view()
        else:
            if departing.name == self.model.unit.name:
                self._start_leaving()
            self._start_view(departing=(event.relation.id, departing.name))
        if self._leaving:
            self._end_everything()
        else:
            self._reconcile(event.relation)

    def _on_relation_broken(self, event: ops.RelationBrokenEvent) -> None:
        self._start_view(broken=event.relation.id)
        if self._leaving:
            self._end_everything()
        else:
            self._reconcile(event.relation)
        self._drop_record(event.relation.id)

    def _on_upgrade_charm(self, _: ops.UpgradeCharmEvent) -> None:
        # A charm refreshed from its reactive version has no record yet: every state that
        # holds is announced now, so that its end is announced later.
        self._start_view()
        current = {relation.id for relation in self.model.relations[self._relation_name]}
        for relation_id in self._recorded_ids() - current:
            self._drop_record(relation_id)
        if self._leaving:
            self._end_everything()
        for relation in self.relations:
            self._reconcile(relation)

    def _start_leaving(self) -> None:
        """This unit is going: from now on the view holds no relation, and no state starts."""
        self._lifecycle.leaving = self._leaving = True

    def _end_everything(self) -> None:
        """Announce the end of every state still announced, relation by relation, oldest first.

        The view is empty, so reconciling a relation only ends what its record holds; the
        record is then empty, and the ends are not announced twice.
        """
        for relation_id in sorted(self._recorded_ids()):
            relation = self.model.get_relation(self._relation_name, relation_id)
            if relation is None:  # pragma: no cover - ops never returns None when given an id
                self._drop_record(relation_id)
            else:
                self._reconcile(relation)

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        """Begin the view of a new hook (or event, under Harness): forget the unit lists."""
        self._departing, self._broken = departing, broken
        self._unit_lists.clear()

    # Each role keeps its own record of what it announced, per relation.

    @abc.abstractmethod
    def _reconcile(self, relation: ops.Relation) -> None:
        """Emit the events for how the relation's state differs from the record."""

    @abc.abstractmethod
    def _recorded_ids(self) -> set[int]:
        """The ids of the relations the record knows."""

    @abc.abstractmethod
    def _drop_record(self, relation_id: int) -> None:
        """Forget a relation, without events."""


# --- Requirer ------------------------------------------------------------------------------


class ZookeeperRequires(_ZookeeperEndpoint):
    """The client side of the `zookeeper` interface: reads where the zookeeper units are.

    Events are per relation. The queries answer for the endpoint as a whole: the usable units
    of every relation, oldest relation first, each in unit-number order.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `requires` endpoint with `interface: zookeeper`.
    """

    on = ZookeeperRequiresEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "zookeeper"):
        super().__init__(charm, relation_name, ops.RelationRole.requires)
        self._reads: dict[tuple[int, str], _UnitRead] = {}
        self._units: dict[int, tuple[ZookeeperUnit, ...]] = {}
        self._other_protocols: dict[int, OtherProtocol | None] = {}
        self._warned: set[tuple[int, str, tuple[str, ...]]] = set()
        # Per relation id: whether it was connected, and fingerprints of each unit and of the
        # unit list last announced; the legacy joining/departing queues, by unit name;
        # `fresh`, the units that became usable since the last dismissal of either queue and
        # still are; `unseen`, the departed units that were fresh, oldest first.
        self._stored.set_default(relations={}, joining=[], departing=[], fresh=[], unseen=[])

    # Queries: always answered from the current databags.

    def read(self, relation: ops.Relation | None = None) -> ZookeeperOffer:
        """The usable zookeeper units now, typed: of the endpoint, or of one relation."""
        relations = self.relations if relation is None else [relation]
        return ZookeeperOffer(tuple(u for each in relations for u in self._relation_units(each)))

    def is_available(self) -> bool:
        """Whether some zookeeper unit is usable: it sent a port, and its host is known."""
        return bool(self.read().units)

    def get_zookeeper_units(self) -> list[tuple[str, str]]:
        """The usable units as `(host, port)`, the port a string, as the legacy layer gave."""
        return [(unit.host, str(unit.port)) for unit in self.read().units]

    def zookeepers(self) -> list[dict[str, str | None]]:
        """The usable units as `{"host", "port", "rest_port"}`, in the legacy value types."""
        return [
            {
                "host": unit.host,
                "port": str(unit.port),
                "rest_port": None if unit.rest_port is None else str(unit.rest_port),
            }
            for unit in self.read().units
        ]

    def joining_units(self) -> list[ZookeeperUnit]:
        """The units that became usable since `dismiss_joining()`, and still are.

        Empty while this unit is leaving, as the view is.
        """
        joined = set(self._stored.joining)
        return [unit for unit in self.read().units if unit.unit_name in joined]

    def departing_units(self) -> list[str]:
        """The names of the units that departed or withdrew since `dismiss_departing()`.

        Of the units that became usable and departed again between two dismissals (of either
        queue), which no dismissal saw in `joining_units()`, only the last 16 are kept, so
        that the queue stays small when the charm never dismisses it. Empty while this unit
        is leaving: the zookeeper units stay, this unit leaves them.
        """
        return [] if self._leaving else list(self._stored.departing)

    def dismiss_joining(self) -> None:
        """Empty the joining queue, as the legacy `dismiss_joining()` cleared its state."""
        self._stored.joining = []
        self._stored.fresh = []  # every usable unit has now been seen at a dismissal

    def dismiss_departing(self) -> None:
        """Empty the departing queue, as the legacy `dismiss_departing()` cleared its state."""
        self._stored.departing = []
        self._stored.unseen = []
        self._stored.fresh = []  # every usable unit has now been seen at a dismissal

    def malformed_units(self) -> list[MalformedUnit]:
        """The remote units that sent malformed fields, which count as absent."""
        found: list[MalformedUnit] = []
        for relation in self.relations:
            for unit in self._remote_units(relation):
                problems = self._read_unit(relation, unit).problems
                if problems:
                    found.append(
                        MalformedUnit(relation.id, unit.name, tuple(problems), _describe(problems))
                    )
        return found

    def other_protocols(self) -> list[OtherProtocol]:
        """The relations whose application speaks another protocol under the same name.

        A relation is named when its units joined, none of them offers usable legacy data,
        and its remote application databag holds keys of the data-platform ZooKeeper charms'
        protocol (the legacy protocol uses no application databag). The library cannot talk
        to such a partner: the charm shows it in its status, `str()` gives a line fit for one.
        """
        found = (self._other_protocol(relation) for relation in self.relations)
        return [other for other in found if other is not None]

    # Reading the databags: once per hook each.

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        super()._start_view(departing, broken)
        self._reads.clear()
        self._units.clear()
        self._other_protocols.clear()

    def _relation_units(self, relation: ops.Relation) -> tuple[ZookeeperUnit, ...]:
        units = self._units.get(relation.id)
        if units is None:
            found = (
                _usable(unit, self._read_unit(relation, unit).data)
                for unit in self._remote_units(relation)
            )
            units = self._units[relation.id] = tuple(unit for unit in found if unit is not None)
        return units

    def _read_unit(self, relation: ops.Relation, unit: ops.Unit) -> _UnitRead:
        read = self._reads.get((relation.id, unit.name))
        if read is None:
            read = self._reads[relation.id, unit.name] = _read_databag(relation.data[unit])
            if read.problems:
                self._warn(relation.id, unit.name, read.problems)
        return read

    def _other_protocol(self, relation: ops.Relation) -> OtherProtocol | None:
        """The other protocol the relation's application speaks, if it offers no legacy data.

        Its application databag is read only when units joined and none of them is usable,
        and then once per view, as the unit databags are.
        """
        if relation.id not in self._other_protocols:
            joined = bool(self._remote_units(relation))
            offers_nothing = joined and not self._relation_units(relation)
            keys = _other_protocol_keys(relation) if offers_nothing else ()
            other = OtherProtocol(relation.id, relation.app.name, keys) if keys else None
            self._other_protocols[relation.id] = other
            if other is not None:
                self._warn_other_protocol(other)
        return self._other_protocols[relation.id]

    def _warn_other_protocol(self, other: OtherProtocol) -> None:
        # The keys only, never a value: the data-platform protocol sends a password.
        if (other.relation_id, other.app_name, other.keys) in self._warned:
            return  # once per hook is enough
        self._warned.add((other.relation_id, other.app_name, other.keys))
        logger.warning(
            "zookeeper relation %d: %s speaks the %s protocol, not the legacy one (its "
            "application databag holds %s): it offers nothing this library can read",
            other.relation_id,
            other.app_name,
            other.protocol,
            ", ".join(other.keys),
        )

    def _warn(self, relation_id: int, unit_name: str, problems: dict[str, str]) -> None:
        if (relation_id, unit_name, tuple(problems)) in self._warned:
            return  # once per hook is enough
        self._warned.add((relation_id, unit_name, tuple(problems)))
        logger.warning(
            "zookeeper relation %d: ignoring what %s sent as %s: %s",
            relation_id,
            unit_name,
            ", ".join(problems),
            _describe(problems),
        )

    # Turning the view into events.

    def _reconcile(self, relation: ops.Relation) -> None:
        """Emit the events for how the relation's state differs from what was last announced."""
        units = self._relation_units(relation)
        connected = bool(self._remote_units(relation))
        unit_digests = {unit.unit_name: _fingerprint(unit) for unit in units}
        available = _units_digest(unit_digests) if units else None
        key = str(relation.id)
        before = self._stored.relations.get(key, _NOTHING_ANNOUNCED)
        before_units = dict(before["units"])
        self._stored.relations[key] = {
            "connected": connected,
            "units": unit_digests,
            "available": available,
        }
        self._other_protocol(relation)  # a partner that offers nothing: say why, if known

        for unit_name in before_units:
            if unit_name not in unit_digests:
                self._queue_departure(unit_name)
                self.on.departing.emit(relation, unit_name)
        if before["available"] and not units:
            self.on.unavailable.emit(relation)
        if before["connected"] and not connected:
            self.on.disconnected.emit(relation)
        if connected and not before["connected"]:
            self.on.connected.emit(relation)
        for unit in units:
            if unit_digests[unit.unit_name] != before_units.get(unit.unit_name):
                self._queue_joining(unit.unit_name, new=unit.unit_name not in before_units)
                self.on.joining.emit(
                    relation, unit.unit_name, unit.host, unit.port, unit.rest_port
                )
        if units and available != before["available"]:
            self.on.available.emit(relation, units)

    # The legacy queues, kept small whatever the churn, for a charm that never dismisses them
    # (the holistic example does not): `joining` holds the units still usable, and
    # `departing` every unit that departed since its dismissal and was usable at a dismissal
    # (these are bounded by the units of that dismissal), but only the last
    # `_UNSEEN_KEPT` of those that were usable only between two dismissals (`unseen`).

    def _queue_joining(self, unit_name: str, new: bool) -> None:
        """A unit became usable (`new`), or changed where it listens."""
        _enqueue(self._stored.joining, unit_name)
        if new:
            _enqueue(self._stored.fresh, unit_name)

    def _queue_departure(self, unit_name: str) -> None:
        """A unit departed or withdrew its port (on one relation; the record is updated)."""
        if self._leaving:
            return  # the queues are emptied (`_end_everything`)
        unseen = self._stored.unseen
        _enqueue(self._stored.departing, unit_name)
        _dequeue(unseen, unit_name)  # this departure is kept, unless no dismissal saw the unit
        if self._usable_anywhere(unit_name):
            return  # still usable on another relation: still joined
        _dequeue(self._stored.joining, unit_name)
        if unit_name in self._stored.fresh:
            _dequeue(self._stored.fresh, unit_name)
            unseen.append(unit_name)
            while len(unseen) > _UNSEEN_KEPT:
                _dequeue(self._stored.departing, unseen.pop(0))

    def _end_everything(self) -> None:
        super()._end_everything()
        # While this unit leaves, every query answers nothing, the queues too: emptied, they
        # stay so, since nothing starts again.
        for queue in ("joining", "departing", "fresh", "unseen"):
            setattr(self._stored, queue, [])

    def _usable_anywhere(self, unit_name: str) -> bool:
        """Whether the record holds the unit as usable on some relation."""
        return any(unit_name in record["units"] for record in self._stored.relations.values())

    def _recorded_ids(self) -> set[int]:
        return {int(key) for key in self._stored.relations}

    def _drop_record(self, relation_id: int) -> None:
        """Forget a relation, and the queued units that were usable only there."""
        record = self._stored.relations.pop(str(relation_id), None)
        for unit_name in () if record is None else record["units"]:
            if not self._usable_anywhere(unit_name):
                _dequeue(self._stored.joining, unit_name)
                _dequeue(self._stored.fresh, unit_name)


_NOTHING_ANNOUNCED: dict[str, Any] = {"connected": False, "units": {}, "available": None}

_UNSEEN_KEPT = 16
"""How many departed units the departing queue keeps of those no dismissal saw: a charm that
lists and dismisses the queues, every few minutes, sees far fewer between two dismissals."""


def _enqueue(queue: list[str], unit_name: str) -> None:
    """Add a unit to a legacy joining/departing queue, once."""
    if unit_name not in queue:
        queue.append(unit_name)


def _dequeue(queue: list[str], unit_name: str) -> None:
    """Take a unit out of a queue, if it is there."""
    if unit_name in queue:
        queue.remove(unit_name)


# --- Provider ------------------------------------------------------------------------------


class ZookeeperProvides(_ZookeeperEndpoint):
    """The zookeeper side of the `zookeeper` interface: sends where this unit listens.

    What the charm sends is kept in the unit's stored state and written, by this unit, on every
    relation of the endpoint, including relations made later (from their relation-created hook).

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `provides` endpoint with `interface: zookeeper`.
    """

    on = ZookeeperProvidesEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "zookeeper"):
        super().__init__(charm, relation_name, ops.RelationRole.provides)
        # Per relation id: whether it was connected and available when last announced.
        self._stored.set_default(connection={}, relations={})
        self.framework.observe(charm.on[relation_name].relation_created, self._on_created)

    def send_connection(
        self, port: int | str, rest_port: int | str | None = None, host: str | None = None
    ) -> None:
        """Send this unit's client port and, if given, its REST port and host.

        Clients use the unit's `private-address` unless a host is given. Each call replaces
        what an earlier one sent: a port or host left out is withdrawn.

        Args:
            port: the client port, such as 2181 (an integer or a string of digits).
            rest_port: the REST port, such as 9998, or None.
            host: a host name or IP address to use instead of the unit's address, or None.

        Raises:
            ValueError: a port or the host is invalid; nothing is written.
        """
        connection = _validated(
            ZookeeperConnection, {"port": port, "rest_port": rest_port, "host": host}
        )
        self._stored.connection = connection.model_dump()
        for relation in self.relations:
            self._write(relation)
            self._reconcile(relation)

    # The other name the deployed legacy layer gives `send_connection` (its first version, in
    # early 2016, had only this name, and only `port`).
    send_port = send_connection

    def clear_connection(self) -> None:
        """Withdraw the ports and host from every relation of the endpoint.

        This also removes what a legacy build of the charm wrote.
        """
        self._stored.connection = {}
        for relation in self.relations:
            self._write(relation)
            self._reconcile(relation)

    def is_available(self) -> bool:
        """Whether a client has joined a relation whose databag holds this unit's port.

        The state that `available` and `unavailable` announce, on any relation of the endpoint.
        """
        return any(
            bool(self._remote_units(relation)) and self._port_is_on(relation)
            for relation in self.relations
        )

    def published(self) -> ZookeeperConnection | None:
        """What this unit sends, as the charm set it, or None."""
        stored = dict(self._stored.connection)
        return ZookeeperConnection.model_construct(**stored) if stored else None

    def _write(self, relation: ops.Relation) -> None:
        """Write what the charm sent, or withdraw it; touch no key whose value is right."""
        sent = self.published()
        databag = relation.data[self.model.unit]
        for key in ("port", "rest_port", "host"):
            value = _encode_raw(None if sent is None else getattr(sent, key))
            if databag.get(key, "") != value:
                databag[key] = value

    def _on_created(self, event: ops.RelationCreatedEvent) -> None:
        if self._leaving:
            return  # a leaving unit writes nothing more
        if self.published() is not None:  # what a legacy build wrote stays until replaced
            self._write(event.relation)
            self._reconcile(event.relation)  # the port is on the relation now

    def _reconcile(self, relation: ops.Relation) -> None:
        connected = bool(self._remote_units(relation))
        available = connected and self._port_is_on(relation)
        key = str(relation.id)
        before = self._stored.relations.get(key, _NOT_ANNOUNCED)
        self._stored.relations[key] = {"connected": connected, "available": available}
        if before["available"] and not available:
            self.on.unavailable.emit(relation)
        if before["connected"] and not connected:
            self.on.disconnected.emit(relation)
        if connected and not before["connected"]:
            self.on.connected.emit(relation)
        if available and not before["available"]:
            self.on.available.emit(relation)

    def _port_is_on(self, relation: ops.Relation) -> bool:
        """Whether this unit's databag on the relation holds a valid port."""
        try:
            _parse_port(_decode_raw(relation.data[self.model.unit].get("port", "")))
        except ValueError:
            return False
        return True

    def _recorded_ids(self) -> set[int]:
        return {int(key) for key in self._stored.relations}

    def _drop_record(self, relation_id: int) -> None:
        self._stored.relations.pop(str(relation_id), None)


_NOT_ANNOUNCED: dict[str, bool] = {"connected": False, "available": False}


# --- Test helpers for charm authors --------------------------------------------------------
# They build `ops.testing` objects, and import it only when called: a deployed charm does not
# ship ops.testing.


def _juju_keys(address: str) -> dict[str, str]:
    """What Juju itself puts in every unit databag."""
    return {
        "private-address": address,
        "ingress-address": address,
        "egress-subnets": f"{address}/32",
    }


def zookeeper_relation_for_testing(
    endpoint: str = "zookeeper",
    *,
    units: int = 1,
    port: int = 2181,
    rest_port: int | None = 9998,
    malformed_unit: bool = False,
    remote_app_name: str = "zookeeper",
) -> testing.Relation:
    """An `ops.testing` relation of a zookeeper client to `units` legacy zookeeper units.

    Each unit sends what the legacy zookeeper charm does: its port and REST port (unless
    None), no host; Juju's `private-address` is `10.0.9.5`, `10.0.9.6`, ... A malformed
    unit, if asked for, comes last and sends garbage in every key.
    """
    from ops import testing

    first = ipaddress.IPv4Address("10.0.9.5")
    databags: dict[int, dict[str, str]] = {}
    for number in range(units):
        databags[number] = {**_juju_keys(str(first + number)), "port": str(port)}
        if rest_port is not None:
            databags[number]["rest_port"] = str(rest_port)
    if malformed_unit:
        garbage = "not-valid zookeeper data!"
        databags[units] = {**_juju_keys(garbage), "port": garbage, "rest_port": garbage}
    return testing.Relation(
        endpoint, interface=INTERFACE, remote_app_name=remote_app_name, remote_units_data=databags
    )


def client_relation_for_testing(
    endpoint: str = "zookeeper", *, units: int = 1, remote_app_name: str = "kafka"
) -> testing.Relation:
    """An `ops.testing` relation of a zookeeper charm to `units` client units."""
    from ops import testing

    first = ipaddress.IPv4Address("10.0.10.5")
    return testing.Relation(
        endpoint,
        interface=INTERFACE,
        remote_app_name=remote_app_name,
        remote_units_data={number: _juju_keys(str(first + number)) for number in range(units)},
    )
