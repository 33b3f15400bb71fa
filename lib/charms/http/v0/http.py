# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
r"""Wire-compatible `ops` library for the legacy `http` interface.

An `ops` replacement for the reactive `interface-http` layer. A charm that uses it keeps
talking to charms still running the legacy layer, in both directions, byte for byte.

- `HttpRequires` is for reverse proxies and load balancers, such as haproxy, apache2 or
  kubeapi-load-balancer (the legacy requires side).
- `HttpProvides` is for the websites behind them (the legacy provides side).

## Getting started

The library ships as the Python package `legacy-interfaces-http`, built from this very file,
which it installs at its import path with its dependencies. Depend on it as the charm
declares its other dependencies: `legacy-interfaces-http>=0.6` in `requirements.txt`
(charmcraft's `charm` plugin), or in `pyproject.toml`'s `dependencies` (the `uv` and
`poetry` plugins); the `python` plugin installs no dependency of a package by itself, so
give it a requirements file that lists them all, exported from the charm's lock. Or copy
this file to the charm's `lib/charms/http/v0/` and depend on `pydantic>=2`.

`charmcraft fetch-lib` cannot bring it: Charmhub registers no new libraries, and a library's
name belongs to the Charmhub charm it is named after. Choose one way per library: two files
with one import path shadow each other on `sys.path`. A charm's test can make sure it
imports this one: `assert charms.http.v0.http.LIBID == "b9626031eddb48aa83d1b9d2dd0870c5"`.

A reverse proxy's conventional endpoint name is `reverseproxy`:

```yaml
requires:
  reverseproxy:
    interface: http
```

## Requirer example

The safe default is one handler that configures from what the relation offers now:

```python
from pathlib import Path

import ops

from charms.http.v0.http import HttpRequires

# Where the reverse proxy reads its backends.
BACKENDS_FILE = Path("/etc/my-proxy/backends.conf")


class ProxyCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.reverseproxy = HttpRequires(self)
        for event in (
            self.on.config_changed,
            self.reverseproxy.on.new_website,
            self.reverseproxy.on.website_removed,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _reconcile(self, _: ops.EventBase):
        lines = []
        for service in self.reverseproxy.read().services:
            lines.append(f"backend {service.service_name}")
            # `address` is `hostname:port`, an IPv6 host in brackets, as proxies take it.
            lines += [f"    server {host.address}" for host in service.hosts]
        BACKENDS_FILE.write_text("".join(f"{line}\n" for line in lines))

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        if not self.reverseproxy.is_available():
            event.add_status(ops.WaitingStatus("waiting for a website"))
        event.add_status(ops.ActiveStatus())
```

**Goal**, as deployed (two units beside a reactive website on IPv6; each side scaled up and
down, the leader replaced, then a refresh from the reactive charm): every unit is Active,
with a backend per website application in `/etc/my-proxy/backends.conf`, naming each website
unit as `host:port` (IPv6 addresses in brackets), two applications related included. A
host's `hostname` stays bare (`fd00::5`), as Juju writes addresses; its `address` is
bracketed.

Websites behind haproxy-style proxies also send extra keys: `services` (a YAML list of
stanzas), `all_services`, `service_name`, `sitenames`. `extras()` gives each unit's, by
unit name; `yaml(key)` parses one safely:

```python
for unit_name, extras in self.reverseproxy.extras().items():
    stanzas = extras.yaml("services")  # or extras.services
    if not isinstance(stanzas, list):
        continue  # not sent, not YAML, or refused (and logged)
    names = [stanza.get("service_name") for stanza in stanzas if isinstance(stanza, dict)]
    self.unit.status = ops.ActiveStatus(f"{unit_name} serves {', '.join(map(str, names))}")
```

What the YAML holds is the website's to say: the library checks that it is plain YAML of
bounded size, not what its stanzas mean.

## Provider example

A website declares:

```yaml
provides:
  website:
    interface: http
```

```python
import ops

from charms.http.v0.http import HttpProvides, ProxyServer, ProxyService


class WebsiteCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.website = HttpProvides(self)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        # Written on every relation of the endpoint, and on each one made later, with
        # this unit's ingress address on each relation.
        self.website.configure(8080)
        # For haproxy, which takes a unit that sends `services` as it is: a stanza that
        # names this unit (at its ingress address) as the server.
        self.website.publish_services(
            [
                ProxyService(
                    service_name="my-site",
                    service_host="0.0.0.0",
                    service_port=80,
                    service_options=("mode http", "balance leastconn"),
                    servers=(ProxyServer(port=8080, options="check"),),
                )
            ]
        )
```

**Goal**, as deployed (two units beside an `ops` proxy of this library; each side scaled up
and down, the leader replaced, then a refresh from the reactive charm): every proxy unit
reads every website unit, and each unit's `services` stanza names that unit.

What the charm publishes is kept in the unit's stored state, so it survives restarts and
reaches relations made later, from their relation-created hook (a test that starts a new
relation at relation-joined finds nothing written yet). A key the charm has not set keeps what
is on the wire: after a refresh from the reactive charm, that charm's data stays until the
`ops` charm publishes its own.

**Addresses.** `configure(port, private_address=None, hostname=None)` takes, for each
address, None (or "") for this unit's ingress address on each relation (from Juju's
network binding of the relation, else the `ingress-address` Juju wrote there), one
address, or a list such as virtual IPs. With a list, the first entries of both go in
`hostname` and `private-address`, and the others in `extended_data`; the shorter list is
padded with the ingress address, as the legacy layer did:

| call | `hostname` | `private-address` | `extended_data` |
|---|---|---|---|
| `configure(80)` | ingress | ingress | absent (removed if there) |
| `configure(80, "10.0.0.5")` | ingress | `10.0.0.5` | absent (removed if there) |
| `configure(80, ["10.0.0.5"])` | ingress | `10.0.0.5` | `[]` |
| `configure(80, ["10.0.0.5", "10.0.0.9"])` | ingress | `10.0.0.5` | ingress, `10.0.0.9` |
| `configure(80, ["10.0.0.5", "10.0.0.9"], ["a"])` | `a` | `10.0.0.5` | ingress, `10.0.0.9` |
| `configure(80, "10.0.0.5", ["a", "b"])` | `a` | `10.0.0.5` | `b`, ingress |
| `configure(80, [], [])` | ingress | ingress | absent (removed if there) |

Each entry of `extended_data` is shown as its hostname, then its private address.

`private-address` is overwritten on purpose: legacy reverse proxies read it rather than
`hostname`. Where the ingress address is needed but unknown (network-get failed and Juju
wrote none), nothing of the website is written on that relation; the library retries in
every later hook of it, and logs a WARNING. `publish_info(port, hostname=None)`, the name
the charms.reactive documentation used, is `configure(port, hostname=hostname)`;
`get_ingress_address(relation_id)` answers as the legacy method did, the oldest relation by
default (None for a relation being broken, or while this unit is leaving). `clear_website()`
withdraws the website.

**Extra keys.** `publish_extra({"sitenames": "a.example b.example"})`, or the legacy
`set_remote(sitenames=...)`, writes raw keys on every relation (None or "" withdraws one);
`publish_services(stanzas)` writes `services` from typed `ProxyService` stanzas;
`clear_extra("sitenames")` withdraws keys, and `clear_extra()` every extra key, a legacy
build's too. The library's own keys (`hostname`, `private-address`, `port`,
`extended_data`) and Juju's (`ingress-address`, `egress-subnets`) are refused there.

## Events

Each event fires when its state becomes true, or when its payload changes; never twice for
the same payload. Each has a counterpart for "stopped being true". All are per relation,
and carry `relation`.

Requirer (`HttpRequires.on`):

- `connected` (`HttpConnected`): the first website unit joined.
- `available` (`HttpAvailable`): some website unit is usable (it sent a port, and its
  host is known).
- `new_website` (`HttpNewWebsite`): a website appeared or changed (its hostname, private
  address, port, `extended_data` or extra keys), or one went away while others remain.
  Payload: `websites`, a tuple of `HttpWebsite` in unit-number order: the usable units. A
  unit that sends extra keys alone counts as a website here (see "Extra keys alone").
- `website_removed` (`HttpWebsiteRemoved`): a usable unit departed, or withdrew its port;
  or a unit that sent extra keys alone departed, or withdrew them. Payload: `unit_name`.
  The legacy layer never noticed either.
- `unavailable` (`HttpUnavailable`): no website unit is usable any more.
- `disconnected` (`HttpDisconnected`): the last unit departed, or the relation broke.

Provider (`HttpProvides.on`):

- `connected` (`HttpProxyConnected`): the first unit of a reverse proxy joined. This is
  what the legacy `{endpoint}.available` state meant.
- `available` (`HttpProxyAvailable`): a reverse proxy is related and this unit's port is on
  that relation (in this unit's databag, whoever wrote it: after a refresh from the
  reactive charm, that charm's data counts).
- `unavailable` (`HttpProxyUnavailable`): no longer so.
- `disconnected` (`HttpProxyDisconnected`): the reverse proxy's last unit departed, or the
  relation broke.

**Order.** Within one hook, relation by relation (oldest first), the ends come first, then
the starts: `website_removed` (per unit), `unavailable`, `disconnected`, `connected`,
`available`, `new_website`. So `new_website` carries every website that `available`
announced.

**Extra keys alone.** A website unit that sends extra keys without a port, as legacy
haproxy-style websites (Landscape, say) send only `services`, is not usable: `read()` and
`available` leave it out. Its extra keys are announced all the same, as a usable unit's
are, so that a reverse proxy observing `new_website` and `website_removed` hears of every
change that `read()` and `extras()` show. `new_website` fires when such a unit sends extra
keys, changes or withdraws one, or goes while the relation offers something else; its
`websites` are then the usable units, none maybe (a relation whose units all send extra
keys alone has `connected` and `new_website`, never `available`), and
`extras(event.relation)` has every unit's keys. `website_removed` names such a unit once it
departs or sends no extra key any more.

**Deferral.** A deferred event carries the payload it was emitted with; compare it with
`read(event.relation)`, or use the holistic style above.

**The leaving unit.** From the first hook in which Juju names this unit as the departing
one (in relation-departed of a relation of the endpoint: the unit is being removed), every
state of the endpoint ends, in the order above, once, and nothing starts again, in either
role: not on new data, not in upgrade-charm, not when the charm publishes. The view holds
no relation, every query answers "nothing", and the provider writes nothing more (what the
charm publishes is kept, and `published()` answers it, but it reaches no relation). A charm
acting on `available` never acts while its unit is leaving.

**Refresh from the reactive charm.** The library reconciles in the `upgrade-charm` hook
(and in any hook of a relation it has no record of): the "became true" events fire there for
what already holds, so that the ends fire later. The provider also writes there what the
charm set, so a changed ingress address reaches the wire.

**One view per hook.** During relation-departed the departing unit is gone for every query
as well as for the events, from the start of the hook: the handlers of deferred events,
which ops runs first, see the same view. During relation-broken the broken relation is
gone, from the start of the hook too: `read(relation)` and `extras(relation)` of it offer
nothing, and `get_ingress_address()` of it answers None. Each remote databag is read and
validated at most once per hook, and each YAML value parsed at most once; units that send
the same `extended_data` (shared virtual IPs) have it decoded and validated once.

## Queries

- `read(relation=None)` returns a frozen `HttpOffer`. Its `websites` are the usable units
  (`HttpWebsite`: `relation_id`, `unit_name`, `service_name` (the remote application),
  `hostname`, `private_address`, `port: int`, `extended`: the `HttpHost`s of its
  `extended_data`; `hosts`: all of them, main first), over the relations oldest first, each
  in unit-number order. Its `services` group them per application (`HttpService`:
  `service_name`, `hosts`), each host once, sorted by hostname, private address, then port.
  Each `HttpHost` (`hostname`, `private_address`, `port`) gives `address`, the
  `hostname:port` a proxy takes, an IPv6 host in brackets.
- `is_connected()`, `is_available()`.
- The legacy getters: `websites()` returns `[{"hostname", "port", "relation_id",
  "remote_unit_name"}, ...]`, one per usable unit, its main address only; `services()`
  returns `[{"service_name", "hosts": [{"hostname", "private-address", "port"}, ...]}, ...]`
  like `read().services`. Every port there is a string, as the legacy layer gave the main
  ports (it gave `extended_data` ports as they were sent, mixing `"8080"` and `8080`, which
  could crash its sort); `relation_id` is the integer id.
- `extras(relation=None)` returns the `HttpExtras` of each unit that sent extra keys, by
  unit name: `raw` (each key's text), `yaml(key)`, `services`, `all_services`.
- `malformed_units()` lists the remote units that sent malformed fields.
- `HttpProvides.published()` returns what this unit publishes, as an `HttpPublication`.
- `HttpProvides.is_available()` says whether a reverse proxy has joined a relation on which this
  unit's port is: the state of the provider's `available`.

## Migrating from the reactive layer

The deployed layer sets `available` on both sides. `new-website`, `websites()` and
`publish_info()` are the names of the charms.reactive documentation, whose "Interface layers"
page used this interface as its example ("documented" below); no version of the layer had
them. Every name is mapped; the interface spec lists each with its source.

| legacy (`interface-http`) | here |
|---|---|
| `@when('reverseproxy.available')`, run again in every hook | a handler calling `read()` |
| `@when('reverseproxy.changed')` (2015), `new-website` (documented) | `on.new_website` |
| a website gone (never noticed) | `on.website_removed` |
| a unit sending only `services` (never noticed) | `on.new_website`, `on.website_removed` |
| `websites()` (documented) | the same, or `read().websites` |
| `services()` | the same, ports all strings; or `read().services` |
| `unit.received_raw['services']` | `extras()[unit].raw`, `extras()[unit].yaml('services')` |
| provider `@when('website.available')` | `HttpProvides.on.connected`, or configure once |
| provider `publish_info(port, hostname)` (documented) | the same, once for all relations |
| provider `configure(port, private_address, hostname)` | the same, once for all relations |
| provider `set_remote(**keys)` | the same, or `publish_extra()`, `publish_services()` |
| provider `get_ingress_address(rel_id)` | the same |
| provider `to_publish_raw[key] = None` | `clear_extra(key)`, `clear_website()` |

A unit that becomes leader after an event fired never sees it: leader-only logic asks the
queries in `leader_elected` as well.

For a charm's unit tests, `websites_relation_for_testing()` and
`proxy_relation_for_testing()` return `ops.testing` relations holding valid legacy data.

## Wire format

Every website unit writes its own unit databag on every relation of the endpoint; the
reverse proxy writes nothing.

| key | encoding | value |
|---|---|---|
| `hostname` | raw | the first host name given, else this unit's ingress address there |
| `private-address` | raw | the first address given, else the ingress address (over Juju's) |
| `port` | raw | the port, such as `8080` |
| `extended_data` | JSON | only when the charm passed a list: the further addresses (below) |
| `services`, `all_services` | raw | YAML documents, such as haproxy stanzas |
| other extra keys | raw | as the charm set them, such as `sitenames` |

Each `extended_data` object has exactly the keys `hostname`, `port` and `private-address`,
in that order, and the port keeps the type the charm passed: for example
`[{"hostname": "10.0.0.9", "port": 8080, "private-address": "10.0.0.9"}]`. A list of one
address writes `[]`.

A reader takes `hostname`, else `private-address`, as a unit's host; the unit counts once it
has a port. An `extended_data` entry needs a `private-address` and a port (a number or a
string); its hostname defaults to its private address. A raw value that a legacy build
JSON-quoted (`"8080"`) is read as the plain string, and an `extended_data` list that was
JSON-encoded twice is read too.

## Errors

- Bad data from the remote side never raises and never fails a hook. Each malformed field
  counts as absent on its own, and so does each malformed entry of `extended_data` (the
  others count). A WARNING names the relation, unit and fields (never a value), and
  `malformed_units()` lists them. An `extended_data` value that is not JSON, not a list,
  nested too deep or longer than 65,536 characters is malformed as a whole. A unit without
  a valid port, or without a valid `hostname` or `private-address`, is not usable.
- A YAML value is parsed with PyYAML's safe loader in pure Python, under bounds: longer
  than 32,768 characters, nested deeper than 64 levels, containing itself, or with aliases
  that would expand it beyond 32,768 nodes, it is refused without being expanded; so is
  one that is not YAML of plain values (no Python tags). `yaml()` then answers None, a
  WARNING names the key, and for `services` and `all_services`, `malformed_units()` lists
  the unit.
- Bad input from the charm raises `ValueError` before anything is written or stored: a port
  outside 1 to 65535, a port that is neither an integer nor a string of digits (a bool, a
  float, bytes), an address that is not a host name or an IP address (also inside a list),
  an extra key that is the library's or Juju's, or malformed, an extra value that is
  neither a string nor an integer, a stanza whose names, addresses, ports or option lines
  are invalid, or whose further keys are not plain YAML data.

## Changelog

- LIBPATCH 1 (2026-11-22): first release; both roles of the legacy `http` interface.
- LIBPATCH 2 (2026-11-23): a single address that `configure()` refuses is named by its argument
  (`hostname`), not as item 0 of a list; an `extended_data` entry whose hostname is a
  non-string falsy value (`0`, `false`, `[]`) is malformed rather than taken from its
  private address; `HttpExtras.yaml()` documents the types the safe loader gives.
- LIBPATCH 3 (2026-11-23): in relation-departed, the departing unit is left out from the
  start of the hook (Juju's `JUJU_DEPARTING_UNIT`), so the handlers of deferred events that
  ops runs before the hook's own event no longer see it where Juju, or a test's state, still
  lists it. The test helpers give Juju's `egress-subnets` as a CIDR (`10.0.9.5/32`), as Juju
  writes it. New: `HttpProvides.is_available()`, the query of the provider's `available`
  state.
- LIBPATCH 4 (2026-12-07): the leaving unit: from the first hook in which Juju names this
  unit as the departing one, every state of both roles ends, once, and none starts again
  (the provider announced `available` there when the charm published, and ended nothing).
  During relation-broken the broken relation is gone from the start of the hook, for the
  handlers of deferred events too. A unit that sends extra keys without a port (a legacy
  website that sends only `services`) is announced by `new_website`, whose `websites` may
  then be empty, and by `website_removed`, where it fired nothing after `connected`.
  `get_ingress_address()` answers None for a relation out of the hook's view. The hook's
  relation is read from `JUJU_RELATION` too, and a dispatch path with underscores, as
  ops.testing of the ops 2 era sets them.
- LIBPATCH 5 (2026-12-07): the migration table says where each legacy name comes from: the deployed
  layer's code, or the charms.reactive documentation's example (`new-website`, `websites()`,
  `publish_info()`), which no version of the layer had. The docstrings say that what a
  provider sets reaches a relation made later from that relation's relation-created hook.
- LIBPATCH 6 (2026-12-07): `HttpHost.address` gives `hostname:port` with an IPv6 host in
  brackets, and the requirer example writes it, so that it works on IPv6. Each example says
  the goal it reaches when deployed through a lifecycle. The changelog's entries carry their
  dates.  Getting started names the Python package as the way to depend on the library, says
  why `charmcraft fetch-lib` cannot, and how a charm's test tells this file from another
  with its import path (its `LIBID`).
"""

