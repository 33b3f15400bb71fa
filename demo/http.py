# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The http story: a website with a virtual IP behind a reverse proxy, through the library.

Both applications run the demo charm. `website` uses its `website` endpoint (`HttpProvides`)
and publishes the port in its config, with the unit's address and the virtual IP the units
share. `proxy` uses its `reverseproxy` endpoint (`HttpRequires`) and renders, from
`services()`, the haproxy backends it would serve, into a file the story prints.

A chapter relates a website that still runs the legacy reactive charm, then refreshes it to
the demo charm: the reverse proxy reads the legacy bytes as it reads its own, and sees no
change when the library rewrites them.

A last chapter relates a legacy website that sends only `services` (haproxy stanzas), as
Landscape's charm does: it has no port, so it is no website that `services()` lists, but the
proxy hears of it when it relates, when its services change and when it goes.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
from collections.abc import Iterable
from pathlib import Path

import ops
import yaml

from charm import NOTHING_TO_DO, LegacyInterfacesDemoCharm
from demo import story
from demo.deployment import (
    Application,
    Endpoint,
    HookRun,
    Integration,
    Unit,
    load_charmcraft_yaml,
)
from demo.story import Lifecycle, Stage, Story, expect, expect_status
from http_roles import BACKENDS_FILE

# The demo charm's units are mysql-innodb-cluster peers too, whose events are the
# innodb-cluster story's to check: this story checks the http library's events.
LIBRARIES = ("charms.http.v0.http",)
fired_on = functools.partial(story.fired_on, libraries=LIBRARIES)
expect_fired = functools.partial(story.expect_fired, libraries=LIBRARIES)

WEBSITE_PORT = 8080
VIP = "10.1.0.100"
MOVED_VIP = "10.1.0.200"
# The keys a website writes; Juju's own `private-address` is among them, overwritten.
WEBSITE_KEYS = ("hostname", "private-address", "port", "extended_data")
# The library events each side sees when a relation of it starts, and ends.
PROXY_STARTS = ["HttpConnected", "HttpAvailable", "HttpNewWebsite"]
WEBSITE_STARTS = ["HttpProxyConnected", "HttpProxyAvailable"]
WEBSITE_ENDS = ["HttpProxyUnavailable", "HttpProxyDisconnected"]
PROXY_ENDS = ["HttpWebsiteRemoved", "HttpUnavailable", "HttpDisconnected"]
# A website that sends only `services` is announced without `HttpAvailable`.
SERVICES_ONLY_STARTS = ["HttpConnected", "HttpNewWebsite"]
SERVICES_ONLY_ENDS = ["HttpWebsiteRemoved", "HttpDisconnected"]
MOVED_PORT = 8081


class ReactiveWebsiteStandIn(ops.CharmBase):
    """What the simulator can run of a legacy reactive website: the bytes its layer wrote.

    Reactive code cannot run under ops.testing. A website charm built on an interface-http
    release that published through `to_publish`, which JSON-encodes every value, called
    `configure(port)` when a reverse proxy joined; the stand-in writes what that call wrote:
    its ingress address, JSON-quoted, as `hostname` and `private-address`, and the port, an
    integer, as a JSON number. It is deployed with the demo charm's metadata (the same
    endpoint) and `website-port` set to the same port, which the refresh keeps.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["website"].relation_joined, self._on_website_joined)

    def _on_website_joined(self, event: ops.RelationJoinedEvent) -> None:
        databag = event.relation.data[self.unit]
        address = databag["ingress-address"]
        databag.update(
            {
                "hostname": json.dumps(address),
                "private-address": json.dumps(address),
                "port": json.dumps(WEBSITE_PORT),
            }
        )


class ServicesOnlyWebsiteStandIn(ops.CharmBase):
    """A legacy website that sends only `services`, as Landscape's charm does.

    Such a charm hands haproxy its own stanzas, servers included, and no `hostname` or
    `port`: haproxy takes a unit's `services` as they are. The stand-in writes, on every
    relation of its `website` endpoint, one stanza whose server is the unit at its ingress
    address on `website-port`; when a relation joins, and again when its config changes. It
    is deployed with the demo charm's metadata, for the endpoint and the option.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on["website"].relation_joined, self._publish)
        framework.observe(self.on.config_changed, self._publish)

    def _publish(self, _: ops.EventBase) -> None:
        port = int(self.config.get("website-port", WEBSITE_PORT))
        for relation in self.model.relations["website"]:
            databag = relation.data[self.unit]
            databag["services"] = legacy_services(self.unit.name, databag["ingress-address"], port)


