"""Unit tests for `charms.etcd.v0.etcd`: wire bytes, events, queries and error handling.

Both roles run in `ops.testing`. `ClientCharm` requires `etcd` and records every library
event as its observer sees it; `EtcdCharm` provides `db` and publishes through
`EtcdProvides`; `WatchingClientCharm` and `WatchingEtcdCharm` also record what the queries
answer inside the library's events and in collect-status. A `Session` runs hooks one after
another, each starting from the state the previous one left, so that stored state carries
over as it does in a deployment; a session that starts with empty stored state and
established relations is a charm just refreshed from its reactive version.

The test data comes from the library's own test helpers (`credentials_for_testing()`, which
the helper relations publish too); `make_pem` builds PEM text only where a test needs a
particular label or size.
"""

from __future__ import annotations

import base64
import dataclasses
import grp
import hashlib
import json
import logging
import os
import pwd
import stat
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import ops
import pytest
from ops import testing

import charms.etcd.v0.etcd as etcd_library
from charms.etcd.v0.etcd import (
    EtcdAvailable,
    EtcdClientConnected,
    EtcdClientCredentials,
    EtcdClientDisconnected,
    EtcdClientTls,
    EtcdCluster,
    EtcdConnected,
    EtcdCredentialsUnavailableError,
    EtcdDisconnected,
    EtcdOffer,
    EtcdProviderData,
    EtcdProvides,
    EtcdRequires,
    EtcdTlsAvailable,
    EtcdTlsUnavailable,
    EtcdUnavailable,
    MalformedUnit,
    client_relation_for_testing,
    credentials_for_testing,
    etcd_relation_for_testing,
)
from tests.docs import harness as docs_harness
from tests.unit import session as sessions
from tests.unit.session import (
    DEFER_CONFIG,
    DEPARTING_ENVIRONMENTS,
    RecordingCharm,
    Seen,
    run_departure_after_a_deferred_event,
    set_hook_environment,
)

T = TypeVar("T")

# --- Test data -----------------------------------------------------------------------------


