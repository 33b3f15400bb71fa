# Copyright 2026 The legacy-interfaces authors.
# SPDX-License-Identifier: Apache-2.0
"""The interface specs under `interfaces/` agree with the libraries and with themselves.

- Each committed JSON Schema is exactly what `schemas.py` generates from the library's
  models now; a schema edited by hand, or a model changed without `make schemas`, fails.
- Each `interface.yaml` has the fields of the charmlibs layout, names a library module
  whose `INTERFACE` is the interface, and classes that take the role they are listed in.
- Each README's wire table holds every key of the schemas, with the right writer and
  encoding, and examples that the schemas accept; the library docstring's own wire table
  agrees with the schema too.
- The databags the libraries' test helpers build validate, and known-bad databags do not.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import ops
import pydantic
import pytest
import yaml
from ops import testing

from tests.interfaces import schemas
from tests.interfaces.schemas import ROOT, SPECS, Interface, Side

TARGETS = [(interface, side) for interface in SPECS for side in interface.sides]
TARGET_IDS = [f"{interface.name}-{side.role}" for interface, side in TARGETS]
INTERFACE_IDS = [interface.name for interface in SPECS]
ROLES = ("provider", "requirer", "peer")


def spec(name: str) -> Interface:
    return next(interface for interface in SPECS if interface.name == name)


def side_of(interface: Interface, role: str) -> Side:
    return next(side for side in interface.sides if side.role == role)


def committed_schema(interface: Interface, role: str) -> dict[str, Any]:
    return json.loads(interface.schema_path(side_of(interface, role)).read_text())


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    return schemas.generated()


# --- The committed schemas are the models' ---------------------------------------------------


@pytest.mark.parametrize(("interface", "side"), TARGETS, ids=TARGET_IDS)
def test_committed_schema_is_what_the_models_give(
    interface: Interface, side: Side, generated: dict[Path, str]
):
    path = interface.schema_path(side)
    committed = path.read_text(encoding="utf-8") if path.exists() else None
    problem = schemas.stale(path, generated[path], committed)
    if problem is not None:
        pytest.fail(problem, pytrace=False)


def test_check_mode_passes_on_the_committed_tree():
    assert schemas.main(["--check"]) == 0


def test_no_spec_or_schema_file_is_left_over(generated: dict[Path, str]):
    directories = {path.name for path in (ROOT / "interfaces").iterdir() if path.is_dir()}
    assert directories == {interface.name for interface in SPECS}
    committed = set((ROOT / "interfaces").glob("*/interface/v*/schemas/*.json"))
    assert committed == set(generated), "a schema file no spec generates: remove it"


@pytest.mark.parametrize(("interface", "side"), TARGETS, ids=TARGET_IDS)
def test_committed_schema_is_valid_json_schema(interface: Interface, side: Side):
    schema = json.loads(interface.schema_path(side).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] == {"type": "string"}
    for key in schemas.JUJU_KEYS:
        assert key in schema["properties"], f"Juju's own {key} must be allowed"


def test_a_schema_edited_by_hand_is_caught(generated: dict[Path, str]):
    interface = spec("etcd")
    path = interface.schema_path(side_of(interface, "provider"))
    edited = json.loads(path.read_text())
    edited["properties"]["version"]["pattern"] = "^[0-9.]+$"
    problem = schemas.stale(path, generated[path], schemas.render(edited))
    assert problem is not None
    assert "run `make schemas`" in problem
    assert '"pattern": "^[0-9.]+$"' in problem  # the diff shows the edit


def test_a_deleted_schema_is_caught(generated: dict[Path, str]):
    interface = spec("kafka")
    path = interface.schema_path(side_of(interface, "provider"))
    problem = schemas.stale(path, generated[path], None)
    assert problem is not None
    assert "missing" in problem
    assert "run `make schemas`" in problem


@pytest.mark.parametrize(
    ("field", "definition", "shown"),
    [
        ("member_name", (str | None, None), '"member_name"'),  # a new key
        ("version", (int | None, None), '"pattern": "^(0|-?[1-9][0-9]*)$"'),  # a new type
    ],
    ids=["new-field", "changed-type"],
)
def test_a_changed_model_is_caught(field: str, definition: tuple[Any, Any], shown: str):
    interface = spec("etcd")
    side = side_of(interface, "provider")
    original: type[pydantic.BaseModel] = interface.library().EtcdProviderData
    fields: dict[str, Any] = {field: definition}
    changed = pydantic.create_model(
        "EtcdProviderData", __base__=original, __doc__=original.__doc__, **fields
    )
    path = interface.schema_path(side)
    problem = schemas.stale(
        path, schemas.render(schemas.build(interface, side, changed)), path.read_text()
    )
    assert problem is not None
    assert "run `make schemas`" in problem
    assert shown in problem


def test_a_changed_library_wire_table_is_caught(monkeypatch: pytest.MonkeyPatch):
    """The meanings in the schemas come from the library's docstring: they are checked too."""
    interface = spec("zookeeper")
    side = side_of(interface, "provider")
    library = interface.library()
    doc = library.__doc__
    assert doc is not None
    monkeypatch.setattr(library, "__doc__", doc.replace("the client port", "the peer port"))
    path = interface.schema_path(side)
    problem = schemas.stale(path, schemas.render(schemas.build(interface, side)), path.read_text())
    assert problem is not None
    assert "The peer port" in problem