@dataclasses.dataclass(frozen=True)
class Cast:
    """The story's applications, their relation, and where the proxy writes its backends."""

    website: Application
    proxy: Application
    relation: Integration
    """website:website to proxy:reverseproxy."""
    backends: Path
    """The proxy's `backends.cfg`."""


class HttpStory(Story):
    """Relate, scale out, move the virtual IP, scale in, break; then a reactive website.

    The last chapter relates a website while it runs the reactive charm, then refreshes it to
    the demo charm, which rewrites the legacy bytes in its own without changing their meaning.
    """

    title = (
        "http: a website of two units with a virtual IP (app website) behind a reverse proxy "
        "(app proxy)"
    )

    # Steps 1-6: relate, scale out, the virtual IP moves, a unit leaves, unrelate; then the
    # refresh chapter and a legacy website.
    lifecycles = (Lifecycle("http", "charms.http.v0.http", steps=6),)

    def play(self, stage: Stage) -> str:
        """Tell the story; return its summary."""
        website, proxy = self._deploy(stage)
        cast = self._relate(stage, website, proxy)
        self._scale_out(stage, cast)
        self._move_vip(stage, cast)
        self._remove_unit(stage, cast)
        self._remove_relation(stage, cast)
        legacy = self._relate_reactive_website(stage, cast)
        self._refresh_reactive_website(stage, cast, legacy)
        landscape = self._relate_services_only_website(stage, cast, legacy)
        self._change_services(stage, cast, legacy, landscape)
        self._remove_services_only_website(stage, cast, legacy, landscape)
        return self._finish(stage, cast, legacy)

    def _deploy(self, stage: Stage) -> tuple[Application, Application]:
        stage.step("deploy the demo charm twice: as a website of two units, and as a proxy")
        stage.transcript.note(
            f"juju config website website-port={WEBSITE_PORT} website-vips={VIP}"
        )
        deployment = stage.deployment
        deployment.deploy(
            "website",
            LegacyInterfacesDemoCharm,
            units=2,
            config={"website-port": WEBSITE_PORT, "website-vips": VIP},
        )
        deployment.deploy(
            "proxy",
            LegacyInterfacesDemoCharm,
            config={"reverseproxy-config-dir": str(stage.workdir / "proxy")},
        )
        website, proxy = deployment.apps["website"], deployment.apps["proxy"]
        for unit in _units(website):
            expect_status(unit, "active", website_active(VIP))
        expect_status(_first(proxy), "blocked", NOTHING_TO_DO)
        return website, proxy

    def _relate(self, stage: Stage, website: Application, proxy: Application) -> Cast:
        stage.step("relate website:website to proxy:reverseproxy")
        runs = stage.deployment.integrate(
            Endpoint(website, "website"), Endpoint(proxy, "reverseproxy"), "http"
        )
        cast = Cast(
            website,
            proxy,
            stage.deployment.integrations[-1],
            Path(str(proxy.config["reverseproxy-config-dir"])) / BACKENDS_FILE,
        )
        for unit in _units(website):
            expect_fired(runs, unit, WEBSITE_STARTS)
        # One website per unit joining: website/0, then both.
        expect_fired(runs, _first(proxy), [*PROXY_STARTS, "HttpNewWebsite"])
        expect_website_wire(cast, VIP)
        self._expect_backends(stage, cast, {"website": [*_addresses(website), VIP]})
        stage.transcript.note(
            "both website units send the virtual IP in extended_data; services() lists it once"
        )
        return cast

    def _scale_out(self, stage: Stage, cast: Cast) -> None:
        stage.step("website scales out to 3 units")
        runs = stage.deployment.add_unit(cast.website)
        expect_fired(runs, _units(cast.website)[-1], WEBSITE_STARTS)
        expect_fired(runs, _first(cast.proxy), ["HttpNewWebsite"])
        expect_website_wire(cast, VIP)
        self._expect_backends(stage, cast, {"website": [*_addresses(cast.website), VIP]})

    def _move_vip(self, stage: Stage, cast: Cast) -> None:
        stage.step("move the virtual IP")
        stage.transcript.note(f"juju config website website-vips={MOVED_VIP}")
        runs = stage.deployment.config(cast.website, {"website-vips": MOVED_VIP})
        for unit in _units(cast.website):
            expect_fired(runs, unit, [])
            expect_status(unit, "active", website_active(MOVED_VIP))
        expect_website_wire(cast, MOVED_VIP)
        # Every unit had republished before the proxy's first hook ran: one change, seen once.
        expect_fired(runs, _first(cast.proxy), ["HttpNewWebsite"])
        self._expect_backends(stage, cast, {"website": [*_addresses(cast.website), MOVED_VIP]})

    def _remove_unit(self, stage: Stage, cast: Cast) -> None:
        stage.step("remove website/1")
        leaving = cast.website.units[1]
        runs = stage.deployment.remove_unit(leaving)
        expect_fired(runs, leaving, WEBSITE_ENDS)
        expect_fired(runs, _first(cast.proxy), ["HttpWebsiteRemoved", "HttpNewWebsite"])
        self._expect_backends(stage, cast, {"website": [*_addresses(cast.website), MOVED_VIP]})

    def _remove_relation(self, stage: Stage, cast: Cast) -> None:
        stage.step("remove the relation website:website to proxy:reverseproxy")
        runs = stage.deployment.remove_integration(cast.relation)
        for unit in _units(cast.website):
            expect_fired(runs, unit, WEBSITE_ENDS)
            # Still a website, for the reverse proxies that will relate.
            expect_status(unit, "active", website_active(MOVED_VIP))
        # One website departs, then the last one.
        expect_fired(
            runs, _first(cast.proxy), ["HttpWebsiteRemoved", "HttpNewWebsite", *PROXY_ENDS]
        )
        self._expect_backends(stage, cast, {}, status=("blocked", NOTHING_TO_DO))

    def _relate_reactive_website(self, stage: Stage, cast: Cast) -> Application:
        stage.step(
            "refresh from the reactive charm: relate proxy:reverseproxy to a website running it"
        )
        stage.transcript.note(
            "app legacy runs the reactive charm, played by a stand-in that writes what an "
            "interface-http release wrote: every value JSON-encoded, addresses in quotes"
        )
        legacy, relation, runs = _relate_legacy_website(
            stage, cast, "legacy", ReactiveWebsiteStandIn
        )
        unit = _first(legacy)
        quoted = json.dumps(unit.address)
        expect_wire(
            unit,
            relation,
            {"hostname": quoted, "private-address": quoted, "port": str(WEBSITE_PORT)},
        )
        expect_fired(runs, _first(cast.proxy), PROXY_STARTS)
        self._expect_backends(stage, cast, {"legacy": [unit.address]})
        stage.transcript.note(f"proxy/0 reads {quoted} as {unit.address}, without the quotes")
        return legacy

    def _refresh_reactive_website(self, stage: Stage, cast: Cast, legacy: Application) -> None:
        stage.step("juju refresh legacy to the demo charm (ops)")
        stage.transcript.note(
            "the ops charm finds no stored state: in upgrade-charm the library announces what "
            "already holds, and the charm publishes its port, in the library's bytes"
        )
        runs = stage.deployment.refresh(legacy, LegacyInterfacesDemoCharm, keep_stored_state=False)
        unit = _first(legacy)
        expect_fired(runs, unit, WEBSITE_STARTS)
        upgrade = [run for run in runs if run.hook.kind == "upgrade-charm"]
        expect(
            [(run.fired, bool(run.changes)) for run in upgrade] == [(WEBSITE_STARTS, True)],
            f"{unit.name} should see {WEBSITE_STARTS} and publish in upgrade-charm",
        )
        expect_wire(
            unit,
            stage.deployment.integrations[-1],
            {"hostname": unit.address, "private-address": unit.address, "port": str(WEBSITE_PORT)},
        )
        expect_status(unit, "active", f"website on port {WEBSITE_PORT}")
        # The bytes changed, not what they mean: the proxy's hook runs, and nothing fires.
        proxy = _first(cast.proxy)
        expect(any(run.unit is proxy for run in runs), "proxy/0 should see the databag change")
        expect_fired(runs, proxy, [])
        self._expect_backends(stage, cast, {"legacy": [unit.address]})
        stage.transcript.note("proxy/0 reads the same website: no event, the same backend")

    def _relate_services_only_website(
        self, stage: Stage, cast: Cast, legacy: Application
    ) -> tuple[Application, Integration]:
        stage.step("relate proxy:reverseproxy to a legacy website that sends only services")
        stage.transcript.note(
            "app landscape runs a legacy charm that hands haproxy its own stanzas, as "
            "Landscape's does, played by a stand-in: services, and no hostname or port"
        )
        landscape, relation, runs = _relate_legacy_website(
            stage, cast, "landscape", ServicesOnlyWebsiteStandIn
        )
        unit = _first(landscape)
        expect_services_only_wire(unit, relation, WEBSITE_PORT)
        # No port, so no `HttpAvailable`: `HttpNewWebsite` announces its services alone.
        expect_fired(runs, _first(cast.proxy), SERVICES_ONLY_STARTS)
        self._expect_backends(stage, cast, {"legacy": [_first(legacy).address]})
        stage.transcript.note(
            "proxy/0 hears of landscape/0, whose services extras() reads; services() lists "
            "websites with a port, so its backends stay as they were"
        )
        return landscape, relation

    def _change_services(
        self,
        stage: Stage,
        cast: Cast,
        legacy: Application,
        landscape: tuple[Application, Integration],
    ) -> None:
        stage.step(f"landscape's server moves to port {MOVED_PORT}: its services change")
        stage.transcript.note(f"juju config landscape website-port={MOVED_PORT}")
        app, relation = landscape
        runs = stage.deployment.config(app, {"website-port": MOVED_PORT})
        expect_services_only_wire(_first(app), relation, MOVED_PORT)
        expect_fired(runs, _first(cast.proxy), ["HttpNewWebsite"])
        self._expect_backends(stage, cast, {"legacy": [_first(legacy).address]})

    def _remove_services_only_website(
        self,
        stage: Stage,
        cast: Cast,
        legacy: Application,
        landscape: tuple[Application, Integration],
    ) -> None:
        stage.step("remove the relation landscape:website to proxy:reverseproxy")
        _, relation = landscape
        runs = stage.deployment.remove_integration(relation)
        expect_fired(runs, _first(cast.proxy), SERVICES_ONLY_ENDS)
        self._expect_backends(stage, cast, {"legacy": [_first(legacy).address]})

    def _expect_backends(
        self,
        stage: Stage,
        cast: Cast,
        servers: dict[str, list[str]],
        status: tuple[str, str] | None = None,
    ) -> None:
        """Check and show the proxy's backends file and status: these servers per application."""
        expected = legacy_backends(servers)
        text = cast.backends.read_text() if cast.backends.is_file() else None
        expect(text == expected, f"proxy/0 should render {expected!r}, rendered {text!r}")
        stage.transcript.note(
            f"proxy/0's {BACKENDS_FILE}:" if text else f"proxy/0's {BACKENDS_FILE} is empty"
        )
        for line in expected.splitlines():
            stage.transcript.note(f"    {line}")
        name, message = status or ("active", proxy_active(servers))
        expect_status(_first(cast.proxy), name, message)

    def _finish(self, stage: Stage, cast: Cast, legacy: Application) -> str:
        proxy_events = _compressed(fired_on(stage.runs, _first(cast.proxy)))
        upgrade = (run for run in stage.runs if run.hook.kind == "upgrade-charm")
        refreshed = " > ".join(fired_on(upgrade, _first(legacy)))
        return (
            f"http: OK - {len(stage.runs)} hooks run; proxy/0 saw {proxy_events}, and its "
            f"{BACKENDS_FILE} held the expected backends after every step; legacy/0 saw "
            f"{refreshed} when refreshed, and its new bytes fired nothing on proxy/0; "
            "landscape/0, which sends only services, was heard of as it came, changed and went"
        )


