"""The mysql-innodb-cluster story end to end, and the demo charm's part in a cluster.

The end-to-end tests read the story's part of `make demo`'s output: which step, which unit,
which hook, which library events in which order, the bytes each unit writes on the peer
relation (a reactive unit's JSON quotes included), the files the units write down, and that
no password is printed. The role tests run the demo charm through `ops.testing` with the
library's test helpers.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import ops
import pytest
from ops import testing

from charm import LegacyInterfacesDemoCharm
from charms.innodb_cluster.v0.innodb_cluster import (
    TEST_CLUSTER_PASSWORD,
    InnodbClusterPeers,
    cluster_databag_for_testing,
    cluster_relation_for_testing,
)
from demo.deployment import Deployment, charm_context, load_charmcraft_yaml
from demo.etcd import EtcdStory
from demo.http import HttpStory
from demo.innodb_cluster import CLUSTER_PASSWORD, InnodbClusterStory
from demo.kafka import KafkaStory
from demo.runner import main
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
# Each unit's events when its two peers send their credentials, then say they created its
# user, then that they are clustered; and a refreshed unit's, in upgrade-charm.
FORMS = [
    "ClusterAvailable",
    "ClusterPeerConfigureReady",
    "ClusterPeerConfigureReady",
    "ClusterClustered",
]
REFRESHED = ["ClusterConnected", *FORMS]
# A unit leaving hears every end in its first relation-departed hook.
LEAVES = ["ClusterUnclustered", "ClusterUnavailable", "ClusterDisconnected"]


def sent(unit: int, subnet: int = 1, **flags: bool) -> list[str]:
    """The transcript's lines for a unit sending its credentials: legacy JSON, masked password."""
    lines = [
        f'+ cluster-address   "10.{subnet}.0.1{unit}"',
        "+ cluster-password  <masked>",
        '+ cluster-user      "clusteruser"',
    ]
    return lines + [f"+ {flag.replace('_', '-')}  true" for flag in flags]


def users(*units: int, subnet: int = 1) -> str:
    """The users a unit created, as the transcript's notes list them."""
    return ", ".join(f"'clusteruser'@'10.{subnet}.0.1{unit}'" for unit in units)


def instances(*units: int, subnet: int = 1) -> str:
    """The instances of a leader's cluster, as the transcript's notes list them."""
    return ", ".join(f"10.{subnet}.0.1{unit}" for unit in units)


@pytest.fixture(scope="module")
def transcript(demo_output: str) -> str:
    """The mysql-innodb-cluster story's part of `make demo`'s output."""
    return story_section(demo_output, InnodbClusterStory.title)


# --- make demo, end to end -----------------------------------------------------------------


def test_make_demo_tells_the_innodb_cluster_story_last(demo_output: str):
    assert titles(demo_output) == [
        EtcdStory.title,
        KafkaStory.title,
        HttpStory.title,
        InnodbClusterStory.title,
    ]
    assert demo_output.rstrip().splitlines()[-1].startswith("mysql-innodb-cluster: OK - ")


def test_the_story_ends_with_its_summary(transcript: str):
    assert transcript.rstrip().splitlines()[-1] == (
        "mysql-innodb-cluster: OK - 119 hooks run; mysql/0, the first leader, added 3 peers' "
        "instances and removed 1; mysql/2 took the cluster over and moved 1 instance to its "
        "new address; in a mixed cluster, the ops units took the reactive unit's legacy bytes "
        "for a full member's, and wrote bytes it reads as one; no password printed"
    )


def test_steps_tell_the_story_in_order(transcript: str):
    assert steps(transcript) == [
        "deploy the demo charm as mysql, 3 units: they join as peers",
        "give mysql the cluster password: the three units form a cluster",
        "mysql scales out to 4 units",
        "remove mysql/1",
        "the leader changes: mysql/2 becomes the leader",
        "mysql/3's machine gets a new address, 10.1.0.23",
        "a cluster formed by the reactive charm: app legacy, 3 units, running it",
        "juju refresh legacy to the demo charm (ops): it reaches legacy/0 and legacy/1",
        "the refresh reaches legacy/2",
    ]


def test_no_password_is_ever_printed(demo_output: str, transcript: str):
    assert CLUSTER_PASSWORD not in demo_output
    # Every databag line of a password is masked, the withdrawn ones aside.
    passwords = [line for line in transcript.splitlines() if "cluster-password  " in line]
    assert passwords
    assert {line.split()[-1] for line in passwords} <= {"<masked>", "(none)"}


