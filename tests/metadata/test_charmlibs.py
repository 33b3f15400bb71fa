"""Every library's metadata, read by charmcraft's own parser, is what DESIGN.md asks for."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from charmcraft.utils.charmlibs import get_lib_info, get_lib_internals

from tests.metadata.librecord import full_name, library_paths

LIBRARIES = library_paths()
# The module each distribution that a PYDEPS may name provides.
MODULES = {"pydantic": "pydantic", "PyYAML": "yaml"}


def test_there_are_libraries_to_check():
    assert "charms.etcd.v0.etcd" in [full_name(path) for path in LIBRARIES]


@pytest.mark.parametrize("path", LIBRARIES, ids=full_name)
def test_charmcraft_accepts_the_library(path: Path):
    info = get_lib_info(lib_path=path)

    assert info.full_name == full_name(path)
    assert info.lib_id is not None
    assert re.fullmatch(r"[0-9a-f]{32}", info.lib_id)
    assert info.api == 0
    assert info.patch >= 1
    assert info.lib_name == info.charm_name.replace("-", "_")


@pytest.mark.parametrize("path", LIBRARIES, ids=full_name)
def test_pydeps_name_pydantic_2_first_and_pin_no_upper_bound(path: Path):
    pydeps = get_lib_internals(path).pydeps

    assert pydeps[0] == "pydantic>=2"
    for requirement in pydeps:
        assert re.fullmatch(r"[A-Za-z]+>=[0-9]+", requirement)
        assert requirement.partition(">=")[0] in MODULES


def test_library_ids_are_unique():
    ids = [get_lib_info(lib_path=path).lib_id for path in LIBRARIES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", LIBRARIES, ids=full_name)
def test_a_library_imports_nothing_but_stdlib_ops_and_its_pydeps(path: Path):
    pydeps = [requirement.partition(">=")[0] for requirement in get_lib_internals(path).pydeps]
    allowed = set(sys.stdlib_module_names) | {"ops"} | {MODULES[name] for name in pydeps}
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])

    assert imported - allowed == set()