def make_pem(label: str, seed: str, size: int = 180) -> str:
    """PEM-shaped text: base64 of `size` bytes built from `seed`, 64 characters a line.

    Only for a label or a size of its own; `credentials_for_testing()` serves otherwise.
    """
    body = base64.b64encode((seed.encode() * size)[:size]).decode()
    lines = [body[start : start + 64] for start in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


CONNECTION = "https://10.0.0.5:2379,https://10.0.0.6:2379"
VERSION = "3.5.16"
TLS = credentials_for_testing()
"""What `etcd_relation_for_testing()` publishes, too."""
KEY, CERT, CA = TLS.client_key, TLS.client_cert, TLS.client_ca

# A second, different set, for changes and for the unit that should be ignored. Its key has
# the label of the legacy (PKCS#1) RSA keys.
OTHER_CONNECTION = "https://[fd00::7]:2379"
OTHER_VERSION = "3.4.22"
OTHER_TLS = credentials_for_testing("another etcd")
OTHER_KEY = make_pem("RSA PRIVATE KEY", "another unit's client key")
OTHER_CERT, OTHER_CA = OTHER_TLS.client_cert, OTHER_TLS.client_ca

MIB = 1024 * 1024
HUGE_KEY = make_pem("PRIVATE KEY", "a private key of a mebibyte", size=MIB)
HUGE_CA = make_pem("CERTIFICATE", "a CA bundle of a mebibyte", size=MIB)

SECRET_LINES = frozenset(
    line
    for key in (KEY, OTHER_KEY, OTHER_TLS.client_key, HUGE_KEY)
    for line in key.splitlines()[1:-1]
)
"""Every body line of every private key used here: any one of them in a text is a leak."""


def leaked(text: str) -> list[str]:
    """The lines of private keys that `text` contains."""
    return sorted(line for line in SECRET_LINES if line in text)


JUJU_DEFAULTS = dict(testing.Relation("any").local_unit_data)
"""What Juju itself puts in every unit databag."""


def etcd_unit(**data: str) -> dict[str, str]:
    """A remote unit databag: Juju's automatic keys plus `data`."""
    return {**JUJU_DEFAULTS, **data}


def published(**overrides: str | None) -> dict[str, str]:
    """The databag of a legacy etcd unit that published everything; None leaves a key out."""
    data: dict[str, str | None] = {
        "connection_string": CONNECTION,
        "version": VERSION,
        "client_key": KEY,
        "client_cert": CERT,
        "client_ca": CA,
        **overrides,
    }
    return etcd_unit(**{key: value for key, value in data.items() if value is not None})


def other_published(**overrides: str | None) -> dict[str, str]:
    """Like `published`, with the second set of values."""
    other: dict[str, str | None] = {
        "connection_string": OTHER_CONNECTION,
        "version": OTHER_VERSION,
        "client_key": OTHER_KEY,
        "client_cert": OTHER_CERT,
        "client_ca": OTHER_CA,
    }
    return published(**{**other, **overrides})


WITHOUT_CREDENTIALS = {"client_key": None, "client_cert": None, "client_ca": None}


def etcd_relation(
    units: dict[int, dict[str, str]], relation_id: int | None = None
) -> testing.Relation:
    """A relation of the client's `etcd` endpoint to the etcd application."""
    if relation_id is None:
        return testing.Relation(
            "etcd", interface="etcd", remote_app_name="etcd", remote_units_data=units
        )
    return testing.Relation(
        "etcd", interface="etcd", id=relation_id, remote_app_name="etcd", remote_units_data=units
    )


def client_relation(
    units: Iterable[int] = (0,), *, local: dict[str, str] | None = None
) -> testing.Relation:
    """A relation of the etcd charm's `db` endpoint to a client application."""
    return testing.Relation(
        "db",
        interface="etcd",
        remote_app_name="kube-apiserver",
        remote_units_data={unit: dict(JUJU_DEFAULTS) for unit in units},
        local_unit_data=dict(JUJU_DEFAULTS) if local is None else local,
    )


# --- Test charms ---------------------------------------------------------------------------

"""An event as a test sees it: class name, relation id, then the payload."""

LIBRARY_EVENTS = (
    EtcdConnected,
    EtcdAvailable,
    EtcdTlsAvailable,
    EtcdTlsUnavailable,
    EtcdUnavailable,
    EtcdDisconnected,
    EtcdClientConnected,
    EtcdClientDisconnected,
)


def describe(event: ops.EventBase) -> Seen:
    assert isinstance(event, LIBRARY_EVENTS)
    name = type(event).__name__
    if isinstance(event, EtcdAvailable):
        return (name, event.relation.id, event.connection_string, event.version)
    if isinstance(event, EtcdTlsAvailable):
        return (name, event.relation.id, event.client_key, event.client_cert, event.client_ca)
    return (name, event.relation.id)


class Session(sessions.Session):
    """Hooks run one after another on one unit, recording the etcd library's events."""

    library_event_types = LIBRARY_EVENTS
    describe = staticmethod(describe)


class ClientCharm(RecordingCharm):
    """Requires `etcd`; records each library event, and defers the kinds config names."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        self.record(
            self.etcd.on.connected,
            self.etcd.on.available,
            self.etcd.on.tls_available,
            self.etcd.on.tls_unavailable,
            self.etcd.on.unavailable,
            self.etcd.on.disconnected,
        )


class EtcdCharm(RecordingCharm):
    """Provides `db`; records the library's events. Tests publish through `self.db`."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.db = EtcdProvides(self)
        self.record(
            self.db.on.connected,
            self.db.on.disconnected,
        )


View = tuple[bool, bool, bool, EtcdOffer, list[int]]
"""What the requirer's queries answer: connected, available, TLS-available, read(), relations."""


def view(etcd: EtcdRequires) -> View:
    return (
        etcd.is_connected(),
        etcd.is_available(),
        etcd.is_tls_available(),
        etcd.read(),
        [relation.id for relation in etcd.relations],
    )


class WatchingClientCharm(ClientCharm):
    """A `ClientCharm` that also records what the queries answer in each end event.

    It looks from inside the library's `tls_unavailable`, `unavailable` and `disconnected`
    observers, its own `relation_broken` observer and collect-status.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[tuple[str, View]] = []
        for event in (
            self.etcd.on.tls_unavailable,
            self.etcd.on.unavailable,
            self.etcd.on.disconnected,
            self.on["etcd"].relation_broken,
            self.on.collect_unit_status,
        ):
            framework.observe(event, self._look)

    def _look(self, event: ops.EventBase) -> None:
        self.views.append((type(event).__name__, view(self.etcd)))


class DeferringWatcherCharm(ClientCharm):
    """Notes the queries' view in its own `available` observer, which defers the event while
    the `defer` option is set: ops runs a deferred event's handler again at the start of the
    next hook, before the library has observed that hook's event."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[View] = []
        framework.observe(self.etcd.on.available, self._on_available)

    def _on_available(self, event: EtcdAvailable) -> None:
        self.views.append(view(self.etcd))
        if self.config.get("defer"):
            event.defer()


class WatchingEtcdCharm(EtcdCharm):
    """An `EtcdCharm` that records `is_connected()` in `disconnected` and collect-status."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[tuple[str, bool]] = []
        framework.observe(self.db.on.disconnected, self._look)
        framework.observe(self.on.collect_unit_status, self._look)

    def _look(self, event: ops.EventBase) -> None:
        self.views.append((type(event).__name__, self.db.is_connected()))


CLIENT_META = {"name": "etcd-client", "requires": {"etcd": {"interface": "etcd"}}}
ETCD_META = {"name": "etcd", "provides": {"db": {"interface": "etcd"}}}


def client_context(
    charm_type: type[ClientCharm] = ClientCharm, **kwargs: Any
) -> testing.Context[ClientCharm]:
    return testing.Context(charm_type, meta=CLIENT_META, config=DEFER_CONFIG, **kwargs)


def etcd_context(
    charm_type: type[EtcdCharm] = EtcdCharm, **kwargs: Any
) -> testing.Context[EtcdCharm]:
    return testing.Context(charm_type, meta=ETCD_META, **kwargs)


def ask(state: testing.State, question: Callable[[EtcdRequires], T]) -> T:
    """Ask the requirer something inside a hook run on `state`."""
    ctx = client_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        answer = question(mgr.charm.etcd)
        mgr.run()
    return answer


def publish(
    state: testing.State,
    *,
    connection: tuple[str, str | None] | None = None,
    credentials: tuple[str, str, str] | None = None,
) -> testing.State:
    """Run a hook in which the etcd charm sets the connection and/or the credentials."""
    ctx = etcd_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        if connection is not None:
            mgr.charm.db.set_connection_string(*connection)
        if credentials is not None:
            mgr.charm.db.set_client_credentials(*credentials)
        return mgr.run()


def local_data(state: testing.State, relation: testing.Relation) -> dict[str, str]:
    return dict(state.get_relation(relation.id).local_unit_data)


def connected(relation_id: int) -> Seen:
    return ("EtcdConnected", relation_id)


def available(
    relation_id: int, connection: str = CONNECTION, version: str | None = VERSION
) -> Seen:
    return ("EtcdAvailable", relation_id, connection, version)


def tls_available(relation_id: int, key: str = KEY, cert: str = CERT, ca: str = CA) -> Seen:
    return ("EtcdTlsAvailable", relation_id, key, cert, ca)


def tls_unavailable(relation_id: int) -> Seen:
    return ("EtcdTlsUnavailable", relation_id)


def unavailable(relation_id: int) -> Seen:
    return ("EtcdUnavailable", relation_id)


def disconnected(relation_id: int) -> Seen:
    return ("EtcdDisconnected", relation_id)


def everything(relation_id: int) -> list[Seen]:
    """The events of a first relation-changed that finds everything published."""
    return [connected(relation_id), available(relation_id), tls_available(relation_id)]


# --- 1. Provider to wire: the exact bytes ---------------------------------------------------


def test_juju_puts_exactly_three_keys_in_a_new_unit_databag():
    # The golden tests below compare whole databags against these defaults.
    assert set(JUJU_DEFAULTS) == {"egress-subnets", "ingress-address", "private-address"}


@pytest.mark.parametrize("leader", [True, False])
def test_provider_writes_the_raw_legacy_bytes_of_every_key_and_nothing_else(leader: bool):
    relation = client_relation()

    out = publish(
        testing.State(leader=leader, relations=[relation]),
        connection=("https://10.0.0.5:2379,https://10.0.0.6:2379", "3.5.16"),
        credentials=(KEY, CERT, CA),
    )

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "connection_string": "https://10.0.0.5:2379,https://10.0.0.6:2379",
        "version": "3.5.16",
        "client_key": KEY,
        "client_cert": CERT,
        "client_ca": CA,
    }
    assert out.get_relation(relation.id).local_app_data == {}


def test_provider_leaves_the_version_key_out_when_the_version_is_none():
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), connection=(CONNECTION, None))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "connection_string": CONNECTION}


def test_provider_removes_the_version_key_when_the_version_becomes_none():
    relation = client_relation()
    state = publish(testing.State(relations=[relation]), connection=(CONNECTION, VERSION))
    assert local_data(state, relation)["version"] == VERSION

    out = publish(state, connection=(CONNECTION, None))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "connection_string": CONNECTION}
    # A relation created afterwards does not get the old version either.
    later = client_relation()
    ctx = etcd_context()
    out = ctx.run(
        ctx.on.relation_created(later), dataclasses.replace(out, relations=[*out.relations, later])
    )
    assert local_data(out, later) == {**JUJU_DEFAULTS, "connection_string": CONNECTION}


def test_provider_writes_on_every_relation_of_the_endpoint():
    relations = [client_relation(), client_relation((0, 1)), client_relation((3,))]

    out = publish(
        testing.State(relations=relations),
        connection=(CONNECTION, VERSION),
        credentials=(KEY, CERT, CA),
    )

    for relation in relations:
        assert local_data(out, relation) == published()


@pytest.mark.parametrize("leader", [True, False])
def test_a_relation_created_later_gets_what_was_set_earlier_from_stored_state(leader: bool):
    first = client_relation()
    state = publish(
        testing.State(leader=leader, relations=[first]),
        connection=(CONNECTION, VERSION),
        credentials=(KEY, CERT, CA),
    )
    later = client_relation()
    ctx = etcd_context()

    out = ctx.run(
        ctx.on.relation_created(later),
        dataclasses.replace(state, relations=[*state.relations, later]),
    )

    assert local_data(out, later) == published()


def test_a_relation_created_later_gets_only_the_parts_that_were_set():
    state = publish(testing.State(relations=[client_relation()]), connection=(CONNECTION, None))
    later = client_relation()
    ctx = etcd_context()

    out = ctx.run(
        ctx.on.relation_created(later),
        dataclasses.replace(state, relations=[*state.relations, later]),
    )

    assert local_data(out, later) == {**JUJU_DEFAULTS, "connection_string": CONNECTION}


def test_values_set_while_no_relation_exists_are_written_when_one_is_created():
    state = publish(testing.State(), connection=(CONNECTION, VERSION), credentials=(KEY, CERT, CA))
    relation = client_relation()
    ctx = etcd_context()

    out = ctx.run(
        ctx.on.relation_created(relation), dataclasses.replace(state, relations=[relation])
    )

    assert local_data(out, relation) == published()


def test_a_relation_created_before_anything_was_set_gets_nothing():
    relation = client_relation()
    ctx = etcd_context()

    out = ctx.run(ctx.on.relation_created(relation), testing.State(relations=[relation]))

    assert local_data(out, relation) == JUJU_DEFAULTS


def test_setting_the_connection_keeps_credentials_a_legacy_build_wrote():
    legacy = published(connection_string=None, version=None, client_key=OTHER_KEY)
    relation = client_relation(local=legacy)

    out = publish(testing.State(relations=[relation]), connection=(CONNECTION, VERSION))

    assert local_data(out, relation) == published(client_key=OTHER_KEY)


def test_setting_the_credentials_keeps_a_connection_string_a_legacy_build_wrote():
    legacy = etcd_unit(connection_string=OTHER_CONNECTION, version=OTHER_VERSION)
    relation = client_relation(local=legacy)

    out = publish(testing.State(relations=[relation]), credentials=(KEY, CERT, CA))

    assert local_data(out, relation) == published(
        connection_string=OTHER_CONNECTION, version=OTHER_VERSION
    )


def test_clearing_withdraws_each_part_from_every_relation_including_legacy_values():
    legacy = etcd_unit(client_key=OTHER_KEY, client_cert=OTHER_CERT, client_ca=OTHER_CA)
    relations = [client_relation(local=legacy), client_relation()]
    state = publish(testing.State(relations=relations), connection=(CONNECTION, VERSION))
    ctx = etcd_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.db.clear_client_credentials()
        without_credentials = mgr.run()
    with ctx(ctx.on.update_status(), without_credentials) as mgr:
        mgr.charm.db.clear_connection_string()
        cleared = mgr.run()

    for relation in relations:
        assert local_data(without_credentials, relation) == published(**WITHOUT_CREDENTIALS)
        assert local_data(cleared, relation) == JUJU_DEFAULTS


def test_a_relation_created_after_clearing_gets_nothing_of_the_cleared_part():
    state = publish(testing.State(), connection=(CONNECTION, VERSION), credentials=(KEY, CERT, CA))
    ctx = etcd_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.db.clear_connection_string()
        state = mgr.run()
    later = client_relation()

    out = ctx.run(ctx.on.relation_created(later), dataclasses.replace(state, relations=[later]))

    assert local_data(out, later) == published(connection_string=None, version=None)


def test_new_values_replace_old_ones_on_every_relation():
    relations = [client_relation(), client_relation()]
    state = publish(
        testing.State(relations=relations),
        connection=(CONNECTION, VERSION),
        credentials=(KEY, CERT, CA),
    )

    out = publish(
        state,
        connection=(OTHER_CONNECTION, OTHER_VERSION),
        credentials=(OTHER_KEY, OTHER_CERT, OTHER_CA),
    )

    for relation in relations:
        assert local_data(out, relation) == other_published()


# --- 2. Wire to requirer: legacy bytes in, plain values out ----------------------------------


def test_requirer_turns_the_raw_legacy_bytes_into_event_payloads_and_getter_results():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [
        ("EtcdConnected", relation.id),
        ("EtcdAvailable", relation.id, "https://10.0.0.5:2379,https://10.0.0.6:2379", "3.5.16"),
        ("EtcdTlsAvailable", relation.id, KEY, CERT, CA),
    ]
    assert ask(session.state, EtcdRequires.get_connection_string) == CONNECTION
    assert ask(session.state, EtcdRequires.connection_string) == CONNECTION
    assert ask(session.state, EtcdRequires.get_version) == "3.5.16"
    credentials = ask(session.state, EtcdRequires.get_client_credentials)
    assert credentials == {"client_cert": CERT, "client_key": KEY, "client_ca": CA}
    assert credentials is not None
    assert sorted(credentials) == ["client_ca", "client_cert", "client_key"]


@pytest.mark.parametrize(
    ("connection_string", "handed"),
    [
        pytest.param("https://fd00::1:2379", "https://[fd00::1]:2379", id="bare"),
        pytest.param(
            "https://fd00::1:2379,https://fd00::2:2379",
            "https://[fd00::1]:2379,https://[fd00::2]:2379",
            id="bare-twice",
        ),
        pytest.param(
            "https://10.0.0.5:2379,https://fd00::2:2379",
            "https://10.0.0.5:2379,https://[fd00::2]:2379",
            id="ipv4-and-bare",
        ),
        pytest.param("http://[fd00::1]:2379", "http://[fd00::1]:2379", id="bracketed"),
    ],
)
def test_requirer_hands_ipv6_hosts_over_in_brackets_however_they_were_written(
    connection_string: str, handed: str
):
    # The legacy etcd charm formats scheme://address:port, so its builds before 2023 sent
    # IPv6 hosts without brackets, which etcd clients cannot parse.
    relation = etcd_relation({0: etcd_unit(connection_string=connection_string)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [
        ("EtcdConnected", relation.id),
        ("EtcdAvailable", relation.id, handed, None),
    ]
    assert ask(session.state, EtcdRequires.get_connection_string) == handed
    cluster = ask(session.state, lambda etcd: etcd.read().cluster)
    assert cluster is not None
    assert cluster.connection_string == handed
    assert cluster.urls == handed.split(",")
    assert ask(session.state, EtcdRequires.malformed_units) == []


def test_requirer_writes_nothing():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(leader=True, relations=[relation]))

    session.changed(relation.id)

    assert session.relation(relation.id).local_unit_data == JUJU_DEFAULTS
    assert session.relation(relation.id).local_app_data == {}


def test_an_absent_version_is_none_in_the_event_and_the_getter():
    relation = etcd_relation({0: published(version=None)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id, version=None),
        tls_available(relation.id),
    ]
    assert ask(session.state, EtcdRequires.get_version) is None


def test_values_a_legacy_build_json_quoted_are_read_as_plain_strings():
    quoted_key = json.dumps(KEY)
    assert quoted_key.startswith('"-----BEGIN PRIVATE KEY-----\\n')  # one line, with \n escapes
    relation = etcd_relation(
        {
            0: published(
                connection_string=json.dumps(CONNECTION),
                version='"3.5.16"',
                client_key=quoted_key,
                client_cert=json.dumps(CERT),
                client_ca=json.dumps(CA),
            )
        }
    )
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == everything(relation.id)
    assert ask(session.state, EtcdRequires.get_version) == "3.5.16"
    assert ask(session.state, EtcdRequires.get_client_credentials) == {
        "client_key": KEY,
        "client_cert": CERT,
        "client_ca": CA,
    }


def test_json_escapes_of_characters_beyond_ascii_decode_like_any_other():
    # Only escapes that spell a lone surrogate make a value malformed; others are ordinary
    # text, such as this one in a header of a PEM block.
    key = KEY.replace("-----\n", "-----\nComment: cl\u00e9 de test\n\n", 1)
    quoted = json.dumps(key)
    assert "\\u00e9" in quoted
    relation = etcd_relation({0: published(client_key=quoted)})
    state = testing.State(relations=[relation])

    credentials = ask(state, EtcdRequires.get_client_credentials)

    assert credentials is not None
    assert credentials["client_key"] == key
    assert ask(state, EtcdRequires.malformed_units) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("connection_string", '"https://\\ud800:2379"', id="connection-string"),
        pytest.param(
            "client_ca", json.dumps(CA).replace("\\n-----END", "\\udc00\\n-----END"), id="in-a-pem"
        ),
        pytest.param(
            "client_key", json.dumps(KEY).replace("\\n", "\\ud800\\n", 3), id="in-the-key"
        ),
    ],
)
def test_a_json_escaped_lone_surrogate_makes_its_field_malformed_without_raising(
    field: str, value: str, caplog: pytest.LogCaptureFixture
):
    assert value.startswith('"')  # one JSON string, escapes and all
    assert "\\u" in value
    relation = etcd_relation(
        {0: published(**{field: value}), 1: etcd_unit(connection_string=CONNECTION)}
    )
    ctx = client_context()

    # Every hook of the relation, every query: nothing raises.
    state = testing.State(relations=[relation])
    for event in (
        ctx.on.relation_joined(relation, remote_unit=0),
        ctx.on.relation_changed(relation, remote_unit=0),
        ctx.on.upgrade_charm(),
        ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0),
        ctx.on.relation_broken(relation),
    ):
        with ctx(event, state) as mgr:
            state = mgr.run()
            view(mgr.charm.etcd)
            mgr.charm.etcd.get_connection_string()
            mgr.charm.etcd.get_version()
            mgr.charm.etcd.get_client_credentials()
            mgr.charm.etcd.malformed_units()

    malformed = ask(testing.State(relations=[relation]), EtcdRequires.malformed_units)
    assert [(unit.unit_name, unit.fields) for unit in malformed] == [("etcd/0", (field,))]
    assert "UTF-8" in malformed[0].reason
    # The unit's other fields still count: etcd/1 publishes no version.
    assert ask(testing.State(relations=[relation]), EtcdRequires.get_version) == VERSION
    assert not leaked(caplog.text)


def test_getters_answer_none_when_nothing_is_published():
    state = testing.State(relations=[etcd_relation({0: etcd_unit()})])

    assert ask(state, EtcdRequires.get_connection_string) is None
    assert ask(state, EtcdRequires.connection_string) is None
    assert ask(state, EtcdRequires.get_version) is None
    assert ask(state, EtcdRequires.get_client_credentials) is None


def test_credentials_are_none_until_all_three_are_published():
    state = testing.State(relations=[etcd_relation({0: published(client_ca=None)})])

    assert ask(state, EtcdRequires.get_client_credentials) is None
    assert ask(state, EtcdRequires.is_tls_available) is False


# --- 3. Many units, many relations -------------------------------------------------------


def test_a_single_etcd_unit_without_data_only_connects():
    relation = etcd_relation({0: etcd_unit()})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [connected(relation.id)]


def test_three_units_one_without_data_the_first_with_data_wins():
    relation = etcd_relation({0: etcd_unit(), 1: published(), 2: other_published()})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == everything(relation.id)


def test_each_key_comes_from_the_first_unit_that_has_it_in_numeric_unit_order():
    # Lexically "etcd/10" sorts before "etcd/2"; numerically it comes after.
    relation = etcd_relation(
        {
            10: other_published(),
            2: etcd_unit(connection_string=CONNECTION, client_cert=CERT),
            0: etcd_unit(),
        }
    )
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id, CONNECTION, OTHER_VERSION),
        tls_available(relation.id, OTHER_KEY, CERT, OTHER_CA),
    ]
    assert ask(session.state, EtcdRequires.get_connection_string) == CONNECTION
    assert ask(session.state, EtcdRequires.get_version) == OTHER_VERSION


def test_events_are_per_relation_and_getters_take_the_oldest_relation_first():
    newer = etcd_relation({0: other_published()}, relation_id=70)
    older = etcd_relation({0: published()}, relation_id=30)
    session = Session(client_context(), testing.State(relations=[newer, older]))

    assert session.changed(70) == [
        connected(70),
        available(70, OTHER_CONNECTION, OTHER_VERSION),
        tls_available(70, OTHER_KEY, OTHER_CERT, OTHER_CA),
    ]
    assert ask(session.state, EtcdRequires.get_connection_string) == CONNECTION
    assert ask(session.state, EtcdRequires.get_client_credentials) == {
        "client_key": KEY,
        "client_cert": CERT,
        "client_ca": CA,
    }
    # The older relation announces its own payload; the newer one stays quiet.
    assert session.changed(30) == everything(30)
    assert session.changed(70) == []


def test_tls_needs_the_connection_string_on_the_same_relation():
    # Credentials from one etcd and a connection string from another do not make a client.
    older = etcd_relation({0: published(**WITHOUT_CREDENTIALS)}, relation_id=31)
    newer = etcd_relation({0: published(connection_string=None, version=None)}, relation_id=71)
    session = Session(client_context(), testing.State(relations=[older, newer]))

    assert session.changed(31) == [connected(31), available(31)]
    assert session.changed(71) == [connected(71)]
    assert ask(session.state, EtcdRequires.is_available) is True
    assert ask(session.state, EtcdRequires.is_tls_available) is False
    assert ask(session.state, EtcdRequires.get_client_credentials) is None
    assert ask(session.state, EtcdRequires.read) == EtcdOffer(
        EtcdCluster(connection_string=CONNECTION, version=VERSION), None
    )


def test_read_answers_as_the_oldest_tls_available_relation_so_url_and_key_belong_together():
    oldest = etcd_relation({0: etcd_unit()}, relation_id=30)
    available_only = etcd_relation({0: published(version=None, **WITHOUT_CREDENTIALS)}, 31)
    tls_available = etcd_relation({0: other_published()}, relation_id=71)
    newest = etcd_relation({0: published()}, relation_id=90)
    state = testing.State(relations=[newest, tls_available, oldest, available_only])

    offer = ask(state, EtcdRequires.read)

    assert offer.cluster == EtcdCluster(connection_string=OTHER_CONNECTION, version=OTHER_VERSION)
    assert offer.tls == EtcdClientTls(
        client_key=OTHER_KEY, client_cert=OTHER_CERT, client_ca=OTHER_CA
    )
    # The getters answer alike, from that one relation.
    assert ask(state, EtcdRequires.get_connection_string) == OTHER_CONNECTION
    assert ask(state, EtcdRequires.get_version) == OTHER_VERSION
    assert ask(state, EtcdRequires.get_client_credentials) == {
        "client_key": OTHER_KEY,
        "client_cert": OTHER_CERT,
        "client_ca": OTHER_CA,
    }


def test_read_of_one_relation_answers_for_that_relation_only():
    older = etcd_relation({0: published()}, relation_id=36)
    newer = etcd_relation({0: other_published(**WITHOUT_CREDENTIALS)}, relation_id=76)
    ctx = client_context()

    with ctx(ctx.on.update_status(), testing.State(relations=[older, newer])) as mgr:
        relations = mgr.charm.etcd.relations
        offers = [mgr.charm.etcd.read(relation) for relation in relations]
        mgr.run()

    assert [relation.id for relation in relations] == [36, 76]
    assert offers == [
        EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=VERSION), TLS),
        EtcdOffer(EtcdCluster(connection_string=OTHER_CONNECTION, version=OTHER_VERSION)),
    ]


def test_read_answers_nothing_when_nothing_is_offered():
    for relations in (
        [],
        [etcd_relation({})],
        [etcd_relation({0: published(connection_string=None)})],
    ):
        assert ask(testing.State(relations=relations), EtcdRequires.read) == EtcdOffer(None, None)


def test_the_typed_read_is_frozen():
    offer = ask(testing.State(relations=[etcd_relation({0: published()})]), EtcdRequires.read)
    cluster, tls = offer.cluster, offer.tls
    assert cluster is not None
    assert tls is not None

    with pytest.raises(dataclasses.FrozenInstanceError):
        offer.cluster = None  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(ValueError, match="frozen"):
        cluster.connection_string = OTHER_CONNECTION
    with pytest.raises(ValueError, match="frozen"):
        tls.client_key = OTHER_KEY
    assert offer == EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=VERSION), TLS)
    assert not leaked(repr(offer))


def test_withdrawn_data_on_one_relation_leaves_the_other_relation_alone():
    first = etcd_relation({0: published()}, relation_id=32)
    second = etcd_relation({0: published()}, relation_id=72)
    session = Session(client_context(), testing.State(relations=[first, second]))
    session.changed(32)
    session.changed(72)

    assert session.changed(72, {0: etcd_unit()}) == [tls_unavailable(72), unavailable(72)]
    assert ask(session.state, EtcdRequires.is_tls_available) is True


# --- 4. Departure and broken relations ----------------------------------------------------

both_ways = pytest.mark.parametrize(
    "still_listed", [False, True], ids=["departing-unit-unlisted", "departing-unit-listed"]
)


@both_ways
def test_departure_of_the_unit_holding_the_data_makes_the_relation_unavailable(
    still_listed: bool,
):
    relation = etcd_relation({0: published(), 1: etcd_unit()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    events = session.departed(relation.id, 0, still_listed=still_listed)

    assert events == [tls_unavailable(relation.id), unavailable(relation.id)]


@both_ways
def test_departure_of_a_unit_whose_data_another_unit_also_has_emits_nothing(still_listed: bool):
    relation = etcd_relation({0: published(), 1: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0, still_listed=still_listed) == []


@both_ways
def test_departure_of_the_first_unit_announces_the_next_units_different_data(
    still_listed: bool,
):
    relation = etcd_relation({0: published(), 1: other_published(client_ca=CA)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0, still_listed=still_listed) == [
        available(relation.id, OTHER_CONNECTION, OTHER_VERSION),
        tls_available(relation.id, OTHER_KEY, OTHER_CERT, CA),
    ]


@both_ways
def test_departure_of_the_last_unit_disconnects(still_listed: bool):
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0, still_listed=still_listed) == [
        tls_unavailable(relation.id),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_getters_work_in_relation_departed_when_the_departing_unit_has_no_databag():
    # ops 2.17 to 2.23 list the departing unit in Relation.units but not in Relation.data;
    # the oldest-versions run exercises that, the newest run the plain case.
    relation = etcd_relation({1: published()})
    ctx = client_context()
    event = ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0)

    with ctx(event, testing.State(relations=[relation])) as mgr:
        answers = (mgr.charm.etcd.is_available(), mgr.charm.etcd.malformed_units())
        mgr.run()

    assert answers == (True, [])


def test_during_departure_the_queries_already_leave_out_the_departing_unit():
    # ops.testing keeps the departing unit listed, as some Juju versions do.
    relation = etcd_relation({0: published(), 1: published(**WITHOUT_CREDENTIALS)}, 37)
    ctx = client_context(WatchingClientCharm)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )
    event = ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0)

    with ctx(event, state) as mgr:
        mgr.run()
        charm = mgr.charm
    assert isinstance(charm, WatchingClientCharm)

    only_unit_1 = EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=VERSION))
    assert charm.seen == [tls_unavailable(37)]
    assert charm.views == [
        ("EtcdTlsUnavailable", (True, True, False, only_unit_1, [37])),
        ("CollectStatusEvent", (True, True, False, only_unit_1, [37])),
    ]


def test_during_departure_a_deferred_events_handler_already_sees_the_departing_unit_gone():
    relation = etcd_relation({0: published(), 1: published(**WITHOUT_CREDENTIALS)}, 39)

    charm = run_departure_after_a_deferred_event(
        client_context(DeferringWatcherCharm), relation, 0
    )

    assert isinstance(charm, DeferringWatcherCharm)

    only_unit_1 = EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=VERSION))
    assert charm.views == [(True, True, False, only_unit_1, [39])]


@pytest.mark.parametrize(("unit", "relation_id", "departing"), DEPARTING_ENVIRONMENTS)
def test_the_departing_unit_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, departing: Any
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert etcd_library._departing_in_this_hook() == departing  # pyright: ignore[reportPrivateUsage]


def test_during_departure_of_the_last_unit_every_query_sees_it_gone():
    relation = etcd_relation({0: published()}, 38)
    ctx = client_context(WatchingClientCharm)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )
    event = ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0)

    with ctx(event, state) as mgr:
        mgr.run()
        charm = mgr.charm
        malformed = charm.etcd.malformed_units()
        offer = charm.etcd.read(charm.etcd.relations[0])
    assert isinstance(charm, WatchingClientCharm)

    assert charm.seen == [tls_unavailable(38), unavailable(38), disconnected(38)]
    gone = (False, False, False, EtcdOffer(), [38])
    assert charm.views == [
        ("EtcdTlsUnavailable", gone),
        ("EtcdUnavailable", gone),
        ("EtcdDisconnected", gone),
        ("CollectStatusEvent", gone),
    ]
    assert (malformed, offer) == ([], EtcdOffer())


def test_during_relation_broken_the_relation_is_gone_for_every_query():
    first = etcd_relation({0: published()}, relation_id=39)
    second = etcd_relation({0: other_published(**WITHOUT_CREDENTIALS)}, relation_id=79)
    ctx = client_context(WatchingClientCharm)
    state = testing.State(relations=[first, second])
    for relation in (first, second):
        state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    with ctx(ctx.on.relation_broken(first), state) as mgr:
        mgr.run()
        charm = mgr.charm
        offer_of_broken = charm.etcd.read(charm.model.get_relation("etcd", 39))
    assert isinstance(charm, WatchingClientCharm)

    assert charm.seen == [tls_unavailable(39), unavailable(39), disconnected(39)]
    second_only = (
        True,
        True,
        False,
        EtcdOffer(EtcdCluster(connection_string=OTHER_CONNECTION, version=OTHER_VERSION)),
        [79],
    )
    assert charm.views == [
        ("EtcdTlsUnavailable", second_only),
        ("EtcdUnavailable", second_only),
        ("EtcdDisconnected", second_only),
        ("RelationBrokenEvent", second_only),
        ("CollectStatusEvent", second_only),
    ]
    assert offer_of_broken == EtcdOffer()


@pytest.mark.parametrize("hook", ["departed", "broken"])
def test_provider_is_not_connected_in_the_hook_that_loses_the_last_client(hook: str):
    relation = client_relation((0,))
    ctx = etcd_context(WatchingEtcdCharm)
    state = ctx.run(
        ctx.on.relation_joined(relation, remote_unit=0), testing.State(relations=[relation])
    )
    if hook == "departed":  # the departing unit is still listed
        event = ctx.on.relation_departed(relation, remote_unit=0, departing_unit=0)
    else:
        event = ctx.on.relation_broken(relation)

    with ctx(event, state) as mgr:
        mgr.run()
        charm = mgr.charm
    assert isinstance(charm, WatchingEtcdCharm)

    assert charm.seen == [("EtcdClientDisconnected", relation.id)]
    assert charm.views == [("EtcdClientDisconnected", False), ("CollectStatusEvent", False)]


def test_departure_of_the_last_unit_without_data_only_disconnects():
    relation = etcd_relation({0: etcd_unit()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0) == [disconnected(relation.id)]


def test_relation_broken_emits_tls_unavailable_unavailable_disconnected_in_that_order():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.broken(relation.id) == [
        tls_unavailable(relation.id),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_relation_broken_without_credentials_emits_unavailable_then_disconnected():
    relation = etcd_relation({0: published(**WITHOUT_CREDENTIALS)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.broken(relation.id) == [unavailable(relation.id), disconnected(relation.id)]


def test_relation_broken_after_the_last_departure_emits_nothing_more():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    session.departed(relation.id, 0)

    assert session.broken(relation.id) == []


def test_relation_broken_on_a_relation_never_seen_emits_nothing():
    relation = etcd_relation({})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.broken(relation.id) == []


def test_relation_broken_on_one_relation_leaves_the_other_available():
    first = etcd_relation({0: published()}, relation_id=33)
    second = etcd_relation({0: other_published()}, relation_id=73)
    session = Session(client_context(), testing.State(relations=[first, second]))
    session.changed(33)
    session.changed(73)

    assert session.broken(33) == [tls_unavailable(33), unavailable(33), disconnected(33)]
    assert session.changed(73) == []


def test_provider_announces_a_client_on_its_first_join_only():
    relation = client_relation((0, 1))
    session = Session(etcd_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [("EtcdClientConnected", relation.id)]
    assert session.joined(relation.id, 1) == []


def test_provider_announces_the_departure_of_the_last_client_unit_once():
    relation = client_relation((0, 1))
    session = Session(etcd_context(), testing.State(relations=[relation]))
    session.joined(relation.id, 0)
    session.joined(relation.id, 1)

    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0, still_listed=True) == [
        ("EtcdClientDisconnected", relation.id)
    ]
    assert session.broken(relation.id) == []


def test_provider_announces_a_broken_relation_whose_units_never_departed():
    relation = client_relation((0,))
    session = Session(etcd_context(), testing.State(relations=[relation]))
    session.joined(relation.id, 0)

    assert session.broken(relation.id) == [("EtcdClientDisconnected", relation.id)]


def test_provider_announces_a_client_that_joins_again_after_leaving():
    relation = client_relation((0,))
    session = Session(etcd_context(), testing.State(relations=[relation]))
    session.joined(relation.id, 0)
    session.departed(relation.id, 0)
    session.set_units(relation.id, {1: dict(JUJU_DEFAULTS)})

    assert session.joined(relation.id, 1) == [("EtcdClientConnected", relation.id)]


def test_provider_tracks_each_relation_separately():
    first, second = client_relation((0,)), client_relation((0,))
    session = Session(etcd_context(), testing.State(relations=[first, second]))

    assert session.joined(first.id, 0) == [("EtcdClientConnected", first.id)]
    assert session.joined(second.id, 0) == [("EtcdClientConnected", second.id)]
    assert session.broken(first.id) == [("EtcdClientDisconnected", first.id)]
    assert session.departed(second.id, 0) == [("EtcdClientDisconnected", second.id)]


# --- 4b. The leaving unit --------------------------------------------------------------------
# Juju names this unit as the departing one when it is going; ops.testing cannot, so the
# session amends the hook's environment (`demo.deployment.this_unit_named_departing`).


def test_the_leaving_unit_ends_every_state_in_its_first_departure_and_starts_nothing_after():
    first = etcd_relation({0: published(), 1: published()}, relation_id=33)
    second = etcd_relation({0: other_published()}, relation_id=73)
    session = Session(client_context(), testing.State(relations=[first, second]))
    session.changed(33)
    session.changed(73)

    assert session.this_unit_departs(33, 0) == [
        tls_unavailable(33),
        unavailable(33),
        disconnected(33),
        tls_unavailable(73),
        unavailable(73),
        disconnected(73),
    ]
    assert ask(session.state, view) == (False, False, False, EtcdOffer(), [])
    # Nothing starts again: not on new data, not on a refresh, not in the other departures.
    assert session.changed(73, {0: published(), 1: other_published()}) == []
    assert session.upgraded() == []
    assert session.this_unit_departs(33, 1) == []
    assert session.broken(33) == []
    assert session.broken(73) == []


def test_the_leaving_units_deferred_events_already_see_nothing_in_its_first_departure():
    relation = etcd_relation({0: published()})
    charm = run_departure_after_a_deferred_event(
        client_context(DeferringWatcherCharm), relation, 0, this_unit=True
    )
    assert isinstance(charm, DeferringWatcherCharm)

    # The deferred `available` ran first, and already saw the endpoint as this unit leaves it.
    assert charm.views[-1] == (False, False, False, EtcdOffer(), [])
    rid = relation.id
    assert charm.seen[-3:] == [tls_unavailable(rid), unavailable(rid), disconnected(rid)]


def test_the_leaving_provider_ends_its_clients_and_announces_no_new_one():
    relation = client_relation((0, 1))
    session = Session(etcd_context(), testing.State(relations=[relation]))
    session.joined(relation.id, 0)

    assert session.this_unit_departs(relation.id, 0) == [("EtcdClientDisconnected", relation.id)]
    assert session.joined(relation.id, 1) == []
    assert session.broken(relation.id) == []


def test_a_departure_of_another_unit_named_like_this_one_is_not_this_unit_leaving():
    # Juju names units `<application>/<number>`: the remote etcd/0 is not this etcd-client/0.
    relation = etcd_relation({0: published(), 1: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0) == []
    assert session.changed(relation.id, {1: other_published()}) != []


# --- 4c. Relation-broken after a deferral ------------------------------------------------------


def event_driven_example(workload_root: Path) -> tuple[Any, Path]:
    """The docstring's event-driven client charm, and where it saves the credentials.

    Its workload paths are moved under `workload_root`.
    """
    block = next(
        example.block
        for example in docs_harness.examples(docs_harness.LIBRARIES["etcd"])
        if "class EventDrivenClientCharm" in example.block.source
    )
    namespace = vars(docs_harness.run_module_block(block, workload_root))
    return namespace["EventDrivenClientCharm"], namespace["CREDENTIALS_DIR"]


def test_the_event_driven_example_survives_a_deferred_tls_available_run_in_relation_broken(
    tmp_path: Path,
):
    example, credentials = event_driven_example(tmp_path)

    class Deferring(example):
        """The example, deferring `tls_available` while the `defer` option is set."""

        def _on_etcd_tls_available(self, event: EtcdTlsAvailable) -> None:
            if self.config.get("defer"):
                event.defer()
            else:
                super()._on_etcd_tls_available(event)

    relation = etcd_relation({0: published()})
    ctx = testing.Context(Deferring, meta=CLIENT_META, config=DEFER_CONFIG)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        testing.State(config={"defer": "x"}, relations=[relation]),
    )
    assert len(state.deferred) == 1
    state = dataclasses.replace(state, config={"defer": ""})

    with ctx(ctx.on.relation_broken(relation), state) as mgr:
        offer = mgr.charm.etcd.read(mgr.charm.model.get_relation("etcd", relation.id))
        state = mgr.run()

    # The relation is gone for `read(relation)` from the start of the hook: the handler
    # takes the event as outdated and saves nothing.
    assert offer == EtcdOffer()
    assert state.deferred == []
    assert not credentials.exists()


def test_the_event_driven_example_saves_the_credentials_of_the_relation_that_announced_them(
    tmp_path: Path,
):
    example, credentials = event_driven_example(tmp_path)
    older = etcd_relation({0: published()}, relation_id=3)
    newer = etcd_relation({0: other_published()}, relation_id=7)
    ctx = testing.Context(example, meta=CLIENT_META)
    state = ctx.run(
        ctx.on.relation_changed(older, remote_unit=0), testing.State(relations=[older, newer])
    )

    ctx.run(ctx.on.relation_changed(newer, remote_unit=0), state)

    # The endpoint answers for the older relation; the newer one's event saves its own.
    assert (credentials / "client.key").read_text() == other_published()["client_key"]


# --- 4d. The private key stays out of the unit's state ----------------------------------------


def saved_text(state: testing.State) -> str:
    """Everything the unit's state keeps between hooks: stored state and deferred events."""
    stored = [repr(stored.content) for stored in state.stored_states]
    deferred = [repr(event.snapshot_data) for event in state.deferred]
    return "\n".join(stored + deferred)


def test_a_deferred_tls_available_keeps_no_private_key_in_the_units_state():
    relation = etcd_relation({0: published()})
    ctx = client_context()

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        testing.State(config={"defer": "tls_available"}, relations=[relation]),
    )

    assert len(state.deferred) == 1
    assert not leaked(saved_text(state))
    assert "client_key_sha256" in saved_text(state)


