"""The http story end to end, and the demo charm's website and reverse-proxy roles.

The end-to-end tests read the story's part of `make demo`'s output: which step, which unit,
which hook, which library events in which order, the bytes the websites publish and the
backends the proxy renders. The role tests run the demo charm through `ops.testing` with the
library's test helpers.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import ops
import pytest
from ops import testing

from charm import LegacyInterfacesDemoCharm
from charms.http.v0.http import (
    HttpProvides,
    HttpRequires,
    HttpWebsite,
    proxy_relation_for_testing,
    websites_relation_for_testing,
)
from demo.deployment import charm_context, load_charmcraft_yaml
from demo.etcd import EtcdStory
from demo.http import HttpStory
from demo.kafka import KafkaStory
from demo.runner import main
from http_roles import render_backends
from tests.demo.reading import (
    events_on,
    hook_blocks,
    hooks_in_step,
    notes_in_step,
    steps,
    story_section,
    titles,
)

NOTHING_TO_DO = "relate an endpoint, or configure etcd, zookeeper, kafka, a website or a cluster"
CHARMCRAFT = load_charmcraft_yaml(LegacyInterfacesDemoCharm)
WEBSITE_STARTS = ["HttpProxyConnected", "HttpProxyAvailable"]
WEBSITE_ENDS = ["HttpProxyUnavailable", "HttpProxyDisconnected"]


def extended(*vips: str, port: str = "8080") -> str:
    """The legacy `extended_data` bytes for these addresses, written out by hand."""
    entries = [
        f'{{"hostname": "{vip}", "port": {port}, "private-address": "{vip}"}}' for vip in vips
    ]
    return "[" + ", ".join(entries) + "]"


def backend_notes(name: str, *addresses: str) -> list[str]:
    """The story's notes that show the proxy's backends.cfg holding one backend."""
    servers = [f"        server {address}-8080 {address}:8080 check" for address in addresses]
    return ["proxy/0's backends.cfg:", f"    backend {name}", *servers]


@pytest.fixture(scope="module")
def transcript(demo_output: str) -> str:
    """The http story's part of `make demo`'s output."""
    return story_section(demo_output, HttpStory.title)


# --- make demo, end to end -----------------------------------------------------------------


def test_make_demo_tells_the_http_story_after_etcd_and_kafka(demo_output: str):
    assert titles(demo_output)[:3] == [EtcdStory.title, KafkaStory.title, HttpStory.title]
    assert any(line.startswith("http: OK - ") for line in demo_output.splitlines())


def test_the_story_ends_with_its_summary(transcript: str):
    assert transcript.rstrip().splitlines()[-1] == (
        "http: OK - 101 hooks run; proxy/0 saw HttpConnected > HttpAvailable > HttpNewWebsite "
        "x4 > HttpWebsiteRemoved > HttpNewWebsite > HttpWebsiteRemoved > HttpNewWebsite > "
        "HttpWebsiteRemoved > HttpUnavailable > HttpDisconnected > HttpConnected > "
        "HttpAvailable > HttpNewWebsite > HttpConnected > HttpNewWebsite x2 > "
        "HttpWebsiteRemoved > HttpDisconnected, and its backends.cfg held the expected "
        "backends after every step; legacy/0 saw HttpProxyConnected > HttpProxyAvailable when "
        "refreshed, and its new bytes fired nothing on proxy/0; landscape/0, which sends only "
        "services, was heard of as it came, changed and went"
    )


def test_steps_tell_the_story_in_order(transcript: str):
    assert steps(transcript) == [
        "deploy the demo charm twice: as a website of two units, and as a proxy",
        "relate website:website to proxy:reverseproxy",
        "website scales out to 3 units",
        "move the virtual IP",
        "remove website/1",
        "remove the relation website:website to proxy:reverseproxy",
        "refresh from the reactive charm: relate proxy:reverseproxy to a website running it",
        "juju refresh legacy to the demo charm (ops)",
        "relate proxy:reverseproxy to a legacy website that sends only services",
        "landscape's server moves to port 8081: its services change",
        "remove the relation landscape:website to proxy:reverseproxy",
    ]


def test_deployed_websites_say_what_they_publish_and_the_proxy_has_nothing_to_do(
    transcript: str,
):
    statuses = {
        block.unit: block.lines
        for block in hook_blocks(transcript)
        if block.step == 1 and block.hook == "config-changed"
    }

    assert statuses == {
        "website/0": ["status  active: website on port 8080, virtual IP 10.1.0.100"],
        "website/1": ["status  active: website on port 8080, virtual IP 10.1.0.100"],
        "proxy/0": [],  # blocked since install
    }


def test_each_website_unit_publishes_its_address_first_then_the_virtual_ip(transcript: str):
    created = [
        b for b in hook_blocks(transcript) if b.step == 2 and b.hook == "website-relation-created"
    ]

    # private-address is Juju's own value, the unit's address, so it shows no change.
    assert [(b.unit, b.lines) for b in created] == [
        (
            f"website/{number}",
            [
                # Relations 0 and 1 are the peer relations of website and proxy.
                f"databag website/{number} on relation 2 (website:website to proxy:reverseproxy)",
                f"+ extended_data  {extended('10.1.0.100')}",
                f"+ hostname       10.1.0.1{number}",
                "+ port           8080",
            ],
        )
        for number in (0, 1)
    ]


def test_the_proxy_renders_each_address_once_though_both_units_send_the_vip(transcript: str):
    proxy = [b for b in hook_blocks(transcript) if b.step == 2 and b.unit == "proxy/0"]

    assert [(b.hook, b.detail, b.events) for b in proxy] == [
        ("reverseproxy-relation-created", "", []),
        (
            "reverseproxy-relation-joined",
            "remote website/0",
            ["HttpConnected", "HttpAvailable", "HttpNewWebsite"],
        ),
        ("reverseproxy-relation-changed", "remote website/0", []),
        ("reverseproxy-relation-joined", "remote website/1", ["HttpNewWebsite"]),
        ("reverseproxy-relation-changed", "remote website/1", []),
    ]
    assert proxy[0].lines == ["status  waiting: waiting for a website"]
    assert proxy[3].lines[-1] == "status  active: proxying website (3 servers)"
    # Sorted as services() sorts them: by address, as text.
    assert notes_in_step(transcript, 2) == [
        *backend_notes("website", "10.1.0.10", "10.1.0.100", "10.1.0.11"),
        "both website units send the virtual IP in extended_data; services() lists it once",
    ]


def test_a_new_website_unit_publishes_in_config_changed_and_joins_the_backend(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 3]

    config_changed = next(b for b in blocks if b.hook == "config-changed")
    assert config_changed.lines[:4] == [
        "databag website/2 on relation 2 (website:website to proxy:reverseproxy)",
        f"+ extended_data  {extended('10.1.0.100')}",
        "+ hostname       10.1.0.12",
        "+ port           8080",
    ]
    assert [b.events for b in blocks if b.unit == "proxy/0"] == [["HttpNewWebsite"], []]
    assert notes_in_step(transcript, 3) == backend_notes(
        "website", "10.1.0.10", "10.1.0.100", "10.1.0.11", "10.1.0.12"
    )


def test_moving_the_vip_changes_extended_data_and_fires_one_event_on_the_proxy(
    transcript: str,
):
    blocks = [b for b in hook_blocks(transcript) if b.step == 4]

    for unit in ("website/0", "website/1", "website/2"):
        (config_changed,) = [b for b in blocks if b.unit == unit]
        assert f"~ extended_data  {extended('10.1.0.200')}" in config_changed.lines
        assert config_changed.lines[-1] == (
            "status  active: website on port 8080, virtual IP 10.1.0.200"
        )
    # Every unit had republished before the proxy's first hook ran.
    assert [b.events for b in blocks if b.unit == "proxy/0"] == [["HttpNewWebsite"], [], []]
    assert notes_in_step(transcript, 4) == [
        "juju config website website-vips=10.1.0.200",
        *backend_notes("website", "10.1.0.10", "10.1.0.11", "10.1.0.12", "10.1.0.200"),
    ]


def test_a_departing_website_unit_leaves_the_backend(transcript: str):
    assert hooks_in_step(transcript, 5) == [
        # It leaves its peer relation too, which stays for website/0 and website/2.
        ("website/0", "cluster-relation-departed", "remote website/1"),
        ("website/2", "cluster-relation-departed", "remote website/1"),
        ("website/1", "cluster-relation-departed", "remote website/0, this unit is departing"),
        ("website/1", "cluster-relation-departed", "remote website/2, this unit is departing"),
        ("website/1", "cluster-relation-broken", ""),
        ("proxy/0", "reverseproxy-relation-departed", "remote website/1"),
        ("website/1", "website-relation-departed", "remote proxy/0, this unit is departing"),
        ("website/1", "website-relation-broken", ""),
        ("website/1", "stop", ""),
        ("website/1", "remove", ""),
    ]
    departed = next(b for b in hook_blocks(transcript) if b.step == 5 and b.unit == "proxy/0")
    assert departed.events == ["HttpWebsiteRemoved", "HttpNewWebsite"]
    assert notes_in_step(transcript, 5) == backend_notes(
        "website", "10.1.0.10", "10.1.0.12", "10.1.0.200"
    )


def test_breaking_the_relation_ends_every_side_and_empties_the_backends(transcript: str):
    proxy = [b for b in hook_blocks(transcript) if b.step == 6 and b.unit == "proxy/0"]

    assert [(b.hook, b.events) for b in proxy] == [
        ("reverseproxy-relation-departed", ["HttpWebsiteRemoved", "HttpNewWebsite"]),
        (
            "reverseproxy-relation-departed",
            ["HttpWebsiteRemoved", "HttpUnavailable", "HttpDisconnected"],
        ),
        ("reverseproxy-relation-broken", []),
    ]
    assert proxy[-1].lines == [f"status  blocked: {NOTHING_TO_DO}"]
    assert notes_in_step(transcript, 6) == ["proxy/0's backends.cfg is empty"]
    for unit in ("website/0", "website/2"):
        assert [b.events for b in hook_blocks(transcript) if b.step == 6 and b.unit == unit] == [
            WEBSITE_ENDS,
            [],
        ]


def test_the_reactive_website_s_quoted_addresses_are_read_without_the_quotes(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 7]

    written = next(b for b in blocks if b.unit == "legacy/0" and b.lines)
    assert (written.hook, written.lines) == (
        "website-relation-joined",
        [
            "databag legacy/0 on relation 4 (legacy:website to proxy:reverseproxy)",
            '+ hostname         "10.3.0.10"',
            "+ port             8080",
            '~ private-address  "10.3.0.10"',
        ],
    )
    joined = next(b for b in blocks if b.hook == "reverseproxy-relation-joined")
    assert joined.events == ["HttpConnected", "HttpAvailable", "HttpNewWebsite"]
    # A private address that differed from the hostname (kept quoted, say) would be shown too.
    assert joined.lines[3] == "websites  legacy/0 at 10.3.0.10:8080"
    assert notes_in_step(transcript, 7)[1:] == [
        *backend_notes("legacy", "10.3.0.10"),
        'proxy/0 reads "10.3.0.10" as 10.3.0.10, without the quotes',
    ]


def test_the_refreshed_website_rewrites_its_bytes_in_upgrade_charm_and_the_proxy_sees_nothing(
    transcript: str,
):
    blocks = [b for b in hook_blocks(transcript) if b.step == 8]

    assert [(b.unit, b.hook, b.events) for b in blocks] == [
        ("legacy/0", "upgrade-charm", WEBSITE_STARTS),
        ("legacy/0", "config-changed", []),
        ("legacy/0", "start", []),
        ("proxy/0", "reverseproxy-relation-changed", []),
    ]
    assert blocks[0].lines[2:] == [
        "databag legacy/0 on relation 4 (legacy:website to proxy:reverseproxy)",
        "~ hostname         10.3.0.10",
        "port             8080",
        "~ private-address  10.3.0.10",
        "status  active: website on port 8080",
    ]
    assert blocks[1].lines == blocks[2].lines == blocks[3].lines == []


def test_every_side_sees_its_relations_start_and_end(transcript: str):
    for unit in ("website/0", "website/1", "website/2"):
        # The website units are peers too: their `Cluster` events are left out.
        assert events_on(transcript, unit, "Http") == WEBSITE_STARTS + WEBSITE_ENDS
    assert events_on(transcript, "legacy/0") == WEBSITE_STARTS
    assert events_on(transcript, "proxy/0") == [
        *("HttpConnected", "HttpAvailable", "HttpNewWebsite", "HttpNewWebsite"),  # step 2
        "HttpNewWebsite",  # step 3
        "HttpNewWebsite",  # step 4
        *("HttpWebsiteRemoved", "HttpNewWebsite"),  # step 5
        *("HttpWebsiteRemoved", "HttpNewWebsite"),  # step 6
        *("HttpWebsiteRemoved", "HttpUnavailable", "HttpDisconnected"),
        *("HttpConnected", "HttpAvailable", "HttpNewWebsite"),  # step 7
        *("HttpConnected", "HttpNewWebsite"),  # step 9: no port, so never available
        "HttpNewWebsite",  # step 10
        *("HttpWebsiteRemoved", "HttpDisconnected"),  # step 11
    ]


def test_a_website_that_sends_only_services_is_heard_of_as_it_comes_changes_and_goes(
    transcript: str,
):
    proxy = [
        (b.step, b.hook, b.events)
        for b in hook_blocks(transcript)
        if b.step in (9, 10, 11) and b.unit == "proxy/0"
    ]

    assert proxy == [
        (9, "reverseproxy-relation-created", []),
        (9, "reverseproxy-relation-joined", ["HttpConnected", "HttpNewWebsite"]),
        (9, "reverseproxy-relation-changed", []),
        (10, "reverseproxy-relation-changed", ["HttpNewWebsite"]),
        (11, "reverseproxy-relation-departed", ["HttpWebsiteRemoved", "HttpDisconnected"]),
        (11, "reverseproxy-relation-broken", []),
    ]
    # Its stanzas are no website with a port: the proxy's backends stay the legacy one.
    assert notes_in_step(transcript, 10)[1:] == backend_notes("legacy", "10.3.0.10")
    assert notes_in_step(transcript, 11) == backend_notes("legacy", "10.3.0.10")


def test_a_website_that_leaves_out_its_own_address_fails_the_story_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    configure = HttpProvides.configure

    def vips_only(self: HttpProvides, port: Any, private_address: Any, hostname: Any) -> None:
        configure(self, port, private_address and private_address[1:], hostname and hostname[1:])

    monkeypatch.setattr(HttpProvides, "configure", vips_only)
    out = io.StringIO()

    assert main([HttpStory()], out) == 1
    # The charm says what it published: the virtual IP first, and nothing after it.
    assert out.getvalue().rstrip().splitlines()[-1] == (
        "FAILED: website/0 status should be active: 'website on port 8080, virtual IP "
        "10.1.0.100', is ('active', 'website on port 8080')"
    )


def test_a_proxy_that_renders_an_address_twice_fails_the_story_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    services = HttpRequires.services

    def repeated_hosts(self: HttpRequires) -> list[dict[str, Any]]:
        return [{**s, "hosts": s["hosts"] + s["hosts"][-1:]} for s in services(self)]

    monkeypatch.setattr(HttpRequires, "services", repeated_hosts)
    out = io.StringIO()

    assert main([HttpStory()], out) == 1
    assert (
        out.getvalue()
        .rstrip()
        .splitlines()[-1]
        .startswith("FAILED: proxy/0 should render 'backend website\\n")
    )


# --- The website role ------------------------------------------------------------------------

WEBSITE_CONFIG = {"website-port": 8080, "website-vips": "10.0.5.100"}
UNIT_ADDRESS = "10.0.5.5"


def context(app_name: str) -> testing.Context[LegacyInterfacesDemoCharm]:
    return charm_context(LegacyInterfacesDemoCharm, CHARMCRAFT, app_name=app_name)


def network(endpoint: str, address: str) -> testing.Network:
    """The endpoint bound to this address, as Juju binds every endpoint."""
    return testing.Network(
        endpoint,
        [testing.BindAddress([testing.Address(address)])],
        ingress_addresses=[address],
        egress_subnets=[f"{address}/32"],
    )


def website_wire(state: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """The keys a website writes, `private-address` included; Juju's others left out."""
    bag = state.get_relation(relation.id).local_unit_data
    return {
        key: value
        for key, value in bag.items()
        if key not in ("ingress-address", "egress-subnets")
    }


