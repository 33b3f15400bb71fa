# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""What every interface's story has in common: the stage it plays on, and its self-checks."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Collection, Iterable
from pathlib import Path

from demo.deployment import Deployment, HookRun, Unit
from demo.transcript import Transcript


class ExpectationFailedError(Exception):
    """Something the story expects did not happen: the library or the demo is broken."""


def expect(condition: bool, what: str) -> None:
    """Check one of the story's expectations; `what` says what should have happened."""
    if not condition:
        raise ExpectationFailedError(what)


@dataclasses.dataclass
class Step:
    """One numbered step of a story, and the hooks it ran."""

    number: int
    title: str
    runs: list[HookRun] = dataclasses.field(default_factory=list)


class Stage:
    """Where a story plays: a fresh deployment, the transcript, and a temporary directory.

    Args:
        transcript: where the story is told; every hook run is printed to it.
        workdir: a temporary directory, removed after the story: the only place files go.
    """

    def __init__(self, transcript: Transcript, workdir: Path):
        self.transcript = transcript
        self.workdir = workdir
        self.steps: list[Step] = []
        """Every step so far, with its hook runs: what the lifecycle diagrams are drawn from."""
        self.deployment = Deployment(on_hook=self.record)

    @property
    def runs(self) -> list[HookRun]:
        """Every hook run so far, in order."""
        return [run for step in self.steps for run in step.runs]

    def step(self, title: str) -> None:
        """Start the next numbered step of the transcript."""
        self.steps.append(Step(len(self.steps) + 1, title))
        self.transcript.step(title)

    def record(self, run: HookRun) -> None:
        """Keep and print a hook run, in the current step; the deployment calls this after each.

        Every hook of a story runs within a numbered step, as the transcript shows it.
        """
        self.steps[-1].runs.append(run)
        self.transcript.hook(run)


def fired_on(
    runs: Iterable[HookRun], unit: Unit, libraries: Collection[str] | None = None
) -> list[str]:
    """The class names of the library events that fired on the unit, in order.

    `libraries`, module names such as `charms.etcd.v0.etcd`, keeps only their events: the
    demo charm's units are all peers on the mysql-innodb-cluster interface too, so a story
    about another interface leaves that library's events to the story that tells them.
    """
    return [
        type(event).__name__
        for run in runs
        if run.unit is unit
        for event in run.events
        if libraries is None or type(event).__module__ in libraries
    ]


def expect_fired(
    runs: Iterable[HookRun],
    unit: Unit,
    expected: list[str],
    libraries: Collection[str] | None = None,
) -> None:
    """Check that exactly these library events fired on the unit, in this order.

    `libraries`, as for `fired_on`, counts only their events.
    """
    fired = fired_on(runs, unit, libraries)
    expect(
        fired == expected, f"{unit.name} should have seen {expected or 'no event'}, saw {fired}"
    )


def expect_status(unit: Unit, name: str, message: str) -> None:
    """Check the unit's current status."""
    status = (unit.state.unit_status.name, unit.state.unit_status.message)
    expect(
        status == (name, message), f"{unit.name} status should be {name}: {message!r}, is {status}"
    )


@dataclasses.dataclass(frozen=True)
class Lifecycle:
    """One interface's lifecycle within a story: what its sequence diagram shows.

    Args:
        interface: the interface's name in charm metadata, such as `etcd`.
        library: the module whose events the diagram shows, such as `charms.etcd.v0.etcd`.
        steps: how many of the story's first steps make up the lifecycle; the later ones
            (a refresh from the reactive charm, say) are a chapter of their own.
    """

    interface: str
    library: str
    steps: int


class Story(abc.ABC):
    """One interface's story, told through the demo charm; see `demo.etcd` for one."""

    title: str
    """The story's heading in the transcript."""
    secret_keys: frozenset[str] = frozenset()
    """Names whose values the transcript masks, beyond anything PEM (masked always)."""
    lifecycles: tuple[Lifecycle, ...] = ()
    """The lifecycles the story shows, one per interface it tells, drawn as diagrams."""

    @abc.abstractmethod
    def play(self, stage: Stage) -> str:
        """Run the story's steps, checking its expectations; return a one-line summary.

        Raises:
            ExpectationFailedError: something the story expects did not happen.
        """