from __future__ import annotations

import abc
import copy
import dataclasses
import hashlib
import ipaddress
import json
import logging
import os
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Protocol, TypeVar, cast

import ops
import pydantic
import yaml

if TYPE_CHECKING:
    from ops import testing

# The unique Charmhub library identifier, never change it
LIBID = "b9626031eddb48aa83d1b9d2dd0870c5"

# Increment this major API version when introducing breaking changes
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version
LIBPATCH = 6

PYDEPS = ["pydantic>=2", "PyYAML>=6"]

logger = logging.getLogger(__name__)

INTERFACE = "http"

# Upper bounds on what a remote unit may send, so a hostile unit cannot make the charm hold,
# parse or log megabytes. 64 KiB of `extended_data` names about 800 addresses. 32 KiB of
# YAML is a hundred haproxy stanzas or more, which PyYAML's pure-Python loader parses in
# half a second at worst, and at most about 16,000 nodes without aliases: the node bound
# only ever refuses a document that aliases blow up.
_MAX_HOST = 253
_MAX_EXTENDED_TEXT = 64 * 1024
_MAX_YAML_TEXT = 32 * 1024
_MAX_YAML_NODES = 32 * 1024
_MAX_CONFIG_LINE = 1024
_MAX_PLAIN_DEPTH = 32
_MAX_YAML_DEPTH = 64
_MAX_REPORTED_ENTRIES = 16
_PORT = re.compile(r"[1-9][0-9]{0,4}")  # no leading zeros: one spelling per port
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A pattern rather than ipaddress.IPv4Address: every remote unit's private-address is
# checked in every hook, and the pattern costs a fraction of it.
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
# An extra key: what legacy charms used (`services`, `all_services`, `sitenames`, ...).
_EXTRA_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
# A haproxy proxy or server name.
_PROXY_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")