def run_website(
    config: dict[str, Any], state: testing.State | None = None
) -> tuple[testing.State, testing.RelationBase]:
    """A website unit related to a reverse proxy, after config-changed."""
    relation: testing.RelationBase = proxy_relation_for_testing()
    if state is None:
        state = testing.State(relations=[relation], networks={network("website", UNIT_ADDRESS)})
    else:
        relation = next(iter(state.relations))
    ctx = context("website")
    return ctx.run(ctx.on.config_changed(), dataclasses.replace(state, config=config)), relation


def test_website_publishes_its_address_first_then_the_vips_in_legacy_bytes():
    state, relation = run_website({"website-port": 8080, "website-vips": "10.0.5.100 10.0.5.101"})

    assert website_wire(state, relation) == {
        "hostname": UNIT_ADDRESS,
        "private-address": UNIT_ADDRESS,
        "port": "8080",
        "extended_data": extended("10.0.5.100", "10.0.5.101"),
    }
    assert state.unit_status == testing.ActiveStatus(
        "website on port 8080, virtual IPs 10.0.5.100, 10.0.5.101"
    )


def test_website_without_vips_publishes_its_ingress_address_and_no_extended_data():
    state, relation = run_website({"website-port": 8080})

    assert website_wire(state, relation) == {
        "hostname": UNIT_ADDRESS,
        "private-address": UNIT_ADDRESS,
        "port": "8080",
    }
    assert state.unit_status == testing.ActiveStatus("website on port 8080")


