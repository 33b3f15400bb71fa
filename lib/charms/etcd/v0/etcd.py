# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Wire-compatible `ops` library for the legacy `etcd` interface.

An `ops` replacement for the reactive `interface-etcd` layer. A charm that uses it keeps
talking to charms still running the legacy layer, in both directions, byte for byte:
the databag keys and their raw encoding are exactly the legacy ones.

- `EtcdRequires` is for etcd clients (the legacy `etcd` requires side).
- `EtcdProvides` is for charms that publish an etcd cluster (the legacy `db` provides side).

## Getting started

```shell
charmcraft fetch-lib charms.etcd.v0.etcd
```

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

```python
from pathlib import Path

import ops

from charms.etcd.v0.etcd import EtcdAvailable, EtcdRequires, EtcdTlsAvailable

# Where the workload reads the etcd endpoints and its client credentials.
ENDPOINTS_FILE = Path("/etc/my-app/etcd-endpoints")
CREDENTIALS_DIR = Path("/etc/my-app/etcd")


class ClientCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        framework.observe(self.etcd.on.available, self._on_etcd_available)
        framework.observe(self.etcd.on.tls_available, self._on_etcd_tls_available)
        framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

    def _on_etcd_available(self, event: EtcdAvailable):
        ENDPOINTS_FILE.write_text(event.connection_string)

    def _on_etcd_tls_available(self, event: EtcdTlsAvailable):
        self.etcd.save_client_credentials(
            CREDENTIALS_DIR / "client.key",
            CREDENTIALS_DIR / "client.crt",
            CREDENTIALS_DIR / "ca.crt",
        )

    def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
        # Queries answer from the current relation data, in any hook.
        if not self.etcd.is_connected():
            event.add_status(ops.BlockedStatus("needs an etcd relation"))
        elif not self.etcd.is_available():
            event.add_status(ops.WaitingStatus("waiting for etcd"))
        event.add_status(ops.ActiveStatus())
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

    def _on_config_changed(self, event: ops.ConfigChangedEvent):
        # Written on every relation of the endpoint, and on those that join later.
        self.db.set_connection_string("https://10.0.0.5:2379,https://10.0.0.6:2379", "3.5.16")
        # The client credentials that the leader issued and keeps in an application secret.
        tls = self.model.get_secret(label="etcd-client-tls").get_content()
        self.db.set_client_credentials(tls["client-key"], tls["client-cert"], tls["client-ca"])
```

What the charm sets is kept in the unit's stored state, so it survives restarts and reaches
relations that join later. Only the parts that were set are written: keys a legacy build of
the charm wrote stay until replaced. `clear_connection_string()` and
`clear_client_credentials()` withdraw a part from every relation.

## Events

Each event fires when its state becomes true, or when its payload changes; never twice for
the same payload. Each "became true" event has a counterpart for "stopped being true"
(data withdrawn, the unit holding it departed, relation broken). All are per relation.

Requirer (`EtcdRequires.on`):

- `connected` (`EtcdConnected`): the first etcd unit joined.
- `available` (`EtcdAvailable`): a connection string is published, or it or the
  version changed. Payload: `connection_string`, `version`.
- `tls_available` (`EtcdTlsAvailable`): available, and all three credentials published, or
  one changed. Payload: `client_key`, `client_cert`, `client_ca`.
- `tls_unavailable` (`EtcdTlsUnavailable`): no longer TLS-available.
- `unavailable` (`EtcdUnavailable`): no connection string any more.
- `disconnected` (`EtcdDisconnected`): the last etcd unit departed, or the relation broke.

Provider (`EtcdProvides.on`):

- `connected` (`EtcdClientConnected`): the first unit of a client joined.
- `disconnected` (`EtcdClientDisconnected`): its last unit departed, or the relation broke.

Every event carries `relation`; the payloads above are typed properties.

Because events are edge-triggered, every state also has a query that answers from the
current databags: `is_connected()`, `is_available()`, `is_tls_available()`, and the legacy
getters `get_connection_string()`, `get_version()`, `get_client_credentials()`.

## Wire format

Every etcd unit writes its own unit databag on every relation of the endpoint; the client
writes nothing. All values are raw strings. The requirer reads each key as the first
non-empty value over the remote units, in unit-number order. A connection string looks like
`https://10.0.0.5:2379,https://10.0.0.6:2379` (IPv6 hosts in brackets).