# The keys this library writes through configure(), and those Juju writes itself.
_WEBSITE_KEYS = ("hostname", "private-address", "port", "extended_data")
_JUJU_KEYS = ("ingress-address", "egress-subnets", "private-address")
_RESERVED_KEYS = frozenset(_WEBSITE_KEYS + _JUJU_KEYS)
# Extra keys that consumers exchange as YAML documents.
_YAML_KEYS = ("services", "all_services")


# --- Wire codec: `hostname`, `private-address`, `port` and extra keys are raw, -------------
# --- `extended_data` is JSON ----------------------------------------------------------------


def _decode_raw(value: str) -> str:
    """Read a raw value, also accepting one that a legacy build JSON-quoted."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        try:
            # JSON text that starts and ends with a quote can only be a string.
            return str(json.loads(value))
        except ValueError:
            return value
    return value


def _decode_extended(value: str) -> list[Any]:
    """The JSON list of an `extended_data` value; a ValueError says why it is malformed."""
    decoded: Any = value
    # A build that JSON-encoded every value sent the list's JSON text as a JSON string.
    for _ in range(2):
        if len(decoded) > _MAX_EXTENDED_TEXT:
            raise ValueError(f"is longer than {_MAX_EXTENDED_TEXT} characters")
        try:
            decoded = json.loads(decoded)
        except RecursionError:
            raise ValueError("is nested too deep") from None
        except ValueError:
            raise ValueError("is not JSON") from None
        if not isinstance(decoded, str):
            break
    if not isinstance(decoded, list):
        raise ValueError("is not a JSON list")
    return cast("list[Any]", decoded)


def _encode_extended(hosts: Iterable[tuple[str, str]], port: int | str) -> str:
    """The legacy bytes: objects of `hostname`, `port`, `private-address`, in that order.

    The port keeps the type the charm passed: an integer is a JSON number.
    """
    return json.dumps(
        [
            {"hostname": hostname, "port": port, "private-address": address}
            for hostname, address in hosts
        ]
    )


class _YamlLoader(Protocol):
    """What `_parse_yaml` uses of its loader, typed (PyYAML's stubs leave it untyped)."""

    def get_single_node(self) -> yaml.Node | None: ...
    def construct_document(self, node: yaml.Node) -> Any: ...
    def dispose(self) -> None: ...


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, refusing documents nested deeper than it should.

    The scanner's cost grows with the square of the flow nesting (`[[[[...`), and the
    composer recurses once per level: both stop at `_MAX_YAML_DEPTH`, before the cost does.
    """

    _depth = 0

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # noqa: N803 - PyYAML's name
        if self.flow_level >= _MAX_YAML_DEPTH:
            raise _YamlRefusedError("is nested too deep")
        super().fetch_flow_collection_start(TokenClass)  # pyright: ignore[reportUnknownMemberType]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= _MAX_YAML_DEPTH:
            raise _YamlRefusedError("is nested too deep")
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # pyright: ignore[reportUnknownMemberType]
        finally:
            self._depth -= 1


def _parse_yaml(text: str) -> Any:
    """A YAML document, parsed safely; a ValueError says why it is refused.

    The document is composed first, which shares each anchored node rather than copying it,
    and refused if its aliases would expand it beyond `_MAX_YAML_NODES` nodes or make it
    contain itself; only then is it turned into Python values by the safe loader.
    """
    if len(text) > _MAX_YAML_TEXT:
        raise ValueError(f"is longer than {_MAX_YAML_TEXT} characters")
    loader: _YamlLoader | None = None
    try:
        loader = cast("_YamlLoader", _BoundedLoader(text))
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except _YamlRefusedError as refused:
        problem = str(refused)
    except RecursionError:
        problem = "is nested too deep"
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        problem = "is not a YAML document of plain values"
    finally:
        if loader is not None:
            loader.dispose()
    # Raised outside the except block: the parser's exception quotes the text.
    raise ValueError(problem)


class _YamlRefusedError(Exception):
    """A YAML document that would expand too far, or contains itself."""


def _check_expansion(root: yaml.Node) -> None:
    """Measure the document as its aliases would expand it, without expanding it.

    The composer bounds the nesting of the text; an alias nests a whole anchored node where
    it stands, so the expanded document is measured again: its number of nodes and its depth.
    """
    # Per node already measured: its number of nodes and its depth, once expanded.
    measured: dict[int, tuple[int, int]] = {}
    unfinished: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        if isinstance(node, yaml.ScalarNode):
            return 1, 1
        key = id(node)
        known = measured.get(key)
        if known is not None:
            return known
        if key in unfinished:
            raise _YamlRefusedError("contains itself")
        unfinished.add(key)
        total, deepest = 1, 0
        for child in _yaml_children(node):
            size, depth = measure(child)
            total, deepest = total + size, max(deepest, depth)
            if total > _MAX_YAML_NODES:
                raise _YamlRefusedError(f"expands to more than {_MAX_YAML_NODES} nodes")
        if deepest >= _MAX_YAML_DEPTH:
            raise _YamlRefusedError("is nested too deep")
        unfinished.discard(key)
        measured[key] = total, deepest + 1
        return measured[key]

    measure(root)


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    value: Any = node.value
    if isinstance(node, yaml.MappingNode):
        pairs = cast("list[tuple[yaml.Node, yaml.Node]]", value)
        return [item for pair in pairs for item in pair]
    return cast("list[yaml.Node]", value)


def _dump_yaml(value: Any) -> str:
    """YAML as legacy charms wrote it with `yaml.dump`: block style, keys sorted."""
    return yaml.safe_dump(value, default_flow_style=False)


# --- Validation ----------------------------------------------------------------------------
# Messages name what is wrong and never echo the value. The same checks serve the charm's
# input (where a failure is a ValueError) and remote data (where the value counts as absent).


def _parse_port(value: object) -> int:
    """A port from an integer, or from a string of digits as the wire holds it."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be an integer or a string of digits")
    if isinstance(value, str):
        if not _PORT.fullmatch(value):
            raise ValueError("must be a port number, such as 8080")
        value = int(value)
    if not 1 <= value <= 65535:
        raise ValueError("must be a port from 1 to 65535")
    return value


def _check_host(value: str) -> str:
    """A host name, or an IPv4 or IPv6 address (without brackets, as Juju writes them)."""
    if len(value) > _MAX_HOST:
        raise ValueError(f"is longer than {_MAX_HOST} characters")
    if ":" in value:
        if not _is_ipv6(value):
            raise ValueError("must be a host name or an IP address")
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