# --- What the story checks -------------------------------------------------------------------


def expect_wire(unit: Unit, integration: Integration, expected: dict[str, str]) -> None:
    """Check the website keys in the unit's databag, `private-address` included."""
    databag = unit.databag(integration)
    bag = {key: databag[key] for key in WEBSITE_KEYS if key in databag}
    expect(bag == expected, f"{unit.name} should publish {expected}, publishes {bag}")


def expect_website_wire(cast: Cast, vip: str) -> None:
    """Check every website unit publishes its address first, then the virtual IP."""
    for unit in _units(cast.website):
        expect_wire(
            unit,
            cast.relation,
            {
                "hostname": unit.address,
                "private-address": unit.address,
                "port": str(WEBSITE_PORT),
                "extended_data": legacy_extended_data(vip),
            },
        )


def _relate_legacy_website(
    stage: Stage, cast: Cast, name: str, charm: type[ops.CharmBase]
) -> tuple[Application, Integration, list[HookRun]]:
    """Deploy a legacy website's stand-in as app `name`, and relate it to the proxy.

    The stand-in is deployed with the demo charm's metadata: a legacy charm declares the same
    `website` endpoint (and the port option) as the charm it is refreshed to.
    """
    deployment = stage.deployment
    deployment.deploy(
        name,
        charm,
        config={"website-port": WEBSITE_PORT},
        charmcraft_yaml=load_charmcraft_yaml(LegacyInterfacesDemoCharm),
    )
    app = deployment.apps[name]
    runs = deployment.integrate(
        Endpoint(app, "website"), Endpoint(cast.proxy, "reverseproxy"), "http"
    )
    return app, deployment.integrations[-1], runs