def deferred_tls_available(relation: testing.Relation) -> testing.State:
    """The state after relation-changed of a relation that offers everything, in which the
    charm deferred `tls_available`."""
    ctx = client_context()
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        testing.State(config={"defer": "tls_available"}, relations=[relation]),
    )
    assert len(state.deferred) == 1
    return dataclasses.replace(state, config={"defer": ""})


def seen_in(hook: Callable[[Any], Any], state: testing.State) -> list[Seen]:
    """The library events the client charm observed in one hook, deferred ones included.

    `hook` makes the hook's event from a context's `on`.
    """
    ctx = client_context()
    with ctx(hook(ctx.on), state) as mgr:
        mgr.run()
        return mgr.charm.seen


def test_a_deferred_tls_available_reads_its_key_back_from_the_relation():
    relation = etcd_relation({0: published()})
    state = deferred_tls_available(relation)

    assert seen_in(lambda on: on.update_status(), state) == [tls_available(relation.id)]


@pytest.mark.parametrize("hook", ["withdrawn", "departed", "broken"])
def test_a_deferred_tls_available_hands_over_no_key_once_the_relation_no_longer_has_it(
    hook: str,
):
    relation = etcd_relation({0: published()})
    state = deferred_tls_available(relation)
    if hook == "withdrawn":
        gone = dataclasses.replace(
            relation, remote_units_data={0: published(**WITHOUT_CREDENTIALS)}
        )
        state = dataclasses.replace(state, relations=[gone])
        seen = seen_in(lambda on: on.relation_changed(gone, remote_unit=0), state)
    elif hook == "departed":  # the departing unit still listed, as ops.testing keeps it
        seen = seen_in(
            lambda on: on.relation_departed(relation, remote_unit=0, departing_unit=0), state
        )
    else:
        seen = seen_in(lambda on: on.relation_broken(relation), state)

    assert seen[0] == ("EtcdTlsAvailable", relation.id, None, CERT, CA)


