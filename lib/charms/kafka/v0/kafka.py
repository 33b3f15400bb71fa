# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Wire-compatible `ops` library for the legacy `kafka` interface.

An `ops` replacement for the reactive `interface-kafka` layer. A charm that uses it keeps
talking to charms still running the legacy layer, in both directions, byte for byte.

- `KafkaRequires` is for kafka clients, such as flume or a stream processor (the legacy
  requires side).
- `KafkaProvides` is for kafka itself (the legacy provides side). A kafka charm also tells
  its clients where its zookeeper units are.

## Getting started

The library ships as the Python package `legacy-interfaces-kafka`, built from this very
file, which it installs at its import path with its dependencies. Depend on it as the charm
declares its other dependencies: `legacy-interfaces-kafka>=0.5` in `requirements.txt`
(charmcraft's `charm` plugin), or in `pyproject.toml`'s `dependencies` (the `uv` and
`poetry` plugins); the `python` plugin installs no dependency of a package by itself, so
give it a requirements file that lists them all, exported from the charm's lock. Or copy
this file to the charm's `lib/charms/kafka/v0/` and depend on `pydantic>=2`.

`charmcraft fetch-lib` cannot bring it: Charmhub registers no new libraries, and a library's
name belongs to the Charmhub charm it is named after; on Charmhub, the `charms.kafka` names
belong to a data-platform charm, which speaks another protocol. Choose one way per library:
two files with one import path shadow each other on `sys.path`. A charm's test can make sure
it imports this one:
`assert charms.kafka.v0.kafka.LIBID == "cddeb99a3f824888adfdd1f273bdc00b"`.

A client's conventional endpoint name is `kafka`:

```yaml
requires:
  kafka:
    interface: kafka
```

## Requirer example

The safe default is one handler that configures from what the relation offers now:

```python
from pathlib import Path

import ops

from charms.kafka.v0.kafka import KafkaRequires

# Where the workload reads its bootstrap servers and its zookeeper connection string.
BOOTSTRAP_FILE = Path("/etc/my-app/kafka-bootstrap")
ZOOKEEPER_FILE = Path("/etc/my-app/zookeeper-connect")


class ClientCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kafka = KafkaRequires(self)
        for event in (
            self.on.config_changed,
            self.kafka.on.available,
            self.kafka.on.unavailable,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _reconcile(self, _: ops.EventBase):
        relations = self.kafka.relations  # oldest first
        if not relations:
            return  # no kafka (any more); this workload keeps its last settings
        # Each relation is one kafka cluster: use one, never a mix of two.
        offer = self.kafka.read(relations[0])
        if not offer.brokers:
            return  # no usable broker yet
        # `address` is `host:port`, an IPv6 host in brackets: as the workload takes it.
        BOOTSTRAP_FILE.write_text(",".join(broker.address for broker in offer.brokers))
        ZOOKEEPER_FILE.write_text(",".join(server.address for server in offer.zookeepers))

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        if len(self.kafka.relations) > 1:
            event.add_status(ops.BlockedStatus("related to two kafkas; remove one"))
        if not self.kafka.is_available():
            event.add_status(ops.WaitingStatus("waiting for kafka"))
        event.add_status(ops.ActiveStatus())
```

**Goal**, as deployed (two units beside a reactive kafka on IPv6; each side scaled up and
down, the leader replaced, then a refresh from the reactive charm): every unit is Active,
with every broker in `/etc/my-app/kafka-bootstrap` and every zookeeper server in
`/etc/my-app/zookeeper-connect`, as `host:port` (IPv6 addresses in brackets); with a second
kafka related, every unit is Blocked and keeps the first cluster's brokers. A broker's
`host` stays bare (`fd00::5`), as Juju writes addresses; its `address` is bracketed.
`read()` without a relation spans every relation: the example reads its oldest one alone.

## Provider example

A kafka charm declares:

```yaml
provides:
  client:
    interface: kafka
```

Legacy clients count a kafka unit as ready only once it has sent **both** a port and a
non-empty zookeeper list, so a kafka charm sends both. The list is usually what the
zookeeper library hands the charm, forwarded as it is:
`send_zookeepers(self.zookeeper.read().units)` or
`send_zookeepers(self.zookeeper.zookeepers())` with `charms.zookeeper.v0.zookeeper`.
Here it is a constant:

```python
import ops

from charms.kafka.v0.kafka import KafkaProvides

# (host, port, REST port) of each zookeeper server this kafka cluster uses.
ZOOKEEPERS = [("10.0.9.5", 2181, 9998)]


class KafkaCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kafka = KafkaProvides(self)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        # Written on every relation of the endpoint, and on each one made later.
        self.kafka.send_zookeepers(ZOOKEEPERS)
        self.kafka.send_connection(9092)
```

**Goal**, as deployed (two units beside an `ops` client of this library; each side scaled up
and down, the leader replaced, then a refresh from the reactive charm): every client unit
reads every broker, and the zookeeper servers.

What the charm sends is kept in the unit's stored state, so it survives restarts and reaches
relations made later, from their relation-created hook (a test that starts a new relation at
relation-joined finds nothing written yet). A key the charm has not set keeps what is on the
wire: after a refresh from the reactive charm, that charm's port stays until the `ops` charm
sends one. `clear_connection()` withdraws all of it from every relation. Legacy clients cannot
use a port without a zookeeper list, so a port sent without one is logged once, at WARNING. A
list that the reactive charm left on a relation counts until the charm sends its own: after a
refresh, sending only the port is not warned about while every relation still holds that list.

## Events

Each event fires when its state becomes true, or when its payload changes; never twice for
the same payload. Each has a counterpart for "stopped being true". All are per relation,
and carry `relation`.

Requirer (`KafkaRequires.on`):

- `connected` (`KafkaConnected`): the first kafka unit joined.
- `available` (`KafkaAvailable`): some kafka unit is usable (it sent a port, and its host is
  known), or the brokers or the zookeeper list changed. Payload: `brokers`, a tuple of
  `KafkaBroker` in unit-number order, and `zookeepers`, a tuple of `ZookeeperServer`.
- `unavailable` (`KafkaUnavailable`): no kafka unit is usable any more.
- `disconnected` (`KafkaDisconnected`): the last unit departed, or the relation broke.

The legacy requirer set `kafka.ready` (`kafka.available` in its first version) only when a
unit had sent a zookeeper list as well; here a broker is usable without one, and
`offer.zookeepers` may be empty (kafka 3.3 and later can run without zookeeper).

Provider (`KafkaProvides.on`):

- `connected` (`KafkaClientConnected`): the first unit of a client joined.
- `available` (`KafkaClientAvailable`): a client is related and this unit's port is on that
  relation (in this unit's databag, whoever wrote it: after a refresh from the reactive
  charm, that charm's data counts). The legacy layer set its `available` state on any
  relation-changed without checking anything; this one is true on the wire.
- `unavailable` (`KafkaClientUnavailable`): no longer so.
- `disconnected` (`KafkaClientDisconnected`): the client's last unit departed, or the
  relation broke.

**Order.** Within one hook, relation by relation (oldest first), the ends come first, then
the starts: `unavailable`, `disconnected`, `connected`, `available`.

**Deferral.** A deferred event carries the payload it was emitted with; compare it with
`read(event.relation)`, or use the holistic style above.

**The leaving unit.** From the first hook in which Juju names this unit as the departing
one (in relation-departed of a relation of the endpoint: the unit is being removed), every
state of the endpoint ends, in the order above, once, and nothing starts again: not on new
data, not in upgrade-charm, not when the charm sends. The view holds no relation, every
query answers "nothing", and a provider writes nothing more. A charm acting on `available`
never acts while its unit is leaving.

**Refresh from the reactive charm.** The library reconciles in the `upgrade-charm` hook
(and in any hook of a relation it has no record of): the "became true" events fire there for
what already holds, so that the ends fire later.

**One view per hook.** During relation-departed the departing unit is gone for every query
as well as for the events, from the start of the hook: the handlers of deferred events,
which ops runs first, see the same view. During relation-broken the broken relation is
gone, from the start of the hook too: `read(relation)` of it offers nothing, and what the
charm sends is not written there. Each remote databag is read and validated at most once per
hook.

## Queries

- `read(relation=None)` returns a frozen `KafkaOffer`: `brokers` are the usable kafka units
  (`KafkaBroker`: `unit_name`, `host`, `port: int`, and `address`, the `host:port` a client
  takes, an IPv6 host in brackets) over the relations oldest first, each in unit-number
  order; `zookeepers` (`ZookeeperServer`: `host`, `port: int`, `rest_port: int | None`,
  `address`) are the lists the usable brokers sent, in that order, each server once. A
  server is its host and port; its `rest_port` is the first one sent for it, in that order,
  so that a unit sending none (a build of another version, during an upgrade) does not hide
  the REST port another unit sends.
- `is_connected()`, `is_available()`.
- The legacy getters, in the legacy value types (strings): `get_kafka_ip()` and
  `get_kafka_port()` answer for the first usable unit and raise `NoKafkaBrokerError` when
  there is none; `kafkas()` returns `[{"host", "port"}, ...]`; `zookeepers()` returns
  `[{"host", "port", "rest_port"}, ...]` (`rest_port` None when no unit sent one), each
  server once, as `read().zookeepers`.
- `malformed_units()` lists the remote units that sent malformed fields.
- `KafkaProvides.published()` returns what this unit sends, as a `KafkaConnection`.
- `KafkaProvides.is_available()` says whether a client has joined a relation on which this
  unit's port is: the state of the provider's `available`.

## Migrating from the reactive layer

The deployed layer (since March 2016) sets `joined` and `ready`; its first version, in
February 2016, set `connected` and `available`. Both generations are mapped; the interface
spec lists every name with its source.

| legacy (`interface-kafka`) | here |
|---|---|
| `@when('kafka.joined')` | `on.connected`; `is_connected()` |
| `@when('kafka.ready')`, run again in every hook | a handler calling `read()` |
| first: `@when('kafka.connected')` | `on.connected`; `is_connected()` |
| first: `@when('kafka.available')`, run again in every hook | a handler calling `read()` |
| first: `get_kafka_ip()`, `get_kafka_port()` | the same, or `read().brokers[0]` |
| `except Exception` around them | `except NoKafkaBrokerError` |
| `kafkas()` | the same, or `read().brokers` |
| `zookeepers()` (one copy per kafka unit) | the same, each server once; or `read().zookeepers` |
| provider `send_connection(port, host)`, `send_port(port, host)` | the same, on all relations |
| provider first: `send_configuration(port)` | the same, once for all relations |
| provider `send_zookeepers(list)` | the same, once for all relations |
| provider `@when('client.joined')` | `KafkaProvides.on.connected` |
| provider `@when('client.ready')` | `KafkaProvides.on.available`; `is_available()` |
| provider first: `'client.connected'`, `'client.available'` | the same two events |

A unit that becomes leader after an event fired never sees it: leader-only logic asks the
queries in `leader_elected` as well.

For a charm's unit tests, `kafka_relation_for_testing()` and `client_relation_for_testing()`
return `ops.testing` relations holding valid legacy data.

## Wire format

Every kafka unit writes its own unit databag on every relation of the endpoint; the client
writes nothing.

| key | encoding | value |
|---|---|---|
| `port` | raw | the broker port, such as `9092` |
| `host` | raw | absent unless the charm gave one; readers use the unit's `private-address` |
| `zookeepers` | JSON | the zookeeper servers, as a list of objects (below) |

Each object has exactly the keys `host`, `port` and `rest_port`, in that order; the ports are
JSON strings, and `rest_port` may be `null`. For example:
`[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]`. A raw value
that a legacy build JSON-quoted (`"9092"`) is read as the plain string. A zookeeper entry
written as a `[host, port]` pair, as the oldest builds of the layer did, is read too.

## Errors

- Bad data from the remote side never raises and never fails a hook. Each malformed field
  counts as absent on its own, and so does each malformed entry of the zookeeper list (the
  others count). A WARNING names the relation, unit and fields (never a value), and
  `malformed_units()` lists them. A zookeeper list that is not JSON, not a list, nested too
  deep or longer than 65,536 characters is malformed as a whole. An entry with any bad
  field (its REST port too) is malformed. A unit without a valid port, or without a valid
  host or `private-address`, is not usable.
- Bad input from the charm raises `ValueError` before anything is written or stored: a port
  outside 1 to 65535, a port that is neither an integer nor a string of digits (a bool, a
  float, bytes), a host that is not a host name or an IP address, a zookeeper list that is
  not a list of entries with a host and a port (and, optionally, a REST port) and nothing
  else.

## Changelog

- LIBPATCH 1 (2026-11-22): first release; both roles of the legacy `kafka` interface.
- LIBPATCH 2 (2026-11-23): in relation-departed, the departing unit is left out from the
  start of the hook (Juju's `JUJU_DEPARTING_UNIT`), so the handlers of deferred events that
  ops runs before the hook's own event no longer see it where Juju, or a test's state, still
  lists it. The test helpers give Juju's `egress-subnets` as a CIDR (`10.0.9.5/32`), as Juju
  writes it. New: `KafkaProvides.is_available()`, the query of the provider's `available`
  state.
- LIBPATCH 3 (2026-12-07): the leaving unit: from the first hook in which Juju names this
  unit as the departing one, every state of both roles ends, once, and none starts again
  (the provider announced `available` there when the charm sent its port). During
  relation-broken the broken relation is gone from the start of the hook, for
  `read(relation)` too. A zookeeper server two units send with and without a REST port is
  listed once, with it. The warning about a port without a zookeeper list no longer comes
  while the reactive charm's list is on every relation. The hook's relation is read from
  `JUJU_RELATION` too, and a dispatch path with underscores, as ops.testing of the ops 2 era
  sets them.
- LIBPATCH 4 (2026-12-07): the migration table maps both generations of the layer's flags:
  `joined` and `ready`, which the deployed layer sets on both sides, beside the first
  version's `connected` and `available`. `send_port()` takes a `host` too, as the deployed
  layer's alias of `send_connection()` did. The WARNING about a port without zookeepers no
  longer asks a charm that sent an empty list to call `send_zookeepers`. The docstrings say
  that what a provider sets reaches a relation made later from that relation's
  relation-created hook. `send_zookeepers()` is typed (`ZookeeperEntry`), so a type checker
  sees what it takes.
- LIBPATCH 5 (2026-12-07): `KafkaBroker.address` and `ZookeeperServer.address` give
  `host:port` with an IPv6 host in brackets, and the requirer example writes them, so that
  it works on IPv6. Each example says the goal it reaches when deployed through a lifecycle.
  The requirer example reads one relation's brokers, and blocks on a second kafka, where it
  merged two clusters into one bootstrap list. The changelog's entries carry their dates.
  Getting started names the Python package as the way to depend on the library, says why
  `charmcraft fetch-lib` cannot, and how a charm's test tells this file from another with
  its import path (its `LIBID`).
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
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Protocol, TypeVar, cast

import ops
import pydantic

if TYPE_CHECKING:
    from ops import testing

# The unique Charmhub library identifier, never change it
LIBID = "cddeb99a3f824888adfdd1f273bdc00b"

# Increment this major API version when introducing breaking changes
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version
LIBPATCH = 5

PYDEPS = ["pydantic>=2"]

logger = logging.getLogger(__name__)

INTERFACE = "kafka"

# Upper bounds on what a remote unit may send, so a hostile unit cannot make the charm hold,
# parse or log megabytes. A zookeeper list of 64 KiB names about a thousand servers.
_MAX_HOST = 253
_MAX_ZOOKEEPERS_TEXT = 64 * 1024
_PORT = re.compile(r"[1-9][0-9]{0,4}")  # no leading zeros: one spelling per port
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A pattern rather than ipaddress.IPv4Address: every remote unit's private-address is
# checked in every hook, and the pattern costs a fraction of it.
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


# --- Wire codec: `port` and `host` are raw, `zookeepers` is JSON ----------------------------


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


def _decode_zookeepers(value: str) -> list[Any]:
    """The JSON of a `zookeepers` value; a ValueError says why it is malformed as a whole."""
    if len(value) > _MAX_ZOOKEEPERS_TEXT:
        raise ValueError(f"is longer than {_MAX_ZOOKEEPERS_TEXT} characters")
    try:
        decoded = json.loads(value)
    except RecursionError:
        raise ValueError("is nested too deep") from None
    except ValueError:
        raise ValueError("is not JSON") from None
    if not isinstance(decoded, list):
        raise ValueError("is not a JSON list")
    return cast("list[Any]", decoded)


def _encode_zookeepers(servers: Iterable[ZookeeperServer]) -> str:
    """The legacy bytes: objects of `host`, `port`, `rest_port`, ports as JSON strings."""
    return json.dumps(
        [
            {
                "host": server.host,
                "port": str(server.port),
                "rest_port": None if server.rest_port is None else str(server.rest_port),
            }
            for server in servers
        ]
    )


# --- Validation ----------------------------------------------------------------------------
# Messages name what is wrong and never echo the value. The same checks serve the charm's
# input (where a failure is a ValueError) and remote data (where the value counts as absent).


def _parse_port(value: object) -> int:
    """A port from an integer, or from a string of digits as the wire holds it."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be an integer or a string of digits")
    if isinstance(value, str):
        if not _PORT.fullmatch(value):
            raise ValueError("must be a port number, such as 9092")
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


def _pair_as_entry(value: Any) -> Any:
    """A zookeeper entry as an object; the oldest builds wrote `[host, port]` pairs."""
    items: Any = value  # not narrowed by isinstance: a JSON list holds anything
    if isinstance(items, (list, tuple)) and len(cast("Sequence[Any]", items)) == 2:
        host, port = cast("Sequence[Any]", items)
        return {"host": host, "port": port}
    if not isinstance(items, (Mapping, pydantic.BaseModel)):
        raise ValueError("must be an object with a host and a port")
    return value


def _host_port(host: str, port: int) -> str:
    """`host:port` as clients take it: an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ZookeeperServer(_WireModel):
    """A zookeeper server, as a kafka unit passes it on to its clients."""

    host: Host
    port: Port
    rest_port: Port | None = None

    @property
    def address(self) -> str:
        """`host:port`, ready for a connect string: `fd00::5` and 2181 give `[fd00::5]:2181`."""
        return _host_port(self.host, self.port)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: object) -> object:
        return _pair_as_entry(value)


class KafkaConnection(_WireModel):
    """What a kafka unit sends: its port and host, and its zookeeper list, where set."""

    port: Port | None = None
    host: Host | None = None
    zookeepers: tuple[ZookeeperServer, ...] | None = None


class KafkaProviderData(_WireModel):
    """A kafka unit's databag as a client reads it, Juju's `private-address` included."""

    port: Port | None = None
    host: Host | None = None
    zookeepers: tuple[ZookeeperServer, ...] | None = None
    private_address: Host | None = pydantic.Field(default=None, alias="private-address")


class _SentAddress(_WireModel):
    """What `send_connection` takes: a port is required."""

    port: Port
    host: Host | None = None


class ZookeeperServerLike(Protocol):
    """Anything with a zookeeper server's `host` and `port`.

    Such as a `ZookeeperUnit` of the zookeeper library, or a `ZookeeperServer`. A `rest_port`
    attribute is read too, if it has one.
    """

    @property
    def host(self) -> str:
        """The server's host name or address."""
        ...

    @property
    def port(self) -> int | str:
        """The server's client port."""
        ...


ZookeeperEntry = (
    Mapping[str, Any]
    | tuple[str, int | str]
    | tuple[str, int | str, int | str | None]
    | list[str | int | None]
    | ZookeeperServerLike
)
"""One server as `send_zookeepers` takes it: a mapping with `host`, `port` and optionally
`rest_port`, a `(host, port)` or `(host, port, rest_port)` tuple or list, or an object with
those attributes."""


class _SentZookeeperServer(ZookeeperServer):
    """A zookeeper server as the charm gives it: a key the wire does not have is an error."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class _SentZookeepers(_WireModel):
    """What `send_zookeepers` takes."""

    zookeepers: tuple[_SentZookeeperServer, ...]


_RAW_KEYS = ("port", "host", "private-address")


class KafkaBroker(_WireModel):
    """A usable kafka unit: where a client reaches it."""

    unit_name: str
    host: Host
    """As the unit sent it: an IPv6 address is bare, as Juju writes addresses."""
    port: Port

    @property
    def address(self) -> str:
        """`host:port`, ready for a bootstrap list: `fd00::5` and 9092 give `[fd00::5]:9092`."""
        return _host_port(self.host, self.port)


@dataclasses.dataclass(frozen=True)
class KafkaOffer:
    """What an endpoint offers, typed: the usable brokers and their zookeeper servers."""

    brokers: tuple[KafkaBroker, ...] = ()
    zookeepers: tuple[ZookeeperServer, ...] = ()


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


class NoKafkaBrokerError(Exception):
    """No kafka unit is usable: none has sent a port, or none is related.

    The legacy `get_kafka_ip()` and `get_kafka_port()` raised a bare `Exception` instead.
    """


def _validated(model: type[_ModelT], values: object) -> _ModelT:
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
    logger.warning("a deferred kafka event carries data this library now refuses: %s", problem)
    return model.model_construct(**json.loads(payload))


class _OfferPayload(_WireModel):
    """The payload of `KafkaAvailable`, as one model so it snapshots as JSON."""

    brokers: tuple[KafkaBroker, ...]
    zookeepers: tuple[ZookeeperServer, ...]


# --- Events --------------------------------------------------------------------------------


class _KafkaRelationEvent(ops.EventBase):
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


class KafkaConnected(_KafkaRelationEvent):
    """The first kafka unit joined the relation."""


class KafkaDisconnected(_KafkaRelationEvent):
    """The last kafka unit departed, or the relation was broken."""


class KafkaUnavailable(_KafkaRelationEvent):
    """No kafka unit of the relation is usable any more."""


class KafkaAvailable(_KafkaRelationEvent):
    """Some kafka unit of the relation is usable, or the brokers or zookeepers changed.

    The payload is the one at emit time: a deferred event may carry an outdated one.
    """

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        brokers: tuple[KafkaBroker, ...],
        zookeepers: tuple[ZookeeperServer, ...],
    ):
        super().__init__(handle, relation)
        self._payload = _OfferPayload(brokers=brokers, zookeepers=zookeepers)

    @property
    def brokers(self) -> tuple[KafkaBroker, ...]:
        """The usable kafka units of the relation, in unit-number order."""
        return self._payload.brokers

    @property
    def zookeepers(self) -> tuple[ZookeeperServer, ...]:
        """The zookeeper servers the usable units sent, each once; maybe none.

        Each host and port once, with the first REST port sent for it in unit-number order.
        """
        return self._payload.zookeepers

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self._payload.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event."""
        super().restore(snapshot)
        # Item by item: taken as announced, each must still be a model, not a dict.
        payload = json.loads(snapshot["payload"])
        self._payload = _OfferPayload.model_construct(
            brokers=tuple(_restored(KafkaBroker, json.dumps(b)) for b in payload["brokers"]),
            zookeepers=tuple(
                _restored(ZookeeperServer, json.dumps(z)) for z in payload["zookeepers"]
            ),
        )


class KafkaClientConnected(_KafkaRelationEvent):
    """The first unit of a client joined a relation of the provider's endpoint."""


class KafkaClientDisconnected(_KafkaRelationEvent):
    """The last unit of a client departed, or its relation was broken."""


class KafkaClientAvailable(_KafkaRelationEvent):
    """A client is related, and this unit's port is in its databag on that relation."""


class KafkaClientUnavailable(_KafkaRelationEvent):
    """The relation no longer has both a client unit and this unit's port."""


class KafkaRequiresEvents(ops.ObjectEvents):
    """The events of `KafkaRequires`."""

    connected = ops.EventSource(KafkaConnected)
    available = ops.EventSource(KafkaAvailable)
    unavailable = ops.EventSource(KafkaUnavailable)
    disconnected = ops.EventSource(KafkaDisconnected)


class KafkaProvidesEvents(ops.ObjectEvents):
    """The events of `KafkaProvides`."""

    connected = ops.EventSource(KafkaClientConnected)
    available = ops.EventSource(KafkaClientAvailable)
    unavailable = ops.EventSource(KafkaClientUnavailable)
    disconnected = ops.EventSource(KafkaClientDisconnected)


# --- Reading remote databags ---------------------------------------------------------------


class _UnitRead(NamedTuple):
    """One remote databag, read: its valid fields, and the problems of the others."""

    data: KafkaProviderData
    problems: dict[str, str]


def _read_databag(
    databag: Mapping[str, str], valid_lists: dict[str, tuple[ZookeeperServer, ...]]
) -> _UnitRead:
    """Validate each field on its own terms: a malformed value counts as absent, alone.

    So does each malformed entry of the zookeeper list. A good databag is validated once;
    one with bad fields or entries once more, without them. Every kafka unit sends the same
    zookeeper list: `valid_lists` holds, by their text, the lists already read whole in this
    hook, whose servers the model takes as they are.
    """
    values: dict[str, Any] = {
        key: _decode_raw(value) for key in _RAW_KEYS if (value := databag.get(key))
    }
    problems: dict[str, str] = {}
    if zookeepers := databag.get("zookeepers"):
        try:
            values["zookeepers"] = valid_lists.get(zookeepers) or _decode_zookeepers(zookeepers)
        except ValueError as error:
            problems["zookeepers"] = str(error)
    try:
        data = KafkaProviderData.model_validate(values)
    except pydantic.ValidationError as error:
        bad = _problems(error)
    else:
        if zookeepers and data.zookeepers is not None:
            valid_lists.setdefault(zookeepers, data.zookeepers)
        return _UnitRead(data, problems)
    # A bad entry of the zookeeper list is reported as `zookeepers.<index>[.<key>]`.
    bad_entries = {f: reason for f, reason in bad.items() if f.startswith("zookeepers.")}
    if bad_entries:
        dropped = {field.split(".")[1] for field in bad_entries}
        entries: Sequence[Any] = values["zookeepers"]
        values["zookeepers"] = [e for i, e in enumerate(entries) if str(i) not in dropped]
        problems["zookeepers"] = _describe(
            {field.removeprefix("zookeepers."): reason for field, reason in bad_entries.items()}
        )
    problems.update((field, reason) for field, reason in bad.items() if field not in bad_entries)
    kept = {key: value for key, value in values.items() if key not in bad}
    return _UnitRead(KafkaProviderData.model_validate(kept), problems)


def _usable(unit: ops.Unit, data: KafkaProviderData) -> KafkaBroker | None:
    """The unit as a client reaches it, or None while it lacks a port or a host."""
    host = data.host or data.private_address
    if data.port is None or host is None:
        return None
    return KafkaBroker.model_construct(unit_name=unit.name, host=host, port=data.port)


def _each_once(servers: Iterable[ZookeeperServer]) -> tuple[ZookeeperServer, ...]:
    """The servers in order of first appearance, each once (every kafka unit sends them all).

    A server is its host and port. Its REST port is the first one given, in the order of the
    servers: kafka units of two builds (during an upgrade, say) may send one server with and
    without it, and a known REST port is what a client can use.
    """
    rest_ports: dict[tuple[str, int], int | None] = {}
    for server in servers:
        address = (server.host, server.port)
        if rest_ports.get(address) is None:
            rest_ports[address] = server.rest_port
    return tuple(
        ZookeeperServer.model_construct(host=host, port=port, rest_port=rest_port)
        for (host, port), rest_port in rest_ports.items()
    )


def _offer_digest(
    brokers: tuple[KafkaBroker, ...], zookeepers: tuple[ZookeeperServer, ...]
) -> str:
    """One fingerprint of what an `available` event announced, so stored state tells a change."""
    lines = [f"{b.unit_name} {b.host} {b.port}" for b in brokers]
    lines += [f"zookeeper {z.host} {z.port} {z.rest_port}" for z in zookeepers]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


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


class _KafkaEndpoint(ops.Object, metaclass=abc.ABCMeta):
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


class KafkaRequires(_KafkaEndpoint):
    """The client side of the `kafka` interface: reads where the brokers and zookeepers are.

    Events are per relation. The queries answer for the endpoint as a whole: the usable units
    of every relation, oldest relation first, each in unit-number order.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `requires` endpoint with `interface: kafka`.
    """

    on = KafkaRequiresEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "kafka"):
        super().__init__(charm, relation_name, ops.RelationRole.requires)
        self._reads: dict[tuple[int, str], _UnitRead] = {}
        self._zookeeper_lists: dict[str, tuple[ZookeeperServer, ...]] = {}
        self._offers: dict[int, KafkaOffer] = {}
        self._warned: set[tuple[int, str, tuple[str, ...]]] = set()
        # Per relation id: whether it was connected, and a digest of the offer last announced.
        self._stored.set_default(relations={})

    # Queries: always answered from the current databags.

    def read(self, relation: ops.Relation | None = None) -> KafkaOffer:
        """What the kafka units offer now, typed: on the endpoint, or on one relation."""
        if relation is not None:
            return self._relation_offer(relation)
        offers = [self._relation_offer(each) for each in self.relations]
        return KafkaOffer(
            brokers=tuple(broker for offer in offers for broker in offer.brokers),
            zookeepers=_each_once(server for offer in offers for server in offer.zookeepers),
        )

    def is_available(self) -> bool:
        """Whether some kafka unit is usable: it sent a port, and its host is known."""
        return any(self._relation_offer(relation).brokers for relation in self.relations)

    def get_kafka_ip(self) -> str:
        """The host of the first usable kafka unit, as the legacy layer gave it.

        Raises:
            NoKafkaBrokerError: no kafka unit is usable.
        """
        return self._first_broker().host

    def get_kafka_port(self) -> str:
        """The port of the first usable kafka unit, a string, as the legacy layer gave it.

        Raises:
            NoKafkaBrokerError: no kafka unit is usable.
        """
        return str(self._first_broker().port)

    def kafkas(self) -> list[dict[str, str]]:
        """The usable units as `{"host", "port"}`, the port a string, as the legacy layer gave."""
        return [{"host": b.host, "port": str(b.port)} for b in self.read().brokers]

    def zookeepers(self) -> list[dict[str, str | None]]:
        """The zookeeper servers, each once, as `{"host", "port", "rest_port"}` strings.

        A server is its host and port, listed once however many units send it. Its
        `rest_port` is the first one sent for it, relations oldest first and units in
        unit-number order: a unit that sends none (another build, during an upgrade) does not
        hide the one another unit sends. None when no unit sends one.
        """
        return [
            {
                "host": server.host,
                "port": str(server.port),
                "rest_port": None if server.rest_port is None else str(server.rest_port),
            }
            for server in self.read().zookeepers
        ]

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

    def _first_broker(self) -> KafkaBroker:
        for relation in self.relations:
            brokers = self._relation_offer(relation).brokers
            if brokers:
                return brokers[0]
        raise NoKafkaBrokerError("no kafka unit has sent its port yet")

    # Reading the databags: once per hook each.

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        super()._start_view(departing, broken)
        self._reads.clear()
        self._zookeeper_lists.clear()
        self._offers.clear()

    def _relation_offer(self, relation: ops.Relation) -> KafkaOffer:
        offer = self._offers.get(relation.id)
        if offer is None:
            brokers: list[KafkaBroker] = []
            servers: list[ZookeeperServer] = []
            for unit in self._remote_units(relation):
                data = self._read_unit(relation, unit).data
                broker = _usable(unit, data)
                if broker is not None:
                    brokers.append(broker)
                    servers += data.zookeepers or ()
            offer = self._offers[relation.id] = KafkaOffer(tuple(brokers), _each_once(servers))
        return offer

    def _read_unit(self, relation: ops.Relation, unit: ops.Unit) -> _UnitRead:
        read = self._reads.get((relation.id, unit.name))
        if read is None:
            read = self._reads[relation.id, unit.name] = _read_databag(
                relation.data[unit], self._zookeeper_lists
            )
            if read.problems:
                self._warn(relation.id, unit.name, read.problems)
        return read

    def _warn(self, relation_id: int, unit_name: str, problems: dict[str, str]) -> None:
        if (relation_id, unit_name, tuple(problems)) in self._warned:
            return  # once per hook is enough
        self._warned.add((relation_id, unit_name, tuple(problems)))
        logger.warning(
            "kafka relation %d: ignoring what %s sent as %s: %s",
            relation_id,
            unit_name,
            ", ".join(problems),
            _describe(problems),
        )

    # Turning the view into events.

    def _reconcile(self, relation: ops.Relation) -> None:
        """Emit the events for how the relation's state differs from what was last announced."""
        offer = self._relation_offer(relation)
        connected = bool(self._remote_units(relation))
        available = _offer_digest(offer.brokers, offer.zookeepers) if offer.brokers else None
        key = str(relation.id)
        before = self._stored.relations.get(key, _NOTHING_ANNOUNCED)
        self._stored.relations[key] = {"connected": connected, "available": available}

        if before["available"] and not available:
            self.on.unavailable.emit(relation)
        if before["connected"] and not connected:
            self.on.disconnected.emit(relation)
        if connected and not before["connected"]:
            self.on.connected.emit(relation)
        if available and available != before["available"]:
            self.on.available.emit(relation, offer.brokers, offer.zookeepers)

    def _recorded_ids(self) -> set[int]:
        return {int(key) for key in self._stored.relations}

    def _drop_record(self, relation_id: int) -> None:
        self._stored.relations.pop(str(relation_id), None)


_NOTHING_ANNOUNCED: dict[str, Any] = {"connected": False, "available": None}


# --- Provider ------------------------------------------------------------------------------


def _entry(value: Any) -> Any:
    """One zookeeper server as the charm may give it, as values for `ZookeeperServer`.

    A mapping (the zookeeper library's legacy `zookeepers()`), an object with `host`, `port`
    and `rest_port` attributes (its typed `ZookeeperUnit`), or a `(host, port)` or
    `(host, port, rest_port)` tuple or list, as the legacy `send_zookeepers` documented.
    """
    given: Any = value  # not narrowed by isinstance: the charm may pass anything
    if isinstance(given, Mapping):
        return dict(cast("Mapping[str, Any]", given))
    if isinstance(given, (tuple, list)):
        items = cast("Sequence[Any]", given)
        if len(items) in (2, 3):
            return dict(zip(("host", "port", "rest_port"), items, strict=False))
        return value  # refused by the model, with its message
    if isinstance(given, (str, bytes)) or not hasattr(given, "host"):
        return value
    return {
        "host": getattr(value, "host", None),
        "port": getattr(value, "port", None),
        "rest_port": getattr(value, "rest_port", None),
    }


def _zookeeper_list(zookeepers: Any) -> tuple[Any, ...]:
    """The charm's zookeeper list as a tuple of entries; a ValueError when it is not one."""
    if isinstance(zookeepers, (str, bytes, Mapping)) or not isinstance(zookeepers, Iterable):
        raise ValueError("zookeepers: must be a list of zookeeper servers")
    return tuple(_entry(value) for value in cast("Iterable[Any]", zookeepers))


_PROVIDER_KEYS = ("port", "host", "zookeepers")


class KafkaProvides(_KafkaEndpoint):
    """The kafka side of the `kafka` interface: sends where this broker and zookeeper are.

    What the charm sends is kept in the unit's stored state and written, by this unit, on every
    relation of the endpoint, including relations made later (from their relation-created hook). A
    key the charm has not set (since a refresh from the reactive charm, say) keeps what is on the
    wire.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `provides` endpoint with `interface: kafka`.
    """

    on = KafkaProvidesEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "client"):
        super().__init__(charm, relation_name, ops.RelationRole.provides)
        # `sent`: the wire value of each key the charm set ("" once withdrawn). `relations`:
        # per relation id, whether it was connected and available when last announced.
        # `warned`: whether the warning about a port without zookeepers was given.
        self._stored.set_default(sent={}, relations={}, warned=False)
        self.framework.observe(charm.on[relation_name].relation_created, self._on_created)
        # At the end of the hook, so that the order of the charm's calls does not matter.
        self.framework.observe(self.framework.on.pre_commit, self._on_pre_commit)

    def send_connection(self, port: int | str, host: str | None = None) -> None:
        """Send this unit's broker port and, if given, its host.

        Clients use the unit's `private-address` unless a host is given. Each call replaces
        the port and host an earlier one sent (a host left out is withdrawn); the zookeeper
        list stays.

        Args:
            port: the broker port, such as 9092 (an integer or a string of digits).
            host: a host name or IP address to use instead of the unit's address, or None.

        Raises:
            ValueError: the port or the host is invalid; nothing is written.
        """
        sent = _validated(_SentAddress, {"port": port, "host": host})
        self._send(port=_encode_raw(sent.port), host=_encode_raw(sent.host))

    # The other name the deployed legacy layer gives `send_connection`.
    send_port = send_connection

    def send_configuration(self, port: int | str) -> None:
        """`send_connection(port)`, under the legacy layer's first name (February 2016)."""
        self.send_connection(port)

    def send_zookeepers(self, zookeepers: Iterable[ZookeeperEntry]) -> None:
        """Send the zookeeper servers that this kafka unit uses, for its clients.

        Each server may be a dict with `host`, `port` and optionally `rest_port` (what
        `ZookeeperRequires.zookeepers()` returns), an object with those attributes (the
        `ZookeeperUnit`s of `ZookeeperRequires.read().units`), or a `(host, port)` or
        `(host, port, rest_port)` tuple. Ports are integers or strings of digits. Each call
        replaces the list an earlier one sent; the port and host stay.

        Raises:
            ValueError: the list or one of its servers is invalid; nothing is written.
        """
        sent = _validated(_SentZookeepers, {"zookeepers": _zookeeper_list(zookeepers)})
        self._send(zookeepers=_encode_zookeepers(sent.zookeepers))

    def clear_connection(self) -> None:
        """Withdraw the port, host and zookeeper list from every relation of the endpoint.

        This also removes what a legacy build of the charm wrote.
        """
        self._send(**dict.fromkeys(_PROVIDER_KEYS, ""))

    def is_available(self) -> bool:
        """Whether a client has joined a relation whose databag holds this unit's port.

        The state that `available` and `unavailable` announce, on any relation of the endpoint.
        """
        return any(
            bool(self._remote_units(relation)) and self._port_is_on(relation)
            for relation in self.relations
        )

    def published(self) -> KafkaConnection | None:
        """What this unit sends, as the charm set it, or None when it set nothing."""
        sent = {key: value for key, value in self._stored.sent.items() if value}
        if not sent:
            return None
        servers = json.loads(sent["zookeepers"]) if "zookeepers" in sent else None
        return KafkaConnection.model_construct(
            port=int(sent["port"]) if "port" in sent else None,
            host=sent.get("host"),
            zookeepers=None
            if servers is None
            else tuple(
                ZookeeperServer.model_construct(
                    host=server["host"],
                    port=int(server["port"]),
                    rest_port=None if server["rest_port"] is None else int(server["rest_port"]),
                )
                for server in servers
            ),
        )

    def _send(self, **wire_values: str) -> None:
        self._stored.sent.update(wire_values)
        for relation in self.relations:
            self._write(relation)
            self._reconcile(relation)

    def _on_pre_commit(self, _: ops.PreCommitEvent) -> None:
        """Warn, once, when the port is sent without the zookeeper list legacy clients need."""
        if self._leaving:
            return  # what a unit that is going sends reaches no client
        if not self._port_without_zookeepers():
            if self._stored.warned:
                self._stored.warned = False  # say it again if it happens again
        elif not self._stored.warned:
            self._stored.warned = True
            logger.warning(
                "kafka: the port is sent without a non-empty zookeeper list; legacy clients "
                "do not use this unit until send_zookeepers() gives them one"
            )

    def _port_without_zookeepers(self) -> bool:
        """Whether the charm sent a port that some relation holds without a zookeeper list.

        A list the charm has not replaced stays on the wire, and counts: after a refresh from
        the reactive charm, that charm's list is in this unit's databag of each relation it
        knew. Before any relation exists, only what the charm sent counts.
        """
        sent = self._stored.sent
        if not sent.get("port"):
            return False
        if "zookeepers" in sent:
            return sent["zookeepers"] in ("", "[]")
        relations = self.relations
        return not relations or not all(self._zookeepers_are_on(r) for r in relations)

    def _zookeepers_are_on(self, relation: ops.Relation) -> bool:
        """Whether this unit's databag on the relation holds a non-empty zookeeper list."""
        try:
            return bool(_decode_zookeepers(relation.data[self.model.unit].get("zookeepers", "")))
        except ValueError:
            return False

    def _write(self, relation: ops.Relation) -> None:
        """Write what the charm set, or withdraw it; touch no key whose value is right."""
        databag = relation.data[self.model.unit]
        for key, value in self._stored.sent.items():
            if databag.get(key, "") != value:
                databag[key] = value

    def _on_created(self, event: ops.RelationCreatedEvent) -> None:
        if self._stored.sent and not self._leaving:  # a leaving unit writes nothing more
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