def test_dropping_the_vips_removes_extended_data():
    state, relation = run_website({"website-port": 8080}, run_website(WEBSITE_CONFIG)[0])

    assert "extended_data" not in website_wire(state, relation)


def test_unsetting_the_website_port_withdraws_the_website():
    state, relation = run_website({}, run_website(WEBSITE_CONFIG)[0])

    # private-address goes back to Juju's own value: the unit's address.
    assert website_wire(state, relation) == {"private-address": UNIT_ADDRESS}
    assert state.unit_status == testing.BlockedStatus(NOTHING_TO_DO)


def test_a_website_published_before_any_relation_is_written_on_the_first_one():
    ctx = context("website")
    state = testing.State(config=WEBSITE_CONFIG, networks={network("website", UNIT_ADDRESS)})
    state = ctx.run(ctx.on.config_changed(), state)
    relation = proxy_relation_for_testing()

    state = ctx.run(
        ctx.on.relation_created(relation), dataclasses.replace(state, relations=[relation])
    )

    assert website_wire(state, relation)["extended_data"] == extended("10.0.5.100")
    assert state.unit_status == testing.ActiveStatus("website on port 8080, virtual IP 10.0.5.100")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"website-vips": "10.0.5.100"}, "website-port is required to publish a website"),
        (
            {"website-port": 8080, "website-vips": "10.0.5.100 www.example"},
            "invalid website-vips: 'www.example' is not an IP address",
        ),
        ({"website-port": 70000}, "invalid website config: port: must be a port from 1 to 65535"),
    ],
)
def test_invalid_website_config_blocks_and_publishes_nothing(config: dict[str, Any], message: str):
    state, relation = run_website(config)

    assert state.unit_status == testing.BlockedStatus(message)
    assert website_wire(state, relation) == {"private-address": "192.0.2.0"}  # Juju's, untouched