def test_deployed_units_join_as_peers_and_send_nothing(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 1]

    # Each unit's peer relation exists before its start hook, as Juju creates it.
    assert [(b.unit, b.hook) for b in blocks if b.unit == "mysql/1"][:4] == [
        ("mysql/1", "install"),
        ("mysql/1", "cluster-relation-created"),
        ("mysql/1", "config-changed"),
        ("mysql/1", "start"),
    ]
    for unit in ("mysql/0", "mysql/1", "mysql/2"):
        assert events_on(transcript, unit)[:1] == ["ClusterConnected"]
        assert next(b.lines for b in blocks if b.unit == unit) == [
            f"status  blocked: {NOTHING_TO_DO}"
        ]
    assert not any(line.startswith("databag") for b in blocks for line in b.lines)
    # Every unit meets every other, both ways: relation-joined, then relation-changed.
    joined = [(b.unit, b.detail) for b in blocks if b.hook == "cluster-relation-joined"]
    assert sorted(joined) == [
        (f"mysql/{unit}", f"remote mysql/{remote}")
        for unit in range(3)
        for remote in range(3)
        if unit != remote
    ]


def test_each_unit_sends_its_address_user_and_password_in_legacy_json(transcript: str):
    config_changed = [
        b for b in hook_blocks(transcript) if b.step == 2 and b.hook == "config-changed"
    ]

    assert [(b.unit, b.lines) for b in config_changed] == [
        (
            "mysql/0",
            [
                "databag mysql/0 on relation 0 (peers on mysql:cluster)",
                *sent(0),
                "status  waiting: waiting for peers (1 of 3 units)",
            ],
        ),
        (
            "mysql/1",
            [
                "databag mysql/1 on relation 0 (peers on mysql:cluster)",
                *sent(1),
                "status  waiting: waiting for peers (2 of 3 units)",
            ],
        ),
        (
            "mysql/2",
            [
                "databag mysql/2 on relation 0 (peers on mysql:cluster)",
                *sent(2),
                "status  maintenance: clustering",
            ],
        ),
    ]


def test_the_leader_creates_the_cluster_adds_each_peer_and_marks_it(transcript: str):
    leader = [
        b
        for b in hook_blocks(transcript)
        if b.step == 2 and b.unit == "mysql/0" and "ClusterPeerConfigureReady" in b.events
    ]

    (block,) = leader
    assert block.events == FORMS[:3]
    assert block.lines[3:] == [
        "event   ClusterPeerConfigureReady",
        "cluster_address  10.1.0.11",
        "unit_name        mysql/1",
        "event   ClusterPeerConfigureReady",
        "cluster_address  10.1.0.12",
        "unit_name        mysql/2",
        "databag mysql/0 on relation 0 (peers on mysql:cluster)",
        'cluster-address       "10.1.0.10"',
        "cluster-password      <masked>",
        'cluster-user          "clusteruser"',
        # Users created, and the cluster too: unlike the reactive leader, it says so.
        "+ unit-clustered        true",
        "+ unit-configure-ready  true",
        # The application databag: each instance it added, its own first.
        "databag mysql on relation 0 (peers on mysql:cluster)",
        "+ cluster-instance-clustered-10-1-0-10  true",
        "+ cluster-instance-clustered-10-1-0-11  true",
        "+ cluster-instance-clustered-10-1-0-12  true",
        "status  maintenance: clustering",
    ]


def test_every_unit_forms_the_cluster_and_ends_active(transcript: str):
    for unit in ("mysql/0", "mysql/1", "mysql/2"):
        blocks = [b for b in hook_blocks(transcript) if b.step == 2 and b.unit == unit]
        assert [event for b in blocks for event in b.events] == FORMS
        statuses = [line for b in blocks for line in b.lines if line.startswith("status")]
        assert statuses[-1] == "status  active: in a cluster of 3 units"
        flags = [line for b in blocks for line in b.lines if line.startswith("+ unit-")]
        assert sorted(flags) == ["+ unit-clustered        true", "+ unit-configure-ready  true"]
    assert notes_in_step(transcript, 2)[2:] == [
        f"mysql/0's cluster-users: {users(1, 2)}",
        f"mysql/1's cluster-users: {users(0, 2)}",
        f"mysql/2's cluster-users: {users(0, 1)}",
        f"mysql/0's cluster-instances: {instances(0, 1, 2)}",
        "mysql/0, the leader, created the cluster on its own instance, then added each peer's, "
        "and marked each in the application databag",
    ]


