# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""A simulated Juju model that runs real charm code through `ops.testing`, hook by hook.

Nothing here knows about any interface. A `Deployment` holds applications, their units and
the integrations (relations) between their endpoints. Each unit is one `ops.testing.Context`
plus the `ops.testing.State` it last returned. Operations such as `integrate` or
`remove_unit` queue the hooks Juju would run, in Juju's order, and `settle` runs them: before
a unit's hook, every relation in its state gets the other side's current databags (only of
the units this unit has seen join), and after it the unit's output state is kept. When a
hook changes a unit's databag, the units that can see it get `relation-changed`, as in Juju.

`refresh` swaps an application's charm, as `juju refresh` does, keeping everything Juju
keeps (relations and their databags, config, secrets, leadership). What the charm kept for
itself, ops' stored state and deferred events, survives a refresh between two `ops` charms;
a refresh from a charm that did not run `ops`, such as a reactive charm, starts with none
(`keep_stored_state=False`), which is how a charm's first `ops` release finds its units.

Peer relations are integrations too: one per endpoint in the `peers:` section of the
application's charmcraft.yaml, created when it is deployed, whose two ends are that same
endpoint, and whose remote units are the other units of the application. Each unit's hooks
see it as an `ops.testing.PeerRelation`: its own databag, the application databag, and the
databags of the peers it has seen join. A unit added later runs relation-created on it, then
it and each existing unit meet (relation-joined, relation-changed) both ways; a unit removed
departs it as any other relation: the others see it depart, it sees each of them depart,
then runs relation-broken, as a unit leaving a relation does; the relation itself goes only
with its application.

An application databag is one per application per relation, whichever unit last wrote it
(only a leader can), so that a new leader reads what the previous one wrote. `set_leader`
moves leadership, as Juju may when the leader's agent is lost.

Leader settings, which `ops` reads only through the `leader-get` and `leader-set` hook tools,
are kept per application when the deployment is given a directory for fake tools
(`demo.hook_tools`): a leader's `leader-set` runs leader-settings-changed on every other unit,
as Juju does, and a non-leader's fails. Units get IPv4 addresses, or IPv6 ones on request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import ops
import yaml
from ops import testing
from scenario._runtime import Runtime  # pyright: ignore[reportPrivateImportUsage]

from demo import hook_tools as demo_hook_tools

ConfigValue = str | int | float | bool
Databag = Mapping[str, str]

# Hooks that take no relation; their `ops.testing` event has the same name with underscores.
UNIT_HOOKS = frozenset(
    {
        "install",
        "leader-elected",
        "config-changed",
        "start",
        "upgrade-charm",
        "stop",
        "remove",
        "update-status",
    }
)
# Hooks that Juju runs once for all the changes made while they were pending.
_COALESCED = frozenset({"relation-changed", "leader-settings-changed"})
RELATION_HOOKS = frozenset(
    {
        "relation-created",
        "relation-joined",
        "relation-changed",
        "relation-departed",
        "relation-broken",
    }
)


def load_charmcraft_yaml(charm_type: type[ops.CharmBase]) -> dict[str, Any]:
    """The charmcraft.yaml of the charm project whose `src/` holds the charm class.

    `ops.testing` can find it by itself, but some of the releases this project supports leave
    the file open when they do, which warnings-as-errors test runs turn into failures.
    """
    charm_root = Path(inspect.getfile(charm_type)).parent.parent
    with (charm_root / "charmcraft.yaml").open(encoding="utf-8") as file:
        return yaml.safe_load(file)


CharmT = TypeVar("CharmT", bound=ops.CharmBase)


def charm_context(
    charm_type: type[CharmT], charmcraft_yaml: Mapping[str, Any], **kwargs: Any
) -> testing.Context[CharmT]:
    """An `ops.testing.Context` for the charm, with its charmcraft.yaml split as ops wants it.

    `kwargs` go to the Context as they are (`app_name`, `unit_id`, `charm_root`, ...).
    """
    metadata = {
        key: value for key, value in charmcraft_yaml.items() if key not in ("config", "actions")
    }
    return testing.Context(
        charm_type,
        meta=metadata,
        config=charmcraft_yaml.get("config"),
        actions=charmcraft_yaml.get("actions"),
        **kwargs,
    )


