# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The machinery that runs the code examples of a document through `ops.testing`.

A document is a source of fenced blocks. Two kinds are read here:

- a library's module docstring (`docstring_blocks`): every block belongs to that library;
- a Markdown file (`markdown_blocks`), such as the migration guide: a block's info string
  names the library it belongs to after its language, and may hold tags, such as
  ```` ```python legacy etcd ```` (what a tag means is up to the document's tests).

The harness is generic: what it needs of each library, beyond the library itself, is its entry
in `FIXTURES` (the legacy data each role publishes). `tests/docs/test_docstring_examples.py`
runs every docstring's python blocks, and checks the harness itself on made-up blocks;
`tests/docs/test_migration_guide.py` runs the guide's.

How a python block of a library runs (`run_example`):

- It is compiled with its real file name and line numbers, so a traceback points into the
  document, and executed in a fresh module.
- Workload paths: every module-level name the block binds to an absolute `pathlib.Path` is
  rebound to the same path under a temporary directory, whose parent directories are created
  (as the workload's package would have). Examples therefore name real paths such as
  `/etc/my-app/...`, and must read those constants in methods, not at class creation. After
  the run, each of these paths must exist: examples name the files their handlers write.
- Each `ops.CharmBase` subclass the block defines is run in its own `ops.testing.Context`.
  Every ```yaml block of the same library in the same document is a charmcraft.yaml snippet,
  and the metadata of a python block is the nearest one before it (the first one if none
  is): roles whose default endpoints share a name, which one snippet cannot declare under
  both `requires:` and `provides:`, each get a snippet above their examples.
- A block that defines no charm is a snippet: the body of a method of a minimal charm, run in
  its update-status handler with `self` the charm. For each `self.<name>` the snippet uses
  that is the default relation name of a role class whose endpoint the block's charmcraft.yaml
  snippet declares in that role's section (`self.etcd`, `self.db`), the charm creates that
  role's object. The snippet sees `ops` and the library's public names without imports.
- Hook tools that `ops.testing` does not simulate, and that legacy interfaces still need,
  are on the `PATH` as fakes: `leader-get` and `leader-set`, over leader settings kept in a
  directory for the block's run (`install_hook_tools`).

The hooks, each run from the state the previous one left, the unit being the leader:
config-changed with no relation; then, for each endpoint whose relation events the charm (or
the library object it created) observes: relation-created, then -joined and -changed for each
of `FIXTURES[library].remote_units` remote units (for a peer endpoint, peers), one after the
other, each publishing `FIXTURES[library].published` for the other role, beside the address
keys Juju puts in every databag; update-status with every relation established. Then, only
for a charm that observes them itself (so that no docstring example runs them):

- a refresh from the reactive charm, if it observes upgrade-charm: its stored state is
  wiped, as `juju refresh` from a reactive charm leaves it (the relations and databags
  stay), then upgrade-charm runs, and config-changed, which Juju runs after it;
- leader-settings-changed, if it observes it, on the unit as a non-leader (Juju runs it on
  non-leaders only); the unit is the leader again for the hooks after it;
- leader-elected, if it observes it, as when leadership moves to the unit.

Last, relation-departed of each remote unit and, except for peers, relation-broken. The
state holds `FIXTURES[library].secrets` throughout.

What each run must show, beyond raising nothing:

- Every handler the charm registers ran: for each `framework.observe` whose observer is a
  method of the charm, an event of that kind from that emitter was emitted (handlers of
  custom events run as soon as they are emitted). A charm that observes nothing fails.
- When every relation is established (after update-status, and again after the hooks a
  charm observes itself), the unit's own databag on each endpoint (Juju's address keys
  aside) is exactly what a unit of its role publishes, `published[role]`: nothing for an
  etcd client, all five keys for an etcd server. A provider example must therefore publish
  the complete legacy data, with the fixture's values; the fixture's secrets are where it
  reads them from.

Adding a library: add its entry to `FIXTURES`. A hook the harness does not run yet (an action,
...) that an example needs goes in `run_hooks`, for every library, run only for charms that
observe it if docstring examples must not change.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import os
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, cast

import ops
import pytest
import yaml
from ops import testing

from charms.etcd.v0.etcd import credentials_for_testing
from demo import hook_tools
from demo.deployment import leader_settings_changed_event
from tests.metadata.librecord import ROOT, full_name, library_paths

