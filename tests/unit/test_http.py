"""Unit tests for `charms.http.v0.http`: wire bytes, events, queries and errors.

Both roles run in `ops.testing`. `ProxyCharm` requires `reverseproxy` and records every
library event as its observer sees it (and defers the kinds its `defer` option names);
`WatchingProxyCharm` also records what the queries answer inside the library's events, its
own relation-departed and relation-broken observers and collect-status. `WebsiteCharm`
provides `website` and records its events (deferring likewise); tests publish through
`self.website`. This unit's ingress address on `website` is `INGRESS`, from the network
binding of the state, unless a test takes the binding away. A `Session` runs hooks one after
another on one unit, each from the state the previous one left, so stored state carries
over; a session that starts with empty stored state and established relations is a charm
just refreshed from its reactive version.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import ops
import pytest
import yaml
from ops import testing

import charms.http.v0.http as http_library
from charms.http.v0.http import (
    HttpAvailable,
    HttpConnected,
    HttpDisconnected,
    HttpExtras,
    HttpHost,
    HttpNewWebsite,
    HttpOffer,
    HttpProviderData,
    HttpProvides,
    HttpProxyAvailable,
    HttpProxyConnected,
    HttpProxyDisconnected,
    HttpProxyUnavailable,
    HttpPublication,
    HttpRequires,
    HttpService,
    HttpUnavailable,
    HttpWebsite,
    HttpWebsiteRemoved,
    MalformedUnit,
    ProxyServer,
    ProxyService,
    proxy_relation_for_testing,
    websites_relation_for_testing,
)
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

LOGGER = "charms.http.v0.http"
MIB = 1024 * 1024
EXTENDED_LIMIT = 64 * 1024
"""The longest `extended_data` value a reverse proxy reads."""
YAML_LIMIT = 32 * 1024
"""The longest YAML value a reverse proxy parses."""

JUJU_DEFAULTS = dict(testing.Relation("any").local_unit_data)
"""What Juju itself puts in every unit databag."""

INGRESS = "10.1.0.7"
"""This unit's ingress address on the `website` endpoint, from its network binding."""

HostT = tuple[str, str, int]
"""An address of a website as a test sees it: hostname, private address, port."""

Site = tuple[str, str, str, int, tuple[HostT, ...]]
"""A usable website unit as a test sees it: unit name, hostname, private address, port and
its extended addresses.

Tests compare plain values rather than the models: under pydantic 2.0, a model built by
validation and an equal one built by `model_construct` need not compare equal.
"""


def address(number: int) -> str:
    return f"10.3.0.{number}"


def website_unit(number: int, **data: str | None) -> dict[str, str]:
    """What a legacy website unit's `configure(8080)` leaves in its databag, with Juju's keys.

    `data` overrides; None leaves a key out.
    """
    values: dict[str, str | None] = {
        "private-address": address(number),
        "ingress-address": address(number),
        "egress-subnets": f"{address(number)}/32",
        "hostname": address(number),
        "port": "8080",
        **data,
    }
    return {key: value for key, value in values.items() if value is not None}


def websites_relation(
    units: Mapping[int, Mapping[str, str]],
    relation_id: int | None = None,
    *,
    app: str = "website",
) -> testing.Relation:
    """A relation of the reverse proxy's `reverseproxy` endpoint to a website application."""
    data = {number: dict(databag) for number, databag in units.items()}
    if relation_id is None:
        return testing.Relation(
            "reverseproxy", interface="http", remote_app_name=app, remote_units_data=data
        )
    return testing.Relation(
        "reverseproxy",
        interface="http",
        id=relation_id,
        remote_app_name=app,
        remote_units_data=data,
    )


def proxy_relation(
    units: Iterable[int] = (0,), *, local: Mapping[str, str] | None = None
) -> testing.Relation:
    """A relation of the website's `website` endpoint to a reverse proxy (haproxy)."""
    return testing.Relation(
        "website",
        interface="http",
        remote_app_name="haproxy",
        remote_units_data={unit: dict(JUJU_DEFAULTS) for unit in units},
        local_unit_data=dict(JUJU_DEFAULTS if local is None else local),
    )


def network(ingress: Iterable[str] = (INGRESS,)) -> testing.Network:
    return testing.Network("website", ingress_addresses=list(ingress))


def website_state(
    *relations: testing.Relation, leader: bool = False, ingress: str = INGRESS
) -> testing.State:
    """The state of a website unit whose ingress address on `website` is `ingress`."""
    return testing.State(leader=leader, relations=list(relations), networks={network([ingress])})


# --- Test charms ---------------------------------------------------------------------------

REQUIRER_EVENTS = (
    HttpConnected,
    HttpAvailable,
    HttpNewWebsite,
    HttpWebsiteRemoved,
    HttpUnavailable,
    HttpDisconnected,
)
PROVIDER_EVENTS = (
    HttpProxyConnected,
    HttpProxyAvailable,
    HttpProxyUnavailable,
    HttpProxyDisconnected,
)
LIBRARY_EVENTS = REQUIRER_EVENTS + PROVIDER_EVENTS


def as_host(host: HttpHost) -> HostT:
    assert isinstance(host, HttpHost)
    return (host.hostname, host.private_address, host.port)


def as_site(website: HttpWebsite) -> Site:
    assert isinstance(website, HttpWebsite)
    extended = tuple(as_host(host) for host in website.extended)
    return (website.unit_name, website.hostname, website.private_address, website.port, extended)


def describe(event: ops.EventBase) -> Seen:
    assert isinstance(event, LIBRARY_EVENTS)
    name = type(event).__name__
    if isinstance(event, HttpNewWebsite):
        return (name, event.relation.id, tuple(as_site(website) for website in event.websites))
    if isinstance(event, HttpWebsiteRemoved):
        return (name, event.relation.id, event.unit_name)
    return (name, event.relation.id)


class Session(sessions.Session):
    """Hooks run one after another on one unit, recording the http library's events."""

    library_event_types = LIBRARY_EVENTS
    describe = staticmethod(describe)


class ProxyCharm(RecordingCharm):
    """Requires `reverseproxy`; records each library event, and defers the kinds config names."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.reverseproxy = HttpRequires(self)
        self.record(
            self.reverseproxy.on.connected,
            self.reverseproxy.on.available,
            self.reverseproxy.on.new_website,
            self.reverseproxy.on.website_removed,
            self.reverseproxy.on.unavailable,
            self.reverseproxy.on.disconnected,
        )


View = tuple[
    bool,
    bool,
    tuple[Site, ...],
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[str],
    list[str],
    list[int],
]
"""What the requirer's queries answer."""


def view(reverseproxy: HttpRequires) -> View:
    return (
        reverseproxy.is_connected(),
        reverseproxy.is_available(),
        plain(reverseproxy.read()),
        reverseproxy.websites(),
        reverseproxy.services(),
        list(reverseproxy.extras()),
        [unit.unit_name for unit in reverseproxy.malformed_units()],
        [relation.id for relation in reverseproxy.relations],
    )


class WatchingProxyCharm(ProxyCharm):
    """A `ProxyCharm` that also records what the queries answer in events and hooks."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[tuple[str, View]] = []
        for event in (
            self.reverseproxy.on.new_website,
            self.reverseproxy.on.website_removed,
            self.reverseproxy.on.unavailable,
            self.reverseproxy.on.disconnected,
            self.on["reverseproxy"].relation_departed,
            self.on["reverseproxy"].relation_broken,
            self.on.collect_unit_status,
        ):
            framework.observe(event, self._look)

    def _look(self, event: ops.EventBase) -> None:
        self.views.append((type(event).__name__, view(self.reverseproxy)))


class WebsiteCharm(RecordingCharm):
    """Provides `website`; records the library's events. Tests publish via `self.website`."""

    describe_event = staticmethod(describe)

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.website = HttpProvides(self)
        self.record(
            self.website.on.connected,
            self.website.on.available,
            self.website.on.unavailable,
            self.website.on.disconnected,
        )


PROXY_META = {"name": "haproxy", "requires": {"reverseproxy": {"interface": "http"}}}
WEBSITE_META = {"name": "website", "provides": {"website": {"interface": "http"}}}


class DeferringWatcherCharm(ProxyCharm):
    """Notes the queries' view in its own `available` observer, which defers the event while
    the `defer` option is set (ops runs a deferred event's handler again at the start of the
    next hook, before the library has observed that hook's event), and in collect-status."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.views: list[View] = []
        framework.observe(self.reverseproxy.on.available, self._on_available)
        framework.observe(self.on.collect_unit_status, self._look)

    def _on_available(self, event: ops.EventBase) -> None:
        self._look(event)
        if self.config.get("defer"):
            event.defer()

    def _look(self, _: ops.EventBase) -> None:
        self.views.append(view(self.reverseproxy))


def proxy_context(
    charm_type: type[ProxyCharm] = ProxyCharm, **kwargs: Any
) -> testing.Context[ProxyCharm]:
    return testing.Context(charm_type, meta=PROXY_META, config=DEFER_CONFIG, **kwargs)


def website_context(
    charm_type: type[WebsiteCharm] = WebsiteCharm, **kwargs: Any
) -> testing.Context[WebsiteCharm]:
    return testing.Context(charm_type, meta=WEBSITE_META, config=DEFER_CONFIG, **kwargs)


def ask(state: testing.State, question: Callable[[HttpRequires], T]) -> T:
    """Ask the requirer something inside a hook run on `state`."""
    ctx = proxy_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        answer = question(mgr.charm.reverseproxy)
        mgr.run()
    return answer


def publish(state: testing.State, call: Callable[[HttpProvides], object]) -> testing.State:
    """Run a hook in which the website charm calls `call` on its provider."""
    ctx = website_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        call(mgr.charm.website)
        return mgr.run()


def inquire(state: testing.State, question: Callable[[HttpProvides], T]) -> T:
    """Ask the provider something inside a hook run on `state`."""
    ctx = website_context()
    with ctx(ctx.on.update_status(), state) as mgr:
        answer = question(mgr.charm.website)
        mgr.run()
    return answer


def configure(*args: Any, **kwargs: Any) -> Callable[[HttpProvides], object]:
    return lambda provides: provides.configure(*args, **kwargs)


def publish_extra(values: Mapping[str, Any]) -> Callable[[HttpProvides], object]:
    return lambda provides: provides.publish_extra(values)


def publish_services(stanzas: Any) -> Callable[[HttpProvides], object]:
    return lambda provides: provides.publish_services(stanzas)


def local_data(state: testing.State, relation: testing.Relation) -> dict[str, str]:
    return dict(state.get_relation(relation.id).local_unit_data)


def stored_content(state: testing.State, owner: str) -> dict[str, Any]:
    """The content of a role's `_stored` (not of its `_lifecycle`, which both roles share)."""
    (stored,) = [
        entry
        for entry in state.stored_states
        if owner in (entry.owner_path or "") and entry.name == "_stored"
    ]
    return dict(stored.content)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The library's WARNING lines so far, which are then forgotten."""
    records = [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno == logging.WARNING
    ]
    caplog.clear()
    return records