def expect_services_only_wire(unit: Unit, integration: Integration, port: int) -> None:
    """Check the unit sends its stanzas in `services`, and none of a website's own keys."""
    databag = unit.databag(integration)
    expected = legacy_services(unit.name, unit.address, port)
    sent = databag.get("services")
    expect(sent == expected, f"{unit.name} should send services {expected!r}, sends {sent!r}")
    # Juju's own private-address is the unit's address: nothing overwrote it.
    bag = {key: databag[key] for key in WEBSITE_KEYS if key in databag}
    expect(bag == {"private-address": unit.address}, f"{unit.name} should send no website keys")


def legacy_services(unit_name: str, address: str, port: int) -> str:
    """The `services` YAML of a Landscape-style website, as legacy charms wrote it.

    One stanza, naming the unit as its server, written with `yaml.safe_dump` in block style.
    """
    server = [f"{unit_name.replace('/', '-')}-{port}", address, port, "check"]
    stanza = {
        "service_name": "landscape-http",
        "service_host": "0.0.0.0",  # noqa: S104 - where haproxy listens, not this code
        "service_port": 80,
        "service_options": ["mode http", "balance leastconn"],
        "servers": [server],
    }
    return yaml.safe_dump([stanza], default_flow_style=False)


def legacy_extended_data(vip: str) -> str:
    """The bytes the legacy layer wrote for one further address, the port a number, by hand."""
    return f'[{{"hostname": "{vip}", "port": {WEBSITE_PORT}, "private-address": "{vip}"}}]'