class Application:
    """A deployed application: one charm, its config, and its units.

    Args:
        name: the application name.
        charm_type: the charm class its units run.
        config: the config options set, as `juju config` would.
        charmcraft_yaml: the charm's metadata; by default, the charmcraft.yaml of the charm
            project whose `src/` holds `charm_type`.
    """

    def __init__(
        self,
        name: str,
        charm_type: type[ops.CharmBase],
        config: Mapping[str, ConfigValue],
        charmcraft_yaml: Mapping[str, Any] | None = None,
    ):
        self.name = name
        self.charm_type = charm_type
        self.charmcraft_yaml = (
            dict(charmcraft_yaml) if charmcraft_yaml else load_charmcraft_yaml(charm_type)
        )
        self.config: dict[str, ConfigValue] = dict(config)
        self.units: dict[int, Unit] = {}
        self.leader: Unit | None = None
        self.leader_settings: dict[str, str] = {}
        """What its leaders set with `leader-set`: Juju keeps one set per application."""
        self._next_unit_number = 0

    def endpoints(self) -> list[str]:
        """The names of the endpoints its charm declares, peers included."""
        return [
            name
            for section in ("requires", "provides", "peers")
            for name in self.charmcraft_yaml.get(section) or {}
        ]

    def peer_endpoints(self) -> dict[str, str]:
        """Its charm's peer endpoints, each with its interface: Juju relates each at deploy."""
        peers: Mapping[str, Mapping[str, Any]] = self.charmcraft_yaml.get("peers") or {}
        return {name: str(endpoint["interface"]) for name, endpoint in peers.items()}

    def new_unit_number(self) -> int:
        """The next unit number; like Juju, numbers of removed units are never reused."""
        number = self._next_unit_number
        self._next_unit_number += 1
        return number

    def __repr__(self) -> str:
        return f"Application({self.name!r})"


class Unit:
    """A unit: the `ops.testing.Context` its hooks run in, and the State it last returned."""

    def __init__(self, app: Application, number: int, address: str):
        self.app = app
        self.number = number
        self.address = address
        self.charm_type = app.charm_type
        """The charm this unit runs: its application's, but for a refresh not yet done here."""
        self.context = self.new_context()
        self.state = testing.State()

    def new_context(self) -> testing.Context[ops.CharmBase]:
        """A Context for the charm the unit runs now (a refresh changes it)."""
        return charm_context(
            self.charm_type,
            self.app.charmcraft_yaml,
            app_name=self.app.name,
            unit_id=self.number,
        )

    @property
    def name(self) -> str:
        """The Juju unit name, such as `etcd/0`."""
        return f"{self.app.name}/{self.number}"

    @property
    def is_leader(self) -> bool:
        """Whether this unit is its application's leader."""
        return self.app.leader is self

    @property
    def subnet(self) -> str:
        """The unit's own address as a subnet: `/32`, or `/128` for IPv6."""
        return f"{self.address}/128" if ":" in self.address else f"{self.address}/32"

    def juju_databag(self) -> dict[str, str]:
        """The keys Juju itself puts in each of this unit's databags."""
        return {
            "egress-subnets": self.subnet,
            "ingress-address": self.address,
            "private-address": self.address,
        }

    def databag(self, integration: Integration) -> dict[str, str]:
        """This unit's databag on the integration, or the last one it wrote there if it left.

        Empty if it never was in the integration; see `Integration.left`.
        """
        relation = self.relation_state(integration) or integration.left.get(self)
        return dict(relation.local_unit_data) if relation else {}

    def relation_state(self, integration: Integration) -> testing.RelationBase | None:
        """The integration as this unit's State holds it, if it does."""
        return _relation_in(self.state, integration.id)

    def remote_databags(self, integration: Integration) -> dict[int, dict[str, str]]:
        """The remote units' databags (its peers', on a peer relation) as it last saw them."""
        relation = self.relation_state(integration)
        if isinstance(relation, testing.PeerRelation):
            return {number: dict(bag) for number, bag in relation.peers_data.items()}
        if isinstance(relation, testing.Relation):
            return {number: dict(bag) for number, bag in relation.remote_units_data.items()}
        return {}

    def network(self, endpoint: str) -> testing.Network:
        """The endpoint's network binding, on this unit's address."""
        return testing.Network(
            endpoint,
            [testing.BindAddress([testing.Address(self.address)])],
            ingress_addresses=[self.address],
            egress_subnets=[self.subnet],
        )

    def __repr__(self) -> str:
        return f"Unit({self.name!r})"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One application's endpoint, written `app:endpoint` as in `juju integrate`."""

    app: Application
    name: str

    def __str__(self) -> str:
        return f"{self.app.name}:{self.name}"