def test_a_tls_available_deferred_by_an_earlier_libpatch_still_hands_over_its_key():
    relation = etcd_relation({0: published()})
    state = deferred_tls_available(relation)
    # LIBPATCH 4 saved the whole credentials as the payload.
    earlier = dataclasses.replace(
        state.deferred[0],
        snapshot_data={**state.deferred[0].snapshot_data, "payload": TLS.model_dump_json()},
    )
    # Withdrawn since: the key can only come from the saved payload.
    gone = dataclasses.replace(relation, remote_units_data={0: published(**WITHOUT_CREDENTIALS)})
    state = dataclasses.replace(state, deferred=[earlier], relations=[gone])

    assert seen_in(lambda on: on.update_status(), state)[0] == tls_available(relation.id)


# --- 5. Edge-triggering ------------------------------------------------------------------


def test_available_fires_once_and_again_only_when_its_payload_changes():
    relation = etcd_relation({0: published(**WITHOUT_CREDENTIALS)})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [connected(relation.id), available(relation.id)]
    assert session.changed(relation.id) == []
    assert (
        session.changed(relation.id, {0: published(**WITHOUT_CREDENTIALS), 1: etcd_unit()}) == []
    )
    new_version = published(version="3.5.17", **WITHOUT_CREDENTIALS)
    assert session.changed(relation.id, {0: new_version}) == [
        available(relation.id, CONNECTION, "3.5.17")
    ]
    new_connection = published(
        connection_string=OTHER_CONNECTION, version="3.5.17", **WITHOUT_CREDENTIALS
    )
    assert session.changed(relation.id, {0: new_connection}) == [
        available(relation.id, OTHER_CONNECTION, "3.5.17")
    ]
    assert session.changed(relation.id) == []


def test_a_version_that_appears_or_disappears_re_announces_available():
    relation = etcd_relation({0: published(version=None)})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: published()}) == [available(relation.id)]
    assert session.changed(relation.id, {0: published(version=None)}) == [
        available(relation.id, version=None)
    ]


def test_tls_available_fires_once_and_again_when_a_credential_changes():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == everything(relation.id)
    assert session.changed(relation.id) == []
    for changed in (
        {"client_key": OTHER_KEY},
        {"client_key": OTHER_KEY, "client_cert": OTHER_CERT},
        {"client_key": OTHER_KEY, "client_cert": OTHER_CERT, "client_ca": OTHER_CA},
    ):
        expected = tls_available(
            relation.id,
            changed.get("client_key", KEY),
            changed.get("client_cert", CERT),
            changed.get("client_ca", CA),
        )
        assert session.changed(relation.id, {0: published(**changed)}) == [expected]
        assert session.changed(relation.id) == []


def test_withdrawing_credentials_fires_tls_unavailable_only_and_restoring_them_tls_available():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: published(client_ca=None)}) == [
        tls_unavailable(relation.id)
    ]
    assert session.changed(relation.id) == []
    assert session.changed(relation.id, {0: published()}) == [tls_available(relation.id)]


def test_withdrawing_the_connection_string_withdraws_tls_too():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: published(connection_string=None)}) == [
        tls_unavailable(relation.id),
        unavailable(relation.id),
    ]
    # Credentials without a connection string are not "TLS available".
    assert session.changed(relation.id) == []
    assert session.changed(relation.id, {0: published()}) == [
        available(relation.id),
        tls_available(relation.id),
    ]


def test_what_was_announced_lives_in_stored_state():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    assert session.changed(relation.id) == []

    # The same data on a unit without that stored state is news again.
    fresh = Session(client_context(), testing.State(relations=session.state.relations))
    assert fresh.changed(relation.id) == everything(relation.id)


def test_stored_state_holds_no_private_key_in_clear():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert not leaked(repr(session.state.stored_states))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            {0: published()},
            {0: published(connection_string=OTHER_CONNECTION, **WITHOUT_CREDENTIALS)},
            [tls_unavailable(40), available(40, OTHER_CONNECTION)],
            id="moved-and-credentials-withdrawn",
        ),
        pytest.param(
            {0: published(**WITHOUT_CREDENTIALS)},
            {0: other_published()},
            [
                available(40, OTHER_CONNECTION, OTHER_VERSION),
                tls_available(40, OTHER_KEY, OTHER_CERT, OTHER_CA),
            ],
            id="moved-and-credentials-published",
        ),
        pytest.param({}, {0: published()}, everything(40), id="first-unit-with-everything"),
        pytest.param(
            {0: published()},
            {1: etcd_unit()},
            [tls_unavailable(40), unavailable(40)],
            id="replaced-by-a-unit-without-data",
        ),
    ],
)
def test_events_of_one_hook_fire_in_the_documented_order(
    before: dict[int, dict[str, str]], after: dict[int, dict[str, str]], expected: list[Seen]
):
    # tls_unavailable, unavailable, disconnected, connected, available, tls_available
    relation = etcd_relation(before, relation_id=40)
    session = Session(client_context(), testing.State(relations=[relation]))
    if before:
        session.changed(40)

    assert session.changed(40, after) == expected


def test_a_hook_that_reconciles_several_relations_does_them_oldest_first():
    first = etcd_relation({0: published()}, relation_id=41)
    session = Session(client_context(), testing.State(relations=[first]))
    session.changed(41)
    second = etcd_relation({0: other_published()}, relation_id=81)
    session.state = dataclasses.replace(session.state, relations=[first, second])
    session.set_units(41, {0: etcd_unit()})

    assert session.upgraded() == [
        tls_unavailable(41),
        unavailable(41),
        connected(81),
        available(81, OTHER_CONNECTION, OTHER_VERSION),
        tls_available(81, OTHER_KEY, OTHER_CERT, OTHER_CA),
    ]


# --- 6. Malformed and hostile remote data ----------------------------------------------------

HOSTILE_VALUES = [
    # JSON escapes that spell a lone surrogate: no UTF-8 databag can hold the decoded value.
    pytest.param("connection_string", r'"https://\ud800:2379"', id="connection-lone-surrogate"),
    pytest.param("version", r'"3.5.\udc00"', id="version-lone-surrogate"),
    pytest.param("client_ca", json.dumps(OTHER_CA)[:-1] + r'\ud800"', id="ca-lone-surrogate"),
    pytest.param("connection_string", json.dumps([CONNECTION]), id="connection-json-list"),
    pytest.param("connection_string", "2379", id="connection-json-number"),
    pytest.param("connection_string", "https://10.9.9.9:2379, https://10.9.9.8:2379", id="spaces"),
    pytest.param("connection_string", "10.9.9.9:2379", id="connection-without-scheme"),
    pytest.param("connection_string", "ftp://10.9.9.9:2379", id="other-scheme"),
    pytest.param("connection_string", "https://10.9.9.9", id="no-port"),
    pytest.param("connection_string", "https://10.9.9.9:0", id="port-0"),
    pytest.param("connection_string", "https://10.9.9.9:99999", id="port-out-of-range"),
    pytest.param("connection_string", "https://10.9.9.9:port", id="port-not-a-number"),
    pytest.param("connection_string", "https://10.9.9.9:2379/v3", id="path"),
    pytest.param("connection_string", "https://10.9.9.9:2379?x=1", id="query"),
    pytest.param("connection_string", "https://root:pw@10.9.9.9:2379", id="user-and-password"),
    pytest.param("connection_string", "https://$(reboot):2379", id="shell"),
    pytest.param("connection_string", "https://etcd\x00:2379", id="nul"),
    pytest.param("connection_string", "https://etcd\x1b[2J:2379", id="escape"),
    pytest.param("connection_string", "https://[fe80::1%eth0]:2379", id="zone-index"),
    pytest.param("connection_string", "https://fe80::1%eth0:2379", id="bare-zone-index"),
    pytest.param("connection_string", "https://[10.9.9.9]:2379", id="ipv4-in-brackets"),
    pytest.param("connection_string", "https://10.9.9.256:2379", id="not-ipv4"),
    pytest.param("connection_string", "https://10.9.9.9:2379,", id="trailing-comma"),
    pytest.param("connection_string", " ", id="connection-blank"),
    pytest.param("connection_string", '""', id="connection-json-empty-string"),
    pytest.param("connection_string", "https://" + "a" * MIB + ":2379", id="connection-1MiB"),
    pytest.param("version", "[3, 5, 16]", id="version-json-list"),
    pytest.param("version", '{"major": 3}', id="version-json-object"),
    pytest.param("version", "3.5.16; rm -rf /", id="version-with-shell"),
    pytest.param("version", '"3.5"16"', id="version-broken-quotes"),
    pytest.param("version", '""', id="version-json-empty-string"),
    pytest.param("version", "3" * 65, id="version-too-long"),
    pytest.param("version", "None", id="version-str-of-none"),
    pytest.param("client_key", "not a key", id="key-not-pem"),
    pytest.param("client_key", "[1, 2]", id="key-json-list"),
    pytest.param("client_key", CERT, id="certificate-as-key"),
    pytest.param("client_key", OTHER_CERT + OTHER_KEY, id="certificate-then-key"),
    pytest.param("client_key", OTHER_KEY + OTHER_KEY, id="two-keys"),
    pytest.param("client_key", OTHER_KEY.replace("-----END", "-----FIN"), id="key-unterminated"),
    pytest.param("client_key", OTHER_KEY.replace("\n", " *\n", 2), id="key-not-base64"),
    pytest.param("client_key", HUGE_KEY, id="key-1MiB"),
    pytest.param("client_cert", OTHER_KEY, id="key-as-certificate"),
    pytest.param("client_cert", "42", id="certificate-json-number"),
    pytest.param("client_cert", OTHER_KEY + OTHER_CERT, id="key-then-certificate"),
    pytest.param("client_ca", "null", id="ca-json-null"),
    pytest.param("client_ca", OTHER_KEY + CA, id="key-then-ca"),
    pytest.param("client_ca", HUGE_CA, id="ca-1MiB"),
]


@pytest.mark.parametrize(("field", "value"), HOSTILE_VALUES)
def test_a_malformed_field_is_skipped_alone_reported_and_logged_without_secrets(
    field: str, value: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    # Unit 0 comes first and publishes a complete, different set, with one bad field: that
    # field comes from unit 1, and every other field still from unit 0.
    relation = etcd_relation({0: other_published(**{field: value}), 1: published()})
    expected = {**other_published(), field: published()[field]}
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        malformed = mgr.charm.etcd.malformed_units()
        offer = mgr.charm.etcd.read()

    assert seen == [
        connected(relation.id),
        available(relation.id, expected["connection_string"], expected["version"]),
        tls_available(
            relation.id, expected["client_key"], expected["client_cert"], expected["client_ca"]
        ),
    ]
    assert offer == EtcdOffer(
        EtcdCluster(connection_string=expected["connection_string"], version=expected["version"]),
        EtcdClientTls(
            client_key=expected["client_key"],
            client_cert=expected["client_cert"],
            client_ca=expected["client_ca"],
        ),
    )
    assert len(malformed) == 1
    assert malformed[0].relation_id == relation.id
    assert malformed[0].unit_name == "etcd/0"
    assert malformed[0].fields == (field,)
    assert malformed[0].reason.startswith(f"{field}: ")
    assert str(malformed[0]) == f"etcd/0 sent a malformed {field}"
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert warnings[0].name == "charms.etcd.v0.etcd"
    assert f"relation {relation.id}" in message
    assert "etcd/0" in message
    assert field in message
    assert len(message) < 500
    for text in (
        caplog.text,
        *(record.getMessage() for record in caplog.records),
        *(line.message for line in ctx.juju_log),
        repr(malformed),
        str(malformed[0]),
    ):
        assert not leaked(text)
    if "10.9.9.9" in value:
        assert "10.9.9.9" not in caplog.text


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        pytest.param("client_ca", "not a certificate", (True, True, False), id="ca"),
        pytest.param("client_key", CERT, (True, True, False), id="key"),
        pytest.param("version", "three point five", (True, True, True), id="version"),
        pytest.param("connection_string", "etcd:2379", (True, False, False), id="connection"),
    ],
)
def test_a_bad_field_hides_only_what_needs_it(
    field: str, value: str, expected: tuple[bool, bool, bool]
):
    # A client that does not use TLS keeps etcd when the CA is bad, as with the legacy layer.
    relation = etcd_relation({0: published(**{field: value})})
    session = Session(client_context(), testing.State(relations=[relation]))

    events = session.changed(relation.id)
    answers = ask(
        session.state,
        lambda etcd: (etcd.is_connected(), etcd.is_available(), etcd.is_tls_available()),
    )

    assert answers == expected
    version = None if field == "version" else VERSION
    assert events == [
        connected(relation.id),
        *([available(relation.id, CONNECTION, version)] if expected[1] else []),
        *([tls_available(relation.id)] if expected[2] else []),
    ]
    assert ask(session.state, EtcdRequires.get_version) == (version if expected[1] else None)
    assert [unit.fields for unit in ask(session.state, EtcdRequires.malformed_units)] == [(field,)]


def test_a_malformed_unit_reads_as_a_status_line():
    relation = etcd_relation({2: published(client_ca=OTHER_KEY, version="?")}, 44)

    (malformed,) = ask(testing.State(relations=[relation]), EtcdRequires.malformed_units)

    assert malformed == MalformedUnit(44, "etcd/2", ("client_ca", "version"), malformed.reason)
    assert str(malformed) == "etcd/2 sent a malformed client_ca, version"
    assert malformed.reason == (
        "client_ca: is PEM, but not only CERTIFICATE blocks; "
        "version: must be a version such as 3.5.16"
    )
    assert ops.BlockedStatus(str(malformed)).message == str(malformed)
    assert not leaked(malformed.reason)


def test_all_bad_fields_of_a_unit_are_named():
    relation = etcd_relation({0: published(connection_string="nope", client_cert=KEY)})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        malformed = mgr.charm.etcd.malformed_units()
        seen = mgr.charm.seen

    assert seen == [connected(relation.id)]
    assert malformed == [
        MalformedUnit(
            relation.id, "etcd/0", ("client_cert", "connection_string"), malformed[0].reason
        )
    ]
    assert "client_cert" in malformed[0].reason
    assert "connection_string" in malformed[0].reason
    assert not leaked(malformed[0].reason)


def test_a_malformed_unit_is_logged_once_per_hook_however_often_it_is_read(
    caplog: pytest.LogCaptureFixture,
):
    relation = etcd_relation({0: published(version="not a version")})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        # Before the library sees the hook's event, as a charm querying in its constructor
        # does; the library reads the databag again for the event, but does not warn again.
        mgr.charm.etcd.is_available()
        mgr.run()
        for _ in range(3):
            mgr.charm.etcd.get_connection_string()
            mgr.charm.etcd.is_tls_available()
            mgr.charm.etcd.malformed_units()

    warnings = [record for record in caplog.records if record.name == "charms.etcd.v0.etcd"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_a_field_that_becomes_malformed_withdraws_only_what_needs_it():
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: published(client_key=CERT)}) == [
        tls_unavailable(relation.id)
    ]
    assert ask(session.state, EtcdRequires.malformed_units)[0].fields == ("client_key",)
    assert session.changed(relation.id, {0: published(client_key=CERT, version="x y")}) == [
        available(relation.id, CONNECTION, None)
    ]
    assert session.changed(relation.id, {0: published(connection_string="x")}) == [
        unavailable(relation.id)
    ]
    assert session.changed(relation.id, {0: published()}) == [
        available(relation.id),
        tls_available(relation.id),
    ]