def _is_ipv6(value: str) -> bool:
    # Answered outside the except block: ipaddress's error quotes the value, and a ValueError
    # raised there would keep it as its context.
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def _check_text(value: str) -> str:
    """Text that Juju can carry, as a plain `str`: it must encode as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        valid = False  # the error quotes the text: raised outside, so it is not the context
    else:
        valid = True
    if not valid:
        raise ValueError("must be valid Unicode text")
    return str.__str__(value)


def _check_proxy_name(value: str) -> str:
    if not _PROXY_NAME.fullmatch(value):
        raise ValueError("must be 1 to 128 letters, digits, '-', '_', '.' or ':'")
    return value


def _check_config_line(value: str) -> str:
    """One line of reverse-proxy configuration: printable, without line breaks."""
    if len(value) > _MAX_CONFIG_LINE:
        raise ValueError(f"is longer than {_MAX_CONFIG_LINE} characters")
    if not value.strip() or not value.isprintable():
        raise ValueError("must be one line of printable text")
    return _check_text(value)


def _plain(value: object, depth: int = 0) -> Any:
    """Data that YAML and JSON carry unchanged, with tuples as lists; else a ValueError."""
    if depth > _MAX_PLAIN_DEPTH:
        raise ValueError("is nested too deep")
    if isinstance(value, str):
        return _check_text(value)
    # Subclasses (enum members) become their plain values, which YAML and JSON can write.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in cast("Sequence[object]", value)]
    if isinstance(value, Mapping):
        items = cast("Mapping[object, object]", value)
        if not all(isinstance(key, str) for key in items):
            raise ValueError("must have string keys")
        return {
            _check_text(cast("str", key)): _plain(item, depth + 1) for key, item in items.items()
        }
    raise ValueError("must be YAML data: strings, numbers, booleans, null, lists, mappings")


def _problems(error: pydantic.ValidationError) -> dict[str, str]:
    """Each bad field and what is wrong with it, leaving out the input values."""
    problems: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        problems.setdefault(field, _reason(item["msg"]))
    return problems


def _describe(problems: Mapping[str, str]) -> str:
    """One line; a problem of the whole value (no field) is given without a field name."""
    return "; ".join(
        f"{field}: {reason}" if field else reason for field, reason in problems.items()
    )


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
ProxyName = Annotated[str, pydantic.AfterValidator(_check_proxy_name)]
ConfigLine = Annotated[str, pydantic.AfterValidator(_check_config_line)]


class HttpHost(_WireModel):
    """One address of a website: where a reverse proxy reaches it.

    `str()` gives `host:port` (an IPv6 host in brackets), and the private address when it
    differs from the hostname.
    """

    hostname: Host
    """As the unit sent it: an IPv6 address is bare, as Juju writes addresses."""
    private_address: Host
    port: Port

    @property
    def address(self) -> str:
        """`hostname:port`, as a proxy's server line takes it: an IPv6 host in brackets."""
        return f"{_bracketed(self.hostname)}:{self.port}"

    def __str__(self) -> str:
        shown = self.address
        if self.private_address != self.hostname:
            shown += f" (private address {self.private_address})"
        return shown


def _bracketed(host: str) -> str:
    """A host as it goes before `:port`: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


class HttpWebsite(_WireModel):
    """A usable website unit: its main address and the extra ones (`extended_data`).

    `str()` gives the unit's name and each of its hosts: `my-site/0 at 10.0.0.5:8080`.
    """

    relation_id: int
    unit_name: str
    service_name: str
    """The remote application's name, as the legacy `services()` named each service."""
    hostname: Host
    """Where the unit is reached: its `hostname`, else its `private-address`."""
    private_address: Host
    """Its `private-address`, else its hostname."""
    port: Port
    extended: tuple[HttpHost, ...] = ()
    """The further addresses (virtual IPs) it sent in `extended_data`, in its order."""

    @property
    def hosts(self) -> tuple[HttpHost, ...]:
        """Every address of the unit: the main one first, then the extended ones."""
        main = HttpHost.model_construct(
            hostname=self.hostname, private_address=self.private_address, port=self.port
        )
        return (main, *self.extended)

    def __str__(self) -> str:
        return f"{self.unit_name} at {', '.join(str(host) for host in self.hosts)}"


class HttpService(_WireModel):
    """The addresses of one remote application, each once, sorted."""

    service_name: str
    hosts: tuple[HttpHost, ...]


@dataclasses.dataclass(frozen=True)
class HttpOffer:
    """What an endpoint offers, typed: the usable website units, in order."""

    websites: tuple[HttpWebsite, ...] = ()
    """One per usable unit, relations oldest first, each in unit-number order."""

    @property
    def services(self) -> tuple[HttpService, ...]:
        """The websites grouped by application, as the legacy `services()` did, typed.

        Applications in order of first appearance; each host (hostname, private address and
        port) once, sorted by hostname, private address, then port as a number.
        """
        grouped: dict[str, dict[tuple[str, str, int], HttpHost]] = {}
        for website in self.websites:
            hosts = grouped.setdefault(website.service_name, {})
            main = (website.hostname, website.private_address, website.port)
            if main not in hosts:
                hosts[main] = HttpHost.model_construct(
                    hostname=website.hostname,
                    private_address=website.private_address,
                    port=website.port,
                )
            for host in website.extended:
                hosts.setdefault((host.hostname, host.private_address, host.port), host)
        return tuple(
            HttpService.model_construct(
                service_name=name, hosts=tuple(hosts[key] for key in sorted(hosts))
            )
            for name, hosts in grouped.items()
        )


class _ReceivedHost(_WireModel):
    """An `extended_data` entry as a reverse proxy reads it."""

    hostname: Host
    private_address: Host = pydantic.Field(alias="private-address")
    port: Port

    @pydantic.model_validator(mode="before")
    @classmethod
    def _from_wire(cls, value: object) -> object:
        given: Any = value  # not narrowed by isinstance: a JSON list holds anything
        if not isinstance(given, Mapping):
            raise ValueError("must be an object with a private-address and a port")
        entry: dict[str, Any] = {
            key: _decode_raw(item) if isinstance(item, str) else item
            for key, item in cast("Mapping[Any, Any]", given).items()
            if key in ("hostname", "private-address", "port")
        }
        # Only a missing hostname falls back: any other value is checked, and may be bad.
        if entry.get("hostname") in (None, ""):
            entry["hostname"] = entry.get("private-address")
        return entry


class HttpProviderData(_WireModel):
    """A website unit's databag as a reverse proxy reads it, Juju's `private-address` too."""

    hostname: Host | None = None
    private_address: Host | None = pydantic.Field(default=None, alias="private-address")
    port: Port | None = None
    extended_data: tuple[_ReceivedHost, ...] | None = None


_RAW_KEYS = ("hostname", "private-address", "port")


class _SentWebsite(_WireModel):
    """What `configure` takes, each address list as a tuple."""

    port: Port
    hostname: tuple[Host, ...] = ()
    private_address: tuple[Host, ...] = ()


def _as_tuple(value: Any) -> Any:
    """A list the charm gave as a tuple, so that strict validation takes it."""
    return tuple(cast("list[Any]", value)) if isinstance(value, list) else value


class ProxyServer(_WireModel):
    """One server of a reverse-proxy stanza: haproxy's `[name, address, port, options]`.

    Args:
        port: the port the server listens on.
        name: the server's name; None names it after this unit and the port, as haproxy
            names the servers it adds itself (`my-app-0-8080`).
        address: the server's address; None is this unit's ingress address on each relation.
        options: haproxy server options, one line (`check inter 2000`), or None.
    """

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    name: ProxyName | None = None
    address: Host | None = None
    port: Port
    options: ConfigLine | None = None

    @pydantic.model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: object) -> object:
        given: Any = value  # not narrowed by isinstance: the charm may pass anything
        if isinstance(given, (list, tuple)) and 3 <= len(cast("Sequence[Any]", given)) <= 4:
            return dict(
                zip(
                    ("name", "address", "port", "options"),
                    cast("Sequence[Any]", given),
                    strict=False,
                )
            )
        return value


class ProxyService(_WireModel):
    """One stanza of the `services` YAML that haproxy-style reverse proxies read.

    The named fields are validated; further keys that a reverse proxy understands
    (`server_options`, `crts`, `backends`, ...) may be given too, as plain YAML data, and are
    written as they are. Build one with keywords, or with `model_validate` from a mapping
    when it has further keys.

    Args:
        service_name: the proxy's name (letters, digits, `-`, `_`, `.`, `:`).
        service_host: the address the proxy listens on, or None for the reverse proxy's
            default.
        service_port: the port the proxy listens on, or None for the reverse proxy's default.
        service_options: haproxy options of the proxy, one line each.
        servers: the servers behind it; haproxy adds none of its own for a unit that sends
            `services`, so a website names itself here.
    """

    model_config = pydantic.ConfigDict(extra="allow", frozen=True)

    service_name: ProxyName
    service_host: Host | None = None
    service_port: Port | None = None
    service_options: tuple[ConfigLine, ...] | None = None
    servers: tuple[ProxyServer, ...] | None = None

    @pydantic.model_validator(mode="before")
    @classmethod
    def _lists_as_tuples(cls, value: object) -> object:
        given: Any = value
        if not isinstance(given, Mapping):
            return value
        fields = dict(cast("Mapping[str, Any]", given))
        for key in ("service_options", "servers"):
            if key in fields:
                fields[key] = _as_tuple(fields[key])
        if isinstance(fields.get("servers"), tuple):
            fields["servers"] = tuple(_as_tuple(server) for server in fields["servers"])
        return fields

    @pydantic.model_validator(mode="after")
    def _check_extra(self) -> ProxyService:
        for key, value in (self.model_extra or {}).items():
            try:
                _plain(value)
            except ValueError as error:
                problem = str(error)
            else:
                continue
            raise ValueError(f"{key}: {problem}")
        return self


def _stanza(service: ProxyService) -> dict[str, Any]:
    """The stored form of a stanza, as the charm gave it.

    It is the wire form, but with None where a server's name or address is left to this unit.
    """
    stanza: dict[str, Any] = {"service_name": service.service_name}
    if service.service_host is not None:
        stanza["service_host"] = service.service_host
    if service.service_port is not None:
        stanza["service_port"] = service.service_port
    if service.service_options is not None:
        stanza["service_options"] = list(service.service_options)
    if service.servers is not None:
        stanza["servers"] = [
            [server.name, server.address, server.port, server.options]
            for server in service.servers
        ]
    for key, value in (service.model_extra or {}).items():
        stanza[key] = _plain(value)
    return stanza


