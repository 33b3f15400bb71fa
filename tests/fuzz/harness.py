"""What the fuzz properties share: how a library registers, the charm that drives it, the tally.

A library takes part by describing each role in a `RemoteDataTarget` (for hostile remote data)
and its setters in a `SetterTarget` (for invalid charm input); `tests/fuzz/test_etcd.py` is
the example. The properties themselves (`remote_data.py`, `setters.py`) know no interface.
A library's known defects are listed in its fuzz module and named by the variants that reach
them; `known_defect_problems` checks that the two agree.

Each property failure raises a subclass of `InvariantBrokenError`, so that the summary can
count uncaught exceptions and leaks apart from the other broken invariants.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import importlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import ops
import yaml
from hypothesis import strategies as st
from ops import testing

from bench.finished_hooks import release_event_caches

# --- Broken invariants ---------------------------------------------------------------------


class InvariantBrokenError(AssertionError):
    """A broken invariant; hypothesis shrinks to the smallest example that raises it."""


class UncaughtError(InvariantBrokenError):
    """An exception escaped a hook or a query."""


class SecretLeakError(InvariantBrokenError):
    """A secret value reached a log record, an exception message, a repr or the unit's state."""


class LeavingUnitError(InvariantBrokenError):
    """The leaving unit announced a start, or kept a state announced once it began to leave."""


class EventQueryDisagreementError(InvariantBrokenError):
    """An event and the queries answered differently in the same hook."""


class RepeatedEventError(InvariantBrokenError):
    """An event fired again for a payload it already announced, or ended what never began."""


class SetterMisbehavedError(InvariantBrokenError):
    """A setter given invalid input did not raise ValueError, or changed something."""


class FieldToleranceError(InvariantBrokenError):
    """A valid field of a remote databag did not count because of the databag's other fields."""


# --- The tally that `make fuzz` prints -----------------------------------------------------


@dataclasses.dataclass
class Tally:
    """How much input the properties have tried, in this process."""

    databags_by_role: Counter[str] = dataclasses.field(default_factory=Counter[str])
    setter_calls: int = 0
    roles_held_to_minimum: set[str] = dataclasses.field(default_factory=set[str])
    """Roles whose state machine reads remote data and reaches no known defect, so runs to the
    end: `make fuzz` holds each to a minimum count of databags. Properties that count their
    databags under another name (one databag per example) are not held to it."""


TALLY = Tally()


# --- Registration --------------------------------------------------------------------------

MAX_RELATIONS = 3
"""The most relations of one endpoint the remote-data machine makes at once."""


@dataclasses.dataclass(frozen=True)
class EventPair:
    """A state of the role, as its "became true" and "stopped being true" events name it.

    Args:
        start: the name of the event on `.on` that announces the state (or a new payload).
        end: the name of the event that announces its end.
        query: the name (in `RemoteDataTarget.queries`) of the query that says whether the
            state holds on the endpoint.
        payload: what the start event carries, as a comparable value.
        current: the queries' answer for that payload, asked of the library object, to compare
            with the payload of the oldest relation in the state; None when there is nothing
            to compare.
    """

    start: str
    end: str
    query: str
    payload: Callable[[Any], Any] = lambda _event: ()
    current: Callable[[Any], Any] | None = None


def declares_peer(metadata: Mapping[str, Any], endpoint: str) -> bool:
    """Whether the metadata declares the endpoint under `peers:`."""
    return endpoint in metadata.get("peers", {})


