# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The mysql-innodb-cluster story: the units of one application form a cluster, as peers.

The demo charm is deployed as `mysql`, whose units are peers on their `cluster` endpoint
(`InnodbClusterPeers`). Given the cluster password, in a Juju user secret named in their
config, they send each other their credentials, create each other's cluster users and say
so; the leader adds each instance to the cluster, and each unit says it is clustered once the
leader has marked its instance added. The MySQL instances are simulated: each unit writes
down the users it created, and the leader the instances of its cluster, in files the story
prints. Then the cluster grows, loses a unit (which, leaving, ends its states at once and
hears no peer depart), changes leaders, and one unit's address moves: the leader hears the
address it added named by `peer_departed`, removes that instance, and adds the new one.

A last chapter runs a mixed cluster: the application `legacy` forms its cluster while it runs
a stand-in for the reactive charm, then the refresh to the demo charm reaches two units of
three. The `ops` units take the reactive unit's bytes, JSON quotes included, for a full
member's, and what they write reads, the legacy way, as what the reactive unit writes itself.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ops

from charm import NOTHING_TO_DO, LegacyInterfacesDemoCharm
from charms.innodb_cluster.v0.innodb_cluster import (
    ClusterAvailable,
    ClusterPeerConfigureReady,
    ClusterPeerDeparted,
)
from demo import story
from demo.deployment import Application, HookRun, Integration, Unit, load_charmcraft_yaml
from demo.story import Lifecycle, Stage, Story, expect, expect_status
from innodb_cluster_roles import CLUSTER_ENDPOINT, CLUSTER_USER, INSTANCES_FILE, USERS_FILE

# The demo charm plays no other role in this story; were it to, those events would not count.
LIBRARIES = ("charms.innodb_cluster.v0.innodb_cluster",)
fired_on = functools.partial(story.fired_on, libraries=LIBRARIES)
expect_fired = functools.partial(story.expect_fired, libraries=LIBRARIES)

# Made up for the demo, and never printed: the transcript masks `cluster-password`, and the
# story checks that this text appears nowhere in it.
CLUSTER_PASSWORD = "Qz7-wire-compatible-4Kp"  # noqa: S105 - the demo's own
# The handshake keys, in the legacy layer's order; a departing unit keeps the first.
WIRE_KEYS = (
    "cluster-address",
    "cluster-user",
    "cluster-password",
    "unit-configure-ready",
    "unit-clustered",
)
# The library events of a unit that meets its first peer; of a unit whose two peers have
# sent their credentials, then said they created its user, then that they are clustered;
# and of a unit refreshed into a formed cluster, in its upgrade-charm hook.
JOINS = ["ClusterConnected"]
FORMS = [
    "ClusterAvailable",
    "ClusterPeerConfigureReady",
    "ClusterPeerConfigureReady",
    "ClusterClustered",
]
REFRESHED = [*JOINS, *FORMS]
# What a unit hears in its first relation-departed hook when it is the one leaving: every
# state ends there, and no peer departs, since its peers stay in the cluster.
LEAVES = ["ClusterUnclustered", "ClusterUnavailable", "ClusterDisconnected"]
# What each peer hears when a ready unit moves: the old address named, then the new one.
MOVES = ["ClusterPeerDeparted", "ClusterAvailable", "ClusterPeerConfigureReady"]
# Where mysql/3 moves to.
NEW_ADDRESS = "10.1.0.23"