def _render_stanzas(
    stanzas: list[dict[str, Any]], unit_name: str, address: Callable[[], str | None]
) -> str | None:
    """The `services` YAML for one relation, or None while an address it needs is unknown.

    A server without a name is named after the unit and its port (`my-app-0-8080`); one
    without an address gets the unit's ingress address on the relation.
    """
    default_name = unit_name.replace("/", "-")
    rendered: list[dict[str, Any]] = []
    for stanza in stanzas:
        servers: list[list[Any]] | None = stanza.get("servers")
        if servers is None:
            rendered.append(stanza)
            continue
        filled: list[list[Any]] = []
        for name, server_address, port, options in servers:
            if server_address is None:
                server_address = address()
                if server_address is None:
                    return None
            filled.append([name or f"{default_name}-{port}", server_address, port, options])
        rendered.append({**stanza, "servers": filled})
    return _dump_yaml(rendered)


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


@dataclasses.dataclass(frozen=True)
class HttpExtras:
    """The extra keys one website unit sent, beside its address (`services`, `sitenames`, ...).

    `raw` holds each key as the unit sent it (a value that a legacy build JSON-quoted is
    unquoted). `yaml(key)` parses a value as a YAML document, safely and at most once per
    hook; a value that is not YAML, or that is refused (longer than 32 KiB, nested deeper
    than 64 levels, or aliases that would blow it up), is logged at WARNING and answered as
    None.
    """

    relation_id: int
    unit_name: str
    service_name: str
    """The remote application's name."""
    raw: Mapping[str, str]
    _parsed: dict[str, Any] = dataclasses.field(
        default_factory=dict[str, Any], repr=False, compare=False
    )
    _refused: dict[str, str] = dataclasses.field(
        default_factory=dict[str, str], repr=False, compare=False
    )

    def yaml(self, key: str) -> Any:
        """The value of `key` parsed as YAML, a fresh copy each time.

        The values are what `yaml.safe_load` gives, as the legacy consumers read them: plain
        values, and also dates and timestamps (`2026-11-23`), sets (`!!set`) and bytes
        (`!!binary`). None when the key is absent, is not YAML, or is refused.
        """
        if key not in self._parsed and key not in self._refused:
            text = self.raw.get(key)
            if text is None:
                return None
            try:
                self._parsed[key] = _parse_yaml(text)
            except ValueError as error:
                self._refused[key] = str(error)
                logger.warning(
                    "http relation %d: ignoring what %s sent as %s: %s",
                    self.relation_id,
                    self.unit_name,
                    key,
                    error,
                )
        return copy.deepcopy(self._parsed.get(key))

    @property
    def services(self) -> Any:
        """The `services` YAML (haproxy stanzas), parsed; None when absent or refused."""
        return self.yaml("services")

    @property
    def all_services(self) -> Any:
        """The `all_services` YAML (apache2 and haproxy send it), parsed; or None."""
        return self.yaml("all_services")

    def problems(self) -> dict[str, str]:
        """The YAML keys (`services`, `all_services`) that were refused, and why."""
        for key in _YAML_KEYS:
            self.yaml(key)
        return {key: self._refused[key] for key in _YAML_KEYS if key in self._refused}


@dataclasses.dataclass(frozen=True)
class HttpPublication:
    """What this unit publishes, as the charm set it.

    `port` is None when the charm has not configured its website (or withdrew it). Each
    address of `hostnames` and `private_addresses` is None where this unit's ingress address
    on each relation is used.
    """

    port: int | None = None
    hostnames: tuple[str | None, ...] = ()
    private_addresses: tuple[str | None, ...] = ()
    extended: bool = False
    """Whether `extended_data` is written: the charm passed a list of addresses."""
    extra: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    """The extra keys set with `publish_extra` or `set_remote`, as written."""
    services: tuple[ProxyService, ...] = ()
    """The stanzas set with `publish_services`."""


def _validated(
    model: type[_ModelT], values: object, labels: Mapping[str, str] | None = None
) -> _ModelT:
    """Build a model from the charm's own values; a bad value raises a value-free ValueError.

    `labels` renames fields in the message, to the names the charm knows them by.
    """
    try:
        return model.model_validate(values, strict=True)
    except pydantic.ValidationError as error:
        problems = _problems(error)
        problem = _describe({(labels or {}).get(f, f): why for f, why in problems.items()})
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
    logger.warning("a deferred http event carries data this library now refuses: %s", problem)
    return model.model_construct(**json.loads(payload))


def _restored_website(data: Mapping[str, Any]) -> HttpWebsite:
    """A website of a deferred event's payload, its extended hosts models too."""
    hosts = tuple(_restored(HttpHost, json.dumps(host)) for host in data.get("extended", ()))
    website = _restored(HttpWebsite, json.dumps({**data, "extended": []}))
    return website.model_copy(update={"extended": hosts})


class _WebsitesPayload(_WireModel):
    """The payload of `HttpNewWebsite`, as one model so it snapshots as JSON."""

    websites: tuple[HttpWebsite, ...]


# --- Events --------------------------------------------------------------------------------


class _HttpRelationEvent(ops.EventBase):
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


class HttpConnected(_HttpRelationEvent):
    """The first website unit joined the relation."""


class HttpDisconnected(_HttpRelationEvent):
    """The last website unit departed, or the relation was broken."""


class HttpAvailable(_HttpRelationEvent):
    """Some website unit of the relation is usable: it sent a port, and its host is known."""


class HttpUnavailable(_HttpRelationEvent):
    """No website unit of the relation is usable any more."""


class HttpNewWebsite(_HttpRelationEvent):
    """A website appeared or changed (address, port, extended addresses or extra keys).

    It also fires after a website went away while others remain, so that a handler that
    rebuilds the reverse proxy's configuration from `websites` sees every change. A unit that
    sends extra keys without being usable (a legacy website that sends only `services`)
    counts as a website here, though `websites` leaves it out: `websites` may then be empty,
    and `HttpRequires.extras(event.relation)` has its keys. The payload is the one at emit
    time: a deferred event may carry an outdated one.
    """

    def __init__(
        self, handle: ops.Handle, relation: ops.Relation, websites: tuple[HttpWebsite, ...]
    ):
        super().__init__(handle, relation)
        self._payload = _WebsitesPayload(websites=websites)

    @property
    def websites(self) -> tuple[HttpWebsite, ...]:
        """The usable website units of the relation, in unit-number order; maybe none."""
        return self._payload.websites

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self._payload.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event."""
        super().restore(snapshot)
        # Website by website: taken as announced, each must still be a model, not a dict.
        websites = json.loads(snapshot["payload"])["websites"]
        self._payload = _WebsitesPayload.model_construct(
            websites=tuple(_restored_website(website) for website in websites)
        )


class HttpWebsiteRemoved(_HttpRelationEvent):
    """A usable website unit departed, or stopped being usable (it withdrew its port).

    Also a unit that sent extra keys without being usable, when it departs or withdraws them.
    """

    def __init__(self, handle: ops.Handle, relation: ops.Relation, unit_name: str):
        super().__init__(handle, relation)
        self._unit_name = unit_name

    @property
    def unit_name(self) -> str:
        """The name of the website unit that went away, such as `my-site/1`."""
        return self._unit_name

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the unit's name when the event is deferred."""
        return {**super().snapshot(), "unit_name": self._unit_name}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the unit's name of a deferred event."""
        super().restore(snapshot)
        self._unit_name = str(snapshot["unit_name"])


class HttpProxyConnected(_HttpRelationEvent):
    """The first unit of a reverse proxy joined a relation of the provider's endpoint."""


class HttpProxyDisconnected(_HttpRelationEvent):
    """The last unit of a reverse proxy departed, or its relation was broken."""


class HttpProxyAvailable(_HttpRelationEvent):
    """A reverse proxy is related, and this unit's port is in its databag on that relation."""


class HttpProxyUnavailable(_HttpRelationEvent):
    """The relation no longer has both a reverse-proxy unit and this unit's port."""


class HttpRequiresEvents(ops.ObjectEvents):
    """The events of `HttpRequires`."""

    connected = ops.EventSource(HttpConnected)
    available = ops.EventSource(HttpAvailable)
    new_website = ops.EventSource(HttpNewWebsite)
    website_removed = ops.EventSource(HttpWebsiteRemoved)
    unavailable = ops.EventSource(HttpUnavailable)
    disconnected = ops.EventSource(HttpDisconnected)


class HttpProvidesEvents(ops.ObjectEvents):
    """The events of `HttpProvides`."""

    connected = ops.EventSource(HttpProxyConnected)
    available = ops.EventSource(HttpProxyAvailable)
    unavailable = ops.EventSource(HttpProxyUnavailable)
    disconnected = ops.EventSource(HttpProxyDisconnected)


# --- Reading remote databags ---------------------------------------------------------------


class _UnitRead(NamedTuple):
    """One remote databag, read: its valid fields, the problems of the others, its extras."""

    data: HttpProviderData
    problems: dict[str, str]
    extra: dict[str, str]
    extended: tuple[HttpHost, ...] = ()
    """The valid entries of its `extended_data`, as the charm is given them."""
    extended_key: str = ""
    """Those entries as JSON text, which the digest of announced websites takes."""