@dataclasses.dataclass(eq=False)
class Integration:
    """A relation between two endpoints, and what each unit in it knows about the others."""

    id: int
    ends: tuple[Endpoint, Endpoint]
    interface: str
    members: set[Unit] = dataclasses.field(default_factory=set)
    """Units that have run relation-created and not yet relation-broken."""
    joined: dict[Unit, set[Unit]] = dataclasses.field(default_factory=dict)
    """Per unit, the remote units it has seen join and not yet seen depart."""
    left: dict[Unit, testing.RelationBase] = dataclasses.field(default_factory=dict)
    """Per unit that ran relation-broken, the relation as it last held it. Juju keeps a
    unit's settings for the lifetime of the relation, whatever the unit's, so the units that
    have not yet seen it depart still read what it wrote (when a relation is removed, the
    units of one side may all have left before the other side's departed hooks run)."""
    app_databags: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    """Per application name, its application databag, as its leader last wrote it."""

    @property
    def is_peer(self) -> bool:
        """Whether this is a peer relation: one endpoint of one application, at both ends."""
        return self.ends[0] == self.ends[1]

    def end_of(self, app: Application) -> Endpoint:
        """The endpoint of the integration that belongs to this application."""
        return next(end for end in self.ends if end.app is app)

    def remote_end_of(self, app: Application) -> Endpoint:
        """The endpoint at the other end from this application (its own, for peers)."""
        if self.is_peer:
            return self.ends[1]
        return next(end for end in self.ends if end.app is not app)

    def apps(self) -> tuple[Application, ...]:
        """The applications, in the order they were integrated; one for a peer relation."""
        if self.is_peer:
            return (self.ends[0].app,)
        return self.ends[0].app, self.ends[1].app

    def app_databag(self, app: Application) -> dict[str, str]:
        """The application's databag on this integration, as its leader last wrote it."""
        return dict(self.app_databags.get(app.name, {}))

    def known_remotes(self, unit: Unit) -> list[Unit]:
        """The remote units this unit has seen join, in unit-number order."""
        return sorted(self.joined.get(unit, ()), key=lambda remote: remote.number)

    def __str__(self) -> str:
        if self.is_peer:
            return f"peers on {self.ends[0]}"
        return f"{self.ends[0]} to {self.ends[1]}"


@dataclasses.dataclass(frozen=True)
class Hook:
    """One Juju hook to run on one unit: its kind and, for relation hooks, its context."""

    kind: str
    """Juju's hook name without the endpoint: `install`, `relation-joined`, ..."""
    integration: Integration | None = None
    remote: Unit | None = None
    """The remote unit the hook is about (JUJU_REMOTE_UNIT)."""
    departing: Unit | None = None
    """The unit that is leaving the relation (JUJU_DEPARTING_UNIT)."""

    def name_on(self, unit: Unit) -> str:
        """The hook's full name as Juju runs it on this unit, such as `db-relation-joined`."""
        if self.integration is None:
            return self.kind
        return f"{self.integration.end_of(unit.app).name}-{self.kind}"

    def detail_on(self, unit: Unit) -> str:
        """What the hook is about, such as `remote etcd/1`, or "" when nothing needs saying."""
        parts: list[str] = []
        if self.remote is not None:
            parts.append(f"remote {self.remote.name}")
        if self.departing is unit:
            parts.append("this unit is departing")
        return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class DatabagChange:
    """A databag that a hook changed."""

    integration: Integration
    owner: str
    """The unit (`etcd/0`) or application (`etcd`) that owns the databag."""
    before: Databag
    after: Databag
    juju_keys: Databag
    """What Juju itself put in the databag, so a reader can leave it out."""


@dataclasses.dataclass(frozen=True)
class HookRun:
    """What one hook run did: the events the charm saw, the databags and status it changed."""

    unit: Unit
    hook: Hook
    events: tuple[ops.EventBase, ...]
    """Events other than the Juju hook itself: the libraries' events, in emission order."""
    changes: tuple[DatabagChange, ...]
    status_before: tuple[str, str]
    status_after: tuple[str, str]
    """The unit status as (name, message)."""

    @property
    def hook_name(self) -> str:
        """The hook's full name, such as `etcd-relation-changed`."""
        return self.hook.name_on(self.unit)

    @property
    def fired(self) -> list[str]:
        """The class names of `events`, in order."""
        return [type(event).__name__ for event in self.events]