# --- interface.yaml ------------------------------------------------------------------------

REQUIRED_FIELDS = (
    "name",
    "version",
    "status",
    "lib",
    "summary",
    "description",
    "providers",
    "requirers",
    "maintainer",
)
LEGACY_URL = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/(?P<repo>[A-Za-z0-9_.-]+)")


def interface_yaml(interface: Interface) -> dict[str, Any]:
    return yaml.safe_load((interface.directory / "interface.yaml").read_text())


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_interface_yaml_has_the_layout_fields(interface: Interface):
    meta = interface_yaml(interface)
    assert [field for field in REQUIRED_FIELDS if field not in meta] == []
    # The charmlibs layout: interfaces/<name>/interface/v<N>/.
    assert interface.directory.parent.name == "interface"
    assert meta["name"] == interface.name == interface.directory.parent.parent.name
    assert isinstance(meta["version"], int)
    assert interface.directory.name == f"v{meta['version']}"
    assert meta["status"] in ("draft", "published", "retired")
    for field in ("summary", "description", "maintainer"):
        assert isinstance(meta[field], str)
        assert meta[field].strip()


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_interface_yaml_names_the_library(interface: Interface):
    meta = interface_yaml(interface)
    assert meta["lib"] == interface.module
    library = importlib.import_module(meta["lib"])
    assert meta["name"] == library.INTERFACE


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_interface_yaml_implementations(interface: Interface):
    meta = interface_yaml(interface)
    library = importlib.import_module(meta["lib"])
    library_file = Path(inspect.getfile(library)).resolve().relative_to(ROOT)
    peer = any(side.role == "peer" for side in interface.sides)
    assert meta.get("peer", False) is peer
    if peer:
        assert meta["providers"] == meta["requirers"], "a peer's implementations play both"
    for section, suffix in (("providers", "Provides"), ("requirers", "Requires")):
        entries = meta[section]
        assert isinstance(entries, list)
        assert entries
        kinds = {"path" if "path" in entry else "url" for entry in entries}
        assert kinds == {"url", "path"}, "the legacy layer and the library, both"
        for entry in entries:
            assert "url" in entry, "every implementation has a url"
            if "path" not in entry:
                match = LEGACY_URL.fullmatch(entry["url"])
                assert match is not None, entry["url"]
                assert match["repo"] == entry["name"]
                continue
            assert entry["name"] == meta["lib"]
            distribution = "legacy-interfaces-" + library_file.stem.replace("_", "-")
            assert entry["url"] == f"https://pypi.org/project/{distribution}/"
            assert Path(entry["path"]) == library_file
            cls = getattr(library, entry["class"])
            assert inspect.isclass(cls)
            assert issubclass(cls, ops.Object)
            if not peer:
                assert cls.__name__.endswith(suffix)