class ReactiveClusterStandIn(ops.CharmBase):
    """What the simulator can run of the reactive mysql-innodb-cluster charm: its bytes.

    Reactive code cannot run under ops.testing. In a cluster it has formed, every reactive
    unit has sent, through the layer's `to_publish` (JSON: a string in its quotes), its bind
    address, the user `clusteruser` and the password its leader generated, then
    `unit-configure-ready`; every unit but the leader, which never does, `unit-clustered`;
    and the layer has written the bind address, raw, in `ingress-address` and
    `private-address`. The stand-in writes all of it when the peer relation is created. It is
    deployed with the demo charm's metadata (the same endpoint), which the refresh keeps.
    """

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on[CLUSTER_ENDPOINT].relation_created, self._on_cluster_created)

    def _on_cluster_created(self, event: ops.RelationCreatedEvent) -> None:
        address = str(self.model.get_binding(event.relation).network.bind_address)
        sent: dict[str, object] = {
            "cluster-address": address,
            "cluster-user": CLUSTER_USER,
            "cluster-password": CLUSTER_PASSWORD,
            "unit-configure-ready": True,
        }
        if not self.unit.is_leader():
            sent["unit-clustered"] = True
        databag = event.relation.data[self.unit]
        databag.update({key: json.dumps(value) for key, value in sent.items()})
        databag.update({"ingress-address": address, "private-address": address})


@dataclasses.dataclass(frozen=True)
class Cast:
    """An application of the story, its peer relation, and where its units write down."""

    app: Application
    peers: Integration
    """Its peer relation, on `cluster`."""
    cluster_dir: Path
    """Its `cluster-dir`, with a directory per unit."""

    def units(self) -> list[Unit]:
        """Its units, in unit-number order."""
        return [self.app.units[number] for number in sorted(self.app.units)]

    def leader(self) -> Unit:
        """Its leader."""
        leader = self.app.leader
        if leader is None:
            raise ValueError(f"{self.app.name} has no leader")
        return leader

    def file(self, unit: Unit, name: str) -> Path:
        """One of the files the unit writes down, in its directory."""
        return self.cluster_dir / unit.name.replace("/", "-") / name