# --- What each library exchanges ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fixture:
    """The valid legacy data of one library's interface, and what the examples read it from."""

    published: Mapping[str, Mapping[str, str]]
    """Per role (`requires`, `provides`, `peers`): the unit databag a unit of that role writes."""
    secrets: Sequence[testing.Secret] = ()
    """Juju secrets the examples read, present in the state of every hook."""
    remote_units: int = 1
    """How many remote units join each relation: enough for every state of the role to hold."""


# The library's own test credentials: PEM of the usual sizes that its strict grammar accepts
# (one PRIVATE KEY block; only CERTIFICATE blocks; base64 bodies), under the wire keys.
ETCD_CREDENTIALS: dict[str, str] = credentials_for_testing().model_dump()

INNODB_CLUSTER_PASSWORD = "Xf9vT2kLq8"  # the docstring example's cluster password

FIXTURES: dict[str, Fixture] = {
    "etcd": Fixture(
        published={
            "provides": {
                "connection_string": "https://10.0.0.5:2379,https://10.0.0.6:2379",
                "version": "3.5.16",
                **ETCD_CREDENTIALS,
            },
            "requires": {},
        },
        # The provider example's application secret; Juju secret keys cannot hold "_".
        secrets=[
            testing.Secret(
                {key.replace("_", "-"): value for key, value in ETCD_CREDENTIALS.items()},
                label="etcd-client-tls",
                owner="app",
            )
        ],
    ),
    "zookeeper": Fixture(
        published={"provides": {"port": "2181", "rest_port": "9998"}, "requires": {}},
    ),
    "kafka": Fixture(
        published={
            "provides": {
                "port": "9092",
                "zookeepers": '[{"host": "10.0.9.5", "port": "2181", "rest_port": "9998"}]',
            },
            "requires": {},
        },
    ),
    "http": Fixture(
        published={
            "provides": {
                "hostname": "192.0.2.0",
                "port": "8080",
                "services": (
                    "- servers:\n  - - http-example-0-8080\n    - 192.0.2.0\n    - 8080\n"
                    "    - check\n  service_host: 0.0.0.0\n  service_name: my-site\n"
                    "  service_options:\n  - mode http\n  - balance leastconn\n"
                    "  service_port: 80\n"
                ),
            },
            "requires": {},
        },
    ),
    # Two peers: with the unit under test, the three units an InnoDB cluster needs.
    "innodb_cluster": Fixture(
        published={
            "peers": {
                "cluster-address": '"192.0.2.0"',
                "cluster-user": '"clusteruser"',
                "cluster-password": json.dumps(INNODB_CLUSTER_PASSWORD),
                "unit-configure-ready": "true",
                "unit-clustered": "true",
            },
        },
        secrets=[
            testing.Secret(
                {"password": INNODB_CLUSTER_PASSWORD}, label="cluster-credentials", owner="app"
            )
        ],
        remote_units=2,
    ),
}

# --- Reading the documents ------------------------------------------------------------------

# A fence at the start of a line: its language, the rest of its info string, then the body.
FENCE = re.compile(
    r"^```(?P<language>[\w-]+)(?P<info>[^\n`]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL
)
ROLE_SUFFIXES = {"Requires": "requires", "Provides": "provides", "Peers": "peers"}
OTHER_ROLE = {"requires": "provides", "provides": "requires", "peers": "peers"}


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block of a document, where it is in the file, and what it belongs to."""

    path: Path
    """The file the block is in: a library (its docstring) or a Markdown document."""
    language: str
    line: int
    """The file line of the block's first line."""
    source: str
    library: Path | None = None
    """The file of the library the block belongs to, if any."""
    tags: tuple[str, ...] = ()
    """The words of the info string after the language, but the library's name."""


@dataclasses.dataclass(frozen=True)
class Example:
    """A python block to run: the nth of its library."""

    library: str
    number: int
    block: Block

    @property
    def id(self) -> str:
        return f"{self.library}-block-{self.number}"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """An endpoint the charmcraft.yaml snippet declares."""

    name: str
    role: str
    interface: str


@dataclasses.dataclass(frozen=True)
class Role:
    """A role class of a library (`EtcdRequires`) and the endpoint it defaults to."""

    cls: Callable[[ops.CharmBase], ops.Object]
    """The class, called as `(charm)`: every other argument has its default."""
    section: str
    endpoint: str


def library_name(path: Path) -> str:
    return path.stem