def construct(cls: type[ops.Object], section: str, interface: str) -> None:
    """Build a charm whose only endpoint, `spec`, is declared under `section`, using `cls`."""
    endpoint_class: Any = cls

    class SpecCharm(ops.CharmBase):
        def __init__(self, framework: ops.Framework):
            super().__init__(framework)
            self.endpoint = endpoint_class(self, "spec")

    meta = {"name": "spec-charm", section: {"spec": {"interface": interface}}}
    context = testing.Context(SpecCharm, meta=meta)
    context.run(context.on.update_status(), testing.State())


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_each_library_class_takes_the_role_it_is_listed_in(interface: Interface):
    meta = interface_yaml(interface)
    library = importlib.import_module(meta["lib"])
    sections = {"providers": "provides", "requirers": "requires"}
    if meta.get("peer"):
        sections = {"providers": "peers", "requirers": "peers"}
    for listed, section in sections.items():
        for entry in meta[listed]:
            if "class" in entry:
                construct(getattr(library, entry["class"]), section, meta["name"])


@pytest.mark.parametrize(
    "interface",
    [interface for interface in SPECS if len(interface.sides) == 2],
    ids=[interface.name for interface in SPECS if len(interface.sides) == 2],
)
def test_a_library_class_refuses_the_other_role(interface: Interface):
    """So that the previous test can fail: the constructors do check the role."""
    meta = interface_yaml(interface)
    library = importlib.import_module(meta["lib"])
    provider = next(entry["class"] for entry in meta["providers"] if "class" in entry)
    with pytest.raises(testing.errors.UncaughtCharmError, match="is a requires endpoint"):
        construct(getattr(library, provider), "requires", meta["name"])


# --- The READMEs and the libraries' own wire tables ----------------------------------------


def readme_rows(interface: Interface) -> list[schemas.TableRow]:
    text = (interface.directory / "README.md").read_text()
    rows = schemas.markdown_table(text, "## Wire format")
    assert rows, f"{interface.name}: no wire table under '## Wire format'"
    assert {"key", "written by", "encoding", "example", "meaning"} <= rows[0].cells.keys()
    return rows


def encoding_of(prop: Mapping[str, Any]) -> str:
    media = str(prop.get("contentMediaType", ""))
    return {schemas.JSON_MEDIA_TYPE: "json", schemas.YAML_MEDIA_TYPE: "yaml"}.get(media, "raw")


def encoding_named(cell: str) -> str:
    words = set(re.findall(r"[a-z]+", cell.lower()))
    if words == {"json"}:
        return "json"
    if words == {"raw"}:
        return "raw"
    if words == {"raw", "yaml"}:
        return "yaml"
    return f"unknown ({cell})"


@pytest.mark.parametrize(("interface", "side"), TARGETS, ids=TARGET_IDS)
def test_every_schema_key_is_in_the_readme_wire_table(interface: Interface, side: Side):
    schema = json.loads(interface.schema_path(side).read_text())
    rows = {key: row for row in readme_rows(interface) for key in row.keys}
    for key, prop in schema["properties"].items():
        assert key in rows, f"{interface.name} README: no row for `{key}`"
        row = rows[key]
        writer = row["written by"].lower()
        assert side.role in writer or "juju" in writer, f"`{key}`: written by {writer}"
        assert encoding_named(row["encoding"]) == encoding_of(prop), f"`{key}`"


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_readme_rows_agree_with_the_schemas(interface: Interface):
    """Each row's writers have the key in their schema, and its example validates there."""
    for row in readme_rows(interface):
        assert row.keys, f"{interface.name} README: a wire-table row names no key"
        writer = row["written by"].lower()
        roles = [role for role in ROLES if role in writer]
        if "juju" in writer:
            roles = [side.role for side in interface.sides]
        assert roles, f"{interface.name} README: who writes {row.keys}?"
        example = re.fullmatch(r"`([^`]+)`", row["example"])
        for key in row.keys:
            for role in roles:
                schema = committed_schema(interface, role)
                assert key in schema["properties"], f"`{key}` not in the {role} schema"
                if example is not None:
                    assert schemas.databag_errors(schema, {key: example[1]}) == [], key


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_library_wire_table_agrees_with_the_schema(interface: Interface):
    """The table in the library's docstring: its keys are in the schema, in its encodings."""
    writer = next(side for side in interface.sides if side.model is not None)
    schema = committed_schema(interface, writer.role)
    rows = schemas.library_wire_table(interface.library())
    for row in rows:
        for key in row.keys:
            assert key in schema["properties"], f"{interface.module} documents `{key}`"
            if row["encoding"]:
                assert encoding_named(row["encoding"]) in (
                    encoding_of(schema["properties"][key]),
                    # The library's table says "raw" of its YAML keys; the schema says more.
                    "raw" if encoding_of(schema["properties"][key]) == "yaml" else "",
                ), key
    assert any(row.keys for row in rows)