class InnodbClusterStory(Story):
    """Form a cluster, scale out, remove a unit, change leaders; then run a mixed cluster.

    The last chapter forms a cluster while its units run the reactive charm, then refreshes
    two of them to the demo charm: for a while, reactive and `ops` units are peers.
    """

    title = (
        "mysql-innodb-cluster: the units of app mysql form a MySQL InnoDB cluster; then app "
        "legacy, refreshed from the reactive charm, runs a mixed cluster"
    )
    secret_keys = frozenset({"cluster-password"})

    # Steps 1-6: peers join, cluster, scale out, a unit leaves, the leader and an address
    # change (peers are never unrelated); then the mixed cluster's chapter.
    lifecycles = (
        Lifecycle("mysql-innodb-cluster", "charms.innodb_cluster.v0.innodb_cluster", steps=6),
    )

    def play(self, stage: Stage) -> str:
        """Tell the story; return its summary."""
        mysql = self._deploy(stage)
        self._form_cluster(stage, mysql)
        self._scale_out(stage, mysql)
        departed = self._remove_unit(stage, mysql)
        handover = len(stage.runs)  # the first leader's part ends here
        self._change_leader(stage, mysql, departed)
        self._move_unit(stage, mysql, departed)
        legacy = self._deploy_reactive_cluster(stage)
        self._refresh_two_of_three(stage, legacy)
        self._refresh_the_last(stage, legacy)
        return self._finish(stage, mysql, legacy, handover)

    # --- The cluster of app mysql ------------------------------------------------------------

    def _deploy(self, stage: Stage) -> Cast:
        stage.step("deploy the demo charm as mysql, 3 units: they join as peers")
        deployment = stage.deployment
        cluster_dir = stage.workdir / "cluster"
        runs = deployment.deploy(
            "mysql", LegacyInterfacesDemoCharm, units=3, config={"cluster-dir": str(cluster_dir)}
        )
        app = deployment.apps["mysql"]
        mysql = Cast(app, deployment.peer_relation(app, CLUSTER_ENDPOINT), cluster_dir)
        for unit in mysql.units():
            expect_fired(runs, unit, JOINS)
            # Without the password a unit takes no part: it sends nothing.
            expect_wire(unit, mysql.peers, {})
            expect_status(unit, "blocked", NOTHING_TO_DO)
        stage.transcript.note(
            "Juju relates the units of mysql as peers on mysql:cluster; with no password, "
            "they send nothing"
        )
        return mysql

    def _form_cluster(self, stage: Stage, mysql: Cast) -> None:
        stage.step("give mysql the cluster password: the three units form a cluster")
        deployment = stage.deployment
        stage.transcript.note(
            "juju add-secret cluster-password password=...; "
            "juju grant-secret cluster-password mysql"
        )
        secret_id = deployment.add_secret({"password": CLUSTER_PASSWORD}, grant_to=[mysql.app])
        stage.transcript.note(f"juju config mysql cluster-password-secret={secret_id}")
        runs = deployment.config(mysql.app, {"cluster-password-secret": secret_id})
        leader = mysql.leader()
        for unit in mysql.units():
            expect_fired(runs, unit, FORMS)
            expect_wire(unit, mysql.peers, legacy_bytes(unit))
            expect_status(unit, "active", "in a cluster of 3 units")
        expect_configure_ready(runs, leader, mysql.units()[1:])
        self._expect_files(stage, mysql, members=mysql.units(), instances=mysql.units())
        stage.transcript.note(
            f"{leader.name}, the leader, created the cluster on its own instance, then added "
            "each peer's, and marked each in the application databag"
        )

    def _scale_out(self, stage: Stage, mysql: Cast) -> None:
        stage.step("mysql scales out to 4 units")
        runs = stage.deployment.add_unit(mysql.app)
        *members, new = mysql.units()
        for unit in members:
            # Until the new peer has clustered, the cluster has not; its user is created
            # once it sends its credentials, and the leader adds its instance.
            expect_fired(
                runs,
                unit,
                [
                    *("ClusterUnclustered", "ClusterAvailable"),
                    *("ClusterPeerConfigureReady", "ClusterClustered"),
                ],
            )
        # It meets its peers one by one; with two of them, both clustered, the legacy states
        # hold: available and clustered; the third makes it available again, for its user.
        expect_fired(
            runs,
            new,
            [
                *("ClusterConnected", "ClusterPeerConfigureReady"),  # mysql/0
                *("ClusterAvailable", "ClusterPeerConfigureReady", "ClusterClustered"),  # /1
                *("ClusterAvailable", "ClusterPeerConfigureReady"),  # mysql/2
            ],
        )
        expect_configure_ready(runs, mysql.leader(), [new])
        for unit in mysql.units():
            expect_wire(unit, mysql.peers, legacy_bytes(unit))
            expect_status(unit, "active", "in a cluster of 4 units")
        self._expect_files(stage, mysql, members=mysql.units(), instances=mysql.units())

    def _remove_unit(self, stage: Stage, mysql: Cast) -> Unit:
        stage.step("remove mysql/1")
        leaving = mysql.app.units[1]
        members = mysql.units()
        runs = stage.deployment.remove_unit(leaving)
        for unit in mysql.units():
            expect_fired(runs, unit, ["ClusterPeerDeparted", "ClusterAvailable"])
        # On the unit leaving, its peers leave its view, not the cluster: no peer departs,
        # and every state ends in its first departure, however many peers it still lists.
        expect_fired(runs, leaving, LEAVES)
        expect_ended_at_once(runs, leaving)
        # It withdrew its user and password, and kept its address for the leader to read.
        expect_wire(leaving, mysql.peers, without_credentials(legacy_bytes(leaving)))
        expect_departed(runs, mysql.leader(), leaving)
        for unit in mysql.units():
            expect_status(unit, "active", "in a cluster of 3 units")
        self._expect_files(stage, mysql, members=members, instances=mysql.units())
        stage.transcript.note(
            f"{leaving.name} withdrew its user and password; the library had kept its address, "
            "from which the leader removed its instance"
        )
        return leaving

    def _change_leader(self, stage: Stage, mysql: Cast, departed: Unit) -> None:
        stage.step("the leader changes: mysql/2 becomes the leader")
        old_leader, new_leader = mysql.leader(), mysql.app.units[2]
        runs = stage.deployment.set_leader(new_leader)
        for unit in mysql.units():
            expect_fired(runs, unit, [])
            expect_status(unit, "active", "in a cluster of 3 units")
        others = [unit for unit in mysql.units() if unit is not new_leader]
        self._expect_files(
            stage,
            mysql,
            members=sorted([*mysql.units(), departed], key=lambda unit: unit.number),
            instances=[new_leader, *others],
            writers=[],  # nobody created a user
        )
        stage.transcript.note(
            f"{new_leader.name} took the cluster over from the marks {old_leader.name} left "
            "in the application databag: its own instance first"
        )

    def _move_unit(self, stage: Stage, mysql: Cast, departed: Unit) -> None:
        stage.step(f"mysql/3's machine gets a new address, {NEW_ADDRESS}")
        moving, leader = mysql.app.units[3], mysql.leader()
        old = moving.address
        moving.address = NEW_ADDRESS
        stage.transcript.note(
            "Juju runs config-changed on a unit whose address changed; the simulator runs it "
            "on each unit of mysql, as juju config does, which changes nothing on the others, "
            "and leaves Juju's own egress-subnets as they were"
        )
        runs = stage.deployment.config(mysql.app, {})
        expect_fired(runs, moving, [])
        for unit in mysql.units():
            if unit is not moving:
                expect_fired(runs, unit, MOVES)
            expect_wire(unit, mysql.peers, legacy_bytes(unit))
            expect_status(unit, "active", "in a cluster of 3 units")
        # The leader hears the address it added named, then is told of the new one.
        expect_moved(runs, leader, moving, old)
        expect_configure_ready(runs, leader, [moving])
        self._expect_files(
            stage,
            mysql,
            members=sorted([*mysql.units(), departed], key=lambda unit: unit.number),
            instances=[leader, *[unit for unit in mysql.units() if unit is not leader]],
            writers=[],
        )
        for unit in mysql.units():
            if unit is not moving:
                created = _lines(mysql.file(unit, USERS_FILE))
                user = f"'{CLUSTER_USER}'@'{NEW_ADDRESS}'"
                expect(created[-1] == user, f"{unit.name} should have created {user} last")
                stage.transcript.note(f"{unit.name}'s {USERS_FILE}: {', '.join(created)}")
        stage.transcript.note(
            f"{leader.name} heard {moving.name}'s old address, {old}, named by "
            f"peer_departed (moved), removed that instance and its mark, then added the one "
            f"at {NEW_ADDRESS}"
        )

    # --- A mixed cluster: reactive and ops units ---------------------------------------------

    def _deploy_reactive_cluster(self, stage: Stage) -> Cast:
        stage.step("a cluster formed by the reactive charm: app legacy, 3 units, running it")
        stage.transcript.note(
            "app legacy runs the reactive charm, played by a stand-in that writes what a unit "
            "of a formed reactive cluster has written: every value JSON, strings in quotes"
        )
        deployment = stage.deployment
        cluster_dir = stage.workdir / "cluster"
        runs = deployment.deploy(
            "legacy",
            ReactiveClusterStandIn,
            units=3,
            config={"cluster-dir": str(cluster_dir)},
            # The reactive charm declares the same endpoint as the charm it is refreshed to.
            charmcraft_yaml=load_charmcraft_yaml(LegacyInterfacesDemoCharm),
        )
        app = deployment.apps["legacy"]
        legacy = Cast(app, deployment.peer_relation(app, CLUSTER_ENDPOINT), cluster_dir)
        leader = legacy.leader()
        for unit in legacy.units():
            expect_fired(runs, unit, [])  # it runs no library
            expect_wire(unit, legacy.peers, legacy_bytes(unit, clustered=unit is not leader))
        stage.transcript.note(f"{leader.name}, the leader, never sent unit-clustered")
        return legacy

    def _refresh_two_of_three(self, stage: Stage, legacy: Cast) -> None:
        stage.step("juju refresh legacy to the demo charm (ops): it reaches legacy/0 and legacy/1")
        deployment = stage.deployment
        stage.transcript.note(
            "first the demo charm is given the password the reactive leader generated: "
            "juju add-secret, juju grant-secret, juju config legacy cluster-password-secret=..."
        )
        secret_id = deployment.add_secret({"password": CLUSTER_PASSWORD}, grant_to=[legacy.app])
        runs = deployment.config(legacy.app, {"cluster-password-secret": secret_id})
        leader, refreshed, reactive = legacy.units()
        stage.transcript.note(f"{reactive.name} is not refreshed yet: it runs the reactive charm")
        runs += deployment.refresh(
            legacy.app,
            LegacyInterfacesDemoCharm,
            keep_stored_state=False,
            units=[leader, refreshed],
        )
        for unit in (leader, refreshed):
            expect_fired_in_upgrade(runs, unit, REFRESHED)
            expect_members(runs, unit, [peer for peer in legacy.units() if peer is not unit])
            expect_status(unit, "active", "in a cluster of 3 units")
        expect_fired(runs, reactive, [])
        expect_configure_ready(runs, leader, [refreshed, reactive])
        # The reactive bytes were the library's already, but for the leader's unit-clustered.
        expect_changed(runs, leader.name, legacy.app.name)
        for unit in legacy.units():
            expect_wire(unit, legacy.peers, legacy_bytes(unit))
        self._expect_files(
            stage,
            legacy,
            members=legacy.units(),
            instances=legacy.units(),
            writers=[leader, refreshed],
        )
        stage.transcript.note(
            f"{leader.name} and {refreshed.name} read {reactive.name}'s legacy bytes, quotes and "
            "all, as a full member's: its user created, its instance added, and clustered"
        )
        self._expect_read_the_legacy_way(stage, legacy, reactive, [leader, refreshed])

    def _refresh_the_last(self, stage: Stage, legacy: Cast) -> None:
        stage.step("the refresh reaches legacy/2")
        last = legacy.units()[-1]
        runs = stage.deployment.refresh(
            legacy.app, LegacyInterfacesDemoCharm, keep_stored_state=False, units=[last]
        )
        expect_fired_in_upgrade(runs, last, REFRESHED)
        expect_changed(runs)
        for unit in legacy.units():
            if unit is not last:
                expect_fired(runs, unit, [])
            expect_status(unit, "active", "in a cluster of 3 units")
        self._expect_files(
            stage, legacy, members=legacy.units(), instances=legacy.units(), writers=[last]
        )
        stage.transcript.note(f"{last.name}'s legacy bytes are the library's: nothing to rewrite")

    # --- What the story checks, and shows ------------------------------------------------------

    def _expect_files(
        self,
        stage: Stage,
        cast: Cast,
        members: list[Unit],
        instances: list[Unit],
        writers: Iterable[Unit] | None = None,
    ) -> None:
        """Check and show the users each unit created, and the instances of the leader.

        A unit has created the user of every unit that has been its peer (`members`), in
        unit-number order, and drops none. `writers` are the units whose users are checked
        and shown: those that created users in this step; by default, every unit.
        """
        for unit in cast.units() if writers is None else writers:
            created = _lines(cast.file(unit, USERS_FILE))
            expected = [
                f"'{CLUSTER_USER}'@'{peer.address}'" for peer in members if peer is not unit
            ]
            expect(created == expected, f"{unit.name} should have created {expected}: {created}")
            stage.transcript.note(f"{unit.name}'s {USERS_FILE}: {', '.join(created)}")
        leader = cast.leader()
        added = _lines(cast.file(leader, INSTANCES_FILE))
        expected = [unit.address for unit in instances]
        expect(added == expected, f"{leader.name}'s cluster should hold {expected}: {added}")
        stage.transcript.note(f"{leader.name}'s {INSTANCES_FILE}: {', '.join(added)}")

    def _expect_read_the_legacy_way(
        self, stage: Stage, cast: Cast, reactive: Unit, refreshed: list[Unit]
    ) -> None:
        """Check that the reactive unit reads each ops unit's bytes as it reads its own."""
        own = legacy_received(reactive.databag(cast.peers))
        expect(own == member_received(reactive), f"{reactive.name} should read as a member")
        for unit in refreshed:
            received = legacy_received(unit.databag(cast.peers))
            expect(
                received == member_received(unit),
                f"{reactive.name} should read {unit.name} as a full member, reads "
                f"{sorted(received)}",
            )
        names = " and ".join(unit.name for unit in refreshed)
        stage.transcript.note(
            f"{reactive.name} would read {names} as the legacy layer reads (json.loads): each "
            "its address, clusteruser, the password, unit-configure-ready and unit-clustered "
            "true; its clustered state holds, as every peer now sends unit-clustered"
        )

    def _finish(self, stage: Stage, mysql: Cast, legacy: Cast, handover: int) -> str:
        expect(
            CLUSTER_PASSWORD not in stage.transcript.text,
            "the transcript must never show the cluster password",
        )
        first_leader, leader = mysql.app.units[0], mysql.leader()
        told = [e for run in stage.runs[:handover] if run.unit is first_leader for e in run.events]
        added = sum(isinstance(event, ClusterPeerConfigureReady) for event in told)
        removed = sum(isinstance(event, ClusterPeerDeparted) for event in told)
        later = [e for run in stage.runs[handover:] if run.unit is leader for e in run.events]
        moved = sum(isinstance(event, ClusterPeerDeparted) and event.moved for event in later)
        return (
            f"mysql-innodb-cluster: OK - {len(stage.runs)} hooks run; {first_leader.name}, the "
            f"first leader, added {added} peers' instances and removed {removed}; "
            f"{leader.name} took the cluster over and moved {moved} instance to its new "
            "address; in a mixed cluster, the ops units took the reactive unit's legacy bytes "
            "for a full member's, and wrote bytes it reads as one; no password printed"
        )