@dataclasses.dataclass(frozen=True)
class RemoteDataTarget:
    """One role of a library that reads remote unit databags, described for the fuzzer.

    Args:
        name: a short name for reports, such as `etcd-requires`.
        endpoint: the endpoint name; `metadata` must declare it.
        metadata: charm metadata that declares the endpoint (`requires:`, `provides:`, or
            `peers:`, where the remote units are the charm's own other units).
        build: makes the library object for a charm.
        pairs: the role's states, each a start and an end event.
        unpaired: events of no pair (per unit, say), which the fuzz charm observes and may
            defer like the others; the generic machine cannot tell what they mean, so a
            target with any needs a machine subclass that checks them.
        queries: every query of the role, by name, as a function of the library object.
        secret_queries: names of queries whose answer is a secret by contract (a legacy
            getter returning the private key); their answers are not scanned for secrets.
        tokens_are_secrets: whether the tokens in the databags mark secrets, which must stay
            out of the unit's state as well as out of logs; False where they mark plain values
            (host names, YAML) that a deferred event may carry but no log may show.
        databags: generates one remote unit databag, right, wrong or hostile.
        listed_departures: whether relation-departed may still list the departing unit, as
            some ops releases and test tools do; False only to steer around a known defect.
        this_unit_leaves: whether the machine may make the unit under test leave (Juju names
            it as the departing unit); False only to steer around a known defect.
        max_relations: how many relations of the endpoint may exist at once (1 to
            `MAX_RELATIONS`); fewer only to steer around a known defect.
        steers_around: the known defects that this variant's steering (`listed_departures`
            or `this_unit_leaves` False, `max_relations` below the most) avoids; required
            exactly when it steers.
        known_defects: the known defects this variant reaches (keys of the library's
            `KNOWN_DEFECTS`); such a variant runs only in `make fuzz`, where it shows the
            minimal example of each, and is not held to the minimum count of databags.
        reads_remote_data: False for a role that only watches units come and go; it gets a
            fifth of the examples and no minimum count of databags.
        answers_as: which relation the queries answer for the endpoint as, given what the
            start events announced so far (start event name -> relation id -> payload), or
            None; by default each state's oldest relation. A role whose read keeps one
            relation's values together (etcd: its connection string and credentials) says
            which relation that is.
    """

    name: str
    endpoint: str
    metadata: Mapping[str, Any]
    build: Callable[[ops.CharmBase], Any]
    pairs: tuple[EventPair, ...]
    queries: Mapping[str, Callable[[Any], Any]]
    databags: st.SearchStrategy[dict[str, str]]
    unpaired: tuple[str, ...] = ()
    secret_queries: frozenset[str] = frozenset()
    tokens_are_secrets: bool = True
    listed_departures: bool = True
    this_unit_leaves: bool = True
    max_relations: int = MAX_RELATIONS
    steers_around: tuple[str, ...] = ()
    known_defects: tuple[str, ...] = ()
    reads_remote_data: bool = True
    answers_as: Callable[[Mapping[str, Mapping[int, Any]]], int | None] | None = None

    @property
    def steers(self) -> bool:
        """Whether the variant leaves out hook sequences that the machine can make."""
        return (
            not self.listed_departures
            or not self.this_unit_leaves
            or self.max_relations < MAX_RELATIONS
        )

    @property
    def is_peer(self) -> bool:
        """Whether the endpoint is a peer endpoint: one relation, among the charm's own units.

        Then `max_relations` does not apply: Juju makes the one relation, and after it is
        broken (the application is going) none again.
        """
        return declares_peer(self.metadata, self.endpoint)

    def pair_of(self, event_name: str) -> tuple[EventPair, bool]:
        """The pair an event belongs to, and whether it is the pair's start event."""
        for pair in self.pairs:
            if event_name in (pair.start, pair.end):
                return pair, event_name == pair.start
        raise KeyError(event_name)

    @property
    def event_names(self) -> tuple[str, ...]:
        """Every event of the role that the fuzz charm observes."""
        paired = tuple(name for pair in self.pairs for name in (pair.start, pair.end))
        return paired + self.unpaired


@dataclasses.dataclass(frozen=True)
class Setter:
    """One setter of a provider, with what makes its input invalid.

    Args:
        name: the method's name, for reports.
        call: calls the setter on the library object with the generated arguments.
        invalid: generates argument tuples of which at least one is invalid.
        valid: one valid argument tuple, published before the invalid call so that there is
            something the invalid call must leave alone.
        known_defects: as for `RemoteDataTarget`: invalid input that the current LIBPATCH is
            known to accept runs only in `make fuzz`.
    """

    name: str
    call: Callable[[Any, tuple[Any, ...]], None]
    invalid: st.SearchStrategy[tuple[Any, ...]]
    valid: tuple[Any, ...]
    known_defects: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class SetterTarget:
    """The setters of one provider role, described for the fuzzer."""

    name: str
    endpoint: str
    metadata: Mapping[str, Any]
    build: Callable[[ops.CharmBase], Any]
    setters: tuple[Setter, ...]

    @property
    def is_peer(self) -> bool:
        """Whether the endpoint is a peer endpoint (declared under `peers:`)."""
        return declares_peer(self.metadata, self.endpoint)