def test_blocked_website_stays_blocked_until_the_config_is_fixed():
    ctx = context("website")
    state, _ = run_website({"website-port": 0})

    state = ctx.run(ctx.on.update_status(), state)
    assert state.unit_status.name == "blocked"

    state, _ = run_website(WEBSITE_CONFIG, state)
    assert state.unit_status == testing.ActiveStatus("website on port 8080, virtual IP 10.0.5.100")


def test_website_refreshed_from_the_reactive_charm_rewrites_the_legacy_bytes_in_upgrade_charm():
    # What a release of the legacy layer that JSON-encoded every value left on the wire.
    legacy = {
        "hostname": f'"{UNIT_ADDRESS}"',
        "private-address": f'"{UNIT_ADDRESS}"',
        "port": "8080",
        "ingress-address": UNIT_ADDRESS,
    }
    relation = dataclasses.replace(proxy_relation_for_testing(), local_unit_data=legacy)
    ctx = context("website")
    state = testing.State(
        relations=[relation], config=WEBSITE_CONFIG, networks={network("website", UNIT_ADDRESS)}
    )

    state = ctx.run(ctx.on.upgrade_charm(), state)

    library_events = [
        type(e).__name__ for e in ctx.emitted_events if not isinstance(e, ops.HookEvent)
    ]
    assert library_events == WEBSITE_STARTS
    assert website_wire(state, relation) == {
        "hostname": UNIT_ADDRESS,
        "private-address": UNIT_ADDRESS,
        "port": "8080",
        "extended_data": extended("10.0.5.100"),
    }