def test_a_fourth_unit_joins_and_the_leader_adds_it(transcript: str):
    new = [b for b in hook_blocks(transcript) if b.step == 3 and b.unit == "mysql/3"]

    assert [(b.hook, b.detail) for b in new][:3] == [
        ("install", ""),
        ("cluster-relation-created", ""),
        ("config-changed", ""),
    ]
    assert new[2].lines[1:4] == sent(3)
    assert new[-1].lines[-1] == "status  active: in a cluster of 4 units"
    for unit in ("mysql/0", "mysql/1", "mysql/2"):
        assert [
            event
            for b in hook_blocks(transcript)
            if b.step == 3 and b.unit == unit
            for event in b.events
        ] == [
            "ClusterUnclustered",
            "ClusterAvailable",
            "ClusterPeerConfigureReady",
            "ClusterClustered",
        ]
    marked = [
        line
        for b in hook_blocks(transcript)
        if b.step == 3 and b.unit == "mysql/0"
        for line in b.lines
        if line.startswith("+ cluster-instance")
    ]
    assert marked == ["+ cluster-instance-clustered-10-1-0-13  true"]
    assert notes_in_step(transcript, 3) == [
        f"mysql/0's cluster-users: {users(1, 2, 3)}",
        f"mysql/1's cluster-users: {users(0, 2, 3)}",
        f"mysql/2's cluster-users: {users(0, 1, 3)}",
        f"mysql/3's cluster-users: {users(0, 1, 2)}",
        f"mysql/0's cluster-instances: {instances(0, 1, 2, 3)}",
    ]


def test_a_departing_unit_withdraws_its_credentials_and_the_leader_removes_it(transcript: str):
    assert hooks_in_step(transcript, 4) == [
        ("mysql/0", "cluster-relation-departed", "remote mysql/1"),
        ("mysql/2", "cluster-relation-departed", "remote mysql/1"),
        ("mysql/3", "cluster-relation-departed", "remote mysql/1"),
        ("mysql/1", "cluster-relation-departed", "remote mysql/0, this unit is departing"),
        ("mysql/1", "cluster-relation-departed", "remote mysql/2, this unit is departing"),
        ("mysql/1", "cluster-relation-departed", "remote mysql/3, this unit is departing"),
        ("mysql/1", "cluster-relation-broken", ""),
        ("mysql/1", "stop", ""),
        ("mysql/1", "remove", ""),
        # The leader's unmarking, for the units that still see it.
        ("mysql/2", "cluster-relation-changed", "remote mysql/0"),
        ("mysql/3", "cluster-relation-changed", "remote mysql/0"),
    ]
    blocks = [b for b in hook_blocks(transcript) if b.step == 4]
    leader = blocks[0]
    assert leader.events == ["ClusterPeerDeparted", "ClusterAvailable"]
    assert leader.lines[1:4] == [
        "cluster_address  10.1.0.11",
        "moved            False",
        "unit_name        mysql/1",
    ]
    assert "- cluster-instance-clustered-10-1-0-11  (none)" in leader.lines
    # In its first departed hook, mysql/1 withdraws its user and password; its address stays.
    withdrawn = blocks[3]
    assert withdrawn.lines[-7:-1] == [
        "databag mysql/1 on relation 0 (peers on mysql:cluster)",
        'cluster-address       "10.1.0.11"',
        "- cluster-password      (none)",
        "- cluster-user          (none)",
        "unit-clustered        true",
        "unit-configure-ready  true",
    ]
    # Its peers leave its view, not the cluster: it hears no peer depart, and every state
    # ends in its first departure, though two peers are still listed; nothing starts.
    assert events_on(transcript, "mysql/1")[-4:] == ["ClusterClustered", *LEAVES]
    assert [b.events for b in blocks[3:6]] == [LEAVES, [], []]
    # The users created stay; the instance is gone from the cluster.
    assert notes_in_step(transcript, 4)[3:] == [
        f"mysql/0's cluster-instances: {instances(0, 2, 3)}",
        "mysql/1 withdrew its user and password; the library had kept its address, from which "
        "the leader removed its instance",
    ]


def test_a_new_leader_takes_the_instances_over_from_the_marks(transcript: str):
    assert hooks_in_step(transcript, 5) == [("mysql/2", "leader-elected", "")]
    assert notes_in_step(transcript, 5) == [
        f"mysql/2's cluster-instances: {instances(2, 0, 3)}",
        "mysql/2 took the cluster over from the marks mysql/0 left in the application databag: "
        "its own instance first",
    ]