class _KnownList(NamedTuple):
    """An `extended_data` text already read in this hook: what any unit sending it gets."""

    entries: tuple[_ReceivedHost, ...]
    problem: str | None
    hosts: tuple[HttpHost, ...]
    key: str


def _read_databag(databag: Mapping[str, str], known_lists: dict[str, _KnownList]) -> _UnitRead:
    """Validate each field on its own terms: a malformed value counts as absent, alone.

    So does each malformed entry of `extended_data`. A good databag is validated once; one
    with bad fields or entries once more, without them. Units usually share their virtual
    IPs: `known_lists` holds, by their text, the `extended_data` values already read in this
    hook, whose entries the model then takes as they are.
    """
    # Key by key: ops checks each value it hands over, so Juju's keys are not fetched.
    values: dict[str, Any] = {
        key: decoded
        for key in _RAW_KEYS
        if (value := databag.get(key)) and (decoded := _decode_raw(value))
    }
    extra = {
        key: _decode_raw(value)
        for key in databag
        if key not in _RESERVED_KEYS and (value := databag[key])
    }
    problems: dict[str, str] = {}
    text = databag.get("extended_data")
    known = known_lists.get(text) if text else None
    if known is not None:
        values["extended_data"] = known.entries
        if known.problem is not None:
            problems["extended_data"] = known.problem
    elif text:
        try:
            values["extended_data"] = _decode_extended(text)
        except ValueError as error:
            problems["extended_data"] = str(error)
    try:
        data = HttpProviderData.model_validate(values)
    except pydantic.ValidationError as error:
        bad = _problems(error)
        # A bad entry of `extended_data` is reported as `extended_data.<index>[.<key>]`.
        bad_entries = {f: reason for f, reason in bad.items() if f.startswith("extended_data.")}
        if bad_entries:
            dropped = {field.split(".")[1] for field in bad_entries}
            entries: Sequence[Any] = values["extended_data"]
            values["extended_data"] = [e for i, e in enumerate(entries) if str(i) not in dropped]
            problems["extended_data"] = _describe_entries(bad_entries, len(dropped))
        problems.update((f, reason) for f, reason in bad.items() if f not in bad_entries)
        data = HttpProviderData.model_validate(
            {key: value for key, value in values.items() if key not in bad}
        )
    if known is None and text and data.extended_data is not None:
        entries = data.extended_data
        known = known_lists[text] = _KnownList(
            entries,
            problems.get("extended_data"),
            _hosts(entries),
            # No entries is no entry, however the unit wrote it.
            json.dumps([[e.hostname, e.private_address, e.port] for e in entries])
            if entries
            else "",
        )
    if known is None:
        return _UnitRead(data, problems, extra)
    return _UnitRead(data, problems, extra, known.hosts, known.key)


def _hosts(entries: Iterable[_ReceivedHost]) -> tuple[HttpHost, ...]:
    return tuple(
        HttpHost.model_construct(
            hostname=entry.hostname, private_address=entry.private_address, port=entry.port
        )
        for entry in entries
    )


def _describe_entries(bad_entries: Mapping[str, str], count: int) -> str:
    """What is wrong with each bad entry of `extended_data`, the first ones only.

    A unit may send thousands of bad entries: the report names a few, and how many there are,
    so that a WARNING stays one line.
    """
    shown = dict(list(bad_entries.items())[:_MAX_REPORTED_ENTRIES])
    report = _describe({field[len("extended_data.") :]: reason for field, reason in shown.items()})
    if len(bad_entries) > len(shown):
        report += f"; ... ({count} malformed entries in all)"
    return report


def _usable(relation: ops.Relation, unit: ops.Unit, read: _UnitRead) -> HttpWebsite | None:
    """The unit as a reverse proxy reaches it, or None while it lacks a port or a host."""
    data = read.data
    host = data.hostname or data.private_address
    if data.port is None or host is None:
        return None
    return HttpWebsite.model_construct(
        relation_id=relation.id,
        unit_name=unit.name,
        service_name=unit.app.name,
        hostname=host,
        private_address=data.private_address or host,
        port=data.port,
        extended=read.extended,
    )


def _offer_digest(
    websites: Iterable[HttpWebsite], extras_only: Iterable[str], reads: Mapping[str, _UnitRead]
) -> str:
    """A fingerprint of what a `new_website` event announces: every unit, in order.

    Each usable unit's addresses, ports and extra keys, then the extra keys of each unit that
    sends them without being usable; stored, it tells a change in a later hook. Validated
    names, addresses and JSON hold no tab or line break, so the text is unambiguous: a usable
    unit's line has six fields, the other's two. Without the latter, the text is the one
    LIBPATCH 3 digested, so a refreshed charm announces nothing again.
    """
    lines: list[str] = []
    for website in websites:
        read = reads[website.unit_name]
        fields = (website.hostname, website.private_address, str(website.port))
        extra = _extra_text(read)
        lines.append("\t".join((website.unit_name, *fields, read.extended_key, extra)))
    lines += [f"{unit_name}\t{_extra_text(reads[unit_name])}" for unit_name in extras_only]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _extra_text(read: _UnitRead) -> str:
    return json.dumps(sorted(read.extra.items())) if read.extra else ""


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
    return _name_number(unit.name)


def _name_number(unit_name: str) -> int:
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


class _HttpEndpoint(ops.Object, metaclass=abc.ABCMeta):
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
        return [] if self._leaving or relation.id == self._broken else units

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


class HttpRequires(_HttpEndpoint):
    """The reverse-proxy side of the `http` interface: reads where the websites are.

    Events are per relation. The queries answer for the endpoint as a whole: the usable units
    of every relation, oldest relation first, each in unit-number order.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `requires` endpoint with `interface: http`.
    """

    on = HttpRequiresEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "reverseproxy"):
        super().__init__(charm, relation_name, ops.RelationRole.requires)
        self._reads: dict[tuple[int, str], _UnitRead] = {}
        self._known_lists: dict[str, _KnownList] = {}
        self._websites: dict[int, tuple[HttpWebsite, ...]] = {}
        self._extras: dict[tuple[int, str], HttpExtras] = {}
        self._warned: set[tuple[int, str, tuple[str, ...]]] = set()
        # Per relation id: whether it was connected, the names of its usable units (separated
        # by spaces), and a digest of the websites last announced (None when none was usable).
        self._stored.set_default(relations={})

    # Queries: always answered from the current databags.

    def read(self, relation: ops.Relation | None = None) -> HttpOffer:
        """The usable website units now, typed: of the endpoint, or of one relation."""
        relations = self.relations if relation is None else [relation]
        return HttpOffer(tuple(w for each in relations for w in self._relation_websites(each)))

    def is_available(self) -> bool:
        """Whether some website unit is usable: it sent a port, and its host is known."""
        return any(self._relation_websites(relation) for relation in self.relations)

    def websites(self) -> list[dict[str, Any]]:
        """The getter of the charms.reactive documentation: each usable unit's main address.

        Each has `hostname`, `port` (a string, as on the wire), `relation_id` (the integer
        id) and `remote_unit_name`.
        """
        return [
            {
                "hostname": website.hostname,
                "port": str(website.port),
                "relation_id": website.relation_id,
                "remote_unit_name": website.unit_name,
            }
            for website in self.read().websites
        ]

    def services(self) -> list[dict[str, Any]]:
        """The later legacy getter: the hosts of each remote application.

        Each mapping has `service_name` (the application) and `hosts`, a list of mappings
        with `hostname`, `private-address` and `port`. The hosts are those of every usable
        unit and its `extended_data`, each once, sorted by hostname, private address, then
        port as a number; every port is a string, as the legacy layer gave the ports of the
        main addresses. Applications without hosts are left out.
        """
        return [
            {
                "service_name": service.service_name,
                "hosts": [
                    {
                        "hostname": host.hostname,
                        "private-address": host.private_address,
                        "port": str(host.port),
                    }
                    for host in service.hosts
                ],
            }
            for service in self.read().services
        ]

    def extras(self, relation: ops.Relation | None = None) -> dict[str, HttpExtras]:
        """The extra keys each website unit sent, by unit name; units without any left out.

        Every joined unit counts, usable or not, relations oldest first, each in unit-number
        order.
        """
        relations = self.relations if relation is None else [relation]
        found: dict[str, HttpExtras] = {}
        for each in relations:
            for unit in self._remote_units(each):
                extras = self._unit_extras(each, unit)
                if extras.raw:
                    found[unit.name] = extras
        return found

    def malformed_units(self) -> list[MalformedUnit]:
        """The remote units that sent malformed fields, which count as absent.

        A `services` or `all_services` value that is not YAML, or is refused, counts too.
        """
        found: list[MalformedUnit] = []
        for relation in self.relations:
            for unit in self._remote_units(relation):
                problems = {
                    **self._read_unit(relation, unit).problems,
                    **self._unit_extras(relation, unit).problems(),
                }
                if problems:
                    found.append(
                        MalformedUnit(relation.id, unit.name, tuple(problems), _describe(problems))
                    )
        return found

    # Reading the databags: once per hook each.

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        super()._start_view(departing, broken)
        self._reads.clear()
        self._known_lists.clear()
        self._websites.clear()
        self._extras.clear()

    def _relation_websites(self, relation: ops.Relation) -> tuple[HttpWebsite, ...]:
        websites = self._websites.get(relation.id)
        if websites is None:
            found = (
                _usable(relation, unit, self._read_unit(relation, unit))
                for unit in self._remote_units(relation)
            )
            websites = self._websites[relation.id] = tuple(w for w in found if w is not None)
        return websites

    def _read_unit(self, relation: ops.Relation, unit: ops.Unit) -> _UnitRead:
        read = self._reads.get((relation.id, unit.name))
        if read is None:
            read = self._reads[relation.id, unit.name] = _read_databag(
                relation.data[unit], self._known_lists
            )
            if read.problems:
                self._warn(relation.id, unit.name, read.problems)
        return read

    def _unit_extras(self, relation: ops.Relation, unit: ops.Unit) -> HttpExtras:
        extras = self._extras.get((relation.id, unit.name))
        if extras is None:
            extras = self._extras[relation.id, unit.name] = HttpExtras(
                relation_id=relation.id,
                unit_name=unit.name,
                service_name=unit.app.name,
                raw=types.MappingProxyType(self._read_unit(relation, unit).extra),
            )
        return extras

    def _warn(self, relation_id: int, unit_name: str, problems: dict[str, str]) -> None:
        if (relation_id, unit_name, tuple(problems)) in self._warned:
            return  # once per hook is enough
        self._warned.add((relation_id, unit_name, tuple(problems)))
        logger.warning(
            "http relation %d: ignoring what %s sent as %s: %s",
            relation_id,
            unit_name,
            ", ".join(problems),
            _describe(problems),
        )

    # Turning the view into events.

    def _reconcile(self, relation: ops.Relation) -> None:
        """Emit the events for how the relation's state differs from what was last announced."""
        websites = self._relation_websites(relation)
        units = self._remote_units(relation)
        usable = [website.unit_name for website in websites]
        is_usable = set(usable)  # a list's `in` would make the hook quadratic in the units
        # A unit that sends extra keys without being usable (a legacy website that sends only
        # `services`): a reverse proxy reads it with extras(), so its keys are announced too.
        extras_only = [
            unit.name
            for unit in units
            if unit.name not in is_usable and self._read_unit(relation, unit).extra
        ]
        reads = {name: self._reads[relation.id, name] for name in (*usable, *extras_only)}
        offer = _offer_digest(websites, extras_only, reads) if reads else None
        key = str(relation.id)
        before = {**_NOTHING_ANNOUNCED, **self._stored.relations.get(key, {})}
        self._stored.relations[key] = {
            "connected": bool(units),
            # One string rather than a list: stored state is copied and saved in every hook.
            "units": " ".join(usable),
            "extras_only": " ".join(extras_only),
            # The digest of the last `new_website` (the key's name is LIBPATCH 1's).
            "available": offer,
        }

        # A usable unit is removed once it is no longer usable; one that sent extra keys
        # alone, once it sends none (or is usable after all, which new_website announces).
        removed = [name for name in before["units"].split() if name not in is_usable]
        removed += [name for name in before["extras_only"].split() if name not in reads]
        for unit_name in sorted(removed, key=_name_number):
            self.on.website_removed.emit(relation, unit_name)
        if before["units"] and not websites:
            self.on.unavailable.emit(relation)
        if before["connected"] and not units:
            self.on.disconnected.emit(relation)
        if units and not before["connected"]:
            self.on.connected.emit(relation)
        if websites and not before["units"]:
            self.on.available.emit(relation)
        if offer is not None and offer != before["available"]:
            self.on.new_website.emit(relation, websites)

    def _recorded_ids(self) -> set[int]:
        return {int(key) for key in self._stored.relations}

    def _drop_record(self, relation_id: int) -> None:
        self._stored.relations.pop(str(relation_id), None)