# --- The reverse-proxy role ------------------------------------------------------------------


def run_proxy(
    tmp_path: Path, *relations: testing.Relation, event: str = "relation_changed"
) -> testing.State:
    """A reverse-proxy unit's hook on the first relation (its first unit, if it has one)."""
    ctx = context("proxy")
    state = testing.State(
        relations=list(relations), config={"reverseproxy-config-dir": str(tmp_path)}
    )
    first = relations[0]
    if event == "relation_changed":
        return ctx.run(ctx.on.relation_changed(first, remote_unit=0), state)
    return ctx.run(getattr(ctx.on, event)(), state)


def backends(tmp_path: Path) -> str:
    return (tmp_path / "backends.cfg").read_text()


def test_proxy_renders_a_backend_with_each_address_once_and_reports_it(tmp_path: Path):
    # Two legacy websites, each sending the same virtual IP in extended_data.
    state = run_proxy(tmp_path, websites_relation_for_testing(units=2, extended=1))

    assert backends(tmp_path) == (
        "backend website\n"
        "    server 10.0.13.5-8080 10.0.13.5:8080 check\n"
        "    server 10.0.13.6-8080 10.0.13.6:8080 check\n"
        "    server 10.0.14.5-8080 10.0.14.5:8080 check\n"
    )
    assert state.unit_status == testing.ActiveStatus("proxying website (3 servers)")