# --- The bytes, the legacy way -----------------------------------------------------------------


def legacy_bytes(unit: Unit, *, clustered: bool = True) -> dict[str, str]:
    """The handshake keys of a unit of a formed cluster, in the legacy bytes, by hand.

    Every value is JSON: each string in its quotes, each flag `true`.
    """
    databag = {
        "cluster-address": f'"{unit.address}"',
        "cluster-user": f'"{CLUSTER_USER}"',
        "cluster-password": f'"{CLUSTER_PASSWORD}"',
        "unit-configure-ready": "true",
    }
    if clustered:
        databag["unit-clustered"] = "true"
    return databag


def without_credentials(databag: Mapping[str, str]) -> dict[str, str]:
    """What a departing unit leaves: all but its user and password."""
    return {
        key: value
        for key, value in databag.items()
        if key not in ("cluster-user", "cluster-password")
    }


def legacy_received(databag: Mapping[str, str]) -> dict[str, Any]:
    """The handshake keys as the legacy layer's `received` reads them: JSON, else the text."""
    received: dict[str, Any] = {}
    for key in WIRE_KEYS:
        if key in databag:
            try:
                received[key] = json.loads(databag[key])
            except ValueError:
                received[key] = databag[key]
    return received


def member_received(unit: Unit) -> dict[str, Any]:
    """What a reactive unit reads from a clustered member: plain strings, and True."""
    return {
        "cluster-address": unit.address,
        "cluster-user": CLUSTER_USER,
        "cluster-password": CLUSTER_PASSWORD,
        "unit-configure-ready": True,
        "unit-clustered": True,
    }


