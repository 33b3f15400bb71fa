"""Every example charm of the docstrings and the guide, deployed, reaches the goal beside it.

The machinery is `tests.docs.deployments`, whose docstring says how an example is deployed
and which lifecycle it goes through. Here is what is particular to each example: its
partner (a stand-in for the reactive charm, or an `ops` charm of the library's other role),
the goal its document states, and how the goal is read from the deployment. An example charm
that has no scenario here fails, and so does a goal its document does not state.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ops
import pytest

from charms.etcd.v0.etcd import EtcdRequires, credentials_for_testing
from charms.http.v0.http import HttpRequires
from charms.innodb_cluster.v0.innodb_cluster import cluster_instance_clustered_key
from charms.kafka.v0.kafka import KafkaRequires
from charms.zookeeper.v0.zookeeper import ZookeeperRequires
from demo.deployment import Endpoint
from tests.docs.deployments import (
    PARTNER,
    Check,
    Deployed,
    Partner,
    Scenario,
    deploy,
    expect_file,
    expect_status,
    partner_yaml,
)
from tests.docs.harness import (
    LIBRARIES,
    Block,
    Example,
    charm_classes,
    defines_a_charm,
    examples,
    exec_module,
    library_name,
    markdown_blocks,
)
from tests.metadata.librecord import ROOT, library_paths

GUIDE = ROOT / "docs" / "migrating.md"

# --- Partners ---------------------------------------------------------------------------------

LegacyData = Callable[[str, str], Mapping[str, str]]
"""A legacy provider unit's databag, from its unit name and its ingress address."""