def test_a_unit_that_moves_has_its_old_instance_removed_and_its_new_one_added(transcript: str):
    assert hooks_in_step(transcript, 6) == [
        ("mysql/0", "config-changed", ""),
        ("mysql/2", "config-changed", ""),
        ("mysql/3", "config-changed", ""),
        ("mysql/0", "cluster-relation-changed", "remote mysql/3"),
        ("mysql/2", "cluster-relation-changed", "remote mysql/3"),
        # The leader's marks, moved.
        ("mysql/0", "cluster-relation-changed", "remote mysql/2"),
        ("mysql/3", "cluster-relation-changed", "remote mysql/2"),
    ]
    blocks = [b for b in hook_blocks(transcript) if b.step == 6]
    # Only the unit that moved writes: its address, in the legacy JSON, and Juju's keys raw.
    assert [line for b in blocks[:3] for line in b.lines if line[:2] in ("+ ", "- ", "~ ")] == [
        '~ cluster-address       "10.1.0.23"',
        "~ ingress-address       10.1.0.23",
        "~ private-address       10.1.0.23",
    ]
    for peer in blocks[3:5]:
        assert peer.events == [
            "ClusterPeerDeparted",
            "ClusterAvailable",
            "ClusterPeerConfigureReady",
        ]
        assert peer.lines[1:4] == [
            "cluster_address  10.1.0.13",
            "moved            True",
            "unit_name        mysql/3",
        ]
    # The leader removes the old instance's mark and marks the new one.
    leader = blocks[4]
    assert [line for line in leader.lines if line[:2] in ("+ ", "- ")] == [
        "- cluster-instance-clustered-10-1-0-13  (none)",
        "+ cluster-instance-clustered-10-1-0-23  true",
    ]
    assert not any(b.events for b in blocks[5:])
    assert notes_in_step(transcript, 6)[1:] == [
        f"mysql/2's cluster-instances: {instances(2, 0)}, 10.1.0.23",
        f"mysql/0's cluster-users: {users(1, 2, 3)}, 'clusteruser'@'10.1.0.23'",
        f"mysql/2's cluster-users: {users(0, 1, 3)}, 'clusteruser'@'10.1.0.23'",
        "mysql/2 heard mysql/3's old address, 10.1.0.13, named by peer_departed (moved), "
        "removed that instance and its mark, then added the one at 10.1.0.23",
    ]


def test_the_reactive_units_write_the_legacy_bytes_json_quotes_included(transcript: str):
    created = [
        (b.unit, b.lines)
        for b in hook_blocks(transcript)
        if b.step == 7 and b.hook == "cluster-relation-created"
    ]

    assert created == [
        (
            f"legacy/{unit}",
            [
                f"databag legacy/{unit} on relation 1 (peers on legacy:cluster)",
                f'+ cluster-address       "10.2.0.1{unit}"',
                "+ cluster-password      <masked>",
                '+ cluster-user          "clusteruser"',
                # The reactive leader never sends unit-clustered.
                *([] if unit == 0 else ["+ unit-clustered        true"]),
                "+ unit-configure-ready  true",
            ],
        )
        for unit in range(3)
    ]
    # The stand-in runs no library: no event, no status.
    assert not any(b.events for b in hook_blocks(transcript) if b.step == 7)


def test_refreshed_units_take_the_reactive_unit_for_a_full_member(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 8]
    upgrades = {b.unit: b for b in blocks if b.hook == "upgrade-charm"}

    assert list(upgrades) == ["legacy/0", "legacy/1"]
    for unit, block in upgrades.items():
        assert block.events == REFRESHED
        assert block.lines[-1] == "status  active: in a cluster of 3 units"
        members = [line for line in block.lines if "unit_name='legacy/2'" in line]
        assert members == [
            "unit_name='legacy/2' cluster_address='10.2.0.12' cluster_user='clusteruser'"
        ], unit
    # The legacy bytes were the library's: legacy/0 adds only what the reactive leader never
    # sent, and marks the instances; legacy/1 writes nothing.
    changed = [line for line in upgrades["legacy/0"].lines if line[:2] in ("+ ", "- ", "~ ")]
    assert changed == [
        "+ unit-clustered        true",
        "+ cluster-instance-clustered-10-2-0-10  true",
        "+ cluster-instance-clustered-10-2-0-11  true",
        "+ cluster-instance-clustered-10-2-0-12  true",
    ]
    assert not any(line.startswith("databag") for line in upgrades["legacy/1"].lines)
    # legacy/2 still runs the reactive charm: it sees the change, and runs no library.
    assert [(b.unit, b.hook, b.events) for b in blocks if b.unit == "legacy/2"] == [
        ("legacy/2", "config-changed", []),
        ("legacy/2", "cluster-relation-changed", []),
    ]
    assert notes_in_step(transcript, 8)[2:] == [
        f"legacy/0's cluster-users: {users(1, 2, subnet=2)}",
        f"legacy/1's cluster-users: {users(0, 2, subnet=2)}",
        f"legacy/0's cluster-instances: {instances(0, 1, 2, subnet=2)}",
        "legacy/0 and legacy/1 read legacy/2's legacy bytes, quotes and all, as a full "
        "member's: its user created, its instance added, and clustered",
        "legacy/2 would read legacy/0 and legacy/1 as the legacy layer reads (json.loads): "
        "each its address, clusteruser, the password, unit-configure-ready and "
        "unit-clustered true; its clustered state holds, as every peer now sends "
        "unit-clustered",
    ]