def without_network_get(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make network-get fail, as it does for a relation whose binding Juju cannot resolve."""

    def failing(_: ops.Binding) -> ops.Network:
        raise ops.ModelError("ERROR no network config found for binding")

    monkeypatch.setattr(ops.Binding, "network", property(failing))


def site(
    number: int,
    port: int = 8080,
    *,
    hostname: str = "",
    private: str = "",
    extended: Iterable[HostT] = (),
    app: str = "website",
) -> Site:
    """A usable website unit as the events and queries hand it over."""
    return (
        f"{app}/{number}",
        hostname or private or address(number),
        private or address(number),
        port,
        tuple(extended),
    )


def connected(relation_id: int) -> Seen:
    return ("HttpConnected", relation_id)


def available(relation_id: int) -> Seen:
    return ("HttpAvailable", relation_id)


def new_website(relation_id: int, *sites: Site) -> Seen:
    return ("HttpNewWebsite", relation_id, sites)


def website_removed(relation_id: int, unit_name: str) -> Seen:
    return ("HttpWebsiteRemoved", relation_id, unit_name)


def unavailable(relation_id: int) -> Seen:
    return ("HttpUnavailable", relation_id)


def disconnected(relation_id: int) -> Seen:
    return ("HttpDisconnected", relation_id)


def proxy_connected(relation_id: int) -> Seen:
    return ("HttpProxyConnected", relation_id)


def proxy_available(relation_id: int) -> Seen:
    return ("HttpProxyAvailable", relation_id)


def proxy_unavailable(relation_id: int) -> Seen:
    return ("HttpProxyUnavailable", relation_id)


def proxy_disconnected(relation_id: int) -> Seen:
    return ("HttpProxyDisconnected", relation_id)


def plain(offer: HttpOffer) -> tuple[Site, ...]:
    assert isinstance(offer, HttpOffer)
    return tuple(as_site(website) for website in offer.websites)


def leaves(value: Any) -> Iterator[str]:
    """Every value inside `value` (not the keys of its mappings), as text."""
    items: Iterable[Any] = ()
    if isinstance(value, Mapping):
        items = cast("Mapping[Any, Any]", value).values()
    elif isinstance(value, (list, tuple)):
        items = cast("Iterable[Any]", value)
    else:
        yield value if isinstance(value, str) else repr(value)
    for item in items:
        yield from leaves(item)


def extended_json(*hosts: tuple[str, Any, str]) -> str:
    """`extended_data` as the legacy layer wrote it: hostname, port, private-address."""
    return json.dumps([{"hostname": h, "port": p, "private-address": a} for h, p, a in hosts])


# --- 1. Provider to wire: the exact bytes ---------------------------------------------------


def test_juju_puts_exactly_three_keys_in_a_new_unit_databag_not_the_ingress_address_here():
    assert set(JUJU_DEFAULTS) == {"egress-subnets", "ingress-address", "private-address"}
    # So that a test tells Juju's automatic value from the one the library writes.
    assert INGRESS not in JUJU_DEFAULTS.values()


@pytest.mark.parametrize("leader", [True, False])
def test_configure_writes_the_ingress_address_and_the_port_raw_and_nothing_else(leader: bool):
    relation = proxy_relation()

    out = publish(website_state(relation, leader=leader), configure(8080))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": INGRESS,
        "private-address": INGRESS,
        "port": "8080",
    }
    assert out.get_relation(relation.id).local_app_data == {}


STALE_EXTENDED = extended_json(("10.9.9.2", 81, "10.9.9.2"))
NO_ADDRESSES: list[str] = []

CONFIGURE_TABLE: list[Any] = [
    # The rows of the `configure` table of the library's docstring.
    pytest.param((80,), INGRESS, INGRESS, None, id="port-only"),
    pytest.param((80, "10.0.0.5"), INGRESS, "10.0.0.5", None, id="one-address"),
    pytest.param((80, ["10.0.0.5"]), INGRESS, "10.0.0.5", "[]", id="list-of-one-address"),
    pytest.param(
        (80, ["10.0.0.5", "10.0.0.9"]),
        INGRESS,
        "10.0.0.5",
        extended_json((INGRESS, 80, "10.0.0.9")),
        id="list-of-two-addresses",
    ),
    pytest.param(
        (80, ["10.0.0.5", "10.0.0.9"], ["a"]),
        "a",
        "10.0.0.5",
        extended_json((INGRESS, 80, "10.0.0.9")),
        id="two-addresses-one-hostname",
    ),
    pytest.param(
        (80, "10.0.0.5", ["a", "b"]),
        "a",
        "10.0.0.5",
        extended_json(("b", 80, INGRESS)),
        id="one-address-two-hostnames",
    ),
    pytest.param((80, NO_ADDRESSES, NO_ADDRESSES), INGRESS, INGRESS, None, id="empty-lists"),
]


@pytest.mark.parametrize("stale", [False, True], ids=["fresh", "after-a-list"])
@pytest.mark.parametrize(("args", "hostname", "private", "extended"), CONFIGURE_TABLE)
def test_every_row_of_the_configure_table_writes_its_legacy_bytes(
    args: tuple[Any, ...], hostname: str, private: str, extended: str | None, stale: bool
):
    relation = proxy_relation()
    state = website_state(relation)
    if stale:
        state = publish(state, configure(81, ["10.9.9.1", "10.9.9.2"], ["10.9.9.1", "10.9.9.2"]))
        assert local_data(state, relation)["extended_data"] == STALE_EXTENDED

    out = publish(state, configure(*args))

    expected = {**JUJU_DEFAULTS, "hostname": hostname, "private-address": private, "port": "80"}
    if extended is not None:
        expected["extended_data"] = extended
    assert local_data(out, relation) == expected


def test_tuples_of_addresses_are_taken_as_lists():
    relation = proxy_relation()

    out = publish(website_state(relation), configure(80, ("10.0.0.5", "10.0.0.9"), ("a", "b")))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": "a",
        "private-address": "10.0.0.5",
        "port": "80",
        "extended_data": extended_json(("b", 80, "10.0.0.9")),
    }


@pytest.mark.parametrize(
    ("port", "in_extended_data"),
    [(8080, "8080"), ("8080", '"8080"')],
    ids=["int-is-a-json-number", "str-is-a-json-string"],
)
def test_the_port_keeps_the_type_the_charm_passed_in_extended_data(
    port: int | str, in_extended_data: str
):
    relation = proxy_relation()

    out = publish(website_state(relation), configure(port, ["10.0.0.5", "10.0.0.9", "fd00::9"]))

    data = local_data(out, relation)
    assert data["port"] == "8080"
    assert data["extended_data"] == (
        f'[{{"hostname": "{INGRESS}", "port": {in_extended_data}, "private-address": '
        f'"10.0.0.9"}}, {{"hostname": "{INGRESS}", "port": {in_extended_data}, '
        '"private-address": "fd00::9"}]'
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((8080,), {"hostname": INGRESS, "private-address": INGRESS, "port": "8080"}),
        (
            (8080, "www.example.com"),
            {"hostname": "www.example.com", "private-address": INGRESS, "port": "8080"},
        ),
        (("443", None), {"hostname": INGRESS, "private-address": INGRESS, "port": "443"}),
    ],
    ids=["port", "port-and-hostname", "str-port-no-hostname"],
)
def test_publish_info_is_configure_with_a_hostname(
    args: tuple[Any, ...], expected: dict[str, str]
):
    relation = proxy_relation()

    out = publish(website_state(relation), lambda provides: provides.publish_info(*args))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, **expected}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            (80, None, ["a", "b"]),
            {
                "hostname": "a",
                "private-address": INGRESS,
                "extended_data": extended_json(("b", 80, INGRESS)),
            },
        ),
        (
            (80, ["10.0.0.5", "10.0.0.9"], None),
            {
                "hostname": INGRESS,
                "private-address": "10.0.0.5",
                "extended_data": extended_json((INGRESS, 80, "10.0.0.9")),
            },
        ),
        (
            (80, "", ["a"]),
            {"hostname": "a", "private-address": INGRESS, "extended_data": "[]"},
        ),
    ],
    ids=["no-address-two-hostnames", "two-addresses-no-hostname", "empty-address-one-hostname"],
)
def test_a_list_with_none_for_the_other_address_pads_with_the_ingress_address(
    args: tuple[Any, ...], expected: dict[str, str]
):
    relation = proxy_relation()

    out = publish(website_state(relation), configure(*args))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "port": "80", **expected}


def test_a_later_scalar_call_removes_a_stale_extended_data_a_legacy_build_wrote():
    legacy = {
        **JUJU_DEFAULTS,
        "hostname": "10.9.9.1",
        "private-address": "10.9.9.1",
        "port": "81",
        "extended_data": STALE_EXTENDED,
    }
    relation = proxy_relation(local=legacy)

    out = publish(website_state(relation), configure(80, "10.0.0.5"))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": INGRESS,
        "private-address": "10.0.0.5",
        "port": "80",
    }


def test_an_ipv6_ingress_address_is_written_bare_as_juju_writes_it():
    relation = proxy_relation()

    out = publish(website_state(relation, ingress="fd00::7"), configure(80, ["fd00::5", "::1"]))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": "fd00::7",
        "private-address": "fd00::5",
        "port": "80",
        "extended_data": extended_json(("fd00::7", 80, "::1")),
    }


def test_configure_writes_on_every_relation_of_the_endpoint():
    relations = [proxy_relation(), proxy_relation((0, 1)), proxy_relation(())]

    out = publish(website_state(*relations), configure(8080, hostname="www.example.com"))

    for relation in relations:
        assert local_data(out, relation) == {
            **JUJU_DEFAULTS,
            "hostname": "www.example.com",
            "private-address": INGRESS,
            "port": "8080",
        }


@pytest.mark.parametrize("earlier_relation", [True, False])
def test_a_relation_created_later_gets_what_was_published_earlier(earlier_relation: bool):
    state = website_state(*([proxy_relation()] if earlier_relation else []))
    state = publish(state, configure(8080, ["10.0.0.5", "10.0.0.9"]))
    state = publish(state, publish_extra({"sitenames": "a.example"}))
    later = proxy_relation(())
    ctx = website_context()

    out = ctx.run(
        ctx.on.relation_created(later),
        dataclasses.replace(state, relations=[*state.relations, later]),
    )

    assert local_data(out, later) == {
        **JUJU_DEFAULTS,
        "hostname": INGRESS,
        "private-address": "10.0.0.5",
        "port": "8080",
        "extended_data": extended_json((INGRESS, 8080, "10.0.0.9")),
        "sitenames": "a.example",
    }


def test_a_relation_created_before_anything_was_published_keeps_what_a_legacy_build_wrote():
    legacy = {**JUJU_DEFAULTS, "hostname": "10.9.9.1", "port": "81", "sitenames": "old"}
    relations = [proxy_relation((), local=legacy), proxy_relation(())]
    ctx = website_context()

    out = ctx.run(ctx.on.relation_created(relations[0]), website_state(*relations))
    out = ctx.run(ctx.on.relation_created(relations[1]), out)

    assert local_data(out, relations[0]) == legacy
    assert local_data(out, relations[1]) == JUJU_DEFAULTS


def test_a_changed_ingress_address_reaches_the_wire_in_the_next_hook_of_the_relation():
    relation = proxy_relation()
    state = publish(website_state(relation), configure(8080, ["10.0.0.5", "10.0.0.9"]))
    session = Session(
        website_context(), dataclasses.replace(state, networks={network(["10.1.0.8"])})
    )

    session.changed(relation.id)

    assert local_data(session.state, relation) == {
        **JUJU_DEFAULTS,
        "hostname": "10.1.0.8",
        "private-address": "10.0.0.5",
        "port": "8080",
        "extended_data": extended_json(("10.1.0.8", 8080, "10.0.0.9")),
    }


@pytest.mark.parametrize("binding", ["network-get-fails", "no-ingress-address"])
def test_without_a_binding_address_the_ingress_address_juju_wrote_on_each_relation_is_used(
    binding: str, monkeypatch: pytest.MonkeyPatch
):
    first = proxy_relation(local={**JUJU_DEFAULTS, "ingress-address": "10.4.0.1"})
    second = proxy_relation(local={**JUJU_DEFAULTS, "ingress-address": "fd00::4"})
    if binding == "network-get-fails":
        without_network_get(monkeypatch)
        state = testing.State(relations=[first, second])
    else:
        state = testing.State(relations=[first, second], networks={network([])})

    out = publish(state, configure(8080))
    addresses = inquire(
        out,
        lambda p: (
            p.get_ingress_address(),
            p.get_ingress_address(first.id),
            p.get_ingress_address(second.id),
        ),
    )

    assert local_data(out, first) == {
        **JUJU_DEFAULTS,
        "ingress-address": "10.4.0.1",
        "hostname": "10.4.0.1",
        "private-address": "10.4.0.1",
        "port": "8080",
    }
    assert local_data(out, second) == {
        **JUJU_DEFAULTS,
        "ingress-address": "fd00::4",
        "hostname": "fd00::4",
        "private-address": "fd00::4",
        "port": "8080",
    }
    assert addresses == ("10.4.0.1", "10.4.0.1", "fd00::4")


@pytest.mark.parametrize("ingress", [None, "", "not an address!"], ids=["absent", "empty", "bad"])
def test_while_the_ingress_address_is_unknown_nothing_needing_it_is_written_and_a_warning_says_so(
    ingress: str | None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    without_network_get(monkeypatch)
    local = {"private-address": "10.9.9.9"}
    if ingress is not None:
        local["ingress-address"] = ingress
    relation = proxy_relation(local=local)
    session = Session(website_context(), testing.State(relations=[relation]))

    session.state = publish(session.state, configure(8080))

    assert local_data(session.state, relation) == local
    assert warnings_of(caplog) == [
        f"http relation {relation.id}: this unit's ingress address is unknown; what needs it is "
        "not written there yet"
    ]
    assert inquire(session.state, HttpProvides.get_ingress_address) is None
    # Juju writes the address later; the next hook of the relation writes the website.
    session.state = dataclasses.replace(
        session.state,
        relations=[
            dataclasses.replace(relation, local_unit_data={**local, "ingress-address": "10.4.0.2"})
        ],
    )
    session.changed(relation.id)
    assert local_data(session.state, relation) == {
        "ingress-address": "10.4.0.2",
        "hostname": "10.4.0.2",
        "private-address": "10.4.0.2",
        "port": "8080",
    }


def test_addresses_given_in_full_need_no_ingress_address(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    without_network_get(monkeypatch)
    relation = proxy_relation(local={"private-address": "10.9.9.9"})

    out = publish(
        testing.State(relations=[relation]),
        configure(8080, ["10.0.0.5", "10.0.0.9"], ["a", "b"]),
    )

    assert local_data(out, relation) == {
        "hostname": "a",
        "private-address": "10.0.0.5",
        "port": "8080",
        "extended_data": extended_json(("b", 8080, "10.0.0.9")),
    }
    assert warnings_of(caplog) == []


def test_get_ingress_address_answers_for_the_oldest_relation_by_default_or_the_one_named(
    monkeypatch: pytest.MonkeyPatch,
):
    without_network_get(monkeypatch)
    newer = testing.Relation(
        "website", interface="http", id=9, local_unit_data={"ingress-address": "10.4.0.9"}
    )
    older = testing.Relation(
        "website", interface="http", id=4, local_unit_data={"ingress-address": "10.4.0.4"}
    )

    answers = inquire(
        testing.State(relations=[newer, older]),
        lambda p: (p.get_ingress_address(), p.get_ingress_address(4), p.get_ingress_address(9)),
    )

    assert answers == ("10.4.0.4", "10.4.0.4", "10.4.0.9")
    assert inquire(testing.State(), HttpProvides.get_ingress_address) is None


def test_get_ingress_address_answers_the_network_binding_first():
    relation = proxy_relation(local={**JUJU_DEFAULTS, "ingress-address": "10.4.0.1"})

    answers = inquire(
        website_state(relation),
        lambda p: (p.get_ingress_address(), p.get_ingress_address(relation.id)),
    )

    assert answers == (INGRESS, INGRESS)


@pytest.mark.parametrize("relation_id", [77, "secret-id", ["secret-id"]])
def test_get_ingress_address_refuses_a_relation_id_of_no_relation_without_echoing_it(
    relation_id: Any,
):
    relation = proxy_relation()

    with pytest.raises(
        ValueError, match=r"^relation_id: no relation of 'website' has this id$"
    ) as raised:
        inquire(website_state(relation), lambda p: p.get_ingress_address(relation_id))

    assert "secret" not in repr(raised.value.__context__)


def test_enum_members_are_published_as_their_plain_values():
    class Site(str, enum.Enum):
        main = "my-site"

    class Port(enum.IntEnum):
        http = 8080

    stanza = ProxyService.model_validate(
        {"service_name": "my-site", "weights": {Site.main: [Port.http, Site.main, 1.5]}}
    )
    relation = proxy_relation()
    out = publish(
        website_state(relation),
        lambda p: (p.publish_services([stanza]), p.publish_extra({"weight": Port.http})),
    )

    published = local_data(out, relation)
    assert published["weight"] == "8080"
    assert yaml.safe_load(published["services"]) == [
        {"service_name": "my-site", "weights": {"my-site": [8080, "my-site", 1.5]}}
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.publish_extra({"sitenames": "secret\udc80"}), "sitenames: must be valid"),
        (lambda p: p.configure(80, "fd00::secret\udc80"), "private_address: must be a host"),
    ],
    ids=["extra-value", "ipv6-look-alike"],
)
def test_a_refused_value_is_in_no_chained_exception(
    call: Callable[[HttpProvides], object], message: str
):
    with pytest.raises(ValueError, match=message) as raised:
        inquire(website_state(proxy_relation()), call)

    error: BaseException | None = raised.value
    while error is not None:
        assert "secret" not in str(error)
        error = error.__context__ or error.__cause__


def test_keys_whose_value_is_right_are_not_written_again(monkeypatch: pytest.MonkeyPatch):
    writes: list[tuple[str, str]] = []
    original = ops.model.RelationDataContent.__setitem__

    def recording(self: Any, key: str, value: str) -> None:
        writes.append((key, value))
        original(self, key, value)

    monkeypatch.setattr(ops.model.RelationDataContent, "__setitem__", recording)
    legacy = {**JUJU_DEFAULTS, "hostname": INGRESS, "private-address": INGRESS, "port": "8080"}
    relation = proxy_relation(local=legacy)

    state = publish(website_state(relation), configure(8080, hostname=["www.example"]))
    assert writes == [("hostname", "www.example"), ("extended_data", "[]")]
    writes.clear()

    out = publish(state, configure("8080", hostname=("www.example",)))

    assert writes == []
    assert local_data(out, relation) == {
        **legacy,
        "hostname": "www.example",
        "extended_data": "[]",
    }


# --- 2. Extra keys, services, clearing ------------------------------------------------------


def test_publish_extra_writes_raw_keys_on_every_relation():
    relations = [proxy_relation(), proxy_relation(())]

    out = publish(
        website_state(*relations),
        publish_extra(
            {"sitenames": "a.example b.example", "service_name": "my-site", "weight": 3}
        ),
    )

    for relation in relations:
        assert local_data(out, relation) == {
            **JUJU_DEFAULTS,
            "sitenames": "a.example b.example",
            "service_name": "my-site",
            "weight": "3",
        }


def test_set_remote_is_the_legacy_name_of_publish_extra():
    relation = proxy_relation()

    out = publish(
        website_state(relation),
        lambda provides: provides.set_remote(sitenames="a.example", all_services="- {}\n"),
    )

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "sitenames": "a.example",
        "all_services": "- {}\n",
    }


@pytest.mark.parametrize("withdrawal", [None, ""], ids=["none", "empty"])
def test_an_extra_key_set_to_none_or_empty_is_withdrawn_and_others_keep_their_values(
    withdrawal: str | None,
):
    relation = proxy_relation()
    state = publish(
        website_state(relation), publish_extra({"sitenames": "a.example", "service_name": "s"})
    )

    out = publish(state, publish_extra({"sitenames": withdrawal}))

    assert local_data(out, relation) == {**JUJU_DEFAULTS, "service_name": "s"}


def test_extra_keys_and_the_website_are_independent():
    relation = proxy_relation()
    state = publish(website_state(relation), publish_extra({"sitenames": "a.example"}))
    state = publish(state, configure(8080))

    out = publish(state, publish_extra({"service_name": "s"}))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": INGRESS,
        "private-address": INGRESS,
        "port": "8080",
        "sitenames": "a.example",
        "service_name": "s",
    }


DOCSTRING_STANZA = ProxyService(
    service_name="my-site",
    service_host="0.0.0.0",  # noqa: S104 - the address haproxy listens on
    service_port=80,
    service_options=("mode http", "balance leastconn"),
    servers=(ProxyServer(port=8080, options="check"),),
)

DOCSTRING_SERVICES = f"""\
- servers:
  - - website-0-8080
    - {INGRESS}
    - 8080
    - check
  service_host: 0.0.0.0
  service_name: my-site
  service_options:
  - mode http
  - balance leastconn
  service_port: 80
"""


def test_publish_services_writes_the_yaml_legacy_charms_wrote_with_yaml_dump():
    relation = proxy_relation()

    out = publish(website_state(relation), publish_services([DOCSTRING_STANZA]))

    wire = local_data(out, relation)
    assert wire == {**JUJU_DEFAULTS, "services": DOCSTRING_SERVICES}
    expected = [
        {
            "service_name": "my-site",
            "service_host": "0.0.0.0",  # noqa: S104
            "service_port": 80,
            "service_options": ["mode http", "balance leastconn"],
            "servers": [["website-0-8080", INGRESS, 8080, "check"]],
        }
    ]
    assert wire["services"] == yaml.safe_dump(expected, default_flow_style=False)


def test_publish_services_takes_mappings_lists_and_further_keys_as_plain_yaml():
    relation = proxy_relation()
    stanzas: list[Any] = [
        {
            "service_name": "web",
            "servers": [
                ["web-a", "10.0.0.5", "8080", "check inter 2000"],
                ("web-b", None, 8081),
                {"port": 8082},
                ProxyServer(name="web-d", address="www.example", port=8083),
            ],
            "server_options": ["maxconn 100"],
            "crts": ["DEFAULT"],
            "backends": [{"backend_name": "b", "servers": [["x", "10.0.0.6", 80, None]]}],
            "weight": 1.5,
            "enabled": True,
            "note": None,
        },
        ProxyService(service_name="bare"),
        ProxyService.model_validate({"service_name": "more", "service_port": "81", "x": [1]}),
    ]

    out = publish(website_state(relation), publish_services(stanzas))

    assert yaml.safe_load(local_data(out, relation)["services"]) == [
        {
            "service_name": "web",
            "servers": [
                ["web-a", "10.0.0.5", 8080, "check inter 2000"],
                ["web-b", INGRESS, 8081, None],
                ["website-0-8082", INGRESS, 8082, None],
                ["web-d", "www.example", 8083, None],
            ],
            "server_options": ["maxconn 100"],
            "crts": ["DEFAULT"],
            "backends": [{"backend_name": "b", "servers": [["x", "10.0.0.6", 80, None]]}],
            "weight": 1.5,
            "enabled": True,
            "note": None,
        },
        {"service_name": "bare"},
        {"service_name": "more", "service_port": 81, "x": [1]},
    ]
    assert local_data(out, relation)["services"] == yaml.safe_dump(
        yaml.safe_load(local_data(out, relation)["services"]), default_flow_style=False
    )


def test_services_name_this_units_ingress_address_on_each_relation(
    monkeypatch: pytest.MonkeyPatch,
):
    without_network_get(monkeypatch)
    first = proxy_relation(local={**JUJU_DEFAULTS, "ingress-address": "10.4.0.1"})
    second = proxy_relation(local={**JUJU_DEFAULTS, "ingress-address": "10.4.0.2"})

    out = publish(
        testing.State(relations=[first, second]),
        publish_services([{"service_name": "s", "servers": [{"port": 80}]}]),
    )

    for relation, ingress in ((first, "10.4.0.1"), (second, "10.4.0.2")):
        assert yaml.safe_load(local_data(out, relation)["services"]) == [
            {"service_name": "s", "servers": [["website-0-80", ingress, 80, None]]}
        ]


def test_services_that_need_an_unknown_ingress_address_wait_for_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    without_network_get(monkeypatch)
    relation = proxy_relation(local={"private-address": "10.9.9.9"})
    state = testing.State(relations=[relation])

    waiting = publish(state, publish_services([{"service_name": "s", "servers": [{"port": 80}]}]))
    given = publish(
        state, publish_services([{"service_name": "s", "servers": [["s-0", "10.0.0.5", 80]]}])
    )

    assert local_data(waiting, relation) == {"private-address": "10.9.9.9"}
    assert len(warnings_of(caplog)) == 1
    assert yaml.safe_load(local_data(given, relation)["services"]) == [
        {"service_name": "s", "servers": [["s-0", "10.0.0.5", 80, None]]}
    ]


def test_services_set_as_text_and_as_stanzas_replace_each_other():
    relation = proxy_relation()
    state = publish(website_state(relation), publish_services([DOCSTRING_STANZA]))

    state = publish(state, publish_extra({"services": "- {service_name: text}\n"}))
    assert local_data(state, relation)["services"] == "- {service_name: text}\n"
    assert inquire(state, HttpProvides.published) == HttpPublication(
        extra={"services": "- {service_name: text}\n"}
    )

    state = publish(state, publish_services([DOCSTRING_STANZA]))
    assert local_data(state, relation)["services"] == DOCSTRING_SERVICES
    published = inquire(state, HttpProvides.published)
    assert published is not None
    assert published.extra == {}


@pytest.mark.parametrize("keys", [("sitenames",), ("sitenames", "sitenames")])
def test_clear_extra_withdraws_the_keys_named(keys: tuple[str, ...]):
    relation = proxy_relation()
    state = publish(
        website_state(relation), publish_extra({"sitenames": "a.example", "service_name": "s"})
    )
    state = publish(state, configure(8080))

    out = publish(state, lambda provides: provides.clear_extra(*keys))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": INGRESS,
        "private-address": INGRESS,
        "port": "8080",
        "service_name": "s",
    }


def test_clear_extra_of_services_withdraws_the_stanzas():
    relation = proxy_relation()
    state = publish(website_state(relation), publish_services([DOCSTRING_STANZA]))

    out = publish(state, lambda provides: provides.clear_extra("services"))

    assert local_data(out, relation) == JUJU_DEFAULTS
    assert inquire(out, HttpProvides.published) is None


def test_clear_extra_without_keys_withdraws_every_extra_key_a_legacy_builds_too():
    legacy = {
        **JUJU_DEFAULTS,
        "hostname": "10.9.9.1",
        "port": "81",
        "services": "- {service_name: old}\n",
        "all_services": "- {service_name: old}\n",
    }
    relations = [proxy_relation(local=legacy), proxy_relation()]
    state = publish(website_state(*relations), publish_extra({"sitenames": "a.example"}))
    state = publish(state, publish_services([DOCSTRING_STANZA]))

    out = publish(state, HttpProvides.clear_extra)

    assert local_data(out, relations[0]) == {**JUJU_DEFAULTS, "hostname": "10.9.9.1", "port": "81"}
    assert local_data(out, relations[1]) == JUJU_DEFAULTS
    assert inquire(out, HttpProvides.published) is None
    # Nor does a relation created afterwards get any.
    later = proxy_relation(())
    ctx = website_context()
    out = ctx.run(
        ctx.on.relation_created(later), dataclasses.replace(out, relations=[*out.relations, later])
    )
    assert local_data(out, later) == JUJU_DEFAULTS


@pytest.mark.parametrize(
    ("key", "owner"),
    [
        ("hostname", "configure()'s"),
        ("private-address", "configure()'s"),
        ("port", "configure()'s"),
        ("extended_data", "configure()'s"),
        ("ingress-address", "Juju's"),
        ("egress-subnets", "Juju's"),
    ],
)
@pytest.mark.parametrize("method", ["publish_extra", "set_remote", "clear_extra"])
def test_the_librarys_and_jujus_keys_are_refused_as_extra_keys(method: str, key: str, owner: str):
    def call(provides: HttpProvides) -> None:
        if method == "publish_extra":
            provides.publish_extra({"sitenames": "a.example", key: "x"})
        elif method == "set_remote":
            provides.set_remote(**{key: "x"})
        else:
            provides.clear_extra("sitenames", key)

    error = refuse(call)

    assert str(error) == f"{key}: is {owner} key, not an extra key"


@pytest.mark.parametrize("leader", [True, False])
def test_clear_website_withdraws_it_and_sets_private_address_back_to_the_ingress_address(
    leader: bool,
):
    legacy = {
        **JUJU_DEFAULTS,
        "hostname": "10.9.9.1",
        "private-address": "10.9.9.1",
        "port": "81",
        "extended_data": STALE_EXTENDED,
        "sitenames": "a.example",
    }
    relations = [proxy_relation(local=legacy), proxy_relation()]
    state = publish(website_state(*relations[1:], leader=leader), configure(8080, ["10.0.0.5"]))
    state = dataclasses.replace(state, relations=[relations[0], *state.relations])

    out = publish(state, HttpProvides.clear_website)

    assert local_data(out, relations[0]) == {
        **JUJU_DEFAULTS,
        "private-address": INGRESS,
        "sitenames": "a.example",
    }
    assert local_data(out, relations[1]) == {**JUJU_DEFAULTS, "private-address": INGRESS}
    assert inquire(out, HttpProvides.published) is None
    later = proxy_relation(())
    ctx = website_context()
    out = ctx.run(
        ctx.on.relation_created(later), dataclasses.replace(out, relations=[*out.relations, later])
    )
    assert local_data(out, later) == {**JUJU_DEFAULTS, "private-address": INGRESS}


def test_clear_website_leaves_private_address_alone_while_the_ingress_address_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
):
    without_network_get(monkeypatch)
    relation = proxy_relation(local={"private-address": "10.0.0.5", "hostname": "a", "port": "80"})

    out = publish(testing.State(relations=[relation]), HttpProvides.clear_website)

    assert local_data(out, relation) == {"private-address": "10.0.0.5"}


def test_published_answers_what_the_charm_set_across_hooks():
    state = website_state(proxy_relation())
    answers: list[HttpPublication | None] = []

    def remember(provides: HttpProvides) -> None:
        answers.append(provides.published())

    for call in (
        remember,
        configure("8080", ["10.0.0.5", "10.0.0.9"], "a"),
        remember,
        configure(80),
        publish_extra({"sitenames": "a.example", "weight": 2}),
        publish_services([DOCSTRING_STANZA]),
        remember,
        HttpProvides.clear_website,
        remember,
    ):
        state = publish(state, call)

    assert answers[0] is None
    assert answers[1] == HttpPublication(
        port=8080,
        hostnames=("a", None),
        private_addresses=("10.0.0.5", "10.0.0.9"),
        extended=True,
    )
    third = answers[2]
    assert third is not None
    assert (third.port, third.hostnames, third.private_addresses, third.extended) == (
        80,
        (None,),
        (None,),
        False,
    )
    assert third.extra == {"sitenames": "a.example", "weight": "2"}
    # As the charm set it: the server's name and address are still left to the unit.
    assert third.services == (DOCSTRING_STANZA,)
    fourth = answers[3]
    assert fourth is not None
    assert (fourth.port, fourth.hostnames, fourth.extended) == (None, (), False)
    assert fourth.extra == {"sitenames": "a.example", "weight": "2"}


def test_what_the_charm_published_lives_in_stored_state_as_plain_values():
    state = publish(website_state(proxy_relation()), configure(8080, ["10.0.0.5", "10.0.0.9"]))
    state = publish(state, publish_services([DOCSTRING_STANZA]))

    stored = stored_content(state, "HttpProvides")

    assert json.loads(json.dumps(stored)) == stored
    assert "10.0.0.9" in json.dumps(stored)
    assert "my-site" in json.dumps(stored)


# --- 3. Provider setters refuse bad input ---------------------------------------------------

ANY_NONE: Any = None
LONE_SURROGATE = "a\ud800b"


@functools.cache
def published_everything() -> tuple[testing.State, testing.Relation]:
    """A website unit that published its website, an extra key and services."""
    relation = proxy_relation()
    state = publish(website_state(relation), configure(8080, ["10.0.0.5", "10.0.0.9"], "a"))
    state = publish(state, publish_extra({"sitenames": "a.example"}))
    return publish(state, publish_services([DOCSTRING_STANZA])), relation


def refuse(call: Callable[[HttpProvides], object]) -> ValueError:
    """Make `call` in a hook after good calls; check that it raised and changed nothing."""
    state, relation = published_everything()
    before = local_data(state, relation)
    assert set(before) > {"hostname", "port", "extended_data", "sitenames", "services"}
    stored_before = stored_content(state, "HttpProvides")
    ctx = website_context()

    with ctx(ctx.on.update_status(), state) as mgr:
        published_before = mgr.charm.website.published()
        with pytest.raises(ValueError) as caught:  # noqa: PT011 - each test checks the message
            call(mgr.charm.website)
        published = mgr.charm.website.published()
        out = mgr.run()
        seen = mgr.charm.seen

    assert local_data(out, relation) == before
    assert stored_content(out, "HttpProvides") == stored_before
    assert published == published_before
    assert seen == []
    error = caught.value
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None
    for each in chained(error):
        # pydantic's errors hold the input values.
        assert isinstance(each, ValueError)
        assert type(each).__module__ == "builtins"
    assert len(str(error)) < 300
    return error


def chained(error: BaseException) -> Iterator[BaseException]:
    """The error, and each one it was raised from or while handling."""
    current: BaseException | None = error
    while current is not None:
        yield current
        current = current.__cause__ or current.__context__


def assert_not_echoed(error: ValueError, value: Any) -> None:
    """Check that neither the error nor any error chained to it quotes `value`."""
    for each in chained(error):
        message = str(each)
        for text in leaves(value):
            if len(text) > 3:  # shorter ones may be part of any message
                assert text not in message


REFUSED_WEBSITES: list[Any] = [
    pytest.param({"port": 0}, "port", id="port-0"),
    pytest.param({"port": 65536}, "port", id="port-65536"),
    pytest.param({"port": -1}, "port", id="port-negative"),
    pytest.param({"port": "65536"}, "port", id="port-string-65536"),
    pytest.param({"port": "08080"}, "port", id="port-leading-zero"),
    pytest.param({"port": " 443"}, "port", id="port-space"),
    pytest.param({"port": "443\n"}, "port", id="port-newline"),
    pytest.param({"port": ""}, "port", id="port-empty"),
    pytest.param({"port": "http"}, "port", id="port-word"),
    pytest.param({"port": True}, "port", id="port-true"),
    pytest.param({"port": False}, "port", id="port-false"),
    pytest.param({"port": 8080.0}, "port", id="port-float"),
    pytest.param({"port": b"8080"}, "port", id="port-bytes"),
    pytest.param({"port": ANY_NONE}, "port", id="port-none"),
    pytest.param({"port": 80, "hostname": "web site"}, "hostname", id="hostname-space"),
    pytest.param({"port": 80, "hostname": "web;rm -rf /"}, "hostname", id="hostname-shell"),
    pytest.param({"port": 80, "hostname": "$(reboot)"}, "hostname", id="hostname-substitution"),
    pytest.param({"port": 80, "hostname": "a" * 254}, "hostname", id="hostname-too-long"),
    pytest.param(
        {"port": 80, "hostname": "a" * 64 + ".example"}, "hostname", id="hostname-long-label"
    ),
    pytest.param({"port": 80, "hostname": "-web.example"}, "hostname", id="hostname-dash"),
    pytest.param({"port": 80, "hostname": "web_0"}, "hostname", id="hostname-underscore"),
    pytest.param({"port": 80, "hostname": "fe80::1%eth0"}, "hostname", id="hostname-zone"),
    pytest.param({"port": 80, "hostname": "fd00:::1"}, "hostname", id="hostname-bad-ipv6"),
    pytest.param({"port": 80, "hostname": "[fd00::1]"}, "hostname", id="hostname-brackets"),
    pytest.param({"port": 80, "hostname": b"web.example"}, "hostname", id="hostname-bytes"),
    pytest.param({"port": 80, "hostname": 1234567}, "hostname", id="hostname-int"),
    pytest.param({"port": 80, "hostname": LONE_SURROGATE}, "hostname", id="hostname-surrogate"),
    pytest.param(
        {"port": 80, "private_address": "10.0.0.256"}, "private_address", id="address-bad-ipv4"
    ),
    pytest.param(
        {"port": 80, "private_address": "10.0.0"}, "private_address", id="address-short-ipv4"
    ),
    pytest.param(
        {"port": 80, "private_address": "10.0.0.5 "}, "private_address", id="address-space"
    ),
    pytest.param(
        {"port": 80, "private_address": ["10.0.0.5", "not an address!"]},
        "private_address.1",
        id="address-bad-in-a-list",
    ),
    pytest.param(
        {"port": 80, "private_address": ["10.0.0.5", ANY_NONE]},
        "private_address.1",
        id="address-none-in-a-list",
    ),
    pytest.param(
        {"port": 80, "private_address": ["10.0.0.5", ""]},
        "private_address.1",
        id="address-empty-in-a-list",
    ),
    pytest.param(
        {"port": 80, "hostname": ["web.example", "web .example"]},
        "hostname.1",
        id="hostname-bad-in-a-list",
    ),
    pytest.param(
        {"port": 80, "hostname": {"web.example": 1}}, "hostname", id="hostname-a-mapping"
    ),
]


@pytest.mark.parametrize(("kwargs", "field"), REFUSED_WEBSITES)
def test_a_bad_port_or_address_raises_and_writes_and_stores_nothing(
    kwargs: dict[str, Any], field: str
):
    error = refuse(lambda provides: provides.configure(**kwargs))

    message = str(error)
    # A list's bad item is named by its index (`hostname.1`); a single address is not.
    assert message.startswith(f"{field}: ")
    assert_not_echoed(error, kwargs[field.split(".")[0]])


@pytest.mark.parametrize("port", ["http", 0, True, 8080.5, b"80"])
def test_publish_info_refuses_as_configure_does(port: Any):
    error = refuse(lambda provides: provides.publish_info(port, "www.example"))

    assert str(error).startswith("port: ")


def test_publish_info_refuses_a_bad_hostname_as_configure_does():
    error = refuse(lambda provides: provides.publish_info(80, "www example"))

    assert str(error).startswith("hostname")
    assert "www example" not in str(error)


@pytest.mark.parametrize(
    "port",
    [1, 65535, "1", "65535"],
)
def test_the_extreme_ports_are_written(port: int | str):
    relation = proxy_relation()

    out = publish(website_state(relation), configure(port))

    assert local_data(out, relation)["port"] == str(port)


@pytest.mark.parametrize(
    "host", ["web-0.example.com", "web.", "10.0.0.5", "fd00::5", "WEB0", "a" * 63 + ".b", "0web"]
)
def test_good_hosts_are_written_as_given(host: str):
    relation = proxy_relation()

    out = publish(website_state(relation), configure(65535, host, host))

    assert local_data(out, relation) == {
        **JUJU_DEFAULTS,
        "hostname": host,
        "private-address": host,
        "port": "65535",
    }


REFUSED_EXTRAS: list[Any] = [
    pytest.param({"": "x"}, "extra keys must be", id="key-empty"),
    pytest.param({"-x": "x"}, "extra keys must be", id="key-leading-dash"),
    pytest.param({"site names": "x"}, "extra keys must be", id="key-space"),
    pytest.param({"a=b": "x"}, "extra keys must be", id="key-equals"),
    pytest.param({"k" * 129: "x"}, "extra keys must be", id="key-too-long"),
    pytest.param({1: "x"}, "extra keys must be", id="key-int"),
    pytest.param({"sitenames": b"a.example"}, "sitenames: must be a string", id="value-bytes"),
    pytest.param({"sitenames": 1.5}, "sitenames: must be a string", id="value-float"),
    pytest.param({"sitenames": True}, "sitenames: must be a string", id="value-bool"),
    pytest.param({"sitenames": ["a.example"]}, "sitenames: must be a string", id="value-list"),
    pytest.param(
        {"sitenames": LONE_SURROGATE}, "sitenames: must be valid Unicode", id="value-surrogate"
    ),
    pytest.param(
        {"weight": 1, "sitenames": {"a": "b"}}, "sitenames: must be a string", id="second-value"
    ),
]


@pytest.mark.parametrize(("values", "prefix"), REFUSED_EXTRAS)
def test_a_bad_extra_key_or_value_raises_and_writes_and_stores_nothing(
    values: dict[Any, Any], prefix: str
):
    error = refuse(lambda provides: provides.publish_extra(values))

    assert str(error).startswith(prefix)
    assert_not_echoed(error, values)


@pytest.mark.parametrize(
    "values",
    [ANY_NONE, [("sitenames", "a.example")], "sitenames=a.example"],
    ids=["none", "list-of-pairs", "string"],
)
def test_extra_keys_not_given_as_a_mapping_raise_value_error(values: Any):
    error = refuse(lambda provides: provides.publish_extra(values))

    assert_not_echoed(error, values)


def test_set_remote_refuses_as_publish_extra_does():
    weight: Any = 1.5
    error = refuse(lambda provides: provides.set_remote(sitenames=ANY_NONE, weight=weight))

    assert str(error) == "weight: must be a string, an integer or None"


@pytest.mark.parametrize("key", ["-x", "a b", ""])
def test_clear_extra_refuses_a_malformed_key(key: str):
    error = refuse(lambda provides: provides.clear_extra("sitenames", key))

    assert str(error).startswith("extra keys must be 1 to 128 letters")


class Opaque:
    """Neither YAML data nor a stanza."""


def nested(levels: int) -> Any:
    """A list nested `levels` deep."""
    value: Any = [1]
    for _ in range(levels):
        value = [value]
    return value


ANY_STANZA: dict[str, Any] = {}

REFUSED_STANZAS: list[Any] = [
    pytest.param("service_name: x", "services: must be a list of stanzas", id="a-string"),
    pytest.param(b"- service_name: x", "services: must be a list of stanzas", id="bytes"),
    pytest.param({"service_name": "x"}, "services: must be a list of stanzas", id="a-mapping"),
    pytest.param(ANY_NONE, "services: must be a list of stanzas", id="none"),
    pytest.param(80, "services: must be a list of stanzas", id="not-iterable"),
    pytest.param([], "services: must hold a stanza", id="empty"),
    pytest.param([ANY_STANZA], "services.0: service_name: ", id="no-name"),
    pytest.param([{"service_name": ""}], "services.0: service_name: ", id="empty-name"),
    pytest.param([{"service_name": "my site"}], "services.0: service_name: ", id="name-space"),
    pytest.param([{"service_name": "s" * 129}], "services.0: service_name: ", id="long-name"),
    pytest.param([{"service_name": 1}], "services.0: service_name: ", id="int-name"),
    pytest.param(
        [{"service_name": "s", "service_host": "0.0.0.0 "}],
        "services.0: service_host: ",
        id="bad-host",
    ),
    pytest.param(
        [{"service_name": "s", "service_port": 0}], "services.0: service_port: ", id="port-0"
    ),
    pytest.param(
        [{"service_name": "s", "service_port": "080"}],
        "services.0: service_port: ",
        id="port-leading-zero",
    ),
    pytest.param(
        [{"service_name": "s", "service_port": True}], "services.0: service_port: ", id="port-bool"
    ),
    pytest.param(
        [{"service_name": "s", "service_options": "mode http"}],
        "services.0: service_options: ",
        id="options-a-string",
    ),
    pytest.param(
        [{"service_name": "s", "service_options": ["mode http\nbind :1"]}],
        "services.0: service_options.0: ",
        id="option-two-lines",
    ),
    pytest.param(
        [{"service_name": "s", "service_options": ["   "]}],
        "services.0: service_options.0: ",
        id="option-blank",
    ),
    pytest.param(
        [{"service_name": "s", "service_options": ["x" * 1025]}],
        "services.0: service_options.0: ",
        id="option-too-long",
    ),
    pytest.param(
        [{"service_name": "s", "service_options": ["mode http", 1]}],
        "services.0: service_options.1: ",
        id="option-int",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [["a", "10.0.0.5"]]}],
        "services.0: servers.0",
        id="server-pair",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [["a", "10.0.0.5", 80, "check", "x"]]}],
        "services.0: servers.0",
        id="server-five",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [["a b", "10.0.0.5", 80]]}],
        "services.0: servers.0.name: ",
        id="server-name",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [["a", "10.0.0.500", 80]]}],
        "services.0: servers.0.address: ",
        id="server-address",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [["a", "10.0.0.5", 65536]]}],
        "services.0: servers.0.port: ",
        id="server-port",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [["a", "10.0.0.5", 80, "check\r\ninter 1"]]}],
        "services.0: servers.0.options: ",
        id="server-options",
    ),
    pytest.param(
        [{"service_name": "s", "servers": [{"port": 80, "weight": 1}]}],
        "services.0: servers.0.weight: ",
        id="server-unknown-key",
    ),
    pytest.param(
        [{"service_name": "s", "servers": "a 10.0.0.5 80"}],
        "services.0: servers: ",
        id="servers-a-string",
    ),
    pytest.param(
        [{"service_name": "s"}, {"service_name": "t", "crts": Opaque()}],
        "services.1: crts: must be YAML data",
        id="extra-object",
    ),
    pytest.param(
        [{"service_name": "s", "crts": b"DEFAULT"}],
        "services.0: crts: must be YAML data",
        id="extra-bytes",
    ),
    pytest.param(
        [{"service_name": "s", "crts": {"DEFAULT"}}],
        "services.0: crts: must be YAML data",
        id="extra-set",
    ),
    pytest.param(
        [{"service_name": "s", "backends": {1: "x"}}],
        "services.0: backends: must have string keys",
        id="extra-int-keys",
    ),
    pytest.param(
        [{"service_name": "s", "backends": ["ok", LONE_SURROGATE]}],
        "services.0: backends: must be valid Unicode text",
        id="extra-surrogate",
    ),
    pytest.param(
        [{"service_name": "s", "backends": nested(40)}],
        "services.0: backends: is nested too deep",
        id="extra-nested-too-deep",
    ),
    pytest.param([Opaque()], "services.0: ", id="not-a-stanza"),
    pytest.param(
        [{"service_name": f"s{n}", "service_options": ["x" * 1000] * 10} for n in "abcd"],
        "services: the YAML is longer than 32768 characters",
        id="too-long",
    ),
]


@pytest.mark.parametrize(("stanzas", "prefix"), REFUSED_STANZAS)
def test_a_bad_stanza_raises_and_writes_and_stores_nothing(stanzas: Any, prefix: str):
    error = refuse(publish_services(stanzas))

    assert str(error).startswith(prefix)
    assert_not_echoed(error, stanzas)


def test_stanzas_are_refused_only_when_their_yaml_may_be_longer_than_a_reader_parses():
    def stanzas(padding: int) -> list[dict[str, Any]]:
        return [{"service_name": "s", "servers": [{"port": 80}], "note": "x" * padding}]

    def longest_yaml(padding: int) -> int:
        # The server's address is filled in per relation: at most the longest IPv6 address.
        server = ["website-0-80", "f" * 39, 80, None]
        stanza = {**stanzas(padding)[0], "servers": [server]}
        return len(yaml.safe_dump([stanza], default_flow_style=False))

    fitting = YAML_LIMIT - longest_yaml(1) + 1
    assert longest_yaml(fitting) == YAML_LIMIT
    relation = proxy_relation()

    out = publish(website_state(relation), publish_services(stanzas(fitting)))

    written = local_data(out, relation)["services"]
    assert yaml.safe_load(written)[0]["note"] == "x" * fitting
    assert len(written) < YAML_LIMIT  # INGRESS is shorter than the longest address
    error = refuse(publish_services(stanzas(fitting + 1)))
    assert str(error) == "services: the YAML is longer than 32768 characters"


def test_the_message_of_a_refused_value_names_the_problem_plainly():
    messages: list[str] = []
    for call in (
        configure(0),
        configure("http"),
        configure(True),
        configure(80, "10.0.0.256"),
        configure(80, hostname="fe80::1%eth0"),
        configure(80, hostname="a" * 254),
        configure(80, hostname="web site"),
        publish_extra({"sitenames": 1.5}),
    ):
        messages.append(str(refuse(call)))

    assert messages == [
        "port: must be a port from 1 to 65535",
        "port: must be a port number, such as 8080",
        "port: must be an integer or a string of digits",
        "private_address: is not an IPv4 address",
        "hostname: must not hold an IPv6 zone index",
        "hostname: is longer than 253 characters",
        "hostname: must be a host name or an IP address",
        "sitenames: must be a string, an integer or None",
    ]


# --- 4. Wire to requirer: legacy bytes in, plain values out ----------------------------------


def test_requirer_reads_raw_values_and_hands_over_the_legacy_getters_results():
    relation = websites_relation(
        {0: website_unit(0), 1: website_unit(1, hostname="www.example", port="8081")}
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.websites(), r.services(), r.read(), r.read(r.relations[0])),
    )

    assert answers[0] == [
        {
            "hostname": address(0),
            "port": "8080",
            "relation_id": relation.id,
            "remote_unit_name": "website/0",
        },
        {
            "hostname": "www.example",
            "port": "8081",
            "relation_id": relation.id,
            "remote_unit_name": "website/1",
        },
    ]
    assert isinstance(answers[0][0]["relation_id"], int)
    assert answers[1] == [
        {
            "service_name": "website",
            "hosts": [
                {"hostname": address(0), "private-address": address(0), "port": "8080"},
                {"hostname": "www.example", "private-address": address(1), "port": "8081"},
            ],
        }
    ]
    assert plain(answers[2]) == (site(0), site(1, 8081, hostname="www.example"))
    assert plain(answers[3]) == plain(answers[2])
    website = answers[2].websites[1]
    assert type(website) is HttpWebsite
    assert (website.relation_id, website.service_name) == (relation.id, "website")
    assert isinstance(website.port, int)
    assert [as_host(host) for host in website.hosts] == [("www.example", address(1), 8081)]


def test_requirer_writes_nothing():
    relation = websites_relation({0: website_unit(0, extended_data="[]", services="- {}\n")})
    ctx = proxy_context()

    out = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )

    assert local_data(out, relation) == JUJU_DEFAULTS
    assert out.get_relation(relation.id).local_app_data == {}


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("port", '"8080"'),
        ("hostname", f'"{address(0)}"'),
        ("private-address", f'"{address(0)}"'),
        ("hostname", '"10.0.0.5"'),
    ],
    ids=["port", "hostname", "private-address", "other-hostname"],
)
def test_values_a_2018_build_json_quoted_are_read_as_plain(key: str, raw: str):
    relation = websites_relation({0: website_unit(0, **{key: raw})})

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.malformed_units()))

    hostname = "10.0.0.5" if raw == '"10.0.0.5"' else address(0)
    assert (plain(answers[0]), answers[1]) == ((site(0, hostname=hostname),), [])


@pytest.mark.parametrize("hostname", [None, "", '""', "not a host!"], ids=str)
def test_without_a_valid_hostname_the_host_is_the_private_address(hostname: str | None):
    relation = websites_relation(
        {0: website_unit(0, hostname=hostname, **{"private-address": "10.0.0.5"})}
    )

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.websites()))

    assert plain(answers[0]) == (site(0, private="10.0.0.5"),)
    assert answers[1][0]["hostname"] == "10.0.0.5"


def test_every_host_gives_host_port_with_an_ipv6_hostname_in_brackets():
    relation = websites_relation(
        {
            0: website_unit(0, hostname="fd00::5", **{"private-address": "fd00::5"}),
            1: website_unit(1, hostname="site-1.example.com"),
        }
    )

    offered = ask(testing.State(relations=[relation]), HttpRequires.read)

    assert [host.address for host in offered.services[0].hosts] == [
        "[fd00::5]:8080",
        "site-1.example.com:8080",
    ]
    assert [host.address for host in offered.websites[0].hosts] == ["[fd00::5]:8080"]
    assert offered.websites[0].hostname == "fd00::5"  # the host itself stays as Juju writes it


def test_without_a_private_address_the_hostname_stands_for_it():
    relation = websites_relation({0: website_unit(0, **{"private-address": None})})

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.services()))

    assert plain(answers[0]) == (site(0),)
    assert answers[1][0]["hosts"] == [
        {"hostname": address(0), "private-address": address(0), "port": "8080"}
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"port": None},
        {"port": ""},
        {"port": "http"},
        {"hostname": None, "private-address": None},
        {"hostname": "bad host", "private-address": "bad too"},
    ],
    ids=["no-port", "empty-port", "bad-port", "no-host", "bad-hosts"],
)
def test_a_unit_without_a_port_or_a_host_is_not_usable(changes: dict[str, str | None]):
    relation = websites_relation({0: website_unit(0, **changes), 1: website_unit(1)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.read(), r.websites(), r.is_connected(), r.is_available()),
    )

    assert plain(answers[0]) == (site(1),)
    assert [w["remote_unit_name"] for w in answers[1]] == ["website/1"]
    assert answers[2:] == (True, True)


def test_nothing_usable_answers_empty():
    relation = websites_relation({0: website_unit(0, port=None)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.read(), r.websites(), r.services(), r.is_available(), r.is_connected()),
    )

    assert (plain(answers[0]), *answers[1:]) == ((), [], [], False, True)
    assert ask(testing.State(), HttpRequires.is_connected) is False
    assert plain(ask(testing.State(), HttpRequires.read)) == ()


EXTENDED_MIXED = (
    '[{"hostname": "10.0.9.5", "port": "8080", "private-address": "10.0.9.5"}, '
    '{"hostname": "10.0.9.6", "port": 8080, "private-address": "10.0.9.6"}, '
    '{"port": 8081, "private-address": "10.0.9.7"}, '
    '{"hostname": "", "port": "8082", "private-address": "10.0.9.8"}, '
    '{"hostname": "\\"vip.example\\"", "port": "\\"8083\\"", "private-address": "\\"10.0.9.9\\""}]'
)


def test_extended_data_with_mixed_port_types_and_missing_hostnames_is_read():
    relation = websites_relation({0: website_unit(0, extended_data=EXTENDED_MIXED)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.read(), r.services(), r.websites(), r.malformed_units()),
    )

    extended = (
        ("10.0.9.5", "10.0.9.5", 8080),
        ("10.0.9.6", "10.0.9.6", 8080),
        ("10.0.9.7", "10.0.9.7", 8081),
        ("10.0.9.8", "10.0.9.8", 8082),
        ("vip.example", "10.0.9.9", 8083),
    )
    assert plain(answers[0]) == (site(0, extended=extended),)
    assert [as_host(h) for h in answers[0].websites[0].hosts] == [
        (address(0), address(0), 8080),
        *extended,
    ]
    assert answers[1] == [
        {
            "service_name": "website",
            "hosts": [
                {"hostname": "10.0.9.5", "private-address": "10.0.9.5", "port": "8080"},
                {"hostname": "10.0.9.6", "private-address": "10.0.9.6", "port": "8080"},
                {"hostname": "10.0.9.7", "private-address": "10.0.9.7", "port": "8081"},
                {"hostname": "10.0.9.8", "private-address": "10.0.9.8", "port": "8082"},
                {"hostname": address(0), "private-address": address(0), "port": "8080"},
                {"hostname": "vip.example", "private-address": "10.0.9.9", "port": "8083"},
            ],
        }
    ]
    # The seed's getter gives the main address only.
    assert answers[2] == [
        {
            "hostname": address(0),
            "port": "8080",
            "relation_id": relation.id,
            "remote_unit_name": "website/0",
        }
    ]
    assert answers[3] == []


@pytest.mark.parametrize(
    "value",
    [
        json.dumps(extended_json(("10.0.9.5", 8080, "10.0.9.5"))),
        json.dumps(extended_json(("10.0.9.5", "8080", "10.0.9.5"))),
    ],
    ids=["int-port", "str-port"],
)
def test_extended_data_json_encoded_twice_is_read(value: str):
    relation = websites_relation({0: website_unit(0, extended_data=value)})

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.malformed_units()))

    assert plain(answers[0]) == (site(0, extended=[("10.0.9.5", "10.0.9.5", 8080)]),)
    assert answers[1] == []


def test_an_empty_extended_data_list_adds_nothing():
    relation = websites_relation({0: website_unit(0, extended_data="[]")})

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.malformed_units()))

    assert (plain(answers[0]), answers[1]) == ((site(0),), [])


def test_units_sharing_an_extended_data_with_a_bad_entry_are_each_reported(
    monkeypatch: pytest.MonkeyPatch,
):
    shared = json.dumps(
        [
            {"hostname": "10.0.9.5", "port": 8080, "private-address": "10.0.9.5"},
            {"port": 8080},
        ]
    )
    relation = websites_relation({n: website_unit(n, extended_data=shared) for n in range(3)})
    decoded: list[str] = []
    decode = http_library._decode_extended  # pyright: ignore[reportPrivateUsage]

    def counting_decode(value: str) -> list[Any]:
        decoded.append(value)
        return decode(value)

    monkeypatch.setattr(http_library, "_decode_extended", counting_decode)

    offer, malformed = ask(
        testing.State(relations=[relation]), lambda r: (r.read(), r.malformed_units())
    )

    vip = ("10.0.9.5", "10.0.9.5", 8080)
    assert plain(offer) == tuple(site(n, extended=[vip]) for n in range(3))
    assert [(unit.unit_name, unit.reason) for unit in malformed] == [
        (
            f"website/{n}",
            "extended_data: 1.hostname: Input should be a valid string; "
            "1.private-address: Field required",
        )
        for n in range(3)
    ]
    # The shared text is decoded and validated for the first unit only.
    assert decoded == [shared]


def test_units_at_the_same_address_are_one_host_of_their_service():
    shared = {"hostname": "10.0.9.5", "private-address": "10.0.9.5"}
    relation = websites_relation({n: website_unit(n, **shared) for n in range(2)})

    services = ask(testing.State(relations=[relation]), HttpRequires.services)

    assert services == [
        {
            "service_name": "website",
            "hosts": [{"hostname": "10.0.9.5", "private-address": "10.0.9.5", "port": "8080"}],
        }
    ]


def test_each_bad_extended_data_entry_is_skipped_alone_and_reported(
    caplog: pytest.LogCaptureFixture,
):
    entries: list[Any] = [
        {"hostname": "10.0.9.5", "port": 8080, "private-address": "10.0.9.5"},
        {"hostname": "10.0.9.6", "port": 8080},  # 1: no private-address
        {"hostname": "10.0.9.6", "private-address": "10.0.9.6"},  # 2: no port
        {"port": 8080, "private-address": "secret host!"},  # 3: a bad address
        {"port": True, "private-address": "10.0.9.6"},  # 4: a bool port
        {"port": 8080.0, "private-address": "10.0.9.6"},  # 5: a float port
        {"port": "08080", "private-address": "10.0.9.6"},  # 6: a leading zero
        {"port": 0, "private-address": "10.0.9.6"},  # 7: port 0
        "10.0.9.6:8080",  # 8: a string
        None,  # 9
        ["10.0.9.6", 8080],  # 10: a list
        {"hostname": ["x"], "port": 8080, "private-address": "10.0.9.6"},  # 11
        {"hostname": 0, "port": 8080, "private-address": "10.0.9.6"},  # 12: not missing: bad
        {"hostname": False, "port": 8080, "private-address": "10.0.9.6"},  # 13
        {"hostname": [], "port": 8080, "private-address": "10.0.9.6"},  # 14
        {"hostname": "vip.example", "port": "8081", "private-address": "10.0.9.7", "x": 1},
    ]
    relation = websites_relation({0: website_unit(0, extended_data=json.dumps(entries))})
    ctx = proxy_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        (malformed,) = mgr.charm.reverseproxy.malformed_units()

    main = site(0, extended=[("10.0.9.5", "10.0.9.5", 8080), ("vip.example", "10.0.9.7", 8081)])
    assert seen == [connected(relation.id), available(relation.id), new_website(relation.id, main)]
    assert malformed.fields == ("extended_data",)
    problems = malformed.reason.removeprefix("extended_data: ").split("; ")
    assert [problem.split(":")[0] for problem in problems] == [
        "1.private-address",
        "2.port",
        "3.hostname",  # taken from the private address
        "3.private-address",
        "4.port",
        "5.port",
        "6.port",
        "7.port",
        "8",
        "9",
        "10",
        "11.hostname",
        "12.hostname",
        "13.hostname",
        "14.hostname",
    ]
    assert "secret host!" not in caplog.text
    assert "secret host!" not in malformed.reason


def test_websites_come_in_unit_number_order_unit_10_after_unit_2():
    relation = websites_relation(
        {10: website_unit(10), 2: website_unit(2, port="8081"), 1: website_unit(1, port=None)}
    )

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.websites()))

    assert plain(answers[0]) == (site(2, 8081), site(10))
    assert [w["remote_unit_name"] for w in answers[1]] == ["website/2", "website/10"]


def test_several_relations_oldest_first_each_in_unit_number_order():
    newer = websites_relation({0: website_unit(5)}, relation_id=82, app="blog")
    older = websites_relation({1: website_unit(1), 0: website_unit(0)}, relation_id=42)
    unusable = websites_relation({0: website_unit(7, port=None)}, relation_id=3, app="shop")
    state = testing.State(relations=[newer, older, unusable])

    answers = ask(
        state,
        lambda r: (
            r.read(),
            [r.read(relation) for relation in r.relations],
            [w["relation_id"] for w in r.websites()],
            r.services(),
        ),
    )

    blog = site(0, hostname=address(5), private=address(5), app="blog")
    assert plain(answers[0]) == (site(0), site(1), blog)
    assert [plain(each) for each in answers[1]] == [(), (site(0), site(1)), (blog,)]
    assert answers[2] == [42, 42, 82]
    assert [service["service_name"] for service in answers[3]] == ["website", "blog"]


def test_services_de_duplicate_and_sort_hosts_and_leave_out_applications_without_any():
    shared = extended_json(("vip.example", 8080, "10.0.9.9"), ("10.0.9.5", "8080", "10.0.9.5"))
    first = websites_relation(
        {
            0: website_unit(0, hostname="b.example", extended_data=shared),
            1: website_unit(1, hostname="a.example", port="9090", extended_data=shared),
            2: website_unit(
                2, hostname="a.example", port="10000", **{"private-address": address(1)}
            ),
            3: website_unit(3, hostname="a.example", **{"private-address": address(0)}),
        },
        relation_id=1,
    )
    none_usable = websites_relation({0: website_unit(4, port=None)}, relation_id=2, app="shop")
    state = testing.State(relations=[first, none_usable])

    answers = ask(state, lambda r: (r.services(), r.read().services))

    assert answers[0] == [
        {
            "service_name": "website",
            "hosts": [
                {"hostname": "10.0.9.5", "private-address": "10.0.9.5", "port": "8080"},
                {"hostname": "a.example", "private-address": address(0), "port": "8080"},
                {"hostname": "a.example", "private-address": address(1), "port": "9090"},
                {"hostname": "a.example", "private-address": address(1), "port": "10000"},
                {"hostname": "b.example", "private-address": address(0), "port": "8080"},
                {"hostname": "vip.example", "private-address": "10.0.9.9", "port": "8080"},
            ],
        }
    ]
    (service,) = answers[1]
    assert type(service) is HttpService
    assert service.service_name == "website"
    # Ports sort as numbers: 9090 before 10000.
    assert [as_host(host) for host in service.hosts][2:4] == [
        ("a.example", address(1), 9090),
        ("a.example", address(1), 10000),
    ]


def test_services_of_one_application_over_two_relations_are_grouped():
    first = websites_relation({0: website_unit(0)}, relation_id=1)
    second = websites_relation({0: website_unit(0)}, relation_id=2, app="blog")
    third = websites_relation({1: website_unit(1)}, relation_id=3)

    services = ask(testing.State(relations=[third, second, first]), HttpRequires.services)

    assert [(s["service_name"], [h["hostname"] for h in s["hosts"]]) for s in services] == [
        ("website", [address(0), address(1)]),
        ("blog", [address(0)]),
    ]


def test_the_typed_read_is_frozen():
    relation = websites_relation({0: website_unit(0, extended_data=EXTENDED_MIXED)})
    result = ask(testing.State(relations=[relation]), HttpRequires.read)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.websites = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        result.websites[0].port = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        result.websites[0].extended[0].port = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        result.services[0].hosts = ()  # type: ignore[misc]


def test_keys_of_juju_and_of_other_interfaces_are_no_extras_but_any_other_key_is():
    relation = websites_relation(
        {
            0: website_unit(
                0,
                sitenames="a.example",
                weight='"3"',
                empty="",
                extended_data="[]",
            ),
            1: website_unit(1),
        }
    )

    answers = ask(testing.State(relations=[relation]), lambda r: (r.extras(), r.malformed_units()))

    extras, malformed = answers
    assert list(extras) == ["website/0"]
    assert type(extras["website/0"]) is HttpExtras
    assert dict(extras["website/0"].raw) == {"sitenames": "a.example", "weight": "3"}
    assert (extras["website/0"].relation_id, extras["website/0"].unit_name) == (
        relation.id,
        "website/0",
    )
    assert extras["website/0"].service_name == "website"
    assert malformed == []


def test_extras_count_for_every_joined_unit_usable_or_not_relations_oldest_first():
    newer = websites_relation({0: website_unit(0, sitenames="b")}, relation_id=8, app="blog")
    older = websites_relation(
        {2: website_unit(2, port=None, sitenames="a"), 1: website_unit(1, sitenames="c")},
        relation_id=5,
    )
    state = testing.State(relations=[newer, older])

    answers = ask(
        state,
        lambda r: (r.extras(), [list(r.extras(relation)) for relation in r.relations]),
    )

    assert {name: dict(extras.raw) for name, extras in answers[0].items()} == {
        "website/1": {"sitenames": "c"},
        "website/2": {"sitenames": "a"},
        "blog/0": {"sitenames": "b"},
    }
    assert list(answers[0]) == ["website/1", "website/2", "blog/0"]
    assert answers[1] == [["website/1", "website/2"], ["blog/0"]]


def test_extras_raw_is_read_only():
    relation = websites_relation({0: website_unit(0, sitenames="a")})
    extras = ask(testing.State(relations=[relation]), HttpRequires.extras)

    with pytest.raises(TypeError):
        extras["website/0"].raw["sitenames"] = "b"  # type: ignore[index]


def test_websites_and_hosts_print_as_host_and_port_with_ipv6_hosts_in_brackets():
    vips = extended_json(("fd00::5", 81, "fd00::5"), ("vip.example", 80, "10.0.9.9"))
    relation = websites_relation({0: website_unit(0, extended_data=vips)})

    (website,) = ask(testing.State(relations=[relation]), HttpRequires.read).websites

    assert [str(host) for host in website.hosts] == [
        f"{address(0)}:8080",
        "[fd00::5]:81",
        "vip.example:80 (private address 10.0.9.9)",
    ]
    assert str(website) == (
        f"website/0 at {address(0)}:8080, [fd00::5]:81, vip.example:80 (private address 10.0.9.9)"
    )


# --- 5. Per-field tolerance and hostile values ------------------------------------------------

HOSTILE: list[Any] = [
    # (field, raw value, unit 0 as it still counts, or None when it is not usable)
    pytest.param("port", "0", None, id="port-0"),
    pytest.param("port", "65536", None, id="port-65536"),
    pytest.param("port", "08080", None, id="port-leading-zero"),
    pytest.param("port", "8080.0", None, id="port-float"),
    pytest.param("port", "true", None, id="port-true"),
    pytest.param("port", '"\\ud800"', None, id="port-lone-surrogate"),
    pytest.param("port", '"80\\x80"', None, id="port-bad-json-escape"),
    pytest.param("port", '"80","80"', None, id="port-two-json-strings"),
    pytest.param("port", "8080\x00", None, id="port-nul"),
    pytest.param("port", "1" * MIB, None, id="port-1MiB"),
    pytest.param("hostname", "web 0;reboot", site(0), id="hostname-shell"),
    pytest.param("hostname", '"web\\ud800.example"', site(0), id="hostname-lone-surrogate"),
    pytest.param("hostname", "web\x1b[2J.example", site(0), id="hostname-control-characters"),
    pytest.param("hostname", "a" * MIB, site(0), id="hostname-1MiB"),
    pytest.param("hostname", "fe80::1%eth0", site(0), id="hostname-zone-index"),
    pytest.param("hostname", "10.9.9.300", site(0), id="hostname-bad-ipv4"),
    pytest.param("hostname", "fd00::zz", site(0), id="hostname-bad-ipv6"),
    pytest.param("hostname", "[fd00::5]", site(0), id="hostname-bracketed-ipv6"),
    pytest.param("private-address", "10.9.9.9 ", site(0), id="private-address-bad"),
    pytest.param("private-address", "a" * MIB, site(0), id="private-address-1MiB"),
    pytest.param("extended_data", "10.0.9.5:8080", site(0), id="extended-not-json"),
    pytest.param("extended_data", "{}", site(0), id="extended-object"),
    pytest.param("extended_data", "null", site(0), id="extended-null"),
    pytest.param("extended_data", '"\\"[]\\""', site(0), id="extended-json-three-times"),
    pytest.param("extended_data", '"x"', site(0), id="extended-json-string"),
    pytest.param("extended_data", "[" * 100000, site(0), id="extended-100000-brackets"),
    pytest.param(
        "extended_data", "[" * 30000 + "]" * 30000, site(0), id="extended-nested-too-deep"
    ),
    pytest.param(
        "extended_data",
        json.dumps("[" * 30000 + "]" * 30000),
        site(0),
        id="extended-twice-nested-too-deep",
    ),
    pytest.param(
        "extended_data",
        "[" + " " * EXTENDED_LIMIT + "]",
        site(0),
        id="extended-over-64KiB",
    ),
    pytest.param("extended_data", "[" * MIB, site(0), id="extended-1MiB"),
]


@pytest.mark.parametrize(("field", "value", "unit_0"), HOSTILE)
def test_a_malformed_field_counts_as_absent_alone_and_is_reported_without_its_value(
    field: str,
    value: str,
    unit_0: Site | None,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    relation = websites_relation(
        {0: website_unit(0, **{field: value}), 1: website_unit(1, sitenames="b")}
    )
    ctx = proxy_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        reverseproxy = mgr.charm.reverseproxy
        malformed = reverseproxy.malformed_units()
        assert reverseproxy.malformed_units() == malformed
        result = reverseproxy.read()
        services = reverseproxy.services()

    sites = (site(1),) if unit_0 is None else (unit_0, site(1))
    assert plain(result) == sites
    assert len(services[0]["hosts"]) == len(sites)
    assert seen == [
        connected(relation.id),
        available(relation.id),
        new_website(relation.id, *sites),
    ]
    assert malformed == [MalformedUnit(relation.id, "website/0", (field,), malformed[0].reason)]
    assert malformed[0].reason.startswith(f"{field}: ")
    assert str(malformed[0]) == f"website/0 sent a malformed {field}"
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert warnings[0].name == LOGGER
    assert f"relation {relation.id}" in message
    assert "website/0" in message
    assert field in message
    assert len(message) < 300
    decoded = value.strip('"')
    for text in (caplog.text, repr(malformed), str(malformed[0]), *ctx.juju_log):
        for secret in (value, decoded):
            if len(secret) > 5:  # shorter ones may be part of any message
                assert secret not in str(text)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10.0.9.5:8080", "extended_data: is not JSON"),
        ("{}", "extended_data: is not a JSON list"),
        ('"\\"[]\\""', "extended_data: is not a JSON list"),
        ("[" * 30000 + "]" * 30000, "extended_data: is nested too deep"),
        ("[" * 100000, "extended_data: is longer than 65536 characters"),
    ],
    ids=["not-json", "object", "string", "nested-too-deep", "too-long"],
)
def test_an_extended_data_malformed_as_a_whole_says_why(value: str, reason: str):
    relation = websites_relation({0: website_unit(0, extended_data=value)})

    (malformed,) = ask(testing.State(relations=[relation]), HttpRequires.malformed_units)

    assert malformed.reason == reason


def test_an_extended_data_of_exactly_64_kib_is_read():
    entry = extended_json(("10.0.9.5", 8080, "10.0.9.5"))
    value = entry[:-1] + " " * (EXTENDED_LIMIT - len(entry)) + "]"
    assert len(value) == EXTENDED_LIMIT
    relation = websites_relation({0: website_unit(0, extended_data=value)})

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.malformed_units()))

    assert plain(answers[0]) == (site(0, extended=[("10.0.9.5", "10.0.9.5", 8080)]),)
    assert answers[1] == []


def test_bad_fields_and_bad_entries_are_all_named_together():
    relation = websites_relation(
        {
            0: website_unit(
                0,
                port="x",
                hostname="bad host",
                extended_data='[{"port": 1, "private-address": "bad host"}, {"port": 1}]',
                services="[unclosed",
            )
        }
    )

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.malformed_units(), r.read(), r.is_connected()),
    )

    (malformed,) = answers[0]
    assert malformed.fields == ("extended_data", "hostname", "port", "services")
    assert str(malformed) == ("website/0 sent a malformed extended_data, hostname, port, services")
    assert malformed.reason == (
        "extended_data: 0.hostname: must be a host name or an IP address; "
        "0.private-address: must be a host name or an IP address; "
        "1.hostname: Input should be a valid string; "
        "1.private-address: Field required; "
        "hostname: must be a host name or an IP address; "
        "port: must be a port number, such as 8080; "
        "services: is not a YAML document of plain values"
    )
    assert (plain(answers[1]), answers[2]) == ((), True)


@pytest.mark.parametrize(
    "value",
    [
        "[" + "1, " * 21000 + "1]",
        json.dumps([{"port": 1, "private-address": "x!"}] * 1200),
    ],
    ids=["21000-numbers", "1200-bad-addresses"],
)
def test_an_extended_data_of_thousands_of_bad_entries_is_reported_in_a_bounded_line(
    value: str, caplog: pytest.LogCaptureFixture
):
    assert len(value) < EXTENDED_LIMIT
    relation = websites_relation({0: website_unit(0, extended_data=value)})

    answers = ask(testing.State(relations=[relation]), lambda r: (r.read(), r.malformed_units()))

    assert plain(answers[0]) == (site(0),)
    (malformed,) = answers[1]
    assert malformed.fields == ("extended_data",)
    assert malformed.reason.startswith("extended_data: 0")
    # The bounds on what a remote unit may send are there so that it cannot make the charm
    # log megabytes: one WARNING of a few lines at most, and as short a reason.
    (warning,) = warnings_of(caplog)
    assert len(warning) < 2000
    assert len(malformed.reason) < 2000


def test_a_unit_is_logged_once_per_hook_however_often_it_is_read_or_viewed(
    caplog: pytest.LogCaptureFixture,
):
    relation = websites_relation(
        {0: website_unit(0, port="x", extended_data="y"), 1: website_unit(1)}
    )
    ctx = proxy_context()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        # The charm itself emits a relation event first: a second view in the same hook.
        ops_relation = mgr.charm.model.get_relation("reverseproxy", relation.id)
        assert ops_relation is not None
        remote = mgr.charm.model.get_unit("website/1")
        mgr.charm.on["reverseproxy"].relation_changed.emit(ops_relation, ops_relation.app, remote)
        for _ in range(3):
            view(mgr.charm.reverseproxy)
        mgr.run()
        malformed = mgr.charm.reverseproxy.malformed_units()

    assert [(m.relation_id, m.unit_name, m.fields) for m in malformed] == [
        (relation.id, "website/0", ("extended_data", "port"))
    ]
    warnings = warnings_of(caplog)
    assert len(warnings) == 1
    assert "extended_data, port" in warnings[0]


def test_malformed_units_lists_every_bad_unit_of_every_relation_in_order():
    older = websites_relation(
        {10: website_unit(10, port="x"), 2: website_unit(2, hostname="?")}, 3
    )
    newer = websites_relation(
        {0: website_unit(0, extended_data="[1]"), 1: website_unit(1, all_services="{")}, 9
    )

    malformed = ask(testing.State(relations=[newer, older]), HttpRequires.malformed_units)

    assert malformed == [
        MalformedUnit(
            3, "website/2", ("hostname",), "hostname: must be a host name or an IP address"
        ),
        MalformedUnit(3, "website/10", ("port",), "port: must be a port number, such as 8080"),
        MalformedUnit(
            9,
            "website/0",
            ("extended_data",),
            "extended_data: 0: must be an object with a private-address and a port",
        ),
        MalformedUnit(
            9,
            "website/1",
            ("all_services",),
            "all_services: is not a YAML document of plain values",
        ),
    ]


def test_malformed_units_is_empty_when_all_data_is_good():
    relation = websites_relation_for_testing(units=2, extended=2, services="- {a: 1}\n")

    assert ask(testing.State(relations=[relation]), HttpRequires.malformed_units) == []


# --- 6. Extra keys and their YAML ---------------------------------------------------------------

HAPROXY_SERVICES = """\
- service_name: my-site
  service_host: 0.0.0.0
  service_port: 80
  service_options: [mode http, balance leastconn]
  servers:
  - [my-site-0-8080, 10.3.0.0, 8080, check]
"""


def test_extras_yaml_parses_services_and_all_services():
    relation = websites_relation(
        {
            0: website_unit(
                0,
                services=HAPROXY_SERVICES,
                all_services=json.dumps(HAPROXY_SERVICES),  # a 2018 build quoted it
                sitenames="a.example b.example",
            )
        }
    )

    extras = ask(testing.State(relations=[relation]), HttpRequires.extras)["website/0"]

    stanzas = [
        {
            "service_name": "my-site",
            "service_host": "0.0.0.0",  # noqa: S104
            "service_port": 80,
            "service_options": ["mode http", "balance leastconn"],
            "servers": [["my-site-0-8080", "10.3.0.0", 8080, "check"]],
        }
    ]
    assert extras.raw["all_services"] == HAPROXY_SERVICES
    assert extras.yaml("services") == stanzas
    assert extras.services == stanzas
    assert extras.all_services == stanzas
    assert extras.yaml("sitenames") == "a.example b.example"
    assert extras.yaml("absent") is None
    assert extras.problems() == {}


def test_extras_yaml_answers_a_fresh_copy_each_time():
    relation = websites_relation({0: website_unit(0, services=HAPROXY_SERVICES)})
    extras = ask(testing.State(relations=[relation]), HttpRequires.extras)["website/0"]

    first = extras.yaml("services")
    first[0]["service_name"] = "changed"
    first.append("more")

    assert extras.services[0]["service_name"] == "my-site"
    assert len(extras.services) == 1


def test_a_document_of_only_a_comment_is_none_and_no_problem(caplog: pytest.LogCaptureFixture):
    relation = websites_relation({0: website_unit(0, services="# nothing yet\n")})

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.extras()["website/0"].services, r.malformed_units()),
    )

    assert answers == (None, [])
    assert warnings_of(caplog) == []


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def nested_block(levels: int) -> str:
    return "".join(f"{'  ' * level}a:\n" for level in range(levels)) + "  " * levels + "x\n"


def alias_chain(anchors: int, depth: int = 60) -> str:
    """Anchored lists nested `depth` deep, each holding the one before: no list is nested
    deeper than `depth` in the text, but the document nests `anchors * depth` levels deep.
    """
    lines = ["a0: &a0 " + "[" * depth + "x" + "]" * depth]
    for number in range(1, anchors):
        lines.append(f"a{number}: &a{number} " + "[" * depth + f"*a{number - 1}" + "]" * depth)
    return "\n".join(lines) + "\n"


REFUSED_YAML: list[Any] = [
    pytest.param(billion_laughs(), "expands to more than 32768 nodes", id="billion-laughs"),
    pytest.param("a: &a [x, *a]\n", "contains itself", id="contains-itself"),
    pytest.param("&a {x: *a}\n", "contains itself", id="mapping-contains-itself"),
    pytest.param("[" * 65 + "]" * 65, "is nested too deep", id="flow-nested-65"),
    pytest.param("[" * 20000, "is nested too deep", id="flow-20000-brackets"),
    pytest.param("{a: " * 100 + "}" * 100, "is nested too deep", id="flow-mappings"),
    pytest.param(nested_block(70), "is nested too deep", id="block-nested-70"),
    pytest.param(alias_chain(20), "is nested too deep", id="aliases-nested-1200"),
    pytest.param(alias_chain(2), "is nested too deep", id="aliases-nested-120"),
    pytest.param("x" * (YAML_LIMIT + 1), "is longer than 32768 characters", id="too-long"),
    pytest.param("- " * MIB, "is longer than 32768 characters", id="1MiB"),
    pytest.param(
        "!!python/object/apply:os.system ['echo pwned']",
        "is not a YAML document of plain values",
        id="python-object-apply",
    ),
    pytest.param(
        "!!python/name:os.system", "is not a YAML document of plain values", id="python-name"
    ),
    pytest.param("!custom x", "is not a YAML document of plain values", id="custom-tag"),
    pytest.param("a: [b", "is not a YAML document of plain values", id="not-yaml"),
    pytest.param("a\n---\nb\n", "is not a YAML document of plain values", id="two-documents"),
    pytest.param("? [a]\n: b\n", "is not a YAML document of plain values", id="list-key"),
    pytest.param("*a", "is not a YAML document of plain values", id="undefined-alias"),
    pytest.param('"\\ud800"', "is not a YAML document of plain values", id="lone-surrogate"),
    pytest.param("a: \x07\n", "is not a YAML document of plain values", id="control-character"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED_YAML)
@pytest.mark.parametrize("key", ["services", "all_services"])
def test_hostile_yaml_is_refused_without_expansion_reported_and_logged_without_its_value(
    text: str, reason: str, key: str, caplog: pytest.LogCaptureFixture
):
    relation = websites_relation({0: website_unit(0, **{key: text, "sitenames": "a"})})
    ctx = proxy_context()
    started = time.monotonic()

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        reverseproxy = mgr.charm.reverseproxy
        extras = reverseproxy.extras()["website/0"]
        parsed = extras.yaml(key)
        again = getattr(extras, key)
        problems = extras.problems()
        malformed = reverseproxy.malformed_units()
        result = reverseproxy.read()

    assert time.monotonic() - started < 5
    assert parsed is None
    assert again is None
    assert extras.raw[key] == (json.loads(text) if text.startswith('"') else text)
    assert extras.yaml("sitenames") == "a"
    assert problems == {key: reason}
    assert malformed == [MalformedUnit(relation.id, "website/0", (key,), f"{key}: {reason}")]
    # The website itself still counts.
    assert plain(result) == (site(0),)
    assert seen == [
        connected(relation.id),
        available(relation.id),
        new_website(relation.id, site(0)),
    ]
    warnings = warnings_of(caplog)
    assert warnings == [
        f"http relation {relation.id}: ignoring what website/0 sent as {key}: {reason}"
    ]
    for secret in ("pwned", "os.system", "lol", "custom", "x" * 10):
        assert secret not in caplog.text


def test_other_extra_keys_refused_as_yaml_are_logged_but_do_not_make_the_unit_malformed(
    caplog: pytest.LogCaptureFixture,
):
    relation = websites_relation({0: website_unit(0, sitenames="[unclosed secret")})

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (
            r.malformed_units(),
            r.extras()["website/0"].yaml("sitenames"),
            r.extras()["website/0"].problems(),
            r.malformed_units(),
        ),
    )

    # Whether the charm asked for the key as YAML or not, the answers are the same.
    assert answers == ([], None, {}, [])
    assert warnings_of(caplog) == [
        f"http relation {relation.id}: ignoring what website/0 sent as sitenames: "
        "is not a YAML document of plain values"
    ]
    assert "secret" not in caplog.text


@pytest.mark.parametrize(
    "text",
    [
        billion_laughs(4),  # 9 ** 4 lists of lols: under the bound
        alias_chain(1, depth=62),
        "[" * 63 + "]" * 63,
        nested_block(62),
        "x" * YAML_LIMIT,
    ],
    ids=["few-laughs", "anchor-62-deep", "flow-63-deep", "block-62-deep", "32KiB"],
)
def test_yaml_within_the_bounds_is_parsed(text: str):
    relation = websites_relation({0: website_unit(0, services=text)})

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.extras()["website/0"].services, r.malformed_units()),
    )

    assert answers[0] == yaml.safe_load(text)
    assert answers[1] == []


def test_a_document_that_exhausts_the_recursion_limit_is_refused_as_nested_too_deep(
    monkeypatch: pytest.MonkeyPatch,
):
    def exhausting(_: yaml.Node) -> None:
        raise RecursionError

    monkeypatch.setattr(http_library, "_check_expansion", exhausting)
    relation = websites_relation({0: website_unit(0, services="[a]")})

    extras = ask(testing.State(relations=[relation]), HttpRequires.extras)["website/0"]

    assert extras.problems() == {"services": "is nested too deep"}


def test_each_yaml_value_is_parsed_once_per_hook(monkeypatch: pytest.MonkeyPatch):
    parsed: list[str] = []
    parse = http_library._parse_yaml  # pyright: ignore[reportPrivateUsage]

    def counting_parse(text: str) -> Any:
        parsed.append(text)
        return parse(text)

    monkeypatch.setattr(http_library, "_parse_yaml", counting_parse)
    relation = websites_relation(
        {
            0: website_unit(0, services=HAPROXY_SERVICES, all_services="{"),
            1: website_unit(1, services="- b\n"),
        }
    )
    ctx = proxy_context(WatchingProxyCharm)

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        for _ in range(3):
            view(mgr.charm.reverseproxy)
            for extras in mgr.charm.reverseproxy.extras().values():
                extras.yaml("services")
                extras.yaml("all_services")
                extras.problems()

    assert sorted(parsed) == sorted([HAPROXY_SERVICES, "{", "- b\n"])


# --- 7. Requirer events and their order -------------------------------------------------------


def test_first_hook_fires_connected_available_then_new_website_with_every_website():
    relation = websites_relation({10: website_unit(10), 2: website_unit(2, port="8081")})
    session = Session(proxy_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 2) == [
        connected(relation.id),
        available(relation.id),
        new_website(relation.id, site(2, 8081), site(10)),
    ]
    assert session.changed(relation.id) == []
    assert session.update_status() == []


class PayloadCharm(ProxyCharm):
    """Keeps each `new_website` payload with what `read(event.relation)` answers beside it."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.payloads: list[tuple[tuple[HttpWebsite, ...], HttpOffer]] = []
        framework.observe(self.reverseproxy.on.new_website, self._keep)

    def _keep(self, event: HttpNewWebsite) -> None:
        self.payloads.append((event.websites, self.reverseproxy.read(event.relation)))


def test_the_new_website_payload_is_typed_and_holds_what_read_answers():
    relation = websites_relation(
        {0: website_unit(0, extended_data=extended_json(("10.0.9.5", 8080, "10.0.9.5")))}
    )
    ctx = testing.Context(PayloadCharm, meta=PROXY_META, config=DEFER_CONFIG)

    with ctx(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    ) as mgr:
        mgr.run()
        ((payload, read),) = mgr.charm.payloads

    assert tuple(as_site(w) for w in payload) == plain(read)
    assert plain(read) == (site(0, extended=[("10.0.9.5", "10.0.9.5", 8080)]),)
    assert type(payload[0]) is HttpWebsite
    assert type(payload[0].extended[0]) is HttpHost


def test_a_unit_without_a_port_only_connects_and_becomes_available_later():
    relation = websites_relation({0: website_unit(0, port=None)})
    session = Session(proxy_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [connected(relation.id)]
    assert session.changed(relation.id, {0: website_unit(0, port=None, hostname="a")}) == []
    assert session.changed(relation.id, {0: website_unit(0)}) == [
        available(relation.id),
        new_website(relation.id, site(0)),
    ]


def test_a_second_unit_joining_fires_new_website_with_both():
    relation = websites_relation({0: website_unit(0)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    session.set_units(relation.id, {0: website_unit(0), 1: website_unit(1)})

    assert session.joined(relation.id, 1) == [new_website(relation.id, site(0), site(1))]


VIP = extended_json(("10.0.9.5", 8080, "10.0.9.5"))


@pytest.mark.parametrize(
    ("before", "change", "expected"),
    [
        ({}, {"port": "8081"}, site(0, 8081)),
        ({}, {"hostname": "www.example"}, site(0, hostname="www.example")),
        ({}, {"private-address": "10.3.1.1"}, site(0, private="10.3.1.1", hostname=address(0))),
        ({"hostname": "www.example"}, {"hostname": None}, site(0)),
        ({}, {"extended_data": VIP}, site(0, extended=[("10.0.9.5", "10.0.9.5", 8080)])),
        ({"extended_data": VIP}, {"extended_data": "garbage"}, site(0)),
        ({"extended_data": VIP}, {"extended_data": None}, site(0)),
        ({}, {"sitenames": "a.example"}, site(0)),
        ({"sitenames": "a.example"}, {"sitenames": None}, site(0)),
        ({}, {"services": HAPROXY_SERVICES}, site(0)),
    ],
    ids=[
        "port",
        "hostname",
        "private-address",
        "hostname-gone",
        "extended-data",
        "extended-data-malformed",
        "extended-data-gone",
        "extra-key",
        "extra-key-gone",
        "services",
    ],
)
def test_a_change_of_a_website_fires_new_website_again(
    before: dict[str, str], change: dict[str, str | None], expected: Site
):
    relation = websites_relation({0: website_unit(0, **before), 1: website_unit(1, port=None)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    units = {0: website_unit(0, **{**before, **change}), 1: website_unit(1, port=None)}
    assert session.changed(relation.id, units) == [new_website(relation.id, expected)]
    assert session.changed(relation.id) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({}, {"port": '"8080"'}),
        ({}, {"hostname": f'"{address(0)}"'}),
        (
            {"extended_data": extended_json(("10.0.9.5", 8080, "10.0.9.5"))},
            {"extended_data": extended_json(("10.0.9.5", "8080", "10.0.9.5"))},
        ),
        (
            {"extended_data": extended_json(("10.0.9.5", 8080, "10.0.9.5"))},
            {"extended_data": '[{"port": 8080, "private-address": "10.0.9.5", "x": 1}]'},
        ),
        (
            {"extended_data": extended_json(("10.0.9.5", 8080, "10.0.9.5"))},
            {"extended_data": json.dumps(extended_json(("10.0.9.5", 8080, "10.0.9.5")))},
        ),
        ({"extended_data": "[]"}, {"extended_data": None}),
        ({}, {"extended_data": "[1]"}),
        ({"sitenames": "a"}, {"sitenames": '"a"'}),
        ({}, {"sitenames": ""}),
        ({}, {"ingress-address": "10.9.9.9", "egress-subnets": "10.9.9.9/32"}),
    ],
    ids=[
        "quoted-port",
        "quoted-hostname",
        "port-as-string",
        "reordered-keys-no-hostname",
        "json-twice",
        "empty-list-gone",
        "malformed-entry",
        "quoted-extra",
        "empty-extra",
        "juju-keys",
    ],
)
def test_the_same_payload_written_differently_fires_nothing(
    before: dict[str, str], after: dict[str, str | None]
):
    relation = websites_relation({0: website_unit(0, **before)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    assert session.changed(relation.id)[0] == connected(relation.id)

    assert session.changed(relation.id, {0: website_unit(0, **{**before, **after})}) == []


def services_only(number: int, services: str = HAPROXY_SERVICES) -> dict[str, str]:
    """A legacy haproxy-style website unit (Landscape, say): Juju's keys and `services` alone."""
    return website_unit(number, hostname=None, port=None, services=services)


OTHER_SERVICES = HAPROXY_SERVICES.replace("balance leastconn", "balance roundrobin")


def test_a_website_that_sends_only_services_is_announced_by_new_website_and_website_removed():
    relation = websites_relation({0: services_only(0)})
    session = Session(proxy_context(), testing.State(relations=[relation]))

    # Not usable, so not `available`: `new_website` announces its extra keys, with no website.
    assert session.joined(relation.id, 0) == [connected(relation.id), new_website(relation.id)]
    assert list(ask(session.state, HttpRequires.extras)) == ["website/0"]
    assert session.changed(relation.id) == []
    assert session.changed(relation.id, {0: services_only(0, OTHER_SERVICES)}) == [
        new_website(relation.id)
    ]
    # The same services, JSON-quoted as a legacy build sent them: no change.
    assert session.changed(relation.id, {0: services_only(0, json.dumps(OTHER_SERVICES))}) == []
    assert session.departed(relation.id, 0) == [
        website_removed(relation.id, "website/0"),
        disconnected(relation.id),
    ]


def test_extra_keys_of_a_unit_that_is_not_usable_fire_new_website_with_the_usable_ones():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1, port=None)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    units = {0: website_unit(0), 1: website_unit(1, port=None, sitenames="b")}
    assert session.changed(relation.id, units) == [new_website(relation.id, site(0))]
    units = {0: website_unit(0), 1: website_unit(1, port=None, sitenames="c")}
    assert session.changed(relation.id, units) == [new_website(relation.id, site(0))]
    # It withdraws its last extra key: it is gone for `extras()`, and the charm hears of it.
    units = {0: website_unit(0), 1: website_unit(1, port=None)}
    assert session.changed(relation.id, units) == [
        website_removed(relation.id, "website/1"),
        new_website(relation.id, site(0)),
    ]


def test_a_website_that_sends_only_services_stays_announced_when_the_usable_ones_go():
    relation = websites_relation({0: website_unit(0), 1: services_only(1)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id),
        new_website(relation.id, site(0)),
    ]

    assert session.departed(relation.id, 0) == [
        website_removed(relation.id, "website/0"),
        unavailable(relation.id),
        new_website(relation.id),
    ]
    # It sends a port too: a usable website now, and still announced.
    usable = {**services_only(1), "port": "8080"}
    assert session.changed(relation.id, {1: usable}) == [
        available(relation.id),
        new_website(relation.id, site(1)),
    ]
    # It withdraws the port and keeps its services: no website any more, its keys stay.
    assert session.changed(relation.id, {1: services_only(1)}) == [
        website_removed(relation.id, "website/1"),
        unavailable(relation.id),
        new_website(relation.id),
    ]


def test_a_record_saved_by_libpatch_3_announces_nothing_again():
    relation = websites_relation({0: website_unit(0, sitenames="a"), 1: website_unit(1)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)
    # LIBPATCH 3 kept no `extras_only` in its record; its digest of usable units was the same.
    (stored,) = [
        s
        for s in session.state.stored_states
        if "HttpRequires" in (s.owner_path or "") and s.name == "_stored"
    ]
    records = {
        key: {k: v for k, v in record.items() if k != "extras_only"}
        for key, record in stored.content["relations"].items()
    }
    earlier = dataclasses.replace(stored, content={**stored.content, "relations": records})
    others = [s for s in session.state.stored_states if s is not stored]
    session.state = dataclasses.replace(session.state, stored_states=[*others, earlier])

    assert session.changed(relation.id) == []
    assert session.departed(relation.id, 0) == [
        website_removed(relation.id, "website/0"),
        new_website(relation.id, site(1)),
    ]


def test_withdrawing_ports_fires_website_removed_then_new_website_or_unavailable():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.changed(relation.id, {0: website_unit(0), 1: website_unit(1, port=None)}) == [
        website_removed(relation.id, "website/1"),
        new_website(relation.id, site(0)),
    ]
    assert session.changed(
        relation.id, {0: website_unit(0, port="x"), 1: website_unit(1, port=None)}
    ) == [website_removed(relation.id, "website/0"), unavailable(relation.id)]
    assert session.changed(relation.id) == []
    assert session.changed(relation.id, {0: website_unit(0), 1: website_unit(1, port=None)}) == [
        available(relation.id),
        new_website(relation.id, site(0)),
    ]


def test_two_units_withdrawing_at_once_are_each_removed_in_unit_number_order():
    relation = websites_relation({n: website_unit(n) for n in (0, 1, 2)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    units = {0: website_unit(0, port=None), 1: website_unit(1), 2: website_unit(2, port=None)}
    assert session.changed(relation.id, units) == [
        website_removed(relation.id, "website/0"),
        website_removed(relation.id, "website/2"),
        new_website(relation.id, site(1)),
    ]


@pytest.mark.parametrize("still_listed", [False, True])
def test_departure_fires_website_removed_and_new_website_then_the_ends_when_last(
    still_listed: bool,
):
    relation = websites_relation({0: website_unit(0), 1: website_unit(1)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 0, still_listed=still_listed) == [
        website_removed(relation.id, "website/0"),
        new_website(relation.id, site(1)),
    ]
    if still_listed:
        assert session.departed(relation.id, 0) == []  # Juju's next view: the unit is gone
    assert session.departed(relation.id, 1, still_listed=still_listed) == [
        website_removed(relation.id, "website/1"),
        unavailable(relation.id),
        disconnected(relation.id),
    ]
    assert session.broken(relation.id) == []


def test_departure_of_a_unit_that_was_never_usable_only_disconnects_when_last():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1, port=None)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0) == [
        website_removed(relation.id, "website/0"),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_relation_broken_ends_everything_in_order():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.changed(relation.id)

    assert session.broken(relation.id) == [
        website_removed(relation.id, "website/0"),
        website_removed(relation.id, "website/1"),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


def test_relation_broken_of_a_connected_relation_without_websites_only_disconnects():
    relation = websites_relation({0: website_unit(0, port=None)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    assert session.changed(relation.id) == [connected(relation.id)]

    assert session.broken(relation.id) == [disconnected(relation.id)]


def test_relation_broken_on_a_relation_never_seen_emits_nothing():
    relation = websites_relation({})
    session = Session(proxy_context(), testing.State(relations=[relation]))

    assert session.broken(relation.id) == []


def test_relation_created_without_units_emits_nothing():
    relation = websites_relation({})
    session = Session(proxy_context(), testing.State(relations=[relation]))

    assert session.run(session.ctx.on.relation_created(relation)) == []


def test_events_are_per_relation():
    first = websites_relation({0: website_unit(0)}, relation_id=4)
    second = websites_relation({0: website_unit(7)}, relation_id=5, app="blog")
    session = Session(proxy_context(), testing.State(relations=[first, second]))
    assert session.changed(first.id) == [
        connected(first.id),
        available(first.id),
        new_website(first.id, site(0)),
    ]
    blog = site(0, hostname=address(7), private=address(7), app="blog")
    assert session.changed(second.id) == [
        connected(second.id),
        available(second.id),
        new_website(second.id, blog),
    ]

    assert session.departed(first.id, 0) == [
        website_removed(first.id, "website/0"),
        unavailable(first.id),
        disconnected(first.id),
    ]
    assert plain(ask(session.state, HttpRequires.read)) == (blog,)
    moved = site(0, 8081, hostname=address(7), private=address(7), app="blog")
    assert session.changed(second.id, {0: website_unit(7, port="8081")}) == [
        new_website(second.id, moved)
    ]


def test_one_hook_ends_before_it_starts_relation_by_relation_oldest_first():
    ended = websites_relation({0: website_unit(0)}, relation_id=3)
    started = websites_relation({}, relation_id=7)
    changed = websites_relation({0: website_unit(2), 1: website_unit(3)}, relation_id=9)
    session = Session(proxy_context(), testing.State(relations=[changed, started, ended]))
    session.changed(ended.id)
    session.changed(changed.id)
    # Hooks were missed meanwhile (the charm was being refreshed, say).
    session.set_units(ended.id, {})
    session.set_units(started.id, {0: website_unit(1)})
    session.set_units(changed.id, {1: website_unit(3), 2: website_unit(4)})

    assert session.upgraded() == [
        website_removed(ended.id, "website/0"),
        unavailable(ended.id),
        disconnected(ended.id),
        connected(started.id),
        available(started.id),
        new_website(started.id, site(0, hostname=address(1), private=address(1))),
        website_removed(changed.id, "website/0"),
        new_website(
            changed.id,
            site(1, hostname=address(3), private=address(3)),
            site(2, hostname=address(4), private=address(4)),
        ),
    ]


# --- 8. One view per hook ---------------------------------------------------------------------


@pytest.mark.parametrize("still_listed", [True, False])
@pytest.mark.parametrize("last", [False, True])
def test_during_departure_every_query_already_leaves_out_the_departing_unit(
    last: bool, still_listed: bool
):
    units = {0: website_unit(0, sitenames="a")}
    if not last:
        units[1] = website_unit(1, port="bad")
    relation = websites_relation(units)
    session = Session(proxy_context(WatchingProxyCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    if not still_listed:
        session.set_units(relation.id, {n: data for n, data in units.items() if n != 0})
    ctx = session.ctx

    event = ctx.on.relation_departed(
        session.relation(relation.id), remote_unit=0, departing_unit=0
    )
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views

    if last:
        expected: View = (False, False, (), [], [], [], [], [relation.id])
        names = [
            "HttpWebsiteRemoved",
            "HttpUnavailable",
            "HttpDisconnected",
            "RelationDepartedEvent",
        ]
    else:
        expected = (True, False, (), [], [], [], ["website/1"], [relation.id])
        names = ["HttpWebsiteRemoved", "HttpUnavailable", "RelationDepartedEvent"]
    assert [name for name, _ in views] == [*names, "CollectStatusEvent"]
    for _, answered in views:
        assert answered == expected


@pytest.mark.parametrize(("unit", "relation_id", "departing"), DEPARTING_ENVIRONMENTS)
def test_the_departing_unit_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str, departing: Any
):
    set_hook_environment(monkeypatch, unit, relation_id)

    assert http_library._departing_in_this_hook() == departing  # pyright: ignore[reportPrivateUsage]


def test_during_departure_a_deferred_events_handler_already_sees_the_departing_unit_gone():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1, sitenames="b")})

    charm = run_departure_after_a_deferred_event(proxy_context(DeferringWatcherCharm), relation, 1)

    assert isinstance(charm, DeferringWatcherCharm)
    # The deferred `available` ran first; collect-status last: one view of the hook.
    assert len(charm.views) >= 2
    assert charm.views[0] == charm.views[-1]


def test_during_departure_of_one_of_two_units_the_new_website_event_and_queries_agree():
    relation = websites_relation(
        {0: website_unit(0), 1: website_unit(1, sitenames="b", extended_data=VIP)}
    )
    session = Session(proxy_context(WatchingProxyCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    event = ctx.on.relation_departed(relation, remote_unit=1, departing_unit=1)
    with ctx(event, session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        seen = mgr.charm.seen

    assert seen == [website_removed(relation.id, "website/1"), new_website(relation.id, site(0))]
    expected: View = (
        True,
        True,
        (site(0),),
        [
            {
                "hostname": address(0),
                "port": "8080",
                "relation_id": relation.id,
                "remote_unit_name": "website/0",
            }
        ],
        [
            {
                "service_name": "website",
                "hosts": [{"hostname": address(0), "private-address": address(0), "port": "8080"}],
            }
        ],
        [],
        [],
        [relation.id],
    )
    assert [name for name, _ in views] == [
        "HttpWebsiteRemoved",
        "HttpNewWebsite",
        "RelationDepartedEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == expected


def test_during_relation_broken_the_relation_is_gone_for_every_query():
    relation = websites_relation(
        {0: website_unit(0, hostname="bad host", sitenames="a"), 1: website_unit(1)}
    )
    session = Session(proxy_context(WatchingProxyCharm), testing.State(relations=[relation]))
    session.changed(relation.id)
    ctx = session.ctx

    with ctx(ctx.on.relation_broken(relation), session.state) as mgr:
        mgr.run()
        views = mgr.charm.views
        broken = mgr.charm.model.get_relation("reverseproxy", relation.id)
        assert broken is not None
        in_broken = mgr.charm.reverseproxy.read(broken)
        extras_in_broken = mgr.charm.reverseproxy.extras(broken)

    assert [name for name, _ in views] == [
        "HttpWebsiteRemoved",
        "HttpWebsiteRemoved",
        "HttpUnavailable",
        "HttpDisconnected",
        "RelationBrokenEvent",
        "CollectStatusEvent",
    ]
    for _, answered in views:
        assert answered == (False, False, (), [], [], [], [], [])
    assert plain(in_broken) == ()
    assert extras_in_broken == {}


def count_reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Record each databag the library reads, and each validation of one, by unit address."""
    reads: list[str] = []
    validations: list[str] = []
    read_databag = http_library._read_databag  # pyright: ignore[reportPrivateUsage]
    validate = HttpProviderData.model_validate

    def counting_reads(databag: Mapping[str, str], known_lists: Any) -> Any:
        reads.append(databag.get("ingress-address", ""))
        return read_databag(databag, known_lists)

    def counting_validations(values: Any, *args: Any, **kwargs: Any) -> Any:
        validations.append(values.get("hostname", ""))
        return validate(values, *args, **kwargs)

    monkeypatch.setattr(http_library, "_read_databag", counting_reads)
    monkeypatch.setattr(HttpProviderData, "model_validate", counting_validations)
    return reads, validations


def ask_everything(reverseproxy: HttpRequires) -> None:
    for _ in range(3):
        view(reverseproxy)
        for relation in reverseproxy.relations:
            reverseproxy.read(relation)
            reverseproxy.extras(relation)


def test_each_databag_is_read_and_validated_once_per_hook(monkeypatch: pytest.MonkeyPatch):
    relation = websites_relation({n: website_unit(n) for n in range(3)})
    other = websites_relation({0: website_unit(3)})
    session = Session(
        proxy_context(WatchingProxyCharm), testing.State(relations=[relation, other])
    )
    reads, validations = count_reads(monkeypatch)
    ctx = session.ctx

    with ctx(ctx.on.relation_changed(relation, remote_unit=1), session.state) as mgr:
        mgr.run()
        ask_everything(mgr.charm.reverseproxy)
        assert len(mgr.charm.seen) == 3  # connected, available, new_website
        assert len(mgr.charm.views) == 2  # in new_website and in collect-status

    assert sorted(reads) == [address(0), address(1), address(2), address(3)]
    assert sorted(validations) == sorted(reads)


def test_a_databag_with_bad_fields_is_validated_once_more_without_them(
    monkeypatch: pytest.MonkeyPatch,
):
    relation = websites_relation(
        {0: website_unit(0, port="bad", extended_data="[1, 2]"), 1: website_unit(1)}
    )
    reads, validations = count_reads(monkeypatch)

    ask(testing.State(relations=[relation]), ask_everything)

    assert sorted(reads) == [address(0), address(1)]
    assert sorted(validations) == [address(0), address(0), address(1)]


def test_a_new_hook_reads_the_databags_afresh(monkeypatch: pytest.MonkeyPatch):
    relation = websites_relation({0: website_unit(0)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    reads, _ = count_reads(monkeypatch)

    session.changed(relation.id)
    assert session.changed(relation.id, {0: website_unit(0, port="8081")}) == [
        new_website(relation.id, site(0, 8081))
    ]
    assert reads == [address(0), address(0)]


NOTHING: View = (False, False, (), [], [], [], [], [])
"""What the requirer's queries answer when its view holds no relation."""


def test_during_relation_broken_a_deferred_events_handler_already_sees_the_relation_gone():
    relation = websites_relation({0: website_unit(0, sitenames="a")})
    ctx = proxy_context(DeferringWatcherCharm)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        testing.State(config={"defer": "x"}, relations=[relation]),
    )
    assert len(state.deferred) == 1
    state = dataclasses.replace(state, config={"defer": ""})

    with ctx(ctx.on.relation_broken(relation), state) as mgr:
        broken = mgr.charm.model.get_relation("reverseproxy", relation.id)
        assert broken is not None
        # Asked before ops runs anything: the library already knows the hook's view.
        offer = mgr.charm.reverseproxy.read(broken)
        extras = mgr.charm.reverseproxy.extras(broken)
        mgr.run()
        charm = mgr.charm

    assert isinstance(charm, DeferringWatcherCharm)
    # The deferred `available` ran first; collect-status last: one view of the hook.
    assert charm.views[0] == charm.views[-1] == NOTHING
    assert (plain(offer), extras) == ((), {})


def test_get_ingress_address_answers_none_for_the_relation_being_broken():
    kept, broken = proxy_relation(), proxy_relation()
    ctx = website_context()

    with ctx(ctx.on.relation_broken(broken), website_state(kept, broken)) as mgr:
        answers = (
            mgr.charm.website.get_ingress_address(broken.id),
            mgr.charm.website.get_ingress_address(kept.id),
        )
        mgr.run()

    assert answers == (None, INGRESS)


# --- 8b. The leaving unit ---------------------------------------------------------------------
# Juju names this unit as the departing one when it is going; ops.testing cannot, so the
# session amends the hook's environment (`demo.deployment.this_unit_named_departing`).


def test_the_leaving_requirer_ends_every_state_in_its_first_departure_and_starts_nothing_after():
    first = websites_relation({0: website_unit(0), 1: services_only(1)}, relation_id=33)
    second = websites_relation({0: website_unit(7)}, relation_id=73, app="blog")
    session = Session(proxy_context(), testing.State(relations=[first, second]))
    session.changed(33)
    session.changed(73)

    assert session.this_unit_departs(33, 0) == [
        website_removed(33, "website/0"),
        website_removed(33, "website/1"),
        unavailable(33),
        disconnected(33),
        website_removed(73, "blog/0"),
        unavailable(73),
        disconnected(73),
    ]
    assert ask(session.state, view) == NOTHING
    # Nothing starts again: not on new data, not on a refresh, not in the other departures.
    assert session.changed(73, {0: website_unit(7, port="8081"), 1: services_only(8)}) == []
    assert session.upgraded() == []
    assert session.this_unit_departs(33, 1) == []
    assert session.this_unit_departs(73, 0) == []
    assert session.broken(33) == []
    assert session.broken(73) == []


def test_the_leaving_requirers_deferred_events_already_see_nothing_in_its_first_departure():
    relation = websites_relation({0: website_unit(0), 1: services_only(1)})
    charm = run_departure_after_a_deferred_event(
        proxy_context(DeferringWatcherCharm), relation, 0, this_unit=True
    )

    assert isinstance(charm, DeferringWatcherCharm)
    # The deferred `available` ran first, and already saw the endpoint as this unit leaves it.
    assert charm.views[0] == charm.views[-1] == NOTHING
    rid = relation.id
    assert charm.seen == [
        website_removed(rid, "website/0"),
        website_removed(rid, "website/1"),
        unavailable(rid),
        disconnected(rid),
    ]


class PublishingWebsiteCharm(WebsiteCharm):
    """Configures its website in relation-departed and update-status, as a charm may."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        for event in (self.on["website"].relation_departed, self.on.update_status):
            framework.observe(event, self._publish)

    def _publish(self, _: ops.EventBase) -> None:
        self.website.configure(8080)


def test_the_leaving_provider_announces_no_start_when_the_charm_publishes_and_writes_nothing():
    relation = proxy_relation((0, 1))
    ctx = testing.Context(PublishingWebsiteCharm, meta=WEBSITE_META, config=DEFER_CONFIG)
    session = Session(ctx, website_state(relation))
    assert session.changed(relation.id) == [proxy_connected(relation.id)]

    # The charm publishes in the hook: the port was never on the relation, and stays off it.
    assert session.this_unit_departs(relation.id, 0) == [proxy_disconnected(relation.id)]
    assert session.update_status() == []
    assert session.changed(relation.id) == []
    assert session.upgraded() == []
    assert session.this_unit_departs(relation.id, 1) == []
    assert local_data(session.state, relation) == JUJU_DEFAULTS

    with ctx(ctx.on.update_status(), session.state) as mgr:
        website = mgr.charm.website
        published = website.published()
        answers = (
            website.is_connected(),
            website.is_available(),
            website.relations,
            website.get_ingress_address(),
            website.get_ingress_address(relation.id),
        )
        mgr.run()
    assert published is not None
    assert published.port == 8080  # kept, not written
    assert answers == (False, False, [], None, None)
    assert session.broken(relation.id) == []


def test_the_leaving_provider_ends_what_it_announced_in_its_first_departure():
    first, second = proxy_relation((0, 1)), proxy_relation((0,))
    ctx = website_context()
    session = Session(ctx, website_state(first, second))
    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.website.configure(8080)
        session.state = mgr.run()
    assert session.library_events() == [
        proxy_connected(first.id),
        proxy_available(first.id),
        proxy_connected(second.id),
        proxy_available(second.id),
    ]

    assert session.this_unit_departs(second.id, 0) == [
        proxy_unavailable(first.id),
        proxy_disconnected(first.id),
        proxy_unavailable(second.id),
        proxy_disconnected(second.id),
    ]
    session.state = publish(session.state, configure(8081))
    assert session.changed(first.id) == []
    assert local_data(session.state, first)["port"] == "8080"
    assert session.broken(first.id) == []
    assert session.broken(second.id) == []


@pytest.mark.parametrize(
    ("relation_id", "departing", "leaving"),
    [
        ("reverseproxy:3", "haproxy/0", True),
        ("cluster:3", "haproxy/0", False),  # another endpoint's departure
        ("reverseproxy:3", "website/0", False),  # a remote unit departs
        ("reverseproxy:3", "", False),
        ("", "haproxy/0", False),
    ],
)
def test_this_unit_is_leaving_when_juju_names_it_departing_a_relation_of_the_endpoint(
    monkeypatch: pytest.MonkeyPatch, relation_id: str, departing: str, leaving: bool
):
    set_hook_environment(monkeypatch, departing, relation_id)

    leaving_in_this_hook = http_library._leaving_in_this_hook  # pyright: ignore[reportPrivateUsage]
    assert leaving_in_this_hook("reverseproxy", "haproxy/0") is leaving


@pytest.mark.parametrize(
    ("relation_id", "hook", "dispatch", "broken"),
    [
        ("reverseproxy:3", "reverseproxy-relation-broken", "", 3),
        ("reverseproxy:3", "", "hooks/reverseproxy-relation-broken", 3),
        ("reverseproxy:3", "reverseproxy-relation-departed", "", None),
        ("cluster:3", "cluster-relation-broken", "", None),
        ("reverseproxy:x", "reverseproxy-relation-broken", "", None),
        ("", "update-status", "", None),
    ],
)
def test_the_relation_being_broken_is_taken_from_the_hook_environment(
    monkeypatch: pytest.MonkeyPatch, relation_id: str, hook: str, dispatch: str, broken: Any
):
    monkeypatch.setenv("JUJU_RELATION_ID", relation_id)
    monkeypatch.setenv("JUJU_HOOK_NAME", hook)
    monkeypatch.setenv("JUJU_DISPATCH_PATH", dispatch)

    broken_in_this_hook = http_library._broken_in_this_hook  # pyright: ignore[reportPrivateUsage]
    assert broken_in_this_hook("reverseproxy") == broken


# --- 9. Provider events -----------------------------------------------------------------------


def test_provider_connected_on_a_proxys_first_unit_only():
    relation = proxy_relation(())
    session = Session(website_context(), website_state(relation))

    assert session.run(session.ctx.on.relation_created(relation)) == []
    session.set_units(relation.id, {0: JUJU_DEFAULTS})
    assert session.joined(relation.id, 0) == [proxy_connected(relation.id)]
    session.set_units(relation.id, {0: JUJU_DEFAULTS, 1: JUJU_DEFAULTS})
    assert session.joined(relation.id, 1) == []
    assert session.changed(relation.id) == []


def test_provider_available_when_its_port_was_already_published_as_the_proxy_joins():
    relation = proxy_relation(())
    state = publish(website_state(relation), configure(8080))
    session = Session(website_context(), state)
    session.set_units(relation.id, {0: JUJU_DEFAULTS})

    assert session.joined(relation.id, 0) == [
        proxy_connected(relation.id),
        proxy_available(relation.id),
    ]


def test_provider_available_when_a_relation_is_created_with_units_already_there():
    relation = proxy_relation((0,))
    state = publish(website_state(), configure(8080))
    session = Session(website_context(), dataclasses.replace(state, relations=[relation]))

    assert session.run(session.ctx.on.relation_created(relation)) == [
        proxy_connected(relation.id),
        proxy_available(relation.id),
    ]
    assert local_data(session.state, relation)["port"] == "8080"


def test_provider_available_fires_from_inside_configure_after_the_proxy_joined():
    relation = proxy_relation()
    session = Session(website_context(), website_state(relation))
    assert session.joined(relation.id, 0) == [proxy_connected(relation.id)]
    ctx = session.ctx

    with ctx(ctx.on.update_status(), session.state) as mgr:
        mgr.charm.website.publish_extra({"sitenames": "a"})
        assert mgr.charm.seen == []  # extra keys alone are no website
        assert not mgr.charm.website.is_available()
        mgr.charm.website.configure(8080)
        assert mgr.charm.seen == [proxy_available(relation.id)]
        assert mgr.charm.website.is_available()
        # Configuring again, or something else, is no new availability.
        mgr.charm.website.configure(8081, hostname="www.example")
        mgr.charm.website.publish_services([DOCSTRING_STANZA])
        assert mgr.charm.seen == [proxy_available(relation.id)]
        state = mgr.run()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.charm.website.clear_website()
        assert mgr.charm.seen == [proxy_unavailable(relation.id)]
        assert mgr.charm.website.is_connected()
        assert not mgr.charm.website.is_available()
        mgr.run()


def test_provider_is_not_available_while_its_ingress_address_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
):
    without_network_get(monkeypatch)
    relation = proxy_relation(local={"private-address": "10.9.9.9"})
    session = Session(website_context(), testing.State(relations=[relation]))
    assert session.joined(relation.id, 0) == [proxy_connected(relation.id)]

    session.state = publish(session.state, configure(8080))
    assert session.changed(relation.id) == []

    session.state = dataclasses.replace(
        session.state,
        relations=[
            dataclasses.replace(
                session.relation(relation.id),
                local_unit_data={"private-address": "10.9.9.9", "ingress-address": "10.4.0.3"},
            )
        ],
    )
    assert session.changed(relation.id) == [proxy_available(relation.id)]


@pytest.mark.parametrize("port", ["nine", "0", "", None])
def test_provider_is_not_available_without_a_valid_port_of_its_own(port: str | None):
    local = {**JUJU_DEFAULTS, "hostname": "10.9.9.1"}
    if port is not None:
        local["port"] = port
    relation = proxy_relation(local=local)
    session = Session(website_context(), website_state(relation))

    assert session.upgraded() == [proxy_connected(relation.id)]


def test_provider_unavailable_and_disconnected_when_the_last_proxy_unit_departs():
    relation = proxy_relation(())
    state = publish(website_state(relation), configure(8080))
    session = Session(website_context(), state)
    session.set_units(relation.id, {0: JUJU_DEFAULTS, 1: JUJU_DEFAULTS})
    assert session.changed(relation.id) == [
        proxy_connected(relation.id),
        proxy_available(relation.id),
    ]

    assert session.departed(relation.id, 1) == []
    assert session.departed(relation.id, 0, still_listed=True) == [
        proxy_unavailable(relation.id),
        proxy_disconnected(relation.id),
    ]
    # What this unit published stays, for a reverse proxy that joins again.
    assert local_data(session.state, relation)["port"] == "8080"
    session.set_units(relation.id, {2: JUJU_DEFAULTS})
    assert session.joined(relation.id, 2) == [
        proxy_connected(relation.id),
        proxy_available(relation.id),
    ]


def test_provider_relation_broken_ends_what_held():
    relation = proxy_relation()
    state = publish(website_state(relation), configure(8080))
    session = Session(website_context(), state)
    session.changed(relation.id)

    assert session.broken(relation.id) == [
        proxy_unavailable(relation.id),
        proxy_disconnected(relation.id),
    ]


class ReconfiguringWebsiteCharm(WebsiteCharm):
    """Configures another port when a relation breaks, and notes the relations it then sees."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.relations_seen: list[int] = []
        framework.observe(self.on["website"].relation_broken, self._reconfigure)

    def _reconfigure(self, _: ops.RelationBrokenEvent) -> None:
        self.website.configure(8081)
        self.relations_seen = [relation.id for relation in self.website.relations]


def test_configuring_during_relation_broken_leaves_the_broken_relation_alone():
    kept, broken = proxy_relation(), proxy_relation()
    ctx = testing.Context(ReconfiguringWebsiteCharm, meta=WEBSITE_META, config=DEFER_CONFIG)
    with ctx(ctx.on.update_status(), website_state(kept, broken)) as mgr:
        mgr.charm.website.configure(8080)
        state = mgr.run()

    with ctx(ctx.on.relation_broken(state.get_relation(broken.id)), state) as mgr:
        out = mgr.run()
        assert mgr.charm.relations_seen == [kept.id]
        assert mgr.charm.seen == [proxy_unavailable(broken.id), proxy_disconnected(broken.id)]

    assert local_data(out, kept)["port"] == "8081"
    assert local_data(out, broken)["port"] == "8080"


def test_one_departing_proxy_does_not_affect_another_relation():
    first, second = proxy_relation(), proxy_relation((0, 1))
    state = publish(website_state(first, second), configure(8080))
    session = Session(website_context(), state)
    session.changed(first.id)
    session.changed(second.id)

    assert session.departed(first.id, 0) == [
        proxy_unavailable(first.id),
        proxy_disconnected(first.id),
    ]
    ctx = session.ctx
    with ctx(ctx.on.update_status(), session.state) as mgr:
        assert mgr.charm.website.is_connected()
        assert [r.id for r in mgr.charm.website.relations] == sorted([first.id, second.id])
        mgr.run()
    assert session.departed(second.id, 1) == []
    assert session.broken(second.id) == [
        proxy_unavailable(second.id),
        proxy_disconnected(second.id),
    ]


# --- 10. Refresh from the reactive charm ---------------------------------------------------------


@pytest.mark.parametrize("end", ["departed", "broken"])
def test_a_refreshed_requirer_announces_what_holds_on_upgrade_charm_and_its_end_later(end: str):
    relation = websites_relation(
        {0: website_unit(0), 1: website_unit(1, extended_data=VIP), 2: website_unit(2, port=None)}
    )
    session = Session(proxy_context(), testing.State(relations=[relation]))

    one = site(1, extended=[("10.0.9.5", "10.0.9.5", 8080)])
    assert session.upgraded() == [
        connected(relation.id),
        available(relation.id),
        new_website(relation.id, site(0), one),
    ]
    assert session.upgraded() == []

    if end == "broken":
        assert session.broken(relation.id) == [
            website_removed(relation.id, "website/0"),
            website_removed(relation.id, "website/1"),
            unavailable(relation.id),
            disconnected(relation.id),
        ]
    else:
        assert session.departed(relation.id, 1) == [
            website_removed(relation.id, "website/1"),
            new_website(relation.id, site(0)),
        ]
        assert session.departed(relation.id, 0) == [
            website_removed(relation.id, "website/0"),
            unavailable(relation.id),
        ]
        assert session.departed(relation.id, 2) == [disconnected(relation.id)]


def test_upgrade_charm_reconciles_several_relations_oldest_first():
    newer = websites_relation({0: website_unit(7)}, relation_id=9, app="blog")
    older = websites_relation({1: website_unit(1, port=None)}, relation_id=2)
    session = Session(proxy_context(), testing.State(relations=[newer, older]))

    assert session.upgraded() == [
        connected(older.id),
        connected(newer.id),
        available(newer.id),
        new_website(newer.id, site(0, hostname=address(7), private=address(7), app="blog")),
    ]


@pytest.mark.parametrize("hook", ["changed", "departed"])
def test_a_relation_without_a_record_is_reconciled_on_any_of_its_hooks(hook: str):
    relation = websites_relation({0: website_unit(0), 1: website_unit(1)})
    session = Session(proxy_context(), testing.State(relations=[relation]))

    if hook == "changed":
        assert session.changed(relation.id) == [
            connected(relation.id),
            available(relation.id),
            new_website(relation.id, site(0), site(1)),
        ]
    else:
        assert session.departed(relation.id, 1) == [
            connected(relation.id),
            available(relation.id),
            new_website(relation.id, site(0)),
        ]


LEGACY_WEBSITE = {
    **JUJU_DEFAULTS,
    "hostname": "10.9.9.1",
    "private-address": "10.9.9.1",
    "port": "81",
    "extended_data": STALE_EXTENDED,
    "services": "- {service_name: old}\n",
    "sitenames": "old.example",
}
"""What a reactive website charm left in its databag."""


@pytest.mark.parametrize("port", ["81", '"81"'])
def test_a_refreshed_provider_counts_the_legacy_port_on_upgrade_and_its_end_later(port: str):
    relation = proxy_relation((0, 1), local={**LEGACY_WEBSITE, "port": port})
    session = Session(website_context(), website_state(relation))

    assert session.upgraded() == [proxy_connected(relation.id), proxy_available(relation.id)]
    assert session.upgraded() == []
    assert local_data(session.state, relation) == {**LEGACY_WEBSITE, "port": port}
    # The charm then withdraws what its reactive version wrote.
    session.state = publish(session.state, HttpProvides.clear_website)
    assert local_data(session.state, relation) == {
        **JUJU_DEFAULTS,
        "private-address": INGRESS,
        "services": "- {service_name: old}\n",
        "sitenames": "old.example",
    }
    assert session.departed(relation.id, 0) == []
    assert session.departed(relation.id, 1) == [proxy_disconnected(relation.id)]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            publish_extra({"sitenames": "new.example"}),
            {**LEGACY_WEBSITE, "sitenames": "new.example"},
        ),
        (
            configure(8080),
            {
                **LEGACY_WEBSITE,
                "hostname": INGRESS,
                "private-address": INGRESS,
                "port": "8080",
                "extended_data": "",
            },
        ),
        (
            publish_services([DOCSTRING_STANZA]),
            {**LEGACY_WEBSITE, "services": DOCSTRING_SERVICES},
        ),
    ],
    ids=["extra-key", "website", "services"],
)
def test_a_refreshed_provider_keeps_the_legacy_wire_data_of_keys_the_charm_never_set(
    call: Callable[[HttpProvides], object], expected: dict[str, str]
):
    relation = proxy_relation(local=LEGACY_WEBSITE)
    session = Session(website_context(), website_state(relation))
    session.upgraded()

    session.state = publish(session.state, call)
    session.changed(relation.id)

    assert local_data(session.state, relation) == {k: v for k, v in expected.items() if v}


class RefreshedWebsiteCharm(WebsiteCharm):
    """The provider example of the library's docstring: it configures in config-changed."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.config_changed, self._on_config_changed)

    def _on_config_changed(self, _: ops.ConfigChangedEvent) -> None:
        self.website.configure(8080)


def test_a_refreshed_provider_configuring_what_its_reactive_version_sent_fires_nothing():
    legacy = {**JUJU_DEFAULTS, "hostname": INGRESS, "private-address": INGRESS, "port": "8080"}
    relation = proxy_relation(local=legacy)
    ctx = testing.Context(RefreshedWebsiteCharm, meta=WEBSITE_META, config=DEFER_CONFIG)
    session = Session(ctx, website_state(relation))
    # Juju runs upgrade-charm, then config-changed, after `juju refresh`.
    assert session.upgraded() == [proxy_connected(relation.id), proxy_available(relation.id)]

    assert session.run(ctx.on.config_changed()) == []
    assert local_data(session.state, relation) == legacy


def test_upgrade_charm_writes_a_changed_ingress_address():
    relation = proxy_relation()
    state = publish(website_state(relation), configure(8080))
    session = Session(
        website_context(), dataclasses.replace(state, networks={network(["10.1.0.9"])})
    )

    session.upgraded()

    assert local_data(session.state, relation) == {
        **JUJU_DEFAULTS,
        "hostname": "10.1.0.9",
        "private-address": "10.1.0.9",
        "port": "8080",
    }


@pytest.mark.parametrize("role", ["requirer", "provider"])
def test_upgrade_charm_drops_records_of_relations_that_no_longer_exist(role: str):
    if role == "requirer":
        kept = websites_relation({0: website_unit(0)})
        gone = websites_relation({0: website_unit(1)})
        ctx: testing.Context[Any] = proxy_context()
        owner = "HttpRequires"
    else:
        kept, gone = proxy_relation(), proxy_relation()
        ctx = website_context()
        owner = "HttpProvides"
    session = Session(ctx, testing.State(relations=[kept, gone]))
    session.changed(kept.id)
    session.changed(gone.id)
    assert set(stored_content(session.state, owner)["relations"]) == {str(kept.id), str(gone.id)}
    session.state = dataclasses.replace(session.state, relations=[kept])

    assert session.upgraded() == []

    assert set(stored_content(session.state, owner)["relations"]) == {str(kept.id)}


@pytest.mark.parametrize("role", ["requirer", "provider"])
def test_relation_broken_drops_the_record_of_the_relation(role: str):
    if role == "requirer":
        relation = websites_relation({0: website_unit(0)})
        ctx: testing.Context[Any] = proxy_context()
        owner = "HttpRequires"
    else:
        relation = proxy_relation()
        ctx = website_context()
        owner = "HttpProvides"
    session = Session(ctx, testing.State(relations=[relation]))
    session.changed(relation.id)

    session.broken(relation.id)

    assert stored_content(session.state, owner)["relations"] == {}


@pytest.mark.parametrize("leader", [True, False])
def test_leader_and_non_leader_see_the_same_events(leader: bool):
    relation = websites_relation({0: website_unit(0)})
    session = Session(proxy_context(), testing.State(leader=leader, relations=[relation]))

    assert session.changed(relation.id) == [
        connected(relation.id),
        available(relation.id),
        new_website(relation.id, site(0)),
    ]
    assert session.departed(relation.id, 0) == [
        website_removed(relation.id, "website/0"),
        unavailable(relation.id),
        disconnected(relation.id),
    ]


# --- 11. Deferral and custom events -------------------------------------------------------------


def test_a_deferred_new_website_event_is_re_emitted_with_the_payload_it_had():
    relation = websites_relation({0: website_unit(0, extended_data=VIP)})
    ctx = proxy_context()
    state = testing.State(config={"defer": "new_website"}, relations=[relation])
    first = site(0, extended=[("10.0.9.5", "10.0.9.5", 8080)])
    with ctx(ctx.on.relation_changed(relation, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == [
            connected(relation.id),
            available(relation.id),
            new_website(relation.id, first),
        ]
    (deferred,) = state.deferred
    assert set(deferred.snapshot_data) == {"relation_name", "relation_id", "payload"}

    # Meanwhile the unit moved and another one came; the deferred event still carries what
    # it announced.
    moved = dataclasses.replace(
        relation, remote_units_data={0: website_unit(0, port="8081"), 1: website_unit(1)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, relations=[moved])
    with ctx(ctx.on.relation_changed(moved, remote_unit=0), state) as mgr:
        state = mgr.run()
        assert mgr.charm.seen == [
            new_website(relation.id, first),
            new_website(relation.id, site(0, 8081), site(1)),
        ]
    assert state.deferred == []


def test_a_deferred_website_removed_event_keeps_its_unit_name():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1)})
    ctx = proxy_context()
    session = Session(
        ctx, testing.State(config={"defer": "website_removed"}, relations=[relation])
    )
    session.changed(relation.id)
    session.departed(relation.id, 1)
    (deferred,) = session.state.deferred
    assert deferred.snapshot_data == {
        "relation_name": "reverseproxy",
        "relation_id": relation.id,
        "unit_name": "website/1",
    }

    state = dataclasses.replace(session.state, config={"defer": ""})
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [website_removed(relation.id, "website/1")]


@pytest.mark.parametrize("kind", ["connected", "available", "unavailable", "disconnected"])
def test_deferred_requirer_events_without_payload_keep_their_relation(kind: str):
    relation = websites_relation({0: website_unit(0)})
    session = Session(proxy_context(), testing.State(relations=[relation]))
    session.state = dataclasses.replace(session.state, config={"defer": kind})
    session.changed(relation.id)
    session.broken(relation.id)
    (deferred,) = session.state.deferred
    assert deferred.snapshot_data == {"relation_name": "reverseproxy", "relation_id": relation.id}

    state = dataclasses.replace(session.state, config={"defer": ""}, relations=[])
    ctx = session.ctx
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [(f"Http{kind.capitalize()}", relation.id)]


@pytest.mark.parametrize("kind", ["connected", "available", "unavailable", "disconnected"])
def test_deferred_provider_events_keep_their_relation(kind: str):
    relation = proxy_relation()
    state = publish(
        dataclasses.replace(website_state(relation), config={"defer": kind}), configure(8080)
    )
    session = Session(website_context(), state)
    session.changed(relation.id)
    session.broken(relation.id)
    (deferred,) = session.state.deferred

    assert deferred.snapshot_data == {"relation_name": "website", "relation_id": relation.id}

    state = dataclasses.replace(session.state, config={"defer": ""})
    ctx = session.ctx
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        assert mgr.charm.seen == [(f"HttpProxy{kind.capitalize()}", relation.id)]


@pytest.mark.parametrize("kind", ["new_website", "website_removed"])
def test_a_deferred_event_outlives_its_relation(kind: str):
    relation = websites_relation({0: website_unit(0)})
    ctx = proxy_context()
    session = Session(ctx, testing.State(config={"defer": kind}, relations=[relation]))
    session.changed(relation.id)
    if kind == "website_removed":
        session.changed(relation.id, {0: website_unit(0, port=None)})

    state = dataclasses.replace(session.state, config={"defer": ""}, relations=[])
    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        expected = (
            new_website(relation.id, site(0))
            if kind == "new_website"
            else website_removed(relation.id, "website/0")
        )
        assert mgr.charm.seen == [expected]


def test_a_deferred_payload_the_current_validation_refuses_is_handed_over_as_it_was(
    caplog: pytest.LogCaptureFixture,
):
    relation = websites_relation({0: website_unit(0, extended_data=VIP), 1: website_unit(1)})
    ctx = proxy_context()
    state = testing.State(config={"defer": "new_website"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    (deferred,) = state.deferred
    payload = json.loads(deferred.snapshot_data["payload"])
    payload["websites"][0]["port"] = 0
    payload["websites"][0]["extended"][0]["hostname"] = "not a host!"
    stored = dataclasses.replace(
        deferred, snapshot_data={**deferred.snapshot_data, "payload": json.dumps(payload)}
    )
    state = dataclasses.replace(state, config={"defer": ""}, deferred=[stored])
    caplog.clear()

    with ctx(ctx.on.update_status(), state) as mgr:
        mgr.run()
        seen = mgr.charm.seen
        (event,) = [e for e in ctx.emitted_events if isinstance(e, HttpNewWebsite)]
        websites = event.websites

    assert seen == [
        new_website(
            relation.id,
            site(0, port=0, extended=[("not a host!", "10.0.9.5", 8080)]),
            site(1),
        )
    ]
    assert [type(w) for w in websites] == [HttpWebsite, HttpWebsite]
    assert type(websites[0].extended[0]) is HttpHost
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in warnings] == [LOGGER, LOGGER]
    messages = [record.getMessage() for record in warnings]
    assert all("a deferred http event carries data" in message for message in messages)
    assert "hostname" in messages[0]
    assert "port" in messages[1]
    assert "not a host!" not in caplog.text


REQUIRER_CUSTOM_EVENTS: list[Any] = [
    pytest.param(HttpRequires.on.connected, (), (), id="HttpConnected"),
    pytest.param(HttpRequires.on.available, (), (), id="HttpAvailable"),
    pytest.param(
        HttpRequires.on.new_website,
        (
            (
                HttpWebsite(
                    relation_id=3,
                    unit_name="website/3",
                    service_name="website",
                    hostname="www.example",
                    private_address="10.0.0.5",
                    port=8080,
                    extended=(HttpHost(hostname="fd00::5", private_address="fd00::5", port=81),),
                ),
            ),
        ),
        ((("website/3", "www.example", "10.0.0.5", 8080, (("fd00::5", "fd00::5", 81),)),),),
        id="HttpNewWebsite",
    ),
    pytest.param(
        HttpRequires.on.new_website,
        (
            (
                {
                    "relation_id": 3,
                    "unit_name": "website/3",
                    "service_name": "website",
                    "hostname": "www.example",
                    "private_address": "10.0.0.5",
                    "port": "8080",
                },
            ),
        ),
        ((("website/3", "www.example", "10.0.0.5", 8080, ()),),),
        id="HttpNewWebsite-from-plain-values",
    ),
    pytest.param(HttpRequires.on.new_website, ((),), ((),), id="HttpNewWebsite-empty"),
    pytest.param(
        HttpRequires.on.website_removed, ("website/3",), ("website/3",), id="HttpWebsiteRemoved"
    ),
    pytest.param(HttpRequires.on.unavailable, (), (), id="HttpUnavailable"),
    pytest.param(HttpRequires.on.disconnected, (), (), id="HttpDisconnected"),
]


@pytest.mark.parametrize(("event", "args", "payload"), REQUIRER_CUSTOM_EVENTS)
def test_each_requirer_event_can_be_emitted_with_ctx_on_custom(
    event: ops.BoundEvent, args: tuple[Any, ...], payload: tuple[Any, ...]
):
    relation = websites_relation({0: website_unit(0)})
    ctx = proxy_context()

    with ctx(ctx.on.custom(event, relation, *args), testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id, *payload)]


def test_a_custom_new_website_event_built_from_unchecked_models_is_handed_over_with_a_warning(
    caplog: pytest.LogCaptureFixture,
):
    relation = websites_relation({0: website_unit(0)})
    ctx = proxy_context()
    website = HttpWebsite.model_construct(
        relation_id=relation.id,
        unit_name="website/0",
        service_name="website",
        hostname="bad host!",
        private_address="10.0.0.5",
        port=8080,
        extended=(),
    )
    event = ctx.on.custom(HttpRequires.on.new_website, relation, (website,))

    with ctx(event, testing.State(relations=[relation])) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [new_website(relation.id, site(0, hostname="bad host!", private="10.0.0.5"))]
    messages = {record.getMessage() for record in caplog.records if record.name == LOGGER}
    assert messages == {
        "a deferred http event carries data this library now refuses: "
        "hostname: must be a host name or an IP address"
    }


@pytest.mark.parametrize(
    "event",
    [
        HttpProvides.on.connected,
        HttpProvides.on.available,
        HttpProvides.on.unavailable,
        HttpProvides.on.disconnected,
    ],
    ids=["connected", "available", "unavailable", "disconnected"],
)
def test_each_provider_event_can_be_emitted_with_ctx_on_custom(event: ops.BoundEvent):
    relation = proxy_relation()
    ctx = website_context()

    with ctx(ctx.on.custom(event, relation), website_state(relation)) as mgr:
        mgr.run()
        seen = mgr.charm.seen

    assert seen == [(event.event_type.__name__, relation.id)]


class RemovalCharm(ProxyCharm):
    """Tries to change the unit name of each `website_removed` event it sees."""

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.refused: list[str] = []
        framework.observe(self.reverseproxy.on.website_removed, self._change)

    def _change(self, event: HttpWebsiteRemoved) -> None:
        try:
            event.unit_name = "other/0"  # type: ignore[misc]
        except AttributeError:
            self.refused.append(event.unit_name)


def test_the_unit_name_of_website_removed_is_a_read_only_property():
    relation = websites_relation({0: website_unit(0), 1: website_unit(1)})
    ctx = testing.Context(RemovalCharm, meta=PROXY_META, config=DEFER_CONFIG)
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation])
    )
    relation = dataclasses.replace(relation, remote_units_data={0: website_unit(0)})

    with ctx(
        ctx.on.relation_departed(relation, remote_unit=1, departing_unit=1),
        dataclasses.replace(state, relations=[relation]),
    ) as mgr:
        mgr.run()
        assert mgr.charm.refused == ["website/1"]
        assert mgr.charm.seen == [
            website_removed(relation.id, "website/1"),
            new_website(relation.id, site(0)),
        ]


# --- 12. Endpoint checks ----------------------------------------------------------------------


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
            ProxyCharm,
            {"name": "p"},
            "the charm has no endpoint 'reverseproxy'; declare it in charmcraft.yaml under "
            "requires: with interface: http",
            id="requirer-missing",
        ),
        pytest.param(
            ProxyCharm,
            {"name": "p", "requires": {"reverseproxy": {"interface": "https"}}},
            "endpoint 'reverseproxy' has interface 'https'; declare it in charmcraft.yaml "
            "under requires: with interface: http",
            id="requirer-wrong-interface",
        ),
        pytest.param(
            ProxyCharm,
            {"name": "p", "provides": {"reverseproxy": {"interface": "http"}}},
            "endpoint 'reverseproxy' is a provides endpoint; declare it in charmcraft.yaml "
            "under requires: with interface: http",
            id="requirer-on-provides",
        ),
        pytest.param(
            WebsiteCharm,
            {"name": "w"},
            "the charm has no endpoint 'website'; declare it in charmcraft.yaml under "
            "provides: with interface: http",
            id="provider-missing",
        ),
        pytest.param(
            WebsiteCharm,
            {"name": "w", "provides": {"website": {"interface": "kafka"}}},
            "endpoint 'website' has interface 'kafka'",
            id="provider-wrong-interface",
        ),
        pytest.param(
            WebsiteCharm,
            {"name": "w", "requires": {"website": {"interface": "http"}}},
            "endpoint 'website' is a requires endpoint; declare it in charmcraft.yaml under "
            "provides: with interface: http",
            id="provider-on-requires",
        ),
        pytest.param(
            WebsiteCharm,
            {"name": "w", "peers": {"website": {"interface": "http"}}},
            "endpoint 'website' is a peer endpoint",
            id="provider-on-peers",
        ),
    ],
)
def test_the_constructor_refuses_an_endpoint_that_does_not_fit(
    charm_type: type[ops.CharmBase], meta: dict[str, Any], message: str, tmp_path: Path
):
    assert message in str(construction_error(charm_type, meta, tmp_path))


def test_endpoints_with_other_names_work_in_both_roles():
    class Both(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.backends = HttpRequires(self, "backends")
            self.frontend = HttpProvides(self, "frontend")

    meta = {
        "name": "balancer",
        "requires": {"backends": {"interface": "http"}},
        "provides": {"frontend": {"interface": "http"}},
    }
    backends = websites_relation_for_testing("backends")
    frontend = proxy_relation_for_testing("frontend")
    ctx = testing.Context(Both, meta=meta)
    state = testing.State(
        relations=[backends, frontend],
        networks={testing.Network("frontend", ingress_addresses=[INGRESS])},
    )

    with ctx(ctx.on.update_status(), state) as mgr:
        (website,) = mgr.charm.backends.read().websites
        mgr.charm.frontend.configure(website.port)
        assert mgr.charm.backends.is_available()
        assert mgr.charm.frontend.is_connected()
        out = mgr.run()

    assert local_data(out, frontend) == {
        **frontend.local_unit_data,
        "hostname": INGRESS,
        "private-address": INGRESS,
        "port": "8080",
    }
    assert local_data(out, backends) == JUJU_DEFAULTS


# --- 13. Test helpers for charm authors --------------------------------------------------------


def test_the_websites_test_relation_holds_one_legacy_website_unit_by_default():
    relation = websites_relation_for_testing()

    answers = ask(
        testing.State(relations=[relation]),
        lambda r: (r.read(), r.websites(), r.extras(), r.malformed_units()),
    )

    assert relation.endpoint == "reverseproxy"
    assert relation.interface == "http"
    assert relation.remote_app_name == "website"
    assert relation.remote_units_data == {
        0: {
            "private-address": "10.0.13.5",
            "ingress-address": "10.0.13.5",
            "egress-subnets": "10.0.13.5/32",
            "hostname": "10.0.13.5",
            "port": "8080",
        }
    }
    assert plain(answers[0]) == (site(0, hostname="10.0.13.5", private="10.0.13.5"),)
    assert answers[1:] == (
        [
            {
                "hostname": "10.0.13.5",
                "port": "8080",
                "relation_id": relation.id,
                "remote_unit_name": "website/0",
            }
        ],
        {},
        [],
    )


def test_the_websites_test_relation_takes_its_sizes_names_services_and_a_malformed_unit():
    relation = websites_relation_for_testing(
        "backends",
        units=3,
        port=8081,
        extended=2,
        services=HAPROXY_SERVICES,
        malformed_unit=True,
        remote_app_name="blog",
    )

    class Charm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.backends = HttpRequires(self, "backends")

    ctx = testing.Context(
        Charm, meta={"name": "p", "requires": {"backends": {"interface": "http"}}}
    )
    with ctx(ctx.on.update_status(), testing.State(relations=[relation])) as mgr:
        result = mgr.charm.backends.read()
        extras = mgr.charm.backends.extras()
        malformed = mgr.charm.backends.malformed_units()
        mgr.run()

    assert relation.remote_units_data[0]["extended_data"] == extended_json(
        ("10.0.14.5", 8081, "10.0.14.5"), ("10.0.14.6", 8081, "10.0.14.6")
    )
    vips = (("10.0.14.5", "10.0.14.5", 8081), ("10.0.14.6", "10.0.14.6", 8081))
    assert plain(result) == tuple(
        site(
            n,
            8081,
            hostname=f"10.0.13.{5 + n}",
            private=f"10.0.13.{5 + n}",
            extended=vips,
            app="blog",
        )
        for n in range(3)
    )
    assert list(extras) == ["blog/0", "blog/1", "blog/2", "blog/3"]
    assert extras["blog/1"].services == yaml.safe_load(HAPROXY_SERVICES)
    assert [(m.unit_name, m.fields) for m in malformed] == [
        ("blog/3", ("extended_data", "hostname", "private-address", "port"))
    ]


def test_the_websites_test_relation_fires_the_requirer_events():
    relation = websites_relation_for_testing(units=2)
    session = Session(proxy_context(), testing.State(relations=[relation]))

    assert session.joined(relation.id, 0) == [
        connected(relation.id),
        available(relation.id),
        new_website(
            relation.id,
            site(0, hostname="10.0.13.5", private="10.0.13.5"),
            site(1, hostname="10.0.13.6", private="10.0.13.6"),
        ),
    ]


def test_the_proxy_test_relation_makes_the_provider_connected_and_available():
    relation = proxy_relation_for_testing(units=2, remote_app_name="apache2")
    assert relation.endpoint == "website"
    assert relation.interface == "http"
    assert relation.remote_app_name == "apache2"
    assert relation.remote_units_data[1] == {
        "private-address": "10.0.15.6",
        "ingress-address": "10.0.15.6",
        "egress-subnets": "10.0.15.6/32",
    }
    session = Session(website_context(), website_state(relation))

    assert session.joined(relation.id, 0) == [proxy_connected(relation.id)]
    session.state = publish(session.state, configure(8080))
    assert local_data(session.state, relation)["hostname"] == INGRESS
    assert session.departed(relation.id, 0) == []
    assert session.departed(relation.id, 1) == [
        proxy_unavailable(relation.id),
        proxy_disconnected(relation.id),
    ]


def test_the_test_helpers_import_ops_testing_only_when_called():
    source = Path(http_library.__file__).read_text()
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]

    assert not any("ops.testing" in line or "scenario" in line for line in top_level)