| key | value |
|---|---|
| `connection_string` | client URLs, comma-separated, no spaces |
| `version` | etcd version, such as `3.5.16`; absent if unknown (read as 2.x) |
| `client_key`, `client_cert`, `client_ca` | PEM text |

A value that a legacy build JSON-quoted (`"3.5.16"`) is read as the plain string.

## Errors

- Malformed remote data never raises: the unit's data is skipped, a WARNING names the
  relation, unit and fields (never a value), and `malformed_units()` lists it. IPv6 hosts are
  read with or without brackets (the legacy etcd charm writes them without).
- Bad input from the charm (an empty or malformed connection string, an IPv6 host without
  brackets, a version that is not one, a value that is not PEM of the right kind) raises
  `ValueError` before anything is written or stored. Messages never contain a value.
- `save_client_credentials()` raises `EtcdCredentialsUnavailableError`, and touches no file,
  when the credentials are not all published.

## Changelog

- LIBPATCH 1: first release; both roles of the legacy `etcd` interface.
- LIBPATCH 2: the docstring examples are complete, and the test suite runs them. Setters
  refuse values of the wrong type (bytes, numbers) with `ValueError` instead of converting
  them or raising `TypeError`, refuse text that is not valid UTF-8, and no longer keep the
  refused input in the exception's context. A JSON-quoted value whose escapes spell a lone
  surrogate is malformed, instead of failing the hook.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

import ops
import pydantic

# The unique Charmhub library identifier, never change it
LIBID = "17da0f6d3de742c9ab2521b180dcf894"

# Increment this major API version when introducing breaking changes
LIBAPI = 0

# Increment this PATCH version before using `charmcraft publish-lib` or reset
# to 0 if you are raising the major API version
LIBPATCH = 2

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
# One or more PEM blocks; the body is anything that is not another boundary line, so that
# legacy encrypted keys with "Proc-Type:" headers still pass.
_PEM = re.compile(
    r"\s*(?:-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n"
    r"(?:(?!-----)[\s\S])+?"
    r"-----END (?P=label)-----\s*)+"
)
_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
# Python text can hold halves of UTF-16 surrogate pairs that no UTF-8 text (and so no databag)
# can: JSON escapes such as "\ud800" decode to them.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# --- Wire codec: every etcd key is raw -----------------------------------------------------


def _decode_raw(value: str) -> str:
    """Read a raw value, also accepting one that a legacy build JSON-quoted."""
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        try:
            # JSON text that starts and ends with a quote can only be a string.
            decoded = str(json.loads(value))
        except ValueError:
            return value
        # JSON escapes can spell lone surrogates, which no UTF-8 databag holds and nothing
        # downstream can serialise: keep the raw text, which fails validation as it should.
        return value if _has_lone_surrogate(decoded) else decoded
    return value


def _has_lone_surrogate(text: str) -> bool:
    # isascii() costs nothing in CPython, and spares most values, megabytes included, a scan.
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None


def _encode_raw(value: Any) -> str:
    """Write a raw value; None becomes "", which Juju takes as "delete the key"."""
    return "" if value is None else str(value)


# --- Validation ----------------------------------------------------------------------------
# Messages name what is wrong and never echo the value: it may be a private key.


def _check_text(value: str, limit: int) -> None:
    # The length is checked before any parsing, so that a huge value costs no more than its
    # length. A lone surrogate passes every pattern below, but no databag can hold it.
    if len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    if _has_lone_surrogate(value):
        raise ValueError("is not valid UTF-8 text")


def _check_connection_string(value: str) -> str:
    _check_text(value, _MAX_CONNECTION_STRING)
    if not value:
        raise ValueError("must not be empty")
    if any(char.isspace() for char in value):
        raise ValueError("must not contain white space")
    for url in value.split(","):
        _check_client_url(url)
    return value


def _check_client_url(url: str) -> None:
    try:
        parts = urlsplit(_bracket_bare_ipv6(url))
        _ = parts.port  # reading the port raises ValueError unless it is a number to 65535
    except ValueError:
        raise ValueError("holds a URL that cannot be parsed") from None
    if not parts.scheme or not parts.hostname:
        raise ValueError("each URL needs a scheme and a host, like https://10.0.0.5:2379")


