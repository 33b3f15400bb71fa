# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Wire-compatible `ops` library for the legacy `etcd` interface.

An `ops` replacement for the reactive `interface-etcd` layer. A charm that uses it keeps
talking to charms still running the legacy layer, in both directions, byte for byte:
the databag keys and their raw encoding are exactly the legacy ones.

- `EtcdRequires` is for etcd clients (the legacy `etcd` requires side).
- `EtcdProvides` is for charms that publish an etcd cluster (the legacy `db` provides side).

## Getting started

The library ships as the Python package `legacy-interfaces-etcd`, built from this very file,
which it installs at its import path with its dependencies. Depend on it as the charm
declares its other dependencies: `legacy-interfaces-etcd>=0.7` in `requirements.txt`
(charmcraft's `charm` plugin), or in `pyproject.toml`'s `dependencies` (the `uv` and
`poetry` plugins); the `python` plugin installs no dependency of a package by itself, so
give it a requirements file that lists them all, exported from the charm's lock. Or copy
this file to the charm's `lib/charms/etcd/v0/` and depend on `pydantic>=2`.

`charmcraft fetch-lib` cannot bring it: Charmhub registers no new libraries, and a library's
name belongs to the Charmhub charm it is named after; on Charmhub, `charms.etcd.v0.etcd` is
the Charmed Kubernetes etcd charm's library, another API. Choose one way per library: two
files with one import path shadow each other on `sys.path`. A charm's test can make sure it
imports this one: `assert charms.etcd.v0.etcd.LIBID == "17da0f6d3de742c9ab2521b180dcf894"`.

Declare the endpoints in `charmcraft.yaml`, with the conventional names:

```yaml
requires:
  etcd:
    interface: etcd
provides:
  db:
    interface: etcd
```

The library needs `pydantic>=2`, which charmcraft installs from `PYDEPS` below.

## Requirer example

The safe default is one handler that configures from what the relation offers now. It is
right whatever the order of the events, after a deferral, and after a refresh.

```python
from pathlib import Path

import ops

from charms.etcd.v0.etcd import EtcdRequires

# Where the workload reads the etcd endpoints and its client credentials.
ENDPOINTS_FILE = Path("/etc/my-app/etcd-endpoints")
CREDENTIALS_DIR = Path("/etc/my-app/etcd")


class ClientCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        for event in (
            self.on.config_changed,
            self.etcd.on.available,
            self.etcd.on.tls_available,
            self.etcd.on.unavailable,
            self.etcd.on.tls_unavailable,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _reconcile(self, _: ops.EventBase):
        offer = self.etcd.read()
        if offer.cluster is None:
            return  # not available (any more); this workload keeps its last settings
        if offer.tls is not None:
            # Keywords: another etcd library takes these three paths in the reverse order.
            self.etcd.save_client_credentials(
                key=CREDENTIALS_DIR / "client.key",
                cert=CREDENTIALS_DIR / "client.crt",
                ca=CREDENTIALS_DIR / "ca.crt",
            )
        # Once `cluster` is set, its connection string is a str, never None.
        ENDPOINTS_FILE.write_text(offer.cluster.connection_string)

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        if not self.etcd.is_connected():
            event.add_status(ops.BlockedStatus("needs an etcd relation"))
        elif not self.etcd.is_available():
            # Listing problems reads every unit's data: ask only when something is missing.
            problems = self.etcd.malformed_units()
            reason = f": {problems[0]}" if problems else ""
            event.add_status(ops.WaitingStatus(f"waiting for etcd{reason}"))
        event.add_status(ops.ActiveStatus())
```

**Goal**, as deployed (two units beside a reactive etcd; each side scaled up and down, the
leader replaced, then a refresh from the reactive charm): every unit is Active, with the
connection string in `/etc/my-app/etcd-endpoints` and the client credentials in
`/etc/my-app/etcd/`.

The same client driven by the events' payloads. A payload is the state when the event was
emitted; a handler that may run late (deferred, say) compares it with the relation's
current offer, and saves the credentials of that relation (`tls=`), not of the endpoint:

```python
from pathlib import Path

import ops

from charms.etcd.v0.etcd import EtcdAvailable, EtcdRequires, EtcdTlsAvailable

ENDPOINTS_FILE = Path("/etc/my-app/etcd-endpoints")
CREDENTIALS_DIR = Path("/etc/my-app/etcd")


class EventDrivenClientCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        framework.observe(self.etcd.on.available, self._on_etcd_available)
        framework.observe(self.etcd.on.tls_available, self._on_etcd_tls_available)

    def _on_etcd_available(self, event: EtcdAvailable):
        if self.etcd.read(event.relation).cluster != event.cluster:
            return  # outdated: a newer event carries the current cluster, or none will
        ENDPOINTS_FILE.write_text(event.connection_string)

    def _on_etcd_tls_available(self, event: EtcdTlsAvailable):
        tls = self.etcd.read(event.relation).tls
        if tls is None or tls != event.tls:
            return  # outdated: replaced, withdrawn, or the relation is going
        self.etcd.save_client_credentials(
            key=CREDENTIALS_DIR / "client.key",
            cert=CREDENTIALS_DIR / "client.crt",
            ca=CREDENTIALS_DIR / "ca.crt",
            tls=tls,
        )
```

**Goal**, deployed the same way: every unit writes the connection string and saves the
client credentials, as the first example does.

Logic that only the leader runs cannot wait for an event: a unit that becomes leader later
missed it. Ask the queries in `leader_elected` (or in the holistic handler), for instance:

```python
if self.unit.is_leader() and self.etcd.is_available():
    cluster = self.etcd.read().cluster
    assert cluster is not None  # is_available() said so
    self.app.status = ops.ActiveStatus(f"using etcd at {cluster.urls[0]}")
```

## Provider example

```python
import ops

from charms.etcd.v0.etcd import EtcdProvides


class EtcdCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.db = EtcdProvides(self)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        # Written on every relation of the endpoint, and on each one made later.
        self.db.set_connection_string("https://10.0.0.5:2379,https://10.0.0.6:2379", "3.5.16")
        # The client credentials that the leader issued and keeps in an application secret.
        tls = self.model.get_secret(label="etcd-client-tls").get_content()
        self.db.set_client_credentials(tls["client-key"], tls["client-cert"], tls["client-ca"])

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        published = self.db.published()  # what this unit publishes, read back
        if published.cluster is None:
            event.add_status(ops.WaitingStatus("not publishing the cluster yet"))
        event.add_status(ops.ActiveStatus())
```

**Goal**, as deployed (two units, the leader holding the `etcd-client-tls` secret, beside an
`ops` client of this library; each side scaled up and down, the leader replaced, then a
refresh from the reactive charm): every unit is Active, and every client unit reads the
cluster with TLS.

What the charm sets is kept in the unit's stored state, so it survives restarts and reaches
relations made later, from their relation-created hook (a test that starts a new relation at
relation-joined finds nothing written yet). Only the parts that were set are written: keys a
legacy build of the charm wrote stay until replaced. `clear_connection_string()` and
`clear_client_credentials()` withdraw a part from every relation.

## Events

Each event fires when its state becomes true, or when its payload changes; never twice for
the same payload. Each "became true" event has a counterpart for "stopped being true"
(data withdrawn, the unit holding it departed, relation broken). All are per relation, and
carry `relation`; payloads are typed properties.

Requirer (`EtcdRequires.on`):

- `connected` (`EtcdConnected`): the first etcd unit joined.
- `available` (`EtcdAvailable`): a connection string is published, or it or the version
  changed. Payload: `cluster` (an `EtcdCluster`), also as `connection_string`, `version`.
- `tls_available` (`EtcdTlsAvailable`): available, and all three credentials published, or
  one changed. Payload: `tls` (an `EtcdClientTls`), also as `client_key`, `client_cert`,
  `client_ca`. The event never saves the private key in the unit's state, only its digest:
  run again after a deferral, it reads the key back from the relation, and `tls` and
  `client_key` are None once no unit of the relation publishes that key any more.
- `tls_unavailable` (`EtcdTlsUnavailable`): no longer TLS-available.
- `unavailable` (`EtcdUnavailable`): no connection string any more.
- `disconnected` (`EtcdDisconnected`): the last etcd unit departed, or the relation broke.

Provider (`EtcdProvides.on`):

- `connected` (`EtcdClientConnected`): the first unit of a client joined.
- `disconnected` (`EtcdClientDisconnected`): its last unit departed, or the relation broke.

**Order.** Within one hook, relation by relation (oldest first), the ends come first, then
the starts: `tls_unavailable`, `unavailable`, `disconnected`, `connected`, `available`,
`tls_available`. So in the hook where everything arrives at once, `available` runs before
the credentials were announced: a handler of `available` that needs them should ask
`read().tls`, not wait for a flag.

**Deferral.** A deferred event carries the payload it was emitted with. When ops runs it
again, a newer event of the same kind may already have run, the data may have been
withdrawn, and during relation-broken `event.relation.active` is False. Compare the payload
with `read(event.relation)` (second example above), or use the holistic style. Either never
fails a hook, whatever was deferred.

**The leaving unit.** From the first hook in which Juju names this unit as the departing
one (in relation-departed of a relation of the endpoint: the unit is being removed), every
state of the endpoint ends, in the order below, once, and nothing starts again: the view
holds no relation, every query answers "nothing", and a provider writes nothing more. A
charm acting on `available` never acts while its unit is leaving.

**Refresh from the reactive charm.** After `juju refresh` from a reactive charm, the
library has no record of what was announced while its relations are established. It
reconciles in the `upgrade-charm` hook (and in any hook of a relation it has no record of):
the "became true" events fire there for what already holds, so that the ends fire later.

**One view per hook.** During relation-departed the departing unit is gone for every query
as well as for the events, from the start of the hook: the handlers of deferred events,
which ops runs first, see the same view. During relation-broken the broken relation is
gone, from the start of the hook too: `read(relation)` of it offers nothing. Each remote
databag is read and validated at most once per hook, however many queries the charm asks,
and units are read only until every key has a value.

## Queries

Every state has a query that answers from the current databags in any hook:
`is_connected()`, `is_available()`, `is_tls_available()`, and the typed read:

- `EtcdRequires.read(relation=None)` returns a frozen `EtcdOffer`: `cluster` (an
  `EtcdCluster` with `connection_string`, `version` and `urls`) is set once available, and
  `tls` (an `EtcdClientTls`) once TLS-available; TLS needs a connection string on the same
  relation. For the endpoint as a whole it is one relation's offer, so that the connection
  string and the credentials belong together: the oldest TLS-available relation, or else
  the oldest available one. `read(relation)` gives one given relation's offer.
- The legacy getters `get_connection_string()`, `get_version()`, `get_client_credentials()`
  answer the same, Optional.
- `malformed_units()` lists the remote units that sent malformed fields; `str()` of each is
  a line for a status message.
- `EtcdProvides.published()` returns what this unit publishes, as an `EtcdOffer`.

## Migrating from the reactive layer

| legacy (`interface-etcd`) | here |
|---|---|
| `@when('etcd.connected')` | `on.connected`; `is_connected()` |
| `@when('etcd.available')`, run again in every hook | a holistic handler calling `read()` |
| `@when('etcd.tls.available')` | `on.tls_available`; `read().tls` |
| flags cleared (legacy: on relation-broken only) | `on.unavailable`, `on.tls_unavailable` |
| `@when_not('etcd.connected')` | `on.disconnected`; `not is_connected()` |
| `@when('etcd.available', 'leadership.is_leader')` | a query in `leader_elected` too |
| `get_connection_string()` | the same, or `read().cluster.connection_string` |
| `connection_string()`, its older name | the same |
| `get_version()` | the same, or `read().cluster.version` |
| `get_client_credentials()` | the same (same keys), or `read().tls` |
| `save_client_credentials(key, cert, ca)` | the same, same order; `user=`, `group=` |
| provider `@when('db.connected')` | `EtcdProvides.on.connected`; `is_connected()` |
| provider `set_connection_string(string, version)` | the same, once for all relations |
| provider `set_client_credentials(key, cert, ca)` | the same, once for all relations |

The legacy `@when('etcd.available')` handler ran in every hook while the flag was set; an
event fires once per change. Code that relied on running again (to retry, or after a config
change) belongs in a handler of every event it depends on, asking `read()`. A unit that
becomes leader after `available` fired never sees it: leader-only logic asks the queries in
`leader_elected` as well.

**Mind the argument order of `save_client_credentials`:** it is the legacy one, key, cert,
ca. The Charmed Kubernetes etcd libraries below take the same three paths in the reverse
order, ca, cert, key. Call it with keywords (`key=`, `cert=`, `ca=`). A call whose cert or
ca path names a key (`client.key`) while the key path does not is refused with a
`ValueError` before any file is written; a call with names that tell nothing
(`a.pem`, `b.pem`) cannot be checked, which is why keywords are the safe way.

## Coming from the etcd libraries in use

Two `ops` libraries already read this relation, both from Charmed Kubernetes:
`charms.kubernetes_libs.v0.etcd` (`EtcdReactiveRequires`, in kubernetes-control-plane and
calico) and layer-etcd's `charms.etcd.v0.etcd` (`EtcdRequires`, `EtcdProvides`; the name
is this library's too, with another API and LIBID `cb9fd1730d05485fbb40e952a585c636`). They
read the same legacy wire, so a charm moves over without its partner noticing:

| there | here |
|---|---|
| `EtcdReactiveRequires(self)`, `EtcdRequires(self)` | `EtcdRequires(self)` (endpoint `etcd`) |
| `on.connected`, in every relation hook while related | `on.connected`, once |
| `on.available`, in every relation hook while it holds | `on.available`, once per change |
| `on.tls_available`, likewise | `on.tls_available`, once per change |
| `on.disconnected` (layer-etcd) | `on.disconnected` |
| nothing when the data goes | `on.unavailable`, `on.tls_unavailable` |
| `is_ready` (connection string and all three credentials) | `is_tls_available()` |
| `get_connection_string()` | the same (None, not "", when there is none) |
| `get_client_credentials()` | the same keys, or None until all three are there |
| `save_client_credentials(ca_path, cert_path, key_path)` | **reversed**: `(key, cert, ca)` |
| `relation`, the first relation | `relations`, every relation, oldest first |
| `state.connected`, `.available`, `.tls_available` | `is_connected()`, `is_available()` |
| provider `set_connection_string()`, `set_client_credentials()` | the same, every relation |

Their events fire in every relation hook while the state holds, so a handler written for
them may assume it runs again; here each fires once per change: observe `config_changed`
too, as the examples do, for work that depends on the charm's own settings. Both read the
first remote unit only; this library reads every unit and offers the relation's data once
they agree. A charm that vendored layer-etcd's file under the same import path must remove
it: two files named `charms.etcd.v0.etcd` shadow each other (see Getting started for the
`LIBID` check).

For a charm's unit tests, `etcd_relation_for_testing()` and `client_relation_for_testing()`
return `ops.testing` relations holding valid legacy data (several units, an optional
malformed one), and `credentials_for_testing()` real-looking PEM credentials, so that tests
never hand-write databags.

## Wire format

Every etcd unit writes its own unit databag on every relation of the endpoint; the client
writes nothing. All values are raw strings. The requirer reads each key as the first
non-empty valid value over the remote units, in unit-number order.

| key | value |
|---|---|
| `connection_string` | client URLs, comma-separated, such as `https://10.0.0.5:2379` |
| `version` | etcd version, such as `3.5.16`; absent if unknown (read as 2.x) |
| `client_key` | PEM: one PRIVATE KEY block |
| `client_cert`, `client_ca` | PEM: CERTIFICATE blocks only |

Each URL is `http` or `https`, a host and a port, and nothing else; an IPv6 host is in
brackets. A value that a legacy build JSON-quoted (`"3.5.16"`) is read as the plain
string. A bare IPv6 host, as etcd charms built before 2023 wrote it
(`https://fd00::1:2379`), is read and handed to the charm in brackets
(`https://[fd00::1]:2379`).

## Errors

- Bad data from the remote side never raises and never fails a hook. Each malformed field
  counts as absent on its own: the unit's other fields still count. A WARNING names the
  relation, unit and fields (never a value), and `malformed_units()` lists them.
- Bad input from the charm raises `ValueError` before anything is written or stored; the
  message never holds the value. Validation is strict: a wrong type (bytes, a number), a URL
  with anything beyond scheme, host and port (a user, a path, a query, a control character),
  port 0, a bare IPv6 host, a version that is not one, PEM blocks of the wrong kind or with a
  body that is not base64.
- `save_client_credentials()` raises `EtcdCredentialsUnavailableError`, and touches no
  file, when not TLS-available; `ValueError`, touching no file, when two paths name the same
  file, a path is a directory, or the `user`/`group` is unknown. It writes each file
  atomically (the key 0600, the certificates 0644, owned by `user`/`group` if given),
  replacing a symlink at a path rather than following it, removes files a killed write left
  behind, and syncs the directory.

## Changelog

- LIBPATCH 1 (2026-11-22): first release; both roles of the legacy `etcd` interface.
- LIBPATCH 2 (2026-11-22): the docstring examples are complete, and the test suite runs
  them. Setters refuse values of the wrong type (bytes, numbers) with `ValueError` instead
  of converting them or raising `TypeError`, refuse text that is not valid UTF-8, and no
  longer keep the refused input in the exception's context. A JSON-quoted value whose
  escapes spell a lone surrogate is malformed, instead of failing the hook.
- LIBPATCH 3 (2026-11-22): reconciles on `upgrade-charm`, so a charm refreshed from its
  reactive version announces what holds. A malformed field no longer hides the unit's other
  fields. One view per hook: the departing unit no longer counts for queries in
  relation-departed, nor the broken relation in relation-broken. `read()` returns a typed
  `EtcdOffer`; each databag is read and validated once per hook, and units only until every
  key is found. Endpoint queries no longer merge keys across relations. Strict URL and PEM
  grammar, for writing and reading; bare IPv6 hosts are handed on bracketed.
  `save_client_credentials()` checks all targets first, writes certificates 0644, cleans up
  after killed writes, syncs the directory, and takes `user=`/`group=`. A deferred event
  whose payload this version would refuse is restored as it was, not failed. New:
  `EtcdProvides.published()`, the events' `cluster`/`tls` payloads, `str(MalformedUnit)`,
  and test helpers.
- LIBPATCH 4 (2026-11-23): in relation-departed, the departing unit is left out from the
  start of the hook (Juju's `JUJU_DEPARTING_UNIT`), so the handlers of deferred events that
  ops runs before the hook's own event no longer see it where Juju, or a test's state, still
  lists it.
- LIBPATCH 5 (2026-12-07): the leaving unit: from the first hook in which Juju names this
  unit as the departing one, every state ends, once, and none starts again. During
  relation-broken the broken relation is gone from the start of the hook, for
  `read(relation)` too, so the documented event-driven client no longer fails that hook
  after a deferred `tls_available`; its example saves that relation's credentials (`tls=`).
  `tls_available` no longer puts the private key in the unit's state: it saves a digest, and
  a deferred one reads the key back from the relation (`tls` and `client_key` may then be
  None). `save_client_credentials()` replaces a symlink at a path instead of writing through
  it, and refuses a directory with `ValueError`, as documented, instead of
  `IsADirectoryError`. The hook's relation is read from `JUJU_RELATION` too, and a dispatch
  path with underscores, as ops.testing of the ops 2 era sets them.
- LIBPATCH 6 (2026-12-07): `EtcdRequires.connection_string()`, the older name of
  `get_connection_string()` that the deployed legacy layer still offers. The migration table
  maps every name of the deployed layer, as the interface spec lists them. The docstrings
  say that what a provider sets reaches a relation made later from that relation's
  relation-created hook.
- LIBPATCH 7 (2026-12-07): `save_client_credentials()` refuses, before writing anything, a
  call whose cert or ca path names a key while its key path does not: the reverse order of
  Charmed Kubernetes' etcd libraries, which would put the private key where the CA goes. A
  section maps those libraries (`charms.kubernetes_libs.v0.etcd`, layer-etcd's
  `charms.etcd.v0.etcd`) to this one. Each example says the goal it reaches when deployed
  through a lifecycle (units added and removed on both sides, leadership moved, a refresh
  from the reactive charm). The changelog's entries carry their dates. Getting started
  names the Python package as the way to depend on the library, says why `charmcraft
  fetch-lib` cannot, and how a charm's test tells this file from another with its import
  path (its `LIBID`).
"""

from __future__ import annotations

import abc
import base64
import dataclasses
import glob
import grp
import hashlib
import ipaddress
import json
import logging
import os
import pwd
import re
import stat
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

import ops
import pydantic

if TYPE_CHECKING:
    from ops import testing

# The unique Charmhub library identifier, never change it
LIBID = "17da0f6d3de742c9ab2521b180dcf894"

# Increment this major API version when introducing breaking changes
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version
LIBPATCH = 7

PYDEPS = ["pydantic>=2"]

logger = logging.getLogger(__name__)

INTERFACE = "etcd"

# Upper bounds on what a remote unit may send, so that a hostile or broken peer cannot make
# the charm hold or log megabytes. A CA bundle is the largest legitimate value.
_MAX_CONNECTION_STRING = 16 * 1024
_MAX_VERSION = 64
_MAX_PEM = 256 * 1024

# A digit first (an optional "v" aside), so that "None" and "null" are refused.
_VERSION = re.compile(r"v?[0-9][0-9A-Za-z.+~_-]*")
_SCHEMES = ("http", "https")
_PORT = re.compile(r"[1-9][0-9]{0,4}")  # no leading zeros: one spelling per port
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
# One PEM block: a label, optional RFC 1421 headers (legacy encrypted keys carry
# "Proc-Type:" and "DEK-Info:"), then base64 lines.
_PEM_BLOCK = (
    r"-----BEGIN (?P<label>[A-Z0-9]+(?: [A-Z0-9]+)*)-----\r?\n"
    r"(?:[A-Za-z0-9-]+: ?[^\r\n]*\r?\n)*(?:\r?\n)?"
    r"(?P<body>(?:[A-Za-z0-9+/]+={0,2}\r?\n)+)"
    r"-----END (?P=label)-----"
)
_PEM = re.compile(rf"[ \t\r\n]*(?:{_PEM_BLOCK}[ \t\r\n]*)+")
_ONE_PEM_BLOCK = re.compile(_PEM_BLOCK)
# Python text can hold halves of UTF-16 surrogate pairs that no UTF-8 text (and so no databag)
# can: JSON escapes such as "\ud800" decode to them.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# --- Wire codec: every etcd key is raw -----------------------------------------------------


def _decode_raw(value: str) -> str:
    """Read a raw value, also accepting one that a legacy build JSON-quoted.

    What the escapes of a quoted value spell is checked like any other value: lone
    surrogates fail validation.
    """
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
# Messages name what is wrong and never echo the value: it may be a private key. The same
# checks serve the charm's input (where a failure is a ValueError) and remote data (where a
# failing value counts as absent).


def _check_text(value: str, limit: int) -> None:
    # The length is checked before any parsing, so that a huge value costs no more than its
    # length. A lone surrogate passes the patterns below, but no databag can hold it.
    if len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    # isascii() costs nothing in CPython, and spares most values a scan.
    if not value.isascii() and _LONE_SURROGATE.search(value):
        raise ValueError("is not valid UTF-8 text")


def _check_connection_string(value: str) -> str:
    """Check comma-separated client URLs; return them with any bare IPv6 host bracketed."""
    _check_text(value, _MAX_CONNECTION_STRING)
    if not value:
        raise ValueError("must not be empty")
    if any(char.isspace() for char in value):
        raise ValueError("must not contain white space, not even after the commas")
    return ",".join(_client_url(url) for url in value.split(","))


def _client_url(url: str) -> str:
    """Check `scheme://host:port` and nothing else; return it with an IPv6 host bracketed."""
    example = "like https://10.0.0.5:2379"
    scheme, separator, authority = url.partition("://")
    if not separator or scheme not in _SCHEMES:
        raise ValueError(f"each URL needs the scheme http or https, {example}")
    host, colon, port = authority.rpartition(":")
    if not colon or not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise ValueError(f"each URL needs a port from 1 to 65535 and nothing after it, {example}")
    return f"{scheme}://{_url_host(host)}:{port}"


def _url_host(host: str) -> str:
    """A host name, an IPv4 address or a bracketed IPv6 address, as a URL holds it.

    The legacy etcd charm formats `scheme://address:port` whatever the address, so its IPv6
    units published `https://fd00::1:2379` before 2023: such a bare IPv6 host is read, and
    handed on bracketed. `EtcdProvides` refuses to write it.
    """
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in bare:
        if "%" in bare:  # a zone index means nothing to another machine
            raise ValueError("holds an IPv6 address with a zone index")
        try:
            ipaddress.IPv6Address(bare)
        except ValueError:
            raise ValueError("holds a host that is not an IPv6 address") from None
        return f"[{bare}]"
    if bare != host:
        raise ValueError("holds brackets around a host that is not an IPv6 address")
    if _DOTTED_NUMBERS.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError("holds a host that is not an IPv4 address") from None
        return host
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise ValueError("each URL needs a host: a host name or an IP address")
    return host


def _check_version(value: str) -> str:
    _check_text(value, _MAX_VERSION)
    if not _VERSION.fullmatch(value):
        raise ValueError("must be a version such as 3.5.16")
    return value


def _pem_labels(value: str) -> list[str]:
    """The label of each block of PEM text; ValueError unless it is only well-formed blocks."""
    _check_text(value, _MAX_PEM)
    if _PEM.fullmatch(value) is None:
        raise ValueError("is not PEM text (labelled blocks of base64)")
    blocks = list(_ONE_PEM_BLOCK.finditer(value))
    if not all(_is_base64("".join(block["body"].split())) for block in blocks):
        raise ValueError("holds a PEM block whose body is not base64")
    return [block["label"] for block in blocks]


def _is_base64(text: str) -> bool:
    """Whether text of base64's characters decodes: its length and its padding are right.

    The PEM pattern lets in at most two "=" at the end of a line; only the last line may
    have them.
    """
    return len(text) % 4 == 0 and "=" not in text.rstrip("=")


def _check_private_key(value: str) -> str:
    labels = _pem_labels(value)
    # Exactly one block: a certificate in front of the key would pass a check of the last
    # label, and a certificate in the key field means the fields were mixed up.
    if len(labels) != 1 or not labels[0].endswith("PRIVATE KEY"):
        raise ValueError("is PEM, but not exactly one PRIVATE KEY block")
    return value


def _check_certificate(value: str) -> str:
    # A bundle may hold several certificates, but nothing else: a private key in it would be
    # published and shown as a certificate, which reprs and logs do not hide.
    if not all(label.endswith("CERTIFICATE") for label in _pem_labels(value)):
        raise ValueError("is PEM, but not only CERTIFICATE blocks")
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

    model_config = pydantic.ConfigDict(extra="ignore", frozen=True)


# Wire value types. Each check bounds the length itself (rather than with Field(max_length))
# because pydantic 2.0 refuses a Field both in Annotated and as a default.
ConnectionString = Annotated[str, pydantic.AfterValidator(_check_connection_string)]
Version = Annotated[str, pydantic.AfterValidator(_check_version)]
PrivateKeyPem = Annotated[str, pydantic.AfterValidator(_check_private_key)]
CertificatePem = Annotated[str, pydantic.AfterValidator(_check_certificate)]


class EtcdConnection(_WireModel):
    """Where the etcd cluster is: the part of the databag that makes a client "available"."""

    connection_string: ConnectionString | None = None
    version: Version | None = None


class EtcdClientCredentials(_WireModel):
    """The client TLS credentials, as PEM text. The key never appears in a repr."""

    client_key: PrivateKeyPem | None = pydantic.Field(default=None, repr=False)
    client_cert: CertificatePem | None = None
    client_ca: CertificatePem | None = None

    def is_complete(self) -> bool:
        """Whether all three credentials are present."""
        return None not in (self.client_key, self.client_cert, self.client_ca)


class EtcdProviderData(EtcdConnection, EtcdClientCredentials):
    """Everything an etcd unit writes in its unit databag."""

    def connection(self) -> EtcdConnection:
        """The connection part of this databag."""
        return EtcdConnection.model_construct(
            connection_string=self.connection_string, version=self.version
        )

    def credentials(self) -> EtcdClientCredentials:
        """The credentials part of this databag."""
        return EtcdClientCredentials.model_construct(
            client_key=self.client_key, client_cert=self.client_cert, client_ca=self.client_ca
        )


_WIRE_KEYS = tuple(EtcdProviderData.model_fields)


class EtcdCluster(_WireModel):
    """An etcd cluster a client can use: its client URLs and, if published, its version."""

    connection_string: ConnectionString
    version: Version | None = None

    @property
    def urls(self) -> list[str]:
        """The client URLs, one per etcd unit."""
        return self.connection_string.split(",")


class EtcdClientTls(_WireModel):
    """The three client TLS credentials, as PEM text. The key never appears in a repr."""

    client_key: PrivateKeyPem = pydantic.Field(repr=False)
    client_cert: CertificatePem
    client_ca: CertificatePem


@dataclasses.dataclass(frozen=True)
class EtcdOffer:
    """What an endpoint offers, typed: each part is None until its state holds.

    `cluster` is set when available, `tls` when TLS-available, so that after the check no
    field of either is Optional (`version` aside: legacy etcd 2.x does not publish it).
    """

    cluster: EtcdCluster | None = None
    tls: EtcdClientTls | None = None


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


class EtcdCredentialsUnavailableError(RuntimeError):
    """The client credentials were asked for before all three were published."""


def _validated(model: type[_ModelT], values: dict[str, Any]) -> _ModelT:
    """Build a model from the charm's own values; a bad value raises a value-free ValueError.

    Validation is strict: a value of the wrong type (bytes for a string) is refused, not
    converted.
    """
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
    logger.warning("a deferred etcd event carries data this library now refuses: %s", problem)
    return model.model_construct(**json.loads(payload))


# --- Events --------------------------------------------------------------------------------


class _EtcdRelationEvent(ops.EventBase):
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


class EtcdConnected(_EtcdRelationEvent):
    """The first etcd unit joined the relation."""


class EtcdDisconnected(_EtcdRelationEvent):
    """The last etcd unit departed, or the relation was broken."""


class EtcdUnavailable(_EtcdRelationEvent):
    """The relation no longer offers a connection string."""


class EtcdTlsUnavailable(_EtcdRelationEvent):
    """The relation no longer offers all three client credentials, or is no longer available."""


class EtcdAvailable(_EtcdRelationEvent):
    """A connection string is published, or it or the version changed.

    The payload is the one at emit time: a deferred event may carry an outdated one.
    """

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        connection_string: str,
        version: str | None = None,
    ):
        super().__init__(handle, relation)
        self.cluster = _validated(
            EtcdCluster, {"connection_string": connection_string, "version": version}
        )

    @property
    def connection_string(self) -> str:
        """Comma-separated client URLs of the etcd cluster, IPv6 hosts in brackets."""
        return self.cluster.connection_string

    @property
    def version(self) -> str | None:
        """The etcd version, or None when the provider did not say (a legacy 2.x etcd)."""
        return self.cluster.version

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self.cluster.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event."""
        super().restore(snapshot)
        self.cluster = _restored(EtcdCluster, snapshot["payload"])


class EtcdTlsAvailable(_EtcdRelationEvent):
    """All three client credentials are published, or one of them changed.

    The private key never goes into the unit's state: ops saves every event it emits there
    (and keeps a deferred one until it runs), so the event saves the certificates and only a
    SHA-256 digest of the key. Run again after a deferral, it reads the key back from the
    relation when asked: `tls` and `client_key` are None once no unit of the relation
    publishes that key any more (it was replaced or withdrawn, the unit departed, or the
    relation is being broken).
    """

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        client_key: str,
        client_cert: str,
        client_ca: str,
    ):
        super().__init__(handle, relation)
        tls = _validated(
            EtcdClientTls,
            {"client_key": client_key, "client_cert": client_cert, "client_ca": client_ca},
        )
        # Held as an `EtcdClientTls`, whose repr hides the key; None until read back.
        self._tls: EtcdClientTls | None = tls
        self._key_digest = _key_digest(tls.client_key)
        self._cert, self._ca = tls.client_cert, tls.client_ca

    @property
    def tls(self) -> EtcdClientTls | None:
        """The credentials announced; None if the relation no longer publishes their key."""
        if self._tls is None:
            key = self._published_key()
            if key is not None:
                self._tls = EtcdClientTls.model_construct(
                    client_key=key, client_cert=self._cert, client_ca=self._ca
                )
        return self._tls

    @property
    def client_key(self) -> str | None:
        """The client's private key, PEM; None if the relation no longer publishes it."""
        tls = self.tls
        return None if tls is None else tls.client_key

    @property
    def client_cert(self) -> str:
        """The client certificate, PEM."""
        return self._cert

    @property
    def client_ca(self) -> str:
        """The CA certificate that signed etcd's server certificate, PEM."""
        return self._ca

    def _published_key(self) -> str | None:
        """The key with the announced digest, if a unit of the relation still publishes it.

        The units are those of the hook's one view (`_EtcdEndpoint`): not the unit departing
        in this hook, none during the relation's relation-broken.
        """
        relation = self.relation
        if not relation.active or _broken_in_this_hook(relation.name) == relation.id:
            return None
        departing = _departing_in_this_hook()
        for unit in sorted(relation.units, key=_unit_number):
            if (relation.id, unit.name) == departing or unit not in relation.data:
                continue
            key = _read_databag(relation.data[unit]).data.client_key
            if key is not None and _key_digest(key) == self._key_digest:
                return key
        return None

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation, the certificates and the key's digest: never the key.

        The key stays in this hook's memory, where ops restores the event from the snapshot
        to hand it to the observers.
        """
        # ops snapshots an event when it is emitted, with its key, never one it restored.
        if self._tls is not None:  # pragma: no branch
            _KEYS_IN_THIS_HOOK.setdefault(self.framework, {})[self._key_digest] = self._tls
        payload = {
            "client_cert": self._cert,
            "client_ca": self._ca,
            "client_key_sha256": self._key_digest,
        }
        return {**super().snapshot(), "payload": json.dumps(payload)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Rebuild the relation and the payload of a deferred event; the key is read later."""
        super().restore(snapshot)
        payload = json.loads(snapshot["payload"])
        if "client_key" in payload:  # deferred by LIBPATCH 4 or earlier, which kept the key
            tls = _restored(EtcdClientTls, snapshot["payload"])
            self._tls, self._key_digest = tls, _key_digest(tls.client_key)
            self._cert, self._ca = tls.client_cert, tls.client_ca
            return
        self._key_digest = payload["client_key_sha256"]
        self._tls = _KEYS_IN_THIS_HOOK.get(self.framework, {}).get(self._key_digest)
        self._cert, self._ca = payload["client_cert"], payload["client_ca"]


_KEYS_IN_THIS_HOOK: weakref.WeakKeyDictionary[ops.Framework, dict[str, EtcdClientTls]] = (
    weakref.WeakKeyDictionary()
)
"""The credentials of the `tls_available` events emitted in this hook (one framework is one
hook), by the key's digest: ops saves each event and restores it for the observers, and a
restored event finds its key here rather than in the unit's state."""


def _key_digest(key: str) -> str:
    """The SHA-256 of a private key: what a saved event keeps to recognise it."""
    return hashlib.sha256(key.encode()).hexdigest()


class EtcdClientConnected(_EtcdRelationEvent):
    """The first unit of a client joined a relation of the provider's endpoint."""


class EtcdClientDisconnected(_EtcdRelationEvent):
    """The last unit of a client departed, or its relation was broken."""


class EtcdRequiresEvents(ops.ObjectEvents):
    """The events of `EtcdRequires`."""

    connected = ops.EventSource(EtcdConnected)
    available = ops.EventSource(EtcdAvailable)
    tls_available = ops.EventSource(EtcdTlsAvailable)
    tls_unavailable = ops.EventSource(EtcdTlsUnavailable)
    unavailable = ops.EventSource(EtcdUnavailable)
    disconnected = ops.EventSource(EtcdDisconnected)


class EtcdProvidesEvents(ops.ObjectEvents):
    """The events of `EtcdProvides`."""

    connected = ops.EventSource(EtcdClientConnected)
    disconnected = ops.EventSource(EtcdClientDisconnected)


# --- Reading remote databags ---------------------------------------------------------------


class _UnitRead(NamedTuple):
    """One remote databag, read: its valid fields, and the problems of the others."""

    data: EtcdProviderData
    problems: dict[str, str]


def _read_databag(databag: Mapping[str, str]) -> _UnitRead:
    """Validate each field on its own terms: a malformed value counts as absent, alone.

    A good databag is validated once; one with bad fields once more, without them.
    """
    values = {key: _decode_raw(databag[key]) for key in _WIRE_KEYS if databag.get(key)}
    try:
        return _UnitRead(EtcdProviderData.model_validate(values), {})
    except pydantic.ValidationError as error:
        problems = _problems(error)
    kept = {key: value for key, value in values.items() if key not in problems}
    return _UnitRead(EtcdProviderData.model_validate(kept), problems)


def _offer_of(values: Mapping[str, str]) -> EtcdOffer:
    """The states that values already validated make true: TLS needs the cluster too."""
    if "connection_string" not in values:
        return EtcdOffer()
    cluster = EtcdCluster.model_construct(
        connection_string=values["connection_string"], version=values.get("version")
    )
    if any(key not in values for key in ("client_key", "client_cert", "client_ca")):
        return EtcdOffer(cluster)
    tls = EtcdClientTls.model_construct(
        client_key=values["client_key"],
        client_cert=values["client_cert"],
        client_ca=values["client_ca"],
    )
    return EtcdOffer(cluster, tls)


# --- Credential files ----------------------------------------------------------------------

_PARTIAL = ".partial"
"""The suffix of a credential file being written; one left by a killed write is removed."""


def _names_a_key(path: Path) -> bool:
    return "key" in path.name.lower()


def _check_key_comes_first(key: Path, cert: Path, ca: Path) -> None:
    """Refuse a call that would write the private key where a certificate belongs.

    Another etcd library takes `(ca, cert, key)`: a charm that moves from it with positional
    arguments gives its key path last. The file names tell: only when the cert or CA path
    names a key and the key path does not is the call refused, so no legitimate call is.
    """
    if _names_a_key(key):
        return
    for role, path in (("cert", cert), ("ca", ca)):
        if _names_a_key(path):
            raise ValueError(
                f"save_client_credentials takes (key, cert, ca): the {role} path {path.name!r} "
                f"names a private key, and the key path {key.name!r} does not. Charmed "
                "Kubernetes' etcd libraries take (ca, cert, key); pass key=, cert= and ca=. "
                "Nothing was written."
            )


def _write_credential_files(
    files: list[tuple[Path, str, int]], user: str | int | None, group: str | int | None
) -> None:
    """Write each file (path, text, mode) atomically, after checking that every target can be.

    No file is replaced until all are staged; a failure before then replaces none. A symlink
    at a target is replaced, never followed: whoever can write the directory (the workload
    user the files are for, say) could otherwise point the private key anywhere.
    """
    owner = _owner_ids(user, group)
    # Resolved only to compare: two paths that reach one file, through a symlink too, would
    # leave one of the three files missing.
    resolved = [path.resolve() for path, _, _ in files]
    if len(set(resolved)) != len(resolved):
        raise ValueError("the key, cert and ca need three different paths")
    targets = [_directory_entry(path) for path, _, _ in files]
    for target in targets:
        if _is_directory(target):
            raise ValueError(f"cannot replace a directory with a credential file: {target}")
    staged: list[tuple[Path, Path]] = []
    try:
        # All stale files go before any is staged: the pattern of one target ("client") also
        # matches the files of another whose name extends it ("client.key").
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            _remove_partial_files(target)
        for target, (_, text, mode) in zip(targets, files, strict=True):
            staged.append((_staged_file(target, text, mode, owner), target))
        for temporary, target in staged:
            os.replace(temporary, target)
        for directory in {target.parent for target in targets}:
            _fsync_directory(directory)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _directory_entry(path: Path) -> Path:
    """The directory entry a path names: its directory resolved, its own name kept as it is.

    The rename replaces the entry itself, whatever it is: a file, or a symlink, which is not
    followed.
    """
    return path.absolute().parent.resolve() / path.name


def _is_directory(entry: Path) -> bool:
    """Whether the entry is a directory itself (not a symlink to one, which gets replaced)."""
    try:
        return stat.S_ISDIR(entry.lstat().st_mode)
    except FileNotFoundError:
        return False


def _owner_ids(user: str | int | None, group: str | int | None) -> tuple[int, int]:
    """The uid and gid to give the files; -1 leaves one unchanged, as `os.chown` takes it."""
    try:
        uid = pwd.getpwnam(user).pw_uid if isinstance(user, str) else user
        gid = grp.getgrnam(group).gr_gid if isinstance(group, str) else group
    except KeyError:
        raise ValueError(f"unknown user or group: {user!r}, {group!r}") from None
    return (-1 if uid is None else uid, -1 if gid is None else gid)


def _remove_partial_files(target: Path) -> None:
    for partial in target.parent.glob(f".{glob.escape(target.name)}.*{_PARTIAL}"):
        partial.unlink(missing_ok=True)


def _staged_file(target: Path, text: str, mode: int, owner: tuple[int, int]) -> Path:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=_PARTIAL)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            # Mode and owner before the first byte, so that no one else can read a key meanwhile.
            os.fchmod(file.fileno(), mode)
            if owner != (-1, -1):
                os.fchown(file.fileno(), *owner)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _fsync_directory(directory: Path) -> None:
    """Make the renames durable: a crash could otherwise bring back the old files."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


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


class _EtcdEndpoint(ops.Object, metaclass=abc.ABCMeta):
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
        """The remote units in unit-number order, so that "the first unit with a value" is stable.

        A unit without a databag is left out: during relation-departed, ops 2.17 to 2.23 list
        the departing unit in `relation.units` but not in `relation.data`.
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
        """Begin the view of a new hook (or event, under Harness): forget what was read."""
        self._departing, self._broken = departing, broken

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