def test_malformed_units_lists_every_bad_unit_of_every_relation_in_order():
    first = etcd_relation({3: published(version="?"), 1: published(), 0: etcd_unit()}, 34)
    second = etcd_relation({0: published(client_ca="x")}, 74)
    state = testing.State(relations=[second, first])

    malformed = ask(state, EtcdRequires.malformed_units)

    assert [(unit.relation_id, unit.unit_name, unit.fields) for unit in malformed] == [
        (34, "etcd/3", ("version",)),
        (74, "etcd/0", ("client_ca",)),
    ]


def test_malformed_units_is_empty_when_all_data_is_good():
    state = testing.State(relations=[etcd_relation({0: published(), 1: etcd_unit()})])

    assert ask(state, EtcdRequires.malformed_units) == []


def test_keys_of_other_interfaces_are_ignored():
    zookeeper_keys = {"port": "2181", "rest_port": "9998", "host": "zk-0"}
    relation = etcd_relation(
        {0: etcd_unit(**zookeeper_keys), 1: published(**zookeeper_keys, zookeepers="[]")}
    )
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == everything(relation.id)
    assert ask(session.state, EtcdRequires.malformed_units) == []


def test_json_quoted_values_are_validated_after_unquoting():
    relation = etcd_relation({0: published(client_key=json.dumps(CERT))})
    state = testing.State(relations=[relation])

    assert ask(state, EtcdRequires.malformed_units)[0].fields == ("client_key",)


def test_valid_pem_variants_are_accepted():
    crlf_key = OTHER_KEY.replace("\n", "\r\n")
    bundle = OTHER_CA + CA
    legacy_encrypted = KEY.replace(
        "-----BEGIN PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\n",
    )
    for key, ca in ((crlf_key, bundle), (legacy_encrypted, "\n" + CA + "\n\n")):
        relation = etcd_relation({0: published(client_key=key, client_ca=ca)})
        state = testing.State(relations=[relation])
        assert ask(state, EtcdRequires.get_client_credentials) == {
            "client_key": key,
            "client_cert": CERT,
            "client_ca": ca,
        }


def test_reprs_of_models_holding_a_key_do_not_show_it():
    credentials = EtcdClientCredentials(client_key=KEY, client_cert=CERT, client_ca=CA)
    data = EtcdProviderData(
        connection_string=CONNECTION, client_key=KEY, client_cert=CERT, client_ca=CA
    )

    for model in (credentials, data, data.credentials()):
        assert not leaked(repr(model))
        assert not leaked(str(model))
    assert credentials.client_key == KEY  # the key is there, only hidden
    assert "client_cert" in repr(credentials)
    assert data.connection().connection_string == CONNECTION


def test_client_credentials_are_complete_only_with_all_three():
    assert EtcdClientCredentials(client_key=KEY, client_cert=CERT, client_ca=CA).is_complete()
    assert not EtcdClientCredentials(client_key=KEY, client_cert=CERT).is_complete()
    assert not EtcdClientCredentials().is_complete()


def test_event_objects_do_not_show_the_key_in_their_repr():
    relation = etcd_relation({0: published()})
    ctx = client_context()

    ctx.run(ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation]))

    tls_events = [event for event in ctx.emitted_events if isinstance(event, EtcdTlsAvailable)]
    assert len(tls_events) == 1
    assert tls_events[0].client_key == KEY
    assert not leaked(repr(tls_events[0]))
    assert not leaked(repr(tls_events[0].__dict__))


# --- 7. Provider input validation ---------------------------------------------------------

BAD_CONNECTIONS = [
    pytest.param(CONNECTION.encode(), VERSION, "connection_string", id="bytes"),
    pytest.param(2379, VERSION, "connection_string", id="number"),
    pytest.param(CONNECTION, 3.5, "version", id="version-number"),
    pytest.param(CONNECTION, VERSION.encode(), "version", id="version-bytes"),
    pytest.param("https://\ud800:2379", VERSION, "connection_string", id="lone-surrogate"),
    pytest.param(CONNECTION, "3.5.1\udc00", "version", id="version-lone-surrogate"),
    pytest.param("", VERSION, "connection_string", id="empty"),
    pytest.param(" ", VERSION, "connection_string", id="blank"),
    pytest.param(None, VERSION, "connection_string", id="none"),
    pytest.param(
        "https://10.0.0.5:2379, https://10.0.0.6:2379", VERSION, "connection_string", id="space"
    ),
    pytest.param("https://10.0.0.5:2379\n", VERSION, "connection_string", id="newline"),
    pytest.param("https://etcd\t:2379", VERSION, "connection_string", id="tab"),
    pytest.param("10.0.0.5:2379", VERSION, "connection_string", id="no-scheme"),
    pytest.param("ftp://10.0.0.5:2379", VERSION, "connection_string", id="other-scheme"),
    pytest.param("HTTPS://10.0.0.5:2379", VERSION, "connection_string", id="scheme-in-capitals"),
    pytest.param("https://:2379", VERSION, "connection_string", id="no-host"),
    pytest.param("https://10.0.0.5", VERSION, "connection_string", id="no-port"),
    pytest.param("https://10.0.0.5:", VERSION, "connection_string", id="empty-port"),
    pytest.param("https://10.0.0.5:0", VERSION, "connection_string", id="port-0"),
    pytest.param("https://10.0.0.5:65536", VERSION, "connection_string", id="port-out-of-range"),
    pytest.param("https://10.0.0.5:+2379", VERSION, "connection_string", id="port-signed"),
    pytest.param("https://10.0.0.5:2379/", VERSION, "connection_string", id="path"),
    pytest.param("https://10.0.0.5:2379?debug", VERSION, "connection_string", id="query"),
    pytest.param("https://10.0.0.5:2379#top", VERSION, "connection_string", id="fragment"),
    pytest.param("https://root@10.0.0.5:2379", VERSION, "connection_string", id="user"),
    pytest.param(
        "https://root:SECRET@10.0.0.5:2379", VERSION, "connection_string", id="user-password"
    ),
    pytest.param("https://etcd\x00:2379", VERSION, "connection_string", id="nul"),
    pytest.param("https://etcd\x1b[31m:2379", VERSION, "connection_string", id="escape"),
    pytest.param("https://$(reboot):2379", VERSION, "connection_string", id="shell"),
    pytest.param("https://etcd_0:2379", VERSION, "connection_string", id="underscore"),
    pytest.param("https://-etcd:2379", VERSION, "connection_string", id="hyphen-first"),
    pytest.param("https://10.0.0.5:2379,", VERSION, "connection_string", id="trailing-comma"),
    pytest.param("https://10.0.0.256:2379", VERSION, "connection_string", id="not-ipv4"),
    pytest.param("https://[10.0.0.5]:2379", VERSION, "connection_string", id="ipv4-bracketed"),
    pytest.param("https://[fd00::1:2379", VERSION, "connection_string", id="unclosed-ipv6"),
    pytest.param("https://[fd00::g]:2379", VERSION, "connection_string", id="not-ipv6"),
    pytest.param("https://[fe80::1%eth0]:2379", VERSION, "connection_string", id="zone-index"),
    pytest.param("https://fd00::1:2379", VERSION, "connection_string", id="ipv6-without-brackets"),
    pytest.param(CONNECTION, "", "version", id="empty-version"),
    pytest.param(CONNECTION, "3.5 .16", "version", id="version-with-space"),
    pytest.param(CONNECTION, "3" * 65, "version", id="version-too-long"),
    pytest.param(CONNECTION, "None", "version", id="version-str-of-none"),
    pytest.param(CONNECTION, "null", "version", id="version-json-null"),
]

ENCRYPTED_LEGACY_KEY = make_pem("RSA PRIVATE KEY", "an encrypted key").replace(
    "-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF00FF00FF00FF\n\n", 1
)
"""A key as `openssl genrsa -aes128` wrote it: RFC 1421 headers before the base64 body."""

BAD_CREDENTIALS = [
    pytest.param(KEY.encode(), CERT, CA, "client_key", id="key-bytes"),
    pytest.param(KEY, CERT.encode(), CA, "client_cert", id="certificate-bytes"),
    pytest.param(KEY, CERT, CA.encode(), "client_ca", id="ca-bytes"),
    pytest.param(KEY, [CERT], CA, "client_cert", id="certificate-list"),
    pytest.param(KEY.replace("\n", "\ud800\n", 2), CERT, CA, "client_key", id="key-surrogate"),
    pytest.param("SECRET-not-a-pem-key", CERT, CA, "client_key", id="key-not-pem"),
    pytest.param("", CERT, CA, "client_key", id="key-empty"),
    pytest.param(CERT, CERT, CA, "client_key", id="certificate-as-key"),
    pytest.param(CERT + KEY, CERT, CA, "client_key", id="certificate-then-key"),
    pytest.param(KEY + CERT, CERT, CA, "client_key", id="key-then-certificate"),
    pytest.param(KEY + OTHER_KEY, CERT, CA, "client_key", id="two-keys"),
    pytest.param(KEY.replace("PRIVATE KEY", "PUBLIC KEY"), CERT, CA, "client_key", id="public"),
    pytest.param(KEY[:-30], CERT, CA, "client_key", id="key-truncated"),
    pytest.param(KEY.replace("\n", " \n", 3), CERT, CA, "client_key", id="key-body-spaces"),
    pytest.param(KEY.replace("\n", "!\n", 3), CERT, CA, "client_key", id="key-body-not-base64"),
    pytest.param(
        KEY.replace("-----END PRIVATE", "-----END RSA PRIVATE"),
        CERT,
        CA,
        "client_key",
        id="key-labels-differ",
    ),
    pytest.param(json.dumps(KEY), CERT, CA, "client_key", id="key-json-quoted"),
    pytest.param(KEY, KEY, CA, "client_cert", id="key-as-certificate"),
    pytest.param(KEY, "", CA, "client_cert", id="certificate-empty"),
    pytest.param(KEY, KEY + CERT, CA, "client_cert", id="key-bundled-into-certificate"),
    pytest.param(
        KEY, CERT.replace("CERTIFICATE", "CERTIFICATE REQUEST"), CA, "client_cert", id="csr"
    ),
    pytest.param(KEY, CERT, KEY, "client_ca", id="key-as-ca"),
    pytest.param(KEY, CERT, CA + KEY + OTHER_CA, "client_ca", id="key-bundled-into-ca"),
    pytest.param(KEY, CERT, "not pem", "client_ca", id="ca-not-pem"),
    pytest.param(KEY, CERT, None, "client_ca", id="ca-missing"),
    pytest.param(HUGE_KEY, CERT, CA, "client_key", id="key-1MiB"),
]

EARLIER = ((OTHER_CONNECTION, OTHER_VERSION), (OTHER_KEY, OTHER_CERT, OTHER_CA))


def assert_refused_without_trace(
    attempt: Callable[[EtcdProvides], None], expected_field: str, earlier: bool
) -> None:
    """`attempt` raises a ValueError naming the field, and nothing is written or stored."""
    relation = client_relation()
    state = testing.State(relations=[relation])
    if earlier:
        state = publish(state, connection=EARLIER[0], credentials=EARLIER[1])
    before = local_data(state, relation)
    ctx = etcd_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        with pytest.raises(ValueError, match=expected_field) as caught:
            attempt(mgr.charm.db)
        out = mgr.run()

    # Neither the error nor the traceback a hook failure would log shows the key, and no
    # exception holding the refused input hangs on it, not even as a suppressed context.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert not leaked(str(caught.value))
    assert not leaked(repr(caught.value))
    assert not leaked("".join(traceback.format_exception(caught.value)))
    assert local_data(out, relation) == before
    later = client_relation()
    out = ctx.run(
        ctx.on.relation_created(later), dataclasses.replace(out, relations=[*out.relations, later])
    )
    assert local_data(out, later) == (other_published() if earlier else JUJU_DEFAULTS)


@pytest.mark.parametrize("earlier", [False, True], ids=["nothing-earlier", "good-earlier"])
@pytest.mark.parametrize(("connection_string", "version", "field"), BAD_CONNECTIONS)
def test_a_bad_connection_string_or_version_raises_and_changes_nothing(
    connection_string: str, version: str, field: str, earlier: bool
):
    assert_refused_without_trace(
        lambda db: db.set_connection_string(connection_string, version), field, earlier
    )


@pytest.mark.parametrize("earlier", [False, True], ids=["nothing-earlier", "good-earlier"])
@pytest.mark.parametrize(("key", "cert", "ca", "field"), BAD_CREDENTIALS)
def test_bad_credentials_raise_without_the_key_and_change_nothing(
    key: str, cert: str, ca: str, field: str, earlier: bool
):
    assert_refused_without_trace(
        lambda db: db.set_client_credentials(key, cert, ca), field, earlier
    )


def test_refusal_messages_read_plainly_without_pydantic_prefixes():
    ctx = etcd_context()

    with ctx(ctx.on.update_status(), testing.State()) as mgr:
        with pytest.raises(
            ValueError, match=r"^connection_string: must not contain white"
        ) as caught:
            mgr.charm.db.set_connection_string("https://10.0.0.5:2379 ")
        mgr.run()

    assert "Value error" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_message_of_a_refused_value_names_the_problem():
    relation = client_relation()
    ctx = etcd_context()

    with ctx(ctx.on.update_status(), testing.State(relations=[relation])) as mgr:
        with pytest.raises(ValueError, match=r"client_key: .*not exactly one PRIVATE KEY block"):
            mgr.charm.db.set_client_credentials(CERT + KEY, CERT, CA)
        with pytest.raises(ValueError, match=r"client_cert: .*not PEM"):
            mgr.charm.db.set_client_credentials(KEY, "nope", CA)
        with pytest.raises(ValueError, match=r"client_ca: .*only CERTIFICATE blocks"):
            mgr.charm.db.set_client_credentials(KEY, CERT, CA + KEY)
        with pytest.raises(ValueError, match=r"connection_string: .*scheme http or https"):
            mgr.charm.db.set_connection_string("10.0.0.5:2379")
        with pytest.raises(ValueError, match=r"connection_string: .*port from 1 to 65535"):
            mgr.charm.db.set_connection_string("https://10.0.0.5:2379/v3")
        with pytest.raises(ValueError, match=r"connection_string: .*host") as user:
            mgr.charm.db.set_connection_string("https://root:SECRET@10.0.0.5:2379")
        with pytest.raises(ValueError, match=r"connection_string: .*zone index"):
            mgr.charm.db.set_connection_string("https://[fe80::1%eth0]:2379")
        with pytest.raises(ValueError, match=r"connection_string: put IPv6 hosts in brackets"):
            mgr.charm.db.set_connection_string("https://fd00::1:2379")
        mgr.run()

    assert "SECRET" not in str(user.value)


@pytest.mark.parametrize(
    "connection_string",
    [
        "http://10.0.0.5:1",
        "https://etcd-0.etcd.example.com:65535",
        "https://etcd.:2379",
        "https://localhost:2379,https://[::1]:2379",
        "https://[fd00::5]:2379,https://[fd00::6]:2379,https://10.0.0.7:2379",
        "https://[::ffff:10.0.0.5]:2379",
    ],
)
def test_the_provider_writes_every_good_connection_string_as_it_was_given(
    connection_string: str,
):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), connection=(connection_string, "v3.5.16"))

    assert local_data(out, relation) == etcd_unit(
        connection_string=connection_string, version="v3.5.16"
    )


@pytest.mark.parametrize(
    ("key", "cert", "ca"),
    [
        pytest.param(OTHER_KEY, CERT, CA, id="rsa-key"),
        pytest.param(KEY.replace("PRIVATE KEY", "EC PRIVATE KEY"), CERT, CA, id="ec-key"),
        pytest.param(ENCRYPTED_LEGACY_KEY, CERT, CA, id="encrypted-legacy-key"),
        pytest.param(KEY.replace("\n", "\r\n"), CERT.replace("\n", "\r\n"), CA, id="crlf"),
        pytest.param(KEY, CERT + OTHER_CERT, CA + OTHER_CA, id="bundles"),
        pytest.param(
            KEY, CERT, "\n" + CA.replace("CERTIFICATE", "TRUSTED CERTIFICATE"), id="trusted"
        ),
    ],
)
def test_the_provider_writes_every_good_pem_variant_as_it_was_given(key: str, cert: str, ca: str):
    relation = client_relation()

    out = publish(testing.State(relations=[relation]), credentials=(key, cert, ca))

    assert local_data(out, relation) == etcd_unit(client_key=key, client_cert=cert, client_ca=ca)