def known_defect_problems(
    listed: Mapping[str, str], variants: Iterable[RemoteDataTarget | Setter]
) -> list[str]:
    """How a library's list of known defects and the variants naming them disagree.

    Every defect a variant reaches or steers around must be listed, every listed defect must
    be reached by some variant (so that `make fuzz` shows it, and its entry goes once it is
    fixed), and a variant steers exactly when it names what it steers around. Empty when
    they agree, which an empty list does only if no variant reaches or steers around anything.
    """
    problems: list[str] = []
    reached: set[str] = set()
    for variant in variants:
        reached.update(variant.known_defects)
        named = set(variant.known_defects)
        if isinstance(variant, RemoteDataTarget):
            named.update(variant.steers_around)
            if variant.steers != bool(variant.steers_around):
                what = "steers without naming" if variant.steers else "does not steer around"
                problems.append(f"{variant.name} {what} the known defects it steers around")
        problems += [
            f"{variant.name} names {defect!r}, which is not listed"
            for defect in sorted(named - set(listed))
        ]
    problems += [
        f"no variant reaches the listed defect {defect!r}"
        for defect in sorted(set(listed) - reached)
    ]
    return problems


def known_defects_test(
    listed: Mapping[str, str], namespace: Mapping[str, Any]
) -> Callable[[], None]:
    """The test that a fuzz module's `KNOWN_DEFECTS` and its variants agree.

    The variants are found in the module's namespace (pass `globals()`), rather than listed,
    so that a new one cannot be left out: each `RemoteDataTarget`, and each setter of each
    `SetterTarget`.
    """

    def test_the_known_defects_named_by_the_variants_are_those_listed() -> None:
        variants: list[RemoteDataTarget | Setter] = []
        for value in namespace.values():
            if isinstance(value, RemoteDataTarget):
                variants.append(value)
            elif isinstance(value, SetterTarget):
                variants += value.setters
        assert variants, "the module defines no variant"
        assert known_defect_problems(listed, variants) == []

    return test_the_known_defects_named_by_the_variants_are_those_listed


# --- The fuzz charm ------------------------------------------------------------------------

DEFER_OPTION = "defer"
"""The config option naming the library events the fuzz charm defers, comma-separated."""

FUZZ_CONFIG = {"options": {DEFER_OPTION: {"type": "string", "default": ""}}}


@dataclasses.dataclass(frozen=True)
class Seen:
    """One library event as the fuzz charm's observer saw it, with the queries' answers."""

    name: str
    handle: str
    relation_id: int
    payload: Any
    answers: Mapping[str, Any]
    queued_copy: bool = False
    """ops dropped this fresh event because an identical deferred one was still queued.

    ops (2.10 and later) skips a notice whose snapshot equals one already waiting for the same
    observer, so the charm hears of it only through that queued copy. The fuzz charm records
    the dropped event where it was emitted, with the queries' answers at that moment, so that
    the checks see what the library announced rather than what ops delivered.
    """


@dataclasses.dataclass
class Recording:
    """What the fuzz charm saw in one hook: events in order, then the answers at its end."""

    events: list[Seen] = dataclasses.field(default_factory=list[Seen])
    final: dict[str, Any] = dataclasses.field(default_factory=dict[str, Any])
    reprs: list[str] = dataclasses.field(default_factory=list[str])
    library_path: str = ""
    """The handle path of the library object: its stored state is kept under it."""