def test_the_last_unit_refreshed_finds_nothing_to_rewrite(transcript: str):
    blocks = [b for b in hook_blocks(transcript) if b.step == 9]

    assert [(b.unit, b.hook, b.events) for b in blocks] == [
        ("legacy/2", "upgrade-charm", REFRESHED),
        ("legacy/2", "config-changed", []),
        ("legacy/2", "start", []),
    ]
    assert not any(line.startswith("databag") for b in blocks for line in b.lines)
    assert blocks[0].lines[-1] == "status  active: in a cluster of 3 units"


def test_a_departing_unit_that_keeps_its_password_fails_the_story_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(InnodbClusterPeers, "withdraw_cluster_credentials", lambda self: None)
    out = io.StringIO()

    assert main([InnodbClusterStory()], out) == 1
    last = out.getvalue().rstrip().splitlines()[-1]
    assert last.startswith("FAILED: mysql/1 should send {'cluster-address': '\"10.1.0.11\"', ")
    assert "'cluster-password': '<masked>'" in last
    assert CLUSTER_PASSWORD not in out.getvalue()


def test_a_unit_that_sends_its_values_without_json_fails_the_story_loudly(
    monkeypatch: pytest.MonkeyPatch,
):
    # What a port that forgot the legacy encoding would write: the values raw.
    def raw_values(self: InnodbClusterPeers, address: str, user: str, password: str) -> None:
        relation = self.relation
        assert relation is not None
        databag = relation.data[self.model.unit]
        databag.update({"cluster-address": address, "cluster-user": user})
        databag["cluster-password"] = password

    monkeypatch.setattr(InnodbClusterPeers, "set_cluster_connection_info", raw_values)
    out = io.StringIO()

    assert main([InnodbClusterStory()], out) == 1
    # The library reads raw values too, so the cluster forms; the bytes are not the legacy ones.
    assert out.getvalue().rstrip().splitlines()[-1] == (
        "FAILED: mysql/0 should send {'cluster-address': '\"10.1.0.10\"', 'cluster-user': "
        "'\"clusteruser\"', 'cluster-password': '<masked>', 'unit-configure-ready': 'true', "
        "'unit-clustered': 'true'}, sends {'cluster-address': '10.1.0.10', 'cluster-user': "
        "'clusteruser', 'cluster-password': '<masked: other bytes>', 'unit-configure-ready': "
        "'true', 'unit-clustered': 'true'}"
    )
    assert CLUSTER_PASSWORD not in out.getvalue()


# --- The deployment's peer relations -----------------------------------------------------------


def test_a_peer_relation_comes_with_the_application_and_cannot_be_removed():
    deployment = Deployment()
    deployment.deploy("mysql", LegacyInterfacesDemoCharm, units=2)
    app = deployment.apps["mysql"]
    peers = deployment.peer_relation(app, "cluster")

    assert str(peers) == "peers on mysql:cluster"
    assert peers.interface == "mysql-innodb-cluster"
    assert peers.apps() == (app,)
    assert peers.known_remotes(app.units[0]) == [app.units[1]]
    with pytest.raises(ValueError, match="goes only with its application"):
        deployment.remove_integration(peers)


def test_each_unit_sees_its_peers_databags_and_the_application_databag():
    deployment = Deployment()
    deployment.deploy("mysql", LegacyInterfacesDemoCharm, units=3)
    app = deployment.apps["mysql"]
    peers = deployment.peer_relation(app, "cluster")
    peers.app_databags["mysql"] = {"written": "by the leader"}

    deployment.config(app, {})  # a hook on each unit: its state is rebuilt
    relation = app.units[1].relation_state(peers)

    assert isinstance(relation, testing.PeerRelation)
    databags = app.units[1].remote_databags(peers)
    assert sorted(databags) == [0, 2]
    assert databags[0]["private-address"] == app.units[0].address
    assert dict(relation.local_app_data) == {"written": "by the leader"}


def test_set_leader_runs_leader_elected_on_the_new_leader_only():
    deployment = Deployment()
    deployment.deploy("mysql", LegacyInterfacesDemoCharm, units=2)
    app = deployment.apps["mysql"]

    runs = deployment.set_leader(app.units[1])

    assert [(run.unit.name, run.hook_name) for run in runs] == [("mysql/1", "leader-elected")]
    assert app.leader is app.units[1]
    assert app.units[1].state.leader


def test_a_refresh_may_reach_some_units_only():
    deployment = Deployment()
    deployment.deploy("mysql", LegacyInterfacesDemoCharm, units=2)
    app = deployment.apps["mysql"]

    runs = deployment.refresh(app, LegacyInterfacesDemoCharm, units=[app.units[1]])

    assert [(run.unit.name, run.hook_name) for run in runs] == [
        ("mysql/1", "upgrade-charm"),
        ("mysql/1", "config-changed"),
        ("mysql/1", "start"),
    ]


# --- The demo charm's part in a cluster ------------------------------------------------------

SECRET_ID = "secret:demo0000000000000042"
BIND_ADDRESS = "10.5.0.7"  # unit 0's address in the library's test helpers


def context(unit_id: int = 0) -> testing.Context[LegacyInterfacesDemoCharm]:
    return charm_context(LegacyInterfacesDemoCharm, CHARMCRAFT, app_name="mysql", unit_id=unit_id)


def network(address: str = BIND_ADDRESS) -> testing.Network:
    """The peer endpoint bound to this address."""
    return testing.Network(
        "cluster",
        [testing.BindAddress([testing.Address(address)])],
        ingress_addresses=[address],
        egress_subnets=[f"{address}/32"],
    )


SECRETS = [testing.Secret({"password": CLUSTER_PASSWORD}, id=SECRET_ID, owner=None)]


def member_state(
    tmp_path: Path,
    relation: testing.RelationBase,
    *,
    password: str = CLUSTER_PASSWORD,
    leader: bool = False,
    address: str = BIND_ADDRESS,
) -> testing.State:
    """A unit given the cluster password, writing down under tmp_path."""
    secret = testing.Secret({"password": password}, id=SECRET_ID, owner=None)
    return testing.State(
        relations=[relation],
        networks={network(address)},
        secrets=[secret],
        leader=leader,
        config={"cluster-password-secret": SECRET_ID, "cluster-dir": str(tmp_path)},
    )


def wire(state: testing.State, relation: testing.RelationBase) -> dict[str, str]:
    """The handshake keys this unit writes."""
    bag = state.get_relation(relation.id).local_unit_data
    return {key: value for key, value in bag.items() if key.startswith(("cluster-", "unit-"))}


def written(tmp_path: Path, name: str, unit: str = "mysql-0") -> list[str]:
    path = tmp_path / unit / name
    return path.read_text().splitlines() if path.is_file() else []


def test_a_unit_without_the_password_sends_nothing_and_has_nothing_to_do(tmp_path: Path):
    relation = cluster_relation_for_testing(stage="credentials")
    ctx = context()
    state = testing.State(relations=[relation], config={"cluster-dir": str(tmp_path)})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=1), state)

    assert wire(state, relation) == {}
    assert state.unit_status == testing.BlockedStatus(NOTHING_TO_DO)
    assert list(tmp_path.iterdir()) == []


def test_a_unit_sends_its_bind_address_user_and_password_in_legacy_json(tmp_path: Path):
    relation = cluster_relation_for_testing(peers=0)
    ctx = context()

    state = ctx.run(ctx.on.config_changed(), member_state(tmp_path, relation))

    assert wire(state, relation) == {
        "cluster-address": f'"{BIND_ADDRESS}"',
        "cluster-user": '"clusteruser"',
        "cluster-password": json.dumps(CLUSTER_PASSWORD),
    }
    assert state.unit_status == testing.WaitingStatus("waiting for peers (1 of 3 units)")