# --- 8. Custom events in ops.testing, deferral ------------------------------------------------

REQUIRER_CUSTOM_EVENTS = [
    pytest.param(EtcdRequires.on.connected, (), (), id="EtcdConnected"),
    pytest.param(
        EtcdRequires.on.available, (CONNECTION, VERSION), (CONNECTION, VERSION), id="EtcdAvailable"
    ),
    pytest.param(
        EtcdRequires.on.available, (CONNECTION,), (CONNECTION, None), id="EtcdAvailable-no-version"
    ),
    pytest.param(
        EtcdRequires.on.tls_available, (KEY, CERT, CA), (KEY, CERT, CA), id="EtcdTlsAvailable"
    ),
    pytest.param(EtcdRequires.on.tls_unavailable, (), (), id="EtcdTlsUnavailable"),
    pytest.param(EtcdRequires.on.unavailable, (), (), id="EtcdUnavailable"),
    pytest.param(EtcdRequires.on.disconnected, (), (), id="EtcdDisconnected"),
]


@pytest.mark.parametrize(("event", "args", "payload"), REQUIRER_CUSTOM_EVENTS)
def test_each_requirer_event_can_be_emitted_with_ctx_on_custom(
    event: ops.BoundEvent, args: tuple[str, ...], payload: tuple[str | None, ...]
):
    relation = etcd_relation({0: etcd_unit()})
    ctx = client_context()

    with ctx(ctx.on.custom(event, relation, *args), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id, *payload)]


@pytest.mark.parametrize(
    "event",
    [EtcdProvides.on.connected, EtcdProvides.on.disconnected],
    ids=["EtcdClientConnected", "EtcdClientDisconnected"],
)
def test_each_provider_event_can_be_emitted_with_ctx_on_custom(event: ops.BoundEvent):
    relation = client_relation()
    ctx = etcd_context()

    with ctx(ctx.on.custom(event, relation), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id)]


@pytest.mark.parametrize(
    ("event", "args", "fields"),
    [
        pytest.param(
            EtcdRequires.on.available,
            ("10.0.0.5:2379", "3.5.16"),
            ["connection_string"],
            id="available",
        ),
        pytest.param(
            EtcdRequires.on.tls_available,
            (CERT, KEY, CA),
            ["client_key", "client_cert"],
            id="tls_available",
        ),
    ],
)
def test_a_custom_event_with_a_bad_payload_is_refused_without_echoing_it(
    event: ops.BoundEvent, args: tuple[str, ...], fields: list[str], tmp_path: Path
):
    relation = etcd_relation({0: etcd_unit()})
    ctx = client_context(charm_root=tmp_path)

    with pytest.raises(testing.errors.UncaughtCharmError) as caught:
        ctx.run(ctx.on.custom(event, relation, *args), testing.State(relations=[relation]))

    cause = caught.value.__cause__
    assert isinstance(cause, ValueError)
    for field in fields:
        assert field in str(cause)
    assert not leaked(str(caught.value))