def test_proxy_renders_one_backend_per_website_application(tmp_path: Path):
    # Relations oldest first: website's, then shop's.
    website = websites_relation_for_testing(units=2)
    shop = websites_relation_for_testing(units=1, port=8000, remote_app_name="shop")

    state = run_proxy(tmp_path, website, shop)

    assert backends(tmp_path) == (
        "backend website\n"
        "    server 10.0.13.5-8080 10.0.13.5:8080 check\n"
        "    server 10.0.13.6-8080 10.0.13.6:8080 check\n"
        "\n"
        "backend shop\n"
        "    server 10.0.13.5-8000 10.0.13.5:8000 check\n"
    )
    assert state.unit_status == testing.ActiveStatus(
        "proxying website (2 servers), shop (1 server)"
    )


def test_proxy_reads_quoted_values_and_string_ports_of_legacy_builds(tmp_path: Path):
    databag = {
        "hostname": '"10.0.0.5"',
        "private-address": '"10.0.0.5"',
        "port": '"8080"',
        "extended_data": extended("10.0.0.9", port='"8080"'),
    }
    relation = testing.Relation("reverseproxy", "http", remote_units_data={0: databag})

    run_proxy(tmp_path, relation)

    assert backends(tmp_path) == (
        "backend remote\n"
        "    server 10.0.0.5-8080 10.0.0.5:8080 check\n"
        "    server 10.0.0.9-8080 10.0.0.9:8080 check\n"
    )


def test_proxy_brackets_an_ipv6_website(tmp_path: Path):
    databag = {"private-address": "fd00::5", "port": "8080"}
    relation = testing.Relation("reverseproxy", "http", remote_units_data={0: databag})

    run_proxy(tmp_path, relation)

    assert backends(tmp_path) == "backend remote\n    server fd00::5-8080 [fd00::5]:8080 check\n"


def test_proxy_ignores_a_malformed_website_unit(tmp_path: Path):
    state = run_proxy(tmp_path, websites_relation_for_testing(units=1, malformed_unit=True))

    assert (
        backends(tmp_path) == "backend website\n    server 10.0.13.5-8080 10.0.13.5:8080 check\n"
    )
    assert state.unit_status == testing.ActiveStatus("proxying website (1 server)")


def test_proxy_related_to_a_website_without_data_waits_and_writes_nothing(tmp_path: Path):
    relation = testing.Relation("reverseproxy", "http", remote_units_data={0: {}})

    state = run_proxy(tmp_path, relation)

    assert state.unit_status == testing.WaitingStatus("waiting for a website")
    assert list(tmp_path.iterdir()) == []