# --- What the story checks -------------------------------------------------------------------


def expect_wire(unit: Unit, integration: Integration, expected: dict[str, str]) -> None:
    """Check the handshake keys in the unit's databag; a failure shows no password."""
    databag = unit.databag(integration)
    bag = {key: databag[key] for key in WIRE_KEYS if key in databag}
    expect(
        bag == expected,
        f"{unit.name} should send {_masked(expected)}, sends {_masked(bag)}",
    )


def _masked(databag: Mapping[str, str]) -> dict[str, str]:
    """The databag fit to print: the password masked, saying whether its bytes are expected."""
    shown = dict(databag)
    if "cluster-password" in shown:
        expected = shown["cluster-password"] == json.dumps(CLUSTER_PASSWORD)
        shown["cluster-password"] = "<masked>" if expected else "<masked: other bytes>"
    return shown


def expect_configure_ready(runs: list[HookRun], leader: Unit, peers: list[Unit]) -> None:
    """Check the leader was told of each of these peers' instances, at its address, once."""
    told = [
        (event.unit_name, event.cluster_address)
        for run in runs
        if run.unit is leader
        for event in run.events
        if isinstance(event, ClusterPeerConfigureReady)
    ]
    expected = [(peer.name, peer.address) for peer in peers]
    expect(told == expected, f"{leader.name} should have been told of {expected}: {told}")


