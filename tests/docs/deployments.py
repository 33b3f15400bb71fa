"""Example charms of the documents, deployed through a whole lifecycle in the demo's simulator.

`tests/docs/harness.py` runs an example one hook at a time on one unit. Here each example
charm is deployed as a charm author would deploy it (`demo.deployment.Deployment`): several
units of it, beside a partner application of the other role, which is either a stand-in for
the reactive charm (it writes on the relation exactly what the legacy layer wrote, and reads
nothing) or a small `ops` charm using the library's other role. Each unit's workload files
are its own (`WorkloadFiles`), and leader settings work (`demo.hook_tools`).

The lifecycle (`LIFECYCLE`), the same for every example: the applications are deployed and
related (a charm that uses two libraries, such as a kafka broker, has a partner for each); a
partner unit joins; partner unit 0 leaves; an example unit joins; leadership moves to that
unit; the example's leader leaves, so that another unit leads; the example is refreshed from
the reactive charm (its units keep their relations and databags but lose what `ops` stored).
After each stage the example's goal (`Scenario.goal`, the sentence its document writes next
to it) must hold, as `Scenario.check` reads it from the units' statuses, files and databags,
and no hook may fail. Last, the relations are removed, and no hook may fail then either.

A peer example (mysql-innodb-cluster) has no partner: the stages that add and remove a
partner unit add and remove one of its own units instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import ops
import yaml

from demo.deployment import Application, Deployment, Endpoint, Hook, Unit
from tests.docs.harness import (
    Block,
    absolute_paths,
    declared_endpoints,
    metadata_of,
    moved_under,
)

EXAMPLE = "example"
PARTNER = "partner"


class WorkloadFiles:
    """Each unit's own copy of the module-level paths an example names (`/etc/my-app/...`).

    The units of one application run one module, so before each hook of a unit, every
    absolute `Path` the module binds is pointed at that unit's directory under `root`.
    """

    def __init__(self, module: ModuleType, root: Path):
        self.module = module
        self.root = root
        self.originals = absolute_paths(module)

    def path(self, unit: Unit, name: str) -> Path:
        """Where the unit's copy of the module's path `name` is (its parent made)."""
        return moved_under(self.root / unit.name.replace("/", "-"), self.originals[name])

    def point_at(self, unit: Unit, _hook: Hook) -> None:
        """Point the module's paths at the unit's files, if it runs the module's charm."""
        if unit.app.name != EXAMPLE:
            return
        for name in self.originals:
            setattr(self.module, name, self.path(unit, name))

    def read(self, unit: Unit, name: str) -> str | None:
        """The unit's file, or None if it never wrote one."""
        path = self.path(unit, name)
        return path.read_text(encoding="utf-8") if path.exists() else None


@dataclasses.dataclass(frozen=True)
class Partner:
    """The application on the other end of the example's relation."""

    charm: type[ops.CharmBase]
    endpoint: str
    role: str
    """`requires` or `provides`: the section of charmcraft.yaml that declares `endpoint`."""


@dataclasses.dataclass
class Deployed:
    """An example deployed: what a scenario's check reads."""

    deployment: Deployment
    files: WorkloadFiles
    partner_apps: list[Application]

    @property
    def example(self) -> Application:
        return self.deployment.apps[EXAMPLE]

    def units(self) -> list[Unit]:
        """The example's units, in unit-number order."""
        return [self.example.units[number] for number in sorted(self.example.units)]

    def partner_units(self, index: int = 0) -> list[Unit]:
        """The units of a partner application (the first by default), in unit-number order."""
        app = self.partner_apps[index]
        return [app.units[number] for number in sorted(app.units)]


Check = Callable[[Deployed], list[str]]
"""What is wrong with a deployed example, by its goal: nothing when it is reached."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    """How one example is deployed, and what it must reach."""

    goal: str
    """The sentence the example's document writes next to it: what the example achieves."""
    check: Check
    endpoint: str
    """The example's endpoint that the partner relates to (or its peer endpoint)."""
    partner: Partner | None = None
    units: int = 2
    partner_units: int = 2
    ipv6: bool = False
    secrets: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """Application secrets the example's leader created earlier, by label."""
    then: Callable[[Deployed], list[str]] | None = None
    """One more stage, after the lifecycle, that returns its own problems (a second relation)."""
    also: tuple[tuple[str, Partner], ...] = ()
    """Further partners, each related to another endpoint of the example (its own name
    first): the lifecycle scales only the first partner, and these keep two units."""


def charmcraft_yaml(block: Block) -> dict[str, Any]:
    """The metadata an example is deployed with: its document's charmcraft.yaml snippet."""
    return {"name": EXAMPLE, **yaml.safe_load(metadata_of(block).source)}


def partner_yaml(partner: Partner, interface: str, name: str = PARTNER) -> dict[str, Any]:
    """The metadata of a partner application: its one endpoint, in its role's section."""
    return {"name": name, partner.role: {partner.endpoint: {"interface": interface}}}


@dataclasses.dataclass(frozen=True)
class Stage:
    """A step of the lifecycle: what it does, then the goal must hold again."""

    name: str
    run: Callable[[Deployed, Scenario], object]