def test_deferred_events_are_re_emitted_with_the_payload_they_had():
    relation = etcd_relation({0: published()})
    ctx = client_context()
    state = testing.State(config={"defer": "available,tls_available"}, relations=[relation])
    with ctx(ctx.on.relation_changed(relation, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == everything(relation.id)
    assert len(state.deferred) == 2

    # Meanwhile etcd moved; the deferred events still carry what they announced.
    moved = dataclasses.replace(
        relation, remote_units_data={0: published(connection_string=OTHER_CONNECTION)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, relations=[moved])
    with ctx(ctx.on.relation_changed(moved, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == [
            available(relation.id),
            tls_available(relation.id),
            available(relation.id, OTHER_CONNECTION),
        ]
    assert state.deferred == []


def test_a_deferred_event_outlives_its_relation():
    relation = etcd_relation({0: published()})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    state = dataclasses.replace(state, config={"defer": ""}, relations=[])
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [available(relation.id)]


@pytest.mark.parametrize(
    ("kind", "field", "refused"),
    [
        pytest.param("available", "connection_string", "https://10.0.0.5:2379/path", id="path"),
        pytest.param(
            "tls_available",
            "client_key",
            OTHER_KEY.replace("RSA PRIVATE KEY", "CERTIFICATE"),
            id="key-labelled-certificate",
        ),
    ],
)
def test_a_deferred_payload_the_current_validation_refuses_is_restored_as_it_was(
    kind: str, field: str, refused: str, caplog: pytest.LogCaptureFixture
):
    # As if an older LIBPATCH, whose validation was looser, had deferred the event.
    relation = etcd_relation({0: published()})
    ctx = client_context()
    state = testing.State(config={"defer": kind}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    (deferred,) = state.deferred
    payload = json.loads(deferred.snapshot_data["payload"])
    payload[field] = refused
    stored = dataclasses.replace(
        deferred, snapshot_data={**deferred.snapshot_data, "payload": json.dumps(payload)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, deferred=[stored])
    caplog.clear()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    if kind == "available":
        assert seen == [available(relation.id, refused, VERSION)]
    else:
        assert seen == [tls_available(relation.id, refused, CERT, CA)]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in warnings] == ["charms.etcd.v0.etcd"]
    assert field in warnings[0].getMessage()
    assert "deferred" in warnings[0].getMessage()
    assert refused not in caplog.text
    assert not leaked(caplog.text)


def test_a_deferred_event_keeps_the_snapshot_format_of_libpatch_2():
    # Events deferred by LIBPATCH 2 come back under LIBPATCH 3, and the other way round.
    relation = etcd_relation({0: published(**WITHOUT_CREDENTIALS)})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    (deferred,) = state.deferred

    assert deferred.snapshot_data == {
        "relation_name": "etcd",
        "relation_id": relation.id,
        "payload": json.dumps(
            {"connection_string": CONNECTION, "version": VERSION}, separators=(",", ":")
        ),
    }


def test_a_deferred_bare_ipv6_host_of_libpatch_2_comes_back_in_brackets():
    relation = etcd_relation({0: published(**WITHOUT_CREDENTIALS)})
    ctx = client_context()
    state = testing.State(config={"defer": "available"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    (deferred,) = state.deferred
    payload = json.dumps({"connection_string": "https://fd00::5:2379", "version": None})
    stored = dataclasses.replace(
        deferred, snapshot_data={**deferred.snapshot_data, "payload": payload}
    )
    state = dataclasses.replace(state, config={"defer": ""}, deferred=[stored])

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [available(relation.id, "https://[fd00::5]:2379", None)]


def test_events_carry_typed_payloads_equal_to_what_read_answers():
    relation = etcd_relation({0: published()})
    ctx = client_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        offer = mgr.charm.etcd.read()
    events = [
        event
        for event in ctx.emitted_events
        if isinstance(event, (EtcdAvailable, EtcdTlsAvailable))
    ]

    assert offer == EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=VERSION), TLS)
    assert len(events) == 2
    available_event, tls_event = events
    assert isinstance(available_event, EtcdAvailable)
    assert isinstance(tls_event, EtcdTlsAvailable)
    assert available_event.cluster == offer.cluster
    assert available_event.cluster.urls == ["https://10.0.0.5:2379", "https://10.0.0.6:2379"]
    assert tls_event.tls == offer.tls
    assert tls_event.client_key == KEY


# --- 9. save_client_credentials -------------------------------------------------------------


def save(state: testing.State, *paths: str | os.PathLike[str], **owner: str | int) -> None:
    ctx = client_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.etcd.save_client_credentials(*paths, **owner)
        mgr.run()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(directory: Path) -> dict[str, str]:
    """Every file under `directory`, by relative path, with its content; directories as "/"."""
    return {
        str(path.relative_to(directory)): "/" if path.is_dir() else path.read_text()
        for path in sorted(directory.rglob("*"))
    }


AVAILABLE_STATE = testing.State(relations=[etcd_relation({0: published()})])


def test_save_client_credentials_writes_key_cert_and_ca_in_that_order_key_0600_others_0644(
    tmp_path: Path,
):
    directory = tmp_path / "etc" / "kubernetes" / "etcd"
    key, cert, ca = directory / "client.key", directory / "client.crt", directory / "ca.crt"

    save(AVAILABLE_STATE, key, str(cert), ca)

    assert key.read_text() == KEY
    assert cert.read_text() == CERT
    assert ca.read_text() == CA
    assert [mode(path) for path in (key, cert, ca)] == [0o600, 0o644, 0o644]
    assert sorted(entry.name for entry in directory.iterdir()) == [
        "ca.crt",
        "client.crt",
        "client.key",
    ]


def test_save_client_credentials_writes_to_separate_directories(tmp_path: Path):
    key, cert, ca = tmp_path / "private" / "k.pem", tmp_path / "c.pem", tmp_path / "ca" / "ca.pem"

    save(AVAILABLE_STATE, key, cert, ca)

    assert (key.read_text(), cert.read_text(), ca.read_text()) == (KEY, CERT, CA)


def test_save_client_credentials_replaces_existing_files_atomically(tmp_path: Path):
    paths = [tmp_path / "client.key", tmp_path / "client.crt", tmp_path / "ca.crt"]
    for path in paths:
        path.write_text("old content\n")
        path.chmod(0o640)
    inodes = [path.stat().st_ino for path in paths]

    with paths[0].open() as still_open:
        save(AVAILABLE_STATE, *paths)
        # A reader that had the old file open still sees it whole: it was replaced, not
        # rewritten in place.
        assert still_open.read() == "old content\n"

    assert [path.read_text() for path in paths] == [KEY, CERT, CA]
    assert [mode(path) for path in paths] == [0o600, 0o644, 0o644]
    assert all(path.stat().st_ino != inode for path, inode in zip(paths, inodes, strict=True))
    assert sorted(entry.name for entry in tmp_path.iterdir()) == [
        "ca.crt",
        "client.crt",
        "client.key",
    ]


def test_save_client_credentials_replaces_nothing_when_one_file_cannot_be_written(tmp_path: Path):
    key = tmp_path / "client.key"
    key.write_text("old key\n")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    with pytest.raises(OSError):  # noqa: PT011 - the exact error depends on the platform
        save(AVAILABLE_STATE, key, blocker / "client.crt", tmp_path / "ca.crt")

    assert key.read_text() == "old key\n"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["client.key", "not-a-directory"]


# Charmed Kubernetes' etcd libraries (`charms.kubernetes_libs.v0.etcd`, layer-etcd's
# `charms.etcd.v0.etcd`) take `save_client_credentials(ca_path, cert_path, key_path)`.
@pytest.mark.parametrize(
    ("paths", "keywords"),
    [
        pytest.param(("ca.crt", "client.crt", "client.key"), {}, id="the-other-librarys-order"),
        pytest.param(("etcd-ca.pem", "etcd-cert.pem", "etcd-key.pem"), {}, id="pem-names"),
        pytest.param((), {"key": "ca.crt", "cert": "c.crt", "ca": "c.key"}, id="keywords"),
        pytest.param(("client.crt", "client.key", "ca.crt"), {}, id="key-as-the-cert"),
    ],
)
def test_save_client_credentials_refuses_a_key_path_for_a_certificate_and_writes_nothing(
    paths: tuple[str, ...], keywords: dict[str, str], tmp_path: Path
):
    before = listing(tmp_path)
    ctx = client_context()

    with ctx(ctx.on.update_status(), AVAILABLE_STATE) as mgr:
        with pytest.raises(ValueError, match=r"takes \(key, cert, ca\)") as raised:
            mgr.charm.etcd.save_client_credentials(
                *(tmp_path / path for path in paths),
                **{name: tmp_path / path for name, path in keywords.items()},
            )
        mgr.run()

    assert listing(tmp_path) == before
    assert "private key" in str(raised.value)
    assert KEY not in str(raised.value)


@pytest.mark.parametrize(
    "paths",
    [
        pytest.param(("client.key", "client.crt", "ca.crt"), id="the-legacy-order"),
        pytest.param(("etcd-key.pem", "etcd-cert.pem", "etcd-ca.pem"), id="pem-names"),
        pytest.param(("k", "c", "a"), id="names-that-say-nothing"),
        pytest.param(("keys/client.pem", "certs/client.pem", "certs/ca.pem"), id="directories"),
        pytest.param(("client.key", "client.crt", "ca-keyring.crt"), id="key-in-both-names"),
    ],
)
def test_save_client_credentials_takes_a_key_path_first_whatever_the_names(
    paths: tuple[str, str, str], tmp_path: Path
):
    key, cert, ca = (tmp_path / path for path in paths)

    save(AVAILABLE_STATE, key, cert, ca)

    assert (key.read_text(), cert.read_text(), ca.read_text()) == (KEY, CERT, CA)


@pytest.mark.parametrize(
    "paths",
    [
        pytest.param(("client.key", "client.key", "ca.crt"), id="key-and-cert"),
        pytest.param(("client.key", "client.crt", "client.crt"), id="cert-and-ca"),
        pytest.param(("ca.crt", "client.crt", "ca.crt"), id="key-and-ca"),
        pytest.param(("client.key", "sub/../client.key", "ca.crt"), id="dot-dot"),
        pytest.param(("client.key", "./client.key", "ca.crt"), id="dot"),
        pytest.param(("client.key", "link-to-key", "ca.crt"), id="symlink"),
        pytest.param(("client.key", "linked-dir/client.key", "ca.crt"), id="symlinked-directory"),
    ],
)
def test_save_client_credentials_refuses_two_paths_to_one_file_and_touches_nothing(
    paths: tuple[str, str, str], tmp_path: Path
):
    (tmp_path / "sub").mkdir()
    (tmp_path / "client.key").write_text("old key\n")
    (tmp_path / "link-to-key").symlink_to(tmp_path / "client.key")
    (tmp_path / "linked-dir").symlink_to(tmp_path)
    before = listing(tmp_path)

    with pytest.raises(ValueError, match="three different paths"):
        save(AVAILABLE_STATE, *(tmp_path / path for path in paths))

    assert listing(tmp_path) == before


@pytest.mark.parametrize("directory", [0, 1, 2], ids=["key", "cert", "ca"])
def test_save_client_credentials_refuses_a_directory_as_a_target_and_replaces_nothing(
    directory: int, tmp_path: Path
):
    paths = [tmp_path / "client.key", tmp_path / "client.crt", tmp_path / "ca.crt"]
    for path in paths:
        path.write_text(f"old {path.name}\n")
    paths[directory].unlink()
    paths[directory].mkdir()
    (paths[directory] / "inside").write_text("kept\n")
    before = listing(tmp_path)

    # Bad input from the charm, as the module's "Errors" section says: ValueError.
    with pytest.raises(ValueError, match="cannot replace a directory"):
        save(AVAILABLE_STATE, *paths)

    assert listing(tmp_path) == before


@pytest.mark.parametrize("planted", [0, 1, 2], ids=["key", "cert", "ca"])
@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_save_client_credentials_replaces_a_planted_symlink_and_never_writes_through_it(
    planted: int, dangling: bool, tmp_path: Path
):
    # Whoever can write the credentials directory (the workload user) plants a symlink where
    # the charm, running as root, will write: its target must stay as it was.
    directory, elsewhere = tmp_path / "credentials", tmp_path / "elsewhere"
    directory.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / "victim"
    if not dangling:
        victim.write_text("precious\n")
    paths = [directory / "client.key", directory / "client.crt", directory / "ca.crt"]
    paths[planted].symlink_to(victim)

    save(AVAILABLE_STATE, *paths)

    assert [path.is_symlink() for path in paths] == [False, False, False]
    assert [path.read_text() for path in paths] == [KEY, CERT, CA]
    assert stat.S_IMODE(paths[0].stat().st_mode) == 0o600
    assert listing(elsewhere) == ({} if dangling else {"victim": "precious\n"})


def test_save_client_credentials_removes_what_a_killed_write_left(tmp_path: Path):
    stale = [".client.key.k1ll3d_a.partial", ".client.crt.abcdefgh.partial", ".ca.crt.x.partial"]
    for name in stale:
        (tmp_path / name).write_text("half a private key\n")
    unrelated = [".other.key.abcdefgh.partial", "client.key.partial", ".client.key.bak"]
    for name in unrelated:
        (tmp_path / name).write_text("not ours\n")

    save(AVAILABLE_STATE, tmp_path / "client.key", tmp_path / "client.crt", tmp_path / "ca.crt")

    assert sorted(entry.name for entry in tmp_path.iterdir()) == sorted(
        ["ca.crt", "client.crt", "client.key", *unrelated]
    )


def test_save_client_credentials_to_names_that_extend_one_another(tmp_path: Path):
    # The stale files of "client" look like those of "client.key" with a longer prefix: the
    # cleanup for one target must not remove what was just written for another.
    key, cert, ca = tmp_path / "client.key", tmp_path / "client", tmp_path / "client.key.ca"

    save(AVAILABLE_STATE, key, cert, ca)

    assert (key.read_text(), cert.read_text(), ca.read_text()) == (KEY, CERT, CA)
    assert sorted(entry.name for entry in tmp_path.iterdir()) == [
        "client",
        "client.key",
        "client.key.ca",
    ]


def test_save_client_credentials_syncs_each_directory_after_the_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    paths = [tmp_path / "a" / "k", tmp_path / "b" / "c", tmp_path / "b" / "ca"]
    synced: list[tuple[str, list[str]]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            directory = next(
                path.parent for path in paths if path.parent.stat().st_ino == status.st_ino
            )
            # The files already in place when their directory is synced.
            synced.append((directory.name, sorted(path.name for path in directory.iterdir())))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)

    save(AVAILABLE_STATE, *paths)

    assert sorted(synced) == [("a", ["k"]), ("b", ["c", "ca"])]


OWNERS = [
    pytest.param(lambda: {}, None, id="default"),
    pytest.param(
        lambda: {"user": pwd.getpwuid(os.getuid()).pw_name}, (os.getuid(), -1), id="user-name"
    ),
    pytest.param(lambda: {"user": os.getuid()}, (os.getuid(), -1), id="user-id"),
    pytest.param(
        lambda: {"group": grp.getgrgid(os.getgid()).gr_name}, (-1, os.getgid()), id="group-name"
    ),
    pytest.param(
        lambda: {"user": os.getuid(), "group": os.getgid()},
        (os.getuid(), os.getgid()),
        id="both-ids",
    ),
]


@pytest.mark.parametrize(("owner", "chowned"), OWNERS)
def test_save_client_credentials_gives_the_files_the_user_and_group_asked_for(
    owner: Callable[[], dict[str, str | int]],
    chowned: tuple[int, int] | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    calls: list[tuple[int, int]] = []
    real_fchown = os.fchown

    def recording_fchown(fd: int, uid: int, gid: int) -> None:
        calls.append((uid, gid))
        real_fchown(fd, uid, gid)

    monkeypatch.setattr(os, "fchown", recording_fchown)
    paths = [tmp_path / "client.key", tmp_path / "client.crt", tmp_path / "ca.crt"]

    save(AVAILABLE_STATE, *paths, **owner())

    assert calls == ([] if chowned is None else [chowned] * 3)
    for path in paths:
        assert (path.stat().st_uid, path.stat().st_gid) == (os.getuid(), os.getgid())
    assert [path.read_text() for path in paths] == [KEY, CERT, CA]


@pytest.mark.parametrize(
    "owner",
    [
        pytest.param({"user": "no-such-user-for-etcd-tests"}, id="user"),
        pytest.param({"group": "no-such-group-for-etcd-tests"}, id="group"),
    ],
)
def test_save_client_credentials_refuses_an_unknown_user_or_group_before_writing(
    owner: dict[str, str], tmp_path: Path
):
    (tmp_path / "client.key").write_text("old key\n")
    before = listing(tmp_path)

    with pytest.raises(ValueError, match="unknown user or group"):
        save(
            AVAILABLE_STATE,
            tmp_path / "client.key",
            tmp_path / "new" / "c",
            tmp_path / "ca",
            **owner,
        )

    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    "relations",
    [
        pytest.param([], id="no-relation"),
        pytest.param([etcd_relation({0: etcd_unit()})], id="nothing-published"),
        pytest.param([etcd_relation({0: published(client_ca=None)})], id="ca-missing"),
        pytest.param([etcd_relation({0: published(client_key=CERT)})], id="key-malformed"),
    ],
)
def test_save_client_credentials_refuses_and_touches_nothing_until_all_are_published(
    relations: list[testing.Relation], tmp_path: Path
):
    existing = tmp_path / "client.key"
    existing.write_text("old key\n")
    state = testing.State(relations=relations)
    ctx = client_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        with pytest.raises(EtcdCredentialsUnavailableError, match="tls_available"):
            mgr.charm.etcd.save_client_credentials(
                existing, tmp_path / "new" / "client.crt", tmp_path / "new" / "ca.crt"
            )
        mgr.run()

    assert existing.read_text() == "old key\n"
    assert [entry.name for entry in tmp_path.iterdir()] == ["client.key"]


# --- 10. Constructor checks ------------------------------------------------------------------


class BothRolesCharm(ops.CharmBase):
    """Uses the library on endpoints with names of its own."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self, relation_name="kv-store")
        self.db = EtcdProvides(self, relation_name="etcd-clients")


def construction_error(
    charm_type: type[ops.CharmBase], meta: dict[str, Any], tmp_path: Path
) -> ValueError:
    ctx = testing.Context(charm_type, meta=meta, config=DEFER_CONFIG, charm_root=tmp_path)
    with pytest.raises(testing.errors.UncaughtCharmError) as caught:
        ctx.run(ctx.on.start(), testing.State())
    cause = caught.value.__cause__
    assert isinstance(cause, ValueError)
    return cause


@pytest.mark.parametrize(
    ("charm_type", "meta", "message"),
    [
        pytest.param(
            ClientCharm,
            {"name": "c", "requires": {"kv": {"interface": "etcd"}}},
            "the charm has no endpoint 'etcd'; declare it in charmcraft.yaml under requires: "
            "with interface: etcd",
            id="requirer-missing-endpoint",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "requires": {"etcd": {"interface": "etcd-proxy"}}},
            "endpoint 'etcd' has interface 'etcd-proxy'",
            id="requirer-wrong-interface",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "provides": {"etcd": {"interface": "etcd"}}},
            "endpoint 'etcd' is a provides endpoint; declare it in charmcraft.yaml under "
            "requires:",
            id="requirer-on-provides",
        ),
        pytest.param(
            ClientCharm,
            {"name": "c", "peers": {"etcd": {"interface": "etcd"}}},
            "endpoint 'etcd' is a peer endpoint",
            id="requirer-on-peers",
        ),
        pytest.param(
            EtcdCharm,
            {"name": "e"},
            "the charm has no endpoint 'db'; declare it in charmcraft.yaml under provides: "
            "with interface: etcd",
            id="provider-missing-endpoint",
        ),
        pytest.param(
            EtcdCharm,
            {"name": "e", "provides": {"db": {"interface": "mysql"}}},
            "endpoint 'db' has interface 'mysql'",
            id="provider-wrong-interface",
        ),
        pytest.param(
            EtcdCharm,
            {"name": "e", "requires": {"db": {"interface": "etcd"}}},
            "endpoint 'db' is a requires endpoint; declare it in charmcraft.yaml under provides:",
            id="provider-on-requires",
        ),
    ],
)
def test_the_constructor_refuses_an_endpoint_that_does_not_fit(
    charm_type: type[ops.CharmBase], meta: dict[str, Any], message: str, tmp_path: Path
):
    error = construction_error(charm_type, meta, tmp_path)

    assert message in str(error)


def test_endpoints_with_other_names_work_in_both_roles():
    meta = {
        "name": "both",
        "requires": {"kv-store": {"interface": "etcd"}},
        "provides": {"etcd-clients": {"interface": "etcd"}},
    }
    incoming = testing.Relation(
        "kv-store", interface="etcd", remote_app_name="etcd", remote_units_data={0: published()}
    )
    outgoing = testing.Relation("etcd-clients", interface="etcd", remote_units_data={0: {}})
    ctx = testing.Context(BothRolesCharm, meta=meta)

    with ctx(
        ctx.on.relation_changed(incoming, remote_unit=0),
        testing.State(relations=[incoming, outgoing]),
    ) as mgr:
        mgr.charm.db.set_connection_string(CONNECTION)
        out = mgr.run()
        assert mgr.charm.etcd.get_connection_string() == CONNECTION
        assert mgr.charm.etcd.relations[0].id == incoming.id
        assert mgr.charm.db.relations[0].id == outgoing.id

    assert [type(event) for event in ctx.emitted_events if isinstance(event, LIBRARY_EVENTS)] == [
        EtcdConnected,
        EtcdAvailable,
        EtcdTlsAvailable,
    ]
    assert local_data(out, outgoing)["connection_string"] == CONNECTION


# --- 11. Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relations", "expected"),
    [
        pytest.param([], (False, False, False), id="no-relation"),
        pytest.param([etcd_relation({})], (False, False, False), id="no-units"),
        pytest.param([etcd_relation({0: etcd_unit()})], (True, False, False), id="no-data"),
        pytest.param(
            [etcd_relation({0: published(**WITHOUT_CREDENTIALS)})],
            (True, True, False),
            id="connection-only",
        ),
        pytest.param(
            [etcd_relation({0: published(client_cert=None)})],
            (True, True, False),
            id="certificate-missing",
        ),
        pytest.param(
            [etcd_relation({0: published(connection_string=None)})],
            (True, False, False),
            id="credentials-only",
        ),
        pytest.param([etcd_relation({0: published()})], (True, True, True), id="everything"),
        pytest.param(
            [etcd_relation({}), etcd_relation({1: etcd_unit(), 2: published()})],
            (True, True, True),
            id="second-relation",
        ),
        pytest.param(
            [etcd_relation({0: published(client_key="x", client_cert="y")})],
            (True, True, False),
            id="malformed-credentials",
        ),
        pytest.param(
            [etcd_relation({0: published(connection_string="https://10.0.0.5:2379/")})],
            (True, False, False),
            id="malformed-connection-string",
        ),
    ],
)
def test_queries_answer_from_the_current_data(
    relations: list[testing.Relation], expected: tuple[bool, bool, bool]
):
    state = testing.State(relations=relations)

    answers = ask(
        state, lambda etcd: (etcd.is_connected(), etcd.is_available(), etcd.is_tls_available())
    )

    assert answers == expected


def test_queries_need_no_event_to_have_been_seen():
    # Stored state says nothing was announced; the queries still see the data.
    relation = etcd_relation({0: published()})
    state = testing.State(relations=[relation])
    ctx = client_context()

    with ctx(ctx.on.relation_changed(relation, remote_unit=0), state) as mgr:
        before = mgr.charm.etcd.is_tls_available()
        mgr.run()
        after = mgr.charm.etcd.is_tls_available()

    assert (before, after) == (True, True)


@pytest.mark.parametrize(
    ("units", "expected"), [((), False), ((0,), True), ((0, 1), True)], ids=["none", "one", "two"]
)
def test_provider_is_connected_when_a_client_unit_is_there(units: tuple[int, ...], expected: bool):
    ctx = etcd_context()
    state = testing.State(relations=[client_relation(units)])

    with ctx(ctx.on.update_status(), state) as mgr:
        answer = mgr.charm.db.is_connected()
        mgr.run()

    assert answer is expected


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, by the `private-address` of its unit, each databag the library reads."""
    reads: list[str] = []
    read_databag = etcd_library._read_databag

    def counting(databag: Mapping[str, str]) -> Any:
        reads.append(databag["private-address"])
        return read_databag(databag)

    monkeypatch.setattr(etcd_library, "_read_databag", counting)
    return reads


def addressed(number: int, databag: dict[str, str]) -> dict[str, str]:
    return {**databag, "private-address": f"10.1.0.{number}"}


def ask_everything(etcd: EtcdRequires) -> None:
    for _ in range(3):
        etcd.is_connected()
        etcd.is_available()
        etcd.is_tls_available()
        etcd.get_connection_string()
        etcd.get_version()
        etcd.get_client_credentials()
        etcd.read()
        for relation in etcd.relations:
            etcd.read(relation)


def test_each_databag_is_read_once_per_hook_and_only_the_units_needed(
    monkeypatch: pytest.MonkeyPatch,
):
    relation = etcd_relation({number: addressed(number, published()) for number in range(3)})
    ctx = client_context()
    reads = count_reads(monkeypatch)

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=1), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        ask_everything(mgr.charm.etcd)
        # The first unit published all five keys: the legacy reader would stop there too.
        assert reads == ["10.1.0.0"]
        assert mgr.charm.seen == everything(relation.id)
        # Listing the malformed units reads the rest, once.
        assert mgr.charm.etcd.malformed_units() == []
        assert mgr.charm.etcd.malformed_units() == []
        ask_everything(mgr.charm.etcd)

    assert reads == ["10.1.0.0", "10.1.0.1", "10.1.0.2"]


def test_units_are_read_until_every_key_has_a_value(monkeypatch: pytest.MonkeyPatch):
    relation = etcd_relation(
        {
            0: addressed(0, published(**WITHOUT_CREDENTIALS)),
            1: addressed(1, published(client_key=None)),
            2: addressed(2, other_published()),
            3: addressed(3, published()),
        }
    )
    reads = count_reads(monkeypatch)

    offer = ask(testing.State(relations=[relation]), EtcdRequires.read)

    assert reads == ["10.1.0.0", "10.1.0.1", "10.1.0.2"]
    assert offer == EtcdOffer(
        EtcdCluster(connection_string=CONNECTION, version=VERSION),
        EtcdClientTls(client_key=OTHER_KEY, client_cert=CERT, client_ca=CA),
    )


def test_the_endpoint_read_stops_at_the_oldest_tls_available_relation(
    monkeypatch: pytest.MonkeyPatch,
):
    older = etcd_relation({0: addressed(0, published())}, relation_id=42)
    newer = etcd_relation({0: addressed(9, other_published())}, relation_id=82)
    reads = count_reads(monkeypatch)

    assert ask(testing.State(relations=[newer, older]), EtcdRequires.read) == EtcdOffer(
        EtcdCluster(connection_string=CONNECTION, version=VERSION), TLS
    )
    assert reads == ["10.1.0.0"]


def test_a_new_hook_reads_the_databags_afresh(monkeypatch: pytest.MonkeyPatch):
    relation = etcd_relation({0: addressed(0, published())})
    session = Session(client_context(), testing.State(relations=[relation]))
    reads = count_reads(monkeypatch)

    session.changed(relation.id)
    assert session.changed(relation.id, {0: addressed(0, other_published())}) == [
        available(relation.id, OTHER_CONNECTION, OTHER_VERSION),
        tls_available(relation.id, OTHER_KEY, OTHER_CERT, OTHER_CA),
    ]
    assert reads == ["10.1.0.0", "10.1.0.0"]


# --- 12. Refresh from the reactive charm -----------------------------------------------------
# `juju refresh` from the reactive charm leaves the relations established and the library's
# stored state empty; upgrade-charm is the first hook the ops charm sees.


@pytest.mark.parametrize("end", ["departed", "broken"])
def test_a_refreshed_requirer_announces_what_holds_on_upgrade_charm_and_its_end_later(end: str):
    relation = etcd_relation({0: published()})
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.upgraded() == everything(relation.id)
    assert session.upgraded() == []
    assert session.changed(relation.id) == []
    ending = session.departed(relation.id, 0) if end == "departed" else session.broken(relation.id)
    assert ending == [
        tls_unavailable(relation.id),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_a_refreshed_requirer_announces_only_what_holds():
    unconnected = etcd_relation({}, relation_id=43)
    connected_only = etcd_relation({0: etcd_unit()}, relation_id=44)
    without_tls = etcd_relation({0: published(**WITHOUT_CREDENTIALS)}, relation_id=45)
    session = Session(
        client_context(), testing.State(relations=[without_tls, connected_only, unconnected])
    )

    assert session.upgraded() == [connected(44), connected(45), available(45)]


@pytest.mark.parametrize("end", ["departed", "broken"])
def test_a_refreshed_provider_announces_its_clients_on_upgrade_charm_and_their_end_later(
    end: str,
):
    # What the reactive charm wrote stays until the ops charm sets something.
    legacy = published(client_key=OTHER_KEY)
    relation = client_relation((0,), local=legacy)
    session = Session(etcd_context(), testing.State(relations=[relation]))

    assert session.upgraded() == [("EtcdClientConnected", relation.id)]
    assert session.upgraded() == []
    assert local_data(session.state, relation) == legacy
    ending = session.departed(relation.id, 0) if end == "departed" else session.broken(relation.id)
    assert ending == [("EtcdClientDisconnected", relation.id)]


@pytest.mark.parametrize("hook", ["created", "joined", "changed", "departed-other"])
def test_a_relation_without_a_record_is_reconciled_on_any_of_its_hooks(hook: str):
    relation = etcd_relation({0: published(), 1: etcd_unit()}, relation_id=46)
    session = Session(client_context(), testing.State(relations=[relation]))
    ctx = session.ctx
    events = {
        "created": ctx.on.relation_created(relation),
        "joined": ctx.on.relation_joined(relation, remote_unit=1),
        "changed": ctx.on.relation_changed(relation, remote_unit=1),
        "departed-other": ctx.on.relation_departed(relation, remote_unit=1, departing_unit=1),
    }

    assert session.run(events[hook]) == everything(46)


def test_a_refreshed_provider_reconciles_a_relation_without_a_record_on_its_hooks():
    relation = client_relation((0, 1))
    session = Session(etcd_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [("EtcdClientConnected", relation.id)]
    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0) == [("EtcdClientDisconnected", relation.id)]


def requirer_record(state: testing.State) -> dict[str, Any]:
    return dict(
        state.get_stored_state("_stored", owner_path="ClientCharm/EtcdRequires[etcd]").content
    )


def provider_record(state: testing.State) -> dict[str, Any]:
    return dict(state.get_stored_state("_stored", owner_path="EtcdCharm/EtcdProvides[db]").content)


def test_upgrade_charm_drops_the_requirer_record_of_a_relation_that_no_longer_exists():
    gone, kept = etcd_relation({0: published()}, 47), etcd_relation({0: published()}, 87)
    session = Session(client_context(), testing.State(relations=[gone, kept]))
    session.changed(47)
    session.changed(87)
    # The relation was removed while the charm was being refreshed: no broken hook ran.
    session.state = dataclasses.replace(session.state, relations=[session.relation(87)])
    assert sorted(requirer_record(session.state)["relations"]) == ["47", "87"]

    assert session.upgraded() == []
    assert sorted(requirer_record(session.state)["relations"]) == ["87"]


def test_upgrade_charm_drops_the_provider_record_of_a_relation_that_no_longer_exists():
    gone, kept = client_relation((0,)), client_relation((0,))
    session = Session(etcd_context(), testing.State(relations=[gone, kept]))
    session.joined(gone.id, 0)
    session.joined(kept.id, 0)
    session.state = dataclasses.replace(session.state, relations=[session.relation(kept.id)])
    assert sorted(provider_record(session.state)["connected"]) == sorted([gone.id, kept.id])

    assert session.upgraded() == []
    assert provider_record(session.state)["connected"] == [kept.id]


def libpatch_2_digest(values: dict[str, str | None]) -> str:
    """How LIBPATCH 2 fingerprinted a payload: SHA-256 of its compact JSON, in field order."""
    return hashlib.sha256(json.dumps(values, separators=(",", ":")).encode()).hexdigest()


def test_stored_state_of_libpatch_2_announces_nothing_again_for_unchanged_payloads():
    relation = etcd_relation({0: published()}, relation_id=48)
    stored = testing.StoredState(
        "_stored",
        owner_path="ClientCharm/EtcdRequires[etcd]",
        content={
            "relations": {
                "48": {
                    "connected": True,
                    "available": libpatch_2_digest(
                        {"connection_string": CONNECTION, "version": VERSION}
                    ),
                    "tls": libpatch_2_digest(
                        {"client_key": KEY, "client_cert": CERT, "client_ca": CA}
                    ),
                }
            }
        },
    )
    session = Session(
        client_context(), testing.State(relations=[relation], stored_states=[stored])
    )

    assert session.upgraded() == []
    assert session.changed(48) == []
    assert session.changed(48, {0: published(version="3.5.17")}) == [
        available(48, CONNECTION, "3.5.17")
    ]


def test_stored_state_of_libpatch_2_keeps_the_provider_publishing_and_quiet():
    relation = client_relation((0,))
    stored = testing.StoredState(
        "_stored",
        owner_path="EtcdCharm/EtcdProvides[db]",
        content={
            "connection": {"connection_string": CONNECTION, "version": VERSION},
            "credentials": {"client_key": KEY, "client_cert": CERT, "client_ca": CA},
            "connected": [relation.id],
        },
    )
    session = Session(etcd_context(), testing.State(relations=[relation], stored_states=[stored]))
    later = client_relation(())

    assert session.upgraded() == []
    session.state = dataclasses.replace(session.state, relations=[*session.state.relations, later])
    assert session.run(session.ctx.on.relation_created(later)) == []
    assert local_data(session.state, later) == published()


# --- 13. What the provider publishes ------------------------------------------------------------


def published_offer(state: testing.State) -> EtcdOffer:
    ctx = etcd_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        offer = mgr.charm.db.published()
        mgr.run()
    return offer


def test_published_is_empty_until_the_charm_sets_something():
    # What a legacy build left in the databag is not what this charm publishes.
    relation = client_relation(local=published())

    assert published_offer(testing.State(relations=[relation])) == EtcdOffer(None, None)


def test_published_answers_what_the_charm_set_in_earlier_hooks():
    state = publish(testing.State(), connection=(CONNECTION, None))
    assert published_offer(state) == EtcdOffer(EtcdCluster(connection_string=CONNECTION), None)

    state = publish(state, credentials=(KEY, CERT, CA))
    offer = published_offer(state)
    assert offer == EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=None), TLS)
    assert offer.cluster is not None
    assert offer.cluster.version is None
    assert not leaked(repr(offer))

    state = publish(state, connection=(OTHER_CONNECTION, OTHER_VERSION))
    assert published_offer(state).cluster == EtcdCluster(
        connection_string=OTHER_CONNECTION, version=OTHER_VERSION
    )


def test_published_drops_each_part_when_it_is_cleared():
    state = publish(testing.State(), connection=(CONNECTION, VERSION), credentials=(KEY, CERT, CA))
    ctx = etcd_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.db.clear_client_credentials()
        without_credentials = mgr.charm.db.published()
        mgr.charm.db.clear_connection_string()
        cleared = mgr.charm.db.published()
        state = mgr.run()

    assert without_credentials == EtcdOffer(
        EtcdCluster(connection_string=CONNECTION, version=VERSION), None
    )
    assert cleared == EtcdOffer(None, None)
    assert published_offer(state) == EtcdOffer(None, None)


# --- 14. Test helpers for charm authors --------------------------------------------------------


def test_credentials_for_testing_are_the_same_for_a_seed_and_differ_between_seeds():
    assert credentials_for_testing() == credentials_for_testing("etcd")
    assert credentials_for_testing("a") == credentials_for_testing("a")
    a, b = credentials_for_testing("a"), credentials_for_testing("b")
    assert {a.client_key, a.client_cert, a.client_ca}.isdisjoint(
        {b.client_key, b.client_cert, b.client_ca}
    )
    assert len({a.client_key, a.client_cert, a.client_ca}) == 3


def test_credentials_for_testing_look_real_and_pass_the_librarys_own_validation():
    tls = credentials_for_testing("a seed of my own")
    relation = client_relation()

    out = publish(
        testing.State(relations=[relation]),
        credentials=(tls.client_key, tls.client_cert, tls.client_ca),
    )

    assert local_data(out, relation) == etcd_unit(**tls.model_dump())
    assert tls.client_key.startswith("-----BEGIN PRIVATE KEY-----\nMII")
    assert tls.client_cert.startswith("-----BEGIN CERTIFICATE-----\nMII")
    assert tls.client_ca.endswith("-----END CERTIFICATE-----\n")
    assert all(len(line) <= 64 for line in tls.client_key.splitlines())
    assert tls.client_key.count("\n") > 10
    assert tls.client_key not in repr(tls)


@pytest.mark.parametrize("units", [1, 3])
def test_a_requirer_fed_the_etcd_test_relation_becomes_tls_available(units: int):
    relation = etcd_relation_for_testing(units=units)
    session = Session(client_context(), testing.State(relations=[relation]))

    urls = ",".join(f"https://10.0.0.{5 + number}:2379" for number in range(units))
    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id, urls, "3.5.16"),
        tls_available(relation.id),
    ]
    assert ask(session.state, EtcdRequires.read) == EtcdOffer(
        EtcdCluster(connection_string=urls, version="3.5.16"), credentials_for_testing()
    )
    assert sorted(relation.remote_units_data) == list(range(units))
    assert relation.interface == "etcd"
    assert relation.remote_app_name == "etcd"
    assert ask(session.state, EtcdRequires.malformed_units) == []


def test_the_etcd_test_relation_leaves_out_what_it_is_told_to():
    relation = etcd_relation_for_testing(version=None, tls=False)
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id, "https://10.0.0.5:2379", None),
    ]
    assert ask(session.state, EtcdRequires.is_tls_available) is False