_NOTHING_ANNOUNCED: dict[str, Any] = {
    "connected": False,
    "units": "",
    "extras_only": "",  # not in a record that LIBPATCH 3 saved
    "available": None,
}


# --- Provider ------------------------------------------------------------------------------


def _address_list(value: object) -> tuple[bool, tuple[Any, ...]]:
    """Whether the charm gave a list, and its addresses; None and "" give none."""
    given: Any = value  # not narrowed by isinstance: the charm may pass anything
    if given is None or given == "":
        return False, ()
    if isinstance(given, (list, tuple)):
        return True, tuple(cast("Sequence[Any]", given))
    return False, (value,)


def _check_extra_key(key: object) -> str:
    if not isinstance(key, str) or not _EXTRA_KEY.fullmatch(key):
        raise ValueError(
            "extra keys must be 1 to 128 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit"
        )
    if key in _RESERVED_KEYS:
        owner = "Juju's" if key in _JUJU_KEYS and key not in _WEBSITE_KEYS else "configure()'s"
        raise ValueError(f"{key}: is {owner} key, not an extra key")
    return key


def _extra_wire(key: str, value: object) -> str:
    """The raw text of an extra key; "" (delete) for None or ""."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{key}: must be a string, an integer or None")
    if isinstance(value, int):
        return str(int(value))  # an IntEnum member is written as its number
    try:
        return _check_text(value)
    except ValueError as error:
        problem = str(error)
    raise ValueError(f"{key}: {problem}")


class HttpProvides(_HttpEndpoint):
    """The website side of the `http` interface: tells reverse proxies where this unit is.

    What the charm publishes is kept in the unit's stored state and written, by this unit, on every
    relation of the endpoint, including relations made later (from their relation-created hook). A
    key the charm has not set (since a refresh from the reactive charm, say) keeps what is on the
    wire.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `provides` endpoint with `interface: http`.
    """

    on = HttpProvidesEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "website"):
        super().__init__(charm, relation_name, ops.RelationRole.provides)
        self._addresses: dict[int, str | None] = {}
        # `website`: what configure() was given ({} if never, {"withdrawn": True} once
        # cleared). `sent`: the wire text of each extra key the charm set ("" once withdrawn).
        # `stanzas`: the JSON of the publish_services() stanzas, "" if none. `relations`: per
        # relation id, whether it was connected and available when last announced.
        self._stored.set_default(website={}, sent={}, stanzas="", relations={})

    def configure(
        self,
        port: int | str,
        private_address: str | Sequence[str] | None = None,
        hostname: str | Sequence[str] | None = None,
    ) -> None:
        """Publish this unit's website: its port and addresses, on every relation.

        An address left out (None or "") is this unit's ingress address on each relation.
        Either address may be a list, such as virtual IPs: the first entries go in
        `hostname`, `private-address` and `port`, the others in `extended_data`; the shorter
        list (or a left-out address) is padded with the ingress address. Each call replaces
        what an earlier one published, `extended_data` included.

        Args:
            port: the port the website listens on (an integer or a string of digits). In
                `extended_data` it keeps its type: an integer is a JSON number.
            private_address: an address, a list of them, or None.
            hostname: a host name or address, a list of them, or None.

        Raises:
            ValueError: the port or an address is invalid; nothing is written.
        """
        listed_addresses, addresses = _address_list(private_address)
        listed_hostnames, hostnames = _address_list(hostname)
        # A single address the charm gave is reported by its argument's name, not as item 0.
        labels = {
            f"{name}.0": name
            for name, listed in (
                ("hostname", listed_hostnames),
                ("private_address", listed_addresses),
            )
            if not listed
        }
        sent = _validated(
            _SentWebsite,
            {"port": port, "hostname": hostnames, "private_address": addresses},
            labels,
        )
        length = max(len(sent.hostname), len(sent.private_address), 1)
        pad: list[str | None] = [None] * length
        hosts = [
            [h, a]
            for h, a in zip(
                [*sent.hostname, *pad][:length],
                [*sent.private_address, *pad][:length],
                strict=True,
            )
        ]
        extended = (listed_addresses or listed_hostnames) and bool(
            sent.hostname or sent.private_address
        )
        self._stored.website = {
            "port": str(sent.port),
            # The JSON type of the port in `extended_data`: what the charm passed.
            "port_value": sent.port if isinstance(port, int) else str(sent.port),
            "hosts": hosts,
            "extended": extended,
        }
        self._send()

    def publish_info(self, port: int | str, hostname: str | None = None) -> None:
        """`configure(port, hostname=hostname)`, named as the charms.reactive docs named it."""
        self.configure(port, hostname=hostname)

    def clear_website(self) -> None:
        """Withdraw the port, hostname and `extended_data` from every relation.

        `private-address` is set back to this unit's ingress address on each relation, rather
        than removed: Juju's own value lived there. This also removes what a legacy build of
        the charm wrote.
        """
        self._stored.website = {"withdrawn": True}
        self._send()

    def publish_extra(self, values: Mapping[str, str | int | None]) -> None:
        """Publish extra raw keys, such as `services` (YAML), `sitenames` or `service_name`.

        Each value is written as it is (an integer as its decimal string); None or ""
        withdraws the key. Keys not named keep what was published.

        Raises:
            ValueError: a key is invalid or is the library's or Juju's own (`hostname`,
                `private-address`, `port`, `extended_data`, `ingress-address`,
                `egress-subnets`), or a value is not a string or an integer; nothing is
                written.
        """
        given: Any = values  # not narrowed by isinstance: the charm may pass anything
        if not isinstance(given, Mapping):
            raise ValueError("extra keys: must be a mapping of each key to its value")
        items = cast("Mapping[object, object]", given).items()
        checked = {_check_extra_key(key): _extra_wire(str(key), value) for key, value in items}
        self._stored.sent.update(checked)
        if "services" in checked:
            self._stored.stanzas = ""
        self._send()

    def set_remote(self, **values: str | int | None) -> None:
        """The legacy name for `publish_extra(values)`."""
        self.publish_extra(values)

    def publish_services(self, services: Iterable[ProxyService | Mapping[str, Any]]) -> None:
        """Publish reverse-proxy stanzas as the `services` YAML, on every relation.

        A server without an address gets this unit's ingress address on each relation.

        Args:
            services: `ProxyService` stanzas, or mappings with their keys.

        Raises:
            ValueError: the list is empty, a stanza is invalid, or the YAML would be longer
                than a reverse proxy using this library reads (32 KiB); nothing is written.
        """
        given_services: Any = services  # not narrowed by isinstance: the charm may pass anything
        if isinstance(given_services, (str, bytes, Mapping)) or not isinstance(
            given_services, Iterable
        ):
            raise ValueError("services: must be a list of stanzas")
        given: list[Any] = list(cast("Iterable[Any]", services))
        if not given:
            raise ValueError("services: must hold a stanza; clear_extra('services') withdraws")
        stanzas: list[dict[str, Any]] = []
        for index, service in enumerate(given):
            fields: Any = service
            if isinstance(fields, ProxyService):
                fields = fields.model_dump()
            try:
                checked = _validated(ProxyService, fields)
            except ValueError as error:
                raise ValueError(f"services.{index}: {error}") from None
            stanzas.append(_stanza(checked))
        longest_address = "f" * 39  # as long as an IPv6 address can be
        longest = _render_stanzas(stanzas, self.model.unit.name, lambda: longest_address)
        if longest is not None and len(longest) > _MAX_YAML_TEXT:
            raise ValueError(f"services: the YAML is longer than {_MAX_YAML_TEXT} characters")
        self._stored.stanzas = json.dumps(stanzas)
        self._stored.sent.pop("services", None)
        self._send()

    def clear_extra(self, *keys: str) -> None:
        """Withdraw extra keys from every relation; all of them when none is named.

        With no key named, this also removes the extra keys a legacy build of the charm
        wrote.

        Raises:
            ValueError: a key is the library's or Juju's own; nothing is written.
        """
        names = {_check_extra_key(key) for key in keys}
        if not keys:
            names.update(self._stored.sent)
            for relation in self.relations:
                databag = relation.data[self.model.unit]
                names.update(key for key in databag if key not in _RESERVED_KEYS)
            names.add("services")
        self._stored.sent.update(dict.fromkeys(names, ""))
        if "services" in names:
            self._stored.stanzas = ""
        self._send()

    def get_ingress_address(self, relation_id: int | None = None) -> str | None:
        """This unit's ingress address on a relation of the endpoint, the oldest by default.

        It comes from Juju's network binding of the relation, else from the `ingress-address`
        Juju put in this unit's databag there. None when the endpoint has no relation, the
        relation is out of the hook's view (it is being broken, or this unit is leaving), or
        the address is unknown.

        Raises:
            ValueError: the relation id is not one of a relation of this endpoint.
        """
        relations = self.relations
        if relation_id is None:
            return self._ingress(relations[0]) if relations else None
        for relation in relations:
            if relation.id == relation_id:
                return self._ingress(relation)
        # A relation the view leaves out answers as one without an address: asking about
        # the relation of the hook must not fail the hook. (ops leaves the relation being
        # broken out of `model.relations`.)
        if relation_id == self._broken or any(
            relation.id == relation_id for relation in self.model.relations[self._relation_name]
        ):
            return None
        raise ValueError(f"relation_id: no relation of {self._relation_name!r} has this id")

    def is_available(self) -> bool:
        """Whether a reverse proxy has joined a relation whose databag holds this unit's port.

        The state that `available` and `unavailable` announce, on any relation of the endpoint.
        """
        return any(
            bool(self._remote_units(relation)) and self._port_is_on(relation)
            for relation in self.relations
        )

    def published(self) -> HttpPublication | None:
        """What this unit publishes, as the charm set it, or None when it set nothing."""
        website = dict(self._stored.website)
        extra = {key: value for key, value in self._stored.sent.items() if value}
        services = tuple(
            ProxyService.model_validate(
                {
                    **stanza,
                    "servers": [
                        dict(zip(("name", "address", "port", "options"), server, strict=True))
                        for server in stanza["servers"]
                    ],
                }
                if "servers" in stanza
                else stanza
            )
            for stanza in (json.loads(self._stored.stanzas) if self._stored.stanzas else ())
        )
        configured = bool(website) and not website.get("withdrawn")
        if not (configured or extra or services):
            return None
        hosts: list[Any] = list(website.get("hosts", ())) if configured else []
        return HttpPublication(
            port=int(website["port"]) if configured else None,
            hostnames=tuple(host[0] for host in hosts),
            private_addresses=tuple(host[1] for host in hosts),
            extended=bool(website.get("extended")) if configured else False,
            extra=extra,
            services=services,
        )

    # Writing.

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        super()._start_view(departing, broken)
        self._addresses.clear()

    def _send(self) -> None:
        for relation in self.relations:
            self._reconcile(relation)

    def _ingress(self, relation: ops.Relation) -> str | None:
        """This unit's ingress address on the relation, once per hook; None if unknown."""
        if relation.id in self._addresses:
            return self._addresses[relation.id]
        address: str | None = None
        try:
            ingress = self.model.get_binding(relation).network.ingress_address
            address = None if ingress is None else str(ingress)
        except ops.ModelError:
            pass  # network-get failed: fall back to what Juju wrote on the relation
        if address is None:
            address = relation.data[self.model.unit].get("ingress-address") or None
        if address is not None:
            try:
                _check_host(address)
            except ValueError:
                address = None
        if address is None:
            logger.warning(
                "http relation %d: this unit's ingress address is unknown; what needs it is "
                "not written there yet",
                relation.id,
            )
        self._addresses[relation.id] = address
        return address

    def _wire(self, relation: ops.Relation) -> dict[str, str]:
        """What this unit's databag on the relation must hold, key by key ("" deletes)."""
        wire: dict[str, str] = dict(self._stored.sent)
        if self._stored.stanzas:
            rendered = _render_stanzas(
                json.loads(self._stored.stanzas),
                self.model.unit.name,
                lambda: self._ingress(relation),
            )
            if rendered is not None:
                wire["services"] = rendered
        website = self._stored.website
        if website.get("withdrawn"):
            wire.update(hostname="", port="", extended_data="")
            if address := self._ingress(relation):
                wire["private-address"] = address
        elif website:
            hosts = [(host[0], host[1]) for host in website["hosts"]]
            address = None
            if any(hostname is None or private is None for hostname, private in hosts):
                address = self._ingress(relation)
                if address is None:
                    return wire
            filled = [(hostname or address, private or address) for hostname, private in hosts]
            wire["hostname"], wire["private-address"] = cast("tuple[str, str]", filled[0])
            wire["port"] = website["port"]
            wire["extended_data"] = (
                _encode_extended(cast("list[tuple[str, str]]", filled[1:]), website["port_value"])
                if website["extended"]
                else ""
            )
        return wire

    def _write(self, relation: ops.Relation) -> None:
        """Write what the charm set, or withdraw it; touch no key whose value is right."""
        databag = relation.data[self.model.unit]
        for key, value in self._wire(relation).items():
            if databag.get(key, "") != value:
                databag[key] = value

    def _reconcile(self, relation: ops.Relation) -> None:
        # Nothing is written on a relation being broken, nor by a unit that is leaving.
        if not self._leaving and relation.id != self._broken:
            self._write(relation)
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