# --- The test helpers' databags, and known-bad ones ----------------------------------------

Databags = list[Mapping[str, str]]


def databags_of(made: object) -> Databags:
    """The databags a helper's result holds that the units it describes wrote.

    A relation's local unit is the charm under test, on the other side, with Juju's keys
    only; a peer relation's local unit is a peer like the others.
    """
    if isinstance(made, testing.PeerRelation):
        return [*made.peers_data.values(), made.local_unit_data]
    if isinstance(made, testing.Relation):
        return list(made.remote_units_data.values())
    assert isinstance(made, dict)
    return [made]


# Per helper: the interface, the role of the units whose databags it builds, and the keyword
# arguments of each call.
STAGES = ("joined", "credentials", "configure-ready", "clustered")
HELPER_CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("etcd", "etcd_relation_for_testing", "provider", {}),
    ("etcd", "etcd_relation_for_testing", "provider", {"units": 3, "version": None}),
    ("etcd", "etcd_relation_for_testing", "provider", {"tls": False}),
    ("etcd", "client_relation_for_testing", "requirer", {"units": 2}),
    ("zookeeper", "zookeeper_relation_for_testing", "provider", {"units": 3}),
    ("zookeeper", "zookeeper_relation_for_testing", "provider", {"rest_port": None}),
    ("zookeeper", "client_relation_for_testing", "requirer", {"units": 2}),
    ("kafka", "kafka_relation_for_testing", "provider", {"units": 2, "zookeepers": 3}),
    ("kafka", "kafka_relation_for_testing", "provider", {"zookeepers": 0}),
    ("kafka", "client_relation_for_testing", "requirer", {"units": 2}),
    ("http", "websites_relation_for_testing", "provider", {}),
    ("http", "websites_relation_for_testing", "provider", {"units": 2, "extended": 2}),
    ("http", "websites_relation_for_testing", "provider", {"services": "- service_name: a\n"}),
    ("http", "proxy_relation_for_testing", "requirer", {"units": 2}),
    *[
        ("mysql-innodb-cluster", "cluster_relation_for_testing", "peer", arguments)
        for stage in STAGES
        for arguments in (
            {"peers": 3, "stage": stage, "local_stage": stage},
            {"stage": stage, "reactive_leader": 1},
        )
    ],
    *[
        ("mysql-innodb-cluster", "cluster_databag_for_testing", "peer", arguments)
        for stage in STAGES
        for arguments in (
            {"unit_number": 2, "stage": stage},
            {"unit_number": 0, "stage": stage, "reactive_leader": True},
        )
    ],
]


def call_helper(interface: Interface, helper: str, arguments: dict[str, Any]) -> Databags:
    function: Callable[..., object] = getattr(interface.library(), helper)
    return databags_of(function(**arguments))


@pytest.mark.parametrize(
    ("name", "helper", "role", "arguments"),
    HELPER_CALLS,
    ids=[f"{name}-{helper}-{index}" for index, (name, helper, _, _) in enumerate(HELPER_CALLS)],
)
def test_helper_databags_validate(name: str, helper: str, role: str, arguments: dict[str, Any]):
    interface = spec(name)
    schema = committed_schema(interface, role)
    databags = call_helper(interface, helper, arguments)
    assert databags
    for databag in databags:
        assert schemas.databag_errors(schema, databag) == [], databag


@pytest.mark.parametrize("interface", SPECS, ids=INTERFACE_IDS)
def test_every_helper_is_checked(interface: Interface):
    helpers = {
        name
        for name, _ in inspect.getmembers(interface.library(), inspect.isfunction)
        if name.endswith(("_relation_for_testing", "_databag_for_testing"))
    }
    assert helpers
    checked = {helper for name, helper, _, _ in HELPER_CALLS if name == interface.name}
    assert helpers == checked


