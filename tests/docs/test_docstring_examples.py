"""Every ```python block in a library's module docstring runs here, through `ops.testing`.

Libraries are found with `library_paths()`; each python block is one test, `<library>-block-<n>`.
The machinery is `tests.docs.harness`, whose docstring says how a block runs, which hooks the
harness drives and what each run must show; the migration guide's blocks run through it too
(`test_migration_guide.py`). What it needs of each library, beyond the library itself, is its
entry in `FIXTURES` (the legacy data each role publishes). Only the harness's own tests, at
the end, use etcd or a made-up library.

Each docstring's ```yaml blocks are charmcraft.yaml snippets: a python block runs with the
nearest one before it (the first one if none is), and a separate test checks that the
snippets together declare the default endpoint of each `*Requires`/`*Provides`/`*Peers`
class, in the section of its role, with the module's `INTERFACE`, and nothing else.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.harness import (
    FIXTURES,
    LIBRARIES,
    Block,
    Endpoint,
    Example,
    Fixture,
    charmcraft_snippets,
    check_declared_endpoints,
    declared_endpoints,
    examples,
    library_name,
    metadata_of,
    run_example,
)
from tests.metadata.librecord import library_paths

EXAMPLES = [example for path in library_paths() for example in examples(path)]

# --- Tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", [pytest.param(example, id=example.id) for example in EXAMPLES])
def test_docstring_example_runs(
    example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_example(example.block, tmp_path, monkeypatch)


@pytest.mark.parametrize("path", LIBRARIES.values(), ids=LIBRARIES.keys())
def test_charmcraft_snippets_declare_the_default_endpoint_of_each_role(path: Path) -> None:
    check_declared_endpoints(path)


# --- The harness itself, on made-up blocks for the reference library ------------------------


def made_up_block(source: str) -> Block:
    # Line 2, so that a snippet's `def` line has a line to take.
    etcd = LIBRARIES["etcd"]
    return Block(
        path=etcd, language="python", line=2, source=textwrap.dedent(source), library=etcd
    )


def test_a_snippet_runs_in_update_status_with_the_role_objects_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet = made_up_block("""
        assert self.etcd.is_tls_available()
        assert isinstance(self.etcd, EtcdRequires)
        assert not hasattr(self, "db")
    """)
    run_example(snippet, tmp_path, monkeypatch)


def test_an_example_whose_handler_no_hook_reaches_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = made_up_block("""
        import ops

        class StoppingCharm(ops.CharmBase):
            def __init__(self, framework: ops.Framework):
                super().__init__(framework)
                framework.observe(self.on.stop, self._on_stop)

            def _on_stop(self, event: ops.StopEvent):
                pass
    """)
    with pytest.raises(AssertionError, match=r"StoppingCharm\._on_stop"):
        run_example(block, tmp_path, monkeypatch)


def test_a_provider_example_that_publishes_part_of_the_data_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = made_up_block("""
        import ops
        from charms.etcd.v0.etcd import EtcdProvides

        class PartialCharm(ops.CharmBase):
            def __init__(self, framework: ops.Framework):
                super().__init__(framework)
                self.db = EtcdProvides(self)
                framework.observe(self.on.config_changed, self._on_config_changed)

            def _on_config_changed(self, event: ops.ConfigChangedEvent):
                self.db.set_connection_string("https://10.0.0.5:2379,https://10.0.0.6:2379")
    """)
    with pytest.raises(AssertionError, match="db: client_key is missing"):
        run_example(block, tmp_path, monkeypatch)


# A client that records what it saw in its own stored state, and checks, in the hooks the
# harness runs only for charms that observe them, what the harness promises of those hooks.
REFRESHED_CLIENT = """
    from pathlib import Path

    import ops
    from charms.etcd.v0.etcd import EtcdRequires

    SEEN = Path("/var/lib/client/seen")

    class RefreshedCharm(ops.CharmBase):
        _stored = ops.StoredState()

        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self._stored.set_default(configured=False)
            self.etcd = EtcdRequires(self)
            framework.observe(self.on.config_changed, self._on_config_changed)
            framework.observe(self.on.upgrade_charm, self._on_upgrade_charm)
            framework.observe(self.etcd.on.available, self._on_available)

        def _on_config_changed(self, event: ops.ConfigChangedEvent):
            self._stored.configured = True

        def _on_upgrade_charm(self, event: ops.UpgradeCharmEvent):
            assert not self._stored.configured, "the stored state survived the refresh"
            with SEEN.open("a") as seen:
                print("upgrade-charm", file=seen)

        def _on_available(self, event: ops.EventBase):
            with SEEN.open("a") as seen:
                print("available", file=seen)