HookListener = Callable[[HookRun], None]


class Deployment:
    """A model of applications and integrations that runs hooks in the order Juju would.

    Each operation queues its hooks and runs them, together with the `relation-changed`
    hooks that databag changes cause, until nothing is left; it returns what ran.

    Args:
        on_hook: called after each hook run, for example to print it.
        before_hook: called before each hook run with the unit and the hook, for example to
            point the charm's files at that unit's own machine.
        hook_tools: a directory for the fake `leader-get` and `leader-set` tools, which
            every hook then finds on its `PATH`; without one, a charm that calls them fails,
            as it would under `ops.testing`.
        ipv6: whether units get IPv6 addresses (`fd00:0:0:<n>::<m>`) instead of IPv4 ones.
    """

    def __init__(
        self,
        on_hook: HookListener | None = None,
        *,
        before_hook: Callable[[Unit, Hook], None] | None = None,
        hook_tools: Path | None = None,
        ipv6: bool = False,
    ):
        self.apps: dict[str, Application] = {}
        self.integrations: list[Integration] = []
        self._on_hook = on_hook
        self._before_hook = before_hook
        self._hook_tools = hook_tools
        if hook_tools is not None:
            demo_hook_tools.install(hook_tools)
        self._ipv6 = ipv6
        self._queue: deque[tuple[Unit, Hook]] = deque()
        self._secrets: dict[str, tuple[dict[str, str], set[Application], str | None]] = {}
        self._next_relation_id = 0

    # --- Operations, named after the juju commands -----------------------------------------

    def deploy(
        self,
        name: str,
        charm_type: type[ops.CharmBase],
        units: int = 1,
        config: Mapping[str, ConfigValue] | None = None,
        charmcraft_yaml: Mapping[str, Any] | None = None,
    ) -> list[HookRun]:
        """Deploy an application with some units; the first unit becomes the leader.

        `charmcraft_yaml` is the charm's metadata, by default found next to its `src/`. Each
        of its peer endpoints gets its peer relation, which every unit then joins.
        """
        app = Application(name, charm_type, config or {}, charmcraft_yaml)
        self.apps[name] = app
        for endpoint, interface in app.peer_endpoints().items():
            self._add_integration(Endpoint(app, endpoint), Endpoint(app, endpoint), interface)
        for _ in range(units):
            self._queue_new_unit(app)
        return self.settle()

    def refresh(
        self,
        app: Application,
        charm_type: type[ops.CharmBase],
        *,
        keep_stored_state: bool = True,
        units: Iterable[Unit] | None = None,
        charmcraft_yaml: Mapping[str, Any] | None = None,
    ) -> list[HookRun]:
        """Refresh the application to another charm, as `juju refresh` does.

        Juju keeps the units' relations and databags, config, secrets and leadership, and
        runs upgrade-charm, config-changed and start on each unit (not the
        leader-settings-changed that Juju also runs on the other units).
        Each unit upgrades on its own: until the refresh reaches a unit (one in error is not
        upgraded until resolved, say), it runs the old charm beside units running the new.

        Args:
            app: the application to refresh.
            charm_type: the charm it runs from now on; its metadata is found next to its
                `src/` (a peer endpoint that only the new charm declares is not related).
            keep_stored_state: whether the new charm finds the state ops kept for the old
                one in the unit's charm directory: stored state and deferred events. True
                between two `ops` charms; False for a refresh from a charm that did not run
                `ops` (a reactive charm), whose first `ops` hook starts with none.
            units: the units the refresh reaches now; by default, all of them. The others
                run the old charm until refreshed in turn; units added meanwhile run the new.
            charmcraft_yaml: the new charm's metadata, if it is not found next to its `src/`.
        """
        app.charm_type = charm_type
        app.charmcraft_yaml = (
            dict(charmcraft_yaml) if charmcraft_yaml else load_charmcraft_yaml(charm_type)
        )
        for unit in self._units_of(app) if units is None else units:
            unit.charm_type = charm_type
            unit.context = unit.new_context()
            if not keep_stored_state:
                unit.state = dataclasses.replace(unit.state, stored_states=[], deferred=[])
            for kind in ("upgrade-charm", "config-changed", "start"):
                self._enqueue(unit, Hook(kind))
        return self.settle()

    def add_unit(self, app: Application) -> list[HookRun]:
        """Add a unit, which joins every integration its application is in."""
        self._queue_new_unit(app)
        return self.settle()

    def remove_unit(self, unit: Unit) -> list[HookRun]:
        """Remove a unit: it leaves every integration, then a new leader is elected if needed."""
        for integration in self._integrations_of(unit.app):
            self._queue_unit_departure(integration, unit)
        self._enqueue(unit, Hook("stop"))
        self._enqueue(unit, Hook("remove"))
        runs = self.settle()
        del unit.app.units[unit.number]
        if unit.is_leader:
            runs += self._elect_new_leader(unit.app)
        return runs

    def set_leader(self, unit: Unit) -> list[HookRun]:
        """Make the unit its application's leader, as Juju does when the leader is lost.

        The new leader runs leader-elected; the old one is told nothing, as in Juju, and
        finds itself no longer leader in its next hook.
        """
        unit.app.leader = unit
        self._enqueue(unit, Hook("leader-elected"))
        return self.settle()

    def config(self, app: Application, options: Mapping[str, ConfigValue | None]) -> list[HookRun]:
        """Set config options, as `juju config` does; None unsets an option."""
        for option, value in options.items():
            if value is None:
                app.config.pop(option, None)
            else:
                app.config[option] = value
        for unit in self._units_of(app):
            self._enqueue(unit, Hook("config-changed"))
        return self.settle()

    def add_secret(
        self,
        content: Mapping[str, str],
        *,
        grant_to: Iterable[Application],
        owned_as: str | None = None,
    ) -> str:
        """Add a secret, granted to these applications, and return its ID.

        A user secret by default; with `owned_as`, an application secret of each of them
        under that label, as the charm's leader would have created it earlier.
        """
        number = len(self._secrets) + 1
        # Juju secret IDs are 20 lowercase letters and digits; ops.testing checks the shape.
        secret_id = f"secret:demo{number:016d}"
        self._secrets[secret_id] = (dict(content), set(grant_to), owned_as)
        return secret_id

    def integrate(self, first: Endpoint, second: Endpoint, interface: str) -> list[HookRun]:
        """Relate two endpoints: relation-created everywhere, then each unit meets the others.

        Raises:
            ValueError: both endpoints are one application's: Juju relates no application
                to itself, and makes its peer relations when it is deployed.
        """
        if first.app is second.app:
            raise ValueError(f"cannot relate {first.app.name} to itself")
        integration = self._add_integration(first, second, interface)
        for app in integration.apps():
            for unit in self._units_of(app):
                self._enqueue(unit, Hook("relation-created", integration))
        for app in integration.apps():
            for unit in self._units_of(app):
                for remote in self._remote_units(integration, unit):
                    self._queue_meeting(integration, unit, remote)
        return self.settle()

    def remove_integration(self, integration: Integration) -> list[HookRun]:
        """Remove a relation: every unit sees each remote unit depart, then relation-broken.

        Raises:
            ValueError: it is a peer relation, which goes only with its application.
        """
        if integration.is_peer:
            raise ValueError(f"{integration} goes only with its application")
        for app in integration.apps():
            for unit in self._units_of(app):
                for remote in integration.known_remotes(unit):
                    self._enqueue(unit, Hook("relation-departed", integration, remote, remote))
                self._enqueue(unit, Hook("relation-broken", integration))
        runs = self.settle()
        self.integrations.remove(integration)
        return runs

    def peer_relation(self, app: Application, endpoint: str) -> Integration:
        """The application's peer relation on this endpoint, which Juju made at deploy."""
        return next(
            integration
            for integration in self.integrations
            if integration.is_peer and integration.ends[0] == Endpoint(app, endpoint)
        )

    def settle(self) -> list[HookRun]:
        """Run queued hooks, and those they cause, until none is left."""
        runs: list[HookRun] = []
        while self._queue:
            unit, hook = self._queue.popleft()
            if not self._is_stale(unit, hook):
                runs.append(self._run(unit, hook))
        return runs

    # --- Hook sequences -------------------------------------------------------------------

    def _add_integration(self, first: Endpoint, second: Endpoint, interface: str) -> Integration:
        """A new relation, numbered as Juju numbers them: one sequence, peers included."""
        integration = Integration(self._next_relation_id, (first, second), interface)
        self._next_relation_id += 1
        self.integrations.append(integration)
        return integration

    def _queue_new_unit(self, app: Application) -> None:
        number = app.new_unit_number()
        unit = Unit(app, number, self._address_for(app, number))
        app.units[number] = unit
        if app.leader is None:
            app.leader = unit
        self._enqueue(unit, Hook("install"))
        # Juju creates a new unit's existing relations before it configures and starts it.
        for integration in self._integrations_of(app):
            self._enqueue(unit, Hook("relation-created", integration))
        if unit.is_leader:
            self._enqueue(unit, Hook("leader-elected"))
        self._enqueue(unit, Hook("config-changed"))
        self._enqueue(unit, Hook("start"))
        for integration in self._integrations_of(app):
            for remote in self._remote_units(integration, unit):
                self._queue_meeting(integration, unit, remote)
                self._queue_meeting(integration, remote, unit)

    def _queue_meeting(self, integration: Integration, unit: Unit, remote: Unit) -> None:
        """A unit learns that a remote unit joined: relation-joined, then relation-changed."""
        self._enqueue(unit, Hook("relation-joined", integration, remote))
        self._enqueue(unit, Hook("relation-changed", integration, remote))

    def _queue_unit_departure(self, integration: Integration, leaving: Unit) -> None:
        """The remote units see the unit depart; it sees each of them depart, then breaks.

        So on a peer relation too: the unit leaves the relation, which stays for the others.
        """
        for remote in self._remote_units(integration, leaving):
            if leaving in integration.joined.get(remote, ()):
                self._enqueue(remote, Hook("relation-departed", integration, leaving, leaving))
        for remote in integration.known_remotes(leaving):
            self._enqueue(leaving, Hook("relation-departed", integration, remote, leaving))
        self._enqueue(leaving, Hook("relation-broken", integration))

    def _elect_new_leader(self, app: Application) -> list[HookRun]:
        remaining = self._units_of(app)
        app.leader = remaining[0] if remaining else None
        if app.leader is not None:
            self._enqueue(app.leader, Hook("leader-elected"))
        return self.settle()

    def _is_stale(self, unit: Unit, hook: Hook) -> bool:
        """Whether Juju would drop this queued hook: what it is about has gone since.

        A relation-changed queued for a unit that has since seen the remote unit depart, or
        left the relation itself, is not run.
        """
        integration = hook.integration
        if hook.kind != "relation-changed" or integration is None:
            return False
        if unit not in integration.members:
            return True
        return hook.remote is not None and hook.remote not in integration.joined.get(unit, ())

    def _enqueue(self, unit: Unit, hook: Hook) -> None:
        # Juju coalesces pending relation-changed and leader-settings-changed hooks.
        if hook.kind in _COALESCED and (unit, hook) in self._queue:
            return
        self._queue.append((unit, hook))

    # --- Running one hook -----------------------------------------------------------------

    def _run(self, unit: Unit, hook: Hook) -> HookRun:
        self._track_membership_before(unit, hook)
        state_in = self._state_for(unit)
        seen = len(unit.context.emitted_events)
        if self._before_hook is not None:
            self._before_hook(unit, hook)
        # ops.testing cannot name the unit itself as departing: the hook environment does.
        leaving = hook.departing is unit
        naming = this_unit_named_departing() if leaving else contextlib.nullcontext()
        with self._leader_settings_of(unit), naming:
            state_out = unit.context.run(self._event_for(unit, hook, state_in), state_in)
        new_events = unit.context.emitted_events[seen:]
        if hook.kind == "relation-broken" and hook.integration is not None:
            hook.integration.members.discard(unit)
            hook.integration.left[unit] = state_out.get_relation(hook.integration.id)
            state_out = self._without_relation(state_out, hook.integration)
        changes = self._databag_changes(unit, state_in, state_out)
        self._keep_app_databags(unit, changes)
        unit.state = state_out
        run = HookRun(
            unit=unit,
            hook=hook,
            events=tuple(event for event in new_events if not isinstance(event, ops.HookEvent)),
            changes=tuple(changes),
            status_before=_status_of(state_in),
            status_after=_status_of(state_out),
        )
        self._queue_relation_changed(unit, changes)
        if self._on_hook is not None:
            self._on_hook(run)
        return run

    @contextlib.contextmanager
    def _leader_settings_of(self, unit: Unit) -> Iterator[None]:
        """The fake tools on the PATH, over the application's leader settings, for one hook.

        What a leader sets is kept once the hook is over, and every other unit then runs
        leader-settings-changed, as in Juju.
        """
        if self._hook_tools is None:
            yield
            return
        settings_directory = self._hook_tools / f"{unit.app.name}-leader-settings"
        demo_hook_tools.write_settings(settings_directory, unit.app.leader_settings)
        environment = {
            "PATH": f"{self._hook_tools}{os.pathsep}{os.environ.get('PATH', '')}",
            demo_hook_tools.SETTINGS_ENV: str(settings_directory),
            demo_hook_tools.LEADER_ENV: "true" if unit.is_leader else "false",
        }
        with mock.patch.dict(os.environ, environment):
            yield
        settings = demo_hook_tools.read_settings(settings_directory)
        if settings != unit.app.leader_settings:
            unit.app.leader_settings = settings
            for other in self._units_of(unit.app):
                if other is not unit:
                    self._enqueue(other, Hook("leader-settings-changed"))

    def _track_membership_before(self, unit: Unit, hook: Hook) -> None:
        """Update who this unit knows is in the relation, as Juju does before the hook."""
        integration = hook.integration
        if integration is None:
            return
        known = integration.joined.setdefault(unit, set())
        if hook.kind == "relation-created":
            integration.members.add(unit)
        elif hook.kind == "relation-joined" and hook.remote is not None:
            known.add(hook.remote)
        elif hook.kind == "relation-departed" and hook.remote is not None:
            known.discard(hook.remote)
        elif hook.kind == "relation-broken":
            known.clear()

    def _state_for(self, unit: Unit) -> testing.State:
        """The unit's last State, with the other side's current data in every relation."""
        integrations = [each for each in self.integrations if unit in each.members]
        return dataclasses.replace(
            unit.state,
            relations=[self._relation_for(unit, each) for each in integrations],
            # Bound to the unit's own address, so that a charm that publishes its ingress
            # address (the http provider does) publishes a distinct one per unit. Juju binds
            # every endpoint, related or not: a charm may ask for its address on one before
            # anything is related to it (the http website does, to publish virtual IPs).
            networks=[unit.network(endpoint) for endpoint in unit.app.endpoints()],
            config=dict(unit.app.config),
            leader=unit.is_leader,
            secrets=self._secrets_for(unit.app),
        )

    def _relation_for(self, unit: Unit, integration: Integration) -> testing.RelationBase:
        """The integration as the unit sees it: the remote databags of the units it met."""
        endpoint = integration.end_of(unit.app).name
        previous = unit.relation_state(integration)
        local_unit_data = unit.databag(integration) if previous else unit.juju_databag()
        remote_units_data = {
            remote.number: remote.databag(integration)
            for remote in integration.known_remotes(unit)
        }
        if integration.is_peer:
            return testing.PeerRelation(
                endpoint,
                interface=integration.interface,
                id=integration.id,
                local_unit_data=local_unit_data,
                local_app_data=integration.app_databag(unit.app),
                peers_data=remote_units_data,
            )
        remote_app = integration.remote_end_of(unit.app).app
        return testing.Relation(
            endpoint,
            interface=integration.interface,
            id=integration.id,
            remote_app_name=remote_app.name,
            local_unit_data=local_unit_data,
            local_app_data=integration.app_databag(unit.app),
            remote_app_data=integration.app_databag(remote_app),
            remote_units_data=remote_units_data,
        )

    def _secrets_for(self, app: Application) -> list[testing.Secret]:
        """The secrets the application sees: user secrets granted to it, and its own."""
        return [
            testing.Secret(dict(content), id=secret_id, owner=None)
            if label is None
            else testing.Secret(dict(content), id=secret_id, owner="app", label=label)
            for secret_id, (content, granted, label) in self._secrets.items()
            if app in granted
        ]

    def _event_for(self, unit: Unit, hook: Hook, state: testing.State) -> Any:
        """The `ops.testing` event for the hook; relation events get the State's relation."""
        on = unit.context.on
        if hook.kind == "leader-settings-changed":
            return leader_settings_changed_event()
        if hook.kind in UNIT_HOOKS:
            return getattr(on, hook.kind.replace("-", "_"))()
        if hook.kind not in RELATION_HOOKS or hook.integration is None:
            raise ValueError(f"cannot run hook {hook.kind!r}")
        relation = state.get_relation(hook.integration.id)
        kwargs: dict[str, int] = {}
        if hook.remote is not None:
            kwargs["remote_unit"] = hook.remote.number
        if hook.departing is not None and hook.departing is not unit:
            kwargs["departing_unit"] = hook.departing.number
        return getattr(on, hook.kind.replace("-", "_"))(relation, **kwargs)

    def _without_relation(self, state: testing.State, integration: Integration) -> testing.State:
        """The state after relation-broken: Juju forgets the relation once the hook ran."""
        kept = [relation for relation in state.relations if relation.id != integration.id]
        return dataclasses.replace(state, relations=kept)

    def _databag_changes(
        self, unit: Unit, state_in: testing.State, state_out: testing.State
    ) -> list[DatabagChange]:
        """The unit and application databags the hook changed, relation by relation."""
        changes: list[DatabagChange] = []
        for integration in self.integrations:
            before = _relation_in(state_in, integration.id)
            after = _relation_in(state_out, integration.id)
            # A relation gone after the hook was broken, not changed: Juju drops its data.
            if before is None or after is None:
                continue
            if after.local_unit_data != before.local_unit_data:
                changes.append(
                    DatabagChange(
                        integration,
                        unit.name,
                        dict(before.local_unit_data),
                        dict(after.local_unit_data),
                        unit.juju_databag(),
                    )
                )
            if after.local_app_data != before.local_app_data:
                changes.append(
                    DatabagChange(
                        integration,
                        unit.app.name,
                        dict(before.local_app_data),
                        dict(after.local_app_data),
                        {},
                    )
                )
        return changes

    def _keep_app_databags(self, unit: Unit, changes: list[DatabagChange]) -> None:
        """Keep what the hook wrote in an application databag: one per application."""
        for change in changes:
            if change.owner == unit.app.name:
                change.integration.app_databags[unit.app.name] = dict(change.after)

    def _queue_relation_changed(self, unit: Unit, changes: list[DatabagChange]) -> None:
        """Tell the units that can see a changed databag, as Juju does after the hook."""
        for change in changes:
            integration = change.integration
            for remote in self._remote_units(integration, unit):
                if unit in integration.joined.get(remote, ()):
                    self._enqueue(remote, Hook("relation-changed", integration, unit))

    # --- Lookups --------------------------------------------------------------------------

    def _units_of(self, app: Application) -> list[Unit]:
        return [app.units[number] for number in sorted(app.units)]

    def _remote_units(self, integration: Integration, unit: Unit) -> list[Unit]:
        """The units at the other end of the integration from this one: its peers, for peers."""
        remote_app = integration.remote_end_of(unit.app).app
        return [remote for remote in self._units_of(remote_app) if remote is not unit]

    def _integrations_of(self, app: Application) -> list[Integration]:
        return [integration for integration in self.integrations if app in integration.apps()]

    def _address_for(self, app: Application, number: int) -> str:
        """A distinct, stable address per unit: one subnet per application."""
        app_index = list(self.apps).index(app.name) + 1
        if self._ipv6:
            return f"fd00:0:0:{app_index}::{10 + number}"
        return f"10.{app_index}.0.{10 + number}"