def test_a_stale_new_website_renders_what_holds_now_not_its_payload(tmp_path: Path):
    # What a deferred event brings back: the websites at emit time; one has departed since.
    ctx = context("proxy")
    relation = websites_relation_for_testing(units=1)
    state = testing.State(relations=[relation], config={"reverseproxy-config-dir": str(tmp_path)})
    stale = tuple(
        HttpWebsite(
            relation_id=relation.id,
            unit_name=f"website/{number}",
            service_name="website",
            hostname=address,
            private_address=address,
            port=8080,
        )
        for number, address in enumerate(("10.0.13.5", "10.0.13.6"))
    )

    ctx.run(ctx.on.custom(HttpRequires.on.new_website, relation, stale), state)

    assert (
        backends(tmp_path) == "backend website\n    server 10.0.13.5-8080 10.0.13.5:8080 check\n"
    )


def test_when_the_relation_breaks_the_backends_are_emptied(tmp_path: Path):
    ctx = context("proxy")
    relation = websites_relation_for_testing(units=2)
    state = run_proxy(tmp_path, relation)

    state = ctx.run(ctx.on.relation_broken(relation), state)

    assert backends(tmp_path) == ""
    assert state.unit_status == testing.BlockedStatus(NOTHING_TO_DO)


def test_proxy_refreshed_from_the_reactive_charm_renders_in_upgrade_charm(tmp_path: Path):
    state = run_proxy(tmp_path, websites_relation_for_testing(units=2), event="upgrade_charm")

    assert backends(tmp_path).startswith("backend website\n")
    assert state.unit_status == testing.ActiveStatus("proxying website (2 servers)")


def test_proxy_renders_again_where_its_config_dir_moves(tmp_path: Path):
    ctx = context("proxy")
    state = run_proxy(tmp_path / "a", websites_relation_for_testing(units=1))

    moved = dataclasses.replace(state, config={"reverseproxy-config-dir": str(tmp_path / "b")})
    ctx.run(ctx.on.config_changed(), moved)

    assert backends(tmp_path / "b") == backends(tmp_path / "a")


def test_a_unit_that_is_no_reverse_proxy_writes_no_file(tmp_path: Path):
    ctx = context("website")
    config = {"reverseproxy-config-dir": str(tmp_path / "proxy"), **WEBSITE_CONFIG}

    ctx.run(ctx.on.config_changed(), testing.State(config=config))

    assert list(tmp_path.iterdir()) == []


def test_proxy_with_a_relative_config_dir_blocks_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    ctx = context("proxy")
    relation = websites_relation_for_testing(units=1)
    state = testing.State(relations=[relation], config={"reverseproxy-config-dir": "proxy"})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)

    assert state.unit_status == testing.BlockedStatus(
        "reverseproxy-config-dir must be an absolute path"
    )
    assert list(tmp_path.iterdir()) == []


def test_proxy_that_cannot_write_its_backends_blocks_until_it_can(tmp_path: Path):
    in_the_way = tmp_path / "file"
    in_the_way.write_text("")
    ctx = context("proxy")
    relation = websites_relation_for_testing(units=1)
    state = testing.State(
        relations=[relation], config={"reverseproxy-config-dir": str(in_the_way)}
    )

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    assert state.unit_status.name == "blocked"
    assert state.unit_status.message.startswith(f"cannot write backends.cfg in {in_the_way}: ")

    fixed = dataclasses.replace(state, config={"reverseproxy-config-dir": str(tmp_path / "ok")})
    state = ctx.run(ctx.on.config_changed(), fixed)
    assert state.unit_status == testing.ActiveStatus("proxying website (1 server)")


def test_render_backends_takes_services_as_the_legacy_getter_gives_them():
    services = [
        {
            "service_name": "website",
            "hosts": [
                {"hostname": "10.0.0.5", "private-address": "10.0.0.5", "port": "8080"},
                {"hostname": "www.example", "private-address": "10.0.0.9", "port": "80"},
            ],
        }
    ]

    assert render_backends(services) == (
        "backend website\n"
        "    server 10.0.0.5-8080 10.0.0.5:8080 check\n"
        "    server www.example-80 www.example:80 check\n"
    )
    assert render_backends([]) == ""