def test_available_creates_each_peer_user_and_says_configure_ready(tmp_path: Path):
    relation = cluster_relation_for_testing(stage="credentials")
    ctx = context()

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1), member_state(tmp_path, relation)
    )

    assert written(tmp_path, "cluster-users") == [
        "'clusteruser'@'10.5.0.8'",
        "'clusteruser'@'10.5.0.9'",
    ]
    assert wire(state, relation)["unit-configure-ready"] == "true"
    assert state.unit_status == testing.MaintenanceStatus("clustering")


def test_the_leader_creates_the_cluster_adds_each_ready_peer_and_marks_it(tmp_path: Path):
    relation = cluster_relation_for_testing(stage="configure-ready", local_stage="configure-ready")
    ctx = context()

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1),
        member_state(tmp_path, relation, leader=True),
    )

    assert written(tmp_path, "cluster-instances") == ["10.5.0.7", "10.5.0.8", "10.5.0.9"]
    app_data = state.get_relation(relation.id).local_app_data
    assert dict(app_data) == {
        "cluster-instance-clustered-10-5-0-7": "true",
        "cluster-instance-clustered-10-5-0-8": "true",
        "cluster-instance-clustered-10-5-0-9": "true",
    }
    assert wire(state, relation)["unit-clustered"] == "true"
    # Its peers have not said they are clustered yet.
    assert state.unit_status == testing.MaintenanceStatus("clustering")


def test_a_leader_that_has_sent_no_address_yet_adds_the_instance_later(tmp_path: Path):
    # Its password could not be read when config-changed ran: it sent nothing.
    relation = cluster_relation_for_testing(stage="configure-ready")
    ctx = context()
    state = dataclasses.replace(member_state(tmp_path, relation, leader=True), secrets=[])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=1), state)
    assert written(tmp_path, "cluster-instances") == []

    # The deferred event runs before config-changed sends the address, then in the next hook.
    state = ctx.run(ctx.on.config_changed(), dataclasses.replace(state, secrets=SECRETS))
    state = ctx.run(ctx.on.update_status(), state)

    assert written(tmp_path, "cluster-instances") == ["10.5.0.7", "10.5.0.8", "10.5.0.9"]


def test_a_non_leader_adds_no_instance(tmp_path: Path):
    relation = cluster_relation_for_testing(stage="configure-ready")
    ctx = context()

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1), member_state(tmp_path, relation)
    )

    assert written(tmp_path, "cluster-instances") == []
    assert "unit-clustered" not in wire(state, relation)


def test_a_non_leader_sends_clustered_once_the_leader_marked_its_instance(tmp_path: Path):
    relation = dataclasses.replace(
        cluster_relation_for_testing(stage="clustered", local_stage="configure-ready"),
        local_app_data={"cluster-instance-clustered-10-5-0-7": "true"},
    )
    ctx = context()

    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1), member_state(tmp_path, relation)
    )

    assert wire(state, relation)["unit-clustered"] == "true"
    assert state.unit_status == testing.ActiveStatus("in a cluster of 3 units")


def test_the_leader_removes_a_departed_peer_at_the_address_it_sent(tmp_path: Path):
    ctx = context()
    relation = cluster_relation_for_testing(stage="configure-ready", local_stage="configure-ready")
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1),
        member_state(tmp_path, relation, leader=True),
    )
    # Peer 2 departs, having withdrawn its user and password: the library kept its address.
    peers_data = {1: relation.peers_data[1]}
    relation = dataclasses.replace(state.get_relation(relation.id), peers_data=peers_data)
    state = dataclasses.replace(state, relations=[relation])

    state = ctx.run(ctx.on.relation_departed(relation, remote_unit=2, departing_unit=2), state)

    assert written(tmp_path, "cluster-instances") == ["10.5.0.7", "10.5.0.8"]
    assert (
        "cluster-instance-clustered-10-5-0-9" not in state.get_relation(relation.id).local_app_data
    )


def test_the_leader_moves_the_instance_of_a_peer_whose_address_changed(tmp_path: Path):
    ctx = context()
    relation = cluster_relation_for_testing(stage="configure-ready", local_stage="configure-ready")
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=1),
        member_state(tmp_path, relation, leader=True),
    )
    assert written(tmp_path, "cluster-instances") == ["10.5.0.7", "10.5.0.8", "10.5.0.9"]
    # Peer 2 moves: it sends its new address, still configure-ready.
    moved = {**relation.peers_data[2], "cluster-address": '"10.5.0.29"'}
    relation = dataclasses.replace(
        state.get_relation(relation.id), peers_data={1: relation.peers_data[1], 2: moved}
    )
    state = dataclasses.replace(state, relations=[relation])

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=2), state)

    assert written(tmp_path, "cluster-instances") == ["10.5.0.7", "10.5.0.8", "10.5.0.29"]
    marks = state.get_relation(relation.id).local_app_data
    assert "cluster-instance-clustered-10-5-0-9" not in marks
    assert marks["cluster-instance-clustered-10-5-0-29"] == "true"


