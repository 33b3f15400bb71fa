"""The fuzz properties can fail: each broken invariant, planted in a made-up library, is found.

`FakeRequires` is the smallest role the remote-data machine can drive: its state "started"
holds while some remote unit of a relation publishes `port`, and it reconciles on
upgrade-charm, as a refresh from the reactive charm needs. Its `flaw` plants one defect of
each kind the properties look for; without a flaw it passes. On a peer endpoint, where the
remote units are the charm's own, the same holds. `FakeProvides.set_port` does the
same for the setter property. `known_defect_problems` is checked on made-up variants, since a
library with no known defect exercises only its agreeing case.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import weakref
from typing import Any, ClassVar

import ops
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from ops import testing

from tests.fuzz.harness import (
    DEFER_OPTION,
    FUZZ_CONFIG,
    RELEASE_EVERY,
    EventPair,
    EventQueryDisagreementError,
    LeavingUnitError,
    Recording,
    RemoteDataTarget,
    RepeatedEventError,
    SecretLeakError,
    Setter,
    SetterMisbehavedError,
    SetterTarget,
    UncaughtError,
    fuzz_charm,
    fuzz_context,
    known_defect_problems,
    release_event_caches,
    release_finished_hooks,
)
from tests.fuzz.hostile import databags, secret_pems
from tests.fuzz.remote_data import (
    RemoteDataMachine,
    _framework_counter_kept,  # pyright: ignore[reportPrivateUsage]
    remote_data_test,
)
from tests.fuzz.setters import check_invalid_call

logger = logging.getLogger(__name__)

# Enough examples to meet each planted defect; no shrinking, since only the kind of finding
# matters here, not its minimal example.
SELF_TEST = settings(
    max_examples=30, derandomize=True, phases=[Phase.explicit, Phase.generate], database=None
)


class Started(ops.RelationEvent):
    """Some remote unit of the relation publishes a port."""


class Ended(ops.RelationEvent):
    """No remote unit of the relation publishes a port any more."""


class FakeEvents(ops.ObjectEvents):
    started = ops.EventSource(Started)
    ended = ops.EventSource(Ended)


class FakeRequires(ops.Object):
    """A correct role, unless `flaw` names the defect to plant."""

    on = FakeEvents()  # pyright: ignore[reportAssignmentType]
    _stored = ops.StoredState()

    def __init__(self, charm: ops.CharmBase, flaw: str):
        super().__init__(charm, "fake")
        self.flaw = flaw
        self._stored.set_default(started=[], leaving=False, kept="")
        events = charm.on["fake"]
        for event in (
            events.relation_joined,
            events.relation_changed,
            events.relation_departed,
            events.relation_broken,
        ):
            self.framework.observe(event, self._on_relation_event)
        if flaw != "blind-after-refresh":
            self.framework.observe(charm.on.upgrade_charm, self._on_upgrade_charm)

    def is_started(self) -> bool:
        if self.flaw == "disagree":
            return False
        relations = self.model.relations["fake"]
        if self._stored.leaving:
            return False
        return any(self._has_port(relation, relation.units) for relation in relations)

    def _on_relation_event(self, event: ops.RelationEvent) -> None:
        departing = getattr(event, "departing_unit", None)
        if departing == self.model.unit and self.flaw != "stays-while-leaving":
            self._stored.leaving = True
        units = set() if isinstance(event, ops.RelationBrokenEvent) else event.relation.units
        if self._stored.leaving:  # the unit is going: every state ends, none starts
            for relation in self.model.relations["fake"]:
                self._reconcile(relation, set())
        else:
            self._reconcile(event.relation, units)

    def _on_upgrade_charm(self, _: ops.UpgradeCharmEvent) -> None:
        for relation in self.model.relations["fake"]:
            self._reconcile(relation, set() if self._stored.leaving else relation.units)

    def _reconcile(self, relation: ops.Relation, units: set[ops.Unit]) -> None:
        for unit in units:
            self._plant(relation.data[unit])
        started = self._has_port(relation, units)
        was_started = relation.id in self._stored.started
        if started and (self.flaw == "repeat" or not was_started):
            self._stored.started = sorted({*self._stored.started, relation.id})
            self.on.started.emit(relation)
        elif was_started and not started:
            self._stored.started = [id_ for id_ in self._stored.started if id_ != relation.id]
            self.on.ended.emit(relation)

    def _plant(self, databag: ops.RelationDataContent) -> None:
        if self.flaw == "crash" and "boom" in databag:
            raise RuntimeError("a remote value broke the hook")
        if self.flaw == "leak" and "secret" in databag:
            logger.warning("received %s", databag["secret"])
        if self.flaw == "keeps-secret" and "secret" in databag:
            self._stored.kept = databag["secret"]

    @staticmethod
    def _has_port(relation: ops.Relation, units: set[ops.Unit]) -> bool:
        return any("port" in relation.data[unit] for unit in units)


def fake_target(flaw: str, peer: bool = False) -> RemoteDataTarget:
    return RemoteDataTarget(
        name=f"fake-{'peer-' if peer else ''}{flaw or 'correct'}",
        endpoint="fake",
        metadata={"peers" if peer else "requires": {"fake": {"interface": "fake"}}},
        build=lambda charm: FakeRequires(charm, flaw),
        pairs=(EventPair("started", "ended", "is_started"),),
        queries={"is_started": FakeRequires.is_started},
        databags=databags({"port": st.just("8080"), "secret": secret_pems(), "boom": st.just("")}),
        listed_departures=False,
    )


def run_machine(
    target: RemoteDataTarget, machine: type[RemoteDataMachine] = RemoteDataMachine
) -> None:
    test_case = remote_data_test(target, machine)
    test_case.settings = SELF_TEST  # pyright: ignore[reportAttributeAccessIssue]
    test_case("runTest").debug()  # debug(): failures raise, rather than being collected


@pytest.mark.parametrize(
    ("flaw", "finding"),
    [
        ("crash", UncaughtError),
        ("leak", SecretLeakError),
        ("repeat", RepeatedEventError),
        ("disagree", EventQueryDisagreementError),
        # After a refresh from the reactive charm, what holds is never announced.
        ("blind-after-refresh", EventQueryDisagreementError),
        # Named as the departing unit, it goes on as if a remote unit had left.
        ("stays-while-leaving", LeavingUnitError),
        # A secret from a databag written into the unit's stored state.
        ("keeps-secret", SecretLeakError),
    ],
)
def test_each_planted_defect_of_a_role_is_found(flaw: str, finding: type[Exception]):
    with pytest.raises(finding):
        run_machine(fake_target(flaw))


def test_a_role_whose_tokens_mark_plain_values_may_keep_them_in_its_state():
    # The same role as "keeps-secret" above, whose tokens now mark no secret.
    run_machine(dataclasses.replace(fake_target("keeps-secret"), tokens_are_secrets=False))


class PeerRelationMachine(RemoteDataMachine):
    """The machine, checking after each hook that it made the peer relation as Juju does."""

    peer_units_seen: ClassVar[set[int]] = set()
    hooks_after_broken: ClassVar[list[str]] = []

    def _run(self, event: Any, data: st.DataObject, step: str) -> None:
        super()._run(event, data, step)
        relations = list(self.state.relations)
        assert all(isinstance(relation, testing.PeerRelation) for relation in relations)
        # One relation, made when the unit is deployed: none after relation-broken.
        assert self.next_relation_id == 2
        assert [relation.id for relation in relations] in ([], [1])
        if not relations and not step.startswith("broken"):
            self.hooks_after_broken.append(step)
        for relation in relations:
            assert isinstance(relation, testing.PeerRelation)
            assert 0 not in relation.peers_data  # unit 0 is the unit under test
            self.peer_units_seen.update(relation.peers_data)


def test_a_correct_peer_role_passes_on_one_relation_of_its_own_units():
    PeerRelationMachine.peer_units_seen.clear()
    PeerRelationMachine.hooks_after_broken.clear()
    run_machine(fake_target("", peer=True), PeerRelationMachine)
    assert min(PeerRelationMachine.peer_units_seen) == 1
    assert PeerRelationMachine.hooks_after_broken  # and no relation again


@pytest.mark.parametrize(
    ("flaw", "finding"),
    [
        ("crash", UncaughtError),
        ("leak", SecretLeakError),
        ("repeat", RepeatedEventError),
        ("disagree", EventQueryDisagreementError),
        ("blind-after-refresh", EventQueryDisagreementError),
    ],
)
def test_each_planted_defect_of_a_peer_role_is_found(flaw: str, finding: type[Exception]):
    with pytest.raises(finding):
        run_machine(fake_target(flaw, peer=True))


def test_a_role_with_events_of_no_pair_needs_a_machine_that_checks_them():
    target = dataclasses.replace(fake_target(""), unpaired=("removed",))
    with pytest.raises(TypeError, match="cannot check the unpaired events removed"):
        remote_data_test(target)


def test_an_event_ops_drops_as_a_duplicate_of_a_queued_one_is_recorded_where_it_was_emitted():
    # ops skips a fresh notice identical to a deferred one still queued, so the handler never
    # sees the library's second `started`; the checks must still know it was announced.
    target = fake_target("")
    charm = fuzz_charm(target)
    ctx = testing.Context(charm, meta={"name": "fuzz", **target.metadata}, config=FUZZ_CONFIG)
    relation = testing.Relation("fake", remote_units_data={0: {"port": "8080"}})
    deferring = testing.State(relations=[relation], config={DEFER_OPTION: "started"})
    with _framework_counter_kept():
        state = ctx.run(ctx.on.relation_changed(relation, remote_unit=0), deferring)
    [deferred] = state.deferred
    # A refresh from the reactive charm forgets what was announced, so it is announced again;
    # the framework's own stored state (its event counter) stays.
    kept = [s for s in state.stored_states if s.owner_path != charm.recording.library_path]
    refreshed = dataclasses.replace(state, stored_states=kept)
    charm.recording = Recording()

    with _framework_counter_kept():
        ctx.run(ctx.on.upgrade_charm(), refreshed)

    [queued, dropped] = charm.recording.events
    assert (queued.handle, queued.queued_copy) == (deferred.handle_path, False)
    assert (dropped.name, dropped.queued_copy) == ("started", True)
    assert dropped.handle != queued.handle
    assert dropped.answers == {"is_started": True}


# --- Setters -------------------------------------------------------------------------------


class FakeProvides(ops.Object):
    """Publishes a port; `set_port` is correct unless `flaw` names the defect to plant."""

    def __init__(self, charm: ops.CharmBase, flaw: str):
        super().__init__(charm, "fake")
        self.flaw = flaw

    def set_port(self, port: Any) -> None:
        relation = self.model.relations["fake"][0]
        if self.flaw == "write-first":
            relation.data[self.model.unit]["port"] = str(port)
        if self.flaw == "type-error":
            port = port + ""  # bytes + str: TypeError
        if not (isinstance(port, str) and port.isdigit()):
            echoed = f": {port!r}" if self.flaw == "echo" else ""
            raise ValueError(f"port must be digits{echoed}")
        relation.data[self.model.unit]["port"] = port


def fake_setter_target(flaw: str) -> SetterTarget:
    return SetterTarget(
        name=f"fake-{flaw or 'correct'}",
        endpoint="fake",
        metadata={"provides": {"fake": {"interface": "fake"}}},
        build=lambda charm: FakeProvides(charm, flaw),
        setters=(
            Setter(
                "set_port",
                call=lambda provides, args: provides.set_port(*args),
                invalid=st.tuples(st.one_of(secret_pems(), st.just(b"8080"), st.just("80a"))),
                valid=("8080",),
            ),
        ),
    )


def check_setter(flaw: str) -> None:
    target = fake_setter_target(flaw)

    @SELF_TEST
    @given(args=target.setters[0].invalid)
    def property_(args: tuple[Any, ...]) -> None:
        check_invalid_call(target, target.setters[0], args)

    property_()


def test_a_correct_setter_passes():
    check_setter("")


@pytest.mark.parametrize(
    ("flaw", "finding"),
    [
        ("write-first", SetterMisbehavedError),
        ("type-error", SetterMisbehavedError),
        ("echo", SecretLeakError),
    ],
)
def test_each_planted_defect_of_a_setter_is_found(flaw: str, finding: type[Exception]):
    with pytest.raises(finding):
        check_setter(flaw)


# --- Known defects -------------------------------------------------------------------------


def variant(name: str, **fields: Any) -> RemoteDataTarget:
    """A remote-data variant that steers around nothing unless `fields` say so."""
    return dataclasses.replace(fake_target(""), **{"listed_departures": True, **fields}, name=name)


SETTER = fake_setter_target("").setters[0]


def test_known_defects_agree_when_each_listed_one_is_reached_and_steering_is_named():
    listed = {"slow": "is slow", "merged": "merges relations"}
    variants = [
        variant("steering", max_relations=1, steers_around=("merged",)),
        variant("reaching", known_defects=("merged",)),
        dataclasses.replace(SETTER, known_defects=("slow",)),
    ]
    assert known_defect_problems(listed, variants) == []
    assert known_defect_problems({}, [variant("plain"), SETTER]) == []


@pytest.mark.parametrize(
    ("listed", "variants", "problem"),
    [
        ({"slow": ""}, [variant("plain"), SETTER], "no variant reaches the listed defect 'slow'"),
        (
            {"slow": ""},
            [variant("steering", max_relations=1, steers_around=("slow",))],
            "no variant reaches the listed defect 'slow'",
        ),
        ({}, [variant("v", known_defects=("slow",))], "v names 'slow', which is not listed"),
        ({}, [dataclasses.replace(SETTER, known_defects=("slow",))], "set_port names 'slow'"),
        ({}, [variant("v", max_relations=1)], "v steers without naming"),
        ({}, [variant("v", listed_departures=False)], "v steers without naming"),
        (
            {"slow": ""},
            [variant("v", steers_around=("slow",)), variant("r", known_defects=("slow",))],
            "v does not steer around",
        ),
        (
            {"slow": ""},
            [
                variant("v", max_relations=2, steers_around=("gone",)),
                variant("r", known_defects=("slow",)),
            ],
            "v names 'gone', which is not listed",
        ),
    ],
)
def test_each_disagreement_of_known_defects_and_variants_is_found(
    listed: dict[str, str], variants: list[RemoteDataTarget | Setter], problem: str
):
    problems = known_defect_problems(listed, variants)
    assert any(problem in found for found in problems), problems


# --- The harness lets go of finished hooks -------------------------------------------------


class _Counted(ops.CharmBase):
    """A charm whose library object has events of its own, as every role's has."""

    alive: ClassVar[list[weakref.ref[ops.Framework]]] = []

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = FakeRequires(self, flaw="")
        _ = self.library.on  # ops caches the events object: the cache the harness empties
        _Counted.alive.append(weakref.ref(framework))


def _run_hooks(count: int, released: bool) -> None:
    """Run `count` hooks of `_Counted`, each followed by a release or not."""
    ctx = fuzz_context(_Counted, {"requires": {"fake": {"interface": "fake"}}})
    for _ in range(count):
        ctx.run(ctx.on.update_status(), testing.State())
        if released:
            release_finished_hooks()
    # The context keeps the events it saw, and through them their hooks, for as long as it
    # lives; that is not what the release is about.
    ctx.emitted_events.clear()


def _hooks_left_alive(released: bool) -> int:
    """How many of `3 * RELEASE_EVERY` hooks stay alive once their context is gone."""
    _Counted.alive.clear()
    _run_hooks(3 * RELEASE_EVERY, released)
    gc.collect()
    left = sum(framework() is not None for framework in _Counted.alive)
    release_event_caches()
    return left


def test_no_more_finished_hooks_stay_alive_than_the_release_period():
    assert _hooks_left_alive(released=False) == 3 * RELEASE_EVERY
    assert _hooks_left_alive(released=True) < RELEASE_EVERY