class FuzzCharm(ops.CharmBase):
    """Observes every event of a library role and asks every query in each handler.

    It is a holistic charm at its most demanding: each handler and the end of each hook
    (collect-status) call every query once. Subclasses name their target; the class
    attribute `recording` is replaced by the property before each hook.
    """

    target: ClassVar[RemoteDataTarget | SetterTarget]
    recording: ClassVar[Recording] = Recording()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.library = self.target.build(self)
        self.recording.library_path = self.library.handle.path
        if isinstance(self.target, RemoteDataTarget):
            for name in self.target.event_names:
                framework.observe(getattr(self.library.on, name), self._on_library_event)
            framework.observe(self.on.collect_unit_status, self._on_collect_status)
            self._notice_dropped_duplicates(framework)

    def _notice_dropped_duplicates(self, framework: ops.Framework) -> None:
        """Record each library event that ops drops as a duplicate of a queued deferred one.

        ops has no public signal for it, so the framework's emit is wrapped: an event the
        library emitted that did not reach `_on_library_event` was dropped.
        """
        assert isinstance(self.target, RemoteDataTarget)
        emit = framework._emit  # pyright: ignore[reportPrivateUsage]
        emitter = self.library.on.handle.path
        observed = {f"{emitter}/{name}" for name in self.target.event_names}

        def emit_noting_drops(event: ops.EventBase) -> None:
            emit(event)
            path = event.handle.path
            kind = path.rsplit("[", 1)[0]
            if kind in observed and path not in {seen.handle for seen in self.recording.events}:
                self._record(event, queued_copy=True)

        framework._emit = emit_noting_drops  # pyright: ignore[reportPrivateUsage]

    def _on_library_event(self, event: ops.EventBase) -> None:
        self._record(event)
        if event.handle.kind in str(self.config[DEFER_OPTION]).split(","):
            event.defer()

    def _record(self, event: ops.EventBase, queued_copy: bool = False) -> None:
        self.recording.events.append(
            Seen(
                name=event.handle.kind,
                handle=event.handle.path,
                relation_id=getattr(event, "relation").id,  # noqa: B009 - every such event has one
                payload=self._payload(event),
                answers=self._ask_everything(),
                queued_copy=queued_copy,
            )
        )
        self.recording.reprs.append(repr(event))

    def _payload(self, event: ops.EventBase) -> Any:
        """What a start event announces; a subclass says what an unpaired event carries."""
        assert isinstance(self.target, RemoteDataTarget)
        if event.handle.kind in self.target.unpaired:
            return ()
        pair, is_start = self.target.pair_of(event.handle.kind)
        return pair.payload(event) if is_start else ()

    def _on_collect_status(self, _: ops.CollectStatusEvent) -> None:
        self.recording.final.update(self._ask_everything())

    def _ask_everything(self) -> dict[str, Any]:
        assert isinstance(self.target, RemoteDataTarget)
        answers: dict[str, Any] = {}
        for name, query in self.target.queries.items():
            answers[name] = query(self.library)
            if name not in self.target.secret_queries:
                self.recording.reprs.append(repr(answers[name]))
        for pair in self.target.pairs:
            if pair.current is not None:
                answers[f"current {pair.start}"] = pair.current(self.library)
        return answers


def fuzz_charm(
    target: RemoteDataTarget | SetterTarget, base: type[FuzzCharm] = FuzzCharm
) -> type[FuzzCharm]:
    """A `FuzzCharm` class (or a class of the subclass `base`) for one target."""
    return type(f"FuzzCharm_{target.name.replace('-', '_')}", (base,), {"target": target})


# --- Relations of a target's endpoint ------------------------------------------------------
# A peer endpoint's relation is a `testing.PeerRelation`, whose remote units (the charm's own
# other units) are in `peers_data`; any other endpoint's is a `testing.Relation`, with
# `remote_units_data`. The properties build and read both through these helpers.

FuzzRelation: TypeAlias = testing.Relation | testing.PeerRelation
"""A relation the properties make: to another application, or among the charm's units."""


def first_remote_unit(target: RemoteDataTarget | SetterTarget) -> int:
    """The number of a relation's first remote unit: on a peer endpoint unit 0 is this one."""
    return 1 if target.is_peer else 0


def endpoint_relation(
    target: RemoteDataTarget | SetterTarget, units: Mapping[int, Mapping[str, str]], **fields: Any
) -> FuzzRelation:
    """A relation of the target's endpoint whose remote units publish `units`, by number.

    `fields` are the other fields of the relation (`id`, `local_unit_data`...).
    """
    if target.is_peer:
        return testing.PeerRelation(target.endpoint, peers_data=units, **fields)
    return testing.Relation(target.endpoint, remote_units_data=units, **fields)