def legacy_backends(servers: dict[str, list[str]]) -> str:
    """The backends file for these addresses per application, written out by hand.

    The servers are in the order of `services()`: sorted by address as text.
    """
    stanzas = [
        f"backend {name}\n"
        + "".join(
            f"    server {address}-{WEBSITE_PORT} {address}:{WEBSITE_PORT} check\n"
            for address in sorted(addresses)
        )
        for name, addresses in servers.items()
    ]
    return "\n".join(stanzas)


def website_active(vip: str) -> str:
    """A website unit's status while it publishes its port and this virtual IP."""
    return f"website on port {WEBSITE_PORT}, virtual IP {vip}"


def proxy_active(servers: dict[str, list[str]]) -> str:
    """The proxy's status while it serves these addresses per application."""
    backends = ", ".join(
        f"{name} ({len(addresses)} server{'' if len(addresses) == 1 else 's'})"
        for name, addresses in servers.items()
    )
    return f"proxying {backends}"


def _addresses(app: Application) -> list[str]:
    """The addresses of the application's units."""
    return [unit.address for unit in _units(app)]


def _compressed(names: Iterable[str]) -> str:
    """Event names in order, a run of the same one as `name x3`."""
    runs = [(name, len(list(group))) for name, group in itertools.groupby(names)]
    return " > ".join(name if count == 1 else f"{name} x{count}" for name, count in runs)


def _units(app: Application) -> list[Unit]:
    """The application's units, in unit-number order."""
    return [app.units[number] for number in sorted(app.units)]


def _first(app: Application) -> Unit:
    """The application's lowest-numbered unit."""
    return app.units[min(app.units)]
