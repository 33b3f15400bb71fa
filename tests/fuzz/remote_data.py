"""Hostile remote data: hook sequences that no library role may stumble over.

`remote_data_test(target)` builds a hypothesis state machine for one role. Its rules are the
relation hooks Juju runs (created, joined then changed, changed, departed, broken) on up to
`max_relations` relations (at most 3) with up to 5 remote units each, and a hook that reads no
new data (an unrelated hook, or a refresh from the reactive charm, below), each with a
generated set of library events that the charm defers. Every joined or changed unit publishes a
generated databag. The unit is deployed with a first relation, which at least one unit joins
unless it is a peer relation, so that almost every example reads remote data. A peer endpoint
has one relation (a `testing.PeerRelation`), whose remote units are the charm's own units from
1 up, the unit under test being unit 0: the machine makes it first, as Juju does when it
deploys the unit, breaks it at most once (the application is going), and only once as many
units as it makes have joined, and never makes another. After every hook the machine checks:

- no exception escaped the hook or a query (`UncaughtError`);
- no secret reached a log record, an exception or a repr (`SecretLeakError`);
- every event agrees with the queries asked in its handler, and at the end of the hook each
  state's query agrees with the events announced so far (`EventQueryDisagreementError`);
- no event announced a payload it had already announced, and no end event came without its
  start (`RepeatedEventError`);
- no secret reached the unit's state: its stored state and the deferred events that ops
  saves (`SecretLeakError`).

The unit under test may also leave (`this_unit_leaves`): it is scaled down, and Juju runs
relation-departed for each remote unit of each relation, naming this unit as the departing
one, then relation-broken for each relation. From the first of those hooks it must announce
no start, and by the end of that hook every state it announced must have ended
(`LeavingUnitError`). A unit that is leaving makes no new relation and hears no new unit.
Once it is gone, a new unit takes its place (`juju add-unit`), with no state of its own, and
the example goes on with it: the steps left read remote data again, rather than running
hooks on a unit that Juju would have removed.

Deferred events that ops re-emits in a later hook carry the payload they had when first
emitted, by design, so they count neither as announcements nor as repeats.

A refresh from the reactive charm (`juju refresh` to the `ops` charm) leaves the relations
established, but the unit has no `ops` state yet: the rule removes the library's stored
state and every deferred event, forgets what the library announced, and runs upgrade-charm.
The checks above then require the library to announce, in that hook, every state that holds,
and to end it later like any other.

`read_one_databag(target, databag, tally_as)` runs a single hook, in which one unit publishes
one databag, with the first two checks, and returns the queries' answers: for properties of
one databag, such as `test_etcd.py`'s per-field tolerance.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import unittest
from collections.abc import Iterator
from typing import Any
from unittest import mock

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from ops import testing

from demo.deployment import this_unit_named_departing
from tests.fuzz.harness import (
    DEFER_OPTION,
    FUZZ_CONFIG,
    TALLY,
    EventQueryDisagreementError,
    FuzzCharm,
    FuzzRelation,
    LeavingUnitError,
    Recording,
    RemoteDataTarget,
    RepeatedEventError,
    SecretLeakError,
    Seen,
    UncaughtError,
    endpoint_relation,
    exception_texts,
    first_remote_unit,
    fuzz_charm,
    fuzz_context,
    release_finished_hooks,
    remote_units,
    short,
    with_remote_units,
)
from tests.fuzz.hostile import SECRETS
from tests.fuzz.profiles import EXPLORE_KNOWN_DEFECTS, READING_MACHINE_EXAMPLES, SHARDS

MAX_UNITS = 5
_JOINING = st.integers(0, MAX_UNITS)
_FIRST_JOINING = st.integers(1, MAX_UNITS)


class RemoteDataMachine(RuleBasedStateMachine):
    """Runs generated hooks on one unit of a charm using the target role; see the module."""

    target: RemoteDataTarget
    charm: type[FuzzCharm]
    held_to_minimum: bool
    """Whether `make fuzz` holds the role to its minimum count of databags, once it runs."""

    def __init__(self) -> None:
        super().__init__()
        if self.held_to_minimum:  # only a role that runs: `make fuzz -k ...` may leave it out
            TALLY.roles_held_to_minimum.add(self.target.name)
        SECRETS.reset()
        self.ctx = fuzz_context(self.charm, self.target.metadata, config=FUZZ_CONFIG)
        self.state = testing.State(config={DEFER_OPTION: ""})
        self.next_relation_id = 1
        self.next_unit: dict[int, int] = {}
        # What the library announced, per state (its start event) and relation: the payload.
        self.announced: dict[str, dict[int, Any]] = {pair.start: {} for pair in self.target.pairs}
        self.steps: list[str] = []
        # Where the library keeps its stored state; known once a hook has built the charm.
        self.library_path = ""
        # Whether the unit under test has begun to leave (`this_unit_leaves`).
        self.leaving = False

    # --- Rules: the hooks ------------------------------------------------------------------

    @initialize(data=st.data())
    def deploy(self, data: st.DataObject) -> None:
        """The unit is deployed with a first relation of its endpoint, which units may join.

        A peer endpoint's relation exists from then on: Juju makes it once, before the install
        hook, and breaks it when the application goes. Another endpoint's first relation is
        made here too, rather than left to `relate`: in each example hypothesis turns some
        rules off (swarm testing), and an example without `relate` would spend all its hooks
        on a unit with no relation, reading no remote data. For the same reason at least one
        unit joins that relation (`join` may be off too). A unit without relations is still
        tried, once its relations are broken; a peer relation may start with no other unit,
        as a one-unit application's does.
        """
        self._relate(data, _JOINING if self.target.is_peer else _FIRST_JOINING)

    @precondition(lambda self: self._can_relate())
    @rule(data=st.data())
    def relate(self, data: st.DataObject) -> None:
        """A new relation of the endpoint: relation-created, then its first units join.

        Joining here, rather than only in `join`, keeps most hooks busy with remote data.
        """
        self._relate(data, _JOINING)

    def _relate(self, data: st.DataObject, joining: st.SearchStrategy[int]) -> None:
        relation = endpoint_relation(self.target, {}, id=self.next_relation_id)
        self.next_relation_id += 1
        self.next_unit[relation.id] = first_remote_unit(self.target)
        self._replace(relation)
        self._run(self.ctx.on.relation_created(relation), data, f"created {relation.id}")
        for _ in range(data.draw(joining, label="units joining")):
            self._join(relation, data)

    @precondition(lambda self: any(self._can_join(relation) for relation in self.relations))
    @rule(data=st.data())
    def join(self, data: st.DataObject) -> None:
        """A remote unit joins with a databag: relation-joined, then relation-changed.

        The unit may have written again by the time relation-changed runs (Juju runs it after
        relation-joined, not at once): then that hook reads a databag of its own.
        """
        self._join(
            data.draw(st.sampled_from([r for r in self.relations if self._can_join(r)])), data
        )

    def _join(self, relation: FuzzRelation, data: st.DataObject) -> None:
        relation = self._current(relation.id)
        unit = self.next_unit[relation.id]
        self.next_unit[relation.id] += 1
        databag = self._draw_databag(data)
        relation = self._with_units(relation, {**remote_units(relation), unit: databag})
        where = f"relation {relation.id} unit {unit}"
        self._run(self.ctx.on.relation_joined(relation, remote_unit=unit), data, f"joined {where}")
        if data.draw(st.booleans(), label="wrote again before relation-changed"):
            self._publish(relation, unit, data)
            return
        relation = self._current(relation.id)
        self._run(
            self.ctx.on.relation_changed(relation, remote_unit=unit), data, f"changed {where}"
        )

    @precondition(lambda self: any(remote_units(relation) for relation in self.relations))
    @rule(data=st.data())
    def change(self, data: st.DataObject) -> None:
        """Remote units publish new databags: relation-changed of one of them.

        Juju runs a unit's relation-changed some time after it wrote; by then other units of
        the relation may have written too, and the hook reads every unit's latest databag.
        So besides the unit the hook is for, any of the others may have published anew: each
        hook then reads more generated data, as a busy relation's hooks do.
        """
        relation, unit = self._draw_unit(data)
        others = sorted(set(remote_units(relation)) - {unit})
        if others:
            also = data.draw(st.lists(st.sampled_from(others), unique=True), label="also changed")
            relation = self._with_units(
                relation,
                {**remote_units(relation), **{other: self._draw_databag(data) for other in also}},
            )
        self._publish(relation, unit, data)

    def _publish(self, relation: FuzzRelation, unit: int, data: st.DataObject) -> None:
        relation = self._current(relation.id)
        databag = self._draw_databag(data)
        relation = self._with_units(relation, {**remote_units(relation), unit: databag})
        event = self.ctx.on.relation_changed(relation, remote_unit=unit)
        self._run(event, data, f"changed relation {relation.id} unit {unit}")

    @precondition(lambda self: any(remote_units(relation) for relation in self.relations))
    @rule(data=st.data())
    def depart(self, data: st.DataObject) -> None:
        """A remote unit leaves: relation-departed.

        Juju no longer lists the departing unit; `still_listed` keeps it listed (and its
        databag readable) during the hook, as some ops releases and test tools do.
        """
        relation, unit = self._draw_unit(data)
        still_listed = self.target.listed_departures and data.draw(st.booleans(), "listed")
        remaining = {u: d for u, d in remote_units(relation).items() if u != unit}
        if not still_listed:
            relation = self._with_units(relation, remaining)
        event = self.ctx.on.relation_departed(relation, remote_unit=unit, departing_unit=unit)
        listed = " (still listed)" if still_listed else ""
        self._run(event, data, f"departed relation {relation.id} unit {unit}{listed}")
        self._with_units(self._current(relation.id), remaining)

    @precondition(lambda self: self._can_break())
    @rule(data=st.data())
    def break_relation(self, data: st.DataObject) -> None:
        """The relation is removed: relation-broken, with no remote unit left."""
        relation = self._with_units(data.draw(st.sampled_from(self.relations)), {})
        self._run(self.ctx.on.relation_broken(relation), data, f"broken {relation.id}")
        self.state = dataclasses.replace(
            self.state, relations=[r for r in self.state.relations if r.id != relation.id]
        )

    @rule(data=st.data(), refresh=st.booleans())
    def hook_without_new_data(self, data: st.DataObject, refresh: bool) -> None:
        """A hook in which no remote unit has published anything new: update-status, or a
        refresh from the reactive charm.

        One rule rather than two: in each example hypothesis turns some rules off (swarm
        testing), and with a rule for each, examples that kept only these two spent most of
        their hooks reading no new remote data.
        """
        if refresh and not self.leaving:  # a unit being removed is not refreshed
            self._refresh_from_reactive_charm(data)
        else:
            self._run(self.ctx.on.update_status(), data, "update-status")

    def _refresh_from_reactive_charm(self, data: st.DataObject) -> None:
        """`juju refresh` from the reactive charm: the relations stay, no ops state exists.

        The reactive charm kept its own state, which the ops charm cannot read: the library's
        stored state is empty and no ops event is deferred. Then upgrade-charm runs, in which
        the library must announce what holds (nothing was announced as far as it can know).
        """
        kept = [s for s in self.state.stored_states if not self._owned_by_library(s)]
        self.state = dataclasses.replace(self.state, stored_states=kept, deferred=[])
        self._forget_announcements()
        self._run(self.ctx.on.upgrade_charm(), data, "refresh from the reactive charm")

    def _forget_announcements(self) -> None:
        """The library's memory is gone (a refresh, a new unit): the machine's goes with it.

        A machine that follows more of what the library announced forgets that here too.
        """
        self.announced = {pair.start: {} for pair in self.target.pairs}

    @precondition(
        lambda self: (
            self.target.this_unit_leaves
            and not self.leaving
            and any(remote_units(relation) for relation in self.relations)
        )
    )
    @rule(data=st.data())
    def this_unit_leaves(self, data: st.DataObject) -> None:
        """The unit is removed: relation-departed of each remote unit, naming this unit as
        the departing one, relation by relation, then relation-broken of each relation."""
        self.leaving = True
        for relation in self.relations:
            for unit in sorted(remote_units(relation)):
                remaining = {u: d for u, d in remote_units(relation).items() if u != unit}
                relation = self._with_units(self._current(relation.id), remaining)
                event = self.ctx.on.relation_departed(relation, remote_unit=unit)
                with this_unit_named_departing():
                    self._run(event, data, f"this unit leaves: departed {relation.id} unit {unit}")
                still = sorted(start for start, announced in self.announced.items() if announced)
                if still:
                    raise LeavingUnitError(
                        self._failure(f"still announced while leaving: {still}")
                    )
        for relation in self.relations:
            self._run(self.ctx.on.relation_broken(relation), data, f"broken {relation.id}")
            self.state = dataclasses.replace(
                self.state, relations=[r for r in self.state.relations if r.id != relation.id]
            )
        self._replaced_by_a_new_unit(data)

    def _replaced_by_a_new_unit(self, data: st.DataObject) -> None:
        """The unit is gone with its state; a new one is deployed in its place.

        A peer endpoint's relation is the application's: the new unit has it from the start,
        as the same relation.
        """
        self.steps.append("a new unit takes the place of the one that left")
        self.state = testing.State(config={DEFER_OPTION: ""})
        self.leaving = False
        self._forget_announcements()
        if self.target.is_peer:
            self.next_relation_id = 1
            self._relate(data, _JOINING)

    def _owned_by_library(self, stored: testing.StoredState) -> bool:
        owner = stored.owner_path or ""
        path = self.library_path
        return bool(path) and (owner == path or owner.startswith(f"{path}/"))

    # --- Running one hook ------------------------------------------------------------------

    def _run(self, event: Any, data: st.DataObject, step: str) -> None:
        defer = data.draw(_deferrals(self.target.event_names), label="defer")
        self.steps.append(step + (f", deferring {sorted(defer)}" if defer else ""))
        config = {DEFER_OPTION: ",".join(sorted(defer))}
        state = dataclasses.replace(self.state, config=config)
        reemitted = {deferred.handle_path for deferred in state.deferred}
        recording = Recording()
        self.charm.recording = recording
        self.ctx.juju_log.clear()
        try:
            with _framework_counter_kept():
                self.state = self.ctx.run(event, state)
        except testing.errors.UncaughtCharmError as error:
            self._check_secrets(recording, exception_texts(error))
            raise UncaughtError(self._failure(f"{short(error.__cause__)} escaped")) from error
        finally:
            release_finished_hooks()
        self.library_path = recording.library_path
        self._check_secrets(recording, [])
        self._check_saved_state()
        self._check_events(recording, reemitted)
        self._check_final_answers(recording)

    def _check_secrets(self, recording: Recording, error_texts: list[str]) -> None:
        texts = [line.message for line in self.ctx.juju_log] + recording.reprs + error_texts
        leaked = SECRETS.leaks(texts)
        if leaked:
            raise SecretLeakError(self._failure(f"secret tokens {leaked} reached a log or a repr"))

    def _check_saved_state(self) -> None:
        """No secret in what the unit's state keeps: stored state, and deferred events."""
        if not self.target.tokens_are_secrets:
            return
        saved = [repr(stored.content) for stored in self.state.stored_states]
        saved += [repr(deferred.snapshot_data) for deferred in self.state.deferred]
        leaked = SECRETS.leaks(saved)
        if leaked:
            raise SecretLeakError(
                self._failure(f"secret tokens {leaked} reached the unit's state")
            )

    def _check_events(self, recording: Recording, reemitted: set[str]) -> None:
        for seen in recording.events:
            if seen.handle not in reemitted:  # a deferred event keeps its first payload
                self._check_event(seen)

    def _check_event(self, seen: Seen) -> None:
        pair, is_start = self.target.pair_of(seen.name)
        announced = self.announced[pair.start]
        if is_start and self.leaving:
            raise LeavingUnitError(self._failure(f"{seen.name} while this unit is leaving"))
        if is_start:
            if announced.get(seen.relation_id, _NEVER) == seen.payload:
                raise RepeatedEventError(
                    self._failure(f"{seen.name} repeated an unchanged payload")
                )
            announced[seen.relation_id] = seen.payload
        else:
            if seen.relation_id not in announced:
                raise RepeatedEventError(self._failure(f"{seen.name} without {pair.start} first"))
            del announced[seen.relation_id]
        holds = seen.answers[pair.query]
        # While leaving, the view holds no relation from the start of the hook: the queries
        # answer "nothing" in every handler, before the last relation's end is announced.
        if holds != (bool(announced) and not self.leaving):
            raise EventQueryDisagreementError(
                self._failure(
                    f"in the {seen.name} handler of relation {seen.relation_id}, the query says "
                    f"{holds}; the relations announced as {pair.start}: {sorted(announced)}"
                    + (" (this unit is leaving)" if self.leaving else "")
                )
            )

    def _check_final_answers(self, recording: Recording) -> None:
        if not recording.final:
            raise EventQueryDisagreementError(self._failure("collect-status did not run"))
        for pair in self.target.pairs:
            announced = self.announced[pair.start]
            holds = recording.final[pair.query]
            if holds != bool(announced):
                raise EventQueryDisagreementError(
                    self._failure(
                        f"at the end of the hook the query for {pair.start} says {holds}; "
                        f"relations announced: {sorted(announced)}"
                    )
                )
            if pair.current is None or not announced:
                continue
            answering, which = self._answering_relation(announced)
            current = recording.final[f"current {pair.start}"]
            if current != announced[answering]:
                raise EventQueryDisagreementError(
                    self._failure(
                        f"the queries answer {short(current)} for {pair.start}, but relation "
                        f"{answering} ({which}) announced {short(announced[answering])}"
                    )
                )

    def _answering_relation(self, announced: dict[int, Any]) -> tuple[int, str]:
        """The relation whose payload the queries must answer, and why it is that one."""
        if self.target.answers_as is None:
            return min(announced), "the oldest"
        chosen = self.target.answers_as(self.announced)
        if chosen not in announced:
            raise EventQueryDisagreementError(
                self._failure(f"the endpoint answers as relation {chosen}, not in this state")
            )
        return chosen, "the one the endpoint answers as"

    def _failure(self, what: str) -> str:
        return f"{self.target.name}: {what}\nhooks so far:\n  " + "\n  ".join(self.steps)

    # --- The model of the deployment -------------------------------------------------------

    @property
    def relations(self) -> list[FuzzRelation]:
        """The relations in the state, oldest first."""
        found = [
            r
            for r in self.state.relations
            if isinstance(r, (testing.Relation, testing.PeerRelation))
        ]
        return sorted(found, key=lambda relation: relation.id)

    def _can_relate(self) -> bool:
        if self.target.is_peer or self.leaving:
            return False  # the one peer relation came with the deployment, never again
        return len(self.relations) < self.target.max_relations

    def _can_break(self) -> bool:
        if not self.target.is_peer:
            return bool(self.relations)
        # A peer relation is broken when the application goes, the end of the unit's story:
        # after it the machine can run unrelated hooks only. Once the most units have joined,
        # so that an example spends its hooks on remote data first.
        return any(not self._can_join(relation) for relation in self.relations)

    def _can_join(self, relation: FuzzRelation) -> bool:
        if self.leaving:
            return False
        return self.next_unit[relation.id] - first_remote_unit(self.target) < MAX_UNITS

    def _current(self, relation_id: int) -> FuzzRelation:
        return next(r for r in self.relations if r.id == relation_id)

    def _replace(self, relation: FuzzRelation) -> None:
        others = [r for r in self.state.relations if r.id != relation.id]
        self.state = dataclasses.replace(self.state, relations=[*others, relation])

    def _with_units(self, relation: FuzzRelation, units: dict[int, Any]) -> FuzzRelation:
        relation = with_remote_units(relation, units)
        self._replace(relation)
        return relation

    def _draw_unit(self, data: st.DataObject) -> tuple[FuzzRelation, int]:
        relation = data.draw(st.sampled_from([r for r in self.relations if remote_units(r)]))
        unit = data.draw(st.sampled_from(sorted(remote_units(relation))))
        return relation, unit

    def _draw_databag(self, data: st.DataObject) -> dict[str, str]:
        TALLY.databags_by_role[self.target.name] += 1
        return data.draw(self.target.databags, label="databag")