def remote_units(relation: FuzzRelation) -> Mapping[int, Mapping[str, str]]:
    """The databags of the relation's remote units, by unit number."""
    if isinstance(relation, testing.PeerRelation):
        return relation.peers_data
    return relation.remote_units_data


def with_remote_units(
    relation: FuzzRelation, units: Mapping[int, Mapping[str, str]]
) -> FuzzRelation:
    """The relation with other remote units, publishing `units`."""
    if isinstance(relation, testing.PeerRelation):
        return dataclasses.replace(relation, peers_data=units)
    return dataclasses.replace(relation, remote_units_data=units)


RELEASE_EVERY = 4
"""After how many hooks `release_finished_hooks` lets go of the finished ones.

Finding what ops keeps walks every `ops.Object` subclass alive, a few hundred of them in a
fuzzing process (ops.testing makes two per hook, which live until the collector finds them);
after every hook it cost a tenth of the hook. Four hooks at most stay alive, a few megabytes.
"""

_hooks_since_release = 0


def release_finished_hooks() -> None:
    """Let the garbage collector have what the hooks run so far in this process kept alive.

    Juju runs each hook in a process of its own; the fuzzer runs thousands of hooks with
    databags of megabytes in one, and ran out of memory while ops kept every hook alive
    (`bench.finished_hooks`, which the bench shares). Call this after each hook: it releases
    them every `RELEASE_EVERY` calls.
    """
    global _hooks_since_release
    _hooks_since_release += 1
    if _hooks_since_release >= RELEASE_EVERY:
        _hooks_since_release = 0
        release_event_caches()


class _MetadataDumper:
    """What ops.testing's runtime uses of PyYAML, with libyaml's emitter in place of Python's.

    ops.testing (seen in 8.9) writes the charm's three metadata files with `yaml.safe_dump`
    before every hook, PyYAML's pure-Python emitter: a tenth of a fuzz hook. libyaml's writes
    the same documents, which ops then reads back, several times faster.
    """

    @staticmethod
    def safe_dump(data: Any) -> str:
        return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))


@functools.cache
def reused_charm_root() -> Path:
    """A charm directory for the contexts of this process, removed when it exits.

    Without one, ops.testing makes a temporary directory for each hook and removes it after:
    two file-system calls that cost as much as a tenth of a fuzz hook. It writes the charm's
    metadata files into this one before each hook and removes them after, as it would there;
    from the first call on, it writes them with `_MetadataDumper`.
    """
    runtime = importlib.import_module("scenario._runtime")
    if getattr(runtime, "yaml", None) is yaml:  # only where it is what the dumper replaces
        vars(runtime)["yaml"] = _MetadataDumper
    root = Path(tempfile.mkdtemp(prefix="fuzz-charm-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def fuzz_context(
    charm: type[ops.CharmBase], meta: Mapping[str, Any], **options: Any
) -> testing.Context[Any]:
    """A context for `charm` with metadata `meta` (its name added), in `reused_charm_root`.

    `options` are the context's other arguments, such as `config`.
    """
    return testing.Context(
        charm, meta={"name": "fuzz", **meta}, charm_root=reused_charm_root(), **options
    )


def run_hook(ctx: testing.Context[Any], event: Any, state: testing.State, where: str) -> Any:
    """Run one hook for a library-specific property; an exception escaping it is uncaught."""
    try:
        return ctx.run(event, state)
    except testing.errors.UncaughtCharmError as error:
        raise UncaughtError(f"{where}: {short(error.__cause__)} escaped") from error
    finally:
        release_finished_hooks()


def relation_in(state: testing.State, relation_id: int) -> testing.Relation:
    """The relation with that id in the state (always a `testing.Relation` here)."""
    relation = state.get_relation(relation_id)
    assert isinstance(relation, testing.Relation)
    return relation


def exception_texts(error: BaseException) -> list[str]:
    """The message and repr of an exception and of every exception chained to it."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return texts


def short(value: Any, limit: int = 300) -> str:
    """A value for a failure message, as ASCII and cut to a readable length."""
    text = ascii(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