# The etcd helper's malformed unit sends the same garbage text in every key, which only the
# library's validators (URL, version and PEM grammar) refuse: its schema can tell types and
# encodings only, so etcd is not among these.
@pytest.mark.parametrize(
    ("name", "helper", "bad_keys"),
    [
        ("zookeeper", "zookeeper_relation_for_testing", {"port", "rest_port"}),
        ("kafka", "kafka_relation_for_testing", {"port", "zookeepers"}),
        ("http", "websites_relation_for_testing", {"port", "extended_data"}),
    ],
)
def test_helper_malformed_unit_is_rejected(name: str, helper: str, bad_keys: set[str]):
    interface = spec(name)
    schema = committed_schema(interface, "provider")
    *good, malformed = call_helper(interface, helper, {"units": 2, "malformed_unit": True})
    for databag in good:
        assert schemas.databag_errors(schema, databag) == []
    errors = schemas.databag_errors(schema, malformed)
    assert {error.split(":")[0].split(" ")[0] for error in errors} == bad_keys


KNOWN_BAD: list[tuple[str, str, dict[str, Any], str]] = [
    # interface, role, databag, the key the error names
    ("etcd", "provider", {"connection_string": ""}, "connection_string"),  # empty: absent
    ("etcd", "provider", {"version": 3}, "version"),  # a databag holds strings only
    ("etcd", "requirer", {"egress-subnets": ""}, "egress-subnets"),
    ("etcd", "requirer", {"anything": 1}, "anything"),
    ("zookeeper", "provider", {"port": "2181/tcp"}, "port"),
    ("zookeeper", "provider", {"rest_port": "09998"}, "rest_port"),  # one spelling per number
    ("kafka", "provider", {"zookeepers": "10.0.9.5:2181"}, "zookeepers"),  # not JSON
    ("kafka", "provider", {"zookeepers": '{"host": "10.0.9.5", "port": "2181"}'}, "zookeepers"),
    ("kafka", "provider", {"zookeepers": '[{"host": "10.0.9.5"}]'}, "zookeepers"),  # no port
    ("kafka", "provider", {"zookeepers": '[{"host": 5, "port": "2181"}]'}, "zookeepers"),
    ("http", "provider", {"port": "8080.0"}, "port"),
    ("http", "provider", {"extended_data": "[{]"}, "extended_data"),  # not JSON
    (
        "http",
        "provider",
        {"extended_data": '[{"hostname": "10.0.0.9", "port": 8080}]'},  # no private-address
        "extended_data",
    ),
    ("http", "provider", {"services": ""}, "services"),
    ("mysql-innodb-cluster", "peer", {"cluster-address": "10.5.0.7"}, "cluster-address"),
    ("mysql-innodb-cluster", "peer", {"cluster-user": "7"}, "cluster-user"),  # a number
    ("mysql-innodb-cluster", "peer", {"unit-clustered": "yes"}, "unit-clustered"),
    ("mysql-innodb-cluster", "peer", {"unit-configure-ready": '"true"'}, "unit-configure-ready"),
]


@pytest.mark.parametrize(
    ("name", "role", "databag", "key"),
    KNOWN_BAD,
    ids=[f"{name}-{role}-{index}" for index, (name, role, _, _) in enumerate(KNOWN_BAD)],
)
def test_known_bad_databag_is_rejected(name: str, role: str, databag: dict[str, Any], key: str):
    errors = schemas.databag_errors(committed_schema(spec(name), role), databag)
    assert errors
    assert all(error.startswith(key) for error in errors), errors


def test_content_is_checked_beyond_what_validators_do():
    """`databag_errors` decodes JSON values: a plain validator lets this one through."""
    schema = committed_schema(spec("kafka"), "provider")
    databag = {"zookeepers": '[{"host": "10.0.9.5"}]'}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(databag)) == []
    assert schemas.databag_errors(schema, databag) == [
        "zookeepers (decoded)/0: 'port' is a required property"
    ]