def library_of(block: Block) -> Path:
    """The file of the library a block belongs to."""
    assert block.library is not None, f"{block.path.name}:{block.line}: the block names no library"
    return block.library


def fixture_of(block: Block) -> Fixture:
    name = library_name(library_of(block))
    fixture = FIXTURES.get(name)
    assert fixture is not None, f"add the legacy data of {name} to FIXTURES"
    return fixture


def fenced(path: Path, text: str, first_line: int) -> list[tuple[re.Match[str], int]]:
    """Each fence of `text`, which starts at `first_line` of `path`, and its body's file line."""
    return [
        (match, first_line + text.count("\n", 0, match.start("body")))
        for match in FENCE.finditer(text)
    ]


def docstring_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a library's module docstring, in order: each is the library's."""
    module = ast.parse(path.read_text(encoding="utf-8"))
    # Not cleaned, so that line i of the docstring is line i after the opening quotes.
    docstring = ast.get_docstring(module, clean=False) or ""
    first_line = module.body[0].lineno if docstring else 0
    return [
        Block(
            path=path,
            language=match["language"],
            line=line,
            source=match["body"],
            library=path,
            tags=tuple(match["info"].split()),
        )
        for match, line in fenced(path, docstring, first_line)
    ]


def markdown_blocks(path: Path, libraries: Mapping[str, Path]) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the library its info string names.

    A word of the info string that is a key of `libraries` names the block's library; the
    others are its tags.
    """
    blocks: list[Block] = []
    for match, line in fenced(path, path.read_text(encoding="utf-8"), 1):
        words = match["info"].split()
        named = [word for word in words if word in libraries]
        assert len(named) <= 1, f"{path.name}:{line}: a block names at most one library"
        blocks.append(
            Block(
                path=path,
                language=match["language"],
                line=line,
                source=match["body"],
                library=libraries[named[0]] if named else None,
                tags=tuple(word for word in words if word not in named),
            )
        )
    return blocks


def document_blocks(path: Path) -> list[Block]:
    """The blocks of a document: a Markdown file, or a library's docstring."""
    if path.suffix == ".md":
        return markdown_blocks(path, LIBRARIES)
    return docstring_blocks(path)


def examples(path: Path) -> list[Example]:
    python = [block for block in docstring_blocks(path) if block.language == "python"]
    return [Example(library_name(path), number, block) for number, block in enumerate(python, 1)]


def snippets_in(path: Path, library: Path) -> list[Block]:
    """The yaml blocks of a document that belong to a library: charmcraft.yaml snippets."""
    return [
        block
        for block in document_blocks(path)
        if block.language == "yaml" and block.library == library
    ]


def charmcraft_snippets(path: Path) -> list[Block]:
    """The yaml blocks of a library's module docstring: each a charmcraft.yaml snippet."""
    snippets = snippets_in(path, path)
    assert snippets, f"{path.name}: the docstring has no charmcraft.yaml snippet"
    return snippets


def metadata_of(block: Block) -> Block:
    """The charmcraft.yaml snippet a block runs with: the nearest before it, else the first."""
    library = library_of(block)
    snippets = snippets_in(block.path, library)
    assert snippets, f"{block.path.name}: no charmcraft.yaml snippet for {library_name(library)}"
    before = [snippet for snippet in snippets if snippet.line < block.line]
    return before[-1] if before else snippets[0]


def declared_endpoints(snippet: Block) -> list[Endpoint]:
    """The endpoints a charmcraft.yaml snippet declares."""
    sections: dict[str, Any] = yaml.safe_load(snippet.source)
    return [
        Endpoint(name, role, spec["interface"])
        for role in ("requires", "provides", "peers")
        for name, spec in sections.get(role, {}).items()
    ]


def load_library(path: Path) -> ModuleType:
    # Outside lib/, a made-up library of the harness's own tests: a top-level module.
    name = full_name(path) if path.is_relative_to(ROOT / "lib") else path.stem
    return importlib.import_module(name)


def roles(library: ModuleType) -> list[Role]:
    """The library's public role classes, each with its default relation name."""
    found: list[Role] = []
    for name, value in vars(library).items():
        suffix = next((suffix for suffix in ROLE_SUFFIXES if name.endswith(suffix)), None)
        if (
            suffix is None
            or name.startswith("_")
            or not (isinstance(value, type) and issubclass(value, ops.Object))
        ):
            continue
        endpoint = inspect.signature(value).parameters["relation_name"].default
        # Unlike ops.Object, a role class takes the charm alone: the relation name has a default.
        role_class = cast("Callable[[ops.CharmBase], ops.Object]", value)
        found.append(Role(role_class, ROLE_SUFFIXES[suffix], endpoint))
    return found