_NEVER = object()


@contextlib.contextmanager
def _framework_counter_kept() -> Iterator[None]:
    """Make ops.testing hand the framework's event counter back to ops between hooks.

    ops.testing (seen in 8.9) saves a stored state without owner, such as the framework's
    event counter, under `/StoredStateData[_stored]`, while ops reads `StoredStateData[_stored]`:
    the counter restarts at 0 in every hook, so a new event can take the handle path of a
    deferred one and overwrite its saved payload. Juju's unit state keeps the counter.
    """

    def handle_path(stored: testing.StoredState) -> str:
        owner = f"{stored.owner_path}/" if stored.owner_path else ""
        return f"{owner}{stored._data_type_name}[{stored.name}]"

    with mock.patch.object(testing.StoredState, "_handle_path", property(handle_path)):
        yield


def read_one_databag(
    target: RemoteDataTarget, databag: dict[str, str], tally_as: str
) -> dict[str, Any]:
    """The queries' answers at the end of relation-changed, for one unit publishing `databag`.

    The unit has just joined a new relation, the only one; nothing is deferred. The databag
    counts in the tally under `tally_as`. Raises `UncaughtError` when an exception escaped the
    hook or a query, `SecretLeakError` when a secret reached a log or a repr.
    """
    TALLY.databags_by_role[tally_as] += 1
    charm = fuzz_charm(target)
    ctx = fuzz_context(charm, target.metadata, config=FUZZ_CONFIG)
    unit = first_remote_unit(target)
    relation = endpoint_relation(target, {unit: databag})
    state = testing.State(relations=[relation], config={DEFER_OPTION: ""})
    recording = charm.recording = Recording()
    where = f"{target.name}: relation-changed of a unit publishing {short(databag)}"
    try:
        with _framework_counter_kept():
            ctx.run(ctx.on.relation_changed(relation, remote_unit=unit), state)
    except testing.errors.UncaughtCharmError as error:
        release_finished_hooks()
        texts = [line.message for line in ctx.juju_log] + recording.reprs
        leaked = SECRETS.leaks(texts + exception_texts(error))
        if leaked:
            raise SecretLeakError(
                f"{where}: secret tokens {leaked} reached a log or the error"
            ) from error
        raise UncaughtError(f"{where}: {short(error.__cause__)} escaped") from error
    release_finished_hooks()
    leaked = SECRETS.leaks([line.message for line in ctx.juju_log] + recording.reprs)
    if leaked:
        raise SecretLeakError(f"{where}: secret tokens {leaked} reached a log or a repr")
    if not recording.final:
        raise EventQueryDisagreementError(f"{where}: collect-status did not run")
    return recording.final