def websites_relation_for_testing(
    endpoint: str = "reverseproxy",
    *,
    units: int = 1,
    port: int = 8080,
    extended: int = 0,
    services: str | None = None,
    malformed_unit: bool = False,
    remote_app_name: str = "website",
) -> testing.Relation:
    """An `ops.testing` relation of a reverse proxy to `units` legacy website units.

    Each unit sends what the legacy http layer's `configure(port)` does: `hostname`,
    `private-address` (its address: `10.0.13.5`, `10.0.13.6`, ...) and `port`. With
    `extended`, each also sends that many virtual IPs (`10.0.14.5`, ...) in `extended_data`,
    their port a JSON number; with `services`, that text as its `services` key. A malformed
    unit, if asked for, comes last and sends garbage in every key.
    """
    from ops import testing

    first = ipaddress.IPv4Address("10.0.13.5")
    vips = [str(ipaddress.IPv4Address("10.0.14.5") + number) for number in range(extended)]
    databags: dict[int, dict[str, str]] = {}
    for number in range(units):
        address = str(first + number)
        databags[number] = {**_juju_keys(address), "hostname": address, "port": str(port)}
        if extended:
            databags[number]["extended_data"] = _encode_extended(
                [(vip, vip) for vip in vips], port
            )
        if services is not None:
            databags[number]["services"] = services
    if malformed_unit:
        garbage = "not-valid http data!"
        databags[units] = {
            **_juju_keys(garbage),
            **dict.fromkeys(("hostname", "port", "extended_data", "services"), garbage),
        }
    return testing.Relation(
        endpoint, interface=INTERFACE, remote_app_name=remote_app_name, remote_units_data=databags
    )


def proxy_relation_for_testing(
    endpoint: str = "website", *, units: int = 1, remote_app_name: str = "haproxy"
) -> testing.Relation:
    """An `ops.testing` relation of a website charm to `units` reverse-proxy units."""
    from ops import testing

    first = ipaddress.IPv4Address("10.0.15.5")
    return testing.Relation(
        endpoint,
        interface=INTERFACE,
        remote_app_name=remote_app_name,
        remote_units_data={number: _juju_keys(str(first + number)) for number in range(units)},
    )