class EtcdRequires(_EtcdEndpoint):
    """The client side of the `etcd` interface: reads what the etcd units publish.

    Events are per relation. The queries answer for the endpoint as a whole: for each state,
    from the oldest relation in which it holds (whose units are read in unit-number order,
    each key's first value counting, as the legacy layer read them). With one relation, as
    usual, that is the legacy layer's answer.

    Each remote databag is read and validated at most once per hook, and units are read only
    until every key has a value.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `requires` endpoint with `interface: etcd`.
    """

    on = EtcdRequiresEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "etcd"):
        super().__init__(charm, relation_name, ops.RelationRole.requires)
        self._reads: dict[tuple[int, str], _UnitRead] = {}
        self._offers: dict[int, EtcdOffer] = {}
        self._warned: set[tuple[int, str, tuple[str, ...]]] = set()
        # Per relation id: whether it was connected, and fingerprints of the payloads last
        # announced, so that each event fires once per change.
        self._stored.set_default(relations={})

    # Queries: always answered from the current databags.

    def read(self, relation: ops.Relation | None = None) -> EtcdOffer:
        """What the endpoint offers now, typed; or one of its relations, if given.

        For the endpoint, the offer of one relation, so that the connection string and the
        credentials belong together: the oldest TLS-available relation, or else the oldest
        available one.
        """
        if relation is not None:
            return self._relation_offer(relation)
        available = EtcdOffer()
        for each in self.relations:
            offer = self._relation_offer(each)
            if offer.tls is not None:
                return offer
            if available.cluster is None:
                available = offer
        return available

    def is_available(self) -> bool:
        """Whether a connection string is published."""
        return self.read().cluster is not None

    def is_tls_available(self) -> bool:
        """Whether a connection string and all three client credentials are published."""
        return self.read().tls is not None

    def get_connection_string(self) -> str | None:
        """The comma-separated client URLs of the etcd cluster, or None."""
        cluster = self.read().cluster
        return None if cluster is None else cluster.connection_string

    # The older name the legacy layer still offers.
    connection_string = get_connection_string

    def get_version(self) -> str | None:
        """The etcd version, or None when not available or not published (a legacy 2.x)."""
        cluster = self.read().cluster
        return None if cluster is None else cluster.version

    def get_client_credentials(self) -> dict[str, str] | None:
        """The PEMs under exactly `client_key`, `client_cert` and `client_ca`, or None.

        None unless TLS-available.
        """
        tls = self.read().tls
        return None if tls is None else tls.model_dump()

    def save_client_credentials(
        self,
        key: str | os.PathLike[str],
        cert: str | os.PathLike[str],
        ca: str | os.PathLike[str],
        *,
        user: str | int | None = None,
        group: str | int | None = None,
        tls: EtcdClientTls | None = None,
    ) -> None:
        """Write the key, certificate and CA to these paths, in that order.

        Each file is written atomically: the key with mode 0600, the certificates 0644.
        Missing parent directories are created, files a killed write left are removed, and
        the directories are synced. All three targets are checked before any is replaced. A
        symlink at a path is replaced by the file, never followed.

        Args:
            key: where the private key goes. Mind the order: key, cert, ca.
            cert: where the client certificate goes.
            ca: where the CA certificate goes.
            user: the user (name or uid) to own the files; by default the charm's.
            group: the group (name or gid) to own the files; by default the charm's.
            tls: the credentials to save, such as `read(relation).tls` or an event's `tls`;
                by default those of `read()`.

        Charmed Kubernetes' etcd libraries take the same three paths in the reverse order,
        `(ca_path, cert_path, key_path)`. A call in that order would put the private key where
        the CA belongs, so a call whose certificate or CA path names a key (`client.key`,
        `etcd-key.pem`) while the key path does not is refused: pass keywords.

        Raises:
            EtcdCredentialsUnavailableError: no `tls` given and the endpoint is not
                TLS-available; no file is touched.
            ValueError: the cert or ca path names a key and the key path does not, two paths
                name the same file, a path is a directory, or the user or group is unknown;
                no file is touched.
            OSError: a file could not be written; none is replaced if it was before the
                renames, which only fail on a full or broken file system.
        """
        _check_key_comes_first(Path(key), Path(cert), Path(ca))
        tls = tls or self.read().tls
        if tls is None:
            raise EtcdCredentialsUnavailableError(
                "the etcd client credentials are not all published; check is_tls_available() first"
            )
        # A list, not a dict keyed by path: the same path given twice must be seen, not merged.
        files = [
            (Path(key), tls.client_key, 0o600),
            (Path(cert), tls.client_cert, 0o644),
            (Path(ca), tls.client_ca, 0o644),
        ]
        _write_credential_files(files, user, group)

    def malformed_units(self) -> list[MalformedUnit]:
        """The remote units that sent malformed fields, which count as absent.

        Unlike the other queries this reads every unit's databag.
        """
        found: list[MalformedUnit] = []
        for relation in self.relations:
            for unit in self._remote_units(relation):
                problems = self._read_unit(relation, unit).problems
                if problems:
                    found.append(
                        MalformedUnit(relation.id, unit.name, tuple(problems), _describe(problems))
                    )
        return found

    # Reading the databags: once per hook each, and only as far as needed.

    def _start_view(
        self, departing: tuple[int, str] | None = None, broken: int | None = None
    ) -> None:
        super()._start_view(departing, broken)
        self._reads.clear()
        self._offers.clear()

    def _relation_offer(self, relation: ops.Relation) -> EtcdOffer:
        offer = self._offers.get(relation.id)
        if offer is None:
            offer = self._offers[relation.id] = _offer_of(self._first_values(relation))
        return offer

    def _first_values(self, relation: ops.Relation) -> dict[str, str]:
        """Each key's first valid value over the units; stop once every key has one."""
        values: dict[str, str] = {}
        for unit in self._remote_units(relation):
            data = self._read_unit(relation, unit).data
            for key, value in data.model_dump(exclude_none=True).items():
                values.setdefault(key, value)
            if len(values) == len(_WIRE_KEYS):
                break
        return values

    def _read_unit(self, relation: ops.Relation, unit: ops.Unit) -> _UnitRead:
        read = self._reads.get((relation.id, unit.name))
        if read is None:
            read = self._reads[relation.id, unit.name] = _read_databag(relation.data[unit])
            if read.problems:
                self._warn(relation.id, unit.name, read.problems)
        return read

    def _warn(self, relation_id: int, unit_name: str, problems: dict[str, str]) -> None:
        if (relation_id, unit_name, tuple(problems)) in self._warned:
            return  # once per hook is enough
        self._warned.add((relation_id, unit_name, tuple(problems)))
        logger.warning(
            "etcd relation %d: ignoring what %s sent as %s: %s",
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
        after = {
            "connected": connected,
            "available": None if offer.cluster is None else _digest(offer.cluster),
            "tls": None if offer.tls is None else _digest(offer.tls),
        }
        key = str(relation.id)
        before = dict(self._stored.relations.get(key, _NOTHING_ANNOUNCED))
        self._stored.relations[key] = after

        if before["tls"] and offer.tls is None:
            self.on.tls_unavailable.emit(relation)
        if before["available"] and offer.cluster is None:
            self.on.unavailable.emit(relation)
        if before["connected"] and not connected:
            self.on.disconnected.emit(relation)
        if connected and not before["connected"]:
            self.on.connected.emit(relation)
        if offer.cluster is not None and after["available"] != before["available"]:
            self.on.available.emit(
                relation, offer.cluster.connection_string, offer.cluster.version
            )
        if offer.tls is not None and after["tls"] != before["tls"]:
            tls = offer.tls
            self.on.tls_available.emit(relation, tls.client_key, tls.client_cert, tls.client_ca)

    def _recorded_ids(self) -> set[int]:
        return {int(key) for key in self._stored.relations}

    def _drop_record(self, relation_id: int) -> None:
        self._stored.relations.pop(str(relation_id), None)


_NOTHING_ANNOUNCED: dict[str, Any] = {"connected": False, "available": None, "tls": None}


def _digest(model: pydantic.BaseModel) -> str:
    """A fingerprint of a payload, so stored state can tell a change without holding secrets."""
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


# --- Provider ------------------------------------------------------------------------------


class EtcdProvides(_EtcdEndpoint):
    """The etcd side of the `etcd` interface: publishes where the cluster is and how to log in.

    What the charm sets is kept in the unit's stored state and written, by this unit, on every
    relation of the endpoint, including relations made later (from their relation-created hook).
    Only what was set is written, so keys a legacy build wrote before an upgrade stay until
    replaced.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `provides` endpoint with `interface: etcd`.
    """

    on = EtcdProvidesEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "db"):
        super().__init__(charm, relation_name, ops.RelationRole.provides)
        self._stored.set_default(connection={}, credentials={}, connected=[])
        self.framework.observe(charm.on[relation_name].relation_created, self._on_created)

    def set_connection_string(self, connection_string: str, version: str | None = None) -> None:
        """Publish the cluster's client URLs and, if known, the etcd version.

        Args:
            connection_string: comma-separated client URLs, each `http` or `https`, a host
                and a port and nothing else, such as
                `https://10.0.0.5:2379,https://[fd00::6]:2379`.
            version: the etcd version, such as `3.5.16`; None leaves the key out, which legacy
                clients read as etcd 2.x.

        Raises:
            ValueError: the connection string is empty or malformed, or the version is not a
                version; nothing is written.
        """
        cluster = _validated(
            EtcdCluster, {"connection_string": connection_string, "version": version}
        )
        if cluster.connection_string != connection_string:  # only brackets are ever added
            raise ValueError(
                "connection_string: put IPv6 hosts in brackets, like https://[fd00::1]:2379"
            )
        self._stored.connection = cluster.model_dump(exclude_none=True)
        self._publish_everywhere()

    def set_client_credentials(self, key: str, cert: str, ca: str) -> None:
        """Publish the client TLS credentials: a private key, its certificate and the CA, as PEM.

        Raises:
            ValueError: a value is not PEM of the right kind (one PRIVATE KEY block; only
                CERTIFICATE blocks); nothing is written and the message holds no value.
        """
        tls = _validated(EtcdClientTls, {"client_key": key, "client_cert": cert, "client_ca": ca})
        self._stored.credentials = tls.model_dump()
        self._publish_everywhere()

    def clear_connection_string(self) -> None:
        """Withdraw the connection string and version from every relation of the endpoint.

        Clients become unavailable. This also removes values a legacy build wrote.
        """
        self._stored.connection = {}
        self._withdraw_everywhere(EtcdConnection())

    def clear_client_credentials(self) -> None:
        """Withdraw the three client credentials from every relation of the endpoint.

        Clients stop being TLS-available. This also removes values a legacy build wrote.
        """
        self._stored.credentials = {}
        self._withdraw_everywhere(EtcdClientCredentials())

    def published(self) -> EtcdOffer:
        """What this unit publishes, as set by the charm (not what a legacy build left)."""
        connection, credentials = dict(self._stored.connection), dict(self._stored.credentials)
        return EtcdOffer(
            EtcdCluster.model_construct(**connection) if connection else None,
            EtcdClientTls.model_construct(**credentials) if credentials else None,
        )

    def _withdraw_everywhere(self, empty_part: pydantic.BaseModel) -> None:
        # Every field of an empty part is None, which the encoder turns into a deletion.
        for relation in self.relations:
            relation.save(empty_part, self.model.unit, encoder=_encode_raw)

    def _publish_everywhere(self) -> None:
        for relation in self.relations:
            self._publish(relation)

    def _publish(self, relation: ops.Relation) -> None:
        """Write what the charm set, part by part, leaving untouched the parts it never set."""
        for model, stored in (
            (EtcdConnection, self._stored.connection),
            (EtcdClientCredentials, self._stored.credentials),
        ):
            if stored:
                part = model.model_construct(**dict(stored))  # validated when it was set
                relation.save(part, self.model.unit, encoder=_encode_raw)

    def _on_created(self, event: ops.RelationCreatedEvent) -> None:
        self._publish(event.relation)

    def _reconcile(self, relation: ops.Relation) -> None:
        connected = bool(self._remote_units(relation))
        announced = relation.id in self._stored.connected
        if connected and not announced:
            self._stored.connected.append(relation.id)
            self.on.connected.emit(relation)
        elif announced and not connected:
            self._stored.connected.remove(relation.id)
            self.on.disconnected.emit(relation)

    def _recorded_ids(self) -> set[int]:
        return set(self._stored.connected)

    def _drop_record(self, relation_id: int) -> None:
        if relation_id in self._stored.connected:
            self._stored.connected.remove(relation_id)


# --- Test helpers for charm authors --------------------------------------------------------
# They build `ops.testing` objects, and import it only when called: a deployed charm does not
# ship ops.testing.


def credentials_for_testing(seed: str = "etcd") -> EtcdClientTls:
    """A private key, certificate and CA as real-looking PEM text, the same for each seed.

    The bodies are made-up bytes of the usual sizes, not working keys: fine for a charm's
    unit tests, which this library validates for shape only.
    """
    return EtcdClientTls(
        client_key=_fake_pem("PRIVATE KEY", f"{seed} client key", 1218),
        client_cert=_fake_pem("CERTIFICATE", f"{seed} client certificate", 905),
        client_ca=_fake_pem("CERTIFICATE", f"{seed} certificate authority", 873),
    )


def _fake_pem(label: str, seed: str, size: int) -> str:
    # DER starts with a SEQUENCE header, which makes the base64 begin with "MII" as real
    # keys and certificates of these sizes do.
    body = b"\x30\x82" + size.to_bytes(2, "big") + hashlib.shake_256(seed.encode()).digest(size)
    text = base64.b64encode(body).decode()
    lines = [text[start : start + 64] for start in range(0, len(text), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def etcd_relation_for_testing(
    endpoint: str = "etcd",
    *,
    units: int = 1,
    version: str | None = "3.5.16",
    tls: bool = True,
    malformed_unit: bool = False,
    remote_app_name: str = "etcd",
) -> testing.Relation:
    """An `ops.testing` relation of an etcd client to `units` legacy etcd units.

    Each unit publishes what the legacy etcd charm does: the connection string of the whole
    cluster (`https://10.0.0.5:2379`, `https://10.0.0.6:2379`, ...), the version unless None,
    and, with `tls`, the credentials of `credentials_for_testing()`. A malformed unit, if
    asked for, comes last and sends garbage in every key.
    """
    from ops import testing

    first = ipaddress.IPv4Address("10.0.0.5")
    urls = [f"https://{first + number}:2379" for number in range(units)]
    published: dict[str, str] = {"connection_string": ",".join(urls)}
    if version is not None:
        published["version"] = version
    if tls:
        published.update(credentials_for_testing().model_dump())
    databags = {number: dict(published) for number in range(units)}
    if malformed_unit:
        databags[units] = dict.fromkeys(_WIRE_KEYS, "not-valid etcd data")
    return testing.Relation(
        endpoint, interface=INTERFACE, remote_app_name=remote_app_name, remote_units_data=databags
    )


def client_relation_for_testing(
    endpoint: str = "db", *, units: int = 1, remote_app_name: str = "etcd-client"
) -> testing.Relation:
    """An `ops.testing` relation of an etcd charm to `units` client units (which write nothing)."""
    from ops import testing

    return testing.Relation(
        endpoint,
        interface=INTERFACE,
        remote_app_name=remote_app_name,
        remote_units_data={number: {} for number in range(units)},
    )