"""


def test_a_charm_that_observes_upgrade_charm_is_refreshed_from_the_reactive_charm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_example(made_up_block(REFRESHED_CLIENT), tmp_path, monkeypatch)
    # Once when etcd joined; once more in upgrade-charm, where the library, with no record,
    # announces what holds (before the charm's own handler, which observed later).
    seen = (tmp_path / "var/lib/client/seen").read_text().split()
    assert seen == ["available", "available", "upgrade-charm"]


def test_a_provider_that_withdraws_its_data_on_refresh_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = made_up_block("""
        import ops
        from charms.etcd.v0.etcd import EtcdProvides

        class ForgetfulCharm(ops.CharmBase):
            def __init__(self, framework: ops.Framework):
                super().__init__(framework)
                self.db = EtcdProvides(self)
                framework.observe(self.db.on.connected, self._on_connected)
                framework.observe(self.on.upgrade_charm, self._on_upgrade_charm)

            def _on_connected(self, event: ops.EventBase):
                urls = "https://10.0.0.5:2379,https://10.0.0.6:2379"
                self.db.set_connection_string(urls, "3.5.16")
                tls = self.model.get_secret(label="etcd-client-tls").get_content()
                self.db.set_client_credentials(
                    tls["client-key"], tls["client-cert"], tls["client-ca"]
                )

            def _on_upgrade_charm(self, event: ops.UpgradeCharmEvent):
                self.db.clear_client_credentials()
    """)
    # Complete after update-status; after the refresh, without its credentials.
    with pytest.raises(AssertionError, match="db: client_ca is missing"):
        run_example(block, tmp_path, monkeypatch)


def test_leader_settings_changed_runs_on_a_non_leader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = made_up_block("""
        import subprocess
        from pathlib import Path

        import ops

        SEEN = Path("/var/lib/client/seen")

        class FollowerCharm(ops.CharmBase):
            def __init__(self, framework: ops.Framework):
                super().__init__(framework)
                framework.observe(self.on.config_changed, self._on_config_changed)
                framework.observe(self.on.leader_settings_changed, self._on_settings_changed)

            def _on_config_changed(self, event: ops.ConfigChangedEvent):
                if self.unit.is_leader():
                    subprocess.run(["leader-set", "mark=True"], check=True)

            def _on_settings_changed(self, event: ops.LeaderSettingsChangedEvent):
                assert not self.unit.is_leader()
                got = subprocess.run(["leader-get", "mark"], capture_output=True, text=True)
                SEEN.write_text(got.stdout)
    """)
    run_example(block, tmp_path, monkeypatch)
    assert (tmp_path / "var/lib/client/seen").read_text() == "True\n"


# --- The harness itself, on a made-up library whose two roles default to one endpoint name ---

# Each role class refuses an endpoint that the metadata does not declare in its role's section,
# as the real libraries do: an example run with the other role's snippet fails.
TWIN_LIBRARY = '''"""A made-up library: `TwinRequires` and `TwinProvides` both default to `kv`.

A snippet before the first charmcraft.yaml snippet runs with the first one:

```python
assert isinstance(self.kv, TwinRequires)
```

```yaml
requires:
  kv:
    interface: twin
```

```python
import ops

from twin_library import TwinRequires


class RequirerCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kv = TwinRequires(self)
        framework.observe(self.on["kv"].relation_changed, self._on_kv_changed)

    def _on_kv_changed(self, event: ops.RelationChangedEvent):
        assert self.kv.hosts() == "10.0.0.7:2181"
```

```python
assert isinstance(self.kv, TwinRequires)
assert self.kv.hosts() == "10.0.0.7:2181"
```

```yaml
provides:
  kv:
    interface: twin
```

```python
import ops

from twin_library import TwinProvides


class ProviderCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.kv = TwinProvides(self)
        framework.observe(self.on["kv"].relation_joined, self._on_kv_joined)

    def _on_kv_joined(self, event: ops.RelationJoinedEvent):
        self.kv.publish("10.0.0.7:2181")
```