def _bracket_bare_ipv6(url: str) -> str:
    """Put brackets around an IPv6 host written without them, so that the URL parses.

    The legacy etcd charm formats `scheme://address:port` whatever the address, so an IPv6
    unit publishes `https://fd00::1:2379`; readers must accept it. Our provider does not
    write it (see `EtcdProvides.set_connection_string`).
    """
    scheme, separator, authority = url.partition("://")
    host, _, port = authority.rpartition(":")
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return url
    return f"{scheme}{separator}[{host}]:{port}"


def _check_version(value: str) -> str:
    _check_text(value, _MAX_VERSION)
    if not _VERSION.fullmatch(value):
        raise ValueError("must be a version such as 3.5.16")
    return value


def _check_pem(value: str, label_suffix: str) -> str:
    _check_text(value, _MAX_PEM)
    match = _PEM.fullmatch(value)
    if match is None:
        raise ValueError("is not PEM text")
    if not match.group("label").endswith(label_suffix):
        raise ValueError(f"is PEM, but not a {label_suffix}")
    return value


def _check_private_key(value: str) -> str:
    return _check_pem(value, "PRIVATE KEY")


def _check_certificate(value: str) -> str:
    _check_pem(value, "CERTIFICATE")
    # A bundle may hold several certificates, but nothing else: a private key put in front of
    # a certificate would otherwise pass, and certificates are not hidden from reprs.
    if not all(label.endswith("CERTIFICATE") for label in _PEM_LABEL.findall(value)):
        raise ValueError("is PEM, but not only CERTIFICATE blocks")
    return value


def _describe(error: pydantic.ValidationError) -> str:
    """Summarise a validation error by field and reason, leaving out the input values."""
    problems = [
        f"{'.'.join(str(part) for part in item['loc'])}: {_reason(item['msg'])}"
        for item in error.errors()
    ]
    return "; ".join(problems)


def _reason(message: str) -> str:
    # pydantic prefixes the message of a ValueError raised by a validator; charms show these
    # messages in statuses, where the prefix is noise.
    prefix = "Value error, "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _fields_of(error: pydantic.ValidationError) -> tuple[str, ...]:
    return tuple(sorted({str(item["loc"][0]) for item in error.errors() if item["loc"]}))


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


class _AvailablePayload(_WireModel):
    """The payload of `EtcdAvailable`: a connection string is required."""

    connection_string: ConnectionString
    version: Version | None = None


class _TlsPayload(_WireModel):
    """The payload of `EtcdTlsAvailable`: all three credentials are required."""

    client_key: PrivateKeyPem = pydantic.Field(repr=False)
    client_cert: CertificatePem
    client_ca: CertificatePem


class EtcdProviderData(EtcdConnection, EtcdClientCredentials):
    """Everything an etcd unit writes in its unit databag."""

    def connection(self) -> EtcdConnection:
        """The connection part of this databag."""
        return EtcdConnection(connection_string=self.connection_string, version=self.version)

    def credentials(self) -> EtcdClientCredentials:
        """The credentials part of this databag."""
        return EtcdClientCredentials(
            client_key=self.client_key, client_cert=self.client_cert, client_ca=self.client_ca
        )


class MalformedUnit(NamedTuple):
    """A remote unit whose databag failed validation and is being ignored."""

    relation_id: int
    unit_name: str
    fields: tuple[str, ...]
    reason: str
    """Each bad field and what is wrong with it; never the value."""