def test_a_departing_leader_withdraws_its_credentials_and_removes_no_instance(tmp_path: Path):
    # Unit 1 leaves; ops.testing can name unit 1, not unit 0, as this unit departing.
    ctx = context(unit_id=1)
    peers = {number: cluster_databag_for_testing(number, "clustered") for number in (0, 2)}
    relation = testing.PeerRelation(
        "cluster",
        peers_data=peers,
        local_unit_data=cluster_databag_for_testing(1, "clustered"),
    )
    state = ctx.run(
        ctx.on.relation_changed(relation, remote_unit=0),
        member_state(tmp_path, relation, leader=True, address="10.5.0.8"),
    )
    instances = written(tmp_path, "cluster-instances", "mysql-1")
    relation = dataclasses.replace(state.get_relation(relation.id), peers_data={2: peers[2]})
    state = dataclasses.replace(state, relations=[relation])

    state = ctx.run(ctx.on.relation_departed(relation, remote_unit=0, departing_unit=1), state)

    assert wire(state, relation) == {
        "cluster-address": '"10.5.0.8"',
        "unit-configure-ready": "true",
        "unit-clustered": "true",
    }
    assert written(tmp_path, "cluster-instances", "mysql-1") == instances
    assert len(instances) == 3


def test_a_new_leader_writes_the_instances_from_the_marks(tmp_path: Path):
    relation = dataclasses.replace(
        cluster_relation_for_testing(stage="clustered", local_stage="clustered"),
        local_app_data={
            "cluster-instance-clustered-10-5-0-7": "true",
            "cluster-instance-clustered-10-5-0-9": "true",
        },
    )
    ctx = context()

    ctx.run(ctx.on.leader_elected(), member_state(tmp_path, relation, leader=True))

    assert written(tmp_path, "cluster-instances") == ["10.5.0.7", "10.5.0.9"]


def test_a_unit_refreshed_from_the_reactive_charm_rewrites_nothing(tmp_path: Path):
    # A reactive non-leader of a formed cluster, its leader reactive too.
    relation = dataclasses.replace(
        cluster_relation_for_testing(
            stage="clustered", local_stage="clustered", reactive_leader=1
        ),
    )
    before = dict(relation.local_unit_data)
    ctx = context()

    state = ctx.run(
        ctx.on.upgrade_charm(), member_state(tmp_path, relation, password=TEST_CLUSTER_PASSWORD)
    )

    library_events = [
        type(e).__name__ for e in ctx.emitted_events if not isinstance(e, ops.HookEvent)
    ]
    assert library_events == REFRESHED[:-1]  # the reactive leader never sent unit-clustered
    assert dict(state.get_relation(relation.id).local_unit_data) == before
    assert state.unit_status == testing.MaintenanceStatus("clustering")


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ([], "cannot read cluster-password-secret: not found, or not granted to this application"),
        (
            [testing.Secret({"pass": "x"}, id=SECRET_ID, owner=None)],
            "cluster-password-secret lacks password",
        ),
        (
            [testing.Secret({"password": "bad\nline"}, id=SECRET_ID, owner=None)],
            "cannot send the cluster credentials: cluster_password: must not hold control "
            "characters",
        ),
    ],
)
def test_a_password_that_cannot_be_sent_blocks_and_sends_nothing(
    tmp_path: Path, secrets: list[testing.Secret], message: str
):
    relation = cluster_relation_for_testing(peers=0)
    ctx = context()
    state = dataclasses.replace(member_state(tmp_path, relation), secrets=secrets)

    state = ctx.run(ctx.on.config_changed(), state)

    assert state.unit_status == testing.BlockedStatus(message)
    assert wire(state, relation) == {}


def test_a_relative_cluster_dir_blocks_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    relation = cluster_relation_for_testing(stage="credentials")
    ctx = context()
    state = member_state(tmp_path, relation)
    state = dataclasses.replace(state, config={**state.config, "cluster-dir": "cluster"})

    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=1), state)

    assert state.unit_status == testing.BlockedStatus("cluster-dir must be an absolute path")
    assert "unit-configure-ready" not in wire(state, relation)
    assert list(tmp_path.iterdir()) == []