LIBRARIES = {library_name(path): path for path in library_paths()}

# --- Turning a block into charms --------------------------------------------------------------


def defines_a_charm(block: Block) -> bool:
    """Whether the block has a top-level class deriving from `CharmBase`: a charm module."""
    return any(
        isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).endswith("CharmBase") for base in node.bases)
        for node in ast.parse(block.source).body
    )


def compiled(block: Block, prefix: str = "") -> CodeType:
    """The block's code object, which names its real file and lines in tracebacks."""
    # The prefix takes lines of its own, just above the block.
    padding = "\n" * (block.line - 1 - prefix.count("\n"))
    return compile(padding + prefix + block.source, str(block.path), "exec")


def exec_module(block: Block, name: str | None = None) -> ModuleType:
    """Execute the block as a module."""
    module = ModuleType(name or f"example_{block.path.stem}_{block.line}")
    exec(compiled(block), vars(module))  # noqa: S102 - the code is this repository's documentation
    return module


def absolute_paths(module: ModuleType) -> dict[str, Path]:
    """The module-level names an example binds to absolute paths: its workload's files."""
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, Path) and value.is_absolute()
    }


def moved_under(root: Path, path: Path) -> Path:
    """The absolute `path` as it is under `root`, its parent directories created."""
    moved = root / path.relative_to(path.anchor)
    moved.parent.mkdir(parents=True, exist_ok=True)
    return moved


def run_module_block(block: Block, workload_root: Path, name: str | None = None) -> ModuleType:
    """Execute the block as a module, with its workload paths moved under `workload_root`."""
    module = exec_module(block, name)
    for key, path in absolute_paths(module).items():
        setattr(module, key, moved_under(workload_root, path))
    return module


def workload_paths(namespace: Mapping[str, Any], workload_root: Path) -> list[Path]:
    return [
        value
        for value in namespace.values()
        if isinstance(value, Path) and value.is_relative_to(workload_root)
    ]


def charm_classes(namespace: Mapping[str, Any]) -> list[type[ops.CharmBase]]:
    """The charm classes the block defines (not those it imports)."""
    return [
        value
        for value in namespace.values()
        if isinstance(value, type)
        and issubclass(value, ops.CharmBase)
        and value.__module__ == namespace["__name__"]
    ]


def snippet_charm(block: Block, library: ModuleType) -> type[ops.CharmBase]:
    """A minimal charm that runs the snippet in update-status, with the roles it names."""
    snippet = compiled_snippet(block, library)
    attributes = {
        node.attr
        for node in ast.walk(ast.parse(block.source))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }
    # Two roles may default to one name: the block's charmcraft.yaml snippet says which it is.
    declared = {
        (endpoint.name, endpoint.role) for endpoint in declared_endpoints(metadata_of(block))
    }
    wanted = [
        role
        for role in roles(library)
        if role.endpoint in attributes and (role.endpoint, role.section) in declared
    ]

    class SnippetCharm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            for role in wanted:
                setattr(self, role.endpoint, role.cls(self))
            framework.observe(self.on.update_status, self._run_snippet)

        def _run_snippet(self, _: ops.UpdateStatusEvent) -> None:
            snippet(self)

    return SnippetCharm


def compiled_snippet(block: Block, library: ModuleType) -> Callable[[ops.CharmBase], None]:
    """The snippet as a function of `self`, seeing `ops` and the library's public names."""
    indented = dataclasses.replace(block, source=textwrap.indent(block.source, "    "))
    public = {name: value for name, value in vars(library).items() if not name.startswith("_")}
    namespace: dict[str, Any] = {**public, "ops": ops}
    exec(compiled(indented, prefix="def snippet(self):\n"), namespace)  # noqa: S102 - as above
    return namespace["snippet"]


# --- Hook tools ops.testing does not simulate -------------------------------------------------


