"""charmcraft.yaml is valid by charmcraft's own model and names every library and endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from charmcraft.models.project import CharmcraftProject
from charmcraft.parts import setup_parts

from tests.metadata.librecord import ROOT, full_name, library_paths

CHARMCRAFT_YAML = ROOT / "charmcraft.yaml"
# Each library's interface, and the demo charm's endpoint in each role: the name the library's
# class defaults to, unless both sides default to the same name, which one charm cannot
# declare twice. A peer interface has one role.
ENDPOINTS = {
    "charms.etcd.v0.etcd": {"interface": "etcd", "requires": "etcd", "provides": "db"},
    "charms.zookeeper.v0.zookeeper": {
        "interface": "zookeeper",
        "requires": "zookeeper",
        "provides": "zookeeper-server",
    },
    "charms.kafka.v0.kafka": {"interface": "kafka", "requires": "kafka", "provides": "client"},
    "charms.http.v0.http": {
        "interface": "http",
        "requires": "reverseproxy",
        "provides": "website",
    },
    "charms.innodb_cluster.v0.innodb_cluster": {
        "interface": "mysql-innodb-cluster",
        "peers": "cluster",
    },
}
ROLES = ("requires", "provides", "peers")


def _raw() -> Any:
    return yaml.safe_load(CHARMCRAFT_YAML.read_text())


def _declared_libraries() -> set[str]:
    """`charm-libs` entries (`lib: etcd.etcd`, `version: "0"`) as importable names."""
    declared: set[str] = set()
    for entry in _raw()["charm-libs"]:
        charm, name = entry["lib"].split(".")
        declared.add(f"charms.{charm.replace('-', '_')}.v{entry['version']}.{name}")
    return declared


# charmcraft warns about its own default for a field this project does not set.
@pytest.mark.filterwarnings("ignore:The 'charmhub' field is deprecated:DeprecationWarning")
def test_charmcraft_accepts_the_project():
    setup_parts()  # registers the charm plugin, as the charmcraft command does at start-up
    project = CharmcraftProject.from_yaml_file(Path(CHARMCRAFT_YAML))

    assert project.name == "legacy-interfaces-demo"
    assert project.type == "charm"


def test_charm_libs_names_every_library_and_nothing_else():
    assert _declared_libraries() == {full_name(path) for path in library_paths()}


def test_every_library_has_each_of_its_roles_declared():
    raw = _raw()
    for library, endpoint in ENDPOINTS.items():
        roles = [role for role in ROLES if role in endpoint]
        assert roles in (["requires", "provides"], ["peers"]), library
        for role in roles:
            declared = raw[role][endpoint[role]]
            assert declared == {"interface": endpoint["interface"]}, (library, role)


def test_every_library_has_its_endpoints_listed_here():
    assert set(ENDPOINTS) == {full_name(path) for path in library_paths()}