@functools.cache  # a strategy built once is analysed once by hypothesis, not in every hook
def _deferrals(event_names: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    """Mostly nothing deferred; sometimes a few of the role's events."""
    return st.one_of(st.just(frozenset[str]()), st.frozensets(st.sampled_from(event_names)))


def _sharded(
    test_case: type[unittest.TestCase], machine: type[RemoteDataMachine]
) -> type[unittest.TestCase]:
    """The test case with its examples split among `SHARDS` tests, which pytest runs apart.

    Each test runs the machine on its share of `READING_MACHINE_EXAMPLES`, from a seed of its
    own, so the role still gets every example of its budget, and several processes can share
    them.
    """
    share = -(-READING_MACHINE_EXAMPLES // SHARDS)

    def run_share(self: unittest.TestCase) -> None:
        run_state_machine_as_test(
            machine,
            settings=settings(self.settings, max_examples=share),  # pyright: ignore[reportAttributeAccessIssue]
        )

    shares = {f"test_examples_{n}_of_{SHARDS}": run_share for n in range(1, SHARDS + 1)}
    return type(test_case.__name__, (test_case,), shares)


def remote_data_test(
    target: RemoteDataTarget,
    machine: type[RemoteDataMachine] = RemoteDataMachine,
    charm: type[FuzzCharm] = FuzzCharm,
) -> type[unittest.TestCase]:
    """The test case pytest collects for one role: a state machine run by hypothesis.

    `machine` and `charm` may be subclasses that check (and record) what the generic ones
    cannot: the events of no pair, above all. A variant that reaches known defects is skipped
    unless the profile explores them.
    """
    if target.unpaired and machine is RemoteDataMachine:
        raise TypeError(
            f"{target.name}: the generic machine cannot check the unpaired events "
            f"{', '.join(target.unpaired)}; pass a machine subclass that does"
        )
    name = f"RemoteData_{target.name.replace('-', '_')}"
    held = target.reads_remote_data and not target.known_defects
    test_machine = type(
        name,
        (machine,),
        {"target": target, "charm": fuzz_charm(target, charm), "held_to_minimum": held},
    )
    test_case = test_machine.TestCase
    if not target.reads_remote_data:
        # settings() starts from the loaded profile.
        test_case.settings = settings(max_examples=max(settings().max_examples // 5, 10))
    elif SHARDS > 1:
        test_case = _sharded(test_case, test_machine)
    if not target.known_defects:
        return test_case
    reason = f"reaches known defects {', '.join(target.known_defects)}; `make fuzz` runs it"
    return unittest.skipUnless(EXPLORE_KNOWN_DEFECTS, reason)(test_case)