def install_hook_tools(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put fake `leader-get` and `leader-set` first on the PATH; the settings' directory."""
    hook_tools.install(directory)
    settings = directory / "leader-settings"
    hook_tools.write_settings(settings, {})
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv(hook_tools.SETTINGS_ENV, str(settings))
    return settings


# --- Watching what a charm observes -----------------------------------------------------------

# Each spy delegates to the real method, not to an earlier spy of the same test.
FRAMEWORK_OBSERVE = ops.Framework.observe


@dataclasses.dataclass(frozen=True)
class Observation:
    """One `framework.observe` call: which event of which emitter, and who handles it."""

    emitter: str
    kind: str
    handler: str
    by_charm: bool


class ObserveSpy:
    """Records every `framework.observe` call, the charm's and its libraries'."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.observations: set[Observation] = set()

        def recording_observe(
            framework: ops.Framework, bound_event: ops.BoundEvent, observer: Any
        ) -> None:
            self.observations.add(
                Observation(
                    emitter=bound_event.emitter.handle.path,
                    kind=bound_event.event_kind,
                    handler=getattr(observer, "__qualname__", repr(observer)),
                    by_charm=isinstance(getattr(observer, "__self__", None), ops.CharmBase),
                )
            )
            FRAMEWORK_OBSERVE(framework, bound_event, observer)

        monkeypatch.setattr(ops.Framework, "observe", recording_observe)

    def charm_handlers(self) -> set[Observation]:
        return {observation for observation in self.observations if observation.by_charm}

    def observes_relations_of(self, endpoint: Endpoint) -> bool:
        prefix = endpoint.name.replace("-", "_") + "_relation_"
        return any(observation.kind.startswith(prefix) for observation in self.observations)

    def charm_observes(self, kind: str) -> bool:
        """Whether a handler of the charm itself observes events of this kind."""
        return any(observation.kind == kind for observation in self.charm_handlers())


# --- Driving the hooks ------------------------------------------------------------------------

# The keys ops.testing (like Juju) puts in every unit databag: the charm did not write them.
JUJU_DEFAULTS = dict(testing.Relation("any").local_unit_data)
"""What Juju itself puts in every unit databag: addresses, which some interfaces read."""
JUJU_KEYS = frozenset(JUJU_DEFAULTS)


class Session:
    """Hooks run one after another on one unit, each from the state the previous one left."""

    def __init__(self, ctx: testing.Context[Any], state: testing.State):
        self.ctx = ctx
        self.state = state

    def run(self, event: Any) -> None:
        self.state = self.ctx.run(event, self.state)

    def add(self, relation: testing.RelationBase) -> int:
        self.state = dataclasses.replace(self.state, relations=[*self.state.relations, relation])
        return relation.id

    def set_remote_data(
        self, relation_id: int, units: Mapping[int, Mapping[str, str]]
    ) -> testing.RelationBase:
        """Replace what the remote units publish, keeping what the charm wrote."""
        relation = with_remote_data(self.state.get_relation(relation_id), units)
        others = [other for other in self.state.relations if other.id != relation_id]
        self.state = dataclasses.replace(self.state, relations=[*others, relation])
        return relation

    def own_data(self, relation_id: int) -> dict[str, str]:
        """What the charm wrote in its unit databag on the relation."""
        databag = self.state.get_relation(relation_id).local_unit_data
        return {key: value for key, value in databag.items() if key not in JUJU_KEYS}

    def refresh_from_reactive(self) -> None:
        """`juju refresh` from the reactive charm: no stored state, then Juju's hooks."""
        self.state = dataclasses.replace(self.state, stored_states=[])
        self.run(self.ctx.on.upgrade_charm())
        self.run(self.ctx.on.config_changed())

    def leader_settings_changed(self) -> None:
        """leader-settings-changed on this unit as a non-leader, then the leader again."""
        self.state = dataclasses.replace(self.state, leader=False)
        self.run(leader_settings_changed_event())
        self.state = dataclasses.replace(self.state, leader=True)


def new_relation(endpoint: Endpoint) -> testing.RelationBase:
    if endpoint.role == "peers":
        return testing.PeerRelation(endpoint.name, interface=endpoint.interface, peers_data={})
    return testing.Relation(endpoint.name, interface=endpoint.interface, remote_units_data={})


def remote_units(endpoint: Endpoint, count: int) -> range:
    # The charm is unit 0; a peer is another unit of its application.
    first = 1 if endpoint.role == "peers" else 0
    return range(first, first + count)


def with_remote_data(
    relation: testing.RelationBase, units: Mapping[int, Mapping[str, str]]
) -> testing.RelationBase:
    databags = {unit: {**JUJU_DEFAULTS, **data} for unit, data in units.items()}
    if isinstance(relation, testing.PeerRelation):
        return dataclasses.replace(relation, peers_data=databags)
    return dataclasses.replace(relation, remote_units_data=databags)


def relate(
    session: Session, endpoint: Endpoint, remote_data: Mapping[str, str], count: int
) -> int:
    """Juju's hooks for a new relation whose remote units join, then publish, in turn; its id."""
    on = session.ctx.on
    relation_id = session.add(new_relation(endpoint))
    session.run(on.relation_created(session.state.get_relation(relation_id)))
    published: dict[int, Mapping[str, str]] = {}
    for unit in remote_units(endpoint, count):
        relation = session.set_remote_data(relation_id, {**published, unit: {}})
        session.run(on.relation_joined(relation, remote_unit=unit))
        published[unit] = remote_data
        relation = session.set_remote_data(relation_id, published)
        session.run(on.relation_changed(relation, remote_unit=unit))
    return relation_id


def unrelate(session: Session, endpoint: Endpoint, relation_id: int, count: int) -> None:
    """Juju's hooks when the remote units leave, then (except for peers) the relation goes."""
    on = session.ctx.on
    staying = list(remote_units(endpoint, count))
    while staying:
        unit = staying.pop()
        relation = session.state.get_relation(relation_id)
        remaining = {u: d for u, d in remote_databags(relation).items() if u in staying}
        relation = session.set_remote_data(relation_id, remaining)
        session.run(on.relation_departed(relation, remote_unit=unit, departing_unit=unit))
    if endpoint.role != "peers":
        session.run(on.relation_broken(session.state.get_relation(relation_id)))


def remote_databags(relation: testing.RelationBase) -> Mapping[int, Mapping[str, str]]:
    if isinstance(relation, testing.PeerRelation):
        return relation.peers_data
    assert isinstance(relation, testing.Relation)
    return relation.remote_units_data


def endpoint_sections(endpoints: Sequence[Endpoint]) -> dict[str, dict[str, dict[str, str]]]:
    """The metadata sections (`requires:`, ...) that declare the endpoints."""
    sections: dict[str, dict[str, dict[str, str]]] = {}
    for endpoint in endpoints:
        sections.setdefault(endpoint.role, {})[endpoint.name] = {"interface": endpoint.interface}
    return sections


@dataclasses.dataclass(frozen=True)
class Run:
    """What the hooks showed of one charm."""

    emitted: list[ops.EventBase]
    published: list[dict[Endpoint, dict[str, str]]]
    """The charm's own unit databag on each endpoint it used, each time every relation was
    established: after update-status, then after the hooks the charm observes itself."""


def run_hooks(charm: type[ops.CharmBase], block: Block, spy: ObserveSpy) -> Run:
    """Run the hooks the harness describes, on one unit of the block's charm."""
    endpoints = declared_endpoints(metadata_of(block))
    fixture = fixture_of(block)
    meta = {"name": f"{library_name(library_of(block))}-example", **endpoint_sections(endpoints)}
    ctx = testing.Context(charm, meta=meta, capture_framework_events=True)
    session = Session(ctx, testing.State(leader=True, secrets=list(fixture.secrets)))

    session.run(ctx.on.config_changed())  # the charm's __init__ runs: the spy learns its endpoints
    count = fixture.remote_units
    related = {
        endpoint: relate(session, endpoint, fixture.published[OTHER_ROLE[endpoint.role]], count)
        for endpoint in endpoints
        if spy.observes_relations_of(endpoint)
    }
    session.run(ctx.on.update_status())
    published = [{endpoint: session.own_data(relation) for endpoint, relation in related.items()}]
    refresh = spy.charm_observes("upgrade_charm")
    if refresh:
        session.refresh_from_reactive()
    leader_settings = spy.charm_observes("leader_settings_changed")
    if leader_settings:
        session.leader_settings_changed()
    elected = spy.charm_observes("leader_elected")
    if elected:
        session.run(ctx.on.leader_elected())
    if refresh or leader_settings or elected:
        published.append(
            {endpoint: session.own_data(relation) for endpoint, relation in related.items()}
        )
    for endpoint, relation in related.items():
        unrelate(session, endpoint, relation, count)
    return Run(emitted=list(ctx.emitted_events), published=published)


# --- Checks -----------------------------------------------------------------------------------


def handlers_that_never_ran(spy: ObserveSpy, emitted: Sequence[ops.EventBase]) -> list[str]:
    # An event's handle path is "<emitter's handle path>/<kind>[<key>]".
    seen = {(event.handle.path.rpartition("/")[0], event.handle.kind) for event in emitted}
    return sorted(
        handler.handler
        for handler in spy.charm_handlers()
        if (handler.emitter, handler.kind) not in seen
    )


def differences(databag: Mapping[str, str], expected: Mapping[str, str]) -> list[str]:
    """How the databag differs from the expected one, key by key (values may be long PEM)."""
    return [
        f"{key} is missing"
        if key not in databag
        else f"{key} is not expected"
        if key not in expected
        else f"{key} is {databag[key]!r:.40}..., not {expected[key]!r:.40}..."
        for key in sorted(databag.keys() | expected.keys())
        if databag.get(key) != expected.get(key)
    ]


def check_charm(charm: type[ops.CharmBase], block: Block, spy: ObserveSpy) -> None:
    run = run_hooks(charm, block, spy)

    assert spy.charm_handlers(), f"{charm.__name__} observes nothing, so none of it ran"
    never = handlers_that_never_ran(spy, run.emitted)
    assert not never, f"no hook of the harness emits the events of {', '.join(never)}"
    fixture = fixture_of(block)
    wrong = [
        f"{endpoint.name}: {problem}"
        for published in run.published
        for endpoint, databag in published.items()
        for problem in differences(databag, fixture.published[endpoint.role])
    ]
    assert not wrong, f"{charm.__name__} publishes other data than FIXTURES: {'; '.join(wrong)}"


def run_example(block: Block, workload_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the block's charms, or the snippet in a minimal charm, and check each run."""
    install_hook_tools(workload_root / ".hook-tools", monkeypatch)
    if not defines_a_charm(block):
        snippet = snippet_charm(block, load_library(library_of(block)))
        check_charm(snippet, block, ObserveSpy(monkeypatch))
        return
    namespace = vars(run_module_block(block, workload_root))
    charms = charm_classes(namespace)
    assert charms, "the block's CharmBase classes do not derive from ops.CharmBase"
    for charm in charms:
        check_charm(charm, block, ObserveSpy(monkeypatch))
    unwritten = [path for path in workload_paths(namespace, workload_root) if not path.exists()]
    assert not unwritten, f"the example names paths that its handlers never wrote: {unwritten}"


def check_declared_endpoints(path: Path) -> None:
    """The snippets, together, declare the default endpoint of each role, and nothing else."""
    library = load_library(path)
    expected = {
        Endpoint(role.endpoint, role.section, library.INTERFACE) for role in roles(library)
    }
    assert expected, "the library defines no *Requires, *Provides or *Peers class"
    declared = {
        endpoint
        for snippet in charmcraft_snippets(path)
        for endpoint in declared_endpoints(snippet)
    }
    assert declared == expected


@dataclasses.dataclass(frozen=True)
class MigrationTable:
    """What a library's migration table maps, from its legacy column."""

    flags: frozenset[str]
    names: frozenset[str]
    """The methods and attributes of the legacy endpoint the column names."""
    spans: frozenset[str]
    """Every code span of the column as written, such as an event's name."""


def migration_table(library: Path) -> MigrationTable:
    """The legacy column of the table under "Migrating from the reactive layer"."""
    docstring = ast.get_docstring(ast.parse(library.read_text(encoding="utf-8"))) or ""
    section = docstring.partition("## Migrating from the reactive layer")[2]
    rows = re.findall(r"^\|(.*?)\|.*\|$", section.partition("\n## ")[0], re.MULTILINE)[2:]
    assert rows, f"{library.name} has no migration table"
    flags: set[str] = set()
    names: set[str] = set()
    spans = {span for row in rows for span in re.findall(r"`([^`]+)`", row)}
    for span in spans:
        flags.update(re.findall(r"'([^']+)'", span))
        if re.fullmatch(r"endpoint\.[\w.-]+", span):
            flags.add(span)
            continue
        code = re.sub(r"'[^']*'", "''", span)
        names.update(re.findall(r"\.([A-Za-z_]\w*)", code))
        names.update(re.findall(r"([A-Za-z_]\w*)\s*[(\[]", code))
    return MigrationTable(frozenset(flags), frozenset(names), frozenset(spans))