def legacy_provider(endpoint: str, databag: LegacyData) -> type[ops.CharmBase]:
    """A stand-in for a reactive provider: it writes what the legacy layer wrote, and no more.

    Reactive code cannot run here, and need not: what a partner sees of it is its databag.
    """

    class LegacyProvider(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            framework.observe(self.on[endpoint].relation_created, self._publish)

        def _publish(self, event: ops.RelationCreatedEvent):
            address = str(self.model.get_binding(event.relation).network.ingress_address)
            event.relation.data[self.unit].update(databag(self.unit.name, address))

    return LegacyProvider


def ops_requirer(role: Callable[[ops.CharmBase], Any], describe: Callable[[Any], str]) -> type:
    """An `ops` client of the library: Active with what it reads, else Waiting."""

    class OpsRequirer(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.role = role(self)
            framework.observe(self.on.collect_unit_status, self._on_collect_unit_status)

        def _on_collect_unit_status(self, event: ops.CollectStatusEvent):
            described = describe(self.role)
            event.add_status(
                ops.ActiveStatus(described) if described else ops.WaitingStatus("nothing offered")
            )

    return OpsRequirer


def bracketed(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def partner_addresses(deployed: Deployed, port: int) -> str:
    return ",".join(bracketed(unit.address, port) for unit in deployed.partner_units())


def example_addresses(deployed: Deployed, port: int) -> str:
    return ",".join(bracketed(unit.address, port) for unit in deployed.units())


# --- etcd -------------------------------------------------------------------------------------

ETCD_CLUSTER = "https://10.0.0.5:2379,https://10.0.0.6:2379"
ETCD_CREDENTIALS = credentials_for_testing().model_dump()
ETCD_FILES = {"client.key": "client_key", "client.crt": "client_cert", "ca.crt": "client_ca"}
LEGACY_ETCD = Partner(
    legacy_provider(
        "db",
        lambda _unit, _address: {
            "connection_string": ETCD_CLUSTER,
            "version": "3.5.16",
            **ETCD_CREDENTIALS,
        },
    ),
    endpoint="db",
    role="provides",
)


def etcd_files_saved(deployed: Deployed) -> list[str]:
    problems = expect_file(deployed, "ENDPOINTS_FILE", ETCD_CLUSTER)
    for unit in deployed.units():
        directory = deployed.files.path(unit, "CREDENTIALS_DIR")
        for name, key in ETCD_FILES.items():
            path = directory / name
            if not path.exists() or path.read_text(encoding="utf-8") != ETCD_CREDENTIALS[key]:
                problems.append(f"{unit.name} has not saved {key} in {name}")
    return problems


def control_plane_files_saved(deployed: Deployed) -> list[str]:
    """The guide's port of a charm that used Charmed Kubernetes' `EtcdReactiveRequires`."""
    problems = expect_status(deployed.units(), "active")
    problems += expect_file(deployed, "ETCD_SERVERS", ETCD_CLUSTER)
    for name, key in (
        ("ETCD_KEY", "client_key"),
        ("ETCD_CERT", "client_cert"),
        ("ETCD_CA", "client_ca"),
    ):
        problems += expect_file(deployed, name, ETCD_CREDENTIALS[key])
    return problems


def etcd_client_reads(role: EtcdRequires) -> str:
    offer = role.read()
    if offer.cluster is None:
        return ""
    return f"{offer.cluster.connection_string}{' with TLS' if offer.tls else ''}"


def etcd_clients_see_the_cluster(deployed: Deployed) -> list[str]:
    return expect_status(deployed.units(), "active") + expect_status(
        deployed.partner_units(), "active", f"{ETCD_CLUSTER} with TLS"
    )


# --- zookeeper --------------------------------------------------------------------------------

LEGACY_ZOOKEEPER = Partner(
    legacy_provider("zookeeper", lambda _unit, _address: {"port": "2181", "rest_port": "9998"}),
    endpoint="zookeeper",
    role="provides",
)


def zookeeper_connect_string_written(file: str) -> Check:
    def check(deployed: Deployed) -> list[str]:
        expected = partner_addresses(deployed, 2181)
        return expect_status(deployed.units(), "active") + expect_file(deployed, file, expected)

    return check


def a_second_zookeeper_blocks_and_changes_nothing(file: str) -> Check:
    """A second ensemble related: every unit Blocked, its file still the first ensemble's."""

    def check(deployed: Deployed) -> list[str]:
        first = partner_addresses(deployed, 2181)
        relate_a_second(deployed, "zookeeper", LEGACY_ZOOKEEPER, "zookeeper")
        problems = expect_status(
            deployed.units(), "blocked", "related to two zookeepers; remove one"
        ) + expect_file(deployed, file, first)
        remove_the_second(deployed)
        return problems + zookeeper_connect_string_written(file)(deployed)

    return check


def relate_a_second(deployed: Deployed, endpoint: str, partner: Partner, interface: str) -> None:
    """Relate a second application like the partner to the example's endpoint."""
    deployment = deployed.deployment
    name = f"second-{interface}"
    metadata = partner_yaml(partner, interface, name)
    deployment.deploy(name, partner.charm, units=2, charmcraft_yaml=metadata)
    deployment.integrate(
        Endpoint(deployed.example, endpoint),
        Endpoint(deployment.apps[name], partner.endpoint),
        interface,
    )


def remove_the_second(deployed: Deployed) -> None:
    deployed.deployment.remove_integration(deployed.deployment.integrations[-1])


def zookeeper_client_reads(role: ZookeeperRequires) -> str:
    return role.read().connect_string


# --- kafka ------------------------------------------------------------------------------------

LEGACY_ZOOKEEPERS = [{"host": "fd00:0:0:9::5", "port": "2181", "rest_port": "9998"}]
LEGACY_KAFKA = Partner(
    legacy_provider(
        "client",
        lambda _unit, _address: {"port": "9092", "zookeepers": json.dumps(LEGACY_ZOOKEEPERS)},
    ),
    endpoint="client",
    role="provides",
)


def kafka_files_written(deployed: Deployed) -> list[str]:
    return (
        expect_status(deployed.units(), "active")
        + expect_file(deployed, "BOOTSTRAP_FILE", partner_addresses(deployed, 9092))
        + expect_file(deployed, "ZOOKEEPER_FILE", "[fd00:0:0:9::5]:2181")
    )


def a_second_kafka_blocks_and_changes_nothing(deployed: Deployed) -> list[str]:
    """A second kafka cluster related: every unit Blocked, its files still the first's."""
    before = {unit.name: deployed.files.read(unit, "BOOTSTRAP_FILE") for unit in deployed.units()}
    relate_a_second(deployed, "kafka", LEGACY_KAFKA, "kafka")
    problems = expect_status(deployed.units(), "blocked", "related to two kafkas; remove one")
    for unit in deployed.units():
        if deployed.files.read(unit, "BOOTSTRAP_FILE") != before[unit.name]:
            problems.append(
                f"{unit.name} wrote the second cluster's brokers in its bootstrap file"
            )
    remove_the_second(deployed)
    return problems + kafka_files_written(deployed)


def kafka_client_reads(role: KafkaRequires) -> str:
    offer = role.read()
    brokers = ",".join(bracketed(broker.host, broker.port) for broker in offer.brokers)
    zookeepers = ",".join(bracketed(server.host, server.port) for server in offer.zookeepers)
    return f"{brokers} / {zookeepers}" if brokers else ""


def kafka_clients_see_every_broker(deployed: Deployed) -> list[str]:
    expected = f"{example_addresses(deployed, 9092)} / 10.0.9.5:2181"
    return expect_status(deployed.partner_units(), "active", expected)


# --- http -------------------------------------------------------------------------------------

LEGACY_WEBSITE = Partner(
    legacy_provider("website", lambda _unit, address: {"hostname": address, "port": "8080"}),
    endpoint="website",
    role="provides",
)


def backends_listed(deployed: Deployed) -> list[str]:
    servers = "".join(
        f"    server {bracketed(unit.address, 8080)}\n" for unit in deployed.partner_units()
    )
    return expect_status(deployed.units(), "active") + expect_file(
        deployed, "BACKENDS_FILE", f"backend {PARTNER}\n{servers}"
    )


def a_second_website_gets_its_own_backend(deployed: Deployed) -> list[str]:
    """A second website application related: a backend each, in the order they came."""
    relate_a_second(deployed, "reverseproxy", LEGACY_WEBSITE, "http")
    second = deployed.deployment.apps["second-http"]
    backends = "".join(
        f"backend {app.name}\n"
        + "".join(f"    server {bracketed(unit.address, 8080)}\n" for unit in app.units.values())
        for app in (deployed.partner_apps[0], second)
    )
    problems = expect_file(deployed, "BACKENDS_FILE", backends)
    remove_the_second(deployed)
    return problems + backends_listed(deployed)


def proxy_reads(role: HttpRequires) -> str:
    """The hosts of each service, then the servers each unit's `services` stanza names."""
    hosts = ",".join(
        bracketed(host.hostname, host.port)
        for service in role.read().services
        for host in service.hosts
    )
    stanzas = [
        f"{server[1]}:{server[2]}"
        for _unit, extras in sorted(role.extras().items())
        for stanza in extras.yaml("services") or ()
        for server in stanza.get("servers", ())
    ]
    return f"{hosts} / {','.join(stanzas)}" if hosts else ""


def proxies_reach_every_website_unit(deployed: Deployed) -> list[str]:
    hosts = example_addresses(deployed, 8080)
    own = ",".join(f"{unit.address}:8080" for unit in deployed.units())
    return expect_status(deployed.partner_units(), "active", f"{hosts} / {own}")


# --- mysql-innodb-cluster ---------------------------------------------------------------------

CLUSTER_PASSWORD = "Xf9vT2kLq8"


def every_unit_clustered(deployed: Deployed) -> list[str]:
    """Every unit Active and `unit-clustered`, each marked in the leader settings."""
    problems = expect_status(deployed.units(), "active", "clustered")
    settings = deployed.example.leader_settings
    if not settings.get("cluster-created"):
        problems.append("the leader settings hold no cluster-created")
    for unit in deployed.units():
        databag = unit.databag(deployed.deployment.peer_relation(deployed.example, "cluster"))
        if databag.get("unit-clustered") != "true":
            problems.append(f"{unit.name} has not sent unit-clustered")
        if not settings.get(cluster_instance_clustered_key(unit.address)):
            problems.append(f"{unit.name}'s instance is not marked clustered")
    return problems


def every_unit_clustered_after_scaling_in_to_two(deployed: Deployed) -> list[str]:
    non_leaders = [unit for unit in deployed.units() if not unit.is_leader]
    while len(deployed.units()) > 2:
        deployed.deployment.remove_unit(non_leaders.pop())
    return every_unit_clustered(deployed)


# --- The scenarios, by example ----------------------------------------------------------------

SCENARIOS: dict[str, Scenario] = {
    "etcd-block-1": Scenario(
        goal=(
            "every unit is Active, with the connection string in `/etc/my-app/etcd-endpoints` "
            "and the client credentials in `/etc/my-app/etcd/`"
        ),
        check=lambda deployed: (
            expect_status(deployed.units(), "active") + etcd_files_saved(deployed)
        ),
        endpoint="etcd",
        partner=LEGACY_ETCD,
    ),
    "etcd-block-2": Scenario(
        goal=(
            "every unit writes the connection string and saves the client credentials, "
            "as the first example does"
        ),
        check=etcd_files_saved,
        endpoint="etcd",
        partner=LEGACY_ETCD,
    ),
    "etcd-block-4": Scenario(
        goal="every unit is Active, and every client unit reads the cluster with TLS",
        check=etcd_clients_see_the_cluster,
        endpoint="db",
        partner=Partner(ops_requirer(EtcdRequires, etcd_client_reads), "etcd", "requires"),
        secrets={
            "etcd-client-tls": {
                key.replace("_", "-"): value for key, value in ETCD_CREDENTIALS.items()
            }
        },
    ),
    "zookeeper-block-1": Scenario(
        goal=(
            "every unit is Active, with the ensemble's connect string (IPv6 addresses in "
            "brackets) in `/etc/my-app/zookeeper-connect`; with a second zookeeper related, "
            "every unit is Blocked and keeps the first ensemble's string"
        ),
        check=zookeeper_connect_string_written("ZOOKEEPER_CONNECT_FILE"),
        endpoint="zookeeper",
        partner=LEGACY_ZOOKEEPER,
        ipv6=True,
        then=a_second_zookeeper_blocks_and_changes_nothing("ZOOKEEPER_CONNECT_FILE"),
    ),
    "zookeeper-block-3": Scenario(
        goal="every client unit reads a connect string naming every zookeeper unit",
        check=lambda deployed: expect_status(
            deployed.partner_units(), "active", example_addresses(deployed, 2181)
        ),
        endpoint="zookeeper",
        partner=Partner(
            ops_requirer(ZookeeperRequires, zookeeper_client_reads), "zookeeper", "requires"
        ),
    ),
    "kafka-block-1": Scenario(
        goal=(
            "every unit is Active, with every broker in `/etc/my-app/kafka-bootstrap` and "
            "every zookeeper server in `/etc/my-app/zookeeper-connect`, as `host:port` (IPv6 "
            "addresses in brackets); with a second kafka related, every unit is Blocked and "
            "keeps the first cluster's brokers"
        ),
        check=kafka_files_written,
        endpoint="kafka",
        partner=LEGACY_KAFKA,
        ipv6=True,
        then=a_second_kafka_blocks_and_changes_nothing,
    ),
    "kafka-block-2": Scenario(
        goal="every client unit reads every broker, and the zookeeper servers",
        check=kafka_clients_see_every_broker,
        endpoint="client",
        partner=Partner(ops_requirer(KafkaRequires, kafka_client_reads), "kafka", "requires"),
    ),
    "http-block-1": Scenario(
        goal=(
            "every unit is Active, with a backend per website application in "
            "`/etc/my-proxy/backends.conf`, naming each website unit as `host:port` (IPv6 "
            "addresses in brackets), two applications related included"
        ),
        check=backends_listed,
        endpoint="reverseproxy",
        partner=LEGACY_WEBSITE,
        ipv6=True,
        then=a_second_website_gets_its_own_backend,
    ),
    "http-block-3": Scenario(
        goal=(
            "every proxy unit reads every website unit, and each unit's `services` stanza "
            "names that unit"
        ),
        check=proxies_reach_every_website_unit,
        endpoint="website",
        partner=Partner(ops_requirer(HttpRequires, proxy_reads), "reverseproxy", "requires"),
    ),
    "innodb_cluster-block-1": Scenario(
        goal=(
            "every unit is Active and clustered, marked so in the leader settings a reactive "
            "unit reads, also after scaling in to two units"
        ),
        check=every_unit_clustered,
        endpoint="cluster",
        units=3,
        secrets={"cluster-credentials": {"password": CLUSTER_PASSWORD}},
        then=every_unit_clustered_after_scaling_in_to_two,
    ),
}

# --- A kafka broker between zookeeper and kafka clients -------------------------------------


def broker_forwards_the_ensemble(deployed: Deployed) -> list[str]:
    """The clients (the second partner) read every broker and the zookeeper servers."""
    brokers = example_addresses(deployed, 9092)
    zookeepers = partner_addresses(deployed, 2181)
    return expect_status(deployed.units(), "active") + expect_status(
        deployed.partner_units(1), "active", f"{brokers} / {zookeepers}"
    )


def without_zookeeper_the_clients_read_no_broker(deployed: Deployed) -> list[str]:
    zookeeper = deployed.deployment.integrations
    first = next(each for each in zookeeper if not each.is_peer and each.interface == "zookeeper")
    deployed.deployment.remove_integration(first)
    return expect_status(deployed.units(), "waiting", "waiting for zookeeper") + expect_status(
        deployed.partner_units(1), "waiting", "nothing offered"
    )


# The guide's worked examples: the same goals as the docstrings' (so the same sentences),
# reached by the charm each section ends with.
SCENARIOS |= {
    "migrating-etcd-block-1": SCENARIOS["etcd-block-1"],
    "migrating-etcd-block-2": Scenario(
        goal=(
            "every unit is Active, with the private key in `/root/cdk/etcd/client-key.pem`, "
            "the certificate and CA beside it, and the connection string in "
            "`/root/cdk/etcd/servers`"
        ),
        check=control_plane_files_saved,
        endpoint="etcd",
        partner=LEGACY_ETCD,
    ),
    "migrating-zookeeper-block-1": dataclasses.replace(
        SCENARIOS["zookeeper-block-1"],
        check=zookeeper_connect_string_written("CONNECT_FILE"),
        then=a_second_zookeeper_blocks_and_changes_nothing("CONNECT_FILE"),
    ),
    "migrating-kafka-block-1": SCENARIOS["kafka-block-1"],
    "migrating-http-block-1": SCENARIOS["http-block-3"],
    "migrating-innodb_cluster-block-1": SCENARIOS["innodb_cluster-block-1"],
    "migrating-kafka-composed-block-1": Scenario(
        goal=(
            "every unit is Active, and every client unit reads every broker and the zookeeper "
            "servers in use; with zookeeper removed, every unit is Waiting and the clients "
            "read no broker"
        ),
        check=broker_forwards_the_ensemble,
        endpoint="zookeeper",
        partner=LEGACY_ZOOKEEPER,
        also=(
            (
                "client",
                Partner(ops_requirer(KafkaRequires, kafka_client_reads), "kafka", "requires"),
            ),
        ),
        then=without_zookeeper_the_clients_read_no_broker,
    ),
}


def guide_examples() -> list[Example]:
    """The guide's `ops` charms (its blocks without a tag, or `composed`), numbered per kind."""
    found: list[Example] = []
    for block in markdown_blocks(GUIDE, LIBRARIES):
        if block.language != "python" or block.library is None:
            continue
        if block.tags not in ((), ("composed",)) or not defines_a_charm(block):
            continue
        library = "-".join(["migrating", library_name(block.library), *block.tags])
        found.append(Example(library, 1 + sum(e.library == library for e in found), block))
    return found


CHARM_EXAMPLES = [
    *(
        example
        for path in library_paths()
        for example in examples(path)
        if defines_a_charm(example.block)
    ),
    *guide_examples(),
]


def deploy_example(example: Example, root: Path) -> list[str]:
    """Take the example through its lifecycle; the problems of each stage, by stage."""
    scenario = SCENARIOS[example.id]
    module = exec_module(example.block, f"deployed_{example.id.replace('-', '_')}")
    (charm,) = charm_classes(vars(module))
    problems: list[str] = []
    stages = deploy(scenario, example.block, module, charm, root)
    for stage, deployed in stages:
        if stage == "after the relations are removed":
            continue  # every hook ran without failing: the goal need not hold any more
        problems += [f"{stage}: {problem}" for problem in scenario.check(deployed)]
        if scenario.then is not None and stage.startswith("after a refresh"):
            problems += [f"{stage}, then more: {problem}" for problem in scenario.then(deployed)]
    return problems


@pytest.mark.parametrize(
    "example", [pytest.param(example, id=example.id) for example in CHARM_EXAMPLES]
)
def test_the_example_deployed_reaches_its_goal(example: Example, tmp_path: Path):
    assert example.id in SCENARIOS, f"say how {example.id} is deployed and what it reaches"
    problems = deploy_example(example, tmp_path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "example", [pytest.param(example, id=example.id) for example in CHARM_EXAMPLES]
)
def test_the_document_states_the_goal_next_to_the_example(example: Example):
    text = _text_around(example.block)
    goal = SCENARIOS[example.id].goal
    assert _words(goal) in _words(text), f"write next to {example.id}: it reaches {goal}"


def test_every_scenario_is_of_an_example():
    assert set(SCENARIOS) == {example.id for example in CHARM_EXAMPLES}


def _text_around(block: Block) -> str:
    """The document's text from the fence before the block to the fence after it."""
    lines = block.path.read_text(encoding="utf-8").splitlines()
    fences = [number for number, line in enumerate(lines) if line.startswith("```")]
    opening = block.line - 2  # the block's own fence, as a 0-based line number
    closing = min(number for number in fences if number > opening)
    before = max((number for number in fences if number < opening), default=-1)
    after = min((number for number in fences if number > closing), default=len(lines))
    return "\n".join(lines[before + 1 : opening] + lines[closing + 1 : after])


def _words(text: str) -> str:
    """The text with its line breaks and runs of spaces as one space: wrapping is free."""
    return " ".join(text.split())