def _scale_partner_up(deployed: Deployed, scenario: Scenario) -> None:
    if scenario.partner is None:
        deployed.deployment.add_unit(deployed.example)
    else:
        deployed.deployment.add_unit(deployed.partner_apps[0])


def _remove_partner_unit_0(deployed: Deployed, scenario: Scenario) -> None:
    if scenario.partner is None:
        # A peer that is not the leader leaves: the cluster scales in.
        deployed.deployment.remove_unit(deployed.units()[-1])
    else:
        deployed.deployment.remove_unit(deployed.partner_units()[0])


def _scale_example_up(deployed: Deployed, _: Scenario) -> None:
    deployed.deployment.add_unit(deployed.example)


def _move_leadership(deployed: Deployed, _: Scenario) -> None:
    """Leadership moves to the newest unit, as Juju may move it when a leader is lost.

    So the leader that leaves next is a unit that did not lead from the start.
    """
    deployed.deployment.set_leader(deployed.units()[-1])


def _remove_the_example_leader(deployed: Deployed, _: Scenario) -> None:
    leader = deployed.example.leader
    assert leader is not None
    deployed.deployment.remove_unit(leader)


def _refresh_from_the_reactive_charm(deployed: Deployed, _: Scenario) -> None:
    app = deployed.example
    deployed.deployment.refresh(
        app, app.charm_type, keep_stored_state=False, charmcraft_yaml=app.charmcraft_yaml
    )


LIFECYCLE = (
    Stage("a partner unit joins", _scale_partner_up),
    Stage("a partner unit leaves", _remove_partner_unit_0),
    Stage("an example unit joins", _scale_example_up),
    Stage("leadership moves to the newest unit", _move_leadership),
    Stage("the example's leader leaves", _remove_the_example_leader),
    Stage("a refresh from the reactive charm", _refresh_from_the_reactive_charm),
)


def deploy(
    scenario: Scenario, block: Block, module: ModuleType, charm: type[ops.CharmBase], root: Path
) -> Iterator[tuple[str, Deployed]]:
    """Deploy the example and take it through the lifecycle, yielding after each stage.

    The last yield follows the removal of the relations (if there are partners): the goal
    need not hold there, but no hook may fail.
    """
    files = WorkloadFiles(module, root / "units")
    deployment = Deployment(
        before_hook=files.point_at, hook_tools=root / "hook-tools", ipv6=scenario.ipv6
    )
    metadata = charmcraft_yaml(block)
    deployment.deploy(EXAMPLE, charm, units=0, charmcraft_yaml=metadata)
    example = deployment.apps[EXAMPLE]
    for label, content in scenario.secrets.items():
        deployment.add_secret(content, grant_to=[example], owned_as=label)
    deployed = Deployed(deployment, files, [])
    for _ in range(scenario.units):
        deployment.add_unit(example)
    partners = [(scenario.endpoint, scenario.partner)] if scenario.partner else []
    for number, (endpoint, partner) in enumerate([*partners, *scenario.also]):
        name = PARTNER if number == 0 else f"{PARTNER}-{number + 1}"
        interface = _interface_of(block, endpoint)
        deployment.deploy(
            name,
            partner.charm,
            units=scenario.partner_units,
            charmcraft_yaml=partner_yaml(partner, interface, name),
        )
        deployed.partner_apps.append(deployment.apps[name])
        deployment.integrate(
            Endpoint(example, endpoint),
            Endpoint(deployment.apps[name], partner.endpoint),
            interface,
        )
    yield "deployed and related", deployed
    for stage in LIFECYCLE:
        stage.run(deployed, scenario)
        yield f"after {stage.name}", deployed
    related = [each for each in deployment.integrations if not each.is_peer]
    if related:
        for integration in related:
            deployment.remove_integration(integration)
        yield "after the relations are removed", deployed


def _interface_of(block: Block, endpoint: str) -> str:
    """The interface of the example's endpoint, as its charmcraft.yaml snippet declares it."""
    declared = declared_endpoints(metadata_of(block))
    return next(each.interface for each in declared if each.name == endpoint)


# --- What the checks read ---------------------------------------------------------------------


def status_of(unit: Unit) -> tuple[str, str]:
    return unit.state.unit_status.name, unit.state.unit_status.message


def expect_status(units: list[Unit], name: str, message: str | None = None) -> list[str]:
    """A problem per unit whose status is not `name` (with `message`, if given)."""
    return [
        f"{unit.name} is {status_of(unit)}, not {name}{f': {message!r}' if message else ''}"
        for unit in units
        if status_of(unit)[0] != name or (message is not None and status_of(unit)[1] != message)
    ]


def expect_file(deployed: Deployed, name: str, expected: str) -> list[str]:
    """A problem per example unit whose copy of the file does not hold `expected`."""
    problems = []
    for unit in deployed.units():
        content = deployed.files.read(unit, name)
        if content != expected:
            problems.append(f"{unit.name}'s {name} holds {content!r}, not {expected!r}")
    return problems