def _relation_in(state: testing.State, relation_id: int) -> testing.RelationBase | None:
    for relation in state.relations:
        if relation.id == relation_id:
            return relation
    return None


def _status_of(state: testing.State) -> tuple[str, str]:
    return state.unit_status.name, state.unit_status.message


@contextlib.contextmanager
def this_unit_named_departing() -> Iterator[None]:
    """Within it, every relation-departed hook names the unit running it as departing.

    Juju sets `JUJU_DEPARTING_UNIT` to the unit's own name in each relation-departed hook it
    runs while the unit is going (scaled down, or removed), and ops then hands the charm its
    own unit as `event.departing_unit`. ops.testing (seen in 8.9) can only name a unit of the
    remote application, and never unit 0, so the hook environment it builds is amended
    instead. The simulator runs a leaving unit's hooks within it; the unit tests and the
    fuzz properties use it too.
    """
    build = Runtime._get_event_env  # pyright: ignore[reportPrivateUsage]

    def environment(runtime: Runtime, state: Any, event: Any, charm_root: Path) -> dict[str, str]:
        env = build(runtime, state, event, charm_root)
        if event.name.endswith("_relation_departed"):
            env["JUJU_DEPARTING_UNIT"] = env["JUJU_UNIT_NAME"]
        return env

    with mock.patch.object(Runtime, "_get_event_env", environment):
        yield


def leader_settings_changed_event() -> Any:
    """The leader-settings-changed event, which ops.testing offers no public way to run."""
    # Deprecated in Juju, but a unit under a reactive leader still learns through it.
    from scenario.state import _Event  # pyright: ignore[reportPrivateUsage]

    return _Event("leader_settings_changed")