class EtcdCredentialsUnavailableError(RuntimeError):
    """The client credentials were asked for before all three were published."""


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
    """A connection string is published, or it or the version changed."""

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        connection_string: str,
        version: str | None = None,
    ):
        super().__init__(handle, relation)
        self._payload = _validated(
            _AvailablePayload, {"connection_string": connection_string, "version": version}
        )

    @property
    def connection_string(self) -> str:
        """Comma-separated client URLs of the etcd cluster."""
        return self._payload.connection_string

    @property
    def version(self) -> str | None:
        """The etcd version, or None when the provider did not say (a legacy 2.x etcd)."""
        return self._payload.version

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self._payload.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Re-validate the payload of a deferred event."""
        super().restore(snapshot)
        self._payload = _validated_json(_AvailablePayload, snapshot["payload"])


class EtcdTlsAvailable(_EtcdRelationEvent):
    """All three client credentials are published, or one of them changed."""

    def __init__(
        self,
        handle: ops.Handle,
        relation: ops.Relation,
        client_key: str,
        client_cert: str,
        client_ca: str,
    ):
        super().__init__(handle, relation)
        self._payload = _validated(
            _TlsPayload,
            {"client_key": client_key, "client_cert": client_cert, "client_ca": client_ca},
        )

    @property
    def client_key(self) -> str:
        """The client's private key, PEM."""
        return self._payload.client_key

    @property
    def client_cert(self) -> str:
        """The client certificate, PEM."""
        return self._payload.client_cert

    @property
    def client_ca(self) -> str:
        """The CA certificate that signed etcd's server certificate, PEM."""
        return self._payload.client_ca

    def snapshot(self) -> dict[str, Any]:
        """Keep the relation and the payload, as JSON, when the event is deferred."""
        return {**super().snapshot(), "payload": self._payload.model_dump_json()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Re-validate the payload of a deferred event."""
        super().restore(snapshot)
        self._payload = _validated_json(_TlsPayload, snapshot["payload"])


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


def _validated(model: type[_ModelT], values: dict[str, Any]) -> _ModelT:
    """Build a model from the charm's own values; a bad value raises a value-free ValueError.

    Validation is strict: a value of the wrong type (bytes for a string) is refused, not
    converted.
    """
    try:
        return model.model_validate(values, strict=True)
    except pydantic.ValidationError as error:
        problem = _describe(error)
    # Raised outside the except block, so that the ValidationError, which holds the input
    # values, is not kept as the new exception's context.
    raise ValueError(problem)


def _validated_json(model: type[_ModelT], payload: str) -> _ModelT:
    try:
        return model.model_validate_json(payload)
    except pydantic.ValidationError as error:
        problem = _describe(error)
    raise ValueError(f"stored event payload is invalid: {problem}")


# --- Shared plumbing -----------------------------------------------------------------------


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


def _remote_units(relation: ops.Relation, departing: ops.Unit | None = None) -> list[ops.Unit]:
    """The remote units in unit-number order, so that "the first unit with a value" is stable.

    A unit without a databag is left out: during relation-departed, ops 2.17 to 2.23 list
    the departing unit in `relation.units` but not in `relation.data`.
    """
    return sorted(
        (unit for unit in relation.units if unit != departing and unit in relation.data),
        key=_unit_number,
    )


def _digest(model: pydantic.BaseModel) -> str:
    """A fingerprint of a payload, so stored state can tell a change without holding secrets."""
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


def _write_private_files(contents: dict[Path, str]) -> None:
    """Write each file atomically with mode 0600; replace none until all are staged."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((Path(temporary), path))
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), 0o600)
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


class _EtcdEndpoint(ops.Object):
    """What both roles share: the endpoint check, and the endpoint's relations."""

    def __init__(self, charm: ops.CharmBase, relation_name: str, role: ops.RelationRole):
        super().__init__(charm, relation_name)
        _check_endpoint(charm, relation_name, role)
        self._relation_name = relation_name

    @property
    def relations(self) -> list[ops.Relation]:
        """The relations of the endpoint, oldest first."""
        return sorted(self.model.relations[self._relation_name], key=lambda relation: relation.id)

    def is_connected(self) -> bool:
        """Whether any remote unit has joined."""
        return any(relation.units for relation in self.relations)


# --- Requirer ------------------------------------------------------------------------------


class EtcdRequires(_EtcdEndpoint):
    """The client side of the `etcd` interface: reads what the etcd units publish.

    Events are per relation. The getters answer for the endpoint as a whole: each key's first
    value over its relations, oldest first, and their units in unit-number order, which is
    the legacy layer's answer whenever there is one relation, as there usually is.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `requires` endpoint with `interface: etcd`.
    """

    on = EtcdRequiresEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "etcd"):
        super().__init__(charm, relation_name, ops.RelationRole.requires)
        self._warned: set[MalformedUnit] = set()
        # Per relation id: whether it was connected and fingerprints of the payloads last
        # announced, so that each event fires once per change.
        self._stored.set_default(relations={})
        events = charm.on[relation_name]
        self.framework.observe(events.relation_joined, self._on_relation_changed)
        self.framework.observe(events.relation_changed, self._on_relation_changed)
        self.framework.observe(events.relation_departed, self._on_relation_departed)
        self.framework.observe(events.relation_broken, self._on_relation_broken)

    # Queries: always answered from the current databags.

    def is_available(self) -> bool:
        """Whether a connection string is published."""
        return self.get_connection_string() is not None

    def is_tls_available(self) -> bool:
        """Whether a connection string and all three client credentials are published."""
        published = self._published()  # read the databags once for both questions
        return published.connection_string is not None and published.credentials().is_complete()

    def get_connection_string(self) -> str | None:
        """The comma-separated client URLs of the etcd cluster, or None."""
        return self._published().connection_string

    def get_version(self) -> str | None:
        """The etcd version, or None when not published (a legacy etcd 2.x)."""
        return self._published().version

    def get_client_credentials(self) -> dict[str, str] | None:
        """The PEMs under exactly `client_key`, `client_cert` and `client_ca`, or None.

        None unless all three are published.
        """
        credentials = self._published().credentials()
        if not credentials.is_complete():
            return None
        return credentials.model_dump()

    def save_client_credentials(
        self, key: str | os.PathLike[str], cert: str | os.PathLike[str], ca: str | os.PathLike[str]
    ) -> None:
        """Write the key, certificate and CA to these paths, in that order.

        Each file is written atomically with mode 0600; missing parent directories are created.

        Raises:
            EtcdCredentialsUnavailableError: not all three credentials are published; no file
                is touched.
        """
        credentials = self.get_client_credentials()
        if credentials is None:
            raise EtcdCredentialsUnavailableError(
                "the etcd client credentials are not all published yet; "
                "wait for the tls_available event"
            )
        _write_private_files(
            {
                Path(key): credentials["client_key"],
                Path(cert): credentials["client_cert"],
                Path(ca): credentials["client_ca"],
            }
        )

    def malformed_units(self) -> list[MalformedUnit]:
        """The remote units whose data is being ignored because it failed validation."""
        found: list[MalformedUnit] = []
        for relation in self.relations:
            for unit in _remote_units(relation):
                loaded = self._load(relation, unit)
                if isinstance(loaded, MalformedUnit):
                    found.append(loaded)
        return found

    # Reading the databags.

    def _load(self, relation: ops.Relation, unit: ops.Unit) -> EtcdProviderData | MalformedUnit:
        try:
            return relation.load(EtcdProviderData, unit, decoder=_decode_raw)
        except pydantic.ValidationError as error:
            return MalformedUnit(relation.id, unit.name, _fields_of(error), _describe(error))

    def _valid_data(self, relation: ops.Relation, units: list[ops.Unit]) -> list[EtcdProviderData]:
        """The databags of these units, in order, leaving out (and reporting) bad ones."""
        valid: list[EtcdProviderData] = []
        for unit in units:
            loaded = self._load(relation, unit)
            if isinstance(loaded, MalformedUnit):
                self._report(loaded)
            else:
                valid.append(loaded)
        return valid

    def _report(self, malformed: MalformedUnit) -> None:
        if malformed in self._warned:
            return  # once per hook is enough
        self._warned.add(malformed)
        logger.warning(
            "etcd relation %d: ignoring the data of %s: %s",
            malformed.relation_id,
            malformed.unit_name,
            malformed.reason,
        )

    def _published(self) -> EtcdProviderData:
        """What the endpoint offers: each key's first value over all relations and units."""
        return _first_values(
            data
            for relation in self.relations
            for data in self._valid_data(relation, _remote_units(relation))
        )

    # Turning databag changes into events.

    def _on_relation_changed(self, event: ops.RelationEvent) -> None:
        self._announce(event.relation, _remote_units(event.relation))

    def _on_relation_departed(self, event: ops.RelationDepartedEvent) -> None:
        self._announce(event.relation, _remote_units(event.relation, event.departing_unit))

    def _on_relation_broken(self, event: ops.RelationBrokenEvent) -> None:
        self._announce(event.relation, [])
        del self._stored.relations[str(event.relation.id)]

    def _announce(self, relation: ops.Relation, units: list[ops.Unit]) -> None:
        """Emit the events for how the relation's state differs from what was last announced."""
        data = _first_values(self._valid_data(relation, units))
        connection, credentials = data.connection(), data.credentials()
        connected = bool(units)
        available = connection.connection_string is not None
        tls = available and credentials.is_complete()
        after = {
            "connected": connected,
            "available": _digest(connection) if available else None,
            "tls": _digest(credentials) if tls else None,
        }
        key = str(relation.id)
        before = dict(self._stored.relations.get(key, _NOTHING_ANNOUNCED))
        self._stored.relations[key] = after

        if before["tls"] and not tls:
            self.on.tls_unavailable.emit(relation)
        if before["available"] and not available:
            self.on.unavailable.emit(relation)
        if before["connected"] and not connected:
            self.on.disconnected.emit(relation)
        if connected and not before["connected"]:
            self.on.connected.emit(relation)
        if available and after["available"] != before["available"]:
            self.on.available.emit(relation, connection.connection_string, connection.version)
        if tls and after["tls"] != before["tls"]:
            self.on.tls_available.emit(
                relation, credentials.client_key, credentials.client_cert, credentials.client_ca
            )