def expect_departed(runs: list[HookRun], leader: Unit, departed: Unit) -> None:
    """Check the leader was told which instance departed: the address the unit had sent."""
    told = [
        (event.unit_name, event.cluster_address)
        for run in runs
        if run.unit is leader
        for event in run.events
        if isinstance(event, ClusterPeerDeparted)
    ]
    expected = [(departed.name, departed.address)]
    expect(told == expected, f"{leader.name} should have been told {expected} departed: {told}")


def expect_moved(runs: list[HookRun], leader: Unit, moving: Unit, old: str) -> None:
    """Check the leader was told, once, that the unit's instance moved from the old address."""
    told = [
        (event.unit_name, event.cluster_address, event.moved)
        for run in runs
        if run.unit is leader
        for event in run.events
        if isinstance(event, ClusterPeerDeparted)
    ]
    expected = [(moving.name, old, True)]
    expect(told == expected, f"{leader.name} should have been told {expected}: {told}")


def expect_ended_at_once(runs: list[HookRun], leaving: Unit) -> None:
    """Check the leaving unit heard every end in its first relation-departed, none after."""
    departures = [
        run.fired for run in runs if run.unit is leaving and run.hook.kind == "relation-departed"
    ]
    expected = [LEAVES] + [[]] * (len(departures) - 1)
    expect(
        departures == expected,
        f"{leaving.name} should hear {LEAVES} in its first departure, then nothing: {departures}",
    )


def expect_members(runs: list[HookRun], unit: Unit, peers: list[Unit]) -> None:
    """Check the unit's `ClusterAvailable` listed these peers, each at its address."""
    members = [
        [(member.unit_name, member.cluster_address) for member in event.members]
        for run in runs
        if run.unit is unit
        for event in run.events
        if isinstance(event, ClusterAvailable)
    ]
    expected = [[(peer.name, peer.address) for peer in peers]]
    expect(members == expected, f"{unit.name} should count {expected} as members: {members}")


def expect_fired_in_upgrade(runs: list[HookRun], unit: Unit, expected: list[str]) -> None:
    """Check the unit saw these events in its upgrade-charm hook, and none after."""
    upgrade = [run.fired for run in runs if run.unit is unit and run.hook.kind == "upgrade-charm"]
    expect(upgrade == [expected], f"{unit.name} should see {expected} in upgrade-charm")
    expect_fired(runs, unit, expected)


def expect_changed(runs: list[HookRun], *owners: str) -> None:
    """Check that only these units' or applications' databags changed."""
    changed = [change.owner for run in runs for change in run.changes]
    expect(changed == list(owners), f"only {list(owners)} should change their data: {changed}")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []
