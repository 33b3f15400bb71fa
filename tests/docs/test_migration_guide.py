# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""Every code block of `docs/migrating.md` runs here, or is checked where it cannot run.

A block's info string names its kind and the library it belongs to (`tests.docs.harness`
reads it): ```` ```<language> [legacy|test] [<library>] ````.

- ```` ```python <library> ````: the `ops` charm (or a snippet of one), run through
  `ops.testing` by the harness exactly as the docstring examples are, with the same checks.
- ```` ```python legacy <library> ````: the reactive charm's code. There is no
  `charms.reactive` here, so the module runs against `Reactive`, a recording stand-in for the
  parts of `charms.reactive` and `charmhelpers` such code uses: every handler it registers is
  called, once as the leader and once not, with the flags of its `@when` set. Every flag the
  code names must be one the library's migration table maps, or one the code sets itself
  (the charm's own); every attribute it uses of what `endpoint_from_flag` returns must be
  named in the table's legacy column.
- ```` ```python test <library> ````: unit tests of the charm in the nearest `ops` block of
  the same library above it, which they import as `charm`. Each `test_*` function is called
  with the pytest fixtures it names (`monkeypatch`, `tmp_path`), and must assert something.
- ```` ```yaml [<library>] ````: charmcraft.yaml snippets. The harness runs each python block
  with the nearest one of its library; each declares only default endpoints of the library's
  roles, and each `charm-libs` entry names a library of this repository.
- ```` ```shell ````: commands that cannot run here. Each line must be one of the commands
  `SHELL_COMMANDS` knows, and the libraries and packages it names must exist.

No other fence may appear: every block of the guide is one of these.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import charms
from tests.docs.harness import (
    LIBRARIES,
    Block,
    Endpoint,
    declared_endpoints,
    defines_a_charm,
    exec_module,
    install_hook_tools,
    library_name,
    library_of,
    load_library,
    markdown_blocks,
    metadata_of,
    migration_table,
    roles,
    run_example,
    run_module_block,
)
from tests.metadata.librecord import ROOT, full_name

GUIDE = ROOT / "docs" / "migrating.md"
# A `composed` block is a charm that uses two libraries, with its charmcraft.yaml snippet:
# it is named after one of them, and only deployed (`test_example_deployments.py`).
KINDS = {
    "python": {(), ("legacy",), ("test",), ("composed",)},
    "yaml": {(), ("composed",)},
    "shell": {()},
}


def kind_of(block: Block) -> str:
    """`example`, `legacy`, `test` or `composed` for a python block; `composed` or the
    language for the others."""
    if block.tags == ("composed",):
        return "composed"
    if block.language != "python":
        return block.language
    return block.tags[0] if block.tags else "example"


def package_name(library: Path) -> str:
    """The distribution that ships a library: `legacy-interfaces-innodb-cluster`."""
    return "legacy-interfaces-" + library_name(library).replace("_", "-")


def guide_blocks() -> list[Block]:
    return markdown_blocks(GUIDE, LIBRARIES)


def numbered(blocks: list[Block], kind: str) -> list[Any]:
    """The blocks of a kind as pytest parameters, `<library>-<kind>-<n>`, n per library."""
    params: list[Any] = []
    counts: dict[str, int] = {}
    for block in blocks:
        if kind_of(block) != kind:
            continue
        name = library_name(block.library) if block.library else "any"
        counts[name] = counts.get(name, 0) + 1
        params.append(pytest.param(block, id=f"{name}-{kind}-{counts[name]}"))
    return params


BLOCKS = guide_blocks()

# --- The guide's shape ------------------------------------------------------------------------


def test_every_fence_of_the_guide_is_a_block_the_tests_run():
    text = GUIDE.read_text(encoding="utf-8")
    indented = [line for line in text.splitlines() if re.match(r"\s+```", line)]
    assert not indented, f"indented fences are not run: {indented}"
    fences = re.findall(r"^```", text, re.MULTILINE)
    assert len(fences) == 2 * len(BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: f"line-{block.line}")
def test_each_block_is_of_a_known_kind(block: Block):
    assert block.language in KINDS, f"line {block.line}: no test runs {block.language} blocks"
    assert block.tags in KINDS[block.language], f"line {block.line}: unknown tags {block.tags}"
    if block.language == "python":
        assert block.library is not None, f"line {block.line}: name the block's library"
    if block.language == "shell":
        assert block.library is None


@pytest.mark.parametrize("library", LIBRARIES.values(), ids=LIBRARIES.keys())
def test_each_library_has_a_worked_example(library: Path):
    """A snippet, the reactive charm's code, an ops charm, and tests of it."""
    own = [block for block in BLOCKS if block.library == library]
    assert {"yaml", "legacy", "test"} <= {kind_of(block) for block in own}
    assert any(kind_of(block) == "example" and defines_a_charm(block) for block in own)


def test_the_libraries_table_names_what_exists():
    """Each row naming a library module names its package, and classes the module has."""
    rows = [
        line
        for line in GUIDE.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and "`charms." in line
    ]
    modules = {full_name(path): path for path in LIBRARIES.values()}
    assert len(rows) == len(modules)
    for row in rows:
        spans = re.findall(r"`([^`]+)`", row)
        module = next(span for span in spans if span.startswith("charms."))
        path = modules[module]
        assert package_name(path) in spans, f"{module}: its package is {package_name(path)}"
        library = load_library(path)
        classes = [span for span in spans if re.fullmatch(r"[A-Z]\w+", span)]
        assert classes
        assert all(hasattr(library, name) for name in classes), row
        role_classes = [role.cls for role in roles(library)]
        assert {name for name, value in vars(library).items() if value in role_classes} == set(
            classes
        )


def test_the_test_helpers_the_guide_names_exist():
    named = set(re.findall(r"\b(\w+_for_testing)\b", GUIDE.read_text(encoding="utf-8")))
    exported = {
        name
        for path in LIBRARIES.values()
        for name in vars(load_library(path))
        if name.endswith("_for_testing")
    }
    assert named, "the guide names no test helper"
    assert named <= exported


# --- charmcraft.yaml snippets -----------------------------------------------------------------


@pytest.mark.parametrize("block", numbered(BLOCKS, "yaml"))
def test_a_charmcraft_snippet_declares_default_endpoints_of_its_library(block: Block):
    endpoints = declared_endpoints(block)
    if block.library is None:
        assert not endpoints, "a snippet that declares endpoints names its library"
    else:
        library = load_library(block.library)
        allowed = {Endpoint(r.endpoint, r.section, library.INTERFACE) for r in roles(library)}
        assert endpoints, "a library's snippet declares its endpoint"
        assert set(endpoints) <= allowed
    # `charm-libs` entries: `<charm name>.<library>` at a major version.
    entries = (yaml.safe_load(block.source) or {}).get("charm-libs", [])
    paths = {
        ROOT / "lib" / "charms" / charm.replace("-", "_") / f"v{entry['version']}" / f"{name}.py"
        for entry in entries
        for charm, _, name in [entry["lib"].partition(".")]
    }
    missing = sorted(str(path.relative_to(ROOT)) for path in paths if not path.exists())
    assert not missing, f"charm-libs names libraries that do not exist: {missing}"


@pytest.mark.parametrize("block", numbered(BLOCKS, "composed"))
def test_a_composed_block_uses_default_endpoints_of_the_libraries(block: Block):
    if block.language == "yaml":
        allowed = {
            Endpoint(role.endpoint, role.section, load_library(path).INTERFACE)
            for path in LIBRARIES.values()
            for role in roles(load_library(path))
        }
        endpoints = declared_endpoints(block)
        assert len(endpoints) > 1, "a composed snippet declares the endpoints of each library"
        assert set(endpoints) <= allowed
    else:
        assert metadata_of(block).tags == ("composed",), "put its snippet just before it"


# --- The ops examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("block", numbered(BLOCKS, "example"))
def test_ops_example_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    run_example(block, tmp_path, monkeypatch)


# --- The reactive charm's code ----------------------------------------------------------------

LEGACY_VALUE = "192.0.2.0"
"""Every value the stand-in hands out where legacy code reads data: the unit's address."""


class Recorder(str):
    """What `endpoint_from_flag` returns: anything, recording each attribute asked of it.

    It is the string `LEGACY_VALUE`, so that legacy code can write what it got to a file or
    call string methods on it; an attribute that no string has is recorded, and is another
    recorder. Called, it returns another; iterated, it yields one (a unit, a service);
    indexed, it gives `LEGACY_VALUE`.
    """

    _attributes: list[str]

    def __new__(cls, attributes: list[str]) -> Recorder:
        made = super().__new__(cls, LEGACY_VALUE)
        made._attributes = attributes
        return made

    def __getattr__(self, name: str) -> Recorder:
        if name.startswith("_"):
            raise AttributeError(name)
        self._attributes.append(name)
        return Recorder(self._attributes)

    def __call__(self, *args: object, **kwargs: object) -> Recorder:
        return Recorder(self._attributes)

    def __iter__(self) -> Iterator[Recorder]:  # pyright: ignore[reportIncompatibleMethodOverride]
        return iter([Recorder(self._attributes)])

    def __getitem__(self, key: object) -> str:  # pyright: ignore[reportIncompatibleMethodOverride]
        return LEGACY_VALUE


@dataclasses.dataclass
class LegacyHandler:
    """A function the reactive code registered, with the flags its decorators name."""

    function: Callable[..., object]
    when: list[str] = dataclasses.field(default_factory=list[str])
    when_not: list[str] = dataclasses.field(default_factory=list[str])


class Reactive:
    """A recording stand-in for `charms.reactive` and the `charmhelpers` calls legacy code makes.

    `modules()` are the stand-in modules, by import name. `named` is every flag the code named,
    `set_by_charm` the flags it set itself, `attributes` what it asked of the endpoints.
    """

    def __init__(self) -> None:
        self.handlers: dict[Callable[..., object], LegacyHandler] = {}
        self.named: list[str] = []
        self.set_by_charm: set[str] = set()
        self.attributes: list[str] = []
        self.flags: set[str] = set()
        self.leader = True
        self.leader_settings: dict[str, str] = {}
        self.calls: list[str] = []

    # charms.reactive

    def _decorator(self, field: str) -> Callable[..., Callable[[Callable[..., object]], Any]]:
        def with_flags(*flags: str) -> Callable[[Callable[..., object]], Any]:
            self.named.extend(flags)

            def register(function: Callable[..., object]) -> Callable[..., object]:
                handler = self.handlers.setdefault(function, LegacyHandler(function))
                getattr(handler, field).extend(flags)
                return function

            return register

        return with_flags

    def set_flag(self, flag: str, value: object = None) -> None:
        self.named.append(flag)
        self.set_by_charm.add(flag)
        self.flags.add(flag)

    def clear_flag(self, flag: str) -> None:
        self.named.append(flag)
        self.flags.discard(flag)

    def is_flag_set(self, flag: str) -> bool:
        self.named.append(flag)
        return flag in self.flags

    def endpoint_from_flag(self, flag: str) -> Recorder | None:
        self.named.append(flag)
        return Recorder(self.attributes) if flag in self.flags else None

    # charmhelpers.core.hookenv and .host, with their real signatures

    def status_set(self, workload_state: str, message: str, application: bool = False) -> None:
        self.calls.append(f"status_set({workload_state}, {message})")

    def log(self, message: str, level: str | None = None) -> None:
        self.calls.append("log")

    def is_leader(self) -> bool:
        return self.leader

    def leader_get(self, attribute: str | None = None) -> Any:
        if attribute is None:
            return dict(self.leader_settings)
        return self.leader_settings.get(attribute)

    def leader_set(self, settings: dict[str, object] | None = None, **kwargs: object) -> None:
        assert self.leader, "leader_set on a non-leader fails"
        for key, value in {**(settings or {}), **kwargs}.items():
            if value:
                self.leader_settings[key] = str(value)
            else:
                self.leader_settings.pop(key, None)

    def unit_private_ip(self) -> str:
        return LEGACY_VALUE

    def local_unit(self) -> str:
        return "my-app/0"

    def open_port(self, port: int, protocol: str = "TCP") -> None:
        self.calls.append(f"open_port({port})")

    def write_file(
        self,
        path: str,
        content: object,
        owner: str = "root",
        group: str = "root",
        perms: int = 0o444,
    ) -> None:
        assert isinstance(content, (str, bytes)), f"{path}: write_file takes text, not {content!r}"
        self.calls.append(f"write_file({path})")

    def service_restart(self, service_name: str, **kwargs: object) -> None:
        self.calls.append(f"service_restart({service_name})")

    def modules(self) -> dict[str, ModuleType]:
        reactive = module(
            "charms.reactive",
            when=self._decorator("when"),
            when_all=self._decorator("when"),
            when_not=self._decorator("when_not"),
            when_none=self._decorator("when_not"),
            set_flag=self.set_flag,
            set_state=self.set_flag,
            clear_flag=self.clear_flag,
            remove_state=self.clear_flag,
            is_flag_set=self.is_flag_set,
            is_state=self.is_flag_set,
            endpoint_from_flag=self.endpoint_from_flag,
        )
        hookenv = module(
            "charmhelpers.core.hookenv",
            status_set=self.status_set,
            log=self.log,
            is_leader=self.is_leader,
            leader_get=self.leader_get,
            leader_set=self.leader_set,
            unit_private_ip=self.unit_private_ip,
            local_unit=self.local_unit,
            open_port=self.open_port,
        )
        host = module(
            "charmhelpers.core.host",
            write_file=self.write_file,
            service_restart=self.service_restart,
        )
        core = module("charmhelpers.core", hookenv=hookenv, host=host)
        return {
            "charms.reactive": reactive,
            "charmhelpers": module("charmhelpers", core=core),
            "charmhelpers.core": core,
            "charmhelpers.core.hookenv": hookenv,
            "charmhelpers.core.host": host,
        }

    def run_handlers(self) -> None:
        """Call each handler, as the leader then not, with its `@when` flags set."""
        for handler in self.handlers.values():
            for leader in (True, False):
                self.leader = leader
                self.flags = (set(handler.when) | self.set_by_charm) - set(handler.when_not)
                parameters = inspect.signature(handler.function).parameters
                assert not parameters, (
                    f"{handler.function.__name__} takes arguments: reactive passes none to "
                    "handlers of endpoint flags; use endpoint_from_flag"
                )
                handler.function()


def module(name: str, **attributes: object) -> ModuleType:
    made = ModuleType(name)
    vars(made).update(attributes)
    return made


def run_legacy_block(block: Block, monkeypatch: pytest.MonkeyPatch) -> Reactive:
    """Execute the reactive charm's module against the stand-in, then each of its handlers."""
    reactive = Reactive()
    for name, stand_in in reactive.modules().items():
        monkeypatch.setitem(sys.modules, name, stand_in)
    monkeypatch.setattr(charms, "reactive", sys.modules["charms.reactive"], raising=False)
    namespace: dict[str, Any] = {"__name__": f"reactive_{block.line}"}
    exec(compile("\n" * (block.line - 1) + block.source, str(block.path), "exec"), namespace)  # noqa: S102 - the guide's code
    assert reactive.handlers, "the reactive code registers no handler"
    reactive.run_handlers()
    return reactive


def check_legacy_block(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    reactive = run_legacy_block(block, monkeypatch)
    table = migration_table(library_of(block))
    named = set(reactive.named)
    assert named & table.flags, "the code names no flag of this library's interface"
    unmapped = sorted(named - table.flags - reactive.set_by_charm)
    assert not unmapped, f"flags that the migration table does not map: {unmapped}"
    unknown = sorted(set(reactive.attributes) - table.names)
    assert not unknown, f"endpoint methods that the migration table does not name: {unknown}"


@pytest.mark.parametrize("block", numbered(BLOCKS, "legacy"))
def test_reactive_code_names_only_what_the_migration_table_maps(
    block: Block, monkeypatch: pytest.MonkeyPatch
):
    check_legacy_block(block, monkeypatch)


# --- Unit tests of the ops charms -------------------------------------------------------------


def charm_block_of(block: Block, blocks: list[Block]) -> Block:
    """The nearest `ops` block above a test block that defines a charm of the same library."""
    above = [
        other
        for other in blocks
        if other.line < block.line
        and other.library == block.library
        and kind_of(other) == "example"
        and defines_a_charm(other)
    ]
    assert above, "a test block follows the charm it tests"
    return above[-1]


def run_test_block(
    block: Block, blocks: list[Block], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Run each test function of the block against its charm, importable as `charm`."""
    install_hook_tools(tmp_path / ".hook-tools", monkeypatch)
    workload = tmp_path / "workload"
    charm = run_module_block(charm_block_of(block, blocks), workload, name="charm")
    monkeypatch.setitem(sys.modules, "charm", charm)
    tests = exec_module(block, name=f"test_guide_{block.line}")
    functions = {
        node.name: node
        for node in ast.parse(block.source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    assert functions, "the block defines no test function"
    fixtures: dict[str, object] = {"monkeypatch": monkeypatch}
    for name, node in functions.items():
        assert any(isinstance(inner, ast.Assert) for inner in ast.walk(node)), (
            f"{name} asserts nothing"
        )
        fixtures["tmp_path"] = tmp_path / name
        function = getattr(tests, name)
        wanted = inspect.signature(function).parameters
        unknown = [parameter for parameter in wanted if parameter not in fixtures]
        assert not unknown, f"{name} takes fixtures the guide's tests do not offer: {unknown}"
        function(**{parameter: fixtures[parameter] for parameter in wanted})
    return list(functions)


@pytest.mark.parametrize("block", numbered(BLOCKS, "test"))
def test_unit_tests_of_the_guide_pass(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    run_test_block(block, BLOCKS, tmp_path, monkeypatch)


# --- Shell commands -----------------------------------------------------------------------------


def installable(names: str) -> bool:
    packages = {package_name(path) for path in LIBRARIES.values()}
    return all(name in packages for name in names.split())


SHELL_COMMANDS: list[tuple[re.Pattern[str], Callable[[str], bool] | None]] = [
    (re.compile(r"charmcraft pack"), None),
    (re.compile(r"pip install (?P<arg>[\w-]+(?: [\w-]+)*)"), installable),
    (
        re.compile(r"juju refresh [a-z][a-z0-9-]* (?:--path \./[\w.-]+\.charm|--channel \S+)"),
        None,
    ),
]
"""Each command the guide may show, and what must be true of its argument. `charmcraft
fetch-lib` is not one: Charmhub holds other charms' libraries under these names."""


def shell_problems(block: Block) -> list[str]:
    problems: list[str] = []
    lines = [line.strip() for line in block.source.splitlines()]
    for line in (line for line in lines if line and not line.startswith("#")):
        matches = [(p, check) for p, check in SHELL_COMMANDS if p.fullmatch(line)]
        if not matches:
            problems.append(f"{line!r} is no command the test knows")
            continue
        pattern, check = matches[0]
        match = pattern.fullmatch(line)
        assert match is not None
        if check is not None and not check(match["arg"]):
            problems.append(f"{line!r} names a library or package that does not exist")
    return problems


@pytest.mark.parametrize("block", numbered(BLOCKS, "shell"))
def test_shell_lines_name_what_exists(block: Block):
    assert not shell_problems(block)


# --- The checks themselves, on made-up blocks --------------------------------------------------


def made_up(source: str, kind: str, library: str = "etcd") -> Block:
    tags = () if kind == "example" else (kind,)
    return Block(GUIDE, "python", 1, source, library=LIBRARIES[library], tags=tags)


MARKDOWN = """\
```yaml etcd
requires:
  etcd:
    interface: etcd
```

```yaml kafka
requires:
  kafka:
    interface: kafka
```

```python etcd
assert self.etcd.is_tls_available()
assert not hasattr(self, "kafka")
```
"""


def test_a_guide_block_runs_with_the_nearest_snippet_of_its_own_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    guide = tmp_path / "guide.md"
    guide.write_text(MARKDOWN, encoding="utf-8")
    first, second, snippet = markdown_blocks(guide, LIBRARIES)
    assert [first.library, second.library, snippet.library] == [
        LIBRARIES["etcd"],
        LIBRARIES["kafka"],
        LIBRARIES["etcd"],
    ]
    assert (snippet.line, snippet.tags) == (14, ())
    assert metadata_of(snippet) == first
    run_example(snippet, tmp_path / "workload", monkeypatch)


def test_a_block_naming_two_libraries_is_refused(tmp_path: Path):
    guide = tmp_path / "guide.md"
    guide.write_text("```python legacy etcd kafka\npass\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="at most one library"):
        markdown_blocks(guide, LIBRARIES)


LEGACY_ETCD = """\
from charmhelpers.core import host
from charms.reactive import endpoint_from_flag, set_flag, when, when_not


@when("etcd.available")
@when_not("my-app.configured")
def configure():
    etcd = endpoint_from_flag("etcd.available")
    host.write_file("/etc/my-app/etcd", etcd.get_connection_string())
    set_flag("my-app.configured")
"""


def test_the_migration_table_is_read_from_the_docstring():
    table = migration_table(LIBRARIES["innodb_cluster"])
    assert {"cluster.connected", "endpoint.cluster.changed.unit-configure-ready"} <= table.flags
    assert {"all_joined_units", "received", "set_unit_clustered"} <= table.names
    assert "cluster" not in table.names  # the endpoint's variable, not one of its methods


def test_reactive_code_that_the_table_maps_passes(monkeypatch: pytest.MonkeyPatch):
    check_legacy_block(made_up(LEGACY_ETCD, "legacy"), monkeypatch)
    assert (
        "write_file(/etc/my-app/etcd)"
        in run_legacy_block(made_up(LEGACY_ETCD, "legacy"), monkeypatch).calls
    )


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ('@when("etcd.available")', '@when("etcd.available", "etcd.ready")', "etcd.ready"),
        ('set_flag("my-app.configured")', "pass", "my-app.configured"),
        ("etcd.get_connection_string()", "etcd.connection_url()", "connection_url"),
    ],
    ids=["unmapped-flag", "own-flag-never-set", "unnamed-method"],
)
def test_reactive_code_beyond_the_table_fails(
    before: str, after: str, message: str, monkeypatch: pytest.MonkeyPatch
):
    block = made_up(LEGACY_ETCD.replace(before, after), "legacy")
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_legacy_block(block, monkeypatch)


def test_a_reactive_handler_that_fails_fails(monkeypatch: pytest.MonkeyPatch):
    call = 'host.write_file("/etc/my-app/etcd", etcd.get_connection_string())'
    block = made_up(LEGACY_ETCD.replace(call, "host.write_file()"), "legacy")
    with pytest.raises(TypeError):
        check_legacy_block(block, monkeypatch)


CHARM = """\
from pathlib import Path

import ops

from charms.etcd.v0.etcd import EtcdRequires

ENDPOINTS_FILE = Path("/etc/my-app/etcd-endpoints")


class MyCharm(ops.CharmBase):
    def __init__(self, framework):
        super().__init__(framework)
        self.etcd = EtcdRequires(self)
        framework.observe(self.etcd.on.available, self._on_available)

    def _on_available(self, event):
        ENDPOINTS_FILE.write_text(event.connection_string)
"""

TESTS = """\
from ops import testing

from charm import ENDPOINTS_FILE, MyCharm
from charms.etcd.v0.etcd import etcd_relation_for_testing


def test_endpoints(tmp_path):
    ctx = testing.Context(MyCharm, meta={"name": "x", "requires": {"etcd": {"interface": "etcd"}}})
    relation = etcd_relation_for_testing()
    ctx.run(ctx.on.relation_changed(relation, remote_unit=0), testing.State(relations=[relation]))
    assert ENDPOINTS_FILE.read_text() == "https://10.0.0.5:2379"
"""


def test_a_test_block_runs_against_the_charm_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    blocks = [made_up(CHARM, "example"), dataclasses.replace(made_up(TESTS, "test"), line=30)]
    assert run_test_block(blocks[1], blocks, tmp_path, monkeypatch) == ["test_endpoints"]


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("10.0.0.5", "10.0.0.6", "^$"),  # exec'd code has no assertion rewriting: no message
        ("    assert ENDPOINTS_FILE", "    ENDPOINTS_FILE", "asserts nothing"),
        ("(tmp_path)", "(capsys)", "capsys"),
    ],
    ids=["failing-assert", "no-assert", "unknown-fixture"],
)
def test_a_test_block_that_fails_or_asserts_nothing_fails(
    before: str, after: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    tests = dataclasses.replace(made_up(TESTS.replace(before, after), "test"), line=30)
    blocks = [made_up(CHARM, "example"), tests]
    with pytest.raises(AssertionError, match=message):
        run_test_block(tests, blocks, tmp_path, monkeypatch)


@pytest.mark.parametrize(
    "line",
    [
        "charmcraft fetch-lib charms.etcd.v0.etcd",
        "pip install legacy-interfaces-innodb_cluster",
        "juju upgrade-charm my-app",
    ],
)
def test_a_shell_line_naming_what_does_not_exist_fails(line: str):
    block = Block(GUIDE, "shell", 1, f"{line}\n")
    assert shell_problems(block)


def test_the_fake_hook_tools_keep_leader_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import subprocess

    install_hook_tools(tmp_path, monkeypatch)
    subprocess.run(["leader-set", "a=1", "b=two"], check=True)  # noqa: S607 - the fake tool
    subprocess.run(["leader-set", "a="], check=True)  # noqa: S607
    get = ["leader-get", "b"]
    assert subprocess.run(get, capture_output=True, text=True, check=True).stdout == "two\n"  # noqa: S603
    unset = ["leader-get", "a"]
    assert subprocess.run(unset, capture_output=True, text=True, check=True).stdout == ""  # noqa: S603