_NOTHING_ANNOUNCED: dict[str, Any] = {"connected": False, "available": None, "tls": None}


def _first_values(units_data: Iterable[EtcdProviderData]) -> EtcdProviderData:
    """Merge databags key by key, keeping the first value seen, as the legacy layer did."""
    merged: dict[str, Any] = {}
    for data in units_data:
        for key, value in data.model_dump(exclude_none=True).items():
            merged.setdefault(key, value)
    return EtcdProviderData.model_construct(**merged)


# --- Provider ------------------------------------------------------------------------------


class EtcdProvides(_EtcdEndpoint):
    """The etcd side of the `etcd` interface: publishes where the cluster is and how to log in.

    What the charm sets is kept in the unit's stored state and written, by this unit, on every
    relation of the endpoint, including relations that join later. Only what was set is
    written, so keys a legacy build wrote before an upgrade stay until replaced.

    Args:
        charm: the charm that owns the endpoint.
        relation_name: the name of a `provides` endpoint with `interface: etcd`.
    """

    on = EtcdProvidesEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, relation_name: str = "db"):
        super().__init__(charm, relation_name, ops.RelationRole.provides)
        self._stored.set_default(connection={}, credentials={}, connected=[])
        events = charm.on[relation_name]
        self.framework.observe(events.relation_created, self._on_relation_created)
        self.framework.observe(events.relation_joined, self._on_relation_joined)
        self.framework.observe(events.relation_departed, self._on_relation_departed)
        self.framework.observe(events.relation_broken, self._on_relation_broken)

    def set_connection_string(self, connection_string: str, version: str | None = None) -> None:
        """Publish the cluster's client URLs and, if known, the etcd version.

        Args:
            connection_string: comma-separated client URLs, such as
                `https://10.0.0.5:2379,https://10.0.0.6:2379`.
            version: the etcd version, such as `3.5.16`; None leaves the key out, which legacy
                clients read as etcd 2.x.

        Raises:
            ValueError: the connection string is empty or malformed, or the version is not a
                version; nothing is written.
        """
        connection = _validated(
            EtcdConnection, {"connection_string": connection_string, "version": version}
        )
        if connection.connection_string is None:
            raise ValueError("connection_string: must not be None")
        if any(_bracket_bare_ipv6(url) != url for url in connection_string.split(",")):
            raise ValueError(
                "connection_string: put IPv6 hosts in brackets, like https://[fd00::1]:2379"
            )
        self._stored.connection = connection.model_dump(exclude_none=True)
        self._publish_everywhere()

    def set_client_credentials(self, key: str, cert: str, ca: str) -> None:
        """Publish the client TLS credentials: a private key, its certificate and the CA, as PEM.

        Raises:
            ValueError: a value is missing or not PEM of the right kind; nothing is written and
                the message does not contain the value.
        """
        credentials = _validated(
            EtcdClientCredentials, {"client_key": key, "client_cert": cert, "client_ca": ca}
        )
        if not credentials.is_complete():
            raise ValueError("client credentials: key, cert and ca are all required")
        self._stored.credentials = credentials.model_dump()
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
                relation.save(
                    model.model_validate(dict(stored)), self.model.unit, encoder=_encode_raw
                )

    def _on_relation_created(self, event: ops.RelationCreatedEvent) -> None:
        self._publish(event.relation)

    def _on_relation_joined(self, event: ops.RelationJoinedEvent) -> None:
        if event.relation.id not in self._stored.connected:
            self._stored.connected.append(event.relation.id)
            self.on.connected.emit(event.relation)

    def _on_relation_departed(self, event: ops.RelationDepartedEvent) -> None:
        if not _remote_units(event.relation, event.departing_unit):
            self._forget(event.relation)

    def _on_relation_broken(self, event: ops.RelationBrokenEvent) -> None:
        self._forget(event.relation)

    def _forget(self, relation: ops.Relation) -> None:
        if relation.id in self._stored.connected:
            self._stored.connected.remove(relation.id)
            self.on.disconnected.emit(relation)
