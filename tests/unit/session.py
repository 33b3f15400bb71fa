"""What the unit tests of every library share.

A `Session` of hooks run one after another, and `RecordingCharm`, the base of the charms that
record the library events they observe; the hook environments in which a library must, or
must not, find a departing unit; and a departure that follows a deferred event.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import ops
import pytest
from ops import testing

from demo.deployment import this_unit_named_departing

Seen = tuple[Any, ...]
"""A library event as the tests compare it: its class name, relation id and payload."""

DEFER_CONFIG = {"options": {"defer": {"type": "string", "default": ""}}}
"""A recording charm's config: `defer` names the event kinds it defers, comma-separated."""


class RecordingCharm(ops.CharmBase):
    """A charm that records each library event it observes, and defers the kinds it is told.

    A test module subclasses it, naming how its library's events are described.
    """

    describe_event: ClassVar[Callable[[ops.EventBase], Seen]]

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.seen: list[Seen] = []

    def record(self, *events: ops.BoundEvent) -> None:
        """Observe these events, recording each one (and deferring it if config says so)."""
        for event in events:
            self.framework.observe(event, self._record)

    def _record(self, event: ops.EventBase) -> None:
        self.seen.append(type(self).describe_event(event))
        if event.handle.kind in str(self.config.get("defer", "")).split(","):
            event.defer()


class Session:
    """Hooks run one after another on one unit, each from the state the previous one left.

    A test module subclasses it, naming its library's event types and how to describe one.
    """

    library_event_types: ClassVar[tuple[type[ops.EventBase], ...]]

    @staticmethod
    def describe(event: ops.EventBase) -> Seen:
        """One library event as the tests compare it."""
        raise NotImplementedError

    def __init__(self, ctx: testing.Context[Any], state: testing.State):
        self.ctx = ctx
        self.state = state

    def relation(self, relation_id: int) -> testing.Relation:
        relation = self.state.get_relation(relation_id)
        assert isinstance(relation, testing.Relation)
        return relation

    def set_units(self, relation_id: int, units: Mapping[int, Mapping[str, str]]) -> None:
        """Replace what the remote units of a relation have published."""
        data = {unit: dict(databag) for unit, databag in units.items()}
        relation = dataclasses.replace(self.relation(relation_id), remote_units_data=data)
        others = [other for other in self.state.relations if other.id != relation_id]
        self.state = dataclasses.replace(self.state, relations=[*others, relation])

    def run(self, event: Any) -> list[Seen]:
        """Run one hook; return the library events it emitted."""
        self.library_events()  # forget those of earlier runs
        self.state = self.ctx.run(event, self.state)
        return self.library_events()

    def library_events(self) -> list[Seen]:
        """The library events of the context's runs so far, which are then forgotten."""
        emitted = self.ctx.emitted_events
        seen = [self.describe(e) for e in emitted if isinstance(e, self.library_event_types)]
        emitted.clear()
        return seen

    def joined(self, relation_id: int, unit: int) -> list[Seen]:
        return self.run(self.ctx.on.relation_joined(self.relation(relation_id), remote_unit=unit))

    def changed(
        self, relation_id: int, units: Mapping[int, Mapping[str, str]] | None = None
    ) -> list[Seen]:
        """relation-changed, after the remote units published `units` if given."""
        if units is not None:
            self.set_units(relation_id, units)
        relation = self.relation(relation_id)
        remote_unit = min(relation.remote_units_data, default=0)
        return self.run(self.ctx.on.relation_changed(relation, remote_unit=remote_unit))

    def departed(self, relation_id: int, unit: int, *, still_listed: bool = False) -> list[Seen]:
        """relation-departed of a remote unit.

        Juju no longer lists the departing unit (the default); `still_listed` keeps it in the
        relation, as some Juju versions and tools do, so that the library must leave it out.
        """
        if not still_listed:
            units = dict(self.relation(relation_id).remote_units_data)
            del units[unit]
            self.set_units(relation_id, units)
        event = self.ctx.on.relation_departed(
            self.relation(relation_id), remote_unit=unit, departing_unit=unit
        )
        return self.run(event)

    def broken(self, relation_id: int) -> list[Seen]:
        return self.run(self.ctx.on.relation_broken(self.relation(relation_id)))

    def this_unit_departs(self, relation_id: int, unit: int) -> list[Seen]:
        """relation-departed of a remote unit, in which Juju names this unit as departing.

        Juju runs one for each remote unit of each relation when this unit is removed; the
        remote units stay listed. See `demo.deployment.this_unit_named_departing` for how.
        """
        event = self.ctx.on.relation_departed(self.relation(relation_id), remote_unit=unit)
        with this_unit_named_departing():
            return self.run(event)

    def upgraded(self) -> list[Seen]:
        """upgrade-charm, the first hook after `juju refresh`."""
        return self.run(self.ctx.on.upgrade_charm())

    def update_status(self) -> list[Seen]:
        """update-status, a hook unrelated to the relations."""
        return self.run(self.ctx.on.update_status())


DEPARTING_ENVIRONMENTS = [
    pytest.param("app/1", "endpoint:39", (39, "app/1"), id="relation-departed"),
    pytest.param("", "endpoint:39", None, id="another-relation-hook"),
    pytest.param("app/1", "", None, id="no-relation-id"),
    pytest.param("app/1", "endpoint:x", None, id="malformed-relation-id"),
]
"""`JUJU_DEPARTING_UNIT`, `JUJU_RELATION_ID`, and the (relation id, unit) that departs."""


def set_hook_environment(monkeypatch: pytest.MonkeyPatch, unit: str, relation_id: str) -> None:
    """Set the two variables Juju sets in a relation-departed hook."""
    monkeypatch.setenv("JUJU_DEPARTING_UNIT", unit)
    monkeypatch.setenv("JUJU_RELATION_ID", relation_id)


def run_departure_after_a_deferred_event(
    ctx: testing.Context[Any],
    relation: testing.Relation,
    departing: int,
    *,
    this_unit: bool = False,
) -> ops.CharmBase:
    """The charm after relation-departed of unit `departing`, with an event deferred before.

    The charm's config option `defer` makes it defer an event in relation-changed of unit 0;
    ops runs that event's handler again at the start of the departure hook, before the
    library has observed the hook's own event. The departing unit stays listed, as ops.testing
    keeps it and some Juju versions do. With `this_unit`, Juju names the unit under test as
    the departing one instead: it is being removed, and the hook is its departure from unit
    `departing`.
    """
    state = testing.State(config={"defer": "x"}, relations=[relation])
    state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), state)
    assert len(state.deferred) == 1
    state = dataclasses.replace(state, config={"defer": ""})
    if this_unit:
        event = ctx.on.relation_departed(relation, remote_unit=departing)
        naming = this_unit_named_departing()
    else:
        event = ctx.on.relation_departed(relation, remote_unit=departing, departing_unit=departing)
        naming = contextlib.nullcontext()
    with naming, ctx(event, state) as mgr:
        out = mgr.run()
        charm = mgr.charm
    assert out.deferred == []
    return charm