def kafka_relation_for_testing(
    endpoint: str = "kafka",
    *,
    units: int = 1,
    port: int = 9092,
    zookeepers: int = 1,
    malformed_unit: bool = False,
    remote_app_name: str = "kafka",
) -> testing.Relation:
    """An `ops.testing` relation of a kafka client to `units` legacy kafka units.

    Each unit sends what the legacy kafka charm does: its port and the same list of
    `zookeepers` servers (`10.0.9.5:2181`, `10.0.9.6:2181`, ..., REST port 9998), no host;
    Juju's `private-address` is `10.0.11.5`, `10.0.11.6`, ... A malformed unit, if asked
    for, comes last and sends garbage in every key.
    """
    from ops import testing

    zookeeper = ipaddress.IPv4Address("10.0.9.5")
    servers = [
        ZookeeperServer(host=str(zookeeper + number), port=2181, rest_port=9998)
        for number in range(zookeepers)
    ]
    first = ipaddress.IPv4Address("10.0.11.5")
    databags: dict[int, dict[str, str]] = {
        number: {
            **_juju_keys(str(first + number)),
            "port": str(port),
            "zookeepers": _encode_zookeepers(servers),
        }
        for number in range(units)
    }
    if malformed_unit:
        garbage = "not-valid kafka data!"
        databags[units] = {**_juju_keys(garbage), "port": garbage, "zookeepers": garbage}
    return testing.Relation(
        endpoint, interface=INTERFACE, remote_app_name=remote_app_name, remote_units_data=databags
    )


def client_relation_for_testing(
    endpoint: str = "client", *, units: int = 1, remote_app_name: str = "kafka-client"
) -> testing.Relation:
    """An `ops.testing` relation of a kafka charm to `units` client units."""
    from ops import testing

    first = ipaddress.IPv4Address("10.0.12.5")
    return testing.Relation(
        endpoint,
        interface=INTERFACE,
        remote_app_name=remote_app_name,
        remote_units_data={number: _juju_keys(str(first + number)) for number in range(units)},
    )