```python
assert isinstance(self.kv, TwinProvides)
self.kv.publish("10.0.0.7:2181")
```
"""

import ops

INTERFACE = "twin"


def _check_endpoint(charm, relation_name, role):
    endpoint = charm.meta.relations.get(relation_name)
    if endpoint is None or endpoint.role != role or endpoint.interface_name != INTERFACE:
        raise ValueError(f"{relation_name!r} is not a {role.name} endpoint of {INTERFACE!r}")


class TwinRequires(ops.Object):
    def __init__(self, charm, relation_name="kv"):
        super().__init__(charm, relation_name)
        _check_endpoint(charm, relation_name, ops.RelationRole.requires)
        self.relation_name = relation_name
        charm.framework.observe(charm.on[relation_name].relation_changed, self._on_changed)

    def _on_changed(self, event):
        pass  # a real library would emit an event of its own

    def hosts(self):
        relation = self.model.get_relation(self.relation_name)
        units = sorted(relation.units, key=lambda unit: unit.name) if relation else []
        return relation.data[units[0]].get("hosts") if units else None


class TwinProvides(ops.Object):
    def __init__(self, charm, relation_name="kv"):
        super().__init__(charm, relation_name)
        _check_endpoint(charm, relation_name, ops.RelationRole.provides)
        self.relation_name = relation_name
        charm.framework.observe(charm.on[relation_name].relation_joined, self._on_joined)

    def _on_joined(self, event):
        pass  # a real library would emit an event of its own

    def publish(self, hosts):
        for relation in self.model.relations[self.relation_name]:
            relation.data[self.model.unit]["hosts"] = hosts
'''
TWIN_FIXTURE = Fixture(published={"provides": {"hosts": "10.0.0.7:2181"}, "requires": {}})


@pytest.fixture
def twin_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The made-up library's file, importable as `twin_library`, with its FIXTURES entry."""
    path = tmp_path / "library" / "twin_library.py"
    path.parent.mkdir()
    path.write_text(TWIN_LIBRARY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(path.parent))
    monkeypatch.setitem(FIXTURES, library_name(path), TWIN_FIXTURE)
    yield path
    sys.modules.pop(path.stem, None)


def test_each_python_block_runs_with_the_nearest_charmcraft_snippet_before_it(
    twin_library: Path,
) -> None:
    first, second = charmcraft_snippets(twin_library)
    metadata = [metadata_of(example.block) for example in examples(twin_library)]
    # The first snippet is before every block but the first, which has none before it.
    assert metadata == [first, first, first, second, second]
    assert [declared_endpoints(snippet) for snippet in (first, second)] == [
        [Endpoint("kv", "requires", "twin")],
        [Endpoint("kv", "provides", "twin")],
    ]


@pytest.mark.parametrize(
    ("number", "role"),
    [(1, "requires"), (2, "requires"), (3, "requires"), (4, "provides"), (5, "provides")],
    ids=[
        "snippet-before-any-yaml",
        "requirer",
        "requirer-snippet",
        "provider",
        "provider-snippet",
    ],
)
def test_the_examples_of_two_roles_with_one_endpoint_name_run_with_their_own_role(
    twin_library: Path,
    number: int,
    role: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = examples(twin_library)[number - 1]
    # The provider blocks fail with the first snippet: TwinProvides refuses a requires endpoint.
    assert [endpoint.role for endpoint in declared_endpoints(metadata_of(example.block))] == [role]
    run_example(example.block, tmp_path / "workload", monkeypatch)


def test_the_charmcraft_snippets_together_declare_the_endpoints_of_both_roles(
    twin_library: Path,
) -> None:
    check_declared_endpoints(twin_library)


def test_charmcraft_snippets_missing_a_role_fail(twin_library: Path) -> None:
    # Without its second snippet, nothing declares TwinProvides's endpoint.
    second = charmcraft_snippets(twin_library)[1]
    text = twin_library.read_text(encoding="utf-8")
    twin_library.write_text(text.replace(f"```yaml\n{second.source}```", ""), encoding="utf-8")
    assert len(charmcraft_snippets(twin_library)) == 1
    with pytest.raises(AssertionError):
        check_declared_endpoints(twin_library)