def test_the_malformed_unit_of_the_etcd_test_relation_is_listed_and_hides_nothing():
    relation = etcd_relation_for_testing(units=2, malformed_unit=True, version="3.4.22")
    session = Session(client_context(), testing.State(relations=[relation]))

    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id, "https://10.0.0.5:2379,https://10.0.0.6:2379", "3.4.22"),
        tls_available(relation.id),
    ]
    malformed = ask(session.state, EtcdRequires.malformed_units)
    assert [(unit.relation_id, unit.unit_name) for unit in malformed] == [(relation.id, "etcd/2")]
    assert set(malformed[0].fields) == {
        "connection_string",
        "version",
        "client_key",
        "client_cert",
        "client_ca",
    }


def test_the_etcd_test_relation_fits_an_endpoint_and_application_of_other_names():
    relation = etcd_relation_for_testing("kv-store", remote_app_name="etcd-cluster")
    meta = {
        "name": "both",
        "requires": {"kv-store": {"interface": "etcd"}},
        "provides": {"etcd-clients": {"interface": "etcd"}},
    }
    ctx = testing.Context(BothRolesCharm, meta=meta)

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        tls_available_now = mgr.charm.etcd.is_tls_available()
        app = mgr.charm.etcd.relations[0].app

    assert tls_available_now is True
    assert app.name == "etcd-cluster"


@pytest.mark.parametrize("units", [1, 2])
def test_a_provider_with_the_client_test_relation_is_connected(units: int):
    relation = client_relation_for_testing(units=units)
    session = Session(etcd_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [("EtcdClientConnected", relation.id)]
    state = publish(session.state, connection=(CONNECTION, VERSION))
    assert local_data(state, relation)["connection_string"] == CONNECTION
    assert sorted(relation.remote_units_data) == list(range(units))
    assert (relation.endpoint, relation.interface, relation.remote_app_name) == (
        "db",
        "etcd",
        "etcd-client",
    )

    ctx = etcd_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        is_connected = mgr.charm.db.is_connected()
        mgr.run()
    assert is_connected is True


def test_the_client_test_relation_fits_an_endpoint_of_another_name():
    relation = client_relation_for_testing("etcd-clients", units=2, remote_app_name="flannel")
    meta = {
        "name": "both",
        "requires": {"kv-store": {"interface": "etcd"}},
        "provides": {"etcd-clients": {"interface": "etcd"}},
    }
    ctx = testing.Context(BothRolesCharm, meta=meta)

    with ctx(ctx.on.update_status(), testing.State(relations=[relation])) as mgr:
        is_connected = mgr.charm.db.is_connected()
        units = sorted(unit.name for unit in mgr.charm.db.relations[0].units)
        mgr.run()

    assert is_connected is True
    assert units == ["flannel/0", "flannel/1"]


def test_read_answers_as_the_oldest_available_relation_when_none_offers_tls():
    older = etcd_relation({0: published(**WITHOUT_CREDENTIALS)}, relation_id=41)
    newer = etcd_relation({0: other_published(**WITHOUT_CREDENTIALS)}, relation_id=42)

    offer = ask(testing.State(relations=[newer, older]), EtcdRequires.read)

    assert offer == EtcdOffer(EtcdCluster(connection_string=CONNECTION, version=VERSION))


def test_save_client_credentials_saves_the_credentials_it_is_given(tmp_path: Path):
    paths = [tmp_path / "client.key", tmp_path / "client.crt", tmp_path / "ca.crt"]
    given = EtcdClientTls(client_key=OTHER_KEY, client_cert=OTHER_CERT, client_ca=OTHER_CA)
    # The endpoint offers other credentials than those given; the given ones win.
    ctx = client_context()
    with ctx(ctx.on.update_status(), AVAILABLE_STATE) as mgr:
        mgr.charm.etcd.save_client_credentials(*paths, tls=given)
        mgr.run()

    assert [path.read_text() for path in paths] == [OTHER_KEY, OTHER_CERT, OTHER_CA]


def test_save_client_credentials_removes_its_temporary_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    paths = [tmp_path / "client.key", tmp_path / "client.crt", tmp_path / "ca.crt"]

    def failing_fsync(_: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        save(AVAILABLE_STATE, *paths)

    assert listing(tmp_path) == {}  # neither a target nor a temporary file


def test_etcd_relation_for_testing_gives_every_unit_a_valid_address_however_many():
    relation = etcd_relation_for_testing(units=300)

    offer = ask(testing.State(relations=[relation]), EtcdRequires.read)

    assert offer.cluster is not None
    assert len(offer.cluster.urls) == 300
    assert offer.cluster.urls[-1] == "https://10.0.1.48:2379"
    assert ask(testing.State(relations=[relation]), EtcdRequires.malformed_units) == []


@pytest.mark.parametrize(
    "body",
    ["A", "QUJD\nRA", "QQ==\nQQ==", "QUJDRA=="[:-1]],
    ids=["one", "short", "mid-pad", "pad"],
)
def test_a_pem_body_of_base64_characters_that_does_not_decode_is_refused_and_read_as_absent(
    body: str,
):
    bad_ca = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    ctx = etcd_context()
    with ctx(ctx.on.update_status(), testing.State()) as mgr:
        with pytest.raises(
            ValueError, match=r"client_ca: holds a PEM block whose body is not base64"
        ):
            mgr.charm.db.set_client_credentials(KEY, CERT, bad_ca)
        mgr.run()

    state = testing.State(relations=[etcd_relation({0: published(client_ca=bad_ca)})])
    assert ask(state, EtcdRequires.is_available)
    assert not ask(state, EtcdRequires.is_tls_available)
    assert [problem.fields for problem in ask(state, EtcdRequires.malformed_units)] == [
        ("client_ca",)
    ]
